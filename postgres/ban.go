package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/roomd/roomd"
)

// scanBan returns the scanner of a ban's user_id, until, reason and
// created_at for bans of a room.
func scanBan(app uint32, room string) pgx.RowToFunc[*roomd.Ban] {
	return func(row pgx.CollectableRow) (*roomd.Ban, error) {
		b := &roomd.Ban{AppID: app, RoomID: room}
		return b, row.Scan(&b.UserID, nsInto{&b.Until}, &b.Reason, nsInto{&b.CreatedAt})
	}
}

// Ban returns the ban of a user in a room, or nil.
func (t *tx) Ban(ctx context.Context, app uint32, room, user string) (*roomd.Ban, error) {
	b, _, err := first(ctx, t, scanBan(app, room), `SELECT user_id, until, reason, created_at FROM bans
		WHERE app = $1 AND room = $2 AND user_id = $3`, app, room, user)
	return b, err
}

// PutBan inserts or replaces a ban.
func (t *tx) PutBan(ctx context.Context, b *roomd.Ban) error {
	_, err := t.exec(ctx, `INSERT INTO bans (app, room, user_id, until, reason, created_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (app, room, user_id) DO UPDATE SET until = excluded.until, reason = excluded.reason, created_at = excluded.created_at`,
		b.AppID, b.RoomID, b.UserID, ns(b.Until), b.Reason, ns(b.CreatedAt))
	return err
}

// DeleteBan lifts a ban; an absent one is not an error.
func (t *tx) DeleteBan(ctx context.Context, app uint32, room, user string) error {
	_, err := t.exec(ctx, `DELETE FROM bans WHERE app = $1 AND room = $2 AND user_id = $3`, app, room, user)
	return err
}

// inForce is the condition on a row of bans, room_mutes or member_mutes of
// being in force at $2 (Unix nanoseconds); $1 is the app.
const inForce = `app = $1 AND (until = 0 OR until > $2)`

// Bans returns a page of a room's bans in force at now, by user id, and
// their number.
func (t *tx) Bans(ctx context.Context, app uint32, room string, now time.Time, offset, limit int) ([]*roomd.Ban, int, error) {
	bans, err := all(ctx, t, scanBan(app, room), `SELECT user_id, until, reason, created_at FROM bans
		WHERE `+inForce+` AND room = $3 ORDER BY user_id LIMIT $4 OFFSET $5`, app, ns(now), room, limitArg(limit), max(offset, 0))
	if err != nil {
		return nil, 0, err
	}
	n, err := value[int](ctx, t, `SELECT count(*) FROM bans WHERE `+inForce+` AND room = $3`, app, ns(now), room)
	return bans, n, err
}
