package roomd

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"
)

// Limits the domain enforces whatever the dialect. Dialects may enforce
// tighter vendor limits before calling the Service.
const (
	MaxIDLen         = 64   // bytes in a user or room id
	MaxNameLen       = 256  // bytes in a user or room name
	MaxURLLen        = 1024 // bytes in an avatar or callback URL
	MaxTextLen       = 4096 // bytes in a notice, custom info or attribute value
	MaxAttributes    = 32   // attributes on one room
	MaxBatch         = 100  // items in one batch call
	DefaultMaxMember = 10000
)

// Attribute is a key and value attached to a room (a ZEGO group attribute).
type Attribute struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Room is a room (a ZEGO group). It always has exactly one owner, who is a member.
type Room struct {
	AppID      uint32
	ID         string
	Name       string
	Notice     string
	Avatar     string
	Type       string
	CustomInfo string
	// MaxMembers caps the member count; 0 means DefaultMaxMember.
	MaxMembers int
	Attributes []Attribute
	// Props holds dialect-specific settings that have no meaning to the
	// domain (for example Tencent's IsMessageDisabled); stored and returned as is.
	// The seat settings among them are read by the domain (SeatConfig, seat.go).
	Props map[string]string
	// JoinMode, InviteMode and BeInvitedMode are the room's verification
	// settings (joinmode.go); the zero values admit anyone.
	JoinMode      JoinMode
	InviteMode    InviteMode
	BeInvitedMode BeInvitedMode
	Owner         string
	CreatedAt     time.Time
	// Seq is the sequence number of the room's last event.
	Seq int64
	// MemberCount is filled in by reads; it is not stored.
	MemberCount int
}

// Validate checks the fields the domain constrains.
func (r *Room) Validate() error {
	if err := ValidateID("room id", r.ID); err != nil {
		return err
	}
	if len(r.Name) > MaxNameLen {
		return Errorf(EINVALID, "room name longer than %d bytes", MaxNameLen)
	}
	if len(r.Notice) > MaxTextLen || len(r.CustomInfo) > MaxTextLen {
		return Errorf(EINVALID, "room text longer than %d bytes", MaxTextLen)
	}
	if len(r.Avatar) > MaxURLLen {
		return Errorf(EINVALID, "room avatar longer than %d bytes", MaxURLLen)
	}
	if len(r.Attributes) > MaxAttributes {
		return Errorf(EINVALID, "more than %d room attributes", MaxAttributes)
	}
	if r.MaxMembers < 0 {
		return Errorf(EINVALID, "negative member limit")
	}
	if err := r.validateModes(); err != nil {
		return err
	}
	err := cmp.Or(
		ValidateName("room name", r.Name),
		ValidateName("room type", r.Type),
		ValidateName("room avatar", r.Avatar),
		ValidateText("room notice", r.Notice),
		ValidateText("room custom info", r.CustomInfo),
	)
	if err != nil {
		return err
	}
	for _, a := range r.Attributes {
		if err := cmp.Or(ValidateName("room attribute key", a.Key), ValidateText("room attribute value", a.Value)); err != nil {
			return err
		}
	}
	for k, v := range r.Props {
		if err := cmp.Or(ValidateName("room setting name", k), ValidateText("room setting "+k, v)); err != nil {
			return err
		}
	}
	return nil
}

func (r *Room) maxMembers() int {
	if r.MaxMembers > 0 {
		return r.MaxMembers
	}
	return DefaultMaxMember
}

// NewRoomID returns a generated room id: "#" followed by 16 hex digits.
// Ids chosen by clients may not start with "#" in the ZEGO dialect, so
// generated ids never collide with chosen ones there.
func NewRoomID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "#" + hex.EncodeToString(b[:])
}

// CreateRoom creates room r with r.Owner as its owner and first member, and
// adds the users in members (the owner is de-duplicated). An empty r.ID gets
// a generated one. Returns EEXISTS if a room with that id exists, ENOUSER if
// the owner is not registered, EINVALID for invalid fields, ELIMIT for more
// than MaxBatch members. Members that cannot be added (not registered:
// ENOUSER; the room is full: ELIMIT) are reported as ItemErrors; the room is
// created without them.
func (s *Service) CreateRoom(ctx context.Context, actor Actor, r Room, members []string) (*Room, []ItemError, error) {
	if r.ID == "" {
		r.ID = NewRoomID()
	}
	if err := r.Validate(); err != nil {
		return nil, nil, err
	}
	if err := ValidateID("owner", r.Owner); err != nil {
		return nil, nil, err
	}
	if len(members) > MaxBatch {
		return nil, nil, Errorf(ELIMIT, "more than %d initial members", MaxBatch)
	}
	var items []ItemError
	var out *Room
	err := s.update(ctx, func(tx Tx, em *emitter) error {
		items = items[:0]
		if _, err := tx.User(ctx, r.AppID, r.Owner); err != nil {
			if ErrorCode(err) == ENOUSER {
				return Errorf(ENOUSER, "owner %q is not registered", r.Owner)
			}
			return err
		}
		room := r
		room.CreatedAt = em.now
		if r.CreatedAt.After(time.Unix(0, 0)) {
			room.CreatedAt = r.CreatedAt
		}
		room.Seq = 0
		// Who joins is settled first, so that room.created can list them.
		joining := []string{room.Owner}
		seen := map[string]bool{room.Owner: true}
		for _, id := range members {
			if seen[id] {
				continue
			}
			seen[id] = true
			if err := registered(ctx, tx, room.AppID, id); err != nil {
				if ErrorCode(err) == ENOUSER {
					items = append(items, itemError(id, err))
					continue
				}
				return err
			}
			if len(joining) >= room.maxMembers() {
				items = append(items, ItemError{ID: id, Code: ELIMIT, Message: "room is full"})
				continue
			}
			joining = append(joining, id)
		}
		if err := tx.InsertRoom(ctx, &room); ErrorCode(err) == EEXISTS {
			return Errorf(EEXISTS, "room %q already exists", room.ID)
		} else if err != nil {
			return err
		}
		created := roomPayload(&room)
		created.Members = joining
		em.emit(&room, actor, EventRoomCreated, created)
		for i, id := range joining {
			role := RoleMember
			if i == 0 {
				role = RoleOwner
			}
			if err := s.putMember(ctx, tx, em, actor, &room, &Member{AppID: room.AppID, RoomID: room.ID, UserID: id, Role: role, JoinedAt: room.CreatedAt}, JoinCreated); err != nil {
				return err
			}
		}
		count := len(joining)
		room.MemberCount = count
		out = &room
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return out, items, nil
}

// DismissRoom deletes a room and all its members and bans. Returns ENOROOM if
// the room does not exist, ENOUSER if a non-admin actor is not registered.
func (s *Service) DismissRoom(ctx context.Context, actor Actor, app uint32, roomID string) error {
	return s.updateRoom(ctx, actor, app, roomID, func(t *roomTx) error {
		return s.dismiss(ctx, t, t.em, actor, t.room)
	})
}

func (s *Service) dismiss(ctx context.Context, tx Tx, em *emitter, actor Actor, room *Room) error {
	em.emit(room, actor, EventRoomDismissed, RoomPayload{Name: room.Name, Owner: room.Owner})
	return tx.DeleteRoom(ctx, room.AppID, room.ID)
}

// Room returns a room with its MemberCount, for callers that name no actor.
// Returns ENOROOM if it does not exist.
func (s *Service) Room(ctx context.Context, app uint32, roomID string) (*Room, error) {
	return s.RoomAs(ctx, Actor{Admin: true}, app, roomID)
}

// RoomAs returns a room with its MemberCount, read by actor. Returns ENOUSER
// if a non-admin actor is not registered (checked first), ENOROOM if the
// room does not exist.
func (s *Service) RoomAs(ctx context.Context, actor Actor, app uint32, roomID string) (*Room, error) {
	var out *Room
	err := s.viewRoomAs(ctx, actor, app, roomID, func(tx Tx, room *Room) error {
		var err error
		out, err = withMemberCount(ctx, tx, room)
		return err
	})
	return out, err
}

// withMemberCount fills in room's MemberCount and returns it.
func withMemberCount(ctx context.Context, tx Tx, room *Room) (*Room, error) {
	var err error
	room.MemberCount, err = tx.MemberCount(ctx, room.AppID, room.ID)
	return room, err
}

// Rooms returns up to limit rooms of app in id order starting at offset, and
// the total number of rooms.
func (s *Service) Rooms(ctx context.Context, app uint32, offset, limit int) ([]*Room, int, error) {
	var rooms []*Room
	var total int
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		rooms, total, err = tx.Rooms(ctx, app, offset, limit)
		return err
	})
	return rooms, total, err
}

// RoomUpdate holds the fields of a room to change; nil fields are kept.
type RoomUpdate struct {
	Name       *string
	Notice     *string
	Avatar     *string
	CustomInfo *string
	MaxMembers *int
	// Props entries are merged into the room's Props.
	Props map[string]string
	// The verification settings (joinmode.go).
	JoinMode      *JoinMode
	InviteMode    *InviteMode
	BeInvitedMode *BeInvitedMode
}

// UpdateRoom changes a room's settings. Returns ENOROOM if it does not
// exist, ENOUSER if a non-admin actor is not registered, EINVALID for
// invalid values, among them a member limit below the room's current member
// count (no member is removed to make room; 0 means DefaultMaxMember and is
// compared as such).
func (s *Service) UpdateRoom(ctx context.Context, actor Actor, app uint32, roomID string, u RoomUpdate) error {
	return s.updateRoom(ctx, actor, app, roomID, func(t *roomTx) error {
		room := t.room
		setIf(&room.Name, u.Name)
		setIf(&room.Notice, u.Notice)
		setIf(&room.Avatar, u.Avatar)
		setIf(&room.CustomInfo, u.CustomInfo)
		setIf(&room.MaxMembers, u.MaxMembers)
		setIf(&room.JoinMode, u.JoinMode)
		setIf(&room.InviteMode, u.InviteMode)
		setIf(&room.BeInvitedMode, u.BeInvitedMode)
		if len(u.Props) > 0 {
			props := make(map[string]string, len(room.Props)+len(u.Props))
			for k, v := range room.Props {
				props[k] = v
			}
			for k, v := range u.Props {
				props[k] = v
			}
			room.Props = props
		}
		if err := room.Validate(); err != nil {
			return err
		}
		if u.MaxMembers != nil {
			n, err := t.MemberCount(ctx, app, roomID)
			if err != nil {
				return err
			}
			if limit := room.maxMembers(); n > limit {
				return Errorf(EINVALID, "member limit %d is below the room's %d members", limit, n)
			}
		}
		t.emit(actor, EventRoomUpdated, roomPayload(room))
		return t.UpdateRoom(ctx, room)
	})
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}
