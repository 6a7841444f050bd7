package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/roomd/roomd"
)

// Mutes: an expired mute may keep its row; reads compare until with the
// now given.

// RoomMute returns the room-level mute of a room, or nil.
func (t *tx) RoomMute(ctx context.Context, app uint32, room string) (*roomd.RoomMute, error) {
	m, _, err := first(ctx, t, func(row pgx.CollectableRow) (*roomd.RoomMute, error) {
		m := &roomd.RoomMute{AppID: app, RoomID: room}
		return m, row.Scan(&m.All, jsonText{&m.Roles}, nsInto{&m.Until})
	}, `SELECT all_members, roles, until FROM room_mutes WHERE app = $1 AND room = $2`, app, room)
	return m, err
}

// PutRoomMute inserts or replaces the room-level mute of a room.
func (t *tx) PutRoomMute(ctx context.Context, m *roomd.RoomMute) error {
	roles := m.Roles
	if roles == nil {
		roles = []roomd.Role{}
	}
	_, err := t.exec(ctx, `INSERT INTO room_mutes (app, room, all_members, roles, until) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (app, room) DO UPDATE SET all_members = excluded.all_members, roles = excluded.roles, until = excluded.until`,
		m.AppID, m.RoomID, m.All, jsonText{roles}, ns(m.Until))
	return err
}

// DeleteRoomMute removes the room-level mute of a room.
func (t *tx) DeleteRoomMute(ctx context.Context, app uint32, room string) error {
	_, err := t.exec(ctx, `DELETE FROM room_mutes WHERE app = $1 AND room = $2`, app, room)
	return err
}

// scanMemberMute returns the scanner of a member mute's user_id and until.
func scanMemberMute(app uint32, room string) pgx.RowToFunc[*roomd.MemberMute] {
	return func(row pgx.CollectableRow) (*roomd.MemberMute, error) {
		m := &roomd.MemberMute{AppID: app, RoomID: room}
		return m, row.Scan(&m.UserID, nsInto{&m.Until})
	}
}

// MemberMute returns the mute of a user in a room, or nil.
func (t *tx) MemberMute(ctx context.Context, app uint32, room, user string) (*roomd.MemberMute, error) {
	m, _, err := first(ctx, t, scanMemberMute(app, room), `SELECT user_id, until FROM member_mutes
		WHERE app = $1 AND room = $2 AND user_id = $3`, app, room, user)
	return m, err
}

// PutMemberMute inserts or replaces the mute of a user in a room.
func (t *tx) PutMemberMute(ctx context.Context, m *roomd.MemberMute) error {
	_, err := t.exec(ctx, `INSERT INTO member_mutes (app, room, user_id, until) VALUES ($1, $2, $3, $4)
		ON CONFLICT (app, room, user_id) DO UPDATE SET until = excluded.until`, m.AppID, m.RoomID, m.UserID, ns(m.Until))
	return err
}

// DeleteMemberMute removes the mute of a user in a room.
func (t *tx) DeleteMemberMute(ctx context.Context, app uint32, room, user string) error {
	_, err := t.exec(ctx, `DELETE FROM member_mutes WHERE app = $1 AND room = $2 AND user_id = $3`, app, room, user)
	return err
}

// MemberMutes returns a page of a room's member mutes in force at now, by
// user id, and their number.
func (t *tx) MemberMutes(ctx context.Context, app uint32, room string, now time.Time, offset, limit int) ([]*roomd.MemberMute, int, error) {
	mutes, err := all(ctx, t, scanMemberMute(app, room), `SELECT user_id, until FROM member_mutes WHERE `+inForce+` AND room = $3
		ORDER BY user_id LIMIT $4 OFFSET $5`, app, ns(now), room, limitArg(limit), max(offset, 0))
	if err != nil {
		return nil, 0, err
	}
	n, err := value[int](ctx, t, `SELECT count(*) FROM member_mutes WHERE `+inForce+` AND room = $3`, app, ns(now), room)
	return mutes, n, err
}

// MutedRooms returns a page of app's rooms with a mute in force at now, by
// id: the kinds of mute are summed as bits (1 all, 2 roles, 4 members).
func (t *tx) MutedRooms(ctx context.Context, app uint32, now time.Time, offset, limit int) ([]roomd.MutedRoom, error) {
	return all(ctx, t, func(row pgx.CollectableRow) (roomd.MutedRoom, error) {
		var r roomd.MutedRoom
		var kinds int
		err := row.Scan(&r.RoomID, &kinds)
		r.All, r.Roles, r.Members = kinds&1 != 0, kinds&2 != 0, kinds&4 != 0
		return r, err
	}, `WITH m (room, kind) AS (
			SELECT room, CASE WHEN all_members THEN 1 ELSE 2 END FROM room_mutes
				WHERE `+inForce+` AND (all_members OR roles <> '[]')
			UNION
			SELECT room, 4 FROM member_mutes WHERE `+inForce+`
		)
		SELECT room, sum(kind)::integer FROM m GROUP BY room ORDER BY room LIMIT $3 OFFSET $4`,
		app, ns(now), limitArg(limit), max(offset, 0))
}
