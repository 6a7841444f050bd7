package postgres

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/roomd/roomd"
)

// appendEvents writes the events of one app ($1), given as arrays in log
// order, in one statement: it inserts them without a position, in order,
// so that their ids follow it (the sequencer numbers them after commit in
// id order), and moves each room's seq.
const appendEvents = `WITH
	batch AS (
		SELECT * FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[])
			WITH ORDINALITY AS e (room, seq, type, actor, payload, at, n)
	),
	ins AS (
		INSERT INTO events (app, room, seq, type, actor, payload, at)
		SELECT $1, room, seq, type, actor, payload, at FROM batch ORDER BY n
	)
UPDATE rooms SET seq = top.seq
	FROM (SELECT room, max(seq) AS seq FROM batch GROUP BY room) top
	WHERE rooms.app = $1 AND rooms.id = top.room AND rooms.seq < top.seq`

// AppendEvents queues the statements that write events, one per app they
// belong to (one in practice); they go with the transaction's next round
// trip. The events get their Pos from the sequencer, after commit: Pos
// stays 0 here. A (room, seq) that exists already fails the primary key
// (EINTERNAL), from the call that sends the statement or from Update.
func (t *tx) AppendEvents(ctx context.Context, events []roomd.Event) error {
	done := make([]bool, len(events))
	for i := range events {
		if done[i] {
			continue
		}
		app := events[i].AppID
		var rooms, types, actors, payloads []string
		var seqs, ats []int64
		for j := i; j < len(events); j++ {
			e := &events[j]
			if done[j] || e.AppID != app {
				continue
			}
			done[j] = true
			rooms, seqs, types = append(rooms, e.RoomID), append(seqs, e.Seq), append(types, string(e.Type))
			actors, payloads = append(actors, e.Actor), append(payloads, string(e.Payload))
			ats = append(ats, nanos(e.Time))
		}
		t.later(appendEvents, app, rooms, seqs, types, actors, payloads, ats)
		if !slices.Contains(t.apps, app) {
			t.apps = append(t.apps, app)
		}
	}
	return nil
}

// eventColumns are the columns scanEvent reads.
const eventColumns = `room, seq, coalesce(pos, 0), type, actor, payload, at`

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
