package roomd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Export and import (roomd export, roomd import) move a whole deployment
// from one store to another, SQLite or PostgreSQL, as a stream of Records:
// domain values, so that no store knows another's tables. A store that can
// be moved implements Exporter and Importer; the file format of the stream
// is in exportfile.go.

// RecordKind names what a Record holds.
type RecordKind string

// The kinds of Record, in the order an export lists them (RecordKinds).
const (
	RecordUser        RecordKind = "user"         // a registered user (User)
	RecordEvent       RecordKind = "event"        // a kept event of a room's log (Event), Pos 0 if not yet numbered
	RecordRoom        RecordKind = "room"         // a live room with its settings and Seq (Room)
	RecordRoomLog     RecordKind = "room_log"     // the last Seq of a room id that is not live (RoomLog)
	RecordAppLog      RecordKind = "app_log"      // the last Pos of an app's log (AppLog)
	RecordMember      RecordKind = "member"       // a membership of a live room (Member)
	RecordMembership  RecordKind = "membership"   // a period a user was a member (MemberPeriod)
	RecordBan         RecordKind = "ban"          // a ban (Ban)
	RecordSeat        RecordKind = "seat"         // a taken or locked seat (RoomSeat)
	RecordSeatRequest RecordKind = "seat_request" // a pending request to take a seat (SeatRequest)
	RecordMarks       RecordKind = "marks"        // a member's marks (RoomMarks)
	RecordRoomMute    RecordKind = "room_mute"    // a room-level mute (RoomMute)
	RecordMemberMute  RecordKind = "member_mute"  // a member's mute (MemberMute)
	RecordCallback    RecordKind = "callback"     // an app's callback configuration (Callback)
	RecordHookCursor  RecordKind = "hook_cursor"  // an app's callback delivery cursor (HookCursor)
)

// RecordKinds lists the kinds in the order of an export. Events come
// before the rooms, room logs and app logs, so that an importer can check
// each Seq and Pos against the events already written; users and rooms
// before what refers to them. Within a kind, records are ordered by their
// store's key (events: by app, then Pos, the unnumbered ones last by room
// and Seq), so that two exports of the same data are the same.
var RecordKinds = []RecordKind{
	RecordUser, RecordEvent, RecordRoom, RecordRoomLog, RecordAppLog,
	RecordMember, RecordMembership, RecordBan, RecordSeat, RecordSeatRequest,
	RecordMarks, RecordRoomMute, RecordMemberMute, RecordCallback, RecordHookCursor,
}

// RoomLog is what is kept of a room id that is not live (it was
// dismissed): the Seq of its last event, from which a room created again
// with the id carries on.
type RoomLog struct {
	AppID  uint32
	RoomID string
	Seq    int64
}

// AppLog is how far an app's log is numbered: the Pos of its last
// numbered event, which its next event follows.
type AppLog struct {
	AppID uint32
	Pos   int64
}

// MemberPeriod is one period during which a user was a member of a room.
type MemberPeriod struct {
	AppID  uint32
	RoomID string
	UserID string
	Membership
}

// RoomSeat is one taken or locked seat of a room.
type RoomSeat struct {
	AppID  uint32
	RoomID string
	Seat
}

// RoomMarks are the marks, ascending, of one member of a room.
type RoomMarks struct {
	AppID  uint32
	RoomID string
	UserID string
	Marks  []int64
}

// Record is one entity of a store in an export: Kind says which, and
// exactly the field of that kind is set.
type Record struct {
	Kind        RecordKind
	User        *User
	Event       *Event
	Room        *Room // MemberCount is not carried
	RoomLog     *RoomLog
	AppLog      *AppLog
	Member      *Member // UserName and Marks are not carried (Marks are RecordMarks)
	Membership  *MemberPeriod
	Ban         *Ban
	Seat        *RoomSeat
	SeatRequest *SeatRequest
	Marks       *RoomMarks
	RoomMute    *RoomMute
	MemberMute  *MemberMute
	Callback    *Callback
	HookCursor  *HookCursor
}

// entity returns the kind of each field of r that is set and, for the
// last one, its app and the parts of its key (ids, seq, index, style).
func (r *Record) entity() (set []RecordKind, app uint32, key []string) {
	note := func(k RecordKind, a uint32, parts ...string) {
		set, app, key = append(set, k), a, parts
	}
	if u := r.User; u != nil {
		note(RecordUser, u.AppID, u.ID)
	}
	if e := r.Event; e != nil {
		note(RecordEvent, e.AppID, e.RoomID, strconv.FormatInt(e.Seq, 10))
	}
	if m := r.Room; m != nil {
		note(RecordRoom, m.AppID, m.ID)
	}
	if l := r.RoomLog; l != nil {
		note(RecordRoomLog, l.AppID, l.RoomID)
	}
	if l := r.AppLog; l != nil {
		note(RecordAppLog, l.AppID)
	}
	if m := r.Member; m != nil {
		note(RecordMember, m.AppID, m.RoomID, m.UserID)
	}
	if p := r.Membership; p != nil {
		note(RecordMembership, p.AppID, p.RoomID, p.UserID, strconv.FormatInt(p.From, 10))
	}
	if b := r.Ban; b != nil {
		note(RecordBan, b.AppID, b.RoomID, b.UserID)
	}
	if s := r.Seat; s != nil {
		note(RecordSeat, s.AppID, s.RoomID, strconv.Itoa(s.Index))
	}
	if q := r.SeatRequest; q != nil {
		note(RecordSeatRequest, q.AppID, q.RoomID, q.UserID)
	}
	if m := r.Marks; m != nil {
		note(RecordMarks, m.AppID, m.RoomID, m.UserID)
	}
	if m := r.RoomMute; m != nil {
		note(RecordRoomMute, m.AppID, m.RoomID)
	}
	if m := r.MemberMute; m != nil {
		note(RecordMemberMute, m.AppID, m.RoomID, m.UserID)
	}
	if c := r.Callback; c != nil {
		note(RecordCallback, c.AppID)
	}
	if c := r.HookCursor; c != nil {
		note(RecordHookCursor, c.AppID, c.Style)
	}
	return set, app, key
}

// Validate returns EINVALID unless exactly the field of r.Kind is set and
// the ids of its key are not empty.
func (r *Record) Validate() error {
	set, _, key := r.entity()
	if !slices.Contains(RecordKinds, r.Kind) {
		return Errorf(EINVALID, "unknown record kind %q", r.Kind)
	}
	if len(set) != 1 || set[0] != r.Kind {
		return Errorf(EINVALID, "a %s record holds %v, want exactly a %s", r.Kind, set, r.Kind)
	}
	if slices.Contains(key, "") {
		return Errorf(EINVALID, "%s: an id is empty", r)
	}
	return nil
}

// String names the record for messages: its kind, app and key.
func (r Record) String() string {
	_, app, key := r.entity()
	var b strings.Builder
	fmt.Fprintf(&b, "%s of app %d", r.Kind, app)
	for _, k := range key {
		fmt.Fprintf(&b, " %q", k)
	}
	return b.String()
}

// Exporter is a store whose data can be moved to another store.
type Exporter interface {
	// Export calls emit with every record of the store, in the order of
	// RecordKinds and, within a kind, of the store's key, from one
	// consistent snapshot, holding only a bounded number of records in
	// memory at a time. Signature nonces (UseNonce) are not exported: they
	// expire within minutes. It returns emit's first error as it is,
	// ctx.Err() if ctx ends, and EINTERNAL when the store fails.
	Export(ctx context.Context, emit func(Record) error) error
}

// Importer is a store that can be filled with the records of an Exporter.
type Importer interface {
	// Import writes the records next returns, until it reports the end
	// (ok false), into the store, which must hold no data (signature
	// nonces aside): all of them in one transaction, so that after an
	// error nothing was written. Records must come as Export emits them
	// (ImportRecords checks the order); a room's or room log's Seq must be
	// that of the room's last event imported, and an app log's Pos that of
	// the app's last numbered event. An event's Pos 0 is an event not yet
	// numbered: the store numbers it, or leaves it to its sequencer.
	// Returns EEXISTS if the store holds data, EINVALID for a record that
	// is invalid, out of order, in conflict with one before it (the same
	// key twice, a member of a room or user not imported) or whose Seq or
	// Pos does not match the events, next's error as it is, ctx.Err() if
	// ctx ends, and EINTERNAL when the store fails.
	Import(ctx context.Context, next func() (Record, bool, error)) error
}

// ImportRecords reads records with next until it reports the end and
// calls put with each and its number, from 1; it is the loop of an
// Importer. It checks each record first (Validate) and that its kind does
// not come before the previous record's in RecordKinds. It returns the
// number of records put, EINVALID for a record that fails its checks,
// next's and put's errors as they are, and ctx.Err() if ctx ends.
func ImportRecords(ctx context.Context, next func() (Record, bool, error), put func(n int, r Record) error) (int, error) {
	rank := 0
	for n := 1; ; n++ {
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return n - 1, err
			}
		}
		r, ok, err := next()
		if err != nil || !ok {
			return n - 1, err
		}
		if err := r.Validate(); err != nil {
			return n - 1, RecordError(n, r, err)
		}
		k := slices.Index(RecordKinds, r.Kind)
		if k < rank {
			return n - 1, RecordError(n, r, Errorf(EINVALID, "it comes after the %s records: out of order", RecordKinds[rank]))
		}
		rank = k
		if err := put(n, r); err != nil {
			return n - 1, err
		}
	}
}

// RecordError returns err, an error about record n of an import, with the
// record's number and name before its message when it is a domain error
// other than EINTERNAL; other errors as they are.
func RecordError(n int, r Record, err error) error {
	if e := (*Error)(nil); errors.As(err, &e) && e.Code != EINTERNAL {
		return &Error{Code: e.Code, Message: fmt.Sprintf("record %d (%s): %s", n, r, e.Message), Err: e.Err}
	}
	return err
}
