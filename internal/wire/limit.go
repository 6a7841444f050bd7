package wire

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiters hands out one token-bucket limiter per key (for example app and
// action, or app and group) and forgets keys unused for a while, so that
// memory stays bounded by the keys active in the last few minutes.
//
// It is the roomd.Limiter of a node that limits alone (the SQLite store,
// and the dialects' default): its buckets live in this process, so each
// node of a deployment would admit the whole rate. It never blocks beyond
// its own mutex and never fails.
type Limiters struct {
	mu      sync.Mutex
	m       map[string]*entry
	lastGC  time.Time
	idleTTL time.Duration
}

type entry struct {
	lim  *rate.Limiter
	used time.Time
}

// NewLimiters returns an empty set of limiters.
func NewLimiters() *Limiters {
	return &Limiters{m: make(map[string]*entry), idleTTL: 5 * time.Minute}
}

// Allow reports whether one more call under key is within perSecond calls
// per second (burst calls at once). now is the time of the call.
func (l *Limiters) Allow(key string, perSecond float64, burst int, now time.Time) bool {
	l.mu.Lock()
	e := l.m[key]
	if e == nil {
		e = &entry{lim: rate.NewLimiter(rate.Limit(perSecond), burst)}
		l.m[key] = e
	}
	e.used = now
	if now.Sub(l.lastGC) > l.idleTTL {
		for k, v := range l.m {
			if now.Sub(v.used) > l.idleTTL {
				delete(l.m, k)
			}
		}
		l.lastGC = now
	}
	l.mu.Unlock()
	return e.lim.AllowN(now, 1)
}

// Len returns the number of keys tracked.
func (l *Limiters) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}
