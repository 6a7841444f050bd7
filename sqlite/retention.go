package sqlite

import (
	"context"
	"encoding/json"
	"time"

	"github.com/roomd/roomd"
)

// compactRooms lists the rooms that have events to delete: for each, its
// first event's seq and the highest seq MinEvents (?1) lets go, ordered by
// the time of its first event, which is not after the cutoff (?2).
// The rooms are found by skip-scanning the events key (one seek per app and
// per room), so that every room with events is seen, with a row in rooms or
// not; each room then costs three seeks, at its first and last events.
const compactRooms = `WITH RECURSIVE a(app) AS (
	SELECT min(app) FROM events
	UNION ALL
	SELECT (SELECT min(e.app) FROM events e WHERE e.app > a.app) FROM a WHERE a.app IS NOT NULL
), k(app, room) AS (
	SELECT a.app, (SELECT min(e.room) FROM events e WHERE e.app = a.app) FROM a WHERE a.app IS NOT NULL
	UNION ALL
	SELECT k.app, (SELECT min(e.room) FROM events e WHERE e.app = k.app AND e.room > k.room) FROM k WHERE k.room IS NOT NULL
), r AS MATERIALIZED (
	SELECT app, room,
		(SELECT min(e.seq) FROM events e WHERE e.app = k.app AND e.room = k.room) AS first,
		(SELECT max(e.seq) FROM events e WHERE e.app = k.app AND e.room = k.room) AS last
	FROM k WHERE room IS NOT NULL
)
SELECT r.app, r.room, r.first, r.last - ?1 FROM r JOIN events e ON e.app = r.app AND e.room = r.room AND e.seq = r.first
WHERE r.first <= r.last - ?1 AND e.time <= ?2
ORDER BY e.time, r.app, r.room`

// compactYoung finds the first event of a room's range [?3, ?4] whose time
// is after the cutoff (?5), that is younger than MaxAge: the room's
// deletable run ends before it. It reads the range in key order, so at most
// the events it lets go and one more.
const compactYoung = `SELECT seq FROM events WHERE app = ? AND room = ? AND seq BETWEEN ? AND ? AND time > ? ORDER BY seq LIMIT 1`

// compactDelete deletes the events of ranges given as a JSON array of
// [app, room, from, to]: each range is read on the key, and each event
// deleted by its key.
const compactDelete = `DELETE FROM events WHERE (app, room, seq) IN (
	SELECT e.app, e.room, e.seq FROM json_each(?) j JOIN events e
		ON e.app = j.value->>0 AND e.room = j.value->>1 AND e.seq BETWEEN j.value->>2 AND j.value->>3)`

// compactRange is a run of events of one room to delete, from and to
// included.
type compactRange struct {
	app      uint32
	room     string
	from, to int64
}

// MarshalJSON encodes the range as compactDelete reads it.
func (c compactRange) MarshalJSON() ([]byte, error) {
	return json.Marshal([]any{c.app, c.room, c.from, c.to})
}

// CompactEvents deletes at most limit events that r does not keep at now.
//
// It finds them in a View, on a read connection beside the writer: the rooms
// with an event to delete, the one with the oldest first event first, and in
// each the run of events from its first that are not younger than r.MaxAge
// (their time is not after now - r.MaxAge) and not among its last
// r.MinEvents. It then deletes those runs in one statement in one Update,
// group-committed with the others: the writer's share is the deletion
// alone. What the View saw to delete may still be deleted in the Update: a
// room's last seq only grows, events do not change, and the events appended
// meanwhile come after the runs. (Another compaction may have deleted some
// of them meanwhile; the count is of those deleted here.) A room's last
// event stays, so the seqs read from it (Room, InsertRoom, LastSeq) and the
// writer's cache are unaffected.
func (db *DB) CompactEvents(ctx context.Context, r roomd.Retention, now time.Time, limit int) (int, error) {
	if err := r.Validate(); err != nil {
		return 0, err
	}
	if limit < 1 {
		return 0, roomd.Errorf(roomd.EINVALID, "compaction limit %d is below 1", limit)
	}
	var runs []compactRange
	err := db.View(ctx, func(rt roomd.Tx) error {
		var err error
		runs, err = rt.(*tx).compactRuns(ctx, r, now.Add(-r.MaxAge).UnixNano(), limit)
		return err
	})
	if err != nil || len(runs) == 0 {
		return 0, err
	}
	arg, err := json.Marshal(runs)
	if err != nil {
		return 0, roomd.Internal(err)
	}
	var deleted int64
	err = db.Update(ctx, func(wt roomd.Tx) error {
		var err error
		deleted, err = wt.(*tx).exec(ctx, compactDelete, string(arg))
		return err
	})
	if err != nil {
		return 0, err
	}
	return int(deleted), nil
}

// compactRuns returns the runs of events to delete, at most limit events in
// all, taking rooms in the order of their oldest event. Events with times
// up to cutoff (Unix nanoseconds) are old.
func (t *tx) compactRuns(ctx context.Context, r roomd.Retention, cutoff int64, limit int) ([]compactRange, error) {
	rooms, err := list(ctx, t, func(s scanner) (compactRange, error) {
		var c compactRange
		return c, s.Scan(&c.app, &c.room, &c.from, &c.to)
	}, compactRooms, r.MinEvents, cutoff)
	if err != nil {
		return nil, err
	}
	var runs []compactRange
	left := int64(limit)
	for _, c := range rooms {
		if left == 0 {
			break
		}
		c.to = min(c.to, c.from+left-1)
		young, ok, err := one(ctx, t, func(s scanner) (int64, error) {
			var seq int64
			return seq, s.Scan(&seq)
		}, compactYoung, c.app, c.room, c.from, c.to, cutoff)
		if err != nil {
			return nil, err
		}
		if ok {
			c.to = young - 1 // > c.from: the room's first event is old
		}
		runs = append(runs, c)
		left -= c.to - c.from + 1
	}
	return runs, nil
}
