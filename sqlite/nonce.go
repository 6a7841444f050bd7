package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"github.com/roomd/roomd"
)

// DefaultMaxNonces is the number of unexpired signature nonces kept per app
// when Options.MaxNonces is 0: enough for about 6,000 signed requests per
// second sustained with ZEGO's ±10-minute window (a nonce is kept up to one
// minute past its expiry), about 100 MB of memory when full.
const DefaultMaxNonces = 1 << 22

// nonceBucket is the width, in seconds, of the expiry buckets the nonce set
// drops whole.
const nonceBucket = 60

// nonceSet is the store's memory of used signature nonces: per app, 64-bit
// hashes of the nonces in one set per minute of expiry. A minute's set is
// dropped whole once every expiry in it is past, so a nonce is remembered
// for at most one minute beyond its expiry. Each app holds at most max
// nonces; at the cap new ones are refused rather than old ones forgotten,
// which would let replays through. Memory is the lookup; the nonces table is
// the durable copy, appended to by the writer and read back at Open (the
// store's lock makes this process the only one that writes it).
type nonceSet struct {
	mu        sync.Mutex
	max       int
	apps      map[uint32]*appNonces
	lastSweep int64
	// Owned by the writer goroutine: when it last purged expired rows, and
	// how many rows it has written since.
	lastPurge int64
	written   int
}

// appNonces is the nonce set of one app.
type appNonces struct {
	buckets map[int64]map[uint64]struct{} // expiry / nonceBucket -> hashed nonces
	n       int
	full    bool
}

// nonceKey is the stable 64-bit hash a nonce is remembered by. It must not
// change between releases: the nonces table stores it.
func nonceKey(nonce string) uint64 {
	sum := sha256.Sum256([]byte(nonce))
	return binary.LittleEndian.Uint64(sum[:8])
}

func newNonceSet(max int) *nonceSet {
	return &nonceSet{max: max, apps: make(map[uint32]*appNonces)}
}

// add records key for app until expires (Unix seconds) at now. It reports
// roomd.EEXISTS if the app holds key unexpired, roomd.ERATELIMIT at the cap.
// first reports that the app has just reached its cap, worth a log line.
func (s *nonceSet) add(app uint32, key uint64, now, expires int64) (code string, first bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now-s.lastSweep >= nonceBucket {
		for id, a := range s.apps {
			if a.expire(now) == 0 {
				delete(s.apps, id)
			}
		}
		s.lastSweep = now
	}
	a := s.app(app)
	a.expire(now)
	for _, b := range a.buckets {
		if _, ok := b[key]; ok {
			return roomd.EEXISTS, false
		}
	}
	if a.n >= s.max {
		first = !a.full
		a.full = true
		return roomd.ERATELIMIT, first
	}
	a.full = false
	a.insert(key, expires)
	return "", false
}

// app returns the nonces of app, creating them.
func (s *nonceSet) app(id uint32) *appNonces {
	a := s.apps[id]
	if a == nil {
		a = &appNonces{buckets: make(map[int64]map[uint64]struct{})}
		s.apps[id] = a
	}
	return a
}

// insert adds key with expiry expires (Unix seconds).
func (a *appNonces) insert(key uint64, expires int64) {
	idx := floorDiv(expires, nonceBucket)
	b := a.buckets[idx]
	if b == nil {
		b = make(map[uint64]struct{})
		a.buckets[idx] = b
	}
	if _, dup := b[key]; !dup {
		b[key] = struct{}{}
		a.n++
	}
}

// expire drops the buckets whose every expiry is before now and returns the
// number of nonces left.
func (a *appNonces) expire(now int64) int {
	for idx, b := range a.buckets {
		if (idx+1)*nonceBucket <= now {
			a.n -= len(b)
			delete(a.buckets, idx)
		}
	}
	return a.n
}

// load reads the nonces unexpired at now back from the nonces table.
func (s *nonceSet) load(ctx context.Context, conn *sql.Conn, now time.Time) error {
	rows, err := conn.QueryContext(ctx, "SELECT app, key, expires FROM nonces WHERE expires >= ?", now.Unix())
	if err != nil {
		return fmt.Errorf("load nonces: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var app uint32
		var key, expires int64
		if err := rows.Scan(&app, &key, &expires); err != nil {
			return fmt.Errorf("load nonces: %w", err)
		}
		s.app(app).insert(uint64(key), expires)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load nonces: %w", err)
	}
	s.lastPurge = now.Unix()
	return nil
}

// floorDiv divides rounding towards minus infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// Expired rows are purged from the nonces table at most once per
// purgeEvery seconds of use, at most purgeMin rows plus twice the rows
// written since the last purge at a time, so that a purge never stalls the
// writer for long and still keeps up with the rate of new nonces.
const (
	purgeEvery = 10
	purgeMin   = 1000
)

// UseNonce claims nonce for app until expires; see roomd.Store. The nonce is
// checked and claimed in memory at once, so a concurrent replay is refused,
// and its row is queued for the writer before UseNonce returns, so it is
// committed with, or before, any Update called after that. wait returns once
// the row is durable. A claim whose row could not be written stays claimed
// in memory: its request is answered with an error, and a retry must use a
// fresh nonce, as clients do.
func (db *DB) UseNonce(ctx context.Context, app uint32, nonce string, now, expires time.Time) (wait func() error, err error) {
	key := nonceKey(nonce)
	code, first := db.nonces.add(app, key, now.Unix(), expires.Unix())
	switch code {
	case roomd.EEXISTS:
		return nil, roomd.Errorf(roomd.EEXISTS, "signature nonce was already used")
	case roomd.ERATELIMIT:
		if first {
			db.log.Warn("sqlite: nonce set full; refusing signed requests of the app until nonces expire", "app", app, "max", db.nonces.max)
		}
		return nil, roomd.Errorf(roomd.ERATELIMIT, "too many signed requests in the signature window; retry later")
	}
	// The row must be written whatever becomes of the caller's request.
	bg := context.WithoutCancel(ctx)
	r, err := db.submit(bg, func(t roomd.Tx) error {
		return db.nonces.write(bg, t.(*tx), app, key, now.Unix(), expires.Unix())
	})
	if err != nil {
		return nil, err
	}
	return sync.OnceValue(func() error { return <-r.reply }), nil
}

// write appends a nonce's row and, now and then, purges expired rows. It
// runs on the writer goroutine.
func (s *nonceSet) write(ctx context.Context, t *tx, app uint32, key uint64, now, expires int64) error {
	if _, err := t.exec(ctx, "INSERT INTO nonces (app, key, expires) VALUES (?, ?, ?)", app, int64(key), expires); err != nil {
		return err
	}
	s.written++
	if now-s.lastPurge < purgeEvery {
		return nil
	}
	if _, err := t.exec(ctx, "DELETE FROM nonces WHERE id IN (SELECT id FROM nonces WHERE expires < ? LIMIT ?)", now, purgeMin+2*s.written); err != nil {
		return err
	}
	s.lastPurge, s.written = now, 0
	return nil
}
