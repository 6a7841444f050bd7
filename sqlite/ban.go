package sqlite

import (
	"context"
	"time"

	"github.com/roomd/roomd"
)

func scanBan(app uint32, room string) func(scanner) (*roomd.Ban, error) {
	return func(s scanner) (*roomd.Ban, error) {
		b := &roomd.Ban{AppID: app, RoomID: room}
		var until, created int64
		err := s.Scan(&b.UserID, &until, &b.Reason, &created)
		b.Until, b.CreatedAt = fromNanos(until), fromNanos(created)
		return b, err
	}
}

// Ban returns a ban, or nil when there is none.
func (t *tx) Ban(ctx context.Context, app uint32, room, user string) (*roomd.Ban, error) {
	b, _, err := one(ctx, t, scanBan(app, room), `SELECT user, until, reason, created_at FROM bans WHERE app = ? AND room = ? AND user = ?`, app, room, user)
	return b, err
}

// PutBan inserts or replaces a ban.
func (t *tx) PutBan(ctx context.Context, b *roomd.Ban) error {
	_, err := t.exec(ctx, `INSERT INTO bans (app, room, user, until, reason, created_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (app, room, user) DO UPDATE SET until = excluded.until, reason = excluded.reason, created_at = excluded.created_at`,
		b.AppID, b.RoomID, b.UserID, nanos(b.Until), b.Reason, nanos(b.CreatedAt))
	return err
}

// DeleteBan lifts a ban.
func (t *tx) DeleteBan(ctx context.Context, app uint32, room, user string) error {
	_, err := t.exec(ctx, `DELETE FROM bans WHERE app = ? AND room = ? AND user = ?`, app, room, user)
	return err
}

// activeBan is the condition on bans b of being in force at ?3.
const activeBan = `b.app = ?1 AND b.room = ?2 AND (b.until = 0 OR b.until > ?3)`

// Bans returns a page of the bans in force at now, by user id, and their number.
func (t *tx) Bans(ctx context.Context, app uint32, room string, now time.Time, offset, limit int) ([]*roomd.Ban, int, error) {
	offset, limit = page(offset, limit)
	at := now.UnixNano()
	bans, err := list(ctx, t, scanBan(app, room), `SELECT b.user, b.until, b.reason, b.created_at FROM bans b WHERE `+activeBan+` ORDER BY b.user LIMIT ?4 OFFSET ?5`, app, room, at, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	total, err := t.count(ctx, `SELECT count(*) FROM bans b WHERE `+activeBan, app, room, at)
	return bans, total, err
}
