package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/roomd/roomd/postgres"
)

// LocalSet is the presence of one node's own connections, as the
// gateway's hub keeps it.
type LocalSet struct {
	mu sync.Mutex
	on map[string]bool
}

// Set marks user of app 1 online or offline.
func (s *LocalSet) Set(user string, online bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.on == nil {
		s.on = map[string]bool{}
	}
	s.on[user] = online
}

// Online returns those of users online (app 1 only).
func (s *LocalSet) Online(_ context.Context, app uint32, users []string) (map[string]bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]bool{}
	for _, u := range users {
		if app == 1 && s.on[u] {
			out[u] = true
		}
	}
	return out, nil
}

// MustRunPresence runs p until stop is called or the test ends.
func MustRunPresence(tb testing.TB, p *postgres.Presence) (stop func()) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = p.Run(ctx)
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	tb.Cleanup(stop)
	return stop
}

// waitOnline waits, up to 10 s, until p says users' online states are want.
func waitOnline(tb testing.TB, p *postgres.Presence, want map[string]bool) {
	tb.Helper()
	users := make([]string, 0, len(want))
	for u := range want {
		users = append(users, u)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := p.Online(context.Background(), 1, users)
		if err != nil {
			tb.Fatalf("Online: %v", err)
		}
		same := true
		for u, w := range want {
			same = same && got[u] == w
		}
		if same {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("online after 10 s: got %v, want %v", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestPresenceAcrossNodes: a user connected to node A is online when asked
// through node B, offline once they leave; the users of a node that stops
// cleanly are offline at once, and those of a node that dies (no renewal,
// no goodbye) once its ttl has passed.
func TestPresenceAcrossNodes(t *testing.T) {
	dsn := freshSchema(t)
	mustMigrate(t, dsn)
	const ttl = 500 * time.Millisecond
	var localA, localB LocalSet
	dbA := mustOpen(t, dsn)
	a := dbA.Presence("node-a", &localA, ttl)
	b := mustOpen(t, dsn).Presence("node-b", &localB, ttl)
	stopA := MustRunPresence(t, a)
	MustRunPresence(t, b)

	localA.Set("ann", true)
	a.Changed(1, "ann")
	localB.Set("bob", true)
	b.Changed(1, "bob")
	waitOnline(t, b, map[string]bool{"ann": true, "bob": true, "cy": false})
	waitOnline(t, a, map[string]bool{"ann": true, "bob": true, "cy": false})

	localA.Set("ann", false)
	a.Changed(1, "ann")
	waitOnline(t, b, map[string]bool{"ann": false, "bob": true})

	localA.Set("ann", true)
	a.Changed(1, "ann")
	waitOnline(t, b, map[string]bool{"ann": true})
	stopA() // a clean stop deletes a's rows
	if got, err := b.Online(context.Background(), 1, []string{"ann"}); err != nil || got["ann"] {
		t.Fatalf("ann right after node a stopped: got %v, %v; want offline", got, err)
	}

	// Node c dies: its database connection goes away without a word.
	var localC LocalSet
	dbC := mustOpen(t, dsn)
	c := dbC.Presence("node-c", &localC, ttl)
	MustRunPresence(t, c)
	localC.Set("cy", true)
	c.Changed(1, "cy")
	waitOnline(t, b, map[string]bool{"cy": true})
	dbC.Close() // renewals and the goodbye now fail
	died := time.Now()
	waitOnline(t, b, map[string]bool{"cy": false})
	if took := time.Since(died); took < ttl/2 {
		t.Fatalf("cy went offline %v after node c died: want about the ttl (%v), not at once", took, ttl)
	}
}
