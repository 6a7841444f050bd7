package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/roomd/roomd"
)

// TestLease: a lease is one holder's until its ttl passes by the
// database's clock; its holder renews it, another takes it once it has
// lapsed or been released, and a non-holder's Release does nothing.
func TestLease(t *testing.T) {
	dsn := freshSchema(t)
	mustMigrate(t, dsn)
	a, b := mustOpen(t, dsn), mustOpen(t, dsn) // two nodes
	ctx := context.Background()
	hold := func(db roomd.Leaser, holder string, ttl time.Duration, want bool) {
		t.Helper()
		got, err := db.Hold(ctx, "webhooks/7", holder, ttl)
		if err != nil || got != want {
			t.Fatalf("Hold(%s, %v): got %v, %v; want %v, nil", holder, ttl, got, err, want)
		}
	}
	const ttl = 300 * time.Millisecond
	hold(a, "a", ttl, true)
	hold(b, "b", ttl, false)
	hold(a, "a", ttl, true) // renewed
	if other, err := b.Hold(ctx, "webhooks/8", "b", ttl); err != nil || !other {
		t.Fatalf("Hold of another lease: got %v, %v; want true, nil", other, err)
	}
	time.Sleep(ttl + 100*time.Millisecond)
	hold(b, "b", ttl, true) // a's lapsed
	hold(a, "a", ttl, false)
	if err := a.Release(ctx, "webhooks/7", "a"); err != nil {
		t.Fatal(err)
	}
	hold(a, "a", ttl, false) // a's Release did not drop b's lease
	if err := b.Release(ctx, "webhooks/7", "b"); err != nil {
		t.Fatal(err)
	}
	hold(a, "a", time.Hour, true) // released: taken at once
	for _, bad := range []struct {
		name, holder string
		ttl          time.Duration
	}{{"", "a", ttl}, {"x", "", ttl}, {"x", "a", 0}} {
		if _, err := a.Hold(ctx, bad.name, bad.holder, bad.ttl); roomd.ErrorCode(err) != roomd.EINVALID {
			t.Fatalf("Hold(%q, %q, %v): got %v, want EINVALID", bad.name, bad.holder, bad.ttl, err)
		}
	}
}
