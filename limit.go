package roomd

import "time"

// Limiter decides whether a call is within a rate limit: a token bucket
// per key that holds at most burst tokens and refills at perSecond tokens
// a second, each allowed call taking one. The dialects key their limits
// by app and action (and by group where the vendor limits per group).
//
// One node alone (the SQLite store, or wire.Limiters) keeps the buckets in
// memory. Nodes that share a PostgreSQL database share the buckets
// (postgres.Limiter), so that the deployment as a whole admits the
// configured rate, not the rate times the number of nodes.
//
// Contract: Allow has no error. It never blocks the call for long: an
// implementation that consults a shared store bounds its wait (a fraction
// of a second) and, when the store is slow or cannot be reached, fails
// open to a local bucket holding this node's share of the rate, logs that
// it did so (once, not per call), and goes back to the shared buckets when
// the store answers again. Allow is safe for concurrent use. Keys idle for
// a few minutes may be forgotten: a forgotten key starts again with a full
// bucket, as it would have after so long.
type Limiter interface {
	// Allow reports whether one more call under key is within perSecond
	// calls per second (burst calls at once). now is the time of the call;
	// an implementation measures refills and expiries with it.
	Allow(key string, perSecond float64, burst int, now time.Time) bool
}
