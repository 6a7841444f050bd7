package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/roomd/roomd"
)

// isolationTests check that Updates are atomic and isolated from each other,
// also when a store commits several together, and that Views see only
// committed data.
var isolationTests = []test{
	{"FailedUpdateLeavesNoTrace", testFailedUpdate},
	{"ConcurrentFailures", testConcurrentFailures},
	{"Panic", testPanic},
	{"CanceledContext", testCanceledContext},
	{"ViewSeesCommittedOnly", testViewSeesCommittedOnly},
	{"ViewSnapshot", testViewSnapshot},
}

// errBoom is what failing update functions return.
var errBoom = errors.New("boom")

// hasUser reports whether user id is registered, seen from a View.
func (f *fixture) hasUser(id string) bool {
	f.t.Helper()
	err := f.txErr(func(tx roomd.Tx) error { _, err := tx.User(f.ctx, app, id); return err })
	if err != nil && roomd.ErrorCode(err) != roomd.ENOUSER {
		f.t.Fatalf("User(%s): got error %v, want nil or %s", id, err, roomd.ENOUSER)
	}
	return err == nil
}

func testFailedUpdate(t *testing.T, f *fixture) {
	f.insertRoom(fullRoom("r1", "ann"))
	err := f.store.Update(f.ctx, func(tx roomd.Tx) error {
		if err := tx.PutUser(f.ctx, &roomd.User{AppID: app, ID: "ghost"}); err != nil {
			return err
		}
		if err := tx.AppendEvents(f.ctx, seqEvents("r1", 1, 2)); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update: got error %v, want %v", err, errBoom)
	}
	if f.hasUser("ghost") {
		t.Fatalf("user written by a failed Update: got registered, want absent")
	}
	if r, _ := f.txRoom(app, "r1"); r.Seq != 0 || len(f.events("r1")) != 0 {
		t.Fatalf("events of a failed Update: got Seq %d, %d events; want 0, 0", r.Seq, len(f.events("r1")))
	}
}

// concurrently runs fn(i) for i in [0, n) in n goroutines started together
// and returns their errors.
func concurrently(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			errs[i] = fn(i)
		}()
	}
	start.Done()
	done.Wait()
	return errs
}

func testConcurrentFailures(t *testing.T, f *fixture) {
	const n = 48
	errs := concurrently(n, func(i int) error {
		return f.store.Update(f.ctx, func(tx roomd.Tx) error {
			if err := tx.PutUser(f.ctx, &roomd.User{AppID: app, ID: fmt.Sprintf("u%02d", i)}); err != nil {
				return err
			}
			if i%3 == 1 {
				return errBoom
			}
			return nil
		})
	})
	for i, err := range errs {
		failed := i%3 == 1
		if failed != errors.Is(err, errBoom) || !failed && err != nil {
			t.Fatalf("Update %d: got error %v, want failure %v", i, err, failed)
		}
		if got := f.hasUser(fmt.Sprintf("u%02d", i)); got == failed {
			t.Fatalf("user of Update %d: got registered %v, want %v", i, got, !failed)
		}
	}
}

func testPanic(t *testing.T, f *fixture) {
	const n = 16
	errs := concurrently(n, func(i int) (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic reached the caller: %v", p)
			}
		}()
		return f.store.Update(f.ctx, func(tx roomd.Tx) error {
			if err := tx.PutUser(f.ctx, &roomd.User{AppID: app, ID: fmt.Sprintf("u%02d", i)}); err != nil {
				return err
			}
			if i == 5 {
				panic("update function panics")
			}
			return nil
		})
	})
	for i, err := range errs {
		want := ""
		if i == 5 {
			want = roomd.EINTERNAL
		}
		wantCode(t, fmt.Sprintf("Update %d", i), err, want)
		if got := f.hasUser(fmt.Sprintf("u%02d", i)); got != (i != 5) {
			t.Fatalf("user of Update %d: got registered %v, want %v", i, got, i != 5)
		}
	}
	f.update(func(tx roomd.Tx) error { return tx.PutUser(f.ctx, &roomd.User{AppID: app, ID: "after"}) })
	if !f.hasUser("after") {
		t.Fatalf("Update after a panic: got user absent, want registered")
	}
}

func testCanceledContext(t *testing.T, f *fixture) {
	ctx, cancel := context.WithCancel(f.ctx)
	cancel()
	ran := false
	err := f.store.Update(ctx, func(tx roomd.Tx) error {
		ran = true
		return tx.PutUser(ctx, &roomd.User{AppID: app, ID: "ann"})
	})
	if !errors.Is(err, context.Canceled) || ran {
		t.Fatalf("Update with a canceled context: got error %v, fn ran %v; want %v, fn not run", err, ran, context.Canceled)
	}
	if f.hasUser("ann") {
		t.Fatalf("user of a canceled Update: got registered, want absent")
	}
}

// waitFor fails the test if ch does not close within a minute (a bound
// against hanging, not a timing assertion).
func waitFor(tb testing.TB, what string, ch <-chan struct{}) {
	tb.Helper()
	select {
	case <-ch:
	case <-time.After(time.Minute):
		tb.Fatalf("%s: still waiting after a minute", what)
	}
}

func testViewSeesCommittedOnly(t *testing.T, f *fixture) {
	written, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- f.store.Update(f.ctx, func(tx roomd.Tx) error {
			if err := tx.PutUser(f.ctx, &roomd.User{AppID: app, ID: "ann"}); err != nil {
				return err
			}
			close(written)
			<-release
			return nil
		})
	}()
	waitFor(t, "Update writing", written)
	seen := f.hasUser("ann")
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("Update: got error %v, want nil", err)
	}
	if seen {
		t.Fatalf("View during an open Update: got its user registered, want absent")
	}
	if !f.hasUser("ann") {
		t.Fatalf("View after the Update: got user absent, want registered")
	}
}

func testViewSnapshot(t *testing.T, f *fixture) {
	f.update(func(tx roomd.Tx) error { return tx.PutUser(f.ctx, &roomd.User{AppID: app, ID: "ann", Name: "before"}) })
	f.view(func(tx roomd.Tx) error {
		first, err := tx.User(f.ctx, app, "ann")
		if err != nil {
			return err
		}
		f.update(func(tx roomd.Tx) error { return tx.PutUser(f.ctx, &roomd.User{AppID: app, ID: "ann", Name: "after"}) })
		second, err := tx.User(f.ctx, app, "ann")
		if err != nil {
			return err
		}
		if first.Name != "before" || second.Name != "before" {
			t.Fatalf("names read in one View around a commit: got %q then %q, want before twice", first.Name, second.Name)
		}
		return nil
	})
	if u := mustUser(t, f, app, "ann"); u.Name != "after" {
		t.Fatalf("name after the View: got %q, want after", u.Name)
	}
}
