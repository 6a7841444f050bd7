package tencent

import (
	"encoding/json"

	"github.com/roomd/roomd"
)

// Vendor limits of the room APIs.
const (
	maxRoomIDLen     = 48  // bytes in a RoomId
	maxRoomNameLen   = 100 // bytes in a RoomName
	maxRoomCustomLen = 500 // bytes in a room's CustomInfo
)

// Room types; an empty RoomType means Conference.
var roomTypes = map[string]bool{"Conference": true, "Live": true}

// Seat modes of TakeSeatMode.
var seatModes = map[string]bool{"FreeToTake": true, "ApplyToTake": true}

// roomProps are the RoomInfo settings that mean nothing to the domain. They
// are kept in roomd.Room.Props, one key per field, the value its JSON text.
type roomProps struct {
	ScheduleStartTime        *int64  `json:",omitempty"`
	ScheduleEndTime          *int64  `json:",omitempty"`
	IsVideoDisabled          *bool   `json:",omitempty"`
	IsAudioDisabled          *bool   `json:",omitempty"`
	IsMessageDisabled        *bool   `json:",omitempty"`
	IsScreenSharingDisabled  *bool   `json:",omitempty"`
	IsCloudRecordingDisabled *bool   `json:",omitempty"`
	IsSeatEnabled            *bool   `json:",omitempty"`
	MaxSeatCount             *int64  `json:",omitempty"`
	TakeSeatMode             *string `json:",omitempty"`
}

func (p *roomProps) check() error {
	if p.TakeSeatMode != nil && !seatModes[*p.TakeSeatMode] {
		return roomd.Errorf(roomd.EINVALID, "TakeSeatMode must be FreeToTake or ApplyToTake")
	}
	for _, n := range []*int64{p.ScheduleStartTime, p.ScheduleEndTime, p.MaxSeatCount} {
		if n != nil && *n < 0 {
			return roomd.Errorf(roomd.EINVALID, "ScheduleStartTime, ScheduleEndTime and MaxSeatCount cannot be negative")
		}
	}
	if p.MaxSeatCount != nil && *p.MaxSeatCount > roomd.MaxSeats {
		return roomd.Errorf(roomd.EINVALID, "MaxSeatCount is at most %d", roomd.MaxSeats)
	}
	return nil
}

// toMap returns the set fields as Props entries.
func (p *roomProps) toMap() map[string]string {
	data, _ := json.Marshal(p) // pointers to scalars always marshal
	var m map[string]json.RawMessage
	_ = json.Unmarshal(data, &m)
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}

// propsOf reads the fields back from a room's Props; entries that are not
// this dialect's are ignored.
func propsOf(props map[string]string) roomProps {
	m := make(map[string]json.RawMessage, len(props))
	for k, v := range props {
		if json.Valid([]byte(v)) {
			m[k] = json.RawMessage(v)
		}
	}
	var p roomProps
	if data, err := json.Marshal(m); err == nil {
		if json.Unmarshal(data, &p) != nil {
			p = roomProps{}
		}
	}
	return p
}

// roomInfoIn is the RoomInfo of create_room and update_room_info.
type roomInfoIn struct {
	RoomId         string
	RoomName       *string
	RoomType       string
	Owner_Account  string
	MaxMemberCount *int64
	CustomInfo     *string
	roomProps
}

// check validates the fields both commands accept but RoomId, which
// create_room (checkNewRoomID) and update_room_info (checkRoomRef) check
// differently.
func (ri *roomInfoIn) check() error {
	if ri.RoomName != nil && len(*ri.RoomName) > maxRoomNameLen {
		return roomd.Errorf(roomd.EINVALID, "RoomName longer than %d bytes", maxRoomNameLen)
	}
	if ri.RoomName != nil && *ri.RoomName == "" {
		ri.RoomName = &ri.RoomId
	}
	if ri.MaxMemberCount != nil && (*ri.MaxMemberCount < 1 || *ri.MaxMemberCount > 1<<31-1) {
		return roomd.Errorf(roomd.EINVALID, "MaxMemberCount must be a positive 32-bit integer")
	}
	if ri.CustomInfo != nil && len(*ri.CustomInfo) > maxRoomCustomLen {
		return roomd.Errorf(roomd.EINVALID, "CustomInfo longer than %d bytes", maxRoomCustomLen)
	}
	return ri.roomProps.check()
}

// roomInfo is the RoomInfo of a room's settings, as get_room_info and the
// create and update callbacks (hook.go) show them.
type roomInfo struct {
	RoomId         string
	RoomName       string
	RoomType       string
	Owner_Account  string
	MaxMemberCount int
	CustomInfo     string
	roomProps
	CreateTime int64
}

// roomInfoOf returns r's RoomInfo with the vendor's defaults: RoomType
// Conference for a room created through the ZEGO dialect (which has no
// type), MaxMemberCount roomd.DefaultMaxMember when the room sets none.
func roomInfoOf(r *roomd.Room) roomInfo {
	ri := roomInfo{
		RoomId: r.ID, RoomName: r.Name, RoomType: r.Type, Owner_Account: r.Owner,
		MaxMemberCount: r.MaxMembers, CustomInfo: r.CustomInfo, roomProps: propsOf(r.Props),
		CreateTime: r.CreatedAt.Unix(),
	}
	if ri.MaxMemberCount == 0 {
		ri.MaxMemberCount = roomd.DefaultMaxMember
	}
	if ri.RoomType == "" {
		ri.RoomType = "Conference"
	}
	return ri
}

// roomInfoOut is the RoomInfo of get_room_info.
type roomInfoOut struct {
	roomInfo
	RoomStatus  string
	MemberCount int
}

// roomRef is the RoomId every room command names; request bodies embed it.
type roomRef struct{ RoomId string }

func (r *roomRef) roomID() string { return r.RoomId }

// roomRequest is a request body that names a room.
type roomRequest interface{ roomID() string }

// decodeRoom decodes a body into req and checks its RoomId, which
// addresses an existing room.
func decodeRoom(c *call, req roomRequest) error {
	if err := c.decode(req); err != nil {
		return err
	}
	return checkRoomRef(req.roomID())
}

// checkNewRoomID validates the RoomId of a room created here: the vendor's
// 48 bytes, then the domain's id rule.
func checkNewRoomID(id string) error {
	if len(id) > maxRoomIDLen {
		return roomd.Errorf(roomd.EINVALID, "RoomId longer than %d bytes", maxRoomIDLen)
	}
	return checkRoomRef(id)
}

// checkRoomRef validates a RoomId that addresses an existing room by the
// domain's id rule only (roomd.ValidateID: 1–64 bytes of UTF-8 without
// control characters), so that rooms created through another dialect or
// the domain are addressable whatever their id. Failures are EINVALID (100002).
func checkRoomRef(id string) error { return roomd.ValidateID("RoomId", id) }

// decodeRoomRef decodes a body whose only field is RoomId.
func decodeRoomRef(c *call) (string, error) {
	var req roomRef
	err := decodeRoom(c, &req)
	return req.RoomId, err
}

// decodeRoomInfo decodes and checks the {RoomInfo{...}} body of
// create_room and update_room_info; checkID checks the RoomId.
func decodeRoomInfo(c *call, checkID func(string) error) (*roomInfoIn, error) {
	var req struct{ RoomInfo roomInfoIn }
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if err := checkID(req.RoomInfo.RoomId); err != nil {
		return nil, err
	}
	return &req.RoomInfo, req.RoomInfo.check()
}

// createRoom: {RoomInfo{...}}; Owner_Account (default: the caller) becomes
// owner and first member.
func (h *handler) createRoom(c *call) (any, error) {
	ri, err := decodeRoomInfo(c, checkNewRoomID)
	if err != nil {
		return nil, err
	}
	if ri.RoomType == "" {
		ri.RoomType = "Conference"
	}
	if !roomTypes[ri.RoomType] {
		return nil, roomd.Errorf(roomd.EINVALID, "RoomType must be Conference or Live")
	}
	r := roomd.Room{AppID: c.app.ID, ID: ri.RoomId, Name: ri.RoomId, Type: ri.RoomType, Owner: ri.Owner_Account, Props: ri.roomProps.toMap()}
	if r.Owner == "" {
		r.Owner = c.identifier
	}
	if ri.RoomName != nil {
		r.Name = *ri.RoomName
	}
	if ri.MaxMemberCount != nil {
		r.MaxMembers = int(*ri.MaxMemberCount)
	}
	if ri.CustomInfo != nil {
		r.CustomInfo = *ri.CustomInfo
	}
	_, _, err = h.svc.CreateRoom(c.ctx, c.actor(), r, nil)
	return nil, err
}

// destroyRoom: {RoomId}.
func (h *handler) destroyRoom(c *call) (any, error) {
	id, err := decodeRoomRef(c)
	if err != nil {
		return nil, err
	}
	return nil, h.svc.DismissRoom(c.ctx, c.actor(), c.app.ID, id)
}

// getRoomInfo: {RoomId} -> Response.RoomInfo.
func (h *handler) getRoomInfo(c *call) (any, error) {
	id, err := decodeRoomRef(c)
	if err != nil {
		return nil, err
	}
	r, err := h.svc.Room(c.ctx, c.app.ID, id)
	if err != nil {
		return nil, err
	}
	out := roomInfoOut{roomInfo: roomInfoOf(r), RoomStatus: "Running", MemberCount: r.MemberCount}
	return struct{ RoomInfo roomInfoOut }{out}, nil
}

// updateRoomInfo: {RoomInfo{RoomId, RoomName, MaxMemberCount, Is*Disabled,
// CustomInfo, TakeSeatMode}}; other RoomInfo fields are ignored. A
// MaxMemberCount below the room's member count is refused by the domain
// (EINVALID: 100002).
func (h *handler) updateRoomInfo(c *call) (any, error) {
	ri, err := decodeRoomInfo(c, checkRoomRef)
	if err != nil {
		return nil, err
	}
	// Fixed at creation, as in the vendor's update_room_info.
	ri.ScheduleStartTime, ri.ScheduleEndTime, ri.IsSeatEnabled, ri.MaxSeatCount = nil, nil, nil, nil
	u := roomd.RoomUpdate{Name: ri.RoomName, CustomInfo: ri.CustomInfo, Props: ri.roomProps.toMap()}
	if ri.MaxMemberCount != nil {
		n := int(*ri.MaxMemberCount)
		u.MaxMembers = &n
	}
	return nil, h.svc.UpdateRoom(c.ctx, c.actor(), c.app.ID, ri.RoomId, u)
}
