package tencent

import (
	"strconv"

	"github.com/roomd/roomd"
)

// Vendor limits of the member APIs.
const (
	defaultMemberPage  = 50   // get_room_member_list Count when absent
	maxMemberPage      = 100  // roomd's cap on Count (the vendor is silent)
	maxNameCardLen     = 32   // bytes in a NameCard
	maxMemberCustomLen = 60   // bytes in a member's CustomInfo
	maxAccountList     = 20   // accounts in MemberList_Account
	maxReasonLen       = 1000 // bytes in a kick or ban Reason
)

// Role strings of the vendor; "RoomOwner" is accepted as "Owner" on input.
const (
	roleOwner  = "Owner"
	roleAdmin  = "Admin"
	roleMember = "Member"
)

var rolesIn = map[string]roomd.Role{
	roleOwner: roomd.RoleOwner, "RoomOwner": roomd.RoleOwner,
	roleAdmin: roomd.RoleAdmin, roleMember: roomd.RoleMember,
}

// roleName returns the vendor's name for a role; roles the vendor lacks
// (ZEGO custom roles) are "Member".
func roleName(r roomd.Role) string {
	switch r {
	case roomd.RoleOwner:
		return roleOwner
	case roomd.RoleAdmin:
		return roleAdmin
	default:
		return roleMember
	}
}

// memberInfo is one member in get_room_member_list.
type memberInfo struct {
	Member_Account string
	NameCard       string
	Role           string
	Marks          []int64 // mark_room_member's (seat.go), ascending
	CustomInfo     string
}

// getRoomMemberList: {RoomId, Count, Next} -> Response{Next, MemberList}.
// Next is an opaque cursor: "" for the first page and after the last one.
func (h *handler) getRoomMemberList(c *call) (any, error) {
	var req struct {
		roomRef
		Count *int
		Next  string
	}
	if err := decodeRoom(c, &req); err != nil {
		return nil, err
	}
	count := defaultMemberPage
	if req.Count != nil {
		count = min(*req.Count, maxMemberPage)
	}
	if count < 1 {
		return nil, roomd.Errorf(roomd.EINVALID, "Count must be positive")
	}
	offset := 0
	if req.Next != "" {
		n, err := strconv.Atoi(req.Next)
		if err != nil || n < 0 {
			return nil, roomd.Errorf(roomd.EINVALID, "Next is not a cursor returned by this API")
		}
		offset = n
	}
	members, total, err := h.svc.Members(c.ctx, c.app.ID, req.RoomId, offset, count)
	if err != nil {
		return nil, err
	}
	out := struct {
		Next       string
		MemberList []memberInfo
	}{MemberList: make([]memberInfo, 0, len(members))}
	for _, m := range members {
		out.MemberList = append(out.MemberList, memberInfo{Member_Account: m.UserID, NameCard: m.NameCard, Role: roleName(m.Role), Marks: append([]int64{}, m.Marks...), CustomInfo: m.CustomInfo})
	}
	if next := offset + len(members); len(members) > 0 && next < total {
		out.Next = strconv.Itoa(next)
	}
	return out, nil
}

// updateRoomMemberInfo: {RoomId, MemberInfo{Member_Account, NameCard, Role,
// CustomInfo}}; grants ("Admin") and revokes ("Member") the admin role.
func (h *handler) updateRoomMemberInfo(c *call) (any, error) {
	var req struct {
		roomRef
		MemberInfo struct {
			Member_Account string
			NameCard       *string
			Role           *string
			CustomInfo     *string
		}
	}
	if err := decodeRoom(c, &req); err != nil {
		return nil, err
	}
	mi := &req.MemberInfo
	if err := roomd.ValidateID("MemberInfo.Member_Account", mi.Member_Account); err != nil {
		return nil, err
	}
	if mi.NameCard != nil && len(*mi.NameCard) > maxNameCardLen {
		return nil, roomd.Errorf(roomd.EINVALID, "NameCard longer than %d bytes", maxNameCardLen)
	}
	if mi.CustomInfo != nil && len(*mi.CustomInfo) > maxMemberCustomLen {
		return nil, roomd.Errorf(roomd.EINVALID, "CustomInfo longer than %d bytes", maxMemberCustomLen)
	}
	u := roomd.MemberUpdate{NameCard: mi.NameCard, CustomInfo: mi.CustomInfo}
	if mi.Role != nil {
		role, ok := rolesIn[*mi.Role]
		if !ok {
			return nil, roomd.Errorf(roomd.EINVALID, "Role must be Admin or Member")
		}
		u.Role = &role
	}
	return nil, h.svc.UpdateMember(c.ctx, c.actor(), c.app.ID, req.RoomId, mi.Member_Account, u)
}

// changeRoomOwner: {RoomId, From_Account, NewOwner_Account}, all required.
// A retry after success (NewOwner_Account already owns the room) succeeds
// and changes nothing.
func (h *handler) changeRoomOwner(c *call) (any, error) {
	var req struct {
		roomRef
		From_Account     string
		NewOwner_Account string
	}
	if err := decodeRoom(c, &req); err != nil {
		return nil, err
	}
	for _, a := range [...]struct{ field, id string }{{"From_Account", req.From_Account}, {"NewOwner_Account", req.NewOwner_Account}} {
		if err := roomd.ValidateID(a.field, a.id); err != nil {
			return nil, err
		}
	}
	return nil, h.svc.TransferOwner(c.ctx, c.actor(), c.app.ID, req.RoomId, req.NewOwner_Account, req.From_Account)
}

// memberBatch is the body of kick_user_out, ban_room_member and unban_room_member.
type memberBatch struct {
	roomRef
	MemberList_Account []string
	Reason             string
	Duration           int64
}

// decodeMemberBatch decodes and checks a memberBatch.
func decodeMemberBatch(c *call) (*memberBatch, error) {
	var req memberBatch
	if err := decodeRoom(c, &req); err != nil {
		return nil, err
	}
	if err := checkCount("MemberList_Account", len(req.MemberList_Account), maxAccountList); err != nil {
		return nil, err
	}
	for _, id := range req.MemberList_Account {
		if err := roomd.ValidateID("MemberList_Account item", id); err != nil {
			return nil, err
		}
	}
	if len(req.Reason) > maxReasonLen {
		return nil, roomd.Errorf(roomd.EINVALID, "Reason longer than %d bytes", maxReasonLen)
	}
	return &req, nil
}

// kickUserOut: {RoomId, MemberList_Account[], Reason}. Kicking the owner
// passes ownership to the longest-standing member. 100005 when none of the
// accounts was a member.
func (h *handler) kickUserOut(c *call) (any, error) {
	req, err := decodeMemberBatch(c)
	if err != nil {
		return nil, err
	}
	items, err := h.svc.RemoveMembers(c.ctx, c.actor(), c.app.ID, req.RoomId, req.MemberList_Account, req.Reason)
	if err != nil {
		return nil, err
	}
	if len(items) == len(req.MemberList_Account) {
		return nil, roomd.Errorf(roomd.ENOTMEMBER, "none of the accounts is a member of the room")
	}
	return nil, nil
}
