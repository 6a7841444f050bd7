package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/roomd/roomd"
)

// compactRooms lists the rooms that have events to delete: for each, its
// first event's seq and the highest seq MinEvents ($1) lets go, ordered by
// the time of its first event, which is not after the cutoff ($2). The
// rooms are found by a loose scan of the events key (one index seek per
// room), so that every room with events is seen, with a row in rooms or
// not; each room then costs two more seeks, at its first and last events.
const compactRooms = `WITH RECURSIVE k (app, room) AS (
	(SELECT app, room FROM events ORDER BY app, room LIMIT 1)
	UNION ALL
	SELECT n.app, n.room FROM k, LATERAL (
		SELECT e.app, e.room FROM events e WHERE (e.app, e.room) > (k.app, k.room) ORDER BY e.app, e.room LIMIT 1) n
)
SELECT k.app, k.room, f.seq, l.seq - $1 FROM k,
	LATERAL (SELECT seq, at FROM events e WHERE e.app = k.app AND e.room = k.room ORDER BY seq LIMIT 1) f,
	LATERAL (SELECT seq FROM events e WHERE e.app = k.app AND e.room = k.room ORDER BY seq DESC LIMIT 1) l
WHERE f.seq <= l.seq - $1 AND f.at <= $2
ORDER BY f.at, k.app, k.room`

// compactYoung finds the first event of a room's range [$3, $4] younger
// than the cutoff ($5): the room's deletable run ends before it.
const compactYoung = `SELECT seq FROM events WHERE app = $1 AND room = $2 AND seq BETWEEN $3 AND $4 AND at > $5 ORDER BY seq LIMIT 1`

// compactDelete deletes the runs of events given as arrays of app, room,
// first and last seq.
const compactDelete = `DELETE FROM events e USING unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[]) AS r (app, room, first, last)
	WHERE e.app = r.app AND e.room = r.room AND e.seq BETWEEN r.first AND r.last`

// run is a run of events of one room to delete, from and to included.
type run struct {
	app      uint32
	room     string
	from, to int64
}

// CompactEvents deletes at most limit events that r does not keep at now.
//
// It finds them in a View: the rooms with an event to delete, the one with
// the oldest first event first, and in each the run of events from its
// first that are not younger than r.MaxAge and not among its last
// r.MinEvents. It then deletes those runs in one statement in an Update.
// What the View saw to delete may still be deleted then: a room's last seq
// only grows, events do not change, and events appended meanwhile come
// after the runs. A room's last event stays, so its seq is kept.
func (db *DB) CompactEvents(ctx context.Context, r roomd.Retention, now time.Time, limit int) (int, error) {
	if err := r.Validate(); err != nil {
		return 0, err
	}
	if limit < 1 {
		return 0, roomd.Errorf(roomd.EINVALID, "compaction limit %d is below 1", limit)
	}
	var runs []run
	err := db.View(ctx, func(rt roomd.Tx) error {
		var err error
		runs, err = rt.(*tx).compactRuns(ctx, r, nanos(now.Add(-r.MaxAge)), limit)
		return err
	})
	if err != nil || len(runs) == 0 {
		return 0, err
	}
	var apps, froms, tos []int64
	var rooms []string
	for _, c := range runs {
		apps, rooms, froms, tos = append(apps, int64(c.app)), append(rooms, c.room), append(froms, c.from), append(tos, c.to)
	}
	var deleted int64
	err = db.Update(ctx, func(wt roomd.Tx) error {
		var err error
		deleted, err = wt.(*tx).exec(ctx, compactDelete, apps, rooms, froms, tos)
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
func (t *tx) compactRuns(ctx context.Context, r roomd.Retention, cutoff int64, limit int) ([]run, error) {
	rooms, err := all(ctx, t, func(row pgx.CollectableRow) (run, error) {
		var c run
		return c, row.Scan(&c.app, &c.room, &c.from, &c.to)
	}, compactRooms, r.MinEvents, cutoff)
	if err != nil {
		return nil, err
	}
	var runs []run
	left := int64(limit)
	for _, c := range rooms {
		if left == 0 {
			break
		}
		c.to = min(c.to, c.from+left-1)
		young, found, err := first(ctx, t, pgx.RowTo[int64], compactYoung, c.app, c.room, c.from, c.to, cutoff)
		if err != nil {
			return nil, err
		}
		if found {
			c.to = young - 1 // >= c.from: the room's first event is old
		}
		runs = append(runs, c)
		left -= c.to - c.from + 1
	}
	return runs, nil
}
