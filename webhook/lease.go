package webhook

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"
)

// leaseTTL is the default Options.LeaseTTL.
const leaseTTL = 6 * time.Second

// appLease is a Dispatcher's view of the lease on one app's deliveries.
type appLease struct {
	app  uint32
	name string
	// until is when the lease may have passed to another node, in
	// nanoseconds of the Dispatcher's monotonic clock (since epoch): the
	// start of the last successful Hold plus the lease's ttl. 0 when the
	// lease is not held.
	until atomic.Int64
}

// leaseName is the name of the lease on app's deliveries.
func leaseName(app uint32) string { return "webhooks/" + strconv.FormatUint(uint64(app), 10) }

// sinceEpoch is the Dispatcher's monotonic clock.
func (d *Dispatcher) sinceEpoch() int64 { return int64(time.Since(d.epoch)) }

// holding reports whether this node may deliver app's callbacks now: always
// without a Leaser, else while its lease on the app lasts.
func (d *Dispatcher) holding(app uint32) bool {
	if d.opts.Leaser == nil {
		return true
	}
	l := d.leases[app]
	return l != nil && d.sinceEpoch() < l.until.Load()
}

// keep takes and renews the lease on l's app every third of its ttl until
// ctx ends, and wakes the app's workers when it takes it. When a renewal
// fails the lease is kept until its ttl runs out, and no longer.
func (d *Dispatcher) keep(ctx context.Context, l *appLease) {
	ttl := d.opts.LeaseTTL
	log := d.opts.Logger.With("app", l.app, "lease", l.name, "node", d.opts.Node)
	for ctx.Err() == nil {
		start := d.sinceEpoch()
		held, err := d.opts.Leaser.Hold(ctx, l.name, d.opts.Node, ttl)
		was := d.holding(l.app)
		switch {
		case ctx.Err() != nil:
		case err != nil:
			log.Warn("could not renew the callback lease; it lapses at its ttl", "error", err)
		case held:
			l.until.Store(start + int64(ttl))
			if !was {
				log.Info("this node delivers the app's callbacks (lease taken)")
				for _, w := range d.byApp[l.app] {
					signal(w.reload)
				}
			}
		default:
			l.until.Store(0)
			if was {
				log.Warn("another node holds the callback lease; this node stops delivering")
			}
		}
		t := time.NewTimer(ttl / 3)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
}

// release gives up the leases this node holds, once its workers have
// stopped, so that another node takes over at once.
func (d *Dispatcher) release() {
	ctx, cancel := context.WithTimeout(context.Background(), persistTimeout)
	defer cancel()
	for _, l := range d.leases {
		if l.until.Swap(0) == 0 {
			continue
		}
		if err := d.opts.Leaser.Release(ctx, l.name, d.opts.Node); err != nil {
			d.opts.Logger.Warn("could not release a callback lease; it lapses at its ttl", "app", l.app, "error", err)
		}
	}
}
