package tencent

import (
	"encoding/json"
	"strings"

	"github.com/roomd/roomd"
)

// Seats (service room_engine_http_mic) and member marks
// (room_engine_http_srv/mark_room_member). The rules are the domain's
// (roomd seat.go, mark.go); these handlers decode, check the vendor's
// field types and presence, and call one Service method each.

// seatInfo is one seat as get_seat_list and Mic.CallbackAfterSeatInfoChanged
// show it: Member_Account "" for a free seat, IsTakenDisabled for a locked
// one, IsVideoDisabled and IsAudioDisabled for its holder's settings.
type seatInfo struct {
	Index           int
	Member_Account  string
	IsTakenDisabled bool
	IsVideoDisabled bool
	IsAudioDisabled bool
}

// seatList returns seats in their wire form, never nil.
func seatList(seats []roomd.Seat) []seatInfo {
	out := make([]seatInfo, len(seats))
	for i, s := range seats {
		out[i] = seatInfo{Index: s.Index, Member_Account: s.UserID, IsTakenDisabled: s.Locked, IsVideoDisabled: s.VideoDisabled, IsAudioDisabled: s.AudioDisabled}
	}
	return out
}

// required returns EINVALID when a required number is absent.
func required(field string, n *int) error {
	if n == nil {
		return roomd.Errorf(roomd.EINVALID, "%s is required", field)
	}
	return nil
}

// getSeatList: {RoomId} -> Response.SeatList, every seat by Index.
func (h *handler) getSeatList(c *call) (any, error) {
	id, err := decodeRoomRef(c)
	if err != nil {
		return nil, err
	}
	seats, err := h.svc.Seats(c.ctx, c.app.ID, id)
	if err != nil {
		return nil, err
	}
	return struct{ SeatList []seatInfo }{seatList(seats)}, nil
}

// seatUser is the body of pick_user_on_seat, kick_user_off_seat and
// switch_seat: a room, a member and, as the command needs, a seat.
type seatUser struct {
	roomRef
	Member_Account string
	Index          *int   // pick_user_on_seat
	ToIndex        *int   // switch_seat
	Data           string // kick_user_off_seat
}

// decodeSeatUser decodes a seatUser and checks its RoomId and Member_Account.
func decodeSeatUser(c *call) (*seatUser, error) {
	var req seatUser
	if err := decodeRoom(c, &req); err != nil {
		return nil, err
	}
	return &req, roomd.ValidateID("Member_Account", req.Member_Account)
}

// pickUserOnSeat: {RoomId, Index, Member_Account}; Index -1 is the first
// free unlocked seat (roomd).
func (h *handler) pickUserOnSeat(c *call) (any, error) {
	req, err := decodeSeatUser(c)
	if err != nil {
		return nil, err
	}
	if err := required("Index", req.Index); err != nil {
		return nil, err
	}
	return nil, h.svc.PickSeat(c.ctx, c.actor(), c.app.ID, req.RoomId, req.Member_Account, *req.Index)
}

// kickUserOffSeat: {RoomId, Member_Account, Data}; Data goes in the
// seat.changed event as its message.
func (h *handler) kickUserOffSeat(c *call) (any, error) {
	req, err := decodeSeatUser(c)
	if err != nil {
		return nil, err
	}
	return nil, h.svc.KickOffSeat(c.ctx, c.actor(), c.app.ID, req.RoomId, req.Member_Account, req.Data)
}

// switchSeat: {RoomId, ToIndex, Member_Account}.
func (h *handler) switchSeat(c *call) (any, error) {
	req, err := decodeSeatUser(c)
	if err != nil {
		return nil, err
	}
	if err := required("ToIndex", req.ToIndex); err != nil {
		return nil, err
	}
	return nil, h.svc.SwitchSeat(c.ctx, c.actor(), c.app.ID, req.RoomId, req.Member_Account, *req.ToIndex)
}

// lockSeat: {RoomId, Index, ForbidTaken, ForbidVideo, ForbidAudio}; an
// omitted flag is left as it is.
func (h *handler) lockSeat(c *call) (any, error) {
	var req struct {
		roomRef
		Index                                 *int
		ForbidTaken, ForbidVideo, ForbidAudio *bool
	}
	if err := decodeRoom(c, &req); err != nil {
		return nil, err
	}
	if err := required("Index", req.Index); err != nil {
		return nil, err
	}
	l := roomd.SeatLock{Taken: req.ForbidTaken, Video: req.ForbidVideo, Audio: req.ForbidAudio}
	return nil, h.svc.LockSeat(c.ctx, c.actor(), c.app.ID, req.RoomId, *req.Index, l)
}

// markRoomMember: {RoomId, CommandType (1 set, 2 delete; a number or a
// numeric string), MemberList[{Member_Account, Marks[]}]}.
func (h *handler) markRoomMember(c *call) (any, error) {
	var req struct {
		roomRef
		CommandType json.RawMessage
		MemberList  []struct {
			Member_Account string
			Marks          []int64
		}
	}
	if err := decodeRoom(c, &req); err != nil {
		return nil, err
	}
	var remove bool
	switch strings.Trim(string(req.CommandType), `"`) {
	case "1":
	case "2":
		remove = true
	default:
		return nil, roomd.Errorf(roomd.EINVALID, "CommandType must be 1 (set marks) or 2 (delete marks)")
	}
	list := make([]roomd.MemberMarks, len(req.MemberList))
	for i, m := range req.MemberList {
		list[i] = roomd.MemberMarks{UserID: m.Member_Account, Marks: m.Marks}
	}
	return nil, h.svc.MarkMembers(c.ctx, c.actor(), c.app.ID, req.RoomId, remove, list)
}

// seatCallback is the body of Mic.CallbackAfterSeatInfoChanged: every seat
// of the room after the change.
type seatCallback struct {
	CallbackCommand  string
	Operator_Account string
	RoomId           string
	SeatList         []seatInfo
	EventTime        int64
}

// seatBody returns the callback body of a seat.changed.
func seatBody(cmd string, ev *roomd.Event) (any, error) {
	var p roomd.SeatPayload
	if err := ev.DecodePayload(&p); err != nil {
		return nil, err
	}
	return seatCallback{cmd, ev.Actor, ev.RoomID, seatList(p.Seats), ev.Time.UnixMilli()}, nil
}
