package roomd

import (
	"context"
)

// Membership is one period during which a user was a member of a room: from
// the event that added them (From, a member.joined) through the event that
// removed them (To, a member.left or room.dismissed), inclusive. To is 0
// while the user is a member.
type Membership struct {
	From, To int64
}

// Covers reports whether the event with seq falls within the period.
func (m Membership) Covers(seq int64) bool {
	return seq >= m.From && (m.To == 0 || seq <= m.To)
}

// Entitled reports whether a user with the given membership periods may see
// the event with seq: the events from each member.joined that added them
// through the event that removed them.
func Entitled(periods []Membership, seq int64) bool {
	for _, m := range periods {
		if m.Covers(seq) {
			return true
		}
	}
	return false
}

// Subject returns the user an event is about, for the event types that
// change who is a member (member.joined, member.left), and "" otherwise.
func (e *Event) Subject() string {
	if e.Type != EventMemberJoined && e.Type != EventMemberLeft {
		return ""
	}
	var p MemberPayload
	if e.DecodePayload(&p) != nil {
		return ""
	}
	return p.UserID
}

// FeedPage is a page of a room's events as one user may see them.
type FeedPage struct {
	// Events are the events after the requested seq that the user is
	// entitled to, in order.
	Events []Event
	// Seq is the room's last seq.
	Seq int64
	// Resync reports that events right after the requested seq are no longer
	// kept (compacted): Events is empty and the reader should start again
	// from Seq.
	Resync bool
}

// MaxFeed is the most events one Feed call returns.
const MaxFeed = 1000

// Feed returns up to limit (1..MaxFeed) events of a room after seq after that
// user is entitled to (see Entitled). Returns ENOTMEMBER if the user never
// was a member of the room, EINVALID for a negative after or a limit out of
// range.
func (s *Service) Feed(ctx context.Context, app uint32, roomID, user string, after int64, limit int) (*FeedPage, error) {
	if after < 0 || limit < 1 || limit > MaxFeed {
		return nil, Errorf(EINVALID, "since_seq must be ≥ 0 and limit 1 to %d", MaxFeed)
	}
	page := &FeedPage{}
	err := s.store.View(ctx, func(tx Tx) error {
		periods, err := tx.Memberships(ctx, app, roomID, user)
		if err != nil {
			return err
		}
		if len(periods) == 0 {
			return Errorf(ENOTMEMBER, "%q never was a member of room %q", user, roomID)
		}
		if page.Seq, err = tx.LastSeq(ctx, app, roomID); err != nil {
			return err
		}
		if after >= page.Seq {
			return nil
		}
		first, err := tx.Events(ctx, app, roomID, after, 1)
		if err != nil {
			return err
		}
		if len(first) == 0 || first[0].Seq != after+1 {
			page.Resync = true
			return nil
		}
		for _, m := range periods {
			if m.To != 0 && m.To <= after {
				continue
			}
			from := max(after, m.From-1)
			for len(page.Events) < limit {
				evs, err := tx.Events(ctx, app, roomID, from, limit-len(page.Events))
				if err != nil {
					return err
				}
				for _, e := range evs {
					if !m.Covers(e.Seq) {
						break
					}
					page.Events = append(page.Events, e)
				}
				if len(evs) == 0 || !m.Covers(evs[len(evs)-1].Seq) {
					break
				}
				from = evs[len(evs)-1].Seq
			}
			if len(page.Events) >= limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// RoomState is one of a user's rooms: its id, its last seq and the user's role.
type RoomState struct {
	Room string
	Seq  int64
	Role Role
}

// UserRooms returns the rooms user is a member of now, by room id, with
// each room's last seq and the user's role.
func (s *Service) UserRooms(ctx context.Context, app uint32, user string) ([]RoomState, error) {
	var out []RoomState
	err := s.store.View(ctx, func(tx Tx) error {
		ids, err := tx.RoomsOfUser(ctx, app, user)
		if err != nil {
			return err
		}
		out = out[:0]
		for _, id := range ids {
			m, err := tx.Member(ctx, app, id, user)
			if err != nil {
				return err
			}
			seq, err := tx.LastSeq(ctx, app, id)
			if err != nil {
				return err
			}
			out = append(out, RoomState{Room: id, Seq: seq, Role: m.Role})
		}
		return nil
	})
	return out, err
}
