package sqlite

import (
	"context"

	"github.com/roomd/roomd"
)

// AppEvents returns up to limit events of app with pos > after, in pos order.
func (t *tx) AppEvents(ctx context.Context, app uint32, after int64, limit int) ([]roomd.Event, error) {
	return list(ctx, t, func(s scanner) (roomd.Event, error) {
		e := roomd.Event{AppID: app}
		return e, scanEvent(s, &e, &e.RoomID, &e.Pos)
	}, `SELECT seq, type, actor, payload, time, room, pos FROM events WHERE app = ? AND pos > ? ORDER BY pos LIMIT ?`, app, after, limit)
}

// LastPos returns the pos of app's last event, 0 when none: one seek on
// events_pos.
func (t *tx) LastPos(ctx context.Context, app uint32) (int64, error) {
	var pos int64
	err := t.q.QueryRowContext(ctx, `SELECT COALESCE(max(pos), 0) FROM events WHERE app = ?`, app).Scan(&pos)
	return pos, wrap(err)
}

// lastPos is LastPos, from the writer's cache when it holds the app.
func (t *tx) lastPos(ctx context.Context, app uint32) (int64, error) {
	if t.c != nil {
		if pos, ok := t.c.pos[app]; ok {
			return pos, nil
		}
	}
	return t.LastPos(ctx, app)
}

// MembersAt returns up to limit users whose membership of room covers seq
// and did not end with it, in id order, and their number.
func (t *tx) MembersAt(ctx context.Context, app uint32, room string, seq int64, limit int) ([]string, int, error) {
	const where = ` FROM memberships WHERE app = ? AND room = ? AND joined <= ? AND (left = 0 OR left > ?)`
	n, err := t.count(ctx, `SELECT count(*)`+where, app, room, seq, seq)
	if err != nil || limit == 0 || n == 0 {
		return nil, n, err
	}
	ids, err := list(ctx, t, func(s scanner) (string, error) {
		var id string
		return id, s.Scan(&id)
	}, `SELECT user`+where+` ORDER BY user LIMIT ?`, app, room, seq, seq, limit)
	return ids, n, err
}

// HookCursor returns app's delivery cursor for style, or nil.
func (t *tx) HookCursor(ctx context.Context, app uint32, style string) (*roomd.HookCursor, error) {
	c, _, err := one(ctx, t, func(s scanner) (*roomd.HookCursor, error) {
		c := &roomd.HookCursor{AppID: app, Style: style}
		return c, s.Scan(&c.Pos)
	}, `SELECT pos FROM hook_cursors WHERE app = ? AND style = ?`, app, style)
	return c, err
}

// PutHookCursor inserts a delivery cursor or moves it forward.
func (t *tx) PutHookCursor(ctx context.Context, c *roomd.HookCursor) error {
	_, err := t.exec(ctx, `INSERT INTO hook_cursors (app, style, pos) VALUES (?, ?, ?)
		ON CONFLICT (app, style) DO UPDATE SET pos = max(pos, excluded.pos)`, c.AppID, c.Style, c.Pos)
	return err
}

// DeleteHookCursor removes a delivery cursor.
func (t *tx) DeleteHookCursor(ctx context.Context, app uint32, style string) error {
	_, err := t.exec(ctx, `DELETE FROM hook_cursors WHERE app = ? AND style = ?`, app, style)
	return err
}
