package webhook

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/roomd/roomd"
)

// batchSize is how many events a worker reads from the log at a time.
const batchSize = 256

// persistTimeout bounds a cursor write, which also runs after the worker's
// context ended (at Close), so that its progress is kept.
const persistTimeout = 5 * time.Second

// worker delivers one app's callbacks of one style, one at a time, in the
// order of the app's log.
type worker struct {
	d     *Dispatcher
	app   uint32
	hook  roomd.Hook
	style string
	log   *slog.Logger

	wake   chan struct{} // Publish: events may be ready
	reload chan struct{} // Reload: the configuration may have changed

	delivered, failed, retried, expired atomic.Uint64
	// head is the Time (Unix ns) of the event whose callback the worker is
	// trying to deliver, 0 when none.
	head atomic.Int64

	mu              sync.Mutex
	lastErr         string
	lastErrAt       time.Time
	lastDeliveredAt time.Time

	// Owned by run.
	failedPos int64 // the event whose callback failed last
	attempts  int   // how many attempts at failedPos failed
	storeErrs int   // store failures in a row
}

func newWorker(d *Dispatcher, app uint32, h roomd.Hook) *worker {
	return &worker{
		d: d, app: app, hook: h, style: h.Style(),
		log:  d.opts.Logger.With("app", app, "style", h.Style()),
		wake: make(chan struct{}, 1), reload: make(chan struct{}, 1),
	}
}

// run delivers until ctx ends: a round at once, then one after each wake,
// reload or poll interval, or after the back-off a failed round asks for.
// A paused worker (no target) is not woken by Publish, so that the events
// of an app without callbacks cost no store reads: it looks again at a
// reload (ReloadApp) or after the poll interval.
func (w *worker) run(ctx context.Context) {
	for ctx.Err() == nil {
		wait, idle := w.round(ctx)
		switch {
		case idle:
			w.sleep(ctx, w.d.opts.Poll, w.wake)
		case wait > 0:
			w.sleep(ctx, wait, nil) // Publish does not cut a back-off or a pause short
		}
	}
}

// sleep waits d, or until a reload, a signal on wake (none when nil) or
// the end of ctx.
func (w *worker) sleep(ctx context.Context, d time.Duration, wake chan struct{}) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-w.reload:
	case <-wake:
	case <-t.C:
	}
}

// round delivers the callbacks of up to one batch of the events after the
// cursor, and persists how far it got. It reports idle when no event is
// ready; otherwise it returns how long to wait before the next round: 0 to
// go on at once, a back-off after a failure, the poll interval when the
// app has no target.
func (w *worker) round(ctx context.Context) (wait time.Duration, idle bool) {
	if !w.d.holding(w.app) {
		// Another node delivers: the lease keeper wakes us (reload) when
		// this one takes over.
		w.head.Store(0)
		return w.d.opts.LeaseTTL / 3, false
	}
	target, err := w.hook.Target(ctx, w.app)
	if err != nil {
		return w.storeFailed(ctx, "reading the callback target", err), false
	}
	if target == nil {
		// Paused: the cursor, if any, stays where it is.
		w.head.Store(0)
		return w.d.opts.Poll, false
	}
	c, err := w.d.svc.HookCursor(ctx, w.app, w.style)
	if err == nil && c == nil {
		if c, err = w.d.svc.StartHook(ctx, w.app, w.style); err == nil {
			w.log.Info("callbacks start at the end of the log", "url", redact(target.URL), "pos", c.Pos)
		}
	}
	if err != nil {
		return w.storeFailed(ctx, "reading the delivery cursor", err), false
	}
	events, err := w.d.svc.AppEvents(ctx, w.app, c.Pos, batchSize)
	if err != nil {
		return w.storeFailed(ctx, "reading the log", err), false
	}
	w.storeErrs = 0
	pos, saved := c.Pos, c.Pos
	defer func() { w.persist(ctx, saved, pos) }()
	for i := range events {
		ev := &events[i]
		if ev.Pos > pos+1 {
			w.expire(pos+1, ev.Pos-1)
			pos = ev.Pos - 1
		}
		if !w.d.holding(w.app) {
			return 0, false // the lease lapsed: the next round waits
		}
		if wait, ok := w.deliver(ctx, target, ev); !ok {
			return wait, false
		}
		pos = ev.Pos
		if pos-saved >= int64(w.d.opts.CursorEvery) && w.persist(ctx, saved, pos) {
			saved = pos
		}
	}
	w.head.Store(0) // the batch is passed: nothing is pending now
	return 0, len(events) < batchSize
}

// deliver posts ev's callback to target, unless the hook has none for it.
// It reports whether the worker may move past ev; if not, it returns how
// long to wait before the next attempt.
func (w *worker) deliver(ctx context.Context, target *roomd.HookTarget, ev *roomd.Event) (time.Duration, bool) {
	w.head.Store(ev.Time.UnixNano())
	attempt := 1
	if ev.Pos == w.failedPos {
		attempt = w.attempts + 1
	}
	req, err := w.hook.Request(ctx, target, ev, w.d.opts.Clock())
	switch {
	case ctx.Err() != nil:
		return 0, false
	case err != nil && roomd.ErrorCode(err) != roomd.EINTERNAL:
		// Not a store failure: no attempt would make this callback.
		w.log.Error("no callback can be made for an event; skipped", eventAttrs(ev, "error", err)...)
		w.setError(fmt.Sprintf("no callback for %s: %v", deliveryID(ev), err))
		return 0, true
	case err != nil:
		return w.storeFailed(ctx, "making a callback", err), false
	case req == nil:
		return 0, true
	}
	if attempt > 1 {
		w.retried.Add(1)
	}
	err = w.post(ctx, ev, req)
	if ctx.Err() != nil {
		return 0, false // stopping: the attempt was cut short, not failed
	}
	if err != nil {
		w.failed.Add(1)
		w.failedPos, w.attempts = ev.Pos, attempt
		wait := w.d.opts.Backoff(attempt)
		w.log.Warn("callback failed; it will be retried", eventAttrs(ev, "url", redact(req.URL), "attempt", attempt, "retry_in", wait, "error", err)...)
		w.setError(err.Error())
		return wait, false
	}
	w.delivered.Add(1)
	w.mu.Lock()
	w.lastDeliveredAt = w.d.opts.Clock()
	w.mu.Unlock()
	if attempt > 1 {
		w.log.Info("callback delivered after failed attempts", eventAttrs(ev, "url", redact(req.URL), "attempts", attempt)...)
	}
	return 0, true
}

// eventAttrs returns the log attributes naming ev, followed by more.
func eventAttrs(ev *roomd.Event, more ...any) []any {
	return append([]any{"room", ev.RoomID, "seq", ev.Seq, "pos", ev.Pos, "type", ev.Type}, more...)
}

// expire counts the events first to last, compacted away before their
// callbacks were delivered.
func (w *worker) expire(first, last int64) {
	n := last - first + 1
	w.expired.Add(uint64(n))
	w.log.Warn("events were compacted away before their callbacks were delivered", "count", n, "first_pos", first, "last_pos", last)
	w.setError(fmt.Sprintf("%d events (positions %d to %d) were compacted away before their callbacks were delivered", n, first, last))
}

// storeFailed records a store failure and returns the back-off to wait
// before the next round, 0 when ctx ended (the failure is then expected).
func (w *worker) storeFailed(ctx context.Context, doing string, err error) time.Duration {
	if ctx.Err() != nil {
		return 0
	}
	w.storeErrs++
	wait := w.d.opts.Backoff(w.storeErrs)
	w.log.Error("store failure "+doing+"; will retry", "retry_in", wait, "error", err)
	w.setError(doing + ": " + roomd.ErrorMessage(err))
	return wait
}

// persist moves the stored cursor from saved forward to pos, and reports
// whether it did. It writes even after ctx ended, so that a worker that is
// stopping keeps its progress.
func (w *worker) persist(ctx context.Context, saved, pos int64) bool {
	if pos <= saved {
		return true
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), persistTimeout)
	defer cancel()
	if err := w.d.svc.AdvanceHook(ctx, w.app, w.style, pos); err != nil {
		w.log.Error("could not persist the delivery cursor; callbacks after it may be posted again", "pos", pos, "error", err)
		return false
	}
	return true
}

// setError records the worker's last error, shown in its status.
func (w *worker) setError(msg string) {
	now := w.d.opts.Clock()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lastErr, w.lastErrAt = msg, now
}

// counters returns the worker's counters.
func (w *worker) counters() Counters {
	return Counters{Delivered: w.delivered.Load(), Failed: w.failed.Load(), Retried: w.retried.Load(), Expired: w.expired.Load()}
}

// age returns how old, at now, the event is whose callback the worker is
// trying to deliver; 0 when none.
func (w *worker) age(now time.Time) time.Duration {
	t := w.head.Load()
	if t == 0 {
		return 0
	}
	return max(now.Sub(time.Unix(0, t)), 0)
}
