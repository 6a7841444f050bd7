package webhook_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/storetest"
	"github.com/roomd/roomd/webhook"
)

// TestRetriesUntilAcknowledged: a receiver that fails twice with 500, then
// hangs past the timeout, then answers gets every callback, in order, each
// delivery id repeated only back to back, and the counters add up.
func TestRetriesUntilAcknowledged(t *testing.T) {
	e := MustEnv(t)
	rc := MustReceiver(t, func(n int) int {
		switch n {
		case 0, 1:
			return http.StatusInternalServerError
		case 2:
			return Hang
		}
		return http.StatusOK
	})
	hook := NewFakeHook(roomd.HookTencent, appA, rc.URL+"/hook")
	d := e.MustStart(t, []uint32{appA}, []roomd.Hook{hook}, webhook.Options{Timeout: 200 * time.Millisecond, UserAgent: "roomd-test"})

	room := "r/1 ✨ x"
	e.MustCreateRoom(t, appA, room)
	e.MustAddMember(t, appA, room, "bob")
	want := e.MustLog(t, appA, 0)
	if got, wantFirst := want[0], "1400000001/r%2F1%20%E2%9C%A8%20x/1"; got != wantFirst {
		t.Fatalf("first delivery id: got %q, want %q", got, wantFirst)
	}

	WantSame(t, "acknowledged deliveries", rc.WaitAcked(t, len(want)), want)
	s := WaitStats(t, d, appA, roomd.HookTencent, "3 delivered", func(s webhook.HookStats) bool { return s.Delivered == 3 })
	if want := (webhook.Counters{Delivered: 3, Failed: 3, Retried: 3}); s.Counters != want {
		t.Errorf("counters: got %+v, want %+v", s.Counters, want)
	}
	calls := rc.Calls()
	if len(calls) != 6 {
		t.Errorf("calls: got %d, want 6 (3 failed attempts of the first callback, then 3 acknowledged)", len(calls))
	}
	var runs []string // deliveries with back-to-back repeats dropped
	for _, c := range calls {
		if len(runs) == 0 || runs[len(runs)-1] != c.Delivery {
			runs = append(runs, c.Delivery)
		}
		if c.ContentType != "application/json" || c.UserAgent != "roomd-test" {
			t.Errorf("call %s: got Content-Type %q and User-Agent %q, want application/json and roomd-test", c.Delivery, c.ContentType, c.UserAgent)
		}
		if got := fmt.Sprintf("%d/%s/%d", c.Body.App, url.PathEscape(c.Body.Room), c.Body.Seq); got != c.Delivery {
			t.Errorf("call %s: got the callback of %s, want its own", c.Delivery, got)
		}
	}
	WantSame(t, "deliveries in call order, repeats dropped", runs, want)
	WaitFor(t, "the cursor at 3", func() bool { return e.MustCursor(t, appA, roomd.HookTencent) == 3 })
	st := d.Status(context.Background(), appA)[0]
	if !strings.Contains(st.LastError, "no answer within 200ms") {
		t.Errorf("last error: got %q, want the timeout", st.LastError)
	}
	if st.Cursor != 3 || st.Backlog != 0 || st.OldestUndeliveredAge != 0 {
		t.Errorf("status: got cursor %d, backlog %d, oldest age %v; want 3, 0, 0", st.Cursor, st.Backlog, st.OldestUndeliveredAge)
	}
}

// TestCommitOrderAcrossRooms: the callbacks of an app's rooms, written
// concurrently, arrive in the order of the app's log.
func TestCommitOrderAcrossRooms(t *testing.T) {
	e := MustEnv(t)
	rc := MustReceiver(t, Always(http.StatusOK))
	hook := NewFakeHook(roomd.HookZEGO, appA, rc.URL)
	e.MustStart(t, []uint32{appA}, []roomd.Hook{hook}, webhook.Options{})

	var wg sync.WaitGroup
	for r := range 4 {
		wg.Go(func() {
			room := fmt.Sprintf("room %d", r)
			e.MustCreateRoom(t, appA, room)
			for _, u := range []string{"bob", "cat", "dan"} {
				e.MustAddMember(t, appA, room, u)
			}
		})
	}
	wg.Wait()
	want := e.MustLog(t, appA, 0)
	if len(want) != 20 {
		t.Fatalf("log: got %d events, want 20", len(want))
	}
	WantSame(t, "acknowledged deliveries", rc.WaitAcked(t, len(want)), want)
}

// TestSkippedEventsAdvanceCursor: events the hook has no callback for are
// passed over, and the cursor reaches the log's end.
func TestSkippedEventsAdvanceCursor(t *testing.T) {
	e := MustEnv(t)
	rc := MustReceiver(t, Always(http.StatusOK))
	hook := NewFakeHook(roomd.HookTencent, appA, rc.URL)
	hook.skip = roomd.EventMemberJoined
	d := e.MustStart(t, []uint32{appA}, []roomd.Hook{hook}, webhook.Options{})

	e.MustCreateRoom(t, appA, "a")
	e.MustAddMember(t, appA, "a", "bob")
	e.MustCreateRoom(t, appA, "b")
	WaitFor(t, "the cursor at the log's end", func() bool { return e.MustCursor(t, appA, roomd.HookTencent) == 5 })
	all := e.MustLog(t, appA, 0)
	WantSame(t, "acknowledged deliveries (room.created only)", rc.Acked(), []string{all[0], all[3]})
	if s := HookStats(t, d, appA, roomd.HookTencent); s.Delivered != 2 {
		t.Errorf("delivered: got %d, want 2", s.Delivered)
	}
}

// TestHungReceiverDoesNotDelayOtherApps: while app A's receiver hangs,
// app B's callbacks arrive.
func TestHungReceiverDoesNotDelayOtherApps(t *testing.T) {
	e := MustEnv(t)
	hung := MustReceiver(t, Always(Hang))
	good := MustReceiver(t, Always(http.StatusOK))
	hook := NewFakeHook(roomd.HookTencent, appA, hung.URL)
	hook.SetURL(appB, good.URL)
	d := e.MustStart(t, []uint32{appA, appB}, []roomd.Hook{hook}, webhook.Options{Timeout: time.Hour})

	e.MustCreateRoom(t, appA, "a")
	WaitFor(t, "app A's receiver to be called", func() bool { return len(hung.Calls()) == 1 })
	start := time.Now()
	e.MustCreateRoom(t, appB, "b")
	e.MustAddMember(t, appB, "b", "bob")
	want := e.MustLog(t, appB, 0)
	WantSame(t, "app B's acknowledged deliveries", good.WaitAcked(t, len(want)), want)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("app B's callbacks took %v, want well under 5s", took)
	}
	if s := HookStats(t, d, appA, roomd.HookTencent); s.Delivered != 0 || len(hung.Calls()) != 1 {
		t.Errorf("app A: got %d delivered and %d calls, want 0 and 1 (hung)", s.Delivered, len(hung.Calls()))
	}
}

// TestRedirectNotFollowed: a 302 is a failed attempt; its target is never
// called.
func TestRedirectNotFollowed(t *testing.T) {
	e := MustEnv(t)
	var hits atomic.Int64
	second := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(second.Close)
	first := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, second.URL+"/elsewhere", http.StatusFound)
	}))
	t.Cleanup(first.Close)
	hook := NewFakeHook(roomd.HookTencent, appA, first.URL)
	d := e.MustStart(t, []uint32{appA}, []roomd.Hook{hook}, webhook.Options{})

	e.MustCreateRoom(t, appA, "a")
	s := WaitStats(t, d, appA, roomd.HookTencent, "2 failed attempts", func(s webhook.HookStats) bool { return s.Failed >= 2 })
	if s.Delivered != 0 {
		t.Errorf("delivered: got %d, want 0", s.Delivered)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the redirect's target: got %d hits, want 0", n)
	}
	host := strings.TrimPrefix(second.URL, "http://")
	if got := d.Status(context.Background(), appA)[0].LastError; !strings.Contains(got, "redirect to "+host+" was not followed") {
		t.Errorf("last error: got %q, want it to say the redirect to %s was not followed", got, host)
	}
}

// TestOwnListenerRefused: a target whose address is roomd's own listener,
// also by name or through an unspecified listen address, is never called;
// another port is.
func TestOwnListenerRefused(t *testing.T) {
	own := MustReceiver(t, Always(http.StatusOK))
	port := own.Listener.Addr().(*net.TCPAddr).Port
	for _, c := range []struct {
		name     string
		listener net.Addr
		url      string
	}{
		{"same address", own.Listener.Addr(), own.URL},
		{"host name", own.Listener.Addr(), fmt.Sprintf("http://localhost:%d/", port)},
		{"unspecified IPv4 listener", &net.TCPAddr{IP: net.IPv4zero, Port: port}, own.URL},
		{"unspecified IPv6 listener", &net.TCPAddr{IP: net.IPv6unspecified, Port: port}, own.URL},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := len(own.Calls())
			e := MustEnv(t)
			hook := NewFakeHook(roomd.HookTencent, appA, c.url)
			d := e.MustStart(t, []uint32{appA}, []roomd.Hook{hook}, webhook.Options{Listener: c.listener})
			e.MustCreateRoom(t, appA, "a")
			WaitStats(t, d, appA, roomd.HookTencent, "2 failed attempts", func(s webhook.HookStats) bool { return s.Failed >= 2 })
			if got := len(own.Calls()) - before; got != 0 {
				t.Errorf("roomd's listener: got %d calls, want 0", got)
			}
			if c.url == own.URL {
				if got := d.Status(context.Background(), appA)[0].LastError; !strings.Contains(got, "roomd's own listener") {
					t.Errorf("last error: got %q, want it to name roomd's own listener", got)
				}
			}
		})
	}
	t.Run("other port", func(t *testing.T) {
		e := MustEnv(t)
		rc := MustReceiver(t, Always(http.StatusOK))
		hook := NewFakeHook(roomd.HookTencent, appA, rc.URL)
		e.MustStart(t, []uint32{appA}, []roomd.Hook{hook}, webhook.Options{Listener: &net.TCPAddr{IP: net.IPv4zero, Port: port}})
		e.MustCreateRoom(t, appA, "a")
		want := e.MustLog(t, appA, 0)
		WantSame(t, "acknowledged deliveries", rc.WaitAcked(t, len(want)), want)
	})
}

// TestOnlyHTTPURLs: a target that is not an absolute http or https URL
// fails with a clear error.
func TestOnlyHTTPURLs(t *testing.T) {
	for _, u := range []string{"ftp://127.0.0.1/hook", "/relative/hook", "http:///no-host"} {
		t.Run(u, func(t *testing.T) {
			e := MustEnv(t)
			hook := NewFakeHook(roomd.HookZEGO, appA, u)
			d := e.MustStart(t, []uint32{appA}, []roomd.Hook{hook}, webhook.Options{})
			e.MustCreateRoom(t, appA, "a")
			WaitStats(t, d, appA, roomd.HookZEGO, "a failed attempt", func(s webhook.HookStats) bool { return s.Failed >= 1 })
			if got := d.Status(context.Background(), appA)[0].LastError; !strings.Contains(got, "not an absolute http or https URL") {
				t.Errorf("last error: got %q, want it to say only http and https URLs are called", got)
			}
		})
	}
}

// TestSecretsNotLogged: the user information and query of a target's URL,
// and the callbacks' bodies, appear neither in the log nor in the status,
// whether the receiver answers an error or drops the connection.
func TestSecretsNotLogged(t *testing.T) {
	e := MustEnv(t)
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%2 == 1 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}))
	t.Cleanup(srv.Close)
	var logs storetest.LockedBuffer
	hook := NewFakeHook(roomd.HookZEGO, appA, strings.Replace(srv.URL, "//", "//user:hunter2@", 1)+"/hook?token=s3cret")
	d := e.MustStart(t, []uint32{appA}, []roomd.Hook{hook}, webhook.Options{
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	e.MustCreateRoom(t, appA, "a")
	WaitStats(t, d, appA, roomd.HookZEGO, "4 failed attempts", func(s webhook.HookStats) bool { return s.Failed >= 4 })
	st := d.Status(context.Background(), appA)[0]
	d.Close()
	if want := srv.URL + "/hook"; st.URL != want {
		t.Errorf("status URL: got %q, want %q", st.URL, want)
	}
	for what, text := range map[string]string{"log": logs.String(), "status": fmt.Sprintf("%+v", st)} {
		for _, s := range []string{"hunter2", "s3cret", bodySecret} {
			if strings.Contains(text, s) {
				t.Errorf("the %s holds the secret %q:\n%s", what, s, text)
			}
		}
	}
	if !strings.Contains(logs.String(), srv.URL+"/hook") {
		t.Errorf("log: got %q, want it to name the redacted URL %s/hook", logs.String(), srv.URL)
	}
}
