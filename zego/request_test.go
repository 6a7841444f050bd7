package zego_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/roomd/roomd/internal/wire"
)

func TestQueryArrays(t *testing.T) {
	s := MustOpenServer(t)
	s.Register(t, appOpen, "a", "b", "c")
	signed := func(action string) string { return s.Signed(appOpen, action, nil).Encode() }
	for name, q := range map[string]string{
		"Brackets":        "UserIds[]=a&UserIds[]=b&UserIds[]=c",
		"EncodedBrackets": "UserIds%5B%5D=a&UserIds%5b%5d=b&UserIds%5B%5D=c",
		"NoBrackets":      "UserIds=a&UserIds=b&UserIds=c",
		"Mixed":           "UserIds[]=a&UserIds=b&UserIds%5B%5D=c",
	} {
		t.Run(name, func(t *testing.T) {
			r := s.Send(t, http.MethodGet, signed("QueryUserInfos")+"&"+q, nil)
			WantCode(t, r, 0)
			if len(r.Result) != 3 {
				t.Fatalf("got %s, want 3 users", r.Raw)
			}
		})
	}
	t.Run("CreateGroupInQuery", func(t *testing.T) {
		r := s.Send(t, http.MethodGet, signed("CreateGroup")+"&GroupId=q1&GroupOwner=a&UserId%5B%5D=b&UserId%5B%5D=c", nil)
		WantCode(t, r, 0)
		if len(r.Members) != 3 {
			t.Fatalf("got %s, want 3 members", r.Raw)
		}
	})
	t.Run("KickInQuery", func(t *testing.T) {
		WantCode(t, s.Send(t, http.MethodGet, signed("KickoutGroupUser")+"&FromUserId=a&GroupId=q1&UserId[]=b&UserId[]=c", nil), 0)
		if roles := memberRoles(t, s, appOpen, "q1"); len(roles) != 1 {
			t.Fatalf("roles %v, want only a left", roles)
		}
	})
}

func TestMethods(t *testing.T) {
	s := MustOpenServer(t)
	s.Group(t, appOpen, "g1", "own", "a")
	t.Run("GetActionAsPostBody", func(t *testing.T) {
		body := []byte(`{"FromUserId":"own","GroupId":"g1","NewOwner":"a"}`)
		WantCode(t, s.Send(t, http.MethodPost, s.Signed(appOpen, "TransferGroupOwner", nil).Encode(), body), 0)
	})
	t.Run("PostActionAsGetQuery", func(t *testing.T) {
		q := s.Signed(appOpen, "QueryGroupInfo", url.Values{"FromUserId": {"a"}, "GroupId": {"g1"}})
		if r := s.Send(t, http.MethodGet, q.Encode(), nil); r.Code != 0 || r.GroupOwner != "a" {
			t.Fatalf("got %s, want Code 0 and GroupOwner a", r.Raw)
		}
	})
	t.Run("BodyWinsOverQuery", func(t *testing.T) {
		q := s.Signed(appOpen, "QueryGroupInfo", url.Values{"FromUserId": {"a"}, "GroupId": {"nope"}})
		WantCode(t, s.Send(t, http.MethodPost, q.Encode(), []byte(`{"GroupId":"g1"}`)), 0)
	})
	for _, m := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch} {
		t.Run(m, func(t *testing.T) {
			WantCode(t, s.Send(t, m, s.Signed(appOpen, "QueryGroupInfo", nil).Encode(), []byte(`{"FromUserId":"a","GroupId":"g1"}`)), 0)
		})
	}
}

// TestOtherPath: the API is at "/" only; a request on another path, even a
// correctly signed one, gets the envelope with Code 100000000 and runs nothing.
func TestOtherPath(t *testing.T) {
	s := MustOpenServer(t)
	s.Register(t, appOpen, "own")
	for _, tc := range []struct{ name, path, query string }{
		{"Unsigned", "/some/where", "AppId=1"},
		{"SignedCreateGroup", "/zim", s.Signed(appOpen, "CreateGroup", url.Values{"GroupId": {"made"}, "GroupOwner": {"own"}}).Encode()},
		{"TrailingSlashDir", "/v1/", "Action=QueryAppGroupList"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := s.Client.Get(s.URL + tc.path + "?" + tc.query)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			r, err := CheckAnswer(resp.StatusCode, resp.Header, data)
			if err != nil {
				t.Fatal(err)
			}
			WantCode(t, r, 100000000)
			if want := "the ZEGO API is served at /, not at \"" + tc.path + "\""; !strings.Contains(r.Message, want) {
				t.Errorf("Message = %q, want it to contain %q", r.Message, want)
			}
		})
	}
	t.Run("NothingRan", func(t *testing.T) {
		WantCode(t, s.Call(t, appOpen, "QueryGroupInfo", map[string]any{"FromUserId": "own", "GroupId": "made"}), 660600001)
	})
}

func TestBodies(t *testing.T) {
	s := MustOpenServer(t)
	s.Group(t, appOpen, "g1", "own")
	post := func(body []byte) *Reply {
		return s.Send(t, http.MethodPost, s.Signed(appOpen, "QueryGroupInfo", nil).Encode(), body)
	}
	t.Run("TooLarge", func(t *testing.T) {
		body := append([]byte(`{"FromUserId":"own","GroupId":"g1","Pad":"`), bytes.Repeat([]byte("x"), wire.MaxBody)...)
		body = append(body, `"}`...)
		WantCode(t, post(body), 100000012)
	})
	t.Run("TooLargeChunked", func(t *testing.T) {
		// No Content-Length: the limit is enforced while reading.
		pr, pw := io.Pipe()
		go func() {
			_, _ = pw.Write([]byte(`{"Pad":"`))
			chunk := bytes.Repeat([]byte("y"), 64<<10)
			for i := 0; i < 17; i++ {
				if _, err := pw.Write(chunk); err != nil {
					break
				}
			}
			pw.Close()
		}()
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/?"+s.Signed(appOpen, "QueryGroupInfo", nil).Encode(), pr)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r Reply
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || r.Code != 100000012 {
			t.Fatalf("got Code %d (%v), want 100000012", r.Code, err)
		}
	})
	t.Run("JustUnderLimit", func(t *testing.T) {
		head := `{"FromUserId":"own","GroupId":"g1","Pad":"`
		body := append([]byte(head), bytes.Repeat([]byte("x"), wire.MaxBody-len(head)-2)...)
		body = append(body, `"}`...)
		WantCode(t, post(body), 0)
	})
	for name, body := range map[string]string{
		"Malformed":       `{"FromUserId":"own",`,
		"NotObject":       `["own"]`,
		"GroupIdNumber":   `{"FromUserId":"own","GroupId":123}`,
		"GroupIdObject":   `{"FromUserId":"own","GroupId":{"a":1}}`,
		"FromUserIdNull":  `{"FromUserId":null,"GroupId":"g1"}`,
		"TrailingGarbage": `{"FromUserId":"own","GroupId":"g1"} x`,
		"NotJSON":         `FromUserId=own&GroupId=g1`,
	} {
		t.Run(name, func(t *testing.T) {
			WantCode(t, post([]byte(body)), 660000002)
		})
	}
	t.Run("UnknownFieldsIgnored", func(t *testing.T) {
		WantCode(t, post([]byte(`{"FromUserId":"own","GroupId":"g1","Whatever":[1,{"x":null}],"IsInvite":true}`)), 0)
	})
}

func TestRateLimits(t *testing.T) {
	s := MustOpenServer(t)
	s.Group(t, appLimited, "g1", "own", "a")
	s.MustCall(t, appLimited, "CreateGroup", map[string]any{"GroupId": "g2", "GroupOwner": "own", "UserId": []string{"a"}})
	t.Run("GroupLevel", func(t *testing.T) {
		transfer := func(group, to string) *Reply {
			return s.Call(t, appLimited, "TransferGroupOwner", map[string]any{"FromUserId": "own", "GroupId": group, "NewOwner": to})
		}
		WantCode(t, transfer("g1", "a"), 0)
		WantCode(t, transfer("g1", "own"), 660300006)
		WantCode(t, transfer("g2", "a"), 0) // another group has its own budget
		s.Clock.Advance(time.Second)
		WantCode(t, transfer("g1", "own"), 0)
	})
	t.Run("GroupLevelInvite", func(t *testing.T) {
		s.Register(t, appLimited, "x1", "x2")
		invite := func(user string) *Reply {
			return s.Call(t, appLimited, "InviteUsersIntoGroup", map[string]any{"FromUserId": "own", "GroupId": "g1", "UserIds": []string{user}})
		}
		WantCode(t, invite("x1"), 0)
		WantCode(t, invite("x2"), 660300006)
	})
	t.Run("GroupLevelDismiss", func(t *testing.T) {
		dismiss := func() *Reply {
			return s.Call(t, appLimited, "DismissGroup", map[string]any{"FromUserId": "own", "GroupId": "g2"})
		}
		WantCode(t, dismiss(), 0)
		WantCode(t, dismiss(), 660300006) // the limit is checked before the group is looked up
		s.Clock.Advance(time.Second)
		WantCode(t, dismiss(), 660600001)
	})
	t.Run("AppLevel", func(t *testing.T) {
		s.Clock.Advance(time.Minute)
		WantCode(t, s.Call(t, appLimited, "QueryAppGroupList", nil), 0)
		WantCode(t, s.Call(t, appLimited, "QueryAppGroupList", nil), 660300005)
		got := 0
		for i := 0; i < 25; i++ {
			if r := s.Call(t, appLimited, "QueryGroupMemberList", map[string]any{"GroupId": "g1"}); r.Code == 660300005 {
				break
			}
			got++
		}
		if got != 20 {
			t.Fatalf("QueryGroupMemberList allowed %d calls at one instant, want the burst of 20", got)
		}
	})
	t.Run("Off", func(t *testing.T) {
		s.Group(t, appOpen, "g1", "own", "a")
		for i := 0; i < 5; i++ {
			WantCode(t, s.Call(t, appOpen, "QueryAppGroupList", nil), 0)
		}
	})
}
