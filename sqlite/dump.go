package sqlite

import (
	"context"
	"errors"

	"github.com/roomd/roomd"
	driver "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Export and import of the whole store (roomd export, roomd import):
// roomd.Exporter and roomd.Importer, reading and writing the tables
// directly. A room's seq and an app's last position are not columns here:
// they are read from the events, and so an import checks that the rooms,
// room logs and app logs it is given agree with the events before them.

var (
	_ roomd.Exporter = (*DB)(nil)
	_ roomd.Importer = (*DB)(nil)
)

// Export emits every record of the store from one read transaction, a
// snapshot beside the writer, one row at a time: the rows of each table
// in primary key order (the events by app and pos), so that two exports
// of the same data are the same. Signature nonces are not exported.
func (db *DB) Export(ctx context.Context, emit func(roomd.Record) error) error {
	return db.View(ctx, func(t roomd.Tx) error {
		d := &dump{ctx: ctx, t: t.(*tx), emit: emit}
		for _, step := range []func() error{
			d.users, d.events, d.rooms, d.roomLogs, d.appLogs, d.members, d.memberships, d.bans,
			d.seats, d.seatRequests, d.marks, d.roomMutes, d.memberMutes, d.callbacks, d.hookCursors,
		} {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
}

// dump is one export in progress.
type dump struct {
	ctx  context.Context
	t    *tx
	emit func(roomd.Record) error
}

// each runs query and emits the record scan makes of each row. It checks
// ctx every 1024 rows: the reader's statements run without it.
func (d *dump) each(scan func(scanner) (roomd.Record, error), query string, args ...any) error {
	rows, err := d.t.q.QueryContext(d.ctx, query, args...)
	if err != nil {
		return wrap(err)
	}
	defer rows.Close()
	for n := 1; rows.Next(); n++ {
		if n%1024 == 0 {
			if err := d.ctx.Err(); err != nil {
				return err
			}
		}
		r, err := scan(rows)
		if err != nil {
			return wrap(err)
		}
		if err := d.emit(r); err != nil {
			return err
		}
	}
	return wrap(rows.Err())
}

func (d *dump) users() error {
	return d.each(func(s scanner) (roomd.Record, error) {
		u := &roomd.User{}
		var created int64
		err := s.Scan(&u.AppID, &u.ID, &u.Name, &u.Avatar, &u.Extra, &created)
		u.CreatedAt = fromNanos(created)
		return roomd.Record{Kind: roomd.RecordUser, User: u}, err
	}, `SELECT app, id, name, avatar, extra, created_at FROM users ORDER BY app, id`)
}

// events go by app and pos (events_pos), the app's log in commit order.
func (d *dump) events() error {
	return d.each(func(s scanner) (roomd.Record, error) {
		e := &roomd.Event{}
		return roomd.Record{Kind: roomd.RecordEvent, Event: e}, scanEvent(s, e, &e.AppID, &e.RoomID, &e.Pos)
	}, `SELECT seq, type, actor, payload, time, app, room, pos FROM events ORDER BY app, pos`)
}

// rooms are the live ones, app by app (the apps are few).
func (d *dump) rooms() error {
	apps, err := list(d.ctx, d.t, func(s scanner) (uint32, error) {
		var app uint32
		return app, s.Scan(&app)
	}, `SELECT DISTINCT app FROM rooms WHERE dismissed = 0 ORDER BY app`)
	if err != nil {
		return err
	}
	for _, app := range apps {
		scan := scanRoom(app)
		if err := d.each(func(s scanner) (roomd.Record, error) {
			r, err := scan(s)
			return roomd.Record{Kind: roomd.RecordRoom, Room: r}, err
		}, `SELECT `+roomColumns+` FROM rooms WHERE app = ? AND dismissed = 0 ORDER BY id`, app); err != nil {
			return err
		}
	}
	return nil
}

// roomLogs are the room ids with events that are not live rooms.
func (d *dump) roomLogs() error {
	return d.each(func(s scanner) (roomd.Record, error) {
		l := &roomd.RoomLog{}
		return roomd.Record{Kind: roomd.RecordRoomLog, RoomLog: l}, s.Scan(&l.AppID, &l.RoomID, &l.Seq)
	}, `SELECT app, room, max(seq) FROM events e
		WHERE NOT EXISTS (SELECT 1 FROM rooms r WHERE r.app = e.app AND r.id = e.room AND r.dismissed = 0)
		GROUP BY app, room ORDER BY app, room`)
}

func (d *dump) appLogs() error {
	return d.each(func(s scanner) (roomd.Record, error) {
		l := &roomd.AppLog{}
		return roomd.Record{Kind: roomd.RecordAppLog, AppLog: l}, s.Scan(&l.AppID, &l.Pos)
	}, `SELECT app, max(pos) FROM events GROUP BY app HAVING max(pos) > 0 ORDER BY app`)
}

func (d *dump) members() error {
	return d.each(func(s scanner) (roomd.Record, error) {
		m := &roomd.Member{}
		var joined int64
		err := s.Scan(&m.AppID, &m.RoomID, &m.UserID, &m.Role, &m.NameCard, &m.CustomInfo, &joined)
		m.JoinedAt = fromNanos(joined)
		return roomd.Record{Kind: roomd.RecordMember, Member: m}, err
	}, `SELECT app, room, user, role, name_card, custom_info, joined_at FROM members ORDER BY app, room, user`)
}

func (d *dump) memberships() error {
	return d.each(func(s scanner) (roomd.Record, error) {
		p := &roomd.MemberPeriod{}
		return roomd.Record{Kind: roomd.RecordMembership, Membership: p}, s.Scan(&p.AppID, &p.RoomID, &p.UserID, &p.From, &p.To)
	}, `SELECT app, room, user, joined, left FROM memberships ORDER BY app, room, user, joined`)
}

func (d *dump) bans() error {
	return d.each(func(s scanner) (roomd.Record, error) {
		b := &roomd.Ban{}
		var until, created int64
		err := s.Scan(&b.AppID, &b.RoomID, &b.UserID, &until, &b.Reason, &created)
		b.Until, b.CreatedAt = fromNanos(until), fromNanos(created)
		return roomd.Record{Kind: roomd.RecordBan, Ban: b}, err
	}, `SELECT app, room, user, until, reason, created_at FROM bans ORDER BY app, room, user`)
}

func (d *dump) seats() error {
	return d.each(func(s scanner) (roomd.Record, error) {
		st := &roomd.RoomSeat{}
		return roomd.Record{Kind: roomd.RecordSeat, Seat: st},
			s.Scan(&st.AppID, &st.RoomID, &st.Index, &st.UserID, &st.Locked, &st.VideoDisabled, &st.AudioDisabled)
	}, `SELECT app, room, idx, user, locked, video_disabled, audio_disabled FROM seats ORDER BY app, room, idx`)
}

func (d *dump) seatRequests() error {
	return d.each(func(s scanner) (roomd.Record, error) {
		q := &roomd.SeatRequest{}
		var at int64
		err := s.Scan(&q.AppID, &q.RoomID, &q.UserID, &q.Index, &at)
		q.At = fromNanos(at)
		return roomd.Record{Kind: roomd.RecordSeatRequest, SeatRequest: q}, err
	}, `SELECT app, room, user, idx, at FROM seat_requests ORDER BY app, room, user`)
}

// marks are one record per member, the marks ascending.
func (d *dump) marks() error {
	return d.each(func(s scanner) (roomd.Record, error) {
		m := &roomd.RoomMarks{}
		var marks string
		if err := s.Scan(&m.AppID, &m.RoomID, &m.UserID, &marks); err != nil {
			return roomd.Record{}, err
		}
		return roomd.Record{Kind: roomd.RecordMarks, Marks: m}, fromJSON(marks, &m.Marks)
	}, `SELECT app, room, user, json_group_array(mark ORDER BY mark) FROM member_marks GROUP BY app, room, user ORDER BY app, room, user`)
}

func (d *dump) roomMutes() error {
	return d.each(func(s scanner) (roomd.Record, error) {
		m := &roomd.RoomMute{}
		var roles string
		var until int64
		if err := s.Scan(&m.AppID, &m.RoomID, &m.All, &roles, &until); err != nil {
			return roomd.Record{}, err
		}
		m.Until = fromNanos(until)
		return roomd.Record{Kind: roomd.RecordRoomMute, RoomMute: m}, fromJSON(roles, &m.Roles)
	}, `SELECT app, room, all_members, roles, until FROM room_mutes ORDER BY app, room`)
}

func (d *dump) memberMutes() error {
	return d.each(func(s scanner) (roomd.Record, error) {
		m := &roomd.MemberMute{}
		var until int64
		err := s.Scan(&m.AppID, &m.RoomID, &m.UserID, &until)
		m.Until = fromNanos(until)
		return roomd.Record{Kind: roomd.RecordMemberMute, MemberMute: m}, err
	}, `SELECT app, room, user, until FROM member_mutes ORDER BY app, room, user`)
}

func (d *dump) callbacks() error {
	return d.each(func(s scanner) (roomd.Record, error) {
		c := &roomd.Callback{}
		var commands string
		if err := s.Scan(&c.AppID, &c.URL, &commands); err != nil {
			return roomd.Record{}, err
		}
		return roomd.Record{Kind: roomd.RecordCallback, Callback: c}, fromJSON(commands, &c.Commands)
	}, `SELECT app, url, commands FROM callbacks ORDER BY app`)
}

func (d *dump) hookCursors() error {
	return d.each(func(s scanner) (roomd.Record, error) {
		c := &roomd.HookCursor{}
		return roomd.Record{Kind: roomd.RecordHookCursor, HookCursor: c}, s.Scan(&c.AppID, &c.Style, &c.Pos)
	}, `SELECT app, style, pos FROM hook_cursors ORDER BY app, style`)
}

// dataTables are the tables an import requires empty: all but nonces.
var dataTables = []string{"users", "rooms", "members", "bans", "events", "callbacks", "memberships",
	"hook_cursors", "seats", "seat_requests", "member_marks", "room_mutes", "member_mutes"}

// Import writes the records into the store, which must hold no data
// (EEXISTS otherwise; nonces do not count), in one write transaction: one
// Update, which holds the writer for the whole import. An event with Pos
// 0 (not yet numbered where it was exported) is numbered here, after the
// last of its app. See roomd.Importer for the errors.
func (db *DB) Import(ctx context.Context, next func() (roomd.Record, bool, error)) error {
	var ran bool
	var result error
	return db.Update(ctx, func(t roomd.Tx) error {
		// The writer runs a function that failed again, in a savepoint:
		// the records next returned are gone, so the rerun fails the same.
		if ran {
			return result
		}
		ran = true
		im := &importer{t: t.(*tx), numbered: map[uint32]int64{}, logged: map[uint32]bool{}}
		result = im.run(ctx, next)
		return result
	})
}

// importer is one import in progress. The writer's cache is not used: it
// holds nothing of an empty store, and the rows written here are read
// from SQLite when an update first needs them.
type importer struct {
	t *tx
	// numbered is each app's last numbered event in the records (its
	// log's end), logged whether its app log record came.
	numbered map[uint32]int64
	logged   map[uint32]bool
}

func (im *importer) run(ctx context.Context, next func() (roomd.Record, bool, error)) error {
	t := im.t
	var full bool
	query := `SELECT 0`
	for _, table := range dataTables {
		query += ` OR EXISTS (SELECT 1 FROM ` + table + `)`
	}
	if err := t.q.QueryRowContext(ctx, query).Scan(&full); err != nil {
		return wrap(err)
	}
	if full {
		return roomd.Errorf(roomd.EEXISTS, "the store already holds data: import into an empty store")
	}
	if _, err := roomd.ImportRecords(ctx, next, func(n int, r roomd.Record) error {
		return roomd.RecordError(n, r, im.put(ctx, r))
	}); err != nil {
		return err
	}
	for app, pos := range im.numbered {
		if !im.logged[app] {
			return roomd.Errorf(roomd.EINVALID, "app %d: its events are numbered up to %d, but no app_log record came", app, pos)
		}
	}
	return nil
}

// put writes one record.
func (im *importer) put(ctx context.Context, r roomd.Record) error {
	t := im.t
	switch r.Kind {
	case roomd.RecordUser:
		u := r.User
		return im.exec(ctx, `INSERT INTO users (app, id, name, avatar, extra, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			u.AppID, u.ID, u.Name, u.Avatar, u.Extra, nanos(u.CreatedAt))
	case roomd.RecordEvent:
		e := r.Event
		pos := e.Pos
		if pos == 0 {
			last, err := t.LastPos(ctx, e.AppID)
			if err != nil {
				return err
			}
			pos = last + 1
		} else {
			im.numbered[e.AppID] = pos
		}
		return im.exec(ctx, `INSERT INTO events (app, room, seq, type, actor, payload, time, pos) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			e.AppID, e.RoomID, e.Seq, string(e.Type), e.Actor, string(e.Payload), nanos(e.Time), pos)
	case roomd.RecordRoom:
		m := r.Room
		if err := im.lastSeq(ctx, m.AppID, m.ID, m.Seq); err != nil {
			return err
		}
		attrs, props, err := roomValues(m)
		if err != nil {
			return err
		}
		return im.exec(ctx, `INSERT INTO rooms (app, id, name, notice, avatar, type, custom_info, max_members, attributes, props, owner,
				created_at, join_mode, invite_mode, be_invited_mode, dismissed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
			m.AppID, m.ID, m.Name, m.Notice, m.Avatar, m.Type, m.CustomInfo, m.MaxMembers, attrs, props, m.Owner,
			nanos(m.CreatedAt), int(m.JoinMode), int(m.InviteMode), int(m.BeInvitedMode))
	case roomd.RecordRoomLog:
		l := r.RoomLog
		if err := im.lastSeq(ctx, l.AppID, l.RoomID, l.Seq); err != nil {
			return err
		}
		// The row DeleteRoom leaves; the seq is the last event's.
		return im.exec(ctx, `INSERT INTO rooms (app, id, dismissed) VALUES (?, ?, 1)`, l.AppID, l.RoomID)
	case roomd.RecordAppLog:
		l := r.AppLog
		if last := im.numbered[l.AppID]; l.Pos != last || im.logged[l.AppID] {
			return roomd.Errorf(roomd.EINVALID, "pos %d, but the app's events before it are numbered up to %d", l.Pos, last)
		}
		im.logged[l.AppID] = true
		return nil
	}
	return im.putState(ctx, r)
}

// putState writes a record of the state of members and rooms.
func (im *importer) putState(ctx context.Context, r roomd.Record) error {
	switch r.Kind {
	case roomd.RecordMember:
		m := r.Member
		n, err := im.t.exec(ctx, `INSERT INTO members (app, room, user, role, name_card, custom_info, joined_at)
			SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE EXISTS (SELECT 1 FROM users WHERE app = ?1 AND id = ?3)`,
			m.AppID, m.RoomID, m.UserID, int(m.Role), m.NameCard, m.CustomInfo, nanos(m.JoinedAt))
		if err == nil && n == 0 {
			return roomd.Errorf(roomd.EINVALID, "the user is not among the users imported")
		}
		return constraint(err)
	case roomd.RecordMembership:
		p := r.Membership
		return im.exec(ctx, `INSERT INTO memberships (app, room, user, joined, left) VALUES (?, ?, ?, ?, ?)`, p.AppID, p.RoomID, p.UserID, p.From, p.To)
	case roomd.RecordBan:
		b := r.Ban
		return im.exec(ctx, `INSERT INTO bans (app, room, user, until, reason, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			b.AppID, b.RoomID, b.UserID, nanos(b.Until), b.Reason, nanos(b.CreatedAt))
	case roomd.RecordSeat:
		s := r.Seat
		return im.exec(ctx, `INSERT INTO seats (app, room, idx, user, locked, video_disabled, audio_disabled) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			s.AppID, s.RoomID, s.Index, s.UserID, s.Locked, s.VideoDisabled, s.AudioDisabled)
	case roomd.RecordSeatRequest:
		q := r.SeatRequest
		return im.exec(ctx, `INSERT INTO seat_requests (app, room, user, idx, at) VALUES (?, ?, ?, ?, ?)`, q.AppID, q.RoomID, q.UserID, q.Index, nanos(q.At))
	case roomd.RecordMarks:
		m := r.Marks
		for _, mark := range m.Marks {
			if err := im.exec(ctx, `INSERT INTO member_marks (app, room, user, mark) VALUES (?, ?, ?, ?)`, m.AppID, m.RoomID, m.UserID, mark); err != nil {
				return err
			}
		}
		return nil
	case roomd.RecordRoomMute:
		m := r.RoomMute
		roles, err := toJSON(m.Roles)
		if err != nil {
			return err
		}
		return im.exec(ctx, `INSERT INTO room_mutes (app, room, all_members, roles, until) VALUES (?, ?, ?, ?, ?)`, m.AppID, m.RoomID, m.All, roles, nanos(m.Until))
	case roomd.RecordMemberMute:
		m := r.MemberMute
		return im.exec(ctx, `INSERT INTO member_mutes (app, room, user, until) VALUES (?, ?, ?, ?)`, m.AppID, m.RoomID, m.UserID, nanos(m.Until))
	case roomd.RecordCallback:
		c := r.Callback
		commands, err := toJSON(c.Commands)
		if err != nil {
			return err
		}
		return im.exec(ctx, `INSERT INTO callbacks (app, url, commands) VALUES (?, ?, ?)`, c.AppID, c.URL, commands)
	case roomd.RecordHookCursor:
		c := r.HookCursor
		return im.exec(ctx, `INSERT INTO hook_cursors (app, style, pos) VALUES (?, ?, ?)`, c.AppID, c.Style, c.Pos)
	}
	return roomd.Errorf(roomd.EINVALID, "unknown record kind %q", r.Kind)
}

// lastSeq returns EINVALID unless seq is that of the last event of the
// room imported.
func (im *importer) lastSeq(ctx context.Context, app uint32, room string, seq int64) error {
	last, err := im.t.LastSeq(ctx, app, room)
	if err == nil && last != seq {
		err = roomd.Errorf(roomd.EINVALID, "seq %d, but the room's events before it end at %d", seq, last)
	}
	return err
}

// exec runs an insert; a constraint it breaks is EINVALID.
func (im *importer) exec(ctx context.Context, query string, args ...any) error {
	_, err := im.t.exec(ctx, query, args...)
	return constraint(err)
}

// constraint turns the error of a statement that broke a constraint (a key
// given twice, a member of a room not imported) into EINVALID.
func constraint(err error) error {
	var se *driver.Error
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT {
		return &roomd.Error{Code: roomd.EINVALID, Message: "it repeats a record before it, or refers to one not imported (" + se.Error() + ")", Err: err}
	}
	return err
}
