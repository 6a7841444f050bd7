package tencent

import (
	"sync"
	"time"
)

// defaultSigCacheSize bounds the number of verified UserSigs remembered.
const defaultSigCacheSize = 4096

// sigKey identifies one verified sig. The app's secret key is part of it,
// so that a sig verified under one key is never accepted under another
// (for example after the app's key is changed in the configuration).
type sigKey struct {
	app        uint32
	secret     string
	identifier string
	sig        string
}

// sigCache remembers UserSigs that verified, until they expire, so that the
// request path skips zlib and HMAC for a sig it has seen. It holds at most
// max entries: when full it drops expired entries, then arbitrary ones down to 7/8 of
// max, so that the sweep is amortised over many inserts.
// Failures are never cached.
type sigCache struct {
	mu  sync.RWMutex
	m   map[sigKey]int64 // last unix second the sig is valid at
	max int
}

func newSigCache(max int) *sigCache {
	return &sigCache{m: make(map[sigKey]int64), max: max}
}

// verify checks sig as VerifyUserSig does, answering from the cache when it can.
func (c *sigCache) verify(appID uint32, key, identifier, sig string, now time.Time) error {
	k := sigKey{app: appID, secret: key, identifier: identifier, sig: sig}
	c.mu.RLock()
	until, ok := c.m[k]
	c.mu.RUnlock()
	if ok && now.Unix() <= until {
		return nil
	}
	until, err := verifySig(appID, key, identifier, sig, now)
	if err != nil {
		if ok {
			c.mu.Lock()
			delete(c.m, k)
			c.mu.Unlock()
		}
		return err
	}
	c.put(k, until, now)
	return nil
}

func (c *sigCache) put(k sigKey, until int64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; !ok && len(c.m) >= c.max {
		t := now.Unix()
		for old, u := range c.m {
			if t > u {
				delete(c.m, old)
			}
		}
		target := c.max - c.max/8 - 1 // evict in bulk so that sweeps stay rare
		for old := range c.m {
			if len(c.m) <= target {
				break
			}
			delete(c.m, old)
		}
	}
	c.m[k] = until
}

// len returns the number of cached sigs.
func (c *sigCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
