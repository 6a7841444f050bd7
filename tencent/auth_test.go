package tencent_test

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/roomd/roomd/tencent"
)

// query builds a query string from key=value pairs, in order.
func query(pairs ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(pairs); i += 2 {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(pairs[i] + "=" + pairs[i+1])
	}
	return b.String()
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	const path = "/v4/room_config/get_callback?"
	cases := []struct {
		name string
		q    string
		code int
	}{
		{"OK", query("sdkappid", "1400000001", "identifier", admin, "usersig", e.sig, "random", "99999999", "contenttype", "json"), 0},
		{"RandomMax", query("sdkappid", "1400000001", "identifier", admin, "usersig", e.sig, "random", "4294967295", "contenttype", "json"), 0},
		{"NoSDKAppID", query("identifier", admin, "usersig", e.sig, "random", "1", "contenttype", "json"), 60012},
		{"SDKAppIDNotNumber", query("sdkappid", "abc", "identifier", admin, "usersig", e.sig, "random", "1", "contenttype", "json"), 60006},
		{"UnknownSDKAppID", query("sdkappid", "1400009999", "identifier", admin, "usersig", e.sig, "random", "1", "contenttype", "json"), 70020},
		{"NotAdmin", query("sdkappid", "1400000001", "identifier", "user1", "usersig", vendorSig(t, appID, secret, "user1", 3600), "random", "1", "contenttype", "json"), 60010},
		{"NoIdentifier", query("sdkappid", "1400000001", "usersig", e.sig, "random", "1", "contenttype", "json"), 60010},
		{"NoUserSig", query("sdkappid", "1400000001", "identifier", admin, "random", "1", "contenttype", "json"), 70002},
		{"RandomNotNumber", query("sdkappid", "1400000001", "identifier", admin, "usersig", e.sig, "random", "abc", "contenttype", "json"), 60002},
		{"RandomNegative", query("sdkappid", "1400000001", "identifier", admin, "usersig", e.sig, "random", "-1", "contenttype", "json"), 60002},
		{"RandomTooBig", query("sdkappid", "1400000001", "identifier", admin, "usersig", e.sig, "random", "4294967296", "contenttype", "json"), 60002},
		{"NoRandom", query("sdkappid", "1400000001", "identifier", admin, "usersig", e.sig, "contenttype", "json"), 60002},
		{"ContentTypeXML", query("sdkappid", "1400000001", "identifier", admin, "usersig", e.sig, "random", "1", "contenttype", "xml"), 60002},
		{"NoContentType", query("sdkappid", "1400000001", "identifier", admin, "usersig", e.sig, "random", "1"), 60002},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkCode(t, e.do(t, http.MethodPost, path+tc.q, "{}"), tc.code)
		})
	}
}

func TestEnvelopeErrors(t *testing.T) {
	e := newEnv(t)
	good := cmdURL(t, appID, e.sig, "get_room_info")
	q := good[strings.IndexByte(good, '?'):]
	cases := []struct {
		name, method, path string
		body               any
		code               int
	}{
		{"UnknownCommand", http.MethodPost, "/v4/room_engine_http_srv/no_such_command" + q, "{}", 60009},
		{"UnknownService", http.MethodPost, "/v4/no_such_service/get_room_info" + q, "{}", 60009},
		{"NoCommand", http.MethodPost, "/v4/" + q, "{}", 60009},
		{"GET", http.MethodGet, good, "", 60008},
		{"PUT", http.MethodPut, good, "{}", 60008},
		{"InvalidJSON", http.MethodPost, good, `{"RoomId": `, 60003},
		{"NotAnObject", http.MethodPost, good, `[1,2]`, 60003},
		{"RoomIdNotString", http.MethodPost, good, `{"RoomId": 12}`, 100002},
		{"BodyTooLarge", http.MethodPost, good, bytes.Repeat([]byte(" "), 1<<20+1), 60002},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkCode(t, e.do(t, tc.method, tc.path, tc.body), tc.code)
		})
	}
	t.Run("BodyTooLargeChunked", func(t *testing.T) {
		// No Content-Length: the limit must hold while reading.
		body := io.MultiReader(strings.NewReader(`{"RoomId":"`), io.LimitReader(zeros{}, 4<<20), strings.NewReader(`"}`))
		req, err := http.NewRequest(http.MethodPost, e.srv.URL+good, body)
		if err != nil {
			t.Fatal(err)
		}
		if req.ContentLength != 0 {
			t.Fatalf("ContentLength = %d, want 0 (unknown, chunked)", req.ContentLength)
		}
		checkCode(t, e.send(t, req), 60002)
	})
}

// zeros reads an endless run of '0'.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '0'
	}
	return len(p), nil
}

var requestIDPattern = regexp.MustCompile(`^Id-[0-9a-f]{32}-O-Seq-[0-9]+$`)

func TestRequestID(t *testing.T) {
	e := newEnv(t)
	seen := map[string]bool{}
	for i := range 20 {
		var r reply
		if i%2 == 0 {
			r = e.want(t, 0, "get_callback", "{}")
		} else {
			r = e.do(t, http.MethodPost, "/v4/x/nope", "{}") // unknown commands get one too
			checkCode(t, r, 60009)
		}
		if !requestIDPattern.MatchString(r.RequestId) {
			t.Fatalf("RequestId %q does not match %s", r.RequestId, requestIDPattern)
		}
		if seen[r.RequestId] {
			t.Fatalf("RequestId %q answered twice", r.RequestId)
		}
		seen[r.RequestId] = true
	}
}

func TestCommandURL(t *testing.T) {
	u, ok := tencent.CommandURL(88888888, "admin", "s*g-_", "change_room_owner", 99999999)
	if !ok {
		t.Fatal("CommandURL(change_room_owner) not ok")
	}
	want := "/v4/room_engine_http_srv/change_room_owner?sdkappid=88888888&identifier=admin&usersig=s%2Ag-_&random=99999999&contenttype=json"
	if u != want {
		t.Fatalf("CommandURL = %q, want %q", u, want)
	}
	for cmd, svc := range map[string]string{"account_import": "im_open_login_svc", "set_callback": "room_config", "kick_user_out": "room_engine_http_srv"} {
		u, ok := tencent.CommandURL(1, "a", "b", cmd, 1)
		if !ok || !strings.HasPrefix(u, "/v4/"+svc+"/"+cmd+"?") {
			t.Fatalf("CommandURL(%s) = %q, %v; want prefix /v4/%s/%s?", cmd, u, ok, svc, cmd)
		}
	}
	if _, ok := tencent.CommandURL(1, "a", "b", "nope", 1); ok {
		t.Fatal("CommandURL(nope) ok, want false")
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t)
	fixed := time.Now()
	e.clock.Set(fixed) // every call at the same instant: the bucket never refills
	sig, err := tencent.GenUserSig(limitedApp, limitedKey, admin, time.Hour, fixed)
	if err != nil {
		t.Fatal(err)
	}
	path := cmdURL(t, limitedApp, sig, "get_callback")
	for i := range 200 {
		r := e.do(t, http.MethodPost, path, "{}")
		if r.ErrorCode != 0 {
			t.Fatalf("call %d: ErrorCode %d, want 0 within the limit", i+1, r.ErrorCode)
		}
	}
	checkCode(t, e.do(t, http.MethodPost, path, "{}"), 60007)
	// Limits are per command: another command still passes.
	checkCode(t, e.do(t, http.MethodPost, cmdURL(t, limitedApp, sig, "delete_callback"), "{}"), 0)
	// A second later the bucket has refilled.
	e.clock.Advance(time.Second)
	checkCode(t, e.do(t, http.MethodPost, path, "{}"), 0)
	// The app with limits off is never limited.
	for range 210 {
		checkCode(t, e.call(t, "get_callback", "{}"), 0)
	}
}
