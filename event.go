package roomd

import (
	"context"
	"encoding/json"
	"time"
)

// EventType names a kind of change to a room.
type EventType string

// Event types. Every change to a room writes exactly one event per effect,
// in the same transaction as the change.
const (
	EventRoomCreated    EventType = "room.created"
	EventRoomUpdated    EventType = "room.updated"
	EventRoomDismissed  EventType = "room.dismissed"
	EventMemberJoined   EventType = "member.joined"
	EventMemberLeft     EventType = "member.left"
	EventMemberUpdated  EventType = "member.updated"
	EventRoleChanged    EventType = "member.role_changed"
	EventOwnerChanged   EventType = "owner.changed"
	EventMemberBanned   EventType = "member.banned"
	EventMemberUnbanned EventType = "member.unbanned"

	// Mutes (mute.go): state roomd keeps and reports; it carries no messages.
	EventRoomMuted     EventType = "room.muted"     // RoomMutePayload
	EventRoomUnmuted   EventType = "room.unmuted"   // empty payload
	EventMemberMuted   EventType = "member.muted"   // MemberMutePayload
	EventMemberUnmuted EventType = "member.unmuted" // MemberMutePayload without Until

	// Seats and marks (seat.go, mark.go).
	EventSeatChanged          EventType = "seat.changed"           // SeatPayload: every seat after the change
	EventSeatRequested        EventType = "seat.requested"         // SeatRequestPayload
	EventSeatRequestCancelled EventType = "seat.request_cancelled" // SeatRequestPayload
	EventMemberMarked         EventType = "member.marked"          // MarkPayload
)

// Event is one entry of a room's event log. Seq numbers of a room start at 1
// and have no gaps, also across dismissal and re-creation of the same id.
// Pos places the event in its app's log, all rooms together, in commit
// order: an app's positions also start at 1 and have no gaps when written
// (compaction makes holes in both). The store sets Pos when it appends.
type Event struct {
	AppID   uint32
	RoomID  string
	Seq     int64
	Pos     int64
	Type    EventType
	Actor   string
	Payload json.RawMessage
	Time    time.Time
}

// RoomPayload is the payload of room.created, room.updated and
// room.dismissed. room.created and room.updated also carry the room's
// settings after the change, so that what the log says of a room (in a
// callback, say) does not depend on when it is read; room.created lists the
// members the room was created with, owner first, whose member.joined
// events follow it.
type RoomPayload struct {
	Name  string `json:"name,omitempty"`
	Owner string `json:"owner"`

	Type       string            `json:"type,omitempty"`
	Notice     string            `json:"notice,omitempty"`
	Avatar     string            `json:"avatar,omitempty"`
	CustomInfo string            `json:"custom_info,omitempty"`
	MaxMembers int               `json:"max_members,omitempty"`
	Attributes []Attribute       `json:"attributes,omitempty"`
	Props      map[string]string `json:"props,omitempty"`
	CreatedAt  time.Time         `json:"created_at,omitzero"`
	Members    []string          `json:"members,omitempty"`

	// The verification settings (joinmode.go), each omitted when 0.
	JoinMode      JoinMode      `json:"join_mode,omitempty"`
	InviteMode    InviteMode    `json:"invite_mode,omitempty"`
	BeInvitedMode BeInvitedMode `json:"be_invited_mode,omitempty"`
}

// roomPayload returns the payload of room.created and room.updated for r.
func roomPayload(r *Room) RoomPayload {
	return RoomPayload{
		Name: r.Name, Owner: r.Owner, Type: r.Type, Notice: r.Notice, Avatar: r.Avatar,
		CustomInfo: r.CustomInfo, MaxMembers: r.MaxMembers, Attributes: r.Attributes,
		Props: r.Props, CreatedAt: r.CreatedAt,
		JoinMode: r.JoinMode, InviteMode: r.InviteMode, BeInvitedMode: r.BeInvitedMode,
	}
}

// MemberPayload is the payload of member.joined, member.left,
// member.updated and member.role_changed.
type MemberPayload struct {
	UserID  string `json:"user_id"`
	Role    Role   `json:"role,omitempty"`
	OldRole Role   `json:"old_role,omitempty"`
	// Reason says why a member left (LeaveKicked, LeaveBanned, LeaveDeleted,
	// LeaveLeft) or, in member.joined, JoinCreated for the members a room
	// was created with.
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"` // the operator's free-text reason
}

// OwnerPayload is the payload of owner.changed.
type OwnerPayload struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// BanPayload is the payload of member.banned and member.unbanned.
type BanPayload struct {
	UserID string    `json:"user_id"`
	Until  time.Time `json:"until,omitzero"`
}

// DecodePayload decodes e's payload into p, the payload type of e.Type.
// Returns EINTERNAL if it does not decode.
func (e *Event) DecodePayload(p any) error {
	if err := json.Unmarshal(e.Payload, p); err != nil {
		return Errorf(EINTERNAL, "app %d room %q event %d (%s): payload does not decode: %v", e.AppID, e.RoomID, e.Seq, e.Type, err)
	}
	return nil
}

// Events returns up to limit events of a room with Seq greater than after, in
// order. Events of dismissed rooms stay readable.
func (s *Service) Events(ctx context.Context, app uint32, roomID string, after int64, limit int) ([]Event, error) {
	var events []Event
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		events, err = tx.Events(ctx, app, roomID, after, limit)
		return err
	})
	return events, err
}

// emitter collects the events of one transaction attempt.
type emitter struct {
	now    time.Time
	events []Event
	gone   map[string]bool
}

// emit records an event for room and advances room.Seq.
func (em *emitter) emit(room *Room, actor Actor, typ EventType, payload any) {
	data, err := json.Marshal(payload)
	if err != nil {
		panic("roomd: event payload does not marshal: " + err.Error()) // payloads are fixed domain structs
	}
	room.Seq++
	em.events = append(em.events, Event{AppID: room.AppID, RoomID: room.ID, Seq: room.Seq, Type: typ, Actor: actor.ID, Payload: data, Time: em.now})
	if typ == EventRoomDismissed {
		if em.gone == nil {
			em.gone = map[string]bool{}
		}
		em.gone[room.ID] = true
	}
}

// dismissed reports whether room was dismissed in this transaction.
func (em *emitter) dismissed(room *Room) bool { return em.gone[room.ID] }
