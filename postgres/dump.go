package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/roomd/roomd"
)

// Export and import of the whole store (roomd export, roomd import):
// roomd.Exporter and roomd.Importer, reading and writing the tables
// directly on a transaction of their own. Text keys are ordered with
// COLLATE "C" (byte order, as SQLite orders them), whatever the
// database's collation, so that both stores export the same data as the
// same lines.

var (
	_ roomd.Exporter = (*DB)(nil)
	_ roomd.Importer = (*DB)(nil)
)

// Export emits every record of the store from one READ ONLY REPEATABLE
// READ transaction (one snapshot), streaming each table's rows in key
// order. An event not yet numbered by the sequencer exports with Pos 0,
// after the app's numbered events, by room and seq. Signature nonces and
// leases are not exported. It may run beside serving nodes.
func (db *DB) Export(ctx context.Context, emit func(roomd.Record) error) error {
	if err := db.enter(ctx); err != nil {
		return err
	}
	defer db.active.Done()
	ptx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return wrap(err)
	}
	defer func() { _ = ptx.Rollback(context.WithoutCancel(ctx)) }()
	d := &dump{ctx: ctx, tx: ptx, emit: emit}
	for _, step := range []func() error{
		d.users, d.events, d.rooms, d.roomLogs, d.appLogs, d.members, d.memberships, d.bans,
		d.seats, d.seatRequests, d.marks, d.roomMutes, d.memberMutes, d.callbacks, d.hookCursors,
	} {
		if err := step(); err != nil {
			return err
		}
	}
	return wrap(ptx.Commit(ctx))
}

// dump is one export in progress.
type dump struct {
	ctx  context.Context
	tx   pgx.Tx
	emit func(roomd.Record) error
}

// each runs sql and emits the record scan makes of each row, as the rows
// arrive.
func (d *dump) each(scan func(pgx.Rows) (roomd.Record, error), sql string, args ...any) error {
	rows, err := d.tx.Query(d.ctx, sql, args...)
	if err != nil {
		return wrap(err)
	}
	defer rows.Close()
	for rows.Next() {
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
	return d.each(func(row pgx.Rows) (roomd.Record, error) {
		u := &roomd.User{}
		return roomd.Record{Kind: roomd.RecordUser, User: u}, row.Scan(&u.AppID, &u.ID, &u.Name, &u.Avatar, &u.Extra, nsInto{&u.CreatedAt})
	}, `SELECT app, id, name, avatar, extra, created_at FROM users ORDER BY app, id COLLATE "C"`)
}

func (d *dump) events() error {
	return d.each(func(row pgx.Rows) (roomd.Record, error) {
		e := &roomd.Event{}
		var payload string
		err := row.Scan(&e.AppID, &e.RoomID, &e.Seq, &e.Pos, &e.Type, &e.Actor, &payload, nsInto{&e.Time})
		if payload != "" {
			e.Payload = []byte(payload)
		}
		return roomd.Record{Kind: roomd.RecordEvent, Event: e}, err
	}, `SELECT app, room, seq, coalesce(pos, 0), type, actor, payload, at FROM events
		ORDER BY app, pos NULLS LAST, room COLLATE "C", seq`)
}

// rooms are the live ones, app by app (the apps are few).
func (d *dump) rooms() error {
	rows, err := d.tx.Query(d.ctx, `SELECT DISTINCT app FROM rooms WHERE NOT dismissed ORDER BY app`)
	if err != nil {
		return wrap(err)
	}
	apps, err := pgx.CollectRows(rows, pgx.RowTo[uint32])
	if err != nil {
		return wrap(err)
	}
	for _, app := range apps {
		scan := scanRoom(app)
		if err := d.each(func(row pgx.Rows) (roomd.Record, error) {
			r, err := scan(row)
			return roomd.Record{Kind: roomd.RecordRoom, Room: r}, err
		}, `SELECT `+roomColumns+` FROM rooms WHERE app = $1 AND NOT dismissed ORDER BY id COLLATE "C"`, app); err != nil {
			return err
		}
	}
	return nil
}

// roomLogs are the room ids with events that are not live rooms.
func (d *dump) roomLogs() error {
	return d.each(func(row pgx.Rows) (roomd.Record, error) {
		l := &roomd.RoomLog{}
		return roomd.Record{Kind: roomd.RecordRoomLog, RoomLog: l}, row.Scan(&l.AppID, &l.RoomID, &l.Seq)
	}, `SELECT app, room, max(seq) FROM events e
		WHERE NOT EXISTS (SELECT 1 FROM rooms r WHERE r.app = e.app AND r.id = e.room AND NOT r.dismissed)
		GROUP BY app, room ORDER BY app, room COLLATE "C"`)
}

func (d *dump) appLogs() error {
	return d.each(func(row pgx.Rows) (roomd.Record, error) {
		l := &roomd.AppLog{}
		return roomd.Record{Kind: roomd.RecordAppLog, AppLog: l}, row.Scan(&l.AppID, &l.Pos)
	}, `SELECT app, pos FROM app_logs WHERE pos > 0 ORDER BY app`)
}

func (d *dump) members() error {
	return d.each(func(row pgx.Rows) (roomd.Record, error) {
		m := &roomd.Member{}
		return roomd.Record{Kind: roomd.RecordMember, Member: m},
			row.Scan(&m.AppID, &m.RoomID, &m.UserID, &m.Role, &m.NameCard, &m.CustomInfo, nsInto{&m.JoinedAt})
	}, `SELECT app, room, user_id, role, name_card, custom_info, joined_at FROM members
		ORDER BY app, room COLLATE "C", user_id COLLATE "C"`)
}

func (d *dump) memberships() error {
	return d.each(func(row pgx.Rows) (roomd.Record, error) {
		p := &roomd.MemberPeriod{}
		return roomd.Record{Kind: roomd.RecordMembership, Membership: p}, row.Scan(&p.AppID, &p.RoomID, &p.UserID, &p.From, &p.To)
	}, `SELECT app, room, user_id, joined, ended FROM memberships ORDER BY app, room COLLATE "C", user_id COLLATE "C", joined`)
}

func (d *dump) bans() error {
	return d.each(func(row pgx.Rows) (roomd.Record, error) {
		b := &roomd.Ban{}
		return roomd.Record{Kind: roomd.RecordBan, Ban: b},
			row.Scan(&b.AppID, &b.RoomID, &b.UserID, nsInto{&b.Until}, &b.Reason, nsInto{&b.CreatedAt})
	}, `SELECT app, room, user_id, until, reason, created_at FROM bans ORDER BY app, room COLLATE "C", user_id COLLATE "C"`)
}

func (d *dump) seats() error {
	return d.each(func(row pgx.Rows) (roomd.Record, error) {
		s := &roomd.RoomSeat{}
		return roomd.Record{Kind: roomd.RecordSeat, Seat: s},
			row.Scan(&s.AppID, &s.RoomID, &s.Index, &s.UserID, &s.Locked, &s.VideoDisabled, &s.AudioDisabled)
	}, `SELECT app, room, idx, user_id, locked, video_disabled, audio_disabled FROM seats ORDER BY app, room COLLATE "C", idx`)
}

func (d *dump) seatRequests() error {
	return d.each(func(row pgx.Rows) (roomd.Record, error) {
		q := &roomd.SeatRequest{}
		return roomd.Record{Kind: roomd.RecordSeatRequest, SeatRequest: q}, row.Scan(&q.AppID, &q.RoomID, &q.UserID, &q.Index, nsInto{&q.At})
	}, `SELECT app, room, user_id, idx, at FROM seat_requests ORDER BY app, room COLLATE "C", user_id COLLATE "C"`)
}

// marks are one record per member, the marks ascending.
func (d *dump) marks() error {
	return d.each(func(row pgx.Rows) (roomd.Record, error) {
		m := &roomd.RoomMarks{}
		return roomd.Record{Kind: roomd.RecordMarks, Marks: m}, row.Scan(&m.AppID, &m.RoomID, &m.UserID, &m.Marks)
	}, `SELECT app, room, user_id, array_agg(mark ORDER BY mark) FROM member_marks GROUP BY app, room, user_id
		ORDER BY app, room COLLATE "C", user_id COLLATE "C"`)
}

func (d *dump) roomMutes() error {
	return d.each(func(row pgx.Rows) (roomd.Record, error) {
		m := &roomd.RoomMute{}
		return roomd.Record{Kind: roomd.RecordRoomMute, RoomMute: m}, row.Scan(&m.AppID, &m.RoomID, &m.All, jsonText{&m.Roles}, nsInto{&m.Until})
	}, `SELECT app, room, all_members, roles, until FROM room_mutes ORDER BY app, room COLLATE "C"`)
}

func (d *dump) memberMutes() error {
	return d.each(func(row pgx.Rows) (roomd.Record, error) {
		m := &roomd.MemberMute{}
		return roomd.Record{Kind: roomd.RecordMemberMute, MemberMute: m}, row.Scan(&m.AppID, &m.RoomID, &m.UserID, nsInto{&m.Until})
	}, `SELECT app, room, user_id, until FROM member_mutes ORDER BY app, room COLLATE "C", user_id COLLATE "C"`)
}

func (d *dump) callbacks() error {
	return d.each(func(row pgx.Rows) (roomd.Record, error) {
		c := &roomd.Callback{}
		return roomd.Record{Kind: roomd.RecordCallback, Callback: c}, row.Scan(&c.AppID, &c.URL, jsonText{&c.Commands})
	}, `SELECT app, url, commands FROM callbacks ORDER BY app`)
}

func (d *dump) hookCursors() error {
	return d.each(func(row pgx.Rows) (roomd.Record, error) {
		c := &roomd.HookCursor{}
		return roomd.Record{Kind: roomd.RecordHookCursor, HookCursor: c}, row.Scan(&c.AppID, &c.Style, &c.Pos)
	}, `SELECT app, style, pos FROM hook_cursors ORDER BY app, style COLLATE "C"`)
}

// dataTables are the tables an import requires empty: all but nonces
// and leases.
var dataTables = []string{"users", "rooms", "members", "bans", "events", "app_logs", "callbacks", "memberships",
	"hook_cursors", "seats", "seat_requests", "member_marks", "room_mutes", "member_mutes"}

// importBatch is how many statements an import sends in one round trip.
const importBatch = 500

// Import writes the records into the store, which must hold no data
// (EEXISTS otherwise; nonces and leases do not count), in one READ
// COMMITTED transaction that locks the data tables against other writers
// (readers go on), its statements sent importBatch at a time. The
// events are inserted in the order they come (numbered ones by Pos, then
// the others), so that their ids follow it; an event with Pos 0 is
// inserted unnumbered (pos NULL), for the sequencer to number after the
// app's last position once the import has committed. See roomd.Importer
// for the errors.
func (db *DB) Import(ctx context.Context, next func() (roomd.Record, bool, error)) error {
	if err := db.enter(ctx); err != nil {
		return err
	}
	defer db.active.Done()
	ptx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return wrap(err)
	}
	defer func() { _ = ptx.Rollback(context.WithoutCancel(ctx)) }()
	im := &importer{ctx: ctx, tx: ptx, batch: &pgx.Batch{}}
	if err := im.run(next); err != nil {
		return err
	}
	if err := ptx.Commit(ctx); err != nil {
		return wrap(err)
	}
	if db.seq != nil {
		db.seq.written(im.unnumbered)
	}
	return nil
}

// importer is one import in progress.
type importer struct {
	ctx    context.Context
	tx     pgx.Tx
	batch  *pgx.Batch
	queued []queued
	// unnumbered are the apps with events imported without a position.
	unnumbered []uint32
}

// queued is a statement of the batch: its record, and, for a statement
// that must change a row, what it means when it changes none.
type queued struct {
	n     int
	r     roomd.Record
	check string
}

func (im *importer) run(next func() (roomd.Record, bool, error)) error {
	// Writers of other processes wait until the import ends: the store it
	// finds empty stays so but for the import.
	if _, err := im.tx.Exec(im.ctx, `LOCK TABLE `+strings.Join(dataTables, ", ")+` IN EXCLUSIVE MODE`); err != nil {
		return wrap(err)
	}
	var full bool
	if err := im.tx.QueryRow(im.ctx, `SELECT EXISTS (SELECT 1 FROM `+strings.Join(dataTables, `) OR EXISTS (SELECT 1 FROM `)+`)`).Scan(&full); err != nil {
		return wrap(err)
	}
	if full {
		return roomd.Errorf(roomd.EEXISTS, "the store already holds data: import into an empty store")
	}
	if _, err := roomd.ImportRecords(im.ctx, next, im.put); err != nil {
		return err
	}
	if err := im.flush(); err != nil {
		return err
	}
	var app uint32
	var pos int64
	err := im.tx.QueryRow(im.ctx, `SELECT app, max(pos) FROM events e
		WHERE pos IS NOT NULL AND NOT EXISTS (SELECT 1 FROM app_logs a WHERE a.app = e.app)
		GROUP BY app ORDER BY app LIMIT 1`).Scan(&app, &pos)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err == nil {
		err = roomd.Errorf(roomd.EINVALID, "app %d: its events are numbered up to %d, but no app_log record came", app, pos)
	}
	return wrap(err)
}

// Checks of the statements that write a seq or a position: they insert no
// row unless it matches the events imported before.
const (
	lastSeqIs = ` WHERE $%d = (SELECT coalesce(max(seq), 0) FROM events WHERE app = $1 AND room = $2)`
	badSeq    = "its seq is not that of the room's last event imported before it"
)

// put queues the statement that writes record n.
func (im *importer) put(n int, r roomd.Record) error {
	q := func(sql string, args ...any) error { return im.queue(n, r, "", sql, args...) }
	switch r.Kind {
	case roomd.RecordUser:
		u := r.User
		return q(`INSERT INTO users (app, id, name, avatar, extra, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			u.AppID, u.ID, u.Name, u.Avatar, u.Extra, ns(u.CreatedAt))
	case roomd.RecordEvent:
		e := r.Event
		var pos *int64
		if e.Pos != 0 {
			pos = &e.Pos
		} else if !slices.Contains(im.unnumbered, e.AppID) {
			im.unnumbered = append(im.unnumbered, e.AppID)
		}
		return q(`INSERT INTO events (app, room, seq, type, actor, payload, at, pos) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			e.AppID, e.RoomID, e.Seq, string(e.Type), e.Actor, string(e.Payload), ns(e.Time), pos)
	case roomd.RecordRoom:
		m := r.Room
		return im.queue(n, r, badSeq, `INSERT INTO rooms (app, id, name, notice, avatar, type, custom_info, max_members, attributes, props, owner,
				created_at, join_mode, invite_mode, be_invited_mode, seq)
			SELECT $1::bigint, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::bigint, $9::text, $10::text, $11::text,
				$12::bigint, $13::integer, $14::integer, $15::integer, $16::bigint`+fmt.Sprintf(lastSeqIs, 16),
			m.AppID, m.ID, m.Name, m.Notice, m.Avatar, m.Type, m.CustomInfo, m.MaxMembers, jsonText{m.Attributes}, jsonText{m.Props}, m.Owner,
			ns(m.CreatedAt), int(m.JoinMode), int(m.InviteMode), int(m.BeInvitedMode), m.Seq)
	case roomd.RecordRoomLog:
		l := r.RoomLog
		// The row DeleteRoom leaves, dismissed, with the room's seq.
		return im.queue(n, r, badSeq, `INSERT INTO rooms (app, id, seq, dismissed) SELECT $1::bigint, $2::text, $3::bigint, true`+fmt.Sprintf(lastSeqIs, 3),
			l.AppID, l.RoomID, l.Seq)
	case roomd.RecordAppLog:
		l := r.AppLog
		return im.queue(n, r, "its pos is not that of the app's last numbered event imported before it",
			`INSERT INTO app_logs (app, pos) SELECT $1::bigint, $2::bigint WHERE $2 = (SELECT coalesce(max(pos), 0) FROM events WHERE app = $1)`,
			l.AppID, l.Pos)
	case roomd.RecordMember:
		m := r.Member
		return q(`INSERT INTO members (app, room, user_id, role, name_card, custom_info, joined_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			m.AppID, m.RoomID, m.UserID, int(m.Role), m.NameCard, m.CustomInfo, ns(m.JoinedAt))
	case roomd.RecordMembership:
		p := r.Membership
		return q(`INSERT INTO memberships (app, room, user_id, joined, ended) VALUES ($1, $2, $3, $4, $5)`, p.AppID, p.RoomID, p.UserID, p.From, p.To)
	case roomd.RecordBan:
		b := r.Ban
		return q(`INSERT INTO bans (app, room, user_id, until, reason, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			b.AppID, b.RoomID, b.UserID, ns(b.Until), b.Reason, ns(b.CreatedAt))
	case roomd.RecordSeat:
		s := r.Seat
		return q(`INSERT INTO seats (app, room, idx, user_id, locked, video_disabled, audio_disabled) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			s.AppID, s.RoomID, s.Index, s.UserID, s.Locked, s.VideoDisabled, s.AudioDisabled)
	case roomd.RecordSeatRequest:
		s := r.SeatRequest
		return q(`INSERT INTO seat_requests (app, room, user_id, idx, at) VALUES ($1, $2, $3, $4, $5)`, s.AppID, s.RoomID, s.UserID, s.Index, ns(s.At))
	case roomd.RecordMarks:
		m := r.Marks
		return q(`INSERT INTO member_marks (app, room, user_id, mark) SELECT $1, $2, $3, unnest($4::bigint[])`, m.AppID, m.RoomID, m.UserID, m.Marks)
	case roomd.RecordRoomMute:
		m := r.RoomMute
		return q(`INSERT INTO room_mutes (app, room, all_members, roles, until) VALUES ($1, $2, $3, $4, $5)`,
			m.AppID, m.RoomID, m.All, jsonText{m.Roles}, ns(m.Until))
	case roomd.RecordMemberMute:
		m := r.MemberMute
		return q(`INSERT INTO member_mutes (app, room, user_id, until) VALUES ($1, $2, $3, $4)`, m.AppID, m.RoomID, m.UserID, ns(m.Until))
	case roomd.RecordCallback:
		c := r.Callback
		return q(`INSERT INTO callbacks (app, url, commands) VALUES ($1, $2, $3)`, c.AppID, c.URL, jsonText{c.Commands})
	case roomd.RecordHookCursor:
		c := r.HookCursor
		return q(`INSERT INTO hook_cursors (app, style, pos) VALUES ($1, $2, $3)`, c.AppID, c.Style, c.Pos)
	}
	return roomd.RecordError(n, r, roomd.Errorf(roomd.EINVALID, "unknown record kind %q", r.Kind))
}

// queue adds a statement to the batch, and sends the batch when it is
// full.
func (im *importer) queue(n int, r roomd.Record, check, sql string, args ...any) error {
	im.batch.Queue(sql, args...)
	im.queued = append(im.queued, queued{n: n, r: r, check: check})
	if len(im.queued) < importBatch {
		return nil
	}
	return im.flush()
}

// flush sends the batch in one round trip and reads each statement's
// outcome: the first that failed, or changed no row where it had to, is
// the error of its record.
func (im *importer) flush() error {
	if len(im.queued) == 0 {
		return nil
	}
	br := im.tx.SendBatch(im.ctx, im.batch)
	for _, q := range im.queued {
		tag, err := br.Exec()
		if err == nil && q.check != "" && tag.RowsAffected() == 0 {
			err = roomd.Errorf(roomd.EINVALID, "%s", q.check)
		}
		if err != nil {
			_ = br.Close()
			return roomd.RecordError(q.n, q.r, constraint(err))
		}
	}
	im.batch, im.queued = &pgx.Batch{}, im.queued[:0]
	return wrap(br.Close())
}

// constraint turns the error of a statement that broke a constraint (a key
// given twice, a member of a room or user not imported) into EINVALID.
func constraint(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && strings.HasPrefix(pe.Code, "23") {
		return &roomd.Error{Code: roomd.EINVALID, Message: "it repeats a record before it, or refers to one not imported (" + pe.Message + ")", Err: err}
	}
	return wrap(err)
}
