package sqlite

import (
	"context"
	"slices"

	"github.com/roomd/roomd"
)

// roomColumns selects a room; its seq is that of its last event (one seek
// at the end of the room's range of the events key).
const roomColumns = `id, name, notice, avatar, type, custom_info, max_members, attributes, props, owner, created_at,
	join_mode, invite_mode, be_invited_mode,
	(SELECT coalesce(max(e.seq), 0) FROM events e WHERE e.app = rooms.app AND e.room = rooms.id)`

func scanRoom(app uint32) func(scanner) (*roomd.Room, error) {
	return func(s scanner) (*roomd.Room, error) {
		r := &roomd.Room{AppID: app}
		var attrs, props string
		var created int64
		if err := s.Scan(&r.ID, &r.Name, &r.Notice, &r.Avatar, &r.Type, &r.CustomInfo, &r.MaxMembers, &attrs, &props, &r.Owner, &created,
			&r.JoinMode, &r.InviteMode, &r.BeInvitedMode, &r.Seq); err != nil {
			return nil, err
		}
		r.CreatedAt = fromNanos(created)
		if err := fromJSON(attrs, &r.Attributes); err != nil {
			return nil, err
		}
		if err := fromJSON(props, &r.Props); err != nil {
			return nil, err
		}
		return r, nil
	}
}

// Room returns a live room, or ENOROOM. The writer's transaction holds the
// database's write lock, so the room cannot change under an Update.
func (t *tx) Room(ctx context.Context, app uint32, id string) (*roomd.Room, error) {
	k := roomKey{app, id}
	if t.c != nil {
		if r, ok := t.c.rooms[k]; ok {
			return copyRoom(r), nil
		}
	}
	r, ok, err := one(ctx, t, scanRoom(app), `SELECT `+roomColumns+` FROM rooms WHERE app = ? AND id = ? AND dismissed = 0`, app, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, roomd.Errorf(roomd.ENOROOM, "room %q does not exist", id)
	}
	if t.c != nil {
		t.c.setRoom(k, copyRoom(r))
	}
	return r, nil
}

// forgetRoom drops a room from the writer's cache; it is read again from
// SQLite when next needed.
func (t *tx) forgetRoom(app uint32, id string) {
	if t.c != nil {
		t.c.setRoom(roomKey{app, id}, nil)
	}
}

// RoomMembers returns a live room and the memberships of users in it: in
// SQLite, reads cost no round trip, so it is Room and Member in turn.
func (t *tx) RoomMembers(ctx context.Context, app uint32, id string, users []string) (*roomd.Room, map[string]*roomd.Member, error) {
	r, err := t.Room(ctx, app, id)
	if err != nil {
		return nil, nil, err
	}
	ms := make(map[string]*roomd.Member, len(users))
	for _, u := range users {
		m, err := t.Member(ctx, app, id, u)
		if roomd.ErrorCode(err) == roomd.ENOTMEMBER {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		ms[u] = m
	}
	return r, ms, nil
}

// Rooms returns a page of live rooms by id and their number.
func (t *tx) Rooms(ctx context.Context, app uint32, offset, limit int) ([]*roomd.Room, int, error) {
	offset, limit = page(offset, limit)
	rooms, err := list(ctx, t, scanRoom(app), `SELECT `+roomColumns+` FROM rooms WHERE app = ? AND dismissed = 0 ORDER BY id LIMIT ? OFFSET ?`, app, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	total, err := t.count(ctx, `SELECT count(*) FROM rooms WHERE app = ? AND dismissed = 0`, app)
	return rooms, total, err
}

// roomValues returns the JSON columns of r.
func roomValues(r *roomd.Room) (attrs, props string, err error) {
	if attrs, err = toJSON(r.Attributes); err != nil {
		return "", "", err
	}
	props, err = toJSON(r.Props)
	return attrs, props, err
}

// InsertRoom creates a room, or revives a dismissed one with its last seq.
func (t *tx) InsertRoom(ctx context.Context, r *roomd.Room) error {
	attrs, props, err := roomValues(r)
	if err != nil {
		return err
	}
	_, ok, err := one(ctx, t, func(s scanner) (int, error) {
		var one int
		return one, s.Scan(&one)
	}, `INSERT INTO rooms (app, id, name, notice, avatar, type, custom_info, max_members, attributes, props, owner, created_at,
			join_mode, invite_mode, be_invited_mode, dismissed)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
		ON CONFLICT (app, id) DO UPDATE SET name = excluded.name, notice = excluded.notice, avatar = excluded.avatar, type = excluded.type,
			custom_info = excluded.custom_info, max_members = excluded.max_members, attributes = excluded.attributes, props = excluded.props,
			owner = excluded.owner, created_at = excluded.created_at, join_mode = excluded.join_mode,
			invite_mode = excluded.invite_mode, be_invited_mode = excluded.be_invited_mode, dismissed = 0
		WHERE rooms.dismissed <> 0
		RETURNING 1`,
		r.AppID, r.ID, r.Name, r.Notice, r.Avatar, r.Type, r.CustomInfo, r.MaxMembers, attrs, props, r.Owner, nanos(r.CreatedAt),
		int(r.JoinMode), int(r.InviteMode), int(r.BeInvitedMode))
	if err != nil {
		return err
	}
	if !ok {
		return roomd.Errorf(roomd.EEXISTS, "room %q already exists", r.ID)
	}
	// A re-created room's log continues from its last event.
	seq, err := t.count(ctx, `SELECT coalesce(max(seq), 0) FROM events WHERE app = ? AND room = ?`, r.AppID, r.ID)
	if err != nil {
		return err
	}
	r.Seq = int64(seq)
	t.forgetRoom(r.AppID, r.ID)
	return nil
}

// UpdateRoom writes a live room's settings, or returns ENOROOM.
func (t *tx) UpdateRoom(ctx context.Context, r *roomd.Room) error {
	attrs, props, err := roomValues(r)
	if err != nil {
		return err
	}
	n, err := t.exec(ctx, `UPDATE rooms SET name = ?, notice = ?, avatar = ?, type = ?, custom_info = ?, max_members = ?, attributes = ?, props = ?,
			join_mode = ?, invite_mode = ?, be_invited_mode = ?
		WHERE app = ? AND id = ? AND dismissed = 0`,
		r.Name, r.Notice, r.Avatar, r.Type, r.CustomInfo, r.MaxMembers, attrs, props,
		int(r.JoinMode), int(r.InviteMode), int(r.BeInvitedMode), r.AppID, r.ID)
	if err != nil {
		return err
	}
	if n == 0 {
		return roomd.Errorf(roomd.ENOROOM, "room %q does not exist", r.ID)
	}
	t.forgetRoom(r.AppID, r.ID)
	return nil
}

// DeleteRoom dismisses a room: its members, bans, seats, seat requests,
// marks and mutes go, its row stays with dismissed set; its events, and so its seq, stay.
func (t *tx) DeleteRoom(ctx context.Context, app uint32, id string) error {
	for _, q := range []string{
		`DELETE FROM members WHERE app = ? AND room = ?`,
		`DELETE FROM bans WHERE app = ? AND room = ?`,
		`UPDATE rooms SET dismissed = 1 WHERE app = ? AND id = ?`,
	} {
		if _, err := t.exec(ctx, q, app, id); err != nil {
			return err
		}
	}
	if err := t.deleteRoomSeats(ctx, app, id); err != nil { // seat.go
		return err
	}
	if err := t.deleteRoomMutes(ctx, app, id); err != nil { // mute.go
		return err
	}
	t.forgetRoom(app, id)
	if t.c != nil {
		t.c.dropMembers(roomKey{app, id})
	}
	return nil
}

// RoomsOfUser returns the ids of the live rooms user is a member of, by id.
func (t *tx) RoomsOfUser(ctx context.Context, app uint32, user string) ([]string, error) {
	return list(ctx, t, func(s scanner) (string, error) {
		var id string
		return id, s.Scan(&id)
	}, `SELECT m.room FROM members m JOIN rooms r ON r.app = m.app AND r.id = m.room
		WHERE m.app = ? AND m.user = ? AND r.dismissed = 0 ORDER BY m.room`, app, user)
}

// SetOwner makes next the owner and old, if still a member, an ordinary member.
func (t *tx) SetOwner(ctx context.Context, app uint32, room, old, next string) error {
	// The memberships first: RETURNING tells whether next is a member, which
	// the store checks too so that no caller can make a non-member owner.
	changed, err := list(ctx, t, func(s scanner) (string, error) {
		var u string
		return u, s.Scan(&u)
	}, `UPDATE members SET role = CASE user WHEN ?4 THEN ?5 ELSE ?6 END
		WHERE app = ?1 AND room = ?2 AND user IN (?3, ?4) RETURNING user`, app, room, old, next, int(roomd.RoleOwner), int(roomd.RoleMember))
	if err != nil {
		return err
	}
	if !slices.Contains(changed, next) {
		if _, err := t.Room(ctx, app, room); err != nil {
			return err
		}
		return roomd.Errorf(roomd.ENOTMEMBER, "user %q is not a member of the room", next)
	}
	n, err := t.exec(ctx, `UPDATE rooms SET owner = ?3 WHERE app = ?1 AND id = ?2 AND dismissed = 0`, app, room, next)
	if err != nil {
		return err
	}
	if n == 0 {
		return roomd.Errorf(roomd.ENOROOM, "room %q does not exist", room)
	}
	if t.c == nil {
		return nil
	}
	k := roomKey{app, room}
	if r, ok := t.c.rooms[k]; ok {
		r = copyRoom(r)
		r.Owner = next
		t.c.setRoom(k, r)
	}
	t.c.setRole(k, old, roomd.RoleMember)
	t.c.setRole(k, next, roomd.RoleOwner)
	return nil
}
