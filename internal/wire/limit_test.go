package wire_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/roomd/roomd/internal/wire"
)

// t0 is the fixed clock the limiter tests start from.
var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// allowN calls l.Allow n times at now and returns how many were allowed.
func allowN(l *wire.Limiters, key string, perSecond float64, burst, n int, now time.Time) int {
	allowed := 0
	for range n {
		if l.Allow(key, perSecond, burst, now) {
			allowed++
		}
	}
	return allowed
}

func TestLimiters(t *testing.T) {
	t.Run("BurstThenRefused", func(t *testing.T) {
		l := wire.NewLimiters()
		for i := range 5 {
			if !l.Allow("app/QueryGroupInfo", 1, 5, t0) {
				t.Fatalf("call %d of the burst refused, want allowed", i+1)
			}
		}
		if l.Allow("app/QueryGroupInfo", 1, 5, t0) {
			t.Errorf("call 6 with burst 5 at the same instant allowed, want refused")
		}
	})

	t.Run("RefillAfterTime", func(t *testing.T) {
		l := wire.NewLimiters()
		const key, rate, burst = "app/TransferGroupOwner", 2, 2
		if got := allowN(l, key, rate, burst, 10, t0); got != burst {
			t.Fatalf("at t0 allowed %d of 10, want %d", got, burst)
		}
		if got := allowN(l, key, rate, burst, 10, t0.Add(499*time.Millisecond)); got != 0 {
			t.Errorf("after 499ms at 2/s allowed %d, want 0", got)
		}
		if got := allowN(l, key, rate, burst, 10, t0.Add(500*time.Millisecond)); got != 1 {
			t.Errorf("after 500ms at 2/s allowed %d, want 1", got)
		}
		if got := allowN(l, key, rate, burst, 10, t0.Add(10*time.Second)); got != burst {
			t.Errorf("after 10s allowed %d, want the burst %d (the bucket is capped)", got, burst)
		}
	})

	t.Run("KeysIndependent", func(t *testing.T) {
		l := wire.NewLimiters()
		if got := allowN(l, "a", 1, 3, 5, t0); got != 3 {
			t.Fatalf("key a allowed %d of 5, want 3", got)
		}
		if got := allowN(l, "b", 1, 3, 5, t0); got != 3 {
			t.Errorf("key b after a was exhausted allowed %d of 5, want 3", got)
		}
		if got := l.Len(); got != 2 {
			t.Errorf("Len = %d, want 2", got)
		}
	})

	t.Run("IdleKeysForgotten", func(t *testing.T) {
		l := wire.NewLimiters()
		l.Allow("a", 1, 1, t0)
		l.Allow("b", 1, 1, t0.Add(time.Second))
		l.Allow("c", 1, 1, t0.Add(4*time.Minute))
		if got := l.Len(); got != 3 {
			t.Fatalf("Len after a, b, c within 4m = %d, want 3", got)
		}
		l.Allow("d", 1, 1, t0.Add(5*time.Minute+time.Second))
		if got := l.Len(); got != 3 {
			t.Errorf("Len at +5m1s = %d, want 3 (a idle 5m1s forgotten; b idle exactly 5m, c and d kept)", got)
		}
		l.Allow("d", 1, 1, t0.Add(10*time.Minute+2*time.Second))
		if got := l.Len(); got != 1 {
			t.Errorf("Len at +10m2s = %d, want 1 (only d, used now)", got)
		}
	})

	t.Run("RecentUseKeepsKey", func(t *testing.T) {
		l := wire.NewLimiters()
		l.Allow("a", 1, 1, t0)
		l.Allow("b", 1, 1, t0)
		l.Allow("a", 1, 1, t0.Add(4*time.Minute))
		l.Allow("c", 1, 1, t0.Add(6*time.Minute))
		if got := l.Len(); got != 2 {
			t.Errorf("Len = %d, want 2 (b forgotten, a used 2m ago kept, c)", got)
		}
	})

	t.Run("ForgottenKeyStartsFull", func(t *testing.T) {
		// At 1 call per hour a remembered bucket has refilled only a tenth
		// of a token after 6 minutes; a forgotten key gets a full one.
		l := wire.NewLimiters()
		const perHour = 1.0 / 3600
		if !l.Allow("a", perHour, 1, t0) {
			t.Fatal("first call refused, want allowed")
		}
		if l.Allow("a", perHour, 1, t0.Add(time.Minute)) {
			t.Fatal("second call a minute later allowed, want refused")
		}
		later := t0.Add(time.Minute + 6*time.Minute)
		l.Allow("other", perHour, 1, later) // sweeps idle keys
		if !l.Allow("a", perHour, 1, later) {
			t.Errorf("call on a key idle for 6m refused, want allowed (the key should have been forgotten)")
		}
	})

	t.Run("ManyKeysBounded", func(t *testing.T) {
		l := wire.NewLimiters()
		for i := range 1000 {
			l.Allow(fmt.Sprintf("group-%d", i), 1, 1, t0.Add(time.Duration(i)*time.Millisecond))
		}
		if got := l.Len(); got != 1000 {
			t.Fatalf("Len = %d, want 1000", got)
		}
		l.Allow("late", 1, 1, t0.Add(time.Hour))
		if got := l.Len(); got != 1 {
			t.Errorf("Len an hour later = %d, want 1", got)
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		l := wire.NewLimiters()
		const burst, workers, calls = 50, 8, 20
		var mu sync.Mutex
		allowed := 0
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				n := allowN(l, "shared", 1, burst, calls, t0)
				mu.Lock()
				allowed += n
				mu.Unlock()
			})
		}
		wg.Wait()
		if allowed != burst {
			t.Errorf("%d concurrent calls at one instant: %d allowed, want the burst %d", workers*calls, allowed, burst)
		}
	})
}

// BenchmarkLimitersAllow measures Allow on a busy key, for comparison with
// postgres.Limiter's calls served from a node's stock.
func BenchmarkLimitersAllow(b *testing.B) {
	l := wire.NewLimiters()
	for b.Loop() {
		l.Allow("k", 1e7, 1e6, time.Now())
	}
}
