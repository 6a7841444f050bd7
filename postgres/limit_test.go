package postgres_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/time/rate"

	"github.com/roomd/roomd/postgres"
	"github.com/roomd/roomd/storetest"
)

// t0 is where the fake clocks of the limiter tests start.
var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// cluster is n stores on one fresh, migrated schema, each with its own
// pool, as n roomd nodes would have; dsn reaches the schema.
type cluster struct {
	dsn string
	dbs []*postgres.DB
}

// mustCluster opens n nodes on a fresh schema, closed in Cleanup.
func mustCluster(tb testing.TB, n int) *cluster {
	tb.Helper()
	c := &cluster{dsn: freshSchema(tb)}
	mustMigrate(tb, c.dsn)
	for range n {
		c.dbs = append(c.dbs, mustOpen(tb, c.dsn))
	}
	return c
}

// limiters returns a limiter on each node, with opts.
func (c *cluster) limiters(opts postgres.LimiterOptions) []*postgres.Limiter {
	out := make([]*postgres.Limiter, len(c.dbs))
	for i, db := range c.dbs {
		out[i] = db.Limiter(opts)
	}
	return out
}

// rows returns the number of rows of the limits table.
func (c *cluster) rows(tb testing.TB) int {
	tb.Helper()
	conn, err := pgx.Connect(context.Background(), c.dsn)
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM limits`).Scan(&n); err != nil {
		tb.Fatalf("count limits: %v", err)
	}
	return n
}

// load is the calls offered to one node: perSecond in all, spread over
// workers goroutines, each on its own schedule.
type load struct {
	perSecond float64
	workers   int
}

// run is what hammer measured.
type run struct {
	admitted, offered int
	elapsed           time.Duration // from the start to the last call
	calls             []time.Time   // the times of the calls, in order
}

// ideal returns how many of r's calls one token bucket of rate and burst
// in one process would have admitted: what a deployment should admit of
// the load the test machine managed to offer.
func (r run) ideal(perSecond float64, burst int) int {
	b := rate.NewLimiter(rate.Limit(perSecond), burst)
	n := 0
	for _, at := range r.calls {
		if b.AllowN(at, 1) {
			n++
		}
	}
	return n
}

// hammer offers loads[i] to nodes[i] on key for d, with the limit
// perSecond and burst. Calls use the real clock.
func hammer(nodes []*postgres.Limiter, loads []load, key string, perSecond float64, burst int, d time.Duration) run {
	var mu sync.Mutex
	var r run
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	for i, l := range loads {
		every := time.Duration(float64(time.Second) * float64(l.workers) / l.perSecond)
		for w := range l.workers {
			wg.Go(func() {
				var calls []time.Time
				admitted := 0
				next := start.Add(every * time.Duration(w) / time.Duration(l.workers))
				for range 1_000_000 { // bounded in count as in time
					if wait := time.Until(next); wait > 0 {
						time.Sleep(wait)
					}
					now := time.Now()
					if !now.Before(end) {
						break
					}
					calls = append(calls, now)
					if nodes[i].Allow(key, perSecond, burst, now) {
						admitted++
					}
					next = next.Add(every)
				}
				mu.Lock()
				defer mu.Unlock()
				r.admitted += admitted
				r.calls = append(r.calls, calls...)
			})
		}
	}
	wg.Wait()
	slices.SortFunc(r.calls, time.Time.Compare)
	r.offered = len(r.calls)
	r.elapsed = d
	if r.offered > 0 {
		r.elapsed = r.calls[r.offered-1].Sub(start)
	}
	return r
}

// trips returns the round trips of all the limiters.
func trips(ls []*postgres.Limiter) uint64 {
	var n uint64
	for _, l := range ls {
		n += l.RoundTrips()
	}
	return n
}

// TestLimiterDeploymentRate: nodes on one database admit, together, the
// configured rate within ±10%, whatever the number of nodes and however
// the calls are spread over them; each node alone would admit the whole
// rate. The measure is what one token bucket in one process would admit
// of the same calls (at their times): rate*d + burst when the machine
// keeps up with the load, less when it stalls (a bucket overflows while
// no call comes). Both ratios are logged; the deployment never admits
// more than rate*d + burst (+10%).
func TestLimiterDeploymentRate(t *testing.T) {
	const perSecond, burst, d = 200.0, 20, 2500 * time.Millisecond
	for _, c := range []struct {
		name  string
		loads []load
	}{
		{"ThreeNodesEven", []load{{400, 4}, {400, 4}, {400, 4}}},
		{"OneNode", []load{{1000, 4}}},
		// 80% of the calls on one node, 2x the rate in all: the two light
		// nodes get less than a third of the rate each.
		{"ThreeNodesUneven", []load{{320, 4}, {40, 1}, {40, 1}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ls := mustCluster(t, len(c.loads)).limiters(postgres.LimiterOptions{})
			r := hammer(ls, c.loads, "app|"+c.name, perSecond, burst, d)
			nominal := perSecond*r.elapsed.Seconds() + burst
			ideal := r.ideal(perSecond, burst)
			ratio := float64(r.admitted) / float64(ideal)
			t.Logf("%s: admitted %d of %d offered in %v; one bucket would admit %d: ratio %.3f; rate*t+burst = %.0f: ratio %.3f; %d round trips (%.4f a call)",
				c.name, r.admitted, r.offered, r.elapsed.Round(time.Millisecond), ideal, ratio, nominal, float64(r.admitted)/nominal,
				trips(ls), float64(trips(ls))/float64(r.offered))
			if ratio < 0.9 || ratio > 1.1 {
				t.Errorf("admitted %d, want %d ±10%% (ratio %.3f)", r.admitted, ideal, ratio)
			}
			if float64(r.admitted) > 1.1*nominal {
				t.Errorf("admitted %d, want at most rate*t+burst = %.0f +10%%", r.admitted, nominal)
			}
			// Chunks of 5 (a quarter of the burst): 40 a second for the
			// deployment, plus the takes that find the bucket empty, at
			// most one per 25ms and node.
			if tps := float64(trips(ls)) / r.elapsed.Seconds(); tps > 40+float64(len(ls))*40 {
				t.Errorf("%.0f round trips a second for %d nodes, want at most %d (chunks of 5)", tps, len(ls), 40+len(ls)*40)
			}
		})
	}
}

func TestLimiter(t *testing.T) {
	// These tests count round trips and tokens on a fake clock: a Timeout
	// long enough that a loaded machine does not make them fail open.
	patient := postgres.LimiterOptions{Timeout: 10 * time.Second}
	t.Run("SharedBurstAndRefill", func(t *testing.T) {
		// A frozen clock: the burst, once, for both nodes together; a
		// second later, one more token for the two.
		ls := mustCluster(t, 2).limiters(patient)
		clock := storetest.NewClock(t0)
		count := func(l *postgres.Limiter, key string) int {
			n := 0
			for range 10 {
				if l.Allow(key, 1, 5, clock.Now()) {
					n++
				}
			}
			return n
		}
		if a, b := count(ls[0], "a"), count(ls[1], "a"); a+b != 5 || a != 5 {
			t.Fatalf("10 calls on each node at one instant, burst 5: got %d + %d admitted, want 5 + 0", a, b)
		}
		if a, b := count(ls[1], "b"), count(ls[0], "b"); a+b != 5 {
			t.Errorf("key b after a was exhausted: got %d + %d admitted, want 5 in all (keys are independent)", a, b)
		}
		clock.Advance(time.Second)
		if a, b := count(ls[0], "a"), count(ls[1], "a"); a+b != 1 {
			t.Errorf("a second later at 1/s: got %d + %d admitted, want 1 in all", a, b)
		}
		clock.Advance(time.Hour)
		if a, b := count(ls[0], "a"), count(ls[1], "a"); a+b != 5 {
			t.Errorf("an hour later: got %d + %d admitted, want the burst 5 (the bucket is capped)", a, b)
		}
	})

	t.Run("NoRoundTripPerCall", func(t *testing.T) {
		// 100/s: chunks of 5 once the key is busy. At a frozen instant the
		// 20 tokens of the burst cost takes of 1, 5, 5, 5 and 4; the last
		// got less than it asked, so the calls after it are refused
		// without a round trip.
		l := mustCluster(t, 1).limiters(patient)[0]
		n := 0
		for range 100 {
			if l.Allow("k", 100, 20, t0) {
				n++
			}
		}
		if n != 20 {
			t.Errorf("100 calls at one instant, burst 20: got %d admitted, want 20", n)
		}
		if got := l.RoundTrips(); got != 5 {
			t.Errorf("round trips for 100 calls: got %d, want 5", got)
		}
	})

	t.Run("UnspentTokensLost", func(t *testing.T) {
		l := mustCluster(t, 1).limiters(postgres.LimiterOptions{Timeout: patient.Timeout, Hold: time.Second})[0]
		l.Allow("k", 100, 100, t0) // takes 1
		l.Allow("k", 100, 100, t0) // takes a chunk of 5, spends 1
		before := l.RoundTrips()
		if !l.Allow("k", 100, 100, t0.Add(999*time.Millisecond)) || l.RoundTrips() != before {
			t.Fatalf("a call within Hold: want allowed from the stock, without a round trip (round trips %d, was %d)", l.RoundTrips(), before)
		}
		if !l.Allow("k", 100, 100, t0.Add(2*time.Second)) || l.RoundTrips() != before+1 {
			t.Errorf("a call after Hold: want allowed after a new take (round trips %d, want %d)", l.RoundTrips(), before+1)
		}
	})

	t.Run("ConcurrentCallsOneTake", func(t *testing.T) {
		// 50 calls at once on one node: one take at a time; the first
		// takes 1, the next a whole chunk (5), so at most 20 tokens cost
		// 5 takes, not 20 or 50.
		l := mustCluster(t, 1).limiters(patient)[0]
		var ok atomic.Int64
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				if l.Allow("k", 100, 20, t0) {
					ok.Add(1)
				}
			})
		}
		wg.Wait()
		if ok.Load() != 20 {
			t.Errorf("50 concurrent calls, burst 20: got %d admitted, want 20", ok.Load())
		}
		if got := l.RoundTrips(); got > 5 {
			t.Errorf("round trips: got %d, want at most 5", got)
		}
	})

	t.Run("IdleKeysForgotten", func(t *testing.T) {
		c := mustCluster(t, 1)
		l := c.limiters(patient)[0]
		for i := range 100 {
			l.Allow(fmt.Sprintf("group-%d", i), 1, 1, t0)
		}
		if got, rows := l.Len(), c.rows(t); got != 100 || rows != 100 {
			t.Fatalf("after 100 keys: got %d keys, %d rows; want 100, 100", got, rows)
		}
		l.Allow("late", 1, 1, t0.Add(6*time.Minute)) // forgets the idle keys, purges their rows
		if got := l.Len(); got != 1 {
			t.Errorf("6 minutes later: got %d keys, want 1", got)
		}
		rows := 0
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if rows = c.rows(t); rows == 1 {
				break
			}
		}
		if rows != 1 {
			t.Errorf("6 minutes later: got %d rows, want 1 (idle rows are purged in the background)", rows)
		}
	})
}

// messages is a slog.Handler that keeps the messages logged through it.
type messages struct {
	mu   sync.Mutex
	msgs []string
}

func (m *messages) Enabled(context.Context, slog.Level) bool { return true }
func (m *messages) WithAttrs([]slog.Attr) slog.Handler       { return m }
func (m *messages) WithGroup(string) slog.Handler            { return m }

func (m *messages) Handle(_ context.Context, r slog.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	msg := r.Message
	r.Attrs(func(a slog.Attr) bool {
		msg += " " + a.String()
		return true
	})
	m.msgs = append(m.msgs, msg)
	return nil
}

// all returns the messages logged.
func (m *messages) all() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.msgs)
}

// count returns how many messages logged contain s.
func (m *messages) count(s string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, msg := range m.msgs {
		if strings.Contains(msg, s) {
			n++
		}
	}
	return n
}

func TestLimiterFailsOpen(t *testing.T) {
	t.Run("StoreClosed", func(t *testing.T) {
		// Two nodes: closed, each admits half the burst on its own,
		// without waiting, and says so once.
		db := mustCluster(t, 1).dbs[0]
		log := new(messages)
		l := db.Limiter(postgres.LimiterOptions{Nodes: 2, Logger: slog.New(log)})
		db.Close()
		checkShare(t, l, t0, "store closed")
		if got := log.count("did not answer"); got != 1 {
			t.Errorf("log: got %d messages saying the database did not answer, want 1 (%q)", got, log.all())
		}
	})

	t.Run("StoreSlow", func(t *testing.T) {
		// The row locked by another transaction: the first call waits
		// Timeout for its take, the next one not at all, and both are
		// judged by the node alone; once the row is free the take in
		// flight answers and the limits are shared again.
		c := mustCluster(t, 1)
		log := new(messages)
		l := c.dbs[0].Limiter(postgres.LimiterOptions{Timeout: 200 * time.Millisecond, Logger: slog.New(log)})
		if !l.Allow("k", 1, 4, t0) {
			t.Fatal("first call refused, want allowed")
		}
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, c.dsn)
		if err != nil {
			t.Fatalf("connect: %v", err)
		}
		defer conn.Close(ctx)
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatalf("begin: %v", err)
		}
		if _, err := tx.Exec(ctx, `SELECT * FROM limits WHERE key = 'k' FOR UPDATE`); err != nil {
			t.Fatalf("lock the row: %v", err)
		}
		for i, within := range []time.Duration{700 * time.Millisecond, 100 * time.Millisecond} {
			start := time.Now()
			ok := l.Allow("k", 1, 4, t0.Add(10*time.Second))
			if took := time.Since(start); took > within {
				t.Errorf("call %d while the row is locked took %v, want less than %v (Timeout 200ms)", i+1, took, within)
			}
			if !ok {
				t.Errorf("call %d while the row is locked: refused, want allowed by the local bucket (fail open)", i+1)
			}
		}
		if got := log.count("did not answer"); got != 1 {
			t.Errorf("log: got %d messages saying the database did not answer, want 1 (%q)", got, log.all())
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Fatalf("rollback: %v", err)
		}
		for deadline := time.Now().Add(5 * time.Second); log.count("shared again") == 0 && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		if log.count("shared again") != 1 {
			t.Errorf("after the row was unlocked: got messages %q, want the limits shared again", log.all())
		}
	})

	t.Run("StoreUnreachable", func(t *testing.T) {
		// The node reaches the database through a proxy that then goes
		// away: calls are judged at once on this node's share (2 nodes:
		// half the burst), the database is tried again only after Retry.
		c := mustCluster(t, 0)
		p := mustProxy(t, c.dsn)
		db := mustOpen(t, p.dsn)
		log := new(messages)
		l := db.Limiter(postgres.LimiterOptions{Nodes: 2, Retry: time.Second, Logger: slog.New(log)})
		if !l.Allow("k", 10, 10, t0) {
			t.Fatal("first call refused, want allowed")
		}
		p.Close()
		later := t0.Add(time.Hour)
		checkShare(t, l, later, "database unreachable")
		before := l.RoundTrips()
		l.Allow("k", 10, 10, later.Add(500*time.Millisecond))
		if got := l.RoundTrips() - before; got != 0 {
			t.Errorf("a call within Retry of the failure: got %d round trips, want 0", got)
		}
		l.Allow("k", 10, 10, later.Add(2*time.Second))
		if got := l.RoundTrips() - before; got != 1 {
			t.Errorf("a call after Retry: got %d round trips, want 1 (the database tried again)", got)
		}
		if got := log.count("did not answer"); got != 1 {
			t.Errorf("log: got %d messages saying the database did not answer, want 1 (%q)", got, log.all())
		}
	})
}

// checkShare makes 20 calls through l at now on key k, limited to 10 a
// second with a burst of 10, while the database is out of reach (why), and
// checks that they are answered at once and that l, one of 2 nodes, admits
// its share of the burst, 5.
func checkShare(t *testing.T, l *postgres.Limiter, now time.Time, why string) {
	t.Helper()
	start := time.Now()
	n := 0
	for range 20 {
		if l.Allow("k", 10, 10, now) {
			n++
		}
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("%s: 20 calls took %v, want well under a second", why, took)
	}
	if n != 5 {
		t.Errorf("%s: 20 calls at one instant, burst 10, 2 nodes: got %d admitted, want 5 (this node's share)", why, n)
	}
}

// proxy forwards TCP connections on 127.0.0.1 to a PostgreSQL server, so
// that a test can make the server unreachable.
type proxy struct {
	dsn   string // the DSN, through the proxy
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

// mustProxy starts a proxy to the server of dsn, closed in Cleanup.
func mustProxy(tb testing.TB, dsn string) *proxy {
	tb.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatalf("%s must be a postgres:// URL to be proxied: %v", envDSN, err)
	}
	target := u.Host
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	u.Host = ln.Addr().String()
	p := &proxy{dsn: u.String(), ln: ln}
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, in, out)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(out, in); out.Close() }()
			go func() { _, _ = io.Copy(in, out); in.Close() }()
		}
	}()
	tb.Cleanup(p.Close)
	return p
}

// Close stops accepting and cuts the connections made.
func (p *proxy) Close() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}

// BenchmarkLimiterAllow measures Allow on a busy key: the calls are served
// from the node's stock; roundtrips/op is the takes per call.
func BenchmarkLimiterAllow(b *testing.B) {
	l := mustCluster(b, 1).limiters(postgres.LimiterOptions{})[0]
	calls := 0
	for b.Loop() {
		l.Allow("k", 1e7, 1e6, time.Now())
		calls++
	}
	b.ReportMetric(float64(l.RoundTrips())/float64(calls), "roundtrips/op")
}
