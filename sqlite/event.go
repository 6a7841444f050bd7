package sqlite

import (
	"context"
	"encoding/json"

	"github.com/roomd/roomd"
)

// AppendEvents writes events; a room's seq is read from its last event. A
// (room, seq) that exists already fails the primary key: EINTERNAL.
// Each event's pos follows the app's last: the writer is the only one, so
// positions are taken in the order transactions commit.
func (t *tx) AppendEvents(ctx context.Context, events []roomd.Event) error {
	var app uint32
	var pos int64
	for i := range events {
		e := &events[i]
		if i == 0 || e.AppID != app {
			last, err := t.lastPos(ctx, e.AppID)
			if err != nil {
				return err
			}
			app, pos = e.AppID, last
		}
		pos++
		e.Pos = pos
		if t.c != nil {
			t.c.setPos(app, pos)
		}
		if _, err := t.exec(ctx, `INSERT INTO events (app, room, seq, type, actor, payload, time, pos) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			e.AppID, e.RoomID, e.Seq, string(e.Type), e.Actor, string(e.Payload), nanos(e.Time), e.Pos); err != nil {
			return err
		}
		if t.c != nil { // the room's seq, as Room would now read it
			k := roomKey{e.AppID, e.RoomID}
			if r, ok := t.c.rooms[k]; ok && e.Seq > r.Seq {
				r = copyRoom(r)
				r.Seq = e.Seq
				t.c.setRoom(k, r)
			}
		}
	}
	return nil
}

// Events returns up to limit events of a room with seq > after, in order.
func (t *tx) Events(ctx context.Context, app uint32, room string, after int64, limit int) ([]roomd.Event, error) {
	return list(ctx, t, func(s scanner) (roomd.Event, error) {
		e := roomd.Event{AppID: app, RoomID: room}
		return e, scanEvent(s, &e, &e.Pos)
	}, `SELECT seq, type, actor, payload, time, pos FROM events WHERE app = ? AND room = ? AND seq > ? ORDER BY seq LIMIT ?`, app, room, after, limit)
}

// scanEvent scans the columns seq, type, actor, payload and time into e,
// then the columns after them into more.
func scanEvent(s scanner, e *roomd.Event, more ...any) error {
	var typ, payload string
	var at int64
	err := s.Scan(append([]any{&e.Seq, &typ, &e.Actor, &payload, &at}, more...)...)
	e.Type, e.Time = roomd.EventType(typ), fromNanos(at)
	if payload != "" {
		e.Payload = json.RawMessage(payload)
	}
	return err
}
