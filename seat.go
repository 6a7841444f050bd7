package roomd

import (
	"context"
	"encoding/json"
	"time"
)

// Seats are the room engine's seats (its "mic" seats): numbered places in a
// room that members take to speak. A room has them when it was created with
// them enabled; their count is fixed at creation. A seat is free, taken by
// one member, or locked (no one may take it). A member holds at most one
// seat. Whoever holds a seat may have their video or audio disabled there;
// that follows them to another seat and ends when they leave the seat.
//
// The settings live in Room.Props under the Tencent dialect's RoomInfo
// names, as JSON text (the domain reads them; any dialect may write them).
const (
	PropSeatEnabled  = "IsSeatEnabled" // true: the room has seats
	PropSeatCount    = "MaxSeatCount"  // how many; 0 or absent: DefaultSeatCount
	PropTakeSeatMode = "TakeSeatMode"  // SeatFreeToTake (default) or SeatApplyToTake
)

// Seat limits.
const (
	// DefaultSeatCount is the number of seats of a room that enables seats
	// without a count: the default of the vendor's seat grid (live_stream_core
	// defaultMaxSeatCount).
	DefaultSeatCount = 10
	// MaxSeats caps the number of seats of a room; a larger count is read as
	// MaxSeats.
	MaxSeats = 100
)

// Take-seat modes: who may take a seat of their own accord (TakeSeat).
const (
	SeatFreeToTake  = "FreeToTake"  // any member takes a free seat at once
	SeatApplyToTake = "ApplyToTake" // a member's TakeSeat waits for an admin's PickSeat
)

// SeatConfig is a room's seat settings.
type SeatConfig struct {
	Enabled bool
	Count   int    // the number of seats when Enabled: 1..MaxSeats
	Mode    string // SeatFreeToTake or SeatApplyToTake
}

// SeatConfig returns the room's seat settings, read from its Props. Values
// that do not parse read as unset.
func (r *Room) SeatConfig() SeatConfig {
	c := SeatConfig{Count: DefaultSeatCount, Mode: SeatFreeToTake}
	_ = json.Unmarshal([]byte(r.Props[PropSeatEnabled]), &c.Enabled)
	var n int64
	if json.Unmarshal([]byte(r.Props[PropSeatCount]), &n) == nil && n > 0 {
		c.Count = int(min(n, MaxSeats))
	}
	var mode string
	if v := r.Props[PropTakeSeatMode]; json.Unmarshal([]byte(v), &mode) != nil {
		mode = v // a bare word
	}
	if mode == SeatApplyToTake {
		c.Mode = SeatApplyToTake
	}
	return c
}

// Seat is one seat of a room. Index counts from 0. UserID is who holds it,
// "" when it is free. VideoDisabled and AudioDisabled are the holder's and
// false on a free seat.
type Seat struct {
	Index         int    `json:"index"`
	UserID        string `json:"user_id,omitempty"`
	Locked        bool   `json:"locked,omitempty"`
	VideoDisabled bool   `json:"video_disabled,omitempty"`
	AudioDisabled bool   `json:"audio_disabled,omitempty"`
}

// Idle reports whether the seat is free and unlocked: how a seat the store
// holds no record of reads.
func (s Seat) Idle() bool { return s.UserID == "" && !s.Locked }

// SeatRequest is a member's pending request to take a seat (TakeSeat in a
// room whose mode is SeatApplyToTake). Index is the seat asked for, -1 for
// any.
type SeatRequest struct {
	AppID  uint32
	RoomID string
	UserID string
	Index  int
	At     time.Time
}

// Reasons of a seat.changed (SeatPayload.Reason).
const (
	SeatTaken      = "taken"       // TakeSeat
	SeatPicked     = "picked"      // PickSeat
	SeatLeft       = "left"        // LeaveSeat
	SeatKicked     = "kicked"      // KickOffSeat
	SeatLockedBy   = "locked"      // LockSeat (UserID: who was removed, if anyone)
	SeatMoved      = "moved"       // SwitchSeat
	SeatMemberLeft = "member_left" // the holder left or was removed from the room
)

// SeatPayload is the payload of seat.changed: every seat of the room after
// the change, by Index, why, whom it concerns (UserID) and the operator's
// free text (Message, KickOffSeat's).
type SeatPayload struct {
	Seats   []Seat `json:"seats"`
	Reason  string `json:"reason"`
	UserID  string `json:"user_id,omitempty"`
	Message string `json:"message,omitempty"`
}

// SeatRequestPayload is the payload of seat.requested and
// seat.request_cancelled. Index is the seat asked for, -1 for any.
type SeatRequestPayload struct {
	UserID string `json:"user_id"`
	Index  int    `json:"index"`
}

// seating is a room's seats inside a transaction: every seat by Index.
type seating struct {
	cfg   SeatConfig
	seats []Seat
}

// loadSeats returns the room's seats. Returns ENOSEATS when the room has
// none.
func loadSeats(ctx context.Context, tx Tx, room *Room) (*seating, error) {
	cfg := room.SeatConfig()
	if !cfg.Enabled {
		return nil, Errorf(ENOSEATS, "seats are not enabled in room %q", room.ID)
	}
	st := &seating{cfg: cfg, seats: make([]Seat, cfg.Count)}
	for i := range st.seats {
		st.seats[i].Index = i
	}
	stored, err := tx.Seats(ctx, room.AppID, room.ID)
	if err != nil {
		return nil, err
	}
	for _, s := range stored {
		if s.Index >= 0 && s.Index < cfg.Count {
			st.seats[s.Index] = s
		}
	}
	return st, nil
}

// index checks a seat index: 0..count-1, or -1 when anySeat is true.
func (st *seating) index(i int, anySeat bool) error {
	if i >= st.cfg.Count || i < -1 || (i == -1 && !anySeat) {
		return Errorf(EINVALID, "seat index %d is out of range: the room has seats 0 to %d", i, st.cfg.Count-1)
	}
	return nil
}

// of returns the index of user's seat, or -1.
func (st *seating) of(user string) int {
	for i, s := range st.seats {
		if s.UserID == user {
			return i
		}
	}
	return -1
}

// target returns the seat user may be put on at index (-1: the first free
// unlocked one). Returns ESEATSFULL, ESEATLOCKED, ESEATTAKEN.
func (st *seating) target(index int) (int, error) {
	if index == -1 {
		for i, s := range st.seats {
			if s.Idle() {
				return i, nil
			}
		}
		return 0, Errorf(ESEATSFULL, "every seat is taken or locked")
	}
	s := st.seats[index]
	if s.Locked {
		return 0, Errorf(ESEATLOCKED, "seat %d is locked", index)
	}
	if s.UserID != "" {
		return 0, Errorf(ESEATTAKEN, "seat %d is taken", index)
	}
	return index, nil
}

// write stores the seats at the given indexes, in order.
func (st *seating) write(ctx context.Context, tx Tx, room *Room, indexes ...int) error {
	for _, i := range indexes {
		if err := tx.PutSeat(ctx, room.AppID, room.ID, st.seats[i]); err != nil {
			return err
		}
	}
	return nil
}

// vacate frees user's seat at i, resetting the holder's flags.
func (st *seating) vacate(i int) {
	st.seats[i] = Seat{Index: i, Locked: st.seats[i].Locked}
}

// changed emits seat.changed with every seat.
func (st *seating) changed(em *emitter, room *Room, actor Actor, reason, user, message string) {
	em.emit(room, actor, EventSeatChanged, SeatPayload{Seats: append([]Seat(nil), st.seats...), Reason: reason, UserID: user, Message: message})
}

// Seats returns every seat of a room, by Index. Returns ENOROOM if the room
// does not exist, ENOSEATS if it has no seats.
func (s *Service) Seats(ctx context.Context, app uint32, roomID string) ([]Seat, error) {
	var seats []Seat
	err := s.viewRoom(ctx, app, roomID, func(tx Tx, room *Room) error {
		st, err := loadSeats(ctx, tx, room)
		if err != nil {
			return err
		}
		seats = st.seats
		return nil
	})
	return seats, err
}

// updateSeats is the opening of the seat operations of a room's owner or
// admins: the room (updateRoom), the actor's right to manage its seats
// (roomManager: EFORBIDDEN) and its seats (loadSeats: ENOSEATS).
func (s *Service) updateSeats(ctx context.Context, actor Actor, app uint32, roomID string, fn func(t *roomTx, st *seating) error) error {
	return s.updateRoom(ctx, actor, app, roomID, func(t *roomTx) error {
		if err := roomManager(ctx, t, t.room, actor); err != nil {
			return err
		}
		st, err := loadSeats(ctx, t, t.room)
		if err != nil {
			return err
		}
		return fn(t, st)
	})
}

// PickSeat puts a member on the seat at index, or on the first free
// unlocked seat for index -1, whatever the room's take-seat mode; a pending
// request of theirs to take a seat is satisfied by it. Picking a user onto
// the seat they hold (any seat they hold, for -1) succeeds and changes
// nothing, so a retry is safe. Checks, in order: ENOROOM, ENOUSER (a
// non-admin actor not registered), EFORBIDDEN (a non-admin actor who is
// neither owner nor admin of the room), ENOSEATS, EINVALID (index out of
// range), ENOTMEMBER (user), ESEATED (user holds another seat),
// ESEATLOCKED, ESEATTAKEN, ESEATSFULL (index -1, no seat free).
func (s *Service) PickSeat(ctx context.Context, actor Actor, app uint32, roomID, user string, index int) error {
	return s.updateSeats(ctx, actor, app, roomID, func(t *roomTx, st *seating) error {
		if err := st.index(index, true); err != nil {
			return err
		}
		if _, err := member(ctx, t, app, roomID, user); err != nil {
			return err
		}
		if held := st.of(user); held >= 0 {
			if index == -1 || index == held {
				return nil
			}
			return Errorf(ESEATED, "user %q already holds seat %d", user, held)
		}
		to, err := st.target(index)
		if err != nil {
			return err
		}
		return s.seat(ctx, t, st, actor, user, to, SeatPicked)
	})
}

// seat puts user, who holds no seat, on the free seat to, drops their
// pending request, and emits seat.changed.
func (s *Service) seat(ctx context.Context, t *roomTx, st *seating, actor Actor, user string, to int, reason string) error {
	st.seats[to] = Seat{Index: to, UserID: user}
	if err := st.write(ctx, t, t.room, to); err != nil {
		return err
	}
	if err := t.DeleteSeatRequest(ctx, t.room.AppID, t.room.ID, user); err != nil {
		return err
	}
	st.changed(t.em, t.room, actor, reason, user, "")
	return nil
}

// KickOffSeat frees the seat a member holds; message is the operator's free
// text, passed on in the seat.changed. Returns ENOROOM, ENOUSER (actor),
// EFORBIDDEN (as PickSeat), EINVALID (message not valid text or longer
// than MaxTextLen), ENOSEATS, ENOTMEMBER, ENOTSEATED.
func (s *Service) KickOffSeat(ctx context.Context, actor Actor, app uint32, roomID, user, message string) error {
	if err := checkReason(message); err != nil {
		return err
	}
	return s.updateSeats(ctx, actor, app, roomID, func(t *roomTx, st *seating) error {
		if _, err := member(ctx, t, app, roomID, user); err != nil {
			return err
		}
		held := st.of(user)
		if held < 0 {
			return Errorf(ENOTSEATED, "user %q holds no seat", user)
		}
		st.vacate(held)
		if err := st.write(ctx, t, t.room, held); err != nil {
			return err
		}
		st.changed(t.em, t.room, actor, SeatKicked, user, message)
		return nil
	})
}

// SeatLock holds the locks to change on one seat; nil fields are kept.
type SeatLock struct {
	// Taken locks the seat (true) or unlocks it (false). Locking a taken
	// seat frees it first.
	Taken *bool
	// Video and Audio disable (true) or enable (false) the video or audio of
	// the seat's holder; on a free or locked seat they change nothing.
	Video, Audio *bool
}

// LockSeat locks or unlocks the seat at index, or disables its holder's
// video or audio. A call that changes nothing writes no event. Returns
// ENOROOM, ENOUSER (actor), EFORBIDDEN (as PickSeat), ENOSEATS, EINVALID
// (index out of range).
func (s *Service) LockSeat(ctx context.Context, actor Actor, app uint32, roomID string, index int, l SeatLock) error {
	return s.updateSeats(ctx, actor, app, roomID, func(t *roomTx, st *seating) error {
		if err := st.index(index, false); err != nil {
			return err
		}
		before := st.seats[index]
		removed := ""
		if l.Taken != nil {
			if *l.Taken && before.UserID != "" {
				removed = before.UserID
				st.vacate(index)
			}
			st.seats[index].Locked = *l.Taken
		}
		if seat := &st.seats[index]; seat.UserID != "" && !seat.Locked {
			setIf(&seat.VideoDisabled, l.Video)
			setIf(&seat.AudioDisabled, l.Audio)
		}
		if st.seats[index] == before {
			return nil
		}
		if err := st.write(ctx, t, t.room, index); err != nil {
			return err
		}
		st.changed(t.em, t.room, actor, SeatLockedBy, removed, "")
		return nil
	})
}

// SwitchSeat moves a member from the seat they hold to the free seat to;
// their video and audio settings go with them. A move to the seat they
// hold succeeds and changes nothing. Returns ENOROOM, ENOUSER (actor),
// EFORBIDDEN (as PickSeat), ENOSEATS, EINVALID (to out of range),
// ENOTMEMBER, ENOTSEATED, ESEATLOCKED, ESEATTAKEN.
func (s *Service) SwitchSeat(ctx context.Context, actor Actor, app uint32, roomID, user string, to int) error {
	return s.updateSeats(ctx, actor, app, roomID, func(t *roomTx, st *seating) error {
		if err := st.index(to, false); err != nil {
			return err
		}
		if _, err := member(ctx, t, app, roomID, user); err != nil {
			return err
		}
		from := st.of(user)
		if from < 0 {
			return Errorf(ENOTSEATED, "user %q holds no seat", user)
		}
		if from == to {
			return nil
		}
		if _, err := st.target(to); err != nil {
			return err
		}
		moved := st.seats[from]
		moved.Index, moved.Locked = to, false
		st.vacate(from)
		st.seats[to] = moved
		if err := st.write(ctx, t, t.room, from, to); err != nil {
			return err
		}
		st.changed(t.em, t.room, actor, SeatMoved, user, "")
		return nil
	})
}

// SeatResult is what TakeSeat and LeaveSeat did.
type SeatResult struct {
	// Index is the seat taken or left, or the one a request asked for (-1:
	// any).
	Index int
	// Request reports that the call concerned a request to take a seat
	// rather than a seat: TakeSeat recorded one, to wait for an admin's
	// PickSeat; LeaveSeat cancelled one.
	Request bool
	// Seq is the room's seq after the change.
	Seq int64
}

// TakeSeat is a member taking a seat of their own accord, as the room
// engine's takeSeat: the seat at index, or the first free unlocked seat
// for index -1. In a room whose mode is SeatFreeToTake, and for the room's
// owner and admins whatever the mode, the seat is taken at once (and a
// pending request of theirs dropped); in SeatApplyToTake, an ordinary
// member's call records a request (seat.requested) that a PickSeat of
// them satisfies, and Result.Request is set. Checks, in order: ENOROOM,
// ENOUSER (user not registered), ENOTMEMBER, ENOSEATS, EINVALID (index out
// of range), ESEATED (user holds a seat); then, to take at once,
// ESEATLOCKED, ESEATTAKEN, ESEATSFULL (index -1), or, to request,
// ESEATPENDING (a request of theirs is pending).
func (s *Service) TakeSeat(ctx context.Context, app uint32, roomID, user string, index int) (SeatResult, error) {
	var res SeatResult
	actor := Actor{ID: user}
	err := s.updateRoom(ctx, actor, app, roomID, func(t *roomTx) error {
		m, err := member(ctx, t, app, roomID, user)
		if err != nil {
			return err
		}
		st, err := loadSeats(ctx, t, t.room)
		if err != nil {
			return err
		}
		if err := st.index(index, true); err != nil {
			return err
		}
		if held := st.of(user); held >= 0 {
			return Errorf(ESEATED, "user %q already holds seat %d", user, held)
		}
		if st.cfg.Mode == SeatApplyToTake && m.Role != RoleOwner && m.Role != RoleAdmin {
			req, err := t.SeatRequest(ctx, app, roomID, user)
			if err != nil {
				return err
			}
			if req != nil {
				return Errorf(ESEATPENDING, "a request of %q to take a seat is already pending", user)
			}
			if err := t.PutSeatRequest(ctx, &SeatRequest{AppID: app, RoomID: roomID, UserID: user, Index: index, At: t.now}); err != nil {
				return err
			}
			t.emit(actor, EventSeatRequested, SeatRequestPayload{UserID: user, Index: index})
			res = SeatResult{Index: index, Request: true, Seq: t.room.Seq}
			return nil
		}
		to, err := st.target(index)
		if err != nil {
			return err
		}
		if err := s.seat(ctx, t, st, actor, user, to, SeatTaken); err != nil {
			return err
		}
		res = SeatResult{Index: to, Seq: t.room.Seq}
		return nil
	})
	return res, err
}

// LeaveSeat is a member leaving the seat they hold, as the room engine's
// leaveSeat; a member who holds none but has a pending request to take one
// cancels it instead (seat.request_cancelled, Result.Request set). Returns
// ENOROOM, ENOUSER (user not registered), ENOTMEMBER, ENOSEATS, ENOTSEATED
// (neither a seat nor a request).
func (s *Service) LeaveSeat(ctx context.Context, app uint32, roomID, user string) (SeatResult, error) {
	var res SeatResult
	actor := Actor{ID: user}
	err := s.updateRoom(ctx, actor, app, roomID, func(t *roomTx) error {
		if _, err := member(ctx, t, app, roomID, user); err != nil {
			return err
		}
		st, err := loadSeats(ctx, t, t.room)
		if err != nil {
			return err
		}
		if held := st.of(user); held >= 0 {
			st.vacate(held)
			if err := st.write(ctx, t, t.room, held); err != nil {
				return err
			}
			st.changed(t.em, t.room, actor, SeatLeft, user, "")
			res = SeatResult{Index: held, Seq: t.room.Seq}
			return nil
		}
		req, err := t.SeatRequest(ctx, app, roomID, user)
		if err != nil {
			return err
		}
		if req == nil {
			return Errorf(ENOTSEATED, "user %q holds no seat and has no pending request", user)
		}
		if err := t.DeleteSeatRequest(ctx, app, roomID, user); err != nil {
			return err
		}
		t.emit(actor, EventSeatRequestCancelled, SeatRequestPayload{UserID: user, Index: req.Index})
		res = SeatResult{Index: req.Index, Request: true, Seq: t.room.Seq}
		return nil
	})
	return res, err
}

// memberLeaving drops what a member about to leave room holds besides the
// membership: their seat (seat.changed with reason member_left, written
// before their member.left), their pending request to take a seat, and
// their marks. The member-removal path calls it.
func (s *Service) memberLeaving(ctx context.Context, tx Tx, em *emitter, actor Actor, room *Room, user string) error {
	if err := tx.SetMarks(ctx, room.AppID, room.ID, user, nil); err != nil {
		return err
	}
	if !room.SeatConfig().Enabled {
		return nil
	}
	if err := tx.DeleteSeatRequest(ctx, room.AppID, room.ID, user); err != nil {
		return err
	}
	st, err := loadSeats(ctx, tx, room)
	if err != nil {
		return err
	}
	held := st.of(user)
	if held < 0 {
		return nil
	}
	st.vacate(held)
	if err := st.write(ctx, tx, room, held); err != nil {
		return err
	}
	st.changed(em, room, actor, SeatMemberLeft, user, "")
	return nil
}
