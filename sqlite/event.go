package sqlite

import (
	"context"
	"encoding/json"

	"github.com/roomd/roomd"
)

// AppendEvents writes events and sets each room's seq to its last event's.
// A (room, seq) that exists already fails the primary key: EINTERNAL.
func (t *tx) AppendEvents(ctx context.Context, events []roomd.Event) error {
	type key struct {
		app  uint32
		room string
	}
	last := make(map[key]int64, 1)
	for i := range events {
		e := &events[i]
		if _, err := t.exec(ctx, `INSERT INTO events (app, room, seq, type, actor, payload, time) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			e.AppID, e.RoomID, e.Seq, string(e.Type), e.Actor, string(e.Payload), nanos(e.Time)); err != nil {
			return err
		}
		k := key{e.AppID, e.RoomID}
		last[k] = max(last[k], e.Seq)
	}
	for k, seq := range last {
		if _, err := t.exec(ctx, `UPDATE rooms SET seq = max(seq, ?) WHERE app = ? AND id = ?`, seq, k.app, k.room); err != nil {
			return err
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
