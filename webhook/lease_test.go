package webhook_test

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/webhook"
)

// MemLeaser is a roomd.Leaser in memory, timed by the real clock, shared
// by the Dispatchers of a test as a database is by nodes. A holder marked
// dead neither renews nor releases: it is a node that stopped answering.
type MemLeaser struct {
	mu     sync.Mutex
	leases map[string]memLease
	dead   map[string]bool
}

type memLease struct {
	holder string
	until  time.Time
}

// NewMemLeaser returns a MemLeaser with no leases.
func NewMemLeaser() *MemLeaser {
	return &MemLeaser{leases: map[string]memLease{}, dead: map[string]bool{}}
}

// Hold takes or renews the lease unless another holder's lasts.
func (m *MemLeaser) Hold(_ context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if err := roomd.CheckLease(name, holder, ttl); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.dead[holder] {
		return false, roomd.Internal(context.DeadlineExceeded)
	}
	now := time.Now()
	if l, ok := m.leases[name]; ok && l.holder != holder && now.Before(l.until) {
		return false, nil
	}
	m.leases[name] = memLease{holder, now.Add(ttl)}
	return true, nil
}

// Release drops holder's lease.
func (m *MemLeaser) Release(_ context.Context, name, holder string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.leases[name]; ok && l.holder == holder && !m.dead[holder] {
		delete(m.leases, name)
	}
	return nil
}

// Kill makes holder dead.
func (m *MemLeaser) Kill(holder string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dead[holder] = true
}

// Holder returns who holds name now, "" when no one.
func (m *MemLeaser) Holder(name string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.leases[name]; ok && time.Now().Before(l.until) {
		return l.holder
	}
	return ""
}

// TestLeaseOneNodeDelivers: two Dispatchers on one store with one Leaser:
// only the lease holder delivers; when it dies (stops renewing and
// delivering without releasing), the other takes over after the lease's
// ttl, from the durable cursor, with no callback lost or posted twice;
// a holder that closes releases the lease at once.
func TestLeaseOneNodeDelivers(t *testing.T) {
	e := MustEnv(t)
	rc := MustReceiver(t, Always(http.StatusOK))
	leaser := NewMemLeaser()
	const ttl = 300 * time.Millisecond
	start := func(node string) *webhook.Dispatcher {
		hook := NewFakeHook(roomd.HookTencent, appA, rc.URL)
		return e.MustStart(t, []uint32{appA}, []roomd.Hook{hook}, webhook.Options{
			Leaser: leaser, Node: node, LeaseTTL: ttl, CursorEvery: 1, Poll: 20 * time.Millisecond, UserAgent: node,
		})
	}
	lease := "webhooks/" + strconv.FormatUint(uint64(appA), 10)
	a := start("a")
	WaitFor(t, "node a to take the lease", func() bool { return leaser.Holder(lease) == "a" })
	b := start("b")
	e.MustCreateRoom(t, appA, "r1")
	e.MustAddMember(t, appA, "r1", "bob")
	want := e.MustLog(t, appA, 0)
	WantSame(t, "acknowledged deliveries", rc.WaitAcked(t, len(want)), want)
	if got := HookStats(t, b, appA, roomd.HookTencent).Delivered; got != 0 {
		t.Fatalf("callbacks delivered by the node without the lease: got %d, want 0", got)
	}

	// a dies, with no callback in flight (one in flight may be posted
	// again): b takes over within the ttl and a third, from the cursor.
	last := e.MustLastPos(t, appA)
	WaitFor(t, "a's cursor to pass the last callback", func() bool { return e.MustCursor(t, appA, roomd.HookTencent) == last })
	leaser.Kill("a")
	died := time.Now()
	a.Close()
	e.MustAddMember(t, appA, "r1", "cat")
	e.MustAddMember(t, appA, "r1", "dan")
	want = e.MustLog(t, appA, 0)
	WantSame(t, "acknowledged deliveries after a died", rc.WaitAcked(t, len(want)), want)
	if took := time.Since(died); took > ttl+ttl/3+500*time.Millisecond {
		t.Fatalf("takeover: got %v, want at most %v", took, ttl+ttl/3)
	}
	// The receiver acknowledges before b counts: wait for b's count.
	WaitStats(t, b, appA, roomd.HookTencent, "b's two deliveries", func(s webhook.HookStats) bool { return s.Delivered >= 2 })
	if got := HookStats(t, b, appA, roomd.HookTencent).Delivered; got != 2 {
		t.Fatalf("callbacks delivered by b after the takeover: got %d, want 2", got)
	}
	for _, c := range rc.Calls()[len(want)-2:] {
		if c.UserAgent != "b" {
			t.Fatalf("callback %s after the takeover: posted by %q, want b", c.Delivery, c.UserAgent)
		}
	}
	if calls := rc.Calls(); len(calls) != len(want) {
		t.Fatalf("callbacks posted: got %d, want %d (none twice)", len(calls), len(want))
	}

	// b closes: it releases, and a new node c takes over at once.
	b.Close()
	if h := leaser.Holder(lease); h != "" {
		t.Fatalf("lease after b closed: held by %q, want released", h)
	}
	start("c")
	e.MustCreateRoom(t, appA, "r2")
	want = e.MustLog(t, appA, 0)
	WantSame(t, "acknowledged deliveries after b closed", rc.WaitAcked(t, len(want)), want)
	if c := rc.Calls()[len(want)-1]; c.UserAgent != "c" {
		t.Fatalf("callback %s after b closed: posted by %q, want c", c.Delivery, c.UserAgent)
	}
}
