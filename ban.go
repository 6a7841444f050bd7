package roomd

import (
	"context"
	"time"
)

// Ban keeps a user out of a room until it ends or is lifted.
type Ban struct {
	AppID  uint32
	RoomID string
	UserID string
	// Until is when the ban ends; zero means it never ends.
	Until     time.Time
	Reason    string
	CreatedAt time.Time
}

// Active reports whether the ban is in force at now.
func (b *Ban) Active(now time.Time) bool {
	return b.Until.IsZero() || now.Before(b.Until)
}

// BanMembers bans users from a room for d (0: until lifted). A banned member
// is removed, with ownership passing on and the room dismissed as for
// RemoveMembers; no dialect can add a banned user back while the ban is in
// force. Returns ENOROOM, ENOUSER (non-admin actor), ELIMIT (more than
// MaxBatch users), EINVALID (negative duration, a reason that is not valid
// text or longer than MaxTextLen); an invalid user id is reported as an
// EINVALID ItemError.
func (s *Service) BanMembers(ctx context.Context, actor Actor, app uint32, roomID string, users []string, d time.Duration, reason string) ([]ItemError, error) {
	if len(users) > MaxBatch {
		return nil, Errorf(ELIMIT, "more than %d users in one call", MaxBatch)
	}
	if d < 0 {
		return nil, Errorf(EINVALID, "negative ban duration")
	}
	if err := checkReason(reason); err != nil {
		return nil, err
	}
	var items []ItemError
	err := s.updateRoom(ctx, actor, app, roomID, func(t *roomTx) error {
		items = items[:0]
		for _, id := range users {
			if err := ValidateID("user id", id); err != nil {
				items = append(items, itemError(id, err))
				continue
			}
			if t.em.dismissed(t.room) {
				// The room went with its last member; later bans have nothing to keep users out of.
				items = append(items, ItemError{ID: id, Code: ENOROOM, Message: "room was dismissed"})
				continue
			}
			b := &Ban{AppID: app, RoomID: roomID, UserID: id, Reason: reason, CreatedAt: t.now}
			if d > 0 {
				b.Until = t.now.Add(d)
			}
			if err := t.PutBan(ctx, b); err != nil {
				return err
			}
			t.emit(actor, EventMemberBanned, BanPayload{UserID: id, Until: b.Until})
			if _, err := t.Member(ctx, app, roomID, id); err == nil {
				if err := s.removeMember(ctx, t, t.em, actor, t.room, id, LeaveBanned, reason); err != nil {
					return err
				}
			} else if ErrorCode(err) != ENOTMEMBER {
				return err
			}
		}
		return nil
	})
	return items, err
}

// UnbanMembers lifts the bans of users in a room; a user who is not banned
// is left as it is. Returns ENOROOM, ENOUSER (non-admin actor), ELIMIT.
func (s *Service) UnbanMembers(ctx context.Context, actor Actor, app uint32, roomID string, users []string) error {
	if len(users) > MaxBatch {
		return Errorf(ELIMIT, "more than %d users in one call", MaxBatch)
	}
	return s.updateRoom(ctx, actor, app, roomID, func(t *roomTx) error {
		for _, id := range users {
			b, err := t.Ban(ctx, app, roomID, id)
			if err != nil {
				return err
			}
			if b == nil {
				continue
			}
			if err := t.DeleteBan(ctx, app, roomID, id); err != nil {
				return err
			}
			t.emit(actor, EventMemberUnbanned, BanPayload{UserID: id})
		}
		return nil
	})
}

// Bans returns up to limit bans in force in a room, by user id, starting at
// offset, and their total. Returns ENOROOM if the room does not exist.
func (s *Service) Bans(ctx context.Context, app uint32, roomID string, offset, limit int) ([]*Ban, int, error) {
	var bans []*Ban
	var total int
	now := s.now()
	err := s.viewRoom(ctx, app, roomID, func(tx Tx, _ *Room) error {
		var err error
		bans, total, err = tx.Bans(ctx, app, roomID, now, offset, limit)
		return err
	})
	return bans, total, err
}

// checkReason checks the reason of a kick or a ban, kept in the event log.
func checkReason(reason string) error {
	if len(reason) > MaxTextLen {
		return Errorf(EINVALID, "reason longer than %d bytes", MaxTextLen)
	}
	return ValidateText("reason", reason)
}
