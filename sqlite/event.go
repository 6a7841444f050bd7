package sqlite

import (
	"context"
	"encoding/json"

	"github.com/roomd/roomd"
)

// AppendEvents writes events; a room's seq is read from its last event. A
// (room, seq) that exists already fails the primary key: EINTERNAL.
func (t *tx) AppendEvents(ctx context.Context, events []roomd.Event) error {
	for i := range events {
		e := &events[i]
		if _, err := t.exec(ctx, `INSERT INTO events (app, room, seq, type, actor, payload, time) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			e.AppID, e.RoomID, e.Seq, string(e.Type), e.Actor, string(e.Payload), nanos(e.Time)); err != nil {
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
		var typ, payload string
		var at int64
		err := s.Scan(&e.Seq, &typ, &e.Actor, &payload, &at)
		e.Type, e.Time = roomd.EventType(typ), fromNanos(at)
		if payload != "" {
			e.Payload = json.RawMessage(payload)
		}
		return e, err
	}, `SELECT seq, type, actor, payload, time FROM events WHERE app = ? AND room = ? AND seq > ? ORDER BY seq LIMIT ?`, app, room, after, limit)
}
