package sqlite

import (
	"context"

	"github.com/roomd/roomd"
)

// memberSelect selects members with the user's name; callers append the
// WHERE clause on m.
const memberSelect = `SELECT m.user, m.role, m.name_card, m.custom_info, m.joined_at, coalesce(u.name, '')
	FROM members m LEFT JOIN users u ON u.app = m.app AND u.id = m.user `

func scanMember(app uint32, room string) func(scanner) (*roomd.Member, error) {
	return func(s scanner) (*roomd.Member, error) {
		m := &roomd.Member{AppID: app, RoomID: room}
		var joined int64
		err := s.Scan(&m.UserID, &m.Role, &m.NameCard, &m.CustomInfo, &joined, &m.UserName)
		m.JoinedAt = fromNanos(joined)
		return m, err
	}
}

// Member returns a membership with the user's name, or ENOTMEMBER.
func (t *tx) Member(ctx context.Context, app uint32, room, user string) (*roomd.Member, error) {
	k := roomKey{app, room}
	if t.c != nil {
		if m, ok := t.c.members[k][user]; ok {
			return t.named(ctx, copyMember(m))
		}
	}
	m, ok, err := one(ctx, t, scanMember(app, room), memberSelect+`WHERE m.app = ? AND m.room = ? AND m.user = ?`, app, room, user)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, roomd.Errorf(roomd.ENOTMEMBER, "user %q is not a member of the room", user)
	}
	if t.c != nil {
		t.c.setMember(k, user, copyMember(m))
	}
	return m, nil
}

// named fills in m.UserName from the user's profile, as the SQL join does.
func (t *tx) named(ctx context.Context, m *roomd.Member) (*roomd.Member, error) {
	u, err := t.User(ctx, m.AppID, m.UserID)
	switch {
	case err == nil:
		m.UserName = u.Name
	case roomd.ErrorCode(err) != roomd.ENOUSER:
		return nil, err
	}
	return m, nil
}

// Members returns a page of members in join order and the member count.
func (t *tx) Members(ctx context.Context, app uint32, room string, offset, limit int) ([]*roomd.Member, int, error) {
	offset, limit = page(offset, limit)
	ms, err := list(ctx, t, scanMember(app, room), memberSelect+`WHERE m.app = ? AND m.room = ? ORDER BY m.joined_at, m.user LIMIT ? OFFSET ?`, app, room, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	total, err := t.MemberCount(ctx, app, room)
	return ms, total, err
}

// MemberCount returns the number of members of a room.
func (t *tx) MemberCount(ctx context.Context, app uint32, room string) (int, error) {
	return t.count(ctx, `SELECT count(*) FROM members WHERE app = ? AND room = ?`, app, room)
}

// PutMember inserts or replaces a membership.
func (t *tx) PutMember(ctx context.Context, m *roomd.Member) error {
	if _, err := t.User(ctx, m.AppID, m.UserID); err != nil {
		return err
	}
	_, err := t.exec(ctx, `INSERT INTO members (app, room, user, role, name_card, custom_info, joined_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (app, room, user) DO UPDATE SET role = excluded.role, name_card = excluded.name_card,
			custom_info = excluded.custom_info, joined_at = excluded.joined_at`,
		m.AppID, m.RoomID, m.UserID, int(m.Role), m.NameCard, m.CustomInfo, nanos(m.JoinedAt))
	if err == nil && t.c != nil {
		t.c.setMember(roomKey{m.AppID, m.RoomID}, m.UserID, copyMember(m))
	}
	return err
}

// DeleteMember removes a membership and the member's mute (mute.go).
func (t *tx) DeleteMember(ctx context.Context, app uint32, room, user string) error {
	_, err := t.exec(ctx, `DELETE FROM members WHERE app = ? AND room = ? AND user = ?`, app, room, user)
	if err == nil {
		err = t.DeleteMemberMute(ctx, app, room, user)
	}
	if err == nil && t.c != nil {
		t.c.setMember(roomKey{app, room}, user, nil)
	}
	return err
}

// Successor returns the earliest-joined member (then smallest id), or nil.
func (t *tx) Successor(ctx context.Context, app uint32, room string) (*roomd.Member, error) {
	m, _, err := one(ctx, t, scanMember(app, room), memberSelect+`WHERE m.app = ? AND m.room = ? ORDER BY m.joined_at, m.user LIMIT 1`, app, room)
	return m, err
}
