package postgres

import (
	"context"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/roomd/roomd"
)

// The console's reads (roomd/search.go): keyset pages, each one range scan
// of an index: rooms_live (app, id) WHERE NOT dismissed, the users'
// primary key (app, id), members_join_order (app, room, joined_at,
// user_id). The id ranges of roomd.SearchRange are in code point order,
// which is the database's order of text under the C and C.UTF-8
// collations (docs/console.md).

// idRange returns the SQL conditions on column that select the ids of
// roomd.SearchRange(prefix, after), numbering its parameters from n, and
// their arguments.
func idRange(column, prefix, after string, n int) (string, []any) {
	r := roomd.SearchRange(prefix, after)
	op := " >= $"
	if r.Exclusive {
		op = " > $"
	}
	cond, args := " AND "+column+op+strconv.Itoa(n), []any{r.From}
	if !r.Unbounded {
		cond += " AND " + column + " < $" + strconv.Itoa(n+1)
		args = append(args, r.To)
	}
	return cond, args
}

// SearchRooms returns a page of live rooms whose id starts with prefix.
func (t *tx) SearchRooms(ctx context.Context, app uint32, prefix, after string, limit int) ([]*roomd.Room, error) {
	cond, args := idRange("id", prefix, after, 3)
	scan := scanRoom(app)
	return all(ctx, t, func(row pgx.CollectableRow) (*roomd.Room, error) {
		n := 0
		r, err := scan(countRow{row, &n})
		if r != nil {
			r.MemberCount = n
		}
		return r, err
	}, `SELECT `+roomColumns+`, (SELECT count(*) FROM members m WHERE m.app = rooms.app AND m.room = rooms.id)
		FROM rooms WHERE app = $1 AND NOT dismissed`+cond+` ORDER BY id LIMIT $2`,
		append([]any{app, limit}, args...)...)
}

// countRow is a row of roomColumns followed by a member count.
type countRow struct {
	pgx.CollectableRow
	n *int
}

// Scan scans the row's columns into dest, and its last into the count.
func (r countRow) Scan(dest ...any) error { return r.CollectableRow.Scan(append(dest, r.n)...) }

// SearchUsers returns a page of users whose id starts with prefix.
func (t *tx) SearchUsers(ctx context.Context, app uint32, prefix, after string, limit int) ([]*roomd.User, error) {
	cond, args := idRange("id", prefix, after, 3)
	return all(ctx, t, func(row pgx.CollectableRow) (*roomd.User, error) {
		u := &roomd.User{AppID: app}
		return u, row.Scan(&u.ID, &u.Name, &u.Avatar, &u.Extra, nsInto{&u.CreatedAt})
	}, `SELECT id, name, avatar, extra, created_at FROM users WHERE app = $1`+cond+` ORDER BY id LIMIT $2`,
		append([]any{app, limit}, args...)...)
}

// MembersAfter returns a page of a room's members in join order.
func (t *tx) MembersAfter(ctx context.Context, app uint32, room string, after roomd.MemberKey, limit int) ([]*roomd.Member, error) {
	sql, args := memberSelect+`WHERE m.app = $1 AND m.room = $2`, []any{app, room, limit}
	if after != (roomd.MemberKey{}) { // the zero key: from the first
		sql += ` AND (m.joined_at, m.user_id) > ($4, $5)`
		args = append(args, ns(after.JoinedAt), after.UserID)
	}
	return all(ctx, t, scanMember(app, room), sql+joinOrder+` LIMIT $3`, args...)
}
