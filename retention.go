package roomd

import (
	"context"
	"time"
)

// Retention says which events of the log are kept. An event is kept while it
// is younger than MaxAge or among the last MinEvents events of its room,
// whichever keeps more; the others may be deleted by compaction
// (Store.CompactEvents). What a room keeps is always the end of its log:
// an event older than MaxAge that comes before a younger one (the clock went
// back) is kept with it, so a compacted log has no holes.
//
// MinEvents is at least 1, so a room's last event is never deleted: a room's
// Seq, and the Seq a re-created room continues from, is that of its last
// event.
type Retention struct {
	MaxAge    time.Duration // 0 keeps no event for its age
	MinEvents int           // at least 1
}

// DefaultRetention keeps events for 7 days, and at least each room's last
// 10,000.
var DefaultRetention = Retention{MaxAge: 7 * 24 * time.Hour, MinEvents: 10_000}

// Validate returns EINVALID unless MaxAge ≥ 0 and MinEvents ≥ 1.
func (r Retention) Validate() error {
	if r.MaxAge < 0 {
		return Errorf(EINVALID, "retention: MaxAge %v is negative", r.MaxAge)
	}
	if r.MinEvents < 1 {
		return Errorf(EINVALID, "retention: MinEvents %d is below 1 (a room's last event is always kept)", r.MinEvents)
	}
	return nil
}

// CompactChunk is the number of events Compact deletes per store transaction:
// small enough that the writers queued behind a chunk wait a few
// milliseconds at most.
const CompactChunk = 1000

// Compact deletes the events r lets go at the Service's now, oldest first,
// in chunks of CompactChunk events, each its own Store.CompactEvents
// transaction, so that other updates commit between chunks. Between chunks
// it waits pause (none when 0). It returns how many events it deleted, once
// a chunk finds fewer than CompactChunk to delete, or when ctx ends (with
// ctx.Err()) or a chunk fails (with its error); the events of earlier chunks
// stay deleted. Returns EINVALID if r is invalid.
func (s *Service) Compact(ctx context.Context, r Retention, pause time.Duration) (int, error) {
	if err := r.Validate(); err != nil {
		return 0, err
	}
	// One now for the whole pass: the events it lets go are those older than
	// now - MaxAge, which are not added to, so the loop ends.
	now := s.now()
	total := 0
	for {
		n, err := s.store.CompactEvents(ctx, r, now, CompactChunk)
		total += n
		if err != nil || n < CompactChunk {
			return total, err
		}
		if err := sleep(ctx, pause); err != nil {
			return total, err
		}
	}
}

// sleep waits d, or until ctx ends and returns ctx.Err().
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
