package tencent

import "time"

// SigCache exposes the verified-sig cache to the external tests.
type SigCache = sigCache

// NewSigCache returns a cache of at most max sigs.
func NewSigCache(max int) *SigCache { return newSigCache(max) }

// Verify checks sig through the cache.
func (c *sigCache) Verify(appID uint32, key, identifier, sig string, now time.Time) error {
	return c.verify(appID, key, identifier, sig, now)
}

// Len returns the number of cached sigs.
func (c *sigCache) Len() int { return c.len() }
