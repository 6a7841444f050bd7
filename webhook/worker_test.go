package webhook_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/webhook"
)

// TestCursorSurvivesRestart: a new Dispatcher over the same store goes on
// after the cursor: nothing acknowledged is posted again, and what was not
// acknowledged is.
func TestCursorSurvivesRestart(t *testing.T) {
	for _, c := range []struct {
		name        string
		cursorEvery int
	}{{"cursor every event", 1}, {"cursor every 100 events", 100}} {
		t.Run(c.name, func(t *testing.T) {
			e := MustEnv(t)
			var down atomic.Bool
			rc := MustReceiver(t, func(int) int {
				if down.Load() {
					return http.StatusServiceUnavailable
				}
				return http.StatusOK
			})
			hook := NewFakeHook(roomd.HookTencent, appA, rc.URL)
			opts := webhook.Options{CursorEvery: c.cursorEvery}
			d := e.MustStart(t, []uint32{appA}, []roomd.Hook{hook}, opts)
			e.MustCreateRoom(t, appA, "a")
			e.MustAddMember(t, appA, "a", "bob")
			rc.WaitAcked(t, 3)
			WaitFor(t, "the cursor at 3", func() bool { return e.MustCursor(t, appA, roomd.HookTencent) == 3 })

			down.Store(true)
			e.MustCreateRoom(t, appA, "b") // positions 4 and 5: 4 fails until the restart
			WaitStats(t, d, appA, roomd.HookTencent, "a failed attempt", func(s webhook.HookStats) bool { return s.Failed >= 1 })
			d.Close()
			if got := e.MustCursor(t, appA, roomd.HookTencent); got != 3 {
				t.Errorf("cursor after Close: got %d, want 3", got)
			}
			e.MustAddMember(t, appA, "b", "bob") // no Dispatcher runs
			down.Store(false)

			e.MustStart(t, []uint32{appA}, []roomd.Hook{hook}, opts)
			want := e.MustLog(t, appA, 0)
			WantSame(t, "acknowledged deliveries", rc.WaitAcked(t, len(want)), want)
			WaitFor(t, "the cursor at the log's end", func() bool { return e.MustCursor(t, appA, roomd.HookTencent) == 6 })
		})
	}
}

// TestCloseKeepsProgress: Close, which aborts a callback in flight,
// persists the cursor past the callbacks acknowledged before it, although
// CursorEvery was not reached.
func TestCloseKeepsProgress(t *testing.T) {
	e := MustEnv(t)
	rc := MustReceiver(t, func(n int) int {
		if n < 2 {
			return http.StatusOK
		}
		return Hang
	})
	hook := NewFakeHook(roomd.HookZEGO, appA, rc.URL)
	d := e.MustStart(t, []uint32{appA}, []roomd.Hook{hook}, webhook.Options{Timeout: time.Hour})
	// One transaction, three events: the worker gets them in one round.
	if _, _, err := e.Svc.CreateRoom(context.Background(), admin, roomd.Room{AppID: appA, ID: "a", Owner: "ann"}, []string{"bob"}); err != nil {
		t.Fatal(err)
	}
	WaitFor(t, "the third callback in flight", func() bool { return len(rc.Calls()) == 3 })
	if got := e.MustCursor(t, appA, roomd.HookZEGO); got != 0 {
		t.Fatalf("cursor before Close: got %d, want 0 (CursorEvery is 100)", got)
	}
	d.Close()
	if got := e.MustCursor(t, appA, roomd.HookZEGO); got != 2 {
		t.Errorf("cursor after Close: got %d, want 2", got)
	}
	if s := HookStats(t, d, appA, roomd.HookZEGO); s.Failed != 0 || s.Delivered != 2 {
		t.Errorf("got %d failed and %d delivered, want 0 (the aborted attempt is no failure) and 2", s.Failed, s.Delivered)
	}
}

// TestPollFindsUnpublishedEvents: an idle worker looks for events every
// Poll, also when no Publish tells it of them.
func TestPollFindsUnpublishedEvents(t *testing.T) {
	e := MustEnv(t)
	rc := MustReceiver(t, Always(http.StatusOK))
	hook := NewFakeHook(roomd.HookTencent, appA, rc.URL)
	e.MustStart(t, []uint32{appA}, []roomd.Hook{hook}, webhook.Options{Poll: 20 * time.Millisecond})
	e.relay.d.Store(nil)
	e.MustCreateRoom(t, appA, "a")
	want := e.MustLog(t, appA, 0)
	WantSame(t, "acknowledged deliveries", rc.WaitAcked(t, len(want)), want)
}

// TestCompactedEventsExpire: events compacted away while the receiver was
// down are counted expired, and the others are delivered.
func TestCompactedEventsExpire(t *testing.T) {
	e := MustEnv(t)
	rc, up := MustDownReceiver(t)
	hook := NewFakeHook(roomd.HookZEGO, appA, rc.URL)
	d := e.MustStart(t, []uint32{appA}, []roomd.Hook{hook}, webhook.Options{
		Backoff: func(int) time.Duration { return 5 * time.Millisecond },
	})
	e.MustCreateRoom(t, appA, "a")       // positions 1, 2
	e.MustAddMember(t, appA, "a", "bob") // 3: a's last
	e.MustCreateRoom(t, appA, "b")       // 4, 5: b's last
	WaitStats(t, d, appA, roomd.HookZEGO, "a failed attempt", func(s webhook.HookStats) bool { return s.Failed >= 1 })

	e.Clock.Advance(time.Hour)
	if got := HookStats(t, d, appA, roomd.HookZEGO).OldestUndelivered; got != time.Hour {
		t.Errorf("oldest undelivered: got %v, want 1h", got)
	}
	n, err := e.Svc.Compact(context.Background(), roomd.Retention{MaxAge: time.Minute, MinEvents: 1}, 0)
	if err != nil || n != 3 {
		t.Fatalf("Compact: got %d, %v; want 3 events deleted", n, err)
	}
	e.MustCreateRoom(t, appA, "c") // 6, 7
	up.Store(true)
	d.Reload()

	want := e.MustLog(t, appA, 0) // 3, 5, 6, 7
	if len(want) != 4 {
		t.Fatalf("log after compaction: got %v, want 4 events", want)
	}
	WantSame(t, "acknowledged deliveries", rc.WaitAcked(t, len(want)), want)
	s := WaitStats(t, d, appA, roomd.HookZEGO, "4 delivered, none pending", func(s webhook.HookStats) bool {
		return s.Delivered == 4 && s.OldestUndelivered == 0
	})
	if s.Expired != 3 {
		t.Errorf("expired: got %d, want 3", s.Expired)
	}
	if got := d.Stats().Styles[roomd.HookZEGO]; got != s.Counters {
		t.Errorf("style totals: got %+v, want the one app's %+v", got, s.Counters)
	}
	if got := d.Status(context.Background(), appA)[0].LastError; !strings.Contains(got, "compacted") {
		t.Errorf("last error: got %q, want it to report the compacted events", got)
	}
}

// TestPausedTargetKeepsCursor: while an app has no target nothing is sent
// and its cursor stays; once it has one again, delivery resumes there.
func TestPausedTargetKeepsCursor(t *testing.T) {
	e := MustEnv(t)
	rc := MustReceiver(t, Always(http.StatusOK))
	hook := NewFakeHook(roomd.HookTencent, appA, rc.URL)
	// Polls never come: only a Publish or a reload wakes the worker.
	d := e.MustStart(t, []uint32{appA, appB}, []roomd.Hook{hook}, webhook.Options{Poll: time.Hour})
	e.MustCreateRoom(t, appA, "a")
	rc.WaitAcked(t, 2)
	WaitFor(t, "the cursor at 2", func() bool { return e.MustCursor(t, appA, roomd.HookTencent) == 2 })

	hook.SetURL(appA, "")
	e.MustCreateRoom(t, appA, "b")
	d.Reload()
	time.Sleep(200 * time.Millisecond) // time enough to post, were the target not paused
	if got := len(rc.Calls()); got != 2 {
		t.Errorf("calls while paused: got %d, want 2 (those before)", got)
	}
	st := d.Status(context.Background(), appA)[0]
	if st.Configured || st.Cursor != 2 || st.Backlog != 2 {
		t.Errorf("status while paused: got configured %v, cursor %d, backlog %d; want false, 2, 2", st.Configured, st.Cursor, st.Backlog)
	}

	// A paused worker is not woken by events, nor by another app's reload.
	hook.SetURL(appA, rc.URL)
	e.MustCreateRoom(t, appA, "c")
	d.ReloadApp(appB)
	time.Sleep(200 * time.Millisecond)
	if got := len(rc.Calls()); got != 2 {
		t.Errorf("calls before the app's reload: got %d, want 2", got)
	}
	d.ReloadApp(appA)
	want := e.MustLog(t, appA, 0)
	WantSame(t, "acknowledged deliveries", rc.WaitAcked(t, len(want)), want)
}

// TestReloadCutsBackoffShort: a Publish does not end a retry wait; a
// Reload does, and the callback is retried at once.
func TestReloadCutsBackoffShort(t *testing.T) {
	e := MustEnv(t)
	rc := MustReceiver(t, func(n int) int {
		if n == 0 {
			return http.StatusBadGateway
		}
		return http.StatusOK
	})
	hook := NewFakeHook(roomd.HookTencent, appA, rc.URL)
	d := e.MustStart(t, []uint32{appA}, []roomd.Hook{hook}, webhook.Options{
		Backoff: func(int) time.Duration { return time.Hour },
	})
	e.MustCreateRoom(t, appA, "a")
	WaitStats(t, d, appA, roomd.HookTencent, "a failed attempt", func(s webhook.HookStats) bool { return s.Failed == 1 })
	e.MustCreateRoom(t, appA, "b") // published: wakes the worker, which is waiting out its back-off
	time.Sleep(200 * time.Millisecond)
	if got := len(rc.Calls()); got != 1 {
		t.Fatalf("calls during the back-off: got %d, want 1", got)
	}

	d.Reload()
	want := e.MustLog(t, appA, 0)
	WantSame(t, "acknowledged deliveries", rc.WaitAcked(t, len(want)), want)
	if s := HookStats(t, d, appA, roomd.HookTencent); s.Retried != 1 || s.Failed != 1 {
		t.Errorf("got %d retried and %d failed, want 1 and 1", s.Retried, s.Failed)
	}
}

// TestStoppedCursorRestartsAtEnd: a cursor stopped while its callback is
// being retried stays stopped; the worker starts a new one at the log's
// end and the dropped callbacks are not posted.
func TestStoppedCursorRestartsAtEnd(t *testing.T) {
	e := MustEnv(t)
	rc, up := MustDownReceiver(t)
	hook := NewFakeHook(roomd.HookTencent, appA, rc.URL)
	d := e.MustStart(t, []uint32{appA}, []roomd.Hook{hook}, webhook.Options{
		Backoff: func(int) time.Duration { return 5 * time.Millisecond },
	})
	e.MustCreateRoom(t, appA, "a")
	WaitStats(t, d, appA, roomd.HookTencent, "a failed attempt", func(s webhook.HookStats) bool { return s.Failed >= 1 })
	if err := e.Svc.StopHook(context.Background(), appA, roomd.HookTencent); err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(time.Minute)
	WaitFor(t, "a new cursor at 2", func() bool { return e.MustCursor(t, appA, roomd.HookTencent) == 2 })
	WaitStats(t, d, appA, roomd.HookTencent, "nothing pending", func(s webhook.HookStats) bool { return s.OldestUndelivered == 0 })
	up.Store(true)
	e.MustCreateRoom(t, appA, "b")
	want := e.MustLog(t, appA, 2)
	WantSame(t, "acknowledged deliveries", rc.WaitAcked(t, len(want)), want)
}

// TestPublishNeverBlocks: Publish and Reload return at once, however many
// times they are called, while the receiver hangs.
func TestPublishNeverBlocks(t *testing.T) {
	e := MustEnv(t)
	rc := MustReceiver(t, Always(Hang))
	hook := NewFakeHook(roomd.HookTencent, appA, rc.URL)
	d := e.MustStart(t, []uint32{appA, appB}, []roomd.Hook{hook}, webhook.Options{Timeout: time.Hour})
	e.MustCreateRoom(t, appA, "a")
	WaitFor(t, "the receiver to hang", func() bool { return len(rc.Calls()) == 1 })

	done := make(chan struct{})
	go func() {
		defer close(done)
		events := []roomd.Event{{AppID: appA}, {AppID: appA}, {AppID: appB}, {AppID: 99}}
		for range 100_000 {
			d.Publish(context.Background(), events)
		}
		for range 1000 {
			d.Reload()
		}
	}()
	select {
	case <-done:
	case <-time.After(within):
		t.Fatalf("100,000 Publish calls did not return within %v", within)
	}
}

// TestBackoff: the default back-off doubles from 2 s to 32 s, then stays at
// a minute.
func TestBackoff(t *testing.T) {
	var got []time.Duration
	for attempt := 1; attempt <= 8; attempt++ {
		got = append(got, webhook.Backoff(attempt))
	}
	want := []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, time.Minute, time.Minute, time.Minute}
	if !slices.Equal(got, want) {
		t.Errorf("Backoff(1..8): got %v, want %v", got, want)
	}
	if got := webhook.Backoff(1 << 30); got != time.Minute {
		t.Errorf("Backoff(1<<30): got %v, want 1m", got)
	}
}
