package sqlite

import (
	"context"

	"github.com/roomd/roomd"
)

// The console's reads (roomd/search.go): keyset pages, each one range scan
// of a key: rooms_live (app, dismissed, id), the users' primary key
// (app, id), members_join_order (app, room, joined_at, user). Text keys
// compare as bytes (SQLite's BINARY collation), as roomd.SearchRange does.

// idRange returns the SQL conditions on column that select the ids of
// roomd.SearchRange(prefix, after), and their arguments.
func idRange(column, prefix, after string) (string, []any) {
	r := roomd.SearchRange(prefix, after)
	op := " >= ?"
	if r.Exclusive {
		op = " > ?"
	}
	cond, args := " AND "+column+op, []any{r.From}
	if !r.Unbounded {
		cond += " AND " + column + " < ?"
		args = append(args, r.To)
	}
	return cond, args
}

// SearchRooms returns a page of live rooms whose id starts with prefix.
func (t *tx) SearchRooms(ctx context.Context, app uint32, prefix, after string, limit int) ([]*roomd.Room, error) {
	cond, args := idRange("id", prefix, after)
	args = append(append([]any{app}, args...), limit)
	scan := scanRoom(app)
	return list(ctx, t, func(s scanner) (*roomd.Room, error) {
		n := 0
		r, err := scan(countScanner{s, &n})
		if r != nil {
			r.MemberCount = n
		}
		return r, err
	}, `SELECT `+roomColumns+`, (SELECT count(*) FROM members m WHERE m.app = rooms.app AND m.room = rooms.id)
		FROM rooms WHERE app = ? AND dismissed = 0`+cond+` ORDER BY id LIMIT ?`, args...)
}

// countScanner scans a row of roomColumns followed by a member count.
type countScanner struct {
	scanner
	n *int
}

// Scan scans the row's columns into dest, and its last into the count.
func (s countScanner) Scan(dest ...any) error { return s.scanner.Scan(append(dest, s.n)...) }

// SearchUsers returns a page of users whose id starts with prefix.
func (t *tx) SearchUsers(ctx context.Context, app uint32, prefix, after string, limit int) ([]*roomd.User, error) {
	cond, args := idRange("id", prefix, after)
	args = append(append([]any{app}, args...), limit)
	return list(ctx, t, func(s scanner) (*roomd.User, error) {
		u := &roomd.User{AppID: app}
		var created int64
		err := s.Scan(&u.ID, &u.Name, &u.Avatar, &u.Extra, &created)
		u.CreatedAt = fromNanos(created)
		return u, err
	}, `SELECT id, name, avatar, extra, created_at FROM users WHERE app = ?`+cond+` ORDER BY id LIMIT ?`, args...)
}

// MembersAfter returns a page of a room's members in join order.
func (t *tx) MembersAfter(ctx context.Context, app uint32, room string, after roomd.MemberKey, limit int) ([]*roomd.Member, error) {
	sql, args := memberSelect+`WHERE m.app = ? AND m.room = ?`, []any{app, room}
	if after != (roomd.MemberKey{}) { // the zero key: from the first
		sql += ` AND (m.joined_at, m.user) > (?, ?)`
		args = append(args, nanos(after.JoinedAt), after.UserID)
	}
	return list(ctx, t, scanMember(app, room), sql+` ORDER BY m.joined_at, m.user LIMIT ?`, append(args, limit)...)
}
