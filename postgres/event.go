package postgres

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5"
	"github.com/roomd/roomd"
)

// appendEvents writes the events of one app ($1), given as arrays in log
// order, in one statement: it moves the app's last position ($2 = how
// many), inserts the events after it, and moves each room's seq. The
// upsert on app_logs locks the app's row until commit, so that the next
// writer of the app takes its positions after these, once they are
// committed or rolled back. The statement returns the new last position.
const appendEvents = `WITH
	cur AS (
		INSERT INTO app_logs AS l (app, pos) VALUES ($1, $2)
		ON CONFLICT (app) DO UPDATE SET pos = l.pos + excluded.pos
		RETURNING l.pos
	),
	batch AS (
		SELECT * FROM unnest($3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::bigint[])
			WITH ORDINALITY AS e (room, seq, type, actor, payload, at, n)
	),
	ins AS (
		INSERT INTO events (app, room, seq, type, actor, payload, at, pos)
		SELECT $1, batch.room, batch.seq, batch.type, batch.actor, batch.payload, batch.at, cur.pos - $2 + batch.n FROM batch, cur
	),
	seqs AS (
		UPDATE rooms SET seq = top.seq
		FROM (SELECT room, max(seq) AS seq FROM batch GROUP BY room) top
		WHERE rooms.app = $1 AND rooms.id = top.room AND rooms.seq < top.seq
	)
SELECT pos FROM cur`

// AppendEvents writes events, one statement per app they belong to (one in
// practice), and sets their Pos. A (room, seq) that exists already fails
// the primary key: EINTERNAL.
func (t *tx) AppendEvents(ctx context.Context, events []roomd.Event) error {
	done := make([]bool, len(events))
	for i := range events {
		if done[i] {
			continue
		}
		app := events[i].AppID
		var idx []int
		var rooms, types, actors, payloads []string
		var seqs, ats []int64
		for j := i; j < len(events); j++ {
			e := &events[j]
			if done[j] || e.AppID != app {
				continue
			}
			done[j] = true
			idx = append(idx, j)
			rooms, seqs, types = append(rooms, e.RoomID), append(seqs, e.Seq), append(types, string(e.Type))
			actors, payloads = append(actors, e.Actor), append(payloads, string(e.Payload))
			ats = append(ats, nanos(e.Time))
		}
		last, err := value[int64](ctx, t, appendEvents, app, len(idx), rooms, seqs, types, actors, payloads, ats)
		if err != nil {
			return err
		}
		for k, j := range idx {
			events[j].Pos = last - int64(len(idx)) + int64(k) + 1
		}
	}
	return nil
}

// eventColumns are the columns scanEvent reads.
const eventColumns = `room, seq, pos, type, actor, payload, at`

// scanEvent scans eventColumns into an event of app.
func scanEvent(app uint32) pgx.RowToFunc[roomd.Event] {
	return func(row pgx.CollectableRow) (roomd.Event, error) {
		e := roomd.Event{AppID: app}
		var payload string
		err := row.Scan(&e.RoomID, &e.Seq, &e.Pos, &e.Type, &e.Actor, &payload, nsInto{&e.Time})
		if payload != "" {
			e.Payload = json.RawMessage(payload)
		}
		return e, err
	}
}

// Events returns up to limit events of a room with seq > after, in order.
func (t *tx) Events(ctx context.Context, app uint32, room string, after int64, limit int) ([]roomd.Event, error) {
	return all(ctx, t, scanEvent(app), `SELECT `+eventColumns+` FROM events WHERE app = $1 AND room = $2 AND seq > $3
		ORDER BY seq LIMIT $4`, app, room, after, limitArg(limit))
}

// LastSeq returns the seq of the last event written for a room id, which
// compaction never deletes.
func (t *tx) LastSeq(ctx context.Context, app uint32, room string) (int64, error) {
	return value[int64](ctx, t, `SELECT coalesce(max(seq), 0) FROM events WHERE app = $1 AND room = $2`, app, room)
}

// AppEvents returns up to limit events of app with pos > after, in pos order.
func (t *tx) AppEvents(ctx context.Context, app uint32, after int64, limit int) ([]roomd.Event, error) {
	return all(ctx, t, scanEvent(app), `SELECT `+eventColumns+` FROM events WHERE app = $1 AND pos > $2
		ORDER BY pos LIMIT $3`, app, after, limitArg(limit))
}

// LastPos returns the last position given in app's log, 0 when none.
func (t *tx) LastPos(ctx context.Context, app uint32) (int64, error) {
	return value[int64](ctx, t, `SELECT coalesce((SELECT pos FROM app_logs WHERE app = $1), 0)`, app)
}
