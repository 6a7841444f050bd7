package roomd

import (
	"context"
	"slices"
)

// Marks are integers attached to a room's members (the room engine's
// mark_room_member): tags whose meaning is the app's. A member's marks go
// when they leave the room.
const (
	MinMark           = 1000      // the smallest mark
	MaxMark           = 1<<31 - 1 // the largest mark (a 32-bit signed integer, as client SDKs hold it)
	MaxMarksPerMember = 3         // marks given for one member in one call
	MaxMarkMembers    = 10        // members in one call
	MaxRoomMarks      = 10        // distinct marks the members of one room hold
)

// MemberMarks is one member's marks to add or remove.
type MemberMarks struct {
	UserID string
	Marks  []int64
}

// MarkPayload is the payload of member.marked: a member's marks after the
// change, ascending.
type MarkPayload struct {
	UserID string  `json:"user_id"`
	Marks  []int64 `json:"marks"`
}

// checkMarks validates a MarkMembers call: 1..MaxMarkMembers entries, each
// a valid user id with 1..MaxMarksPerMember marks in MinMark..MaxMark.
func checkMarks(list []MemberMarks) error {
	if len(list) == 0 || len(list) > MaxMarkMembers {
		return Errorf(EINVALID, "1 to %d members per call", MaxMarkMembers)
	}
	for _, mm := range list {
		if err := ValidateID("member", mm.UserID); err != nil {
			return err
		}
		if len(mm.Marks) == 0 || len(mm.Marks) > MaxMarksPerMember {
			return Errorf(EINVALID, "1 to %d marks per member", MaxMarksPerMember)
		}
		for _, m := range mm.Marks {
			if m < MinMark || m > MaxMark {
				return Errorf(EINVALID, "mark %d is out of range: marks are %d to %d", m, MinMark, MaxMark)
			}
		}
	}
	return nil
}

// MarkMembers adds marks to members of a room (remove false) or removes
// them (remove true). Adding a mark a member has, or removing one they do
// not have, changes nothing. Each member whose marks change gets one
// member.marked event; the call is applied wholly or not at all. Returns
// EINVALID (see checkMarks), ENOROOM, ENOUSER (a non-admin actor not
// registered), EFORBIDDEN (a non-admin actor who is neither owner nor
// admin of the room), ENOTMEMBER (any of the users), ELIMIT (the room's
// members would hold more than MaxRoomMarks distinct marks).
func (s *Service) MarkMembers(ctx context.Context, actor Actor, app uint32, roomID string, remove bool, list []MemberMarks) error {
	if err := checkMarks(list); err != nil {
		return err
	}
	return s.updateRoom(ctx, actor, app, roomID, func(t *roomTx) error {
		if err := roomManager(ctx, t, t.room, actor); err != nil {
			return err
		}
		for _, mm := range list {
			if _, err := member(ctx, t, app, roomID, mm.UserID); err != nil {
				return err
			}
		}
		for _, mm := range list {
			held, err := t.Marks(ctx, app, roomID, []string{mm.UserID})
			if err != nil {
				return err
			}
			old := held[mm.UserID]
			next := slices.Clone(old)
			for _, m := range mm.Marks {
				at, found := slices.BinarySearch(next, m)
				switch {
				case remove && found:
					next = slices.Delete(next, at, at+1)
				case !remove && !found:
					next = slices.Insert(next, at, m)
				}
			}
			if slices.Equal(old, next) {
				continue
			}
			if err := t.SetMarks(ctx, app, roomID, mm.UserID, next); err != nil {
				return err
			}
			t.emit(actor, EventMemberMarked, MarkPayload{UserID: mm.UserID, Marks: append([]int64{}, next...)})
		}
		if remove {
			return nil
		}
		marks, err := t.RoomMarks(ctx, app, roomID)
		if err != nil {
			return err
		}
		if len(marks) > MaxRoomMarks {
			return Errorf(ELIMIT, "the members of a room may hold at most %d distinct marks", MaxRoomMarks)
		}
		return nil
	})
}

// fillMarks sets the Marks of members of a room from the store.
func fillMarks(ctx context.Context, tx Tx, app uint32, roomID string, members []*Member) error {
	if len(members) == 0 {
		return nil
	}
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = m.UserID
	}
	marks, err := tx.Marks(ctx, app, roomID, ids)
	if err != nil {
		return err
	}
	for _, m := range members {
		m.Marks = marks[m.UserID]
	}
	return nil
}
