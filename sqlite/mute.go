package sqlite

import (
	"context"
	"time"

	"github.com/roomd/roomd"
)

// Mutes (0006_mutes.sql). They are not in the writer's cache: mute calls
// are rare next to the lookups every update makes.

// RoomMute returns the room-level mute of a room, or nil.
func (t *tx) RoomMute(ctx context.Context, app uint32, room string) (*roomd.RoomMute, error) {
	m, _, err := one(ctx, t, func(s scanner) (*roomd.RoomMute, error) {
		m := &roomd.RoomMute{AppID: app, RoomID: room}
		var roles string
		var until int64
		if err := s.Scan(&m.All, &roles, &until); err != nil {
			return nil, err
		}
		m.Until = fromNanos(until)
		if err := fromJSON(roles, &m.Roles); err != nil {
			return nil, err
		}
		return m, nil
	}, `SELECT all_members, roles, until FROM room_mutes WHERE app = ? AND room = ?`, app, room)
	return m, err
}

// PutRoomMute inserts or replaces the room-level mute of a room.
func (t *tx) PutRoomMute(ctx context.Context, m *roomd.RoomMute) error {
	roles := m.Roles
	if roles == nil {
		roles = []roomd.Role{}
	}
	text, err := toJSON(roles)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `INSERT INTO room_mutes (app, room, all_members, roles, until) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (app, room) DO UPDATE SET all_members = excluded.all_members, roles = excluded.roles, until = excluded.until`,
		m.AppID, m.RoomID, m.All, text, nanos(m.Until))
	return err
}

// DeleteRoomMute removes the room-level mute of a room.
func (t *tx) DeleteRoomMute(ctx context.Context, app uint32, room string) error {
	_, err := t.exec(ctx, `DELETE FROM room_mutes WHERE app = ? AND room = ?`, app, room)
	return err
}

func scanMemberMute(app uint32, room string) func(scanner) (*roomd.MemberMute, error) {
	return func(s scanner) (*roomd.MemberMute, error) {
		m := &roomd.MemberMute{AppID: app, RoomID: room}
		var until int64
		err := s.Scan(&m.UserID, &until)
		m.Until = fromNanos(until)
		return m, err
	}
}

// MemberMute returns the mute of a user in a room, or nil.
func (t *tx) MemberMute(ctx context.Context, app uint32, room, user string) (*roomd.MemberMute, error) {
	m, _, err := one(ctx, t, scanMemberMute(app, room), `SELECT user, until FROM member_mutes WHERE app = ? AND room = ? AND user = ?`, app, room, user)
	return m, err
}

// PutMemberMute inserts or replaces the mute of a user in a room.
func (t *tx) PutMemberMute(ctx context.Context, m *roomd.MemberMute) error {
	_, err := t.exec(ctx, `INSERT INTO member_mutes (app, room, user, until) VALUES (?, ?, ?, ?)
		ON CONFLICT (app, room, user) DO UPDATE SET until = excluded.until`,
		m.AppID, m.RoomID, m.UserID, nanos(m.Until))
	return err
}

// DeleteMemberMute removes the mute of a user in a room.
func (t *tx) DeleteMemberMute(ctx context.Context, app uint32, room, user string) error {
	_, err := t.exec(ctx, `DELETE FROM member_mutes WHERE app = ? AND room = ? AND user = ?`, app, room, user)
	return err
}

// activeMute is the condition on a mute table's row of being in force at ?2
// (?1 is the app).
const activeMute = `app = ?1 AND (until = 0 OR until > ?2)`

// MemberMutes returns a page of the member mutes of a room in force at now,
// by user id, and their number.
func (t *tx) MemberMutes(ctx context.Context, app uint32, room string, now time.Time, offset, limit int) ([]*roomd.MemberMute, int, error) {
	offset, limit = page(offset, limit)
	at := now.UnixNano()
	mutes, err := list(ctx, t, scanMemberMute(app, room), `SELECT user, until FROM member_mutes WHERE `+activeMute+` AND room = ?3 ORDER BY user LIMIT ?4 OFFSET ?5`,
		app, at, room, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	total, err := t.count(ctx, `SELECT count(*) FROM member_mutes WHERE `+activeMute+` AND room = ?3`, app, at, room)
	return mutes, total, err
}

// Kinds of mute, as bits of the kind sum MutedRooms reads.
const (
	kindAll     = 1
	kindRoles   = 2
	kindMembers = 4
)

// MutedRooms returns a page of app's rooms with a mute in force at now, by id.
func (t *tx) MutedRooms(ctx context.Context, app uint32, now time.Time, offset, limit int) ([]roomd.MutedRoom, error) {
	offset, limit = page(offset, limit)
	return list(ctx, t, func(s scanner) (roomd.MutedRoom, error) {
		var r roomd.MutedRoom
		var kinds int
		err := s.Scan(&r.RoomID, &kinds)
		r.All, r.Roles, r.Members = kinds&kindAll != 0, kinds&kindRoles != 0, kinds&kindMembers != 0
		return r, err
	}, `WITH m (room, kind) AS (
			SELECT room, CASE WHEN all_members <> 0 THEN 1 ELSE 2 END FROM room_mutes
				WHERE `+activeMute+` AND (all_members <> 0 OR roles <> '[]')
			UNION
			SELECT room, 4 FROM member_mutes WHERE `+activeMute+`
		)
		SELECT room, sum(kind) FROM m GROUP BY room ORDER BY room LIMIT ?3 OFFSET ?4`,
		app, now.UnixNano(), limit, offset)
}

// deleteRoomMutes removes every mute of a room (DeleteRoom).
func (t *tx) deleteRoomMutes(ctx context.Context, app uint32, room string) error {
	for _, q := range []string{
		`DELETE FROM room_mutes WHERE app = ? AND room = ?`,
		`DELETE FROM member_mutes WHERE app = ? AND room = ?`,
	} {
		if _, err := t.exec(ctx, q, app, room); err != nil {
			return err
		}
	}
	return nil
}
