package sqlite

import (
	"context"

	"github.com/roomd/roomd"
)

// User returns a user, or ENOUSER.
func (t *tx) User(ctx context.Context, app uint32, id string) (*roomd.User, error) {
	k := userKey{app, id}
	if t.c != nil {
		if u, ok := t.c.users[k]; ok {
			return copyUser(u), nil
		}
	}
	u, ok, err := one(ctx, t, func(s scanner) (*roomd.User, error) {
		u := &roomd.User{AppID: app, ID: id}
		var created int64
		err := s.Scan(&u.Name, &u.Avatar, &u.Extra, &created)
		u.CreatedAt = fromNanos(created)
		return u, err
	}, `SELECT name, avatar, extra, created_at FROM users WHERE app = ? AND id = ?`, app, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, roomd.Errorf(roomd.ENOUSER, "user %q is not registered", id)
	}
	if t.c != nil {
		t.c.setUser(k, copyUser(u))
	}
	return u, nil
}

// PutUser inserts or replaces a user.
func (t *tx) PutUser(ctx context.Context, u *roomd.User) error {
	_, err := t.exec(ctx, `INSERT INTO users (app, id, name, avatar, extra, created_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (app, id) DO UPDATE SET name = excluded.name, avatar = excluded.avatar, extra = excluded.extra, created_at = excluded.created_at`,
		u.AppID, u.ID, u.Name, u.Avatar, u.Extra, nanos(u.CreatedAt))
	if err == nil && t.c != nil {
		t.c.setUser(userKey{u.AppID, u.ID}, copyUser(u))
	}
	return err
}

// DeleteUser deletes a user's account.
func (t *tx) DeleteUser(ctx context.Context, app uint32, id string) error {
	_, err := t.exec(ctx, `DELETE FROM users WHERE app = ? AND id = ?`, app, id)
	if err == nil && t.c != nil {
		t.c.setUser(userKey{app, id}, nil)
	}
	return err
}
