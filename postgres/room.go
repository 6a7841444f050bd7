package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/roomd/roomd"
)

// roomColumns are the columns scanRoom reads, seq (the room's last event's)
// included.
const roomColumns = `id, name, notice, avatar, type, custom_info, max_members, attributes, props, owner, created_at,
	join_mode, invite_mode, be_invited_mode, seq`

// scanRoom returns the scanner of roomColumns for rooms of app.
func scanRoom(app uint32) pgx.RowToFunc[*roomd.Room] {
	return func(row pgx.CollectableRow) (*roomd.Room, error) {
		r := &roomd.Room{AppID: app}
		return r, row.Scan(&r.ID, &r.Name, &r.Notice, &r.Avatar, &r.Type, &r.CustomInfo, &r.MaxMembers,
			jsonText{&r.Attributes}, jsonText{&r.Props}, &r.Owner, nsInto{&r.CreatedAt},
			&r.JoinMode, &r.InviteMode, &r.BeInvitedMode, &r.Seq)
	}
}

// noRoom is the ENOROOM error of a room that is not live.
func noRoom(id string) *roomd.Error {
	return roomd.Errorf(roomd.ENOROOM, "room %q does not exist", id)
}

// Room returns a live room, or ENOROOM. In an Update it locks the room's
// row until the transaction ends; a writer that held it before has
// committed, and the row read is the one it left, seq included.
func (t *tx) Room(ctx context.Context, app uint32, id string) (*roomd.Room, error) {
	sql := `SELECT ` + roomColumns + ` FROM rooms WHERE app = $1 AND id = $2 AND NOT dismissed` + t.forUpdate()
	r, found, err := first(ctx, t, scanRoom(app), sql, app, id)
	if err == nil && !found {
		err = noRoom(id)
	}
	return r, err
}

// RoomMembers returns a live room, locked in an Update as Room does, and
// the memberships of users in it, in one round trip: the members are read
// by a second statement of the same batch, which runs once the lock is
// taken and so sees what the lock's last holder committed.
func (t *tx) RoomMembers(ctx context.Context, app uint32, id string, users []string) (*roomd.Room, map[string]*roomd.Member, error) {
	sql := `SELECT ` + roomColumns + ` FROM rooms WHERE app = $1 AND id = $2 AND NOT dismissed` + t.forUpdate()
	br, err := t.send(ctx, statement{sql, []any{app, id}},
		statement{memberSelect + `WHERE m.app = $1 AND m.room = $2 AND m.user_id = ANY($3)`, []any{app, id, users}})
	if err != nil {
		return nil, nil, err
	}
	defer br.Close()
	rows, _ := br.Query() // an error comes out of CollectOneRow
	r, err := pgx.CollectOneRow(rows, scanRoom(app))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, noRoom(id)
	}
	if err != nil {
		return nil, nil, t.fail(err)
	}
	rows, _ = br.Query()
	ms, err := pgx.CollectRows(rows, scanMember(app, id))
	if err != nil {
		return nil, nil, t.fail(err)
	}
	out := make(map[string]*roomd.Member, len(ms))
	for _, m := range ms {
		out[m.UserID] = m
	}
	return r, out, t.fail(br.Close())
}

// Rooms returns a page of app's live rooms by id, and their number.
func (t *tx) Rooms(ctx context.Context, app uint32, offset, limit int) ([]*roomd.Room, int, error) {
	rooms, err := all(ctx, t, scanRoom(app), `SELECT `+roomColumns+` FROM rooms WHERE app = $1 AND NOT dismissed
		ORDER BY id LIMIT $2 OFFSET $3`, app, limitArg(limit), max(offset, 0))
	if err != nil {
		return nil, 0, err
	}
	n, err := value[int](ctx, t, `SELECT count(*) FROM rooms WHERE app = $1 AND NOT dismissed`, app)
	return rooms, n, err
}

// InsertRoom creates a room, or revives a dismissed one, whose row keeps
// its seq; a new id's seq is that of the events already written for it.
// A live room of that id leaves the statement without a row: EEXISTS.
func (t *tx) InsertRoom(ctx context.Context, r *roomd.Room) error {
	seq, found, err := first(ctx, t, pgx.RowTo[int64], `INSERT INTO rooms (app, id, name, notice, avatar, type, custom_info,
			max_members, attributes, props, owner, created_at, join_mode, invite_mode, be_invited_mode, seq)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
			(SELECT coalesce(max(seq), 0) FROM events WHERE app = $1 AND room = $2))
		ON CONFLICT (app, id) DO UPDATE SET name = excluded.name, notice = excluded.notice, avatar = excluded.avatar,
			type = excluded.type, custom_info = excluded.custom_info, max_members = excluded.max_members,
			attributes = excluded.attributes, props = excluded.props, owner = excluded.owner,
			created_at = excluded.created_at, join_mode = excluded.join_mode, invite_mode = excluded.invite_mode,
			be_invited_mode = excluded.be_invited_mode, dismissed = false
		WHERE rooms.dismissed
		RETURNING seq`,
		r.AppID, r.ID, r.Name, r.Notice, r.Avatar, r.Type, r.CustomInfo, r.MaxMembers, jsonText{r.Attributes}, jsonText{r.Props},
		r.Owner, ns(r.CreatedAt), int(r.JoinMode), int(r.InviteMode), int(r.BeInvitedMode))
	if err != nil {
		return err
	}
	if !found {
		return roomd.Errorf(roomd.EEXISTS, "room %q already exists", r.ID)
	}
	r.Seq = seq
	return nil
}

// UpdateRoom writes a live room's settings, or returns ENOROOM.
func (t *tx) UpdateRoom(ctx context.Context, r *roomd.Room) error {
	n, err := t.exec(ctx, `UPDATE rooms SET name = $3, notice = $4, avatar = $5, type = $6, custom_info = $7, max_members = $8,
			attributes = $9, props = $10, join_mode = $11, invite_mode = $12, be_invited_mode = $13
		WHERE app = $1 AND id = $2 AND NOT dismissed`,
		r.AppID, r.ID, r.Name, r.Notice, r.Avatar, r.Type, r.CustomInfo, r.MaxMembers, jsonText{r.Attributes}, jsonText{r.Props},
		int(r.JoinMode), int(r.InviteMode), int(r.BeInvitedMode))
	if err == nil && n == 0 {
		err = noRoom(r.ID)
	}
	return err
}

// DeleteRoom dismisses a room in one statement: its members, bans, seats,
// seat requests, marks and mutes go; its row stays, dismissed, with its
// seq, and so do its events.
func (t *tx) DeleteRoom(ctx context.Context, app uint32, id string) error {
	_, err := t.exec(ctx, `WITH
			members AS (DELETE FROM members WHERE app = $1 AND room = $2),
			bans AS (DELETE FROM bans WHERE app = $1 AND room = $2),
			seats AS (DELETE FROM seats WHERE app = $1 AND room = $2),
			requests AS (DELETE FROM seat_requests WHERE app = $1 AND room = $2),
			marks AS (DELETE FROM member_marks WHERE app = $1 AND room = $2),
			room_mutes AS (DELETE FROM room_mutes WHERE app = $1 AND room = $2),
			member_mutes AS (DELETE FROM member_mutes WHERE app = $1 AND room = $2)
		UPDATE rooms SET dismissed = true WHERE app = $1 AND id = $2`, app, id)
	return err
}

// RoomsOfUser returns the ids of the live rooms user is a member of, by id.
func (t *tx) RoomsOfUser(ctx context.Context, app uint32, user string) ([]string, error) {
	return all(ctx, t, pgx.RowTo[string], `SELECT m.room FROM members m JOIN rooms r ON r.app = m.app AND r.id = m.room
		WHERE m.app = $1 AND m.user_id = $2 AND NOT r.dismissed ORDER BY m.room`, app, user)
}

// SetOwner makes next the owner and old, if still a member, an ordinary
// member, in one statement: the roles change only if next is a member, and
// the room's owner only if it is live too. The statement is queued (see
// tx): ENOROOM and ENOTMEMBER come from the call that sends it, or from
// Update, and the transaction does not commit.
func (t *tx) SetOwner(ctx context.Context, app uint32, room, old, next string) error {
	t.later(setOwner, app, room, old, next, int(roomd.RoleOwner), int(roomd.RoleMember),
		roomd.ENOROOM, noRoom(room).Message, roomd.ENOTMEMBER, notMember(next).Message)
	return nil
}

// setOwner is SetOwner's statement. It refuses (roomd_fail) a room that is
// not live, then a next owner who is not a member, so that it can be sent
// without waiting for its answer.
const setOwner = `WITH
	live AS (SELECT 1 FROM rooms WHERE app = $1 AND id = $2 AND NOT dismissed),
	next AS (SELECT 1 FROM members WHERE app = $1 AND room = $2 AND user_id = $4),
	roles AS (UPDATE members SET role = CASE user_id WHEN $4 THEN $5::integer ELSE $6::integer END
		WHERE app = $1 AND room = $2 AND user_id IN ($3, $4) AND EXISTS (SELECT 1 FROM next)),
	room AS (UPDATE rooms SET owner = $4 WHERE app = $1 AND id = $2 AND NOT dismissed AND EXISTS (SELECT 1 FROM next))
SELECT CASE
	WHEN NOT EXISTS (SELECT 1 FROM live) THEN roomd_fail($7, $8)
	WHEN NOT EXISTS (SELECT 1 FROM next) THEN roomd_fail($9, $10)
END`
