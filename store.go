package roomd

import (
	"context"
	"time"
)

// Store is durable storage for the domain. Implementations: sqlite, postgres.
// Every implementation passes the conformance suite in package storetest.
type Store interface {
	// Update runs fn in a read-write transaction and returns once the
	// transaction is durable (synced), or fn's error. A store may send
	// writes whose answer the caller does not need together with the
	// transaction's next statement or its commit: the error of such a
	// write is then returned by a later call of the transaction, or by
	// Update; either way the transaction does not commit. A store may commit the
	// transactions of several concurrent calls together (group commit): each
	// fn is isolated so that one returning an error leaves no trace and does
	// not affect the others. Writes of concurrent calls are serialised per
	// room: a room read by Tx.Room cannot change until fn's transaction ends.
	// fn may be run more than once (after a serialisation conflict) and must
	// have no effect outside tx. Returns EINTERNAL when the store fails.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// View runs fn in a read-only transaction that sees a consistent snapshot.
	View(ctx context.Context, fn func(tx Tx) error) error
	// UseNonce claims nonce, which app used to sign a request, until expires.
	// It returns EEXISTS if app claimed the same nonce before and that claim
	// has not expired at now, and ERATELIMIT if app already has as many
	// unexpired nonces as the store keeps (the store refuses new ones rather
	// than forget old ones). A claim is seen at once by later and concurrent
	// calls. It is durable (it survives a crash or restart of the process,
	// and every process sharing the store sees it) once wait returns nil, and
	// at the latest when an Update called after UseNonce returned is durable,
	// so that a request's nonce is never lost while its effect is kept. wait
	// returns EINTERNAL if the claim could not be made durable; UseNonce
	// returns EINTERNAL when the store fails.
	UseNonce(ctx context.Context, app uint32, nonce string, now, expires time.Time) (wait func() error, err error)
	// Close waits for pending updates and releases the store.
	Close() error
	// CompactEvents deletes at most limit of the events that r does not
	// keep at now (see Retention) and returns how many it deleted; fewer
	// than limit means none was left to delete at now (unless another
	// compaction ran at the same time). Each room's events go oldest first,
	// so what a room keeps is always the end of its log and Tx.Events,
	// asked from before it, returns its first kept event; rooms go in the
	// order of their oldest event. A room's last event is never deleted.
	// The deletion is one write transaction, ordered with Updates like one,
	// and durable when CompactEvents returns. Returns EINVALID if r is
	// invalid or limit < 1, ctx.Err() if ctx ends before the deletion
	// starts, and EINTERNAL when the store fails; after an error nothing was
	// deleted.
	CompactEvents(ctx context.Context, r Retention, now time.Time, limit int) (deleted int, err error)
}

// Tx is one transaction of a Store. Writes are only allowed in Update.
// Methods that read one entity return a fresh value the caller may modify.
type Tx interface {
	// User returns a user. Returns ENOUSER if it is not registered.
	User(ctx context.Context, app uint32, id string) (*User, error)
	// PutUser inserts or replaces a user.
	PutUser(ctx context.Context, u *User) error
	// DeleteUser deletes a user's account; its memberships are the caller's
	// to remove first. Deleting an absent user is not an error.
	DeleteUser(ctx context.Context, app uint32, id string) error

	// Room returns a live room (MemberCount is not filled in). Returns ENOROOM
	// if it does not exist or was dismissed. In Update, the room is locked
	// against other writers until the transaction ends.
	Room(ctx context.Context, app uint32, id string) (*Room, error)
	// RoomMembers returns a live room as Room does (locked in Update) and
	// the memberships, by user id, of those of users who are members of it
	// (with UserName, as Member returns them), read once the room is
	// locked. A store may read them together in one round trip. Returns
	// ENOROOM if the room is not live.
	RoomMembers(ctx context.Context, app uint32, id string, users []string) (*Room, map[string]*Member, error)
	// Rooms returns up to limit live rooms of app ordered by id, starting
	// at offset, and the number of live rooms of app.
	Rooms(ctx context.Context, app uint32, offset, limit int) ([]*Room, int, error)
	// InsertRoom creates a room. Returns EEXISTS if a live room has its id.
	// It sets r.Seq to the Seq of the last event ever written for that id (0
	// for a new id), so that a re-created room's log continues without gaps.
	InsertRoom(ctx context.Context, r *Room) error
	// UpdateRoom writes a room's settings (every field but Owner, Seq,
	// CreatedAt and MemberCount). Returns ENOROOM if it is not live.
	UpdateRoom(ctx context.Context, r *Room) error
	// DeleteRoom dismisses a room: it and its members, bans, seats, seat
	// requests, marks and mutes are gone, but its last Seq and its events
	// are kept.
	DeleteRoom(ctx context.Context, app uint32, id string) error
	// RoomsOfUser returns the ids of the live rooms the user is a member of.
	RoomsOfUser(ctx context.Context, app uint32, user string) ([]string, error)
	// SetOwner makes next the room's owner with role RoleOwner, and gives old
	// RoleMember if old is still a member. Returns ENOTMEMBER if next is not
	// a member and ENOROOM if the room is not live: the store, too, keeps a
	// non-member from becoming owner.
	SetOwner(ctx context.Context, app uint32, room, old, next string) error

	// Member returns a membership, with UserName from the user's profile.
	// Returns ENOTMEMBER if the user is not a member of the room.
	Member(ctx context.Context, app uint32, room, user string) (*Member, error)
	// Members returns up to limit members of a room ordered by JoinedAt then
	// UserID, starting at offset, with UserName filled in, and the member count.
	Members(ctx context.Context, app uint32, room string, offset, limit int) ([]*Member, int, error)
	// MemberCount returns the number of members of a room.
	MemberCount(ctx context.Context, app uint32, room string) (int, error)
	// PutMember inserts or replaces a membership. Returns ENOUSER if the
	// user is not registered: a store where transactions run side by side
	// keeps the user from being deleted until fn's transaction ends.
	PutMember(ctx context.Context, m *Member) error
	// DeleteMember removes a membership, and the member's mute (mute.go);
	// removing an absent one is not an error.
	DeleteMember(ctx context.Context, app uint32, room, user string) error
	// Successor returns the member with the earliest JoinedAt (then the
	// smallest UserID), or nil when the room has no members.
	Successor(ctx context.Context, app uint32, room string) (*Member, error)

	// Ban returns the ban of a user in a room, or nil when there is none
	// (expired bans may still be returned; see Ban.Active).
	Ban(ctx context.Context, app uint32, room, user string) (*Ban, error)
	// PutBan inserts or replaces a ban.
	PutBan(ctx context.Context, b *Ban) error
	// DeleteBan lifts a ban; lifting an absent one is not an error.
	DeleteBan(ctx context.Context, app uint32, room, user string) error
	// Bans returns up to limit bans of a room that are active at now,
	// ordered by UserID, starting at offset, and their number.
	Bans(ctx context.Context, app uint32, room string, now time.Time, offset, limit int) ([]*Ban, int, error)

	// AppendEvents writes events and records, for each room, the Seq of its
	// last event. Each event's Seq is one more than the one before it in
	// the same room. Each event gets a Pos in its app's log: positions
	// follow the order events are committed in (a room's in Seq order),
	// with no gaps and none reused, so that an app's log read by Pos
	// (AppEvents) never gains an event behind one already read. A store
	// may set Pos here (SQLite) or number events shortly after they commit
	// (PostgreSQL, where AppendEvents leaves Pos 0): AppEvents returns
	// numbered events only. Returns EINTERNAL if a (room, Seq) pair
	// already exists.
	AppendEvents(ctx context.Context, events []Event) error
	// Events returns up to limit events of a room with Seq > after, in order.
	// Events removed by compaction are not returned: the first one returned
	// may have a Seq above after+1.
	Events(ctx context.Context, app uint32, room string, after int64, limit int) ([]Event, error)
	// LastSeq returns the Seq of the last event ever written for a room id,
	// live, dismissed or never created (0).
	LastSeq(ctx context.Context, app uint32, room string) (int64, error)
	// AppEvents returns up to limit events of app, of every room, with
	// Pos > after, in Pos order. Compacted events, and events not yet
	// numbered (see AppendEvents), are not returned.
	AppEvents(ctx context.Context, app uint32, after int64, limit int) ([]Event, error)
	// LastPos returns the Pos of app's last event, 0 when it has none.
	// Compaction never lowers it (an app's last event is its room's last).
	LastPos(ctx context.Context, app uint32) (int64, error)

	// StartMembership records that user became a member of room with the
	// event seq (its member.joined).
	StartMembership(ctx context.Context, app uint32, room, user string, seq int64) error
	// EndMembership records that user stopped being a member of room with
	// the event seq; user "" ends the membership of every member (the room
	// was dismissed). Ending one that is not open is not an error.
	EndMembership(ctx context.Context, app uint32, room, user string, seq int64) error
	// Memberships returns the periods user was a member of room, oldest
	// first; the current one, if any, has To 0.
	Memberships(ctx context.Context, app uint32, room, user string) ([]Membership, error)
	// MembersAt returns up to limit ids, in order, of the users whose
	// membership period of room covers seq and did not end with it (they
	// were members right after event seq), and how many such users there
	// are. limit 0 returns the count alone.
	MembersAt(ctx context.Context, app uint32, room string, seq int64, limit int) ([]string, int, error)

	// Callback returns the app's callback configuration, or nil when none.
	Callback(ctx context.Context, app uint32) (*Callback, error)
	// PutCallback sets the app's callback configuration.
	PutCallback(ctx context.Context, c *Callback) error
	// DeleteCallback removes the app's callback configuration, if any.
	DeleteCallback(ctx context.Context, app uint32) error

	// HookCursor returns app's delivery cursor for style, or nil when none.
	// In Update, an existing cursor is locked against other writers until
	// the transaction ends.
	HookCursor(ctx context.Context, app uint32, style string) (*HookCursor, error)
	// PutHookCursor inserts a delivery cursor, or moves an existing one
	// forward: a Pos behind the stored one leaves it where it is, so that
	// writers that raced cannot move it back.
	PutHookCursor(ctx context.Context, c *HookCursor) error
	// DeleteHookCursor removes app's cursor for style; removing an absent
	// one is not an error.
	DeleteHookCursor(ctx context.Context, app uint32, style string) error

	// Seats, seat requests and marks (seat.go, mark.go). The store keeps
	// them as written; the domain keeps them consistent with the members
	// (a member's go when they leave). DeleteRoom removes all of a room's.

	// Seats returns the seats of a room that are taken or locked, by
	// Index; every other seat is free and unlocked (Seat.Idle).
	Seats(ctx context.Context, app uint32, room string) ([]Seat, error)
	// PutSeat writes one seat of a room; an idle seat is removed, so that it
	// reads as free and unlocked. Returns EINVALID for a negative Index and
	// EEXISTS if s.UserID holds another seat of the room: a user holds at
	// most one (free the old seat first).
	PutSeat(ctx context.Context, app uint32, room string, s Seat) error
	// SeatRequest returns user's pending request to take a seat of a room,
	// or nil when there is none.
	SeatRequest(ctx context.Context, app uint32, room, user string) (*SeatRequest, error)
	// PutSeatRequest inserts or replaces a user's request.
	PutSeatRequest(ctx context.Context, r *SeatRequest) error
	// DeleteSeatRequest removes a user's request; removing an absent one is
	// not an error.
	DeleteSeatRequest(ctx context.Context, app uint32, room, user string) error
	// Marks returns the marks, ascending, of the given users in a room, by
	// user; users without marks are absent from the map.
	Marks(ctx context.Context, app uint32, room string, users []string) (map[string][]int64, error)
	// RoomMarks returns the distinct marks the users of a room hold, ascending.
	RoomMarks(ctx context.Context, app uint32, room string) ([]int64, error)
	// SetMarks replaces a user's marks in a room; an empty marks removes
	// them. Duplicates are kept once.
	SetMarks(ctx context.Context, app uint32, room, user string, marks []int64) error

	// Mutes (mute.go). Times are compared with the now given: a mute whose
	// Until has passed is not in force, whether or not it was removed.
	// DeleteRoom removes all of a room's mutes, and DeleteMember the
	// member's, so that a mute lasts only while its room and its member do.

	// RoomMute returns the room-level mute of a room, or nil when there is
	// none (an expired one may be returned; see RoomMute.Active).
	RoomMute(ctx context.Context, app uint32, room string) (*RoomMute, error)
	// PutRoomMute inserts or replaces the room-level mute of a room.
	PutRoomMute(ctx context.Context, m *RoomMute) error
	// DeleteRoomMute removes the room-level mute of a room; removing an
	// absent one is not an error.
	DeleteRoomMute(ctx context.Context, app uint32, room string) error
	// MemberMute returns the mute of a user in a room, or nil when there is
	// none (an expired one may be returned; see MemberMute.Active).
	MemberMute(ctx context.Context, app uint32, room, user string) (*MemberMute, error)
	// PutMemberMute inserts or replaces the mute of a user in a room.
	PutMemberMute(ctx context.Context, m *MemberMute) error
	// DeleteMemberMute removes the mute of a user in a room; removing an
	// absent one is not an error.
	DeleteMemberMute(ctx context.Context, app uint32, room, user string) error
	// MemberMutes returns up to limit (negative: no limit) of the member
	// mutes of a room in force at now, ordered by UserID, starting at
	// offset, and their number.
	MemberMutes(ctx context.Context, app uint32, room string, now time.Time, offset, limit int) ([]*MemberMute, int, error)
	// MutedRooms returns up to limit of app's rooms that have a mute in
	// force at now, room-level or of a member, ordered by RoomID, starting
	// at offset.
	MutedRooms(ctx context.Context, app uint32, now time.Time, offset, limit int) ([]MutedRoom, error)

	// Console reads (search.go). Each page starts after a key, the last
	// item of the page before, and is read by a range of the store's
	// index: page n costs what page 1 does. limit is at least 1. Each
	// returns EINTERNAL when the store fails.

	// SearchRooms returns up to limit live rooms of app whose id starts
	// with prefix ("" for every id) and is greater than after ("" for the
	// first page), in id order, each with its MemberCount (read with the
	// page, not one by one).
	SearchRooms(ctx context.Context, app uint32, prefix, after string, limit int) ([]*Room, error)
	// SearchUsers returns up to limit registered users of app whose id
	// starts with prefix ("" for every id) and is greater than after, in id
	// order.
	SearchUsers(ctx context.Context, app uint32, prefix, after string, limit int) ([]*User, error)
	// MembersAfter returns up to limit members of a room that come after
	// the key after in join order (JoinedAt, then UserID; the zero key
	// comes first), in that order, with UserName filled in.
	MembersAfter(ctx context.Context, app uint32, room string, after MemberKey, limit int) ([]*Member, error)
}
