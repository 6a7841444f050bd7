package zego

import (
	"hash/maphash"
	"sync"
)

// nonceBucket is the width, in seconds, of the time buckets the replay cache
// drops wholesale.
const nonceBucket = 60

// nonceResult is the verdict of nonceStore.use.
type nonceResult int

const (
	nonceOK        nonceResult = iota // first use: recorded
	nonceReused                       // used before inside the window
	nonceFull                         // the app's cache is at its cap
	nonceFullFirst                    // the cache has just reached its cap (worth a log line)
)

// nonceStore remembers the SignatureNonces of authenticated requests, per
// app, until their Timestamp has left the signature window. Nonces are kept
// as 64-bit keyed hashes in one set per minute of Timestamp; a minute's set is
// dropped whole once every Timestamp in it is older than the window, so a
// nonce is remembered for at most window + one minute after its Timestamp.
// Each app holds at most max nonces: at the cap, new nonces are refused
// (rather than forgetting old ones, which would let replays through).
type nonceStore struct {
	mu        sync.Mutex
	seed      maphash.Seed
	max       int
	window    int64 // seconds
	apps      map[uint32]*nonceCache
	lastSweep int64
}

// nonceCache is the replay cache of one app.
type nonceCache struct {
	buckets map[int64]map[uint64]struct{} // Timestamp / nonceBucket -> hashed nonces
	n       int
	full    bool
}

func newNonceStore(max int) *nonceStore {
	return &nonceStore{seed: maphash.MakeSeed(), max: max, window: int64(SignatureWindow.Seconds()), apps: make(map[uint32]*nonceCache)}
}

// use records nonce, signed with Timestamp ts, for app at server time now
// (Unix seconds), unless the app used it already inside the window.
func (s *nonceStore) use(app uint32, nonce string, ts, now int64) nonceResult {
	key := maphash.String(s.seed, nonce)
	s.mu.Lock()
	defer s.mu.Unlock()
	if now-s.lastSweep >= nonceBucket {
		for id, c := range s.apps {
			if c.expire(now-s.window) == 0 {
				delete(s.apps, id)
			}
		}
		s.lastSweep = now
	}
	c := s.apps[app]
	if c == nil {
		c = &nonceCache{buckets: make(map[int64]map[uint64]struct{})}
		s.apps[app] = c
	}
	c.expire(now - s.window)
	for _, b := range c.buckets {
		if _, ok := b[key]; ok {
			return nonceReused
		}
	}
	if c.n >= s.max {
		if c.full {
			return nonceFull
		}
		c.full = true
		return nonceFullFirst
	}
	c.full = false
	idx := floorDiv(ts, nonceBucket)
	b := c.buckets[idx]
	if b == nil {
		b = make(map[uint64]struct{})
		c.buckets[idx] = b
	}
	b[key] = struct{}{}
	c.n++
	return nonceOK
}

// expire drops the buckets whose every Timestamp is before oldest and
// returns the number of nonces left.
func (c *nonceCache) expire(oldest int64) int {
	for idx, b := range c.buckets {
		if (idx+1)*nonceBucket <= oldest {
			c.n -= len(b)
			delete(c.buckets, idx)
		}
	}
	return c.n
}

// floorDiv divides rounding towards minus infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
