package storetest

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/roomd/roomd"
)

// nonceTests check Store.UseNonce: a nonce is accepted once per app while
// unexpired, and concurrent uses of one nonce let exactly one through.
var nonceTests = []test{
	{"FirstUseThenReplay", func(t *testing.T, f *fixture) {
		now := f.clock.Now()
		wantNonce(t, claim(f.ctx, f.store, app, "n1", now, now.Add(10*time.Minute)), "")
		wantNonce(t, claim(f.ctx, f.store, app, "n1", now, now.Add(10*time.Minute)), roomd.EEXISTS)
		// A later use with another expiry is the same nonce.
		wantNonce(t, claim(f.ctx, f.store, app, "n1", now.Add(time.Minute), now.Add(11*time.Minute)), roomd.EEXISTS)
	}},
	{"AppsApart", func(t *testing.T, f *fixture) {
		now := f.clock.Now()
		wantNonce(t, claim(f.ctx, f.store, app, "n1", now, now.Add(time.Minute)), "")
		wantNonce(t, claim(f.ctx, f.store, otherApp, "n1", now, now.Add(time.Minute)), "")
		wantNonce(t, claim(f.ctx, f.store, app, "n2", now, now.Add(time.Minute)), "")
	}},
	{"NoncesDiffer", func(t *testing.T, f *fixture) {
		// Nonces that differ only in case or by a prefix are different nonces.
		now := f.clock.Now()
		for _, n := range []string{"abc", "ABC", "abcd", "ab", "a bc", "0"} {
			wantNonce(t, claim(f.ctx, f.store, app, n, now, now.Add(time.Minute)), "")
		}
	}},
	{"ForgottenAfterExpiry", func(t *testing.T, f *fixture) {
		now := f.clock.Now()
		wantNonce(t, claim(f.ctx, f.store, app, "n1", now, now.Add(10*time.Minute)), "")
		// Still remembered at its expiry; a store may keep it a little longer.
		wantNonce(t, claim(f.ctx, f.store, app, "n1", now.Add(10*time.Minute), now.Add(20*time.Minute)), roomd.EEXISTS)
		later := now.Add(12 * time.Minute)
		wantNonce(t, claim(f.ctx, f.store, app, "n1", later, later.Add(10*time.Minute)), "")
		wantNonce(t, claim(f.ctx, f.store, app, "n1", later, later.Add(10*time.Minute)), roomd.EEXISTS)
	}},
	{"ConcurrentReplays", func(t *testing.T, f *fixture) {
		now := f.clock.Now()
		const nonces, tries = 20, 8
		var mu sync.Mutex
		accepted := map[string]int{}
		var wg sync.WaitGroup
		for i := range nonces * tries {
			wg.Go(func() {
				n := "c" + strconv.Itoa(i%nonces)
				err := claim(f.ctx, f.store, app, n, now, now.Add(time.Minute))
				if err != nil && roomd.ErrorCode(err) != roomd.EEXISTS {
					t.Errorf("UseNonce(%s): got error %v, want nil or EEXISTS", n, err)
					return
				}
				if err == nil {
					mu.Lock()
					accepted[n]++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		for i := range nonces {
			if n := "c" + strconv.Itoa(i); accepted[n] != 1 {
				t.Errorf("nonce %s: accepted %d times out of %d, want exactly once", n, accepted[n], tries)
			}
		}
	}},
	{"ServiceRefusesBadNonces", func(t *testing.T, f *fixture) {
		now := f.clock.Now()
		wantNonce(t, claim(f.ctx, f.svc, app, "", now, now.Add(time.Minute)), roomd.EINVALID)
		long := string(make([]byte, roomd.MaxNonceLen+1))
		wantNonce(t, claim(f.ctx, f.svc, app, long, now, now.Add(time.Minute)), roomd.EINVALID)
		wantNonce(t, claim(f.ctx, f.svc, app, "n1", now, now.Add(-time.Second)), roomd.EINVALID)
		wantNonce(t, claim(f.ctx, f.svc, app, "n1", now, now), "")
		wantNonce(t, claim(f.ctx, f.svc, app, "n1", now, now), roomd.EEXISTS)
	}},
}

// nonceUser is a roomd.Store or a roomd.Service.
type nonceUser interface {
	UseNonce(ctx context.Context, app uint32, nonce string, now, expires time.Time) (func() error, error)
}

// claim claims a nonce through u and waits until the claim is durable.
func claim(ctx context.Context, u nonceUser, app uint32, nonce string, now, expires time.Time) error {
	wait, err := u.UseNonce(ctx, app, nonce, now, expires)
	if err != nil {
		return err
	}
	return wait()
}

// wantNonce fails the test unless err has the domain code want ("" for nil).
func wantNonce(t *testing.T, err error, want string) {
	t.Helper()
	if got := roomd.ErrorCode(err); got != want {
		t.Fatalf("UseNonce: got code %q (%v), want %q", got, err, want)
	}
}
