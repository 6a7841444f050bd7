package zego_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roomd/roomd/sqlite"
	"github.com/roomd/roomd/zego"
)

func TestSign(t *testing.T) {
	t.Run("VendorVector", func(t *testing.T) {
		got := zego.Sign(12345, "4fd24687296dd9f3", "9193cc662a4c0ec135ec71fb57194b38", 1615186943)
		if want := "43e5cfcca828314675f91b001390566a"; got != want {
			t.Fatalf("Sign = %q, want %q", got, want)
		}
	})
	t.Run("SignedQuery", func(t *testing.T) {
		now := time.Unix(1615186943, 0)
		q := zego.SignedQuery(12345, secret, "QueryUserInfos", now)
		nonce := q.Get("SignatureNonce")
		if len(nonce) != 16 || strings.Trim(nonce, "0123456789abcdef") != "" {
			t.Fatalf("SignatureNonce = %q, want 16 hex chars", nonce)
		}
		want := url.Values{
			"Action": {"QueryUserInfos"}, "AppId": {"12345"}, "SignatureNonce": {nonce}, "Timestamp": {"1615186943"},
			"SignatureVersion": {"2.0"}, "Signature": {zego.Sign(12345, nonce, secret, 1615186943)},
		}
		if q.Encode() != want.Encode() {
			t.Fatalf("SignedQuery = %s, want %s", q.Encode(), want.Encode())
		}
		if again := zego.SignedQuery(12345, secret, "QueryUserInfos", now).Get("SignatureNonce"); again == nonce {
			t.Fatalf("two SignedQuery calls gave the same nonce %q", nonce)
		}
	})
}

func TestActionMethod(t *testing.T) {
	for action, want := range map[string]string{"UserRegister": "POST", "TransferGroupOwner": "GET", "QueryAppGroupList": "GET", "KickoutGroupUser": "POST"} {
		if got, ok := zego.ActionMethod(action); !ok || got != want {
			t.Errorf("ActionMethod(%q) = %q, %v; want %q, true", action, got, ok, want)
		}
	}
	if got, ok := zego.ActionMethod("Nope"); ok {
		t.Errorf("ActionMethod(Nope) = %q, true; want false", got)
	}
}

// gatewayQuery returns a valid signed query for QueryUserInfos of appOpen with edit applied.
func gatewayQuery(s *Server, edit func(q url.Values)) string {
	q := s.Signed(appOpen, "QueryUserInfos", url.Values{"UserIds[]": {"u1"}})
	edit(q)
	return q.Encode()
}

func TestGateway(t *testing.T) {
	s := MustOpenServer(t)
	s.Register(t, appOpen, "u1")
	now := s.Clock.Now().Unix()
	resign := func(q url.Values, ts int64) {
		q.Set("Timestamp", strconv.FormatInt(ts, 10))
		q.Set("Signature", zego.Sign(appOpen, q.Get("SignatureNonce"), secret, ts))
	}
	cases := []struct {
		name string
		edit func(q url.Values)
		want int64
	}{
		{"OK", func(url.Values) {}, 0},
		{"AppIdMissing", func(q url.Values) { q.Del("AppId") }, 100000001},
		{"AppIdGarbled", func(q url.Values) { q.Set("AppId", "12ab") }, 100000001},
		{"AppIdOverflow", func(q url.Values) { q.Set("AppId", "4294967296") }, 100000001},
		{"AppIdUnknown", func(q url.Values) { q.Set("AppId", "77") }, 100000011},
		{"AppWithoutSecret", func(q url.Values) {
			q.Set("AppId", strconv.Itoa(int(appNoSecret)))
			q.Set("Signature", zego.Sign(appNoSecret, q.Get("SignatureNonce"), "", now))
		}, 100000010},
		{"ActionEmpty", func(q url.Values) { q.Del("Action") }, 100000006},
		{"NonceEmpty", func(q url.Values) { q.Del("SignatureNonce") }, 100000008},
		{"TimestampEmpty", func(q url.Values) { q.Del("Timestamp") }, 100000002},
		{"TimestampGarbled", func(q url.Values) { q.Set("Timestamp", "soon") }, 100000003},
		{"VersionEmpty", func(q url.Values) { q.Del("SignatureVersion") }, 100000013},
		{"VersionUnsupported", func(q url.Values) { q.Set("SignatureVersion", "1.0") }, 100000014},
		{"SignatureEmpty", func(q url.Values) { q.Del("Signature") }, 100000009},
		{"TimestampOld", func(q url.Values) { resign(q, now-601) }, 100000004},
		{"TimestampFuture", func(q url.Values) { resign(q, now+601) }, 100000004},
		{"TimestampEdgeOld", func(q url.Values) { resign(q, now-600) }, 0},
		{"TimestampEdgeFuture", func(q url.Values) { resign(q, now+600) }, 0},
		{"TimestampHuge", func(q url.Values) { resign(q, 1<<62) }, 100000004},
		{"WrongSecret", func(q url.Values) {
			q.Set("Signature", zego.Sign(appOpen, q.Get("SignatureNonce"), "other-secret", now))
		}, 100000005},
		{"SignatureUppercase", func(q url.Values) { q.Set("Signature", strings.ToUpper(q.Get("Signature"))) }, 0},
		{"SignatureOfOtherApp", func(q url.Values) { q.Set("AppId", strconv.Itoa(int(appLimited))) }, 100000005},
		{"UnknownAction", func(q url.Values) { q.Set("Action", "SendMessage") }, 100000007},
		{"UnknownActionBadSignature", func(q url.Values) { q.Set("Action", "SendMessage"); q.Set("Signature", "00") }, 100000005},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := s.Send(t, http.MethodGet, gatewayQuery(s, tc.edit), nil)
			WantCode(t, r, tc.want)
		})
	}
}

func TestGatewayOrder(t *testing.T) {
	// With every common parameter missing, the first check in the documented order answers.
	s := MustOpenServer(t)
	steps := []struct {
		set  string
		want int64
	}{
		{"AppId=1001", 100000006},
		{"Action=QueryUserInfos", 100000008},
		{"SignatureNonce=abc", 100000002},
		{"Timestamp=" + strconv.FormatInt(s.Clock.Now().Unix(), 10), 100000013},
		{"SignatureVersion=2.0", 100000009},
		{"Signature=" + zego.Sign(appOpen, "abc", secret, s.Clock.Now().Unix()), 660000002},
	}
	WantCode(t, s.Send(t, http.MethodGet, "", nil), 100000001)
	query := ""
	for _, st := range steps {
		query += "&" + st.set
		t.Run(strings.SplitN(st.set, "=", 2)[0], func(t *testing.T) {
			WantCode(t, s.Send(t, http.MethodGet, query[1:], nil), st.want)
		})
	}
}

func TestNonce(t *testing.T) {
	s := MustOpenServer(t)
	s.Register(t, appOpen, "u1")
	t.Run("Replay", func(t *testing.T) {
		q := gatewayQuery(s, func(url.Values) {})
		WantCode(t, s.Send(t, http.MethodGet, q, nil), 0)
		r := s.Send(t, http.MethodGet, q, nil)
		WantCode(t, r, 100000005)
		if !strings.Contains(strings.ToLower(r.Message), "nonce") {
			t.Fatalf("replay Message %q does not mention the nonce", r.Message)
		}
	})
	t.Run("ReusedWithNewTimestamp", func(t *testing.T) {
		q := s.Signed(appOpen, "QueryUserInfos", url.Values{"UserIds[]": {"u1"}})
		WantCode(t, s.Send(t, http.MethodGet, q.Encode(), nil), 0)
		s.Clock.Advance(5 * time.Minute)
		ts := s.Clock.Now().Unix()
		q.Set("Timestamp", strconv.FormatInt(ts, 10))
		q.Set("Signature", zego.Sign(appOpen, q.Get("SignatureNonce"), secret, ts))
		WantCode(t, s.Send(t, http.MethodGet, q.Encode(), nil), 100000005)
		// Once the first use's Timestamp has left the window (plus the bucket width), the nonce is forgotten.
		s.Clock.Advance(6*time.Minute + time.Minute)
		ts = s.Clock.Now().Unix()
		q.Set("Timestamp", strconv.FormatInt(ts, 10))
		q.Set("Signature", zego.Sign(appOpen, q.Get("SignatureNonce"), secret, ts))
		WantCode(t, s.Send(t, http.MethodGet, q.Encode(), nil), 0)
	})
	t.Run("SameNonceOtherApp", func(t *testing.T) {
		s.Register(t, appLimited, "u1")
		q := s.Signed(appOpen, "QueryUserInfos", url.Values{"UserIds[]": {"u1"}})
		WantCode(t, s.Send(t, http.MethodGet, q.Encode(), nil), 0)
		q.Set("AppId", strconv.Itoa(int(appLimited)))
		q.Set("Signature", zego.Sign(appLimited, q.Get("SignatureNonce"), secret, s.Clock.Now().Unix()))
		WantCode(t, s.Send(t, http.MethodGet, q.Encode(), nil), 0)
	})
	t.Run("BadSignatureDoesNotRecord", func(t *testing.T) {
		q := s.Signed(appOpen, "QueryUserInfos", url.Values{"UserIds[]": {"u1"}})
		good := q.Get("Signature")
		q.Set("Signature", strings.Repeat("0", 32))
		WantCode(t, s.Send(t, http.MethodGet, q.Encode(), nil), 100000005)
		q.Set("Signature", good)
		WantCode(t, s.Send(t, http.MethodGet, q.Encode(), nil), 0)
	})
}

func TestNonceCap(t *testing.T) {
	s := MustOpenServer(t, func(_ *zego.Options, so *sqlite.Options) { so.MaxNonces = 3 })
	s.Register(t, appOpen, "u1") // nonce 1
	for i := 0; i < 2; i++ {
		WantCode(t, s.Call(t, appOpen, "QueryUserInfos", map[string]any{"UserIds": []string{"u1"}}), 0)
	}
	r := s.Call(t, appOpen, "QueryUserInfos", map[string]any{"UserIds": []string{"u1"}})
	WantCode(t, r, 660300005)
	WantCode(t, s.Call(t, appOpen, "QueryUserInfos", map[string]any{"UserIds": []string{"u1"}}), 660300005)
	// Another app has its own cache.
	s.Register(t, appLimited, "u1")
	// The remembered nonces expire with their minute bucket, 10 minutes after their Timestamp.
	s.Clock.Advance(11 * time.Minute)
	WantCode(t, s.Call(t, appOpen, "QueryUserInfos", map[string]any{"UserIds": []string{"u1"}}), 0)
}

func TestRequestID(t *testing.T) {
	s := MustOpenServer(t)
	seen := map[string]bool{}
	for i := 0; i < 20; i++ {
		r := s.Send(t, http.MethodGet, "AppId=nope", nil)
		if _, err := strconv.ParseUint(r.RequestId, 10, 64); err != nil || seen[r.RequestId] {
			t.Fatalf("RequestId %q: numeric %v, seen before %v; want a new numeric id", r.RequestId, err == nil, seen[r.RequestId])
		}
		seen[r.RequestId] = true
	}
}
