package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/webhook"
)

// TestStatusHandler: a signed request gets its app's delivery status; a
// request with a bad signature, a stale time or an unknown app is refused
// with 401 and a reason, another method with 405.
func TestStatusHandler(t *testing.T) {
	e := MustEnv(t)
	rc, up := MustDownReceiver(t)
	tencent := NewFakeHook(roomd.HookTencent, appA, rc.URL+"/cb?token=s3cret")
	zego := NewFakeHook(roomd.HookZEGO, appA, "")
	d := e.MustStart(t, []uint32{appA}, []roomd.Hook{tencent, zego}, webhook.Options{
		Backoff: func(int) time.Duration { return 5 * time.Millisecond },
	})
	apps := roomd.Apps{appA: {ID: appA, Secret: secret}, appB: {ID: appB, Secret: "another secret"}}
	mux := http.NewServeMux()
	mux.Handle(webhook.StatusPath, d.StatusHandler(apps))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	ctx := context.Background()

	e.MustCreateRoom(t, appA, "a") // positions 1 and 2
	WaitStats(t, d, appA, roomd.HookTencent, "a failed attempt", func(s webhook.HookStats) bool { return s.Failed >= 1 })
	e.Clock.Advance(90 * time.Second)

	t.Run("failing", func(t *testing.T) {
		st, err := webhook.FetchStatus(ctx, srv.Client(), srv.URL+"/", appA, secret)
		if err != nil {
			t.Fatal(err)
		}
		if st.App != appA || len(st.Hooks) != 2 {
			t.Fatalf("got app %d with %d hooks, want app %d with 2", st.App, len(st.Hooks), appA)
		}
		tc, zg := st.Hooks[0], st.Hooks[1]
		if tc.Style != roomd.HookTencent || !tc.Configured || tc.URL != rc.URL+"/cb" {
			t.Errorf("tencent: got style %q, configured %v, URL %q; want tencent, true, %s/cb", tc.Style, tc.Configured, tc.URL, rc.URL)
		}
		if tc.Cursor != 0 || tc.LastPos != 2 || tc.Backlog != 2 || tc.Delivered != 0 || tc.Failed == 0 {
			t.Errorf("tencent: got cursor %d, last pos %d, backlog %d, delivered %d, failed %d; want 0, 2, 2, 0, some", tc.Cursor, tc.LastPos, tc.Backlog, tc.Delivered, tc.Failed)
		}
		if !strings.Contains(tc.LastError, "status 500") || tc.LastErrorAt.IsZero() {
			t.Errorf("tencent: got last error %q at %v, want status 500 with its time", tc.LastError, tc.LastErrorAt)
		}
		if tc.OldestUndeliveredAge != 90 {
			t.Errorf("tencent: got oldest undelivered age %v, want 90 (seconds)", tc.OldestUndeliveredAge)
		}
		if zg.Style != roomd.HookZEGO || zg.Configured || zg.Cursor != -1 || zg.Backlog != 0 || zg.LastPos != 2 {
			t.Errorf("zego: got %+v, want not configured, cursor -1, backlog 0, last pos 2", zg)
		}
	})

	t.Run("recovered", func(t *testing.T) {
		up.Store(true)
		WaitFor(t, "the cursor at 2", func() bool { return e.MustCursor(t, appA, roomd.HookTencent) == 2 })
		st, err := webhook.FetchStatus(ctx, nil, srv.URL, appA, secret)
		if err != nil {
			t.Fatal(err)
		}
		tc := st.Hooks[0]
		if tc.Cursor != 2 || tc.Backlog != 0 || tc.Delivered != 2 || tc.LastDeliveredAt.IsZero() || tc.OldestUndeliveredAge != 0 {
			t.Errorf("got cursor %d, backlog %d, delivered %d, last delivered at %v, oldest age %v; want 2, 0, 2, a time, 0",
				tc.Cursor, tc.Backlog, tc.Delivered, tc.LastDeliveredAt, tc.OldestUndeliveredAge)
		}
		if !strings.Contains(tc.LastError, "status 500") {
			t.Errorf("got last error %q, want the last failure kept", tc.LastError)
		}
	})

	now := e.Clock.Now()
	for _, c := range []struct {
		name   string
		method string
		sign   func(*http.Request)
		status int
		reason string
	}{
		{"wrong secret", http.MethodGet, func(r *http.Request) { webhook.SignStatusRequest(r, appA, "not the secret", now) }, http.StatusUnauthorized, "bad signature"},
		{"another app's secret", http.MethodGet, func(r *http.Request) { webhook.SignStatusRequest(r, appA, "another secret", now) }, http.StatusUnauthorized, "bad signature"},
		{"signed for another path", http.MethodGet, func(r *http.Request) {
			r.URL.Path = "/v1/other"
			webhook.SignStatusRequest(r, appA, secret, now)
			r.URL.Path = webhook.StatusPath
		}, http.StatusUnauthorized, "bad signature"},
		{"stale time", http.MethodGet, func(r *http.Request) { webhook.SignStatusRequest(r, appA, secret, now.Add(-10*time.Minute)) }, http.StatusUnauthorized, "stale time"},
		{"future time", http.MethodGet, func(r *http.Request) { webhook.SignStatusRequest(r, appA, secret, now.Add(10*time.Minute)) }, http.StatusUnauthorized, "stale time"},
		{"unknown app", http.MethodGet, func(r *http.Request) { webhook.SignStatusRequest(r, 99, secret, now) }, http.StatusUnauthorized, "unknown app"},
		{"unsigned", http.MethodGet, func(*http.Request) {}, http.StatusUnauthorized, "X-Roomd-App"},
		{"POST", http.MethodPost, func(r *http.Request) { webhook.SignStatusRequest(r, appA, secret, now) }, http.StatusMethodNotAllowed, "only GET"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, srv.URL+webhook.StatusPath, nil)
			if err != nil {
				t.Fatal(err)
			}
			c.sign(req)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			var body struct{ Error string }
			if err := json.Unmarshal(data, &body); err != nil || resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("got %s %q, want a JSON body: %v", resp.Header.Get("Content-Type"), data, err)
			}
			if resp.StatusCode != c.status || !strings.Contains(body.Error, c.reason) {
				t.Errorf("got %d %q, want %d saying %q", resp.StatusCode, body.Error, c.status, c.reason)
			}
			if strings.Contains(string(data), secret) {
				t.Errorf("the answer %q holds the secret", data)
			}
		})
	}

	t.Run("FetchStatus refused", func(t *testing.T) {
		_, err := webhook.FetchStatus(ctx, nil, srv.URL, appA, "not the secret")
		if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "bad signature") {
			t.Errorf("got error %v, want 401 and bad signature", err)
		}
	})
}
