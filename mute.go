package roomd

import (
	"context"
	"slices"
	"time"
)

// Mutes are state roomd keeps, reports and tells members of (room.muted,
// room.unmuted, member.muted, member.unmuted); roomd carries no messages, so
// it is the apps that keep muted users quiet. A mute may end at a time:
// expiry is decided when the mute is read, by comparing that time with the
// clock, so an expired mute is never reported whether or not its record has
// been removed. A member's mute goes with their membership.
//
// Who may change the mutes of a room (MuteRoom, LiftMutes, MuteMembers):
//   - administrators (admin actors) and registered users who are not members
//     of the room: these act for the app's server (ZEGO lets non-members call
//     MuteGroup and MuteGroupMembers since 2025-06), without restriction;
//   - the room's owner, without restriction;
//   - an admin of the room, who may not mute the owner role (MuteRoom) and
//     may mute or unmute only members below admin (MuteMembers);
//   - no other member (EFORBIDDEN).

// MuteForever, as the duration of a mute, makes it last until lifted.
const MuteForever time.Duration = -1

// RoomMute is the room-level mute of a room: every member, or the members
// holding some roles.
type RoomMute struct {
	AppID  uint32
	RoomID string
	// All mutes every member; Roles is then empty.
	All bool
	// Roles are the muted roles when All is false, ascending.
	Roles []Role
	// Until is when the mute ends; zero means it lasts until lifted.
	Until time.Time
}

// Active reports whether the mute is in force at now.
func (m *RoomMute) Active(now time.Time) bool {
	return m.Until.IsZero() || now.Before(m.Until)
}

// MemberMute is the mute of one member of a room.
type MemberMute struct {
	AppID  uint32
	RoomID string
	UserID string
	// Until is when the mute ends; zero means it lasts until lifted.
	Until time.Time
}

// Active reports whether the mute is in force at now.
func (m *MemberMute) Active(now time.Time) bool {
	return m.Until.IsZero() || now.Before(m.Until)
}

// MutedRoom is a live room with a mute in force, as MutedRooms lists it:
// which kinds of mute it has.
type MutedRoom struct {
	RoomID  string
	All     bool // a room-level mute of every member
	Roles   bool // a room-level mute of some roles
	Members bool // at least one member's own mute
}

// RoomMutePayload is the payload of room.muted: the room-level mute after
// the change. Until is absent for a mute that lasts until lifted.
type RoomMutePayload struct {
	All   bool      `json:"all"`
	Roles []Role    `json:"roles"`
	Until time.Time `json:"until,omitzero"`
}

// MemberMutePayload is the payload of member.muted (Until absent: until
// lifted) and member.unmuted (no Until).
type MemberMutePayload struct {
	UserID string    `json:"user_id"`
	Until  time.Time `json:"until,omitzero"`
}

// checkMuteDuration refuses a duration that is neither MuteForever nor >= 0.
func checkMuteDuration(d time.Duration) error {
	if d < 0 && d != MuteForever {
		return Errorf(EINVALID, "a mute lasts MuteForever, 0 (lift) or a positive duration, not %v", d)
	}
	return nil
}

// muteUntil returns when a mute of duration d (not 0) made at now ends.
func muteUntil(now time.Time, d time.Duration) time.Time {
	if d == MuteForever {
		return time.Time{}
	}
	return now.Add(d)
}

// muteRights returns whether actor may change the room's mutes (else
// EFORBIDDEN) and, if so, whether only as an admin of the room (limited):
// see the rules at the top of this file.
func (t *roomTx) muteRights(ctx context.Context, actor Actor) (limited bool, err error) {
	if actor.Admin {
		return false, nil
	}
	m, err := t.Member(ctx, t.room.AppID, t.room.ID, actor.ID)
	switch {
	case ErrorCode(err) == ENOTMEMBER:
		return false, nil
	case err != nil:
		return false, err
	case m.Role == RoleOwner:
		return false, nil
	case m.Role == RoleAdmin:
		return true, nil
	}
	return false, Errorf(EFORBIDDEN, "only the owner or an admin of the room may change its mutes")
}

// liftRoomMute removes the room-level mute, with a room.unmuted event if it
// was in force.
func (t *roomTx) liftRoomMute(ctx context.Context, actor Actor) error {
	cur, err := t.RoomMute(ctx, t.room.AppID, t.room.ID)
	if err != nil || cur == nil {
		return err
	}
	if err := t.DeleteRoomMute(ctx, t.room.AppID, t.room.ID); err != nil {
		return err
	}
	if cur.Active(t.now) {
		t.emit(actor, EventRoomUnmuted, struct{}{})
	}
	return nil
}

// MuteRoom sets or lifts the room-level mute of a room. With d 0 it lifts
// it (room.unmuted if one was in force; the members' own mutes stay).
// Otherwise the room's mute becomes, from now on for d (MuteForever: until
// lifted; a mute in force is replaced, its time counted again from now):
// every member when all is set (roles are then ignored), else the members
// holding roles, which replace the roles muted before. A mute of no role
// lifts the room-level mute. The change is a room.muted event. Returns
// ENOROOM, ENOUSER (non-admin actor not registered), EINVALID (a role that
// is not valid, a negative duration other than MuteForever), EFORBIDDEN (a
// member who is neither owner nor admin; an admin muting RoleOwner).
func (s *Service) MuteRoom(ctx context.Context, actor Actor, app uint32, roomID string, all bool, roles []Role, d time.Duration) error {
	if err := checkMuteDuration(d); err != nil {
		return err
	}
	for _, r := range roles {
		if !r.Valid() {
			return Errorf(EINVALID, "invalid role %d", r)
		}
	}
	if all {
		roles = nil
	}
	roles = slices.Compact(slices.Sorted(slices.Values(roles)))
	return s.updateRoom(ctx, actor, app, roomID, func(t *roomTx) error {
		limited, err := t.muteRights(ctx, actor)
		if err != nil {
			return err
		}
		if d == 0 || (!all && len(roles) == 0) {
			return t.liftRoomMute(ctx, actor)
		}
		if limited && slices.Contains(roles, RoleOwner) {
			return Errorf(EFORBIDDEN, "an admin may not mute the owner role")
		}
		m := &RoomMute{AppID: app, RoomID: roomID, All: all, Roles: roles, Until: muteUntil(t.now, d)}
		if err := t.PutRoomMute(ctx, m); err != nil {
			return err
		}
		t.emit(actor, EventRoomMuted, RoomMutePayload{All: all, Roles: append([]Role{}, roles...), Until: m.Until})
		return nil
	})
}

// LiftMutes lifts every mute of a room: the room-level one (room.unmuted)
// and each member's (member.unmuted), those in force telling of it. An
// admin of the room may lift them all this way. Returns ENOROOM, ENOUSER
// (non-admin actor not registered), EFORBIDDEN (a member who is neither
// owner nor admin).
func (s *Service) LiftMutes(ctx context.Context, actor Actor, app uint32, roomID string) error {
	return s.updateRoom(ctx, actor, app, roomID, func(t *roomTx) error {
		if _, err := t.muteRights(ctx, actor); err != nil {
			return err
		}
		if err := t.liftRoomMute(ctx, actor); err != nil {
			return err
		}
		mutes, _, err := t.MemberMutes(ctx, app, roomID, t.now, 0, -1)
		if err != nil {
			return err
		}
		for _, m := range mutes {
			if err := t.DeleteMemberMute(ctx, app, roomID, m.UserID); err != nil {
				return err
			}
			t.emit(actor, EventMemberUnmuted, MemberMutePayload{UserID: m.UserID})
		}
		return nil
	})
}

// MuteMembers mutes members of a room for d (MuteForever: until lifted; a
// mute in force is replaced, its time counted again from now), or with d 0
// lifts their mutes. Each change is a member.muted or member.unmuted event
// (none for lifting a mute that is not in force); a user named twice counts
// once. Returns ENOROOM, ENOUSER (non-admin actor not registered), ELIMIT
// (more than MaxBatch users), EINVALID (a negative duration other than
// MuteForever), EFORBIDDEN (a member who is neither owner nor admin). Per
// user, as ItemErrors: EINVALID (not a valid id), ENOUSER (not registered),
// ENOTMEMBER (not a member), EFORBIDDEN (an admin acting on the owner or
// an admin).
func (s *Service) MuteMembers(ctx context.Context, actor Actor, app uint32, roomID string, users []string, d time.Duration) ([]ItemError, error) {
	if len(users) > MaxBatch {
		return nil, Errorf(ELIMIT, "more than %d users in one call", MaxBatch)
	}
	if err := checkMuteDuration(d); err != nil {
		return nil, err
	}
	var items []ItemError
	err := s.updateRoom(ctx, actor, app, roomID, func(t *roomTx) error {
		items = items[:0]
		limited, err := t.muteRights(ctx, actor)
		if err != nil {
			return err
		}
		seen := make(map[string]bool, len(users))
		for _, id := range users {
			if seen[id] {
				continue
			}
			seen[id] = true
			if err := ValidateID("user id", id); err != nil {
				items = append(items, itemError(id, err))
				continue
			}
			if err := registered(ctx, t, app, id); err != nil {
				if ErrorCode(err) == ENOUSER {
					items = append(items, itemError(id, err))
					continue
				}
				return err
			}
			m, err := t.Member(ctx, app, roomID, id)
			if ErrorCode(err) == ENOTMEMBER {
				items = append(items, ItemError{ID: id, Code: ENOTMEMBER, Message: "user is not a member of the room"})
				continue
			} else if err != nil {
				return err
			}
			if limited && (m.Role == RoleOwner || m.Role == RoleAdmin) {
				items = append(items, ItemError{ID: id, Code: EFORBIDDEN, Message: "an admin may mute or unmute only members below admin"})
				continue
			}
			if d == 0 {
				cur, err := t.MemberMute(ctx, app, roomID, id)
				if err != nil {
					return err
				}
				if cur == nil {
					continue
				}
				if err := t.DeleteMemberMute(ctx, app, roomID, id); err != nil {
					return err
				}
				if cur.Active(t.now) {
					t.emit(actor, EventMemberUnmuted, MemberMutePayload{UserID: id})
				}
				continue
			}
			mm := &MemberMute{AppID: app, RoomID: roomID, UserID: id, Until: muteUntil(t.now, d)}
			if err := t.PutMemberMute(ctx, mm); err != nil {
				return err
			}
			t.emit(actor, EventMemberMuted, MemberMutePayload{UserID: id, Until: mm.Until})
		}
		return nil
	})
	return items, err
}

// RoomMute returns the room-level mute of a room in force now, or nil when
// there is none. Returns ENOROOM if the room does not exist.
func (s *Service) RoomMute(ctx context.Context, app uint32, roomID string) (*RoomMute, error) {
	var out *RoomMute
	err := s.viewRoom(ctx, app, roomID, func(tx Tx, _ *Room) error {
		var err error
		out, err = activeMute(ctx, tx, app, roomID, s.now())
		return err
	})
	return out, err
}

// RoomAndMute returns what RoomAs returns and the room-level mute in force
// now (nil when none), read in one transaction. Returns ENOUSER if a
// non-admin actor is not registered, ENOROOM if the room does not exist.
func (s *Service) RoomAndMute(ctx context.Context, actor Actor, app uint32, roomID string) (*Room, *RoomMute, error) {
	var room *Room
	var mute *RoomMute
	err := s.viewRoomAs(ctx, actor, app, roomID, func(tx Tx, r *Room) error {
		var err error
		if room, err = withMemberCount(ctx, tx, r); err != nil {
			return err
		}
		mute, err = activeMute(ctx, tx, app, roomID, s.now())
		return err
	})
	return room, mute, err
}

// activeMute returns the room-level mute of a room in force at now, or nil.
func activeMute(ctx context.Context, tx Tx, app uint32, roomID string, now time.Time) (*RoomMute, error) {
	m, err := tx.RoomMute(ctx, app, roomID)
	if err != nil || m == nil || !m.Active(now) {
		return nil, err
	}
	return m, nil
}

// MemberMutes returns up to limit of the members' mutes of a room in force
// now, by user id, starting at offset, and their number. Returns ENOROOM if
// the room does not exist.
func (s *Service) MemberMutes(ctx context.Context, app uint32, roomID string, offset, limit int) ([]*MemberMute, int, error) {
	var mutes []*MemberMute
	var total int
	err := s.viewRoom(ctx, app, roomID, func(tx Tx, _ *Room) error {
		var err error
		mutes, total, err = tx.MemberMutes(ctx, app, roomID, s.now(), offset, limit)
		return err
	})
	return mutes, total, err
}

// MutedRooms returns up to limit of app's rooms that have a mute in force
// now (room-level or a member's), by room id, starting at offset, read by
// actor. Returns ENOUSER if a non-admin actor is not registered, EINVALID
// for a negative offset or a limit below 1.
func (s *Service) MutedRooms(ctx context.Context, actor Actor, app uint32, offset, limit int) ([]MutedRoom, error) {
	if offset < 0 || limit < 1 {
		return nil, Errorf(EINVALID, "offset must be >= 0 and limit >= 1")
	}
	var rooms []MutedRoom
	err := s.store.View(ctx, func(tx Tx) error {
		if err := checkActor(ctx, tx, app, actor); err != nil {
			return err
		}
		var err error
		rooms, err = tx.MutedRooms(ctx, app, s.now(), offset, limit)
		return err
	})
	return rooms, err
}
