package zego_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// wantRefused fails unless r is a 660000002 whose Message contains msg.
func wantRefused(tb testing.TB, r *Reply, msg string) {
	tb.Helper()
	WantCode(tb, r, 660000002)
	if !strings.Contains(r.Message, msg) {
		tb.Errorf("Message = %q, want it to contain %q", r.Message, msg)
	}
}

// TestTextEncoding: text that is not valid UTF-8, in the body (raw bytes or
// lone surrogate escapes) or in the query, is refused with 660000002 and
// never stored rewritten to U+FFFD; NUL is refused in ids and names.
func TestTextEncoding(t *testing.T) {
	s := MustOpenServer(t)
	s.Register(t, appOpen, "own")
	post := func(action, body string) *Reply {
		return s.Send(t, http.MethodPost, s.Signed(appOpen, action, nil).Encode(), []byte(body))
	}
	get := func(action, rawQuery string) *Reply {
		return s.Send(t, http.MethodGet, s.Signed(appOpen, action, nil).Encode()+"&"+rawQuery, nil)
	}
	for _, tc := range []struct {
		name, action, body, msg string
	}{
		{"BodyInvalidByteInName", "UserRegister", "{\"UserInfo\":[{\"UserId\":\"u1\",\"UserName\":\"a\xffb\"}]}", "not UTF-8"},
		{"BodyLoneSurrogateInName", "UserRegister", `{"UserInfo":[{"UserId":"u1","UserName":"a\ud800b"}]}`, `lone surrogate escape \ud800`},
		{"BodyNULInName", "UserRegister", `{"UserInfo":[{"UserId":"u1","UserName":"a\u0000b"}]}`, "user name contains a control character"},
		{"BodyLoneSurrogateInGroupId", "CreateGroup", `{"GroupId":"g\udc00","GroupOwner":"own"}`, `lone surrogate escape \udc00`},
		{"BodyInvalidByteInGroupName", "CreateGroup", "{\"GroupId\":\"g1\",\"GroupOwner\":\"own\",\"GroupName\":\"\xc3\"}", "not UTF-8"},
		{"BodyNULInNotice", "CreateGroup", `{"GroupId":"g1","GroupOwner":"own","GroupNotice":"a\u0000"}`, "room notice contains a NUL character"},
		{"BodyInvalidByteInIgnoredField", "QueryGroupInfo", "{\"FromUserId\":\"own\",\"GroupId\":\"g1\",\"Extra\":\"\xfe\"}", "not UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantRefused(t, post(tc.action, tc.body), tc.msg)
		})
	}
	for _, tc := range []struct {
		name, action, query, msg string
	}{
		{"QueryInvalidByte", "QueryGroupInfo", "FromUserId=own&GroupId=g%FF", "GroupId is not valid UTF-8"},
		{"QueryInvalidByteInList", "QueryUserInfos", "UserIds[]=own&UserIds[]=%C3", "UserIds is not valid UTF-8"},
		{"QueryNUL", "QueryGroupInfo", "FromUserId=o%00wn&GroupId=g1", "FromUserId contains a control character"},
		{"QueryInvalidGroupName", "CreateGroup", "GroupId=g1&GroupOwner=own&GroupName=%80", "parameter error: GroupName is not valid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantRefused(t, get(tc.action, tc.query), tc.msg)
		})
	}
	t.Run("NothingStored", func(t *testing.T) {
		r := s.Call(t, appOpen, "QueryUserInfos", map[string]any{"UserIds": []string{"u1"}})
		WantItems(t, r.ErrorList, "u1", 660500002)
		WantCode(t, s.Call(t, appOpen, "QueryGroupInfo", map[string]any{"FromUserId": "own", "GroupId": "g1"}), 660600001)
	})
	t.Run("SurrogatePairAccepted", func(t *testing.T) {
		WantCode(t, post("UserRegister", `{"UserInfo":[{"UserId":"u2","UserName":"smile \ud83d\ude00"}]}`), 0)
		r := s.MustCall(t, appOpen, "QueryUserInfos", map[string]any{"UserIds": []string{"u2"}})
		if len(r.Result) != 1 || r.Result[0].UserName != "smile 😀" {
			t.Fatalf("got %s, want u2 named %q", r.Raw, "smile 😀")
		}
	})
}

// TestTooManyQueryParams: more than 10,000 query parameters is 660000002
// saying so, before the gateway checks (the AppId cannot be read); 10,000
// are served.
func TestTooManyQueryParams(t *testing.T) {
	s := MustOpenServer(t)
	s.Register(t, appOpen, "own")
	signed := s.Signed(appOpen, "QueryUserInfos", url.Values{"UserIds[]": {"own"}})
	pad := func(n int) string { return strings.Repeat("&p=1", n) }
	t.Run("Over", func(t *testing.T) {
		q := signed.Encode() + pad(10001-len(signed))
		if n := strings.Count(q, "&") + 1; n != 10001 {
			t.Fatalf("built %d parameters, want 10001", n)
		}
		wantRefused(t, s.Send(t, http.MethodGet, q, nil), "parameter error: more than 10000 query parameters")
	})
	t.Run("AtLimit", func(t *testing.T) {
		fresh := s.Signed(appOpen, "QueryUserInfos", url.Values{"UserIds[]": {"own"}})
		r := s.Send(t, http.MethodGet, fresh.Encode()+pad(10000-len(fresh)), nil)
		WantCode(t, r, 0)
		if len(r.Result) != 1 || r.Result[0].UserId != "own" {
			t.Fatalf("got %s, want the profile of own", r.Raw)
		}
	})
}
