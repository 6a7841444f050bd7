package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/roomd/roomd"
)

// memberSelect selects members m with the name of their user; callers add
// the WHERE clause.
const memberSelect = `SELECT m.user_id, m.role, m.name_card, m.custom_info, m.joined_at, coalesce(u.name, '')
	FROM members m LEFT JOIN users u ON u.app = m.app AND u.id = m.user_id `

// joinOrder orders members by join time, then id.
const joinOrder = ` ORDER BY m.joined_at, m.user_id`

// scanMember returns the scanner of memberSelect for members of a room.
func scanMember(app uint32, room string) pgx.RowToFunc[*roomd.Member] {
	return func(row pgx.CollectableRow) (*roomd.Member, error) {
		m := &roomd.Member{AppID: app, RoomID: room}
		return m, row.Scan(&m.UserID, &m.Role, &m.NameCard, &m.CustomInfo, nsInto{&m.JoinedAt}, &m.UserName)
	}
}

// Member returns a membership with the user's name, or ENOTMEMBER.
func (t *tx) Member(ctx context.Context, app uint32, room, user string) (*roomd.Member, error) {
	m, found, err := first(ctx, t, scanMember(app, room), memberSelect+`WHERE m.app = $1 AND m.room = $2 AND m.user_id = $3`, app, room, user)
	if err == nil && !found {
		err = notMember(user)
	}
	return m, err
}

// notMember is the ENOTMEMBER error of a user who is not a member.
func notMember(user string) *roomd.Error {
	return roomd.Errorf(roomd.ENOTMEMBER, "user %q is not a member of the room", user)
}

// Members returns a page of a room's members in join order, and their number.
func (t *tx) Members(ctx context.Context, app uint32, room string, offset, limit int) ([]*roomd.Member, int, error) {
	ms, err := all(ctx, t, scanMember(app, room), memberSelect+`WHERE m.app = $1 AND m.room = $2`+joinOrder+` LIMIT $3 OFFSET $4`,
		app, room, limitArg(limit), max(offset, 0))
	if err != nil {
		return nil, 0, err
	}
	n, err := t.MemberCount(ctx, app, room)
	return ms, n, err
}

// MemberCount returns the number of members of a room.
func (t *tx) MemberCount(ctx context.Context, app uint32, room string) (int, error) {
	return value[int](ctx, t, `SELECT count(*) FROM members WHERE app = $1 AND room = $2`, app, room)
}

// PutMember inserts or replaces a membership.
func (t *tx) PutMember(ctx context.Context, m *roomd.Member) error {
	// The user's key stays locked until the transaction ends, so the user
	// cannot be deleted meanwhile (migrations/0002_members_user.sql).
	n, err := t.exec(ctx, `WITH u AS (SELECT 1 FROM users WHERE app = $1 AND id = $3 FOR KEY SHARE)
		INSERT INTO members (app, room, user_id, role, name_card, custom_info, joined_at)
		SELECT $1, $2, $3, $4, $5, $6, $7 FROM u
		ON CONFLICT (app, room, user_id) DO UPDATE SET role = excluded.role, name_card = excluded.name_card,
			custom_info = excluded.custom_info, joined_at = excluded.joined_at`,
		m.AppID, m.RoomID, m.UserID, int(m.Role), m.NameCard, m.CustomInfo, ns(m.JoinedAt))
	if err == nil && n == 0 {
		err = roomd.Errorf(roomd.ENOUSER, "user %q is not registered", m.UserID)
	}
	return err
}

// DeleteMember removes a membership and the member's mute, in one statement.
func (t *tx) DeleteMember(ctx context.Context, app uint32, room, user string) error {
	_, err := t.exec(ctx, `WITH mute AS (DELETE FROM member_mutes WHERE app = $1 AND room = $2 AND user_id = $3)
		DELETE FROM members WHERE app = $1 AND room = $2 AND user_id = $3`, app, room, user)
	return err
}

// Successor returns the earliest-joined member (then the smallest id), or nil.
func (t *tx) Successor(ctx context.Context, app uint32, room string) (*roomd.Member, error) {
	m, _, err := first(ctx, t, scanMember(app, room), memberSelect+`WHERE m.app = $1 AND m.room = $2`+joinOrder+` LIMIT 1`, app, room)
	return m, err
}
