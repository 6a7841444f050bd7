package roomd

import (
	"cmp"
	"context"
	"time"
)

// Role is a member's role in a room.
type Role int

// Roles. Custom roles are RoleCustomMin..RoleCustomMax.
const (
	RoleOwner     Role = 1
	RoleAdmin     Role = 2
	RoleMember    Role = 3
	RoleCustomMin Role = 100
	RoleCustomMax Role = 255
)

// Valid reports whether r is a role a member can hold.
func (r Role) Valid() bool {
	return r == RoleOwner || r == RoleAdmin || r == RoleMember || (r >= RoleCustomMin && r <= RoleCustomMax)
}

// Member is a user's membership of a room.
type Member struct {
	AppID      uint32
	RoomID     string
	UserID     string
	Role       Role
	NameCard   string
	CustomInfo string
	JoinedAt   time.Time
	// UserName is filled in by reads from the user's profile; it is not stored.
	UserName string
	// Marks, ascending, are filled in by Service.Members (mark.go); they
	// are stored apart (Tx.Marks).
	Marks []int64
}

// Reasons a member leaves a room, carried in EventMemberLeft payloads.
const (
	LeaveKicked  = "kicked"
	LeaveBanned  = "banned"
	LeaveDeleted = "deleted" // the user's account was deleted
	LeaveLeft    = "left"    // the user left by themselves (LeaveRoom)

	// JoinCreated marks the member.joined events of the members a room was
	// created with (listed in its room.created).
	JoinCreated = "created"
)

// MemberAdd is one user to add to a room. A zero JoinedAt means now.
type MemberAdd struct {
	UserID   string
	JoinedAt time.Time
}

// AddMembers adds users to a room as ordinary members. Returns ENOROOM if the
// room does not exist, ENOUSER if a non-admin actor is not registered,
// ELIMIT for more than MaxBatch users. Per user, ENOUSER (not registered),
// EBANNED (banned from the room) and ELIMIT (room full) are reported as
// ItemErrors. A user who is already a member is left as it is.
func (s *Service) AddMembers(ctx context.Context, actor Actor, app uint32, roomID string, adds []MemberAdd) ([]ItemError, error) {
	if len(adds) > MaxBatch {
		return nil, Errorf(ELIMIT, "more than %d users in one call", MaxBatch)
	}
	var items []ItemError
	err := s.updateRoom(ctx, actor, app, roomID, func(t *roomTx) error {
		items = items[:0]
		count, err := t.MemberCount(ctx, app, roomID)
		if err != nil {
			return err
		}
		for _, a := range adds {
			if err := ValidateID("user id", a.UserID); err != nil {
				items = append(items, itemError(a.UserID, err))
				continue
			}
			if err := registered(ctx, t, app, a.UserID); err != nil {
				if ErrorCode(err) == ENOUSER {
					items = append(items, itemError(a.UserID, err))
					continue
				}
				return err
			}
			if _, err := t.Member(ctx, app, roomID, a.UserID); err == nil {
				continue
			} else if ErrorCode(err) != ENOTMEMBER {
				return err
			}
			if ban, err := t.Ban(ctx, app, roomID, a.UserID); err != nil {
				return err
			} else if ban != nil && ban.Active(t.now) {
				items = append(items, ItemError{ID: a.UserID, Code: EBANNED, Message: "user is banned from the room"})
				continue
			}
			if count >= t.room.maxMembers() {
				items = append(items, ItemError{ID: a.UserID, Code: ELIMIT, Message: "room is full"})
				continue
			}
			joined := a.JoinedAt
			if joined.IsZero() {
				joined = t.now
			}
			err := s.putMember(ctx, t, t.em, actor, t.room, &Member{AppID: app, RoomID: roomID, UserID: a.UserID, Role: RoleMember, JoinedAt: joined}, "")
			if ErrorCode(err) == ENOUSER { // deleted since it was checked, by a transaction beside this one
				items = append(items, itemError(a.UserID, err))
				continue
			}
			if err != nil {
				return err
			}
			count++
		}
		return nil
	})
	return items, err
}

// RemoveMembers removes users from a room. When the owner is removed,
// ownership passes to the longest-standing remaining member (earliest join
// time, then smallest user id); when the last member is removed the room is
// dismissed. Returns ENOROOM if the room does not exist, ENOUSER if a
// non-admin actor is not registered, ELIMIT for more than MaxBatch users,
// EINVALID for a reason that is not valid text (see ValidateText) or
// longer than MaxTextLen; a user who is not a member is reported as an
// ENOTMEMBER ItemError.
func (s *Service) RemoveMembers(ctx context.Context, actor Actor, app uint32, roomID string, users []string, reason string) ([]ItemError, error) {
	if len(users) > MaxBatch {
		return nil, Errorf(ELIMIT, "more than %d users in one call", MaxBatch)
	}
	if err := checkReason(reason); err != nil {
		return nil, err
	}
	var items []ItemError
	err := s.updateRoom(ctx, actor, app, roomID, func(t *roomTx) error {
		items = items[:0]
		for i, id := range users {
			if _, err := member(ctx, t, app, roomID, id); err != nil {
				if ErrorCode(err) == ENOTMEMBER {
					items = append(items, itemError(id, err))
					continue
				}
				return err
			}
			if err := s.removeMember(ctx, t, t.em, actor, t.room, id, LeaveKicked, reason); err != nil {
				return err
			}
			if t.em.dismissed(t.room) {
				for _, rest := range users[i+1:] {
					items = append(items, ItemError{ID: rest, Code: ENOTMEMBER, Message: "user is not a member of the room"})
				}
				break
			}
		}
		return nil
	})
	return items, err
}

// removeMember removes a member known to be in room, hands ownership on if it
// was the owner, and dismisses the room if it was the last member.
func (s *Service) removeMember(ctx context.Context, tx Tx, em *emitter, actor Actor, room *Room, userID, why, reason string) error {
	if err := s.memberLeaving(ctx, tx, em, actor, room, userID); err != nil { // seat, seat request, marks (seat.go)
		return err
	}
	if err := tx.DeleteMember(ctx, room.AppID, room.ID, userID); err != nil {
		return err
	}
	em.emit(room, actor, EventMemberLeft, MemberPayload{UserID: userID, Reason: why, Message: reason})
	if room.Owner != userID {
		return nil
	}
	next, err := tx.Successor(ctx, room.AppID, room.ID)
	if err != nil {
		return err
	}
	if next == nil {
		return s.dismiss(ctx, tx, em, actor, room)
	}
	return s.setOwner(ctx, tx, em, actor, room, userID, next)
}

// TransferOwner makes newOwner the owner of a room; the old owner becomes an
// ordinary member. When from is not empty it must name the current owner.
// A transfer to the current owner succeeds and changes nothing, so a retried
// request is safe. Returns ENOROOM if the room does not exist, ENOUSER if a
// non-admin actor is not registered, ENOTMEMBER if newOwner is not a member,
// EFORBIDDEN if from is set and is not the current owner, EINVALID if
// newOwner is empty.
func (s *Service) TransferOwner(ctx context.Context, actor Actor, app uint32, roomID, newOwner, from string) error {
	if newOwner == "" {
		return Errorf(EINVALID, "new owner is required")
	}
	return s.updateRoomWith(ctx, actor, app, roomID, []string{newOwner}, func(t *roomTx) error {
		next, err := t.opening(newOwner)
		if err != nil {
			return Errorf(ENOTMEMBER, "the new owner %q must be a member of the room", newOwner)
		}
		if t.room.Owner == newOwner {
			return nil
		}
		if from != "" && from != t.room.Owner {
			return Errorf(EFORBIDDEN, "%q is not the owner of the room", from)
		}
		return s.setOwner(ctx, t, t.em, actor, t.room, t.room.Owner, next)
	})
}

// roomManager returns EFORBIDDEN unless actor may manage the room's
// members, seats and marks: an administrator, or the room's owner or an
// admin of it.
func roomManager(ctx context.Context, tx Tx, room *Room, actor Actor) error {
	if actor.Admin {
		return nil
	}
	op, err := tx.Member(ctx, room.AppID, room.ID, actor.ID)
	if err != nil && ErrorCode(err) != ENOTMEMBER {
		return err
	}
	if op == nil || (op.Role != RoleOwner && op.Role != RoleAdmin) {
		return Errorf(EFORBIDDEN, "operator is neither owner nor admin of the room")
	}
	return nil
}

// setOwner moves ownership from old (who may have left the room already) to next.
func (s *Service) setOwner(ctx context.Context, tx Tx, em *emitter, actor Actor, room *Room, old string, next *Member) error {
	if err := tx.SetOwner(ctx, room.AppID, room.ID, old, next.UserID); err != nil {
		return err
	}
	room.Owner = next.UserID
	em.emit(room, actor, EventOwnerChanged, OwnerPayload{From: old, To: next.UserID})
	return nil
}

// MemberUpdate holds the fields of a membership to change; nil fields are kept.
type MemberUpdate struct {
	Role       *Role
	NameCard   *string
	CustomInfo *string
}

// UpdateMember changes a member's role, name card or custom info. The owner
// role can be neither given nor taken this way (EOWNERROLE): that is
// TransferOwner's job. A non-admin actor must be the owner or an admin of the
// room (EFORBIDDEN) and may not change its own role (ESELF). Returns ENOROOM,
// ENOUSER (actor), ENOTMEMBER (target), EINVALID (a role that is not 2, 3 or
// 100-255).
func (s *Service) UpdateMember(ctx context.Context, actor Actor, app uint32, roomID, userID string, u MemberUpdate) error {
	if u.Role != nil {
		if *u.Role == RoleOwner {
			return Errorf(EOWNERROLE, "the owner role can only be given by a transfer")
		}
		if !u.Role.Valid() {
			return Errorf(EINVALID, "invalid role %d", *u.Role)
		}
		if !actor.Admin && actor.ID == userID {
			return Errorf(ESELF, "an operator cannot change its own role")
		}
	}
	return s.updateRoomWith(ctx, actor, app, roomID, []string{userID}, func(t *roomTx) error {
		m, err := t.opening(userID)
		if err != nil {
			return err
		}
		if u.Role != nil {
			if err := roomManager(ctx, t, t.room, actor); err != nil {
				return err
			}
		}
		if u.Role != nil && m.Role == RoleOwner {
			return Errorf(EOWNERROLE, "the owner's role can only change by a transfer")
		}
		setIf(&m.NameCard, u.NameCard)
		setIf(&m.CustomInfo, u.CustomInfo)
		if len(m.NameCard) > MaxNameLen || len(m.CustomInfo) > MaxTextLen {
			return Errorf(EINVALID, "member name card or custom info too long")
		}
		if err := cmp.Or(ValidateName("member name card", m.NameCard), ValidateText("member custom info", m.CustomInfo)); err != nil {
			return err
		}
		old := m.Role
		setIf(&m.Role, u.Role)
		if err := t.PutMember(ctx, m); err != nil {
			return err
		}
		if m.Role != old {
			t.emit(actor, EventRoleChanged, MemberPayload{UserID: userID, Role: m.Role, OldRole: old})
		} else {
			t.emit(actor, EventMemberUpdated, MemberPayload{UserID: userID, Role: m.Role})
		}
		return nil
	})
}

// Members returns up to limit members of a room in join order (earliest
// join, then smallest user id) starting at offset, and the member count.
// Returns ENOROOM if the room does not exist.
func (s *Service) Members(ctx context.Context, app uint32, roomID string, offset, limit int) ([]*Member, int, error) {
	var members []*Member
	var total int
	err := s.viewRoom(ctx, app, roomID, func(tx Tx, _ *Room) error {
		var err error
		members, total, err = tx.Members(ctx, app, roomID, offset, limit)
		if err != nil {
			return err
		}
		return fillMarks(ctx, tx, app, roomID, members)
	})
	return members, total, err
}

// member returns user's membership of a room, or ENOTMEMBER when user is
// not a member of it.
func member(ctx context.Context, tx Tx, app uint32, roomID, user string) (*Member, error) {
	m, err := tx.Member(ctx, app, roomID, user)
	if ErrorCode(err) == ENOTMEMBER {
		return nil, notMember(user)
	}
	return m, err
}

// notMember is the ENOTMEMBER error of a user who is not a member of a room.
func notMember(user string) *Error {
	return Errorf(ENOTMEMBER, "user %q is not a member of the room", user)
}

// putMember adds m to room; why is the member.joined's Reason.
func (s *Service) putMember(ctx context.Context, tx Tx, em *emitter, actor Actor, room *Room, m *Member, why string) error {
	if err := tx.PutMember(ctx, m); err != nil {
		return err
	}
	em.emit(room, actor, EventMemberJoined, MemberPayload{UserID: m.UserID, Role: m.Role, Reason: why})
	return nil
}

// EnterRoom makes user a member of a room (role 3), as the room engine's
// enterRoom does; entering a room one is a member of changes nothing. It
// returns the room's seq afterwards. Returns ENOROOM if the room does not
// exist, ENOUSER if the user is not registered, EBANNED if a ban keeps them
// out, ELIMIT if the room is full, EFORBIDDEN if the room's JoinMode admits
// members by approval or invitation only (joinmode.go).
func (s *Service) EnterRoom(ctx context.Context, app uint32, roomID, user string) (int64, error) {
	return s.enterRoom(ctx, app, roomID, user)
}

// LeaveRoom removes user from a room by their own wish (member.left with
// reason "left"), handing ownership on and dismissing the room as
// RemoveMembers does. It returns the room's seq afterwards. Returns ENOROOM,
// ENOUSER (not registered) and ENOTMEMBER.
func (s *Service) LeaveRoom(ctx context.Context, app uint32, roomID, user string) (int64, error) {
	var seq int64
	actor := Actor{ID: user}
	err := s.updateRoom(ctx, actor, app, roomID, func(t *roomTx) error {
		if _, err := member(ctx, t, app, roomID, user); err != nil {
			return err
		}
		if err := s.removeMember(ctx, t, t.em, actor, t.room, user, LeaveLeft, ""); err != nil {
			return err
		}
		seq = t.room.Seq
		return nil
	})
	return seq, err
}
