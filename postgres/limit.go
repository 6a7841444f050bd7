package postgres

import (
	"context"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/roomd/roomd"
)

// Limiter is a roomd.Limiter whose token buckets live in the limits table,
// shared by every node on the database, so that the deployment as a whole
// admits each configured rate (within about 10%), not the rate times the
// number of nodes.
//
// A call does not cost a round trip. A node takes tokens from a key's
// shared bucket in chunks, spends them locally, and takes the next chunk
// when they run out: one statement (INSERT ... ON CONFLICT DO UPDATE ...
// RETURNING) per chunk, committed with synchronous_commit off, since a
// counter need not survive a crash. A chunk is what this node's calls on
// the key would spend in about Period (at least 1 token, at most
// rate*Period, 1/20 of the rate by default, and a quarter of the burst): a
// busy key costs each node about 1/Period round trips a second (more if the
// burst is under rate*Period*4), an idle one a round trip per call. While
// one call takes a chunk for a key, the node's other calls on that key wait
// for it (up to Timeout) and are then judged on the new stock: one take at
// a time per key and node. A call is admitted only on a token taken from
// the shared bucket, so over any stretch of time the deployment admits at
// most the burst plus the rate times the stretch, plus the stocks the nodes
// held when it began (a chunk each at most). Tokens taken and not spent
// within Hold are lost: that bounds how far a node moves tokens in time,
// and costs a node whose calls stop at most a chunk. When a take gets less
// than it asked for, the bucket is empty: the node refuses the key's calls
// without a round trip until the bucket has refilled a chunk.
//
// The refill is computed in SQL, from the elapsed time between the row's
// last take and the caller's now (the time passed to Allow), capped at the
// burst. The caller's clock rather than the database's, so that a test can
// drive the limits with a fake clock and refills and expiries are measured
// on the same clock; the nodes' clocks must therefore agree (NTP). The row
// keeps the latest time any node passed: a node whose clock is behind gets
// no refill until it catches up, so skew costs at most a skew's worth of
// tokens, never an excess; a row more than maxSkew ahead of a caller is put
// back to the caller's time, so that one node with a clock far ahead cannot
// starve the others.
//
// Allow fails open, judging calls on a bucket in this node that holds
// 1/Nodes of the rate and burst, and never waits more than Timeout: while a
// key's take has been out longer than that, its calls are judged so without
// waiting (the take goes on, abandoned after 10 Timeouts; a take waiting
// for the row's lock gives up on the server before that); after a take
// fails (the database cannot be reached, is closed, or errs), every key is
// judged so for Retry before the database is tried again. The change is
// logged once, and so is the return to the shared buckets when a take
// answers again. Memory is bounded as in wire.Limiters: a key unused for
// idleTTL is forgotten, and rows untouched for as long are deleted now and
// then (a bucket idle that long is full, as a new row starts).
type Limiter struct {
	db   *DB
	opts LimiterOptions
	log  *slog.Logger

	mu      sync.Mutex
	keys    map[string]*stock
	lastGC  time.Time
	down    bool      // the last take failed: keys are judged locally
	retryAt time.Time // while down, when to try the database again
	alone   bool      // calls were judged locally since the last take that answered
	purged  time.Time // when idle rows were last purged

	trips atomic.Uint64 // takes sent to the database (RoundTrips)
}

var _ roomd.Limiter = (*Limiter)(nil)

// LimiterOptions configures a Limiter. Zero fields take the defaults.
type LimiterOptions struct {
	Logger *slog.Logger // nil = the DB's
	// Nodes is how many nodes share the database: while it cannot be
	// reached, each node admits 1/Nodes of each rate and burst on its own.
	// 0 = 1: each node admits the whole rate (fully open).
	Nodes int
	// Period sizes the chunks: a node takes what its calls would spend in
	// about Period, at most rate*Period tokens (and a quarter of the
	// burst). Default 50ms.
	Period time.Duration
	// Hold is how long tokens taken and not spent stay usable. Default 1s.
	Hold time.Duration
	// Timeout bounds how long a call waits for the database: a take out
	// longer than that is not waited for (see Limiter). Default 500ms.
	Timeout time.Duration
	// Retry is how long after a failure the keys are judged locally before
	// the database is tried again. Default 2s.
	Retry time.Duration
}

const (
	// idleTTL is how long a key unused is remembered, in memory and in
	// the table (as in wire.Limiters).
	idleTTL = 5 * time.Minute
	// maxSkew is how far ahead of a caller's clock a row's time may be
	// before the row is put back to the caller's time.
	maxSkew = 5 * time.Second
	// purgeRows bounds the rows one purge of idle rows deletes.
	purgeRows = 1000
)

// Limiter returns a Limiter on db's limits table. It starts nothing and
// needs no closing; after db is closed it fails open (see Limiter).
func (db *DB) Limiter(opts LimiterOptions) *Limiter {
	if opts.Logger == nil {
		opts.Logger = db.log
	}
	opts.Nodes = max(opts.Nodes, 1)
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&opts.Period, 50 * time.Millisecond}, {&opts.Hold, time.Second}, {&opts.Timeout, 500 * time.Millisecond}, {&opts.Retry, 2 * time.Second}} {
		if *d.v <= 0 {
			*d.v = d.def
		}
	}
	return &Limiter{db: db, opts: opts, log: opts.Logger, keys: make(map[string]*stock)}
}

// stock is one key's tokens in this node.
type stock struct {
	tokens  int           // taken from the shared bucket, not yet spent
	expires time.Time     // tokens unspent by then are lost
	next    time.Time     // the shared bucket was short: no take before then
	calls   int           // calls since the last take, to size the next chunk
	taken   time.Time     // the time of the last take; zero before the first
	taking  chan struct{} // non-nil while a take is in flight; closed when it ends
	sent    time.Time     // when the take in flight was sent (real time)
	used    time.Time     // the last call, to forget idle keys
	local   *rate.Limiter // this node's share of the limit while the database fails
}

// Allow reports whether one more call under key is within perSecond calls
// per second (burst at once), deployment-wide; see Limiter and
// roomd.Limiter. It waits for the database at most Timeout.
func (l *Limiter) Allow(key string, perSecond float64, burst int, now time.Time) bool {
	if burst < 1 {
		return false
	}
	deadline := time.Now().Add(l.opts.Timeout) // waits are in real time, whatever now is
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stock(key, now)
	s.calls++
	for {
		switch {
		case s.tokens > 0 && now.Before(s.expires):
			s.tokens--
			return true
		case l.down && now.Before(l.retryAt):
			return l.localAllow(s, perSecond, burst, now)
		case s.taking != nil:
			// A take that has been out for Timeout is not waited for.
			if time.Since(s.sent) > l.opts.Timeout || !l.await(s.taking, deadline) {
				l.judgeAlone(nil)
				return l.localAllow(s, perSecond, burst, now)
			}
		case now.Before(s.next):
			return false
		default:
			l.take(key, s, perSecond, burst, now)
		}
	}
}

// stock returns key's stock, made if need be, and forgets the keys idle
// for more than idleTTL. l.mu is held.
func (l *Limiter) stock(key string, now time.Time) *stock {
	s := l.keys[key]
	if s == nil {
		s = &stock{}
		l.keys[key] = s
	}
	s.used = now
	if now.Sub(l.lastGC) > idleTTL {
		for k, v := range l.keys {
			if now.Sub(v.used) > idleTTL && v.taking == nil {
				delete(l.keys, k)
			}
		}
		l.lastGC = now
	}
	return s
}

// await waits, with l.mu released, until ch is closed (true) or deadline
// passes (false).
func (l *Limiter) await(ch chan struct{}, deadline time.Time) bool {
	l.mu.Unlock()
	defer l.mu.Lock()
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		return false
	}
}

// localAllow judges a call on this node's share of the limit. l.mu is held.
func (l *Limiter) localAllow(s *stock, perSecond float64, burst int, now time.Time) bool {
	if s.local == nil {
		n := l.opts.Nodes
		s.local = rate.NewLimiter(rate.Limit(perSecond/float64(n)), max(1, burst/n))
	}
	return s.local.AllowN(now, 1)
}

// take sends a take of a chunk of key's shared bucket for s, answered
// in the background; the calls on key wait on s.taking meanwhile, at
// most Timeout (see Allow). A failure puts the limiter down (judged
// locally) for Retry. l.mu is held.
func (l *Limiter) take(key string, s *stock, perSecond float64, burst int, now time.Time) {
	want := s.chunk(perSecond, burst, now, l.opts.Period)
	done := make(chan struct{})
	s.taking, s.sent = done, time.Now()
	go func() {
		got, left, err := l.roundTrip(key, perSecond, burst, want, now)
		l.mu.Lock()
		defer l.mu.Unlock()
		s.taking = nil
		close(done)
		if err != nil {
			l.down, l.retryAt = true, now.Add(l.opts.Retry)
			l.judgeAlone(err)
			return
		}
		l.took(s, perSecond, want, got, left, now)
	}()
}

// took puts the got tokens of a take of want at now into s. l.mu is held.
func (l *Limiter) took(s *stock, perSecond float64, want, got int, left float64, now time.Time) {
	if l.alone {
		l.log.Info("postgres: rate limits: shared again")
	}
	l.down, l.alone = false, false
	s.tokens, s.expires, s.calls, s.taken, s.next = got, now.Add(l.opts.Hold), 0, now, time.Time{}
	if got < want { // the bucket is empty: wait until it has refilled the chunk
		wait := time.Minute
		if perSecond > 0 {
			wait = time.Duration(min((float64(want)-left)/perSecond, wait.Seconds()) * float64(time.Second))
		}
		s.next = now.Add(max(wait, time.Millisecond))
	}
	if now.Sub(l.purged) > idleTTL/5 {
		l.purged = now
		go l.purge(now)
	}
}

// judgeAlone logs, once until a take answers again, that calls are judged
// locally: err is the failure of a take, or nil when one is slow. l.mu is
// held.
func (l *Limiter) judgeAlone(err error) {
	if l.alone {
		return
	}
	l.alone = true
	args := []any{"nodes", l.opts.Nodes}
	if err != nil {
		args = append(args, "err", err)
	}
	l.log.Warn("postgres: rate limits: the database failed or did not answer in time; each node judges calls alone, on its share of each limit, until it answers", args...)
}

// chunk returns how many tokens to take: what the calls since the last
// take would spend in period at their pace, at least 1, at most
// rate*period and a quarter of the burst. The first take of a key takes 1
// (its pace is unknown); the next, soon after if the key is busy, takes
// the pace's. A quarter of the burst at most, so that a node waiting for
// the bucket to refill a chunk takes again well before it could fill up
// (and overflow) even if the round trips are slow.
func (s *stock) chunk(perSecond float64, burst int, now time.Time, period time.Duration) int {
	most := max(1, int(min(float64(burst)/4, perSecond*period.Seconds())))
	if s.taken.IsZero() {
		return 1
	}
	elapsed := now.Sub(s.taken)
	if elapsed <= 0 {
		return most
	}
	pace := float64(s.calls) * period.Seconds() / elapsed.Seconds()
	return max(1, int(min(float64(most), math.Ceil(pace))))
}

// takeTokens takes up to $4 tokens from key $1's bucket (rate $2 a second,
// burst $3) at time $5 (Unix nanoseconds) and returns how many it got and
// how many are left. A new key's bucket starts full. The refill is the
// time since the row's `at` times the rate, capped at the burst; `at`
// moves only forward, unless it is more than $6 ns ahead of $5 (a clock
// far ahead), when it is put back to $5. The set_configs (local to the
// statement's own transaction) make it commit without waiting for the WAL
// flush, and give up waiting for the row's lock after $7, so that a take
// stuck behind a lock fails on the server before the caller's Timeout,
// keeping its connection (a cancelled query costs the pool its connection).
const takeTokens = `INSERT INTO limits AS l (key, tokens, at, granted)
	SELECT $1, $3::int - least($4::int, $3::int), $5::bigint, least($4::int, $3::int)
	FROM (SELECT set_config('synchronous_commit', 'off', true), set_config('lock_timeout', $7::text, true)) AS session
	ON CONFLICT (key) DO UPDATE SET (tokens, at, granted) = (
		SELECT t.avail - t.take, CASE WHEN $5 > l.at OR l.at - $5 > $6::bigint THEN $5 ELSE l.at END, t.take
		FROM (SELECT a.avail, least($4::int, floor(a.avail))::int AS take
			FROM (SELECT least($3::int, l.tokens + greatest($5 - l.at, 0) * $2::float8 / 1e9) AS avail) AS a) AS t)
	RETURNING granted, tokens`

// abandon is how many Timeouts a take may last before it is abandoned.
const abandon = 10

// roundTrip runs takeTokens, bounded by abandon Timeouts.
func (l *Limiter) roundTrip(key string, perSecond float64, burst, want int, now time.Time) (got int, left float64, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), abandon*l.opts.Timeout)
	defer cancel()
	if err := l.db.enter(ctx); err != nil {
		return 0, 0, err
	}
	defer l.db.active.Done()
	l.trips.Add(1)
	lockWait := strconv.FormatInt((abandon*l.opts.Timeout*3/4).Milliseconds(), 10) + "ms"
	err = l.db.pool.QueryRow(ctx, takeTokens, key, perSecond, burst, want, nanos(now), int64(maxSkew), lockWait).Scan(&got, &left)
	return got, left, err
}

// purgeIdle deletes up to $2 rows not taken from since $1.
const purgeIdle = `DELETE FROM limits WHERE ctid = ANY (ARRAY(
	SELECT ctid FROM limits WHERE at < $1 LIMIT $2))`

// purge deletes up to purgeRows rows idle for idleTTL at now. It runs in
// the background, so that no call waits for it.
func (l *Limiter) purge(now time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.db.enter(ctx); err != nil {
		return // closed: nothing to keep tidy
	}
	defer l.db.active.Done()
	if _, err := l.db.pool.Exec(ctx, purgeIdle, nanos(now.Add(-idleTTL)), purgeRows); err != nil {
		l.log.Warn("postgres: rate limits: delete idle rows", "err", err)
	}
}

// RoundTrips returns how many takes the limiter has sent to the database:
// the round trips its calls cost (purges of idle rows aside).
func (l *Limiter) RoundTrips() uint64 { return l.trips.Load() }

// Len returns the number of keys the limiter remembers.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}
