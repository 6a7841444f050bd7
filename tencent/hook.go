package tencent

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/roomd/roomd"
)

// Hook makes the room engine's room_config callbacks of an app's events:
// a JSON body POSTed to the app's callback URL (set_callback) with the
// query SdkAppid=&CallbackCommand=&contenttype=json&ClientIP=&OptPlatform=,
// acknowledged by the vendor's envelope with ErrorCode 0. Package webhook
// delivers them. It implements roomd.Hook.
type Hook struct {
	svc *roomd.Service
}

var _ roomd.Hook = (*Hook)(nil)

// NewHook returns the Tencent-style callbacks of the apps served by svc.
func NewHook(svc *roomd.Service) *Hook { return &Hook{svc: svc} }

// Style returns roomd.HookTencent.
func (*Hook) Style() string { return roomd.HookTencent }

// Target returns the app's callback configuration (set_callback), or nil
// when it has none. Commands is never nil: an empty CallbackCommandList
// asks for no callback at all.
func (h *Hook) Target(ctx context.Context, app uint32) (*roomd.HookTarget, error) {
	cb, err := h.svc.Callback(ctx, app)
	if err != nil || cb == nil {
		return nil, err
	}
	return &roomd.HookTarget{AppID: app, URL: cb.URL, Commands: append([]string{}, cb.Commands...)}, nil
}

// eventCommands maps the event types that have a callback to its command.
var eventCommands = map[roomd.EventType]string{
	roomd.EventRoomCreated:   cmdCreateRoom,
	roomd.EventRoomUpdated:   cmdUpdateRoom,
	roomd.EventRoomDismissed: cmdDestroyRoom,
	roomd.EventMemberJoined:  cmdMemberEnter,
	roomd.EventMemberLeft:    cmdMemberLeave,
	roomd.EventOwnerChanged:  cmdChangeOwner,
	roomd.EventSeatChanged:   cmdSeatChanged,
}

// roomCallback is the body of Room.CallbackAfterCreateRoom and
// Room.CallbackAfterUpdateRoomInfo.
type roomCallback struct {
	CallbackCommand  string
	Operator_Account string
	RoomInfo         roomInfo
	EventTime        int64
}

// destroyCallback is the body of Room.CallbackAfterDestroyRoom.
type destroyCallback struct {
	CallbackCommand  string
	Operator_Account string
	RoomId           string
	EventTime        int64
}

// memberCallback is the body of Room.CallbackAfterMemberEnter and
// Room.CallbackAfterMemberLeave; Reason is set for a leave only.
type memberCallback struct {
	CallbackCommand    string
	Operator_Account   string
	RoomId             string
	MemberCount        int
	Type               string
	Reason             *string `json:",omitempty"`
	MemberList_Account []string
	EventTime          int64
}

// ownerCallback is the body of roomd's Room.CallbackAfterChangeRoomOwner.
type ownerCallback struct {
	CallbackCommand  string
	RoomId           string
	Operator_Account string
	OldOwner_Account string
	NewOwner_Account string
	EventTime        int64
}

// Request returns ev's callback, or nil when ev has none (an event type
// the vendor has no callback for, the member.joined of a member the room
// was created with, which Room.CallbackAfterCreateRoom covers) or when its
// command is not in t.Commands. A RoomInfo shows the room as the event
// left it; a MemberCount counts the members right after the event
// (Service.MembersAt), however late the callback goes. now is not used:
// room_config callbacks are not signed. Returns EINTERNAL for a payload
// that does not decode or a store failure, EINVALID for a t.URL that is
// not a URL.
func (h *Hook) Request(ctx context.Context, t *roomd.HookTarget, ev *roomd.Event, now time.Time) (*roomd.HookRequest, error) {
	cmd, ok := eventCommands[ev.Type]
	if !ok || (t.Commands != nil && !slices.Contains(t.Commands, cmd)) {
		return nil, nil
	}
	body, err := h.body(ctx, cmd, ev)
	if err != nil || body == nil {
		return nil, err
	}
	data, err := json.Marshal(body)
	if err != nil {
		return nil, roomd.Internal(err)
	}
	u, err := url.Parse(t.URL)
	if err != nil {
		// Not quoted: its query may hold a token.
		return nil, roomd.Errorf(roomd.EINVALID, "callback URL of app %d is not a URL", t.AppID)
	}
	q := "SdkAppid=" + strconv.FormatUint(uint64(t.AppID), 10) +
		"&CallbackCommand=" + url.QueryEscape(cmd) +
		"&contenttype=json&ClientIP=&OptPlatform=RESTAPI"
	if u.RawQuery != "" {
		q = u.RawQuery + "&" + q
	}
	u.RawQuery, u.ForceQuery = q, false
	return &roomd.HookRequest{URL: u.String(), Body: data}, nil
}

// body returns the callback body of ev for cmd, or nil when ev has none.
func (h *Hook) body(ctx context.Context, cmd string, ev *roomd.Event) (any, error) {
	at := ev.Time.UnixMilli()
	switch ev.Type {
	case roomd.EventRoomCreated, roomd.EventRoomUpdated:
		var p roomd.RoomPayload
		if err := ev.DecodePayload(&p); err != nil {
			return nil, err
		}
		r := roomd.Room{
			AppID: ev.AppID, ID: ev.RoomID, Name: p.Name, Type: p.Type, Owner: p.Owner,
			MaxMembers: p.MaxMembers, CustomInfo: p.CustomInfo, Props: p.Props, CreatedAt: p.CreatedAt,
		}
		return roomCallback{cmd, ev.Actor, roomInfoOf(&r), at}, nil
	case roomd.EventRoomDismissed:
		return destroyCallback{cmd, ev.Actor, ev.RoomID, at}, nil
	case roomd.EventOwnerChanged:
		var p roomd.OwnerPayload
		if err := ev.DecodePayload(&p); err != nil {
			return nil, err
		}
		return ownerCallback{cmd, ev.RoomID, ev.Actor, p.From, p.To, at}, nil
	case roomd.EventSeatChanged:
		return seatBody(cmd, ev) // seat.go
	}
	// member.joined, member.left
	var p roomd.MemberPayload
	if err := ev.DecodePayload(&p); err != nil {
		return nil, err
	}
	if ev.Type == roomd.EventMemberJoined && p.Reason == roomd.JoinCreated {
		return nil, nil
	}
	_, count, err := h.svc.MembersAt(ctx, ev.AppID, ev.RoomID, ev.Seq, 0)
	if err != nil {
		return nil, err
	}
	b := memberCallback{
		CallbackCommand: cmd, Operator_Account: ev.Actor, RoomId: ev.RoomID, MemberCount: count,
		Type: "Enter", MemberList_Account: []string{p.UserID}, EventTime: at,
	}
	if ev.Type == roomd.EventMemberLeft {
		b.Type, b.Reason = "Kicked", &p.Message
		if p.Reason == roomd.LeaveLeft || p.Reason == "" {
			b.Type = "Leave"
		}
	}
	return b, nil
}

// maxEcho is the most bytes of a receiver's answer an Accept error quotes.
const maxEcho = 200

// Accept returns nil for HTTP 200 with the vendor's envelope reporting
// success, ActionStatus "OK" and ErrorCode 0 (ErrorInfo may be anything),
// and otherwise an error saying what was wrong, quoting at most maxEcho
// bytes of the answer.
func (*Hook) Accept(status int, body []byte) error {
	if status != 200 {
		return fmt.Errorf("status %d: %s", status, echo(body))
	}
	var ans struct {
		ActionStatus string
		ErrorCode    int64
		ErrorInfo    json.RawMessage // a string, but any value will do
	}
	if !json.Valid(body) {
		return fmt.Errorf("answer is not JSON: %s", echo(body))
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		return fmt.Errorf("answer is not the vendor's {ActionStatus, ErrorCode, ErrorInfo} envelope: %s", echo(body))
	}
	if ans.ErrorCode != 0 {
		var info string
		if json.Unmarshal(ans.ErrorInfo, &info) != nil {
			info = string(ans.ErrorInfo)
		}
		return fmt.Errorf("ErrorCode %d: %s", ans.ErrorCode, echo([]byte(info)))
	}
	if ans.ActionStatus != "OK" {
		return fmt.Errorf("ActionStatus %s, want \"OK\"", echo([]byte(ans.ActionStatus)))
	}
	return nil
}

// echo quotes up to maxEcho bytes of b, cut at a rune boundary, marking a
// cut with "...".
func echo(b []byte) string {
	if len(b) <= maxEcho {
		return strconv.Quote(string(b))
	}
	n := maxEcho
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return strconv.Quote(string(b[:n])) + "..."
}
