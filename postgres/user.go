package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/roomd/roomd"
)

// User returns a user, or ENOUSER.
func (t *tx) User(ctx context.Context, app uint32, id string) (*roomd.User, error) {
	u, found, err := first(ctx, t, func(row pgx.CollectableRow) (*roomd.User, error) {
		u := &roomd.User{AppID: app, ID: id}
		return u, row.Scan(&u.Name, &u.Avatar, &u.Extra, nsInto{&u.CreatedAt})
	}, `SELECT name, avatar, extra, created_at FROM users WHERE app = $1 AND id = $2`, app, id)
	if err == nil && !found {
		err = roomd.Errorf(roomd.ENOUSER, "user %q is not registered", id)
	}
	return u, err
}

// PutUser inserts or replaces a user.
func (t *tx) PutUser(ctx context.Context, u *roomd.User) error {
	_, err := t.exec(ctx, `INSERT INTO users (app, id, name, avatar, extra, created_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (app, id) DO UPDATE SET name = excluded.name, avatar = excluded.avatar, extra = excluded.extra,
			created_at = excluded.created_at`,
		u.AppID, u.ID, u.Name, u.Avatar, u.Extra, ns(u.CreatedAt))
	return err
}

// DeleteUser deletes a user's account; an absent one is not an error.
func (t *tx) DeleteUser(ctx context.Context, app uint32, id string) error {
	_, err := t.exec(ctx, `DELETE FROM users WHERE app = $1 AND id = $2`, app, id)
	return err
}
