// Package webhook posts the vendors' callbacks from the durable event log,
// at least once and in order per app and style.
//
// A Dispatcher runs one worker per (app, roomd.Hook). Each worker reads its
// app's log (Service.AppEvents) after the app's delivery cursor for the
// hook's style, asks the hook for each event's callback, posts it, and
// moves the cursor forward once the receiver has acknowledged it. A failed
// callback is retried, with back-off, until it is acknowledged or its event
// is compacted away; the events behind it wait, so the receiver sees them
// in commit order. Because the cursor is durable, callbacks survive
// restarts; because it is persisted after the acknowledgement, a callback
// may be posted more than once (X-Roomd-Delivery lets a receiver drop the
// duplicates).
//
// Callbacks go over HTTP/1.1 with a timeout per request, one connection
// per busy worker, so that a receiver that hangs holds up its own app and
// style alone. Redirects are not followed, no proxy is used, and a target
// that resolves to roomd's own listener is refused. URLs are logged and
// shown without their user information and query; bodies never are.
package webhook

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/roomd/roomd"
)

// Options adjusts a Dispatcher. The zero value is usable.
type Options struct {
	// Logger receives the delivery log; nil means slog.Default().
	Logger *slog.Logger
	// Clock is the time callbacks are made at and ages are measured
	// against; nil means time.Now.
	Clock func() time.Time
	// Backoff is how long to wait after the attempt-th failed attempt of a
	// callback (attempt counts from 1) before the next; nil means Backoff.
	Backoff func(attempt int) time.Duration
	// Timeout bounds each request, from dialling to reading the answer;
	// 0 means 3 s.
	Timeout time.Duration
	// Poll is how often an idle worker looks for events anyway; 0 means
	// 5 s. It is a safety net: Publish wakes the workers.
	Poll time.Duration
	// Listener is roomd's own listener, when known: a callback whose
	// address resolves to it is refused, so that roomd never calls itself.
	// When its IP is unspecified (0.0.0.0 or ::), every loopback and local
	// interface IP with its port counts.
	Listener net.Addr
	// UserAgent is sent with every callback; "" means "roomd".
	UserAgent string
	// Leaser, when set, makes an app's deliveries the job of one node at a
	// time (several roomd nodes on one store): the Dispatcher delivers an
	// app's callbacks only while it holds the lease "webhooks/APP" as
	// Node, renewed every third of LeaseTTL (0 means 6 s). A node that
	// dies loses it within LeaseTTL, and another takes over within a
	// third more. Set CursorEvery to 1 with it, so that the new holder
	// posts again at most the callback that was in flight.
	Leaser   roomd.Leaser
	Node     string
	LeaseTTL time.Duration
	// CursorEvery is how many events at most a worker gets past (delivered,
	// skipped or expired) before it persists its cursor; 0 means 100. The
	// cursor is also persisted whenever the worker has nothing more ready
	// to send, before every retry wait and when the worker stops, so
	// CursorEvery bounds the callbacks posted twice after a crash.
	CursorEvery int
}

// Backoff is the default Options.Backoff: 2, 4, 8, 16 and 32 seconds after
// the first five failed attempts, then a minute after each.
func Backoff(attempt int) time.Duration {
	if attempt > 5 {
		return time.Minute
	}
	return time.Duration(2<<max(attempt-1, 0)) * time.Second
}

// withDefaults returns o with its zero fields filled in.
func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Backoff == nil {
		o.Backoff = Backoff
	}
	if o.Timeout <= 0 {
		o.Timeout = 3 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = 5 * time.Second
	}
	if o.UserAgent == "" {
		o.UserAgent = "roomd"
	}
	if o.CursorEvery <= 0 {
		o.CursorEvery = 100
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = leaseTTL
	}
	return o
}

// Dispatcher delivers the callbacks of a set of apps, one worker per app
// and hook. It is a roomd.Publisher: the Service's Publish wakes the
// workers of the events' apps.
type Dispatcher struct {
	svc     *roomd.Service
	opts    Options
	hooks   []roomd.Hook
	client  *http.Client
	workers []*worker            // apps × hooks, in the order given to New
	byApp   map[uint32][]*worker // the workers of each app, in hook order
	leases  map[uint32]*appLease // with a Leaser: the lease on each app
	epoch   time.Time            // the origin of sinceEpoch

	mu      sync.Mutex
	started bool // Start or Close was called
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// New returns a Dispatcher that delivers the callbacks of apps, for each of
// hooks, over svc's log. Each hook must have a style of its own (New panics
// otherwise: two workers would share one cursor). Nothing is sent until
// Start.
func New(svc *roomd.Service, apps []uint32, hooks []roomd.Hook, opts Options) *Dispatcher {
	opts = opts.withDefaults()
	d := &Dispatcher{svc: svc, opts: opts, hooks: hooks, byApp: map[uint32][]*worker{}, leases: map[uint32]*appLease{}, epoch: time.Now()}
	seen := map[string]bool{}
	for _, h := range hooks {
		if seen[h.Style()] {
			panic(fmt.Sprintf("webhook: two hooks of style %q", h.Style()))
		}
		seen[h.Style()] = true
	}
	for _, app := range apps {
		if d.byApp[app] != nil {
			continue
		}
		for _, h := range hooks {
			w := newWorker(d, app, h)
			d.workers = append(d.workers, w)
			d.byApp[app] = append(d.byApp[app], w)
		}
		if opts.Leaser != nil {
			d.leases[app] = &appLease{app: app, name: leaseName(app)}
		}
	}
	d.client = newClient(opts.Listener, len(d.workers))
	return d
}

// Start starts the workers. They stop when ctx ends or at Close. Calling
// Start again, or after Close, does nothing.
func (d *Dispatcher) Start(ctx context.Context) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.started {
		return
	}
	d.started = true
	ctx, d.cancel = context.WithCancel(ctx)
	for _, w := range d.workers {
		d.wg.Go(func() { w.run(ctx) })
	}
	for _, l := range d.leases {
		d.wg.Go(func() { d.keep(ctx, l) })
	}
}

// Close stops the workers, aborting the requests in flight, and returns
// once they have stopped and persisted their cursors. Close the Dispatcher
// before the store.
func (d *Dispatcher) Close() {
	d.mu.Lock()
	d.started = true
	if d.cancel != nil {
		d.cancel()
	}
	d.mu.Unlock()
	d.wg.Wait()
	if d.opts.Leaser != nil {
		d.release()
	}
	d.client.CloseIdleConnections()
}

// Publish wakes the workers of the events' apps. It never blocks.
func (d *Dispatcher) Publish(_ context.Context, events []roomd.Event) {
	for i := range events {
		if i > 0 && events[i].AppID == events[i-1].AppID {
			continue
		}
		for _, w := range d.byApp[events[i].AppID] {
			signal(w.wake)
		}
	}
}

// Reload wakes every worker and cuts its retry wait short, so that a
// configuration that changed (a receiver's URL fixed, a target added) is
// used at once.
func (d *Dispatcher) Reload() {
	for _, w := range d.workers {
		signal(w.reload)
	}
}

// ReloadApp is Reload for one app's workers, such as after the app set or
// deleted its Tencent callback configuration.
func (d *Dispatcher) ReloadApp(app uint32) {
	for _, w := range d.byApp[app] {
		signal(w.reload)
	}
}

// signal sends on a channel of capacity 1 unless a signal is pending.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Counters count a worker's or a style's callbacks since New.
type Counters struct {
	Delivered uint64 // acknowledged by the receiver
	Failed    uint64 // failed attempts (each is retried)
	Retried   uint64 // attempts after a callback's first
	Expired   uint64 // events compacted away before their callback was delivered
}

// add adds c's counts to s.
func (s *Counters) add(c Counters) {
	s.Delivered += c.Delivered
	s.Failed += c.Failed
	s.Retried += c.Retried
	s.Expired += c.Expired
}

// HookStats are the counters of one app's callbacks of one style.
type HookStats struct {
	App   uint32
	Style string
	Counters
	// OldestUndelivered is the age of the event whose callback the worker
	// is trying to deliver, 0 when it has none pending.
	OldestUndelivered time.Duration
}

// Stats are the delivery counters, for metrics.
type Stats struct {
	// Styles holds each style's totals over every app.
	Styles map[string]Counters
	// Hooks holds one entry per app and style, in the order of New's apps
	// and hooks.
	Hooks []HookStats
}

// Stats returns the counters of every worker and their totals per style.
func (d *Dispatcher) Stats() Stats {
	now := d.opts.Clock()
	s := Stats{Styles: map[string]Counters{}, Hooks: make([]HookStats, 0, len(d.workers))}
	for _, h := range d.hooks {
		s.Styles[h.Style()] = Counters{}
	}
	for _, w := range d.workers {
		c := w.counters()
		total := s.Styles[w.style]
		total.add(c)
		s.Styles[w.style] = total
		s.Hooks = append(s.Hooks, HookStats{App: w.app, Style: w.style, Counters: c, OldestUndelivered: w.age(now)})
	}
	return s
}
