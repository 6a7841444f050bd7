package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/roomd/roomd/internal/wire"
	"github.com/roomd/roomd/server"
)

// answer is one raw HTTP answer.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// do sends method to base+pathQuery with body (may be empty) and returns
// the answer; redirects are not followed.
func do(tb testing.TB, method, url, body string) answer {
	tb.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	client := &http.Client{Timeout: time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, data}
}

// wantJSON fails unless a has status and a JSON body, which it decodes into out.
func wantJSON(tb testing.TB, a answer, status int, out any) {
	tb.Helper()
	if a.status != status {
		tb.Fatalf("status = %d, want %d; body %s", a.status, status, a.body)
	}
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Fatalf("Content-Type = %q, want application/json; body %s", ct, a.body)
	}
	if err := json.Unmarshal(a.body, out); err != nil {
		tb.Fatalf("body is not JSON: %v: %s", err, a.body)
	}
}

// errorAnswer is the JSON body of the server's own 404 and 405.
type errorAnswer struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// observed returns the outcomes the server's observer saw for the
// requests answered with code.
func (s *stack) observed(code int) []wire.Outcome {
	s.rec.mu.Lock()
	defer s.rec.mu.Unlock()
	var out []wire.Outcome
	for _, o := range s.rec.seen {
		if o.Code == code {
			out = append(out, o)
		}
	}
	return out
}

// TestUnknownPaths: every request gets JSON. ZEGO is served at "/" only: a
// ZEGO-looking request elsewhere gets its envelope with 100000000; anything
// under /v4 gets the Tencent envelope; anything else a JSON 404.
func TestUnknownPaths(t *testing.T) {
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "roomd_requests_total 0\n") })
	s := newStack(t, func(r *server.Routes) { r.Metrics = metrics })

	for _, tc := range []struct{ name, path string }{
		{"Action", "/zim?Action=QueryGroupInfo"},
		{"AppId", "/api/v2?AppId=1400000001"},
		{"Both", "/x/?Action=UserRegister&AppId=1"},
		{"Encoded", "/%C3%A9?Action=x"},
	} {
		t.Run("ZEGOElsewhere"+tc.name, func(t *testing.T) {
			var got zegoAnswer
			wantJSON(t, do(t, http.MethodGet, s.base+tc.path, ""), http.StatusOK, &got)
			if got.Code != 100000000 || got.RequestId == "" || !strings.Contains(got.Message, "the ZEGO API is served at /") {
				t.Fatalf("got %+v, want Code 100000000, a RequestId and a Message pointing at /", got)
			}
		})
	}
	t.Run("ZEGOAtRoot", func(t *testing.T) {
		var got zegoAnswer
		wantJSON(t, do(t, http.MethodGet, s.base+"/?Action=QueryGroupInfo", ""), http.StatusOK, &got)
		if got.Code != 100000001 {
			t.Fatalf("got Code %d (%s), want 100000001 (AppId missing): / is the ZEGO endpoint", got.Code, got.Message)
		}
	})
	for _, tc := range []struct{ name, method, path string }{
		{"UnknownCommand", http.MethodPost, "/v4/room_engine_http_srv/no_such_command"},
		{"UnknownService", http.MethodPost, "/v4/nope/get_room_info?Action=QueryGroupInfo"},
		{"Prefix", http.MethodGet, "/v4/"},
		{"NoSlash", http.MethodPost, "/v4"},
	} {
		t.Run("Tencent"+tc.name, func(t *testing.T) {
			var got tencentAnswer
			a := do(t, tc.method, s.base+tc.path, "{}")
			wantJSON(t, a, http.StatusOK, &got)
			if got.ErrorCode != 60009 || got.ActionStatus != "FAIL" || got.RequestId == "" {
				t.Fatalf("got %s, want ErrorCode 60009 FAIL with a RequestId", a.body)
			}
		})
	}
	for _, tc := range []struct{ name, method, path string }{
		{"Plain", http.MethodGet, "/foo"},
		{"Nested", http.MethodPost, "/foo/bar?x=1"},
		{"V4Lookalike", http.MethodGet, "/v4x/room"},
		{"HealthzSubpath", http.MethodGet, "/healthz/x"},
		{"ZEGOLookalikeParam", http.MethodGet, "/foo?action=QueryGroupInfo&appid=1"},
	} {
		t.Run("NotFound"+tc.name, func(t *testing.T) {
			var got errorAnswer
			wantJSON(t, do(t, tc.method, s.base+tc.path, ""), http.StatusNotFound, &got)
			path, _, _ := strings.Cut(tc.path, "?")
			if got.Error != "not_found" || !strings.Contains(got.Message, "no endpoint at "+path+";") {
				t.Fatalf("got %+v, want error not_found naming %s", got, path)
			}
			for _, hint := range []string{"/?Action=", "/v4/", "/healthz", "/metrics"} {
				if !strings.Contains(got.Message, hint) {
					t.Errorf("Message %q does not point at %s", got.Message, hint)
				}
			}
		})
	}
	for _, tc := range []struct{ method, path string }{
		{http.MethodPost, "/healthz"},
		{http.MethodDelete, "/healthz"},
		{http.MethodPut, "/metrics"},
		{http.MethodPost, "/metrics"},
	} {
		t.Run("MethodNotAllowed"+tc.method+strings.ReplaceAll(tc.path, "/", "_"), func(t *testing.T) {
			a := do(t, tc.method, s.base+tc.path, "x")
			var got errorAnswer
			wantJSON(t, a, http.StatusMethodNotAllowed, &got)
			if got.Error != "method_not_allowed" || !strings.Contains(got.Message, tc.method) || !strings.Contains(got.Message, tc.path) {
				t.Fatalf("got %+v, want error method_not_allowed naming %s and %s", got, tc.method, tc.path)
			}
			if allow := a.header.Get("Allow"); allow != "GET, HEAD" {
				t.Errorf("Allow = %q, want %q", allow, "GET, HEAD")
			}
		})
	}
	for _, tc := range []struct{ method, path, body string }{
		{http.MethodGet, "/healthz", "ok\n"},
		{http.MethodHead, "/healthz", ""},
		{http.MethodGet, "/metrics", "roomd_requests_total 0\n"},
	} {
		t.Run("Served"+tc.method+strings.ReplaceAll(tc.path, "/", "_"), func(t *testing.T) {
			if a := do(t, tc.method, s.base+tc.path, ""); a.status != http.StatusOK || string(a.body) != tc.body {
				t.Fatalf("got %d %q, want 200 %q", a.status, a.body, tc.body)
			}
		})
	}
	t.Run("ObservedAndLogged", func(t *testing.T) {
		for code, want := range map[int]wire.Outcome{
			http.StatusNotFound:         {Dialect: "none", Action: "not_found", Code: 404},
			http.StatusMethodNotAllowed: {Dialect: "none", Action: "method_not_allowed", Code: 405},
		} {
			seen := s.observed(code)
			if len(seen) == 0 || seen[0] != want {
				t.Errorf("observed %+v for code %d, want %+v", seen, code, want)
			}
		}
		if seen := s.observed(100000000); len(seen) == 0 || seen[0].Dialect != "zego" || seen[0].RequestID == "" {
			t.Errorf("observed %+v for 100000000, want a zego outcome with a RequestID", seen)
		}
		found := false
		for l := range strings.SplitSeq(strings.TrimSpace(s.logs.String()), "\n") {
			var rec map[string]any
			if json.Unmarshal([]byte(l), &rec) == nil && rec["msg"] == "request" && rec["path"] == "/foo" {
				found = true
				if rec["dialect"] != "none" || rec["action"] != "not_found" || rec["code"] != float64(404) {
					t.Errorf("log line %v, want dialect none, action not_found, code 404", rec)
				}
			}
		}
		if !found {
			t.Errorf("no request log line for /foo in:\n%s", s.logs)
		}
	})
}

// TestUnknownPathsOneDialect: with one dialect left out, its paths are JSON
// 404s and the message names only what is served.
func TestUnknownPathsOneDialect(t *testing.T) {
	t.Run("NoTencent", func(t *testing.T) {
		s := newStack(t, func(r *server.Routes) { r.Tencent = nil })
		var got errorAnswer
		wantJSON(t, do(t, http.MethodPost, s.base+"/v4/room_engine_http_srv/get_room_info", "{}"), http.StatusNotFound, &got)
		if strings.Contains(got.Message, "Tencent") || strings.Contains(got.Message, "/metrics") || !strings.Contains(got.Message, "/?Action=") {
			t.Errorf("Message %q, want it to name the ZEGO API only (no Tencent, no metrics)", got.Message)
		}
	})
	t.Run("NoZEGO", func(t *testing.T) {
		s := newStack(t, func(r *server.Routes) { r.ZEGO = nil })
		for _, path := range []string{"/?Action=QueryGroupInfo&AppId=1", "/zim?Action=QueryGroupInfo"} {
			var got errorAnswer
			wantJSON(t, do(t, http.MethodGet, s.base+path, ""), http.StatusNotFound, &got)
			if got.Error != "not_found" || strings.Contains(got.Message, "ZEGO") {
				t.Errorf("%s: got %+v, want not_found not naming ZEGO", path, got)
			}
		}
	})
}

// TestTooManyQueryParamsServed: over the real server (64 KiB header limit)
// a query of 10,001 parameters gets each dialect's parameter error.
func TestTooManyQueryParamsServed(t *testing.T) {
	s := newStack(t, nil)
	pad := strings.Repeat("&p=1", 10000)
	t.Run("ZEGO", func(t *testing.T) {
		var got zegoAnswer
		a := do(t, http.MethodGet, s.base+"/?AppId=1400000001"+pad, "")
		wantJSON(t, a, http.StatusOK, &got)
		if got.Code != 660000002 || got.Message != "parameter error: more than 10000 query parameters" {
			t.Fatalf("got %s, want 660000002 saying there are more than 10000 query parameters", a.body)
		}
	})
	t.Run("Tencent", func(t *testing.T) {
		var got tencentAnswer
		a := do(t, http.MethodPost, s.base+"/v4/room_engine_http_srv/get_room_info?sdkappid=1400000001"+pad, "{}")
		wantJSON(t, a, http.StatusOK, &got)
		if got.ErrorCode != 100002 || !strings.Contains(got.ErrorInfo, "more than 10000 query parameters") {
			t.Fatalf("got %s, want 100002 saying there are more than 10000 query parameters", a.body)
		}
	})
}
