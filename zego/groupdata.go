package zego

import (
	"encoding/json"

	"github.com/roomd/roomd"
)

// The group actions that change a group's data: UpdateGroupData,
// ModifyGroupAttribute, ModifyGroupLimit and SetGroupMembersNickname. Any
// registered FromUserId may call them (the vendor documents no permission
// code for them).

// Limits of these actions.
const (
	maxNicknames  = 20  // entries of one SetGroupMembersNickname
	maxNickname   = 256 // bytes in a Nickname
	maxMemberCap  = 1<<31 - 1
	maxAttrChange = roomd.MaxAttributes // attributes of one ModifyGroupAttribute
)

type updateGroupDataParams struct {
	groupOp
	// Absent: kept; "": cleared.
	GroupName   *string `json:"GroupName"`
	GroupNotice *string `json:"GroupNotice"`
	GroupAvatar *string `json:"GroupAvatar"`
}

// checkOpt is checkLen of an optional parameter.
func checkOpt(param string, v *string, max int) error {
	if v == nil {
		return nil
	}
	return checkLen(param, *v, max)
}

func (p *updateGroupDataParams) check() error {
	if err := p.groupOp.check(); err != nil {
		return err
	}
	if p.GroupName == nil && p.GroupNotice == nil && p.GroupAvatar == nil {
		return roomd.Errorf(roomd.EINVALID, "parameter error: give at least one of GroupName, GroupNotice and GroupAvatar")
	}
	return firstErr(
		checkOpt("GroupName", p.GroupName, maxGroupName),
		checkOpt("GroupNotice", p.GroupNotice, maxGroupNotice),
		checkOpt("GroupAvatar", p.GroupAvatar, maxAvatar),
	)
}

// updateGroupData changes a group's name, notice and avatar: the room's
// Name, Notice and Avatar, with a room.updated event.
func (h *handler) updateGroupData(c *call, p *updateGroupDataParams) (reply, error) {
	u := roomd.RoomUpdate{Name: p.GroupName, Notice: p.GroupNotice, Avatar: p.GroupAvatar}
	return &result{}, h.svc.UpdateRoom(c.ctx, p.actor(), c.app.ID, p.GroupId, u)
}

// The values of ModifyGroupAttribute's body Action.
const (
	attrSet    = 0
	attrDelete = 1
)

type modifyAttrParams struct {
	groupOp
	// Action is the body's own key, not the query's Action (the action's
	// name): raw JSON, which decodeQuery leaves alone, read by check.
	Action     json.RawMessage `json:"Action"`
	Attributes []attribute     `json:"Attributes"`
	del        bool
}

func (p *modifyAttrParams) check() error {
	if err := p.groupOp.check(); err != nil {
		return err
	}
	if len(p.Action) > 0 && string(p.Action) != "null" {
		var n int
		if err := json.Unmarshal(p.Action, &n); err != nil || (n != attrSet && n != attrDelete) {
			return roomd.Errorf(roomd.EINVALID, "parameter error: the body's Action must be 0 (set) or 1 (delete)")
		}
		p.del = n == attrDelete
	}
	if len(p.Attributes) == 0 {
		return required("Attributes")
	}
	if len(p.Attributes) > maxAttrChange {
		return roomd.Errorf(roomd.EINVALID, "parameter error: more than %d Attributes", maxAttrChange)
	}
	for _, a := range p.Attributes {
		if a.Key == "" {
			return roomd.Errorf(roomd.EINVALID, "parameter error: an attribute Key is empty")
		}
		if err := firstErr(checkLen("attribute Key", a.Key, maxAttrKey), checkLen("attribute Value", a.Value, maxAttrValue)); err != nil {
			return err
		}
	}
	return nil
}

// failKey is one entry of ModifyGroupAttribute's FailKeys.
type failKey struct {
	Key    string `json:"Key"`
	Reason string `json:"Reason"`
}

type modifyAttrReply struct {
	result
	FailKeys []failKey `json:"FailKeys"`
	// Attributes holds, twice nested as the vendor's does, the attributes
	// set, or those deleted with the values they had.
	Attributes struct {
		Attributes []attribute `json:"Attributes"`
	} `json:"Attributes"`
}

// modifyGroupAttribute sets (body Action 0) or deletes (1) group
// attributes. Setting is all or nothing (660300019 when the group would
// hold more than roomd.MaxAttributes); deleting a key the group does not
// have is a FailKeys entry. Either is one room.updated event.
func (h *handler) modifyGroupAttribute(c *call, p *modifyAttrParams) (reply, error) {
	rep := &modifyAttrReply{FailKeys: []failKey{}}
	rep.Attributes.Attributes = []attribute{}
	if !p.del {
		attrs := make([]roomd.Attribute, len(p.Attributes))
		for i, a := range p.Attributes {
			attrs[i] = roomd.Attribute(a)
		}
		if err := h.svc.SetRoomAttributes(c.ctx, p.actor(), c.app.ID, p.GroupId, attrs); err != nil {
			return nil, err
		}
		rep.Attributes.Attributes = append(rep.Attributes.Attributes, p.Attributes...)
		return rep, nil
	}
	keys := make([]string, len(p.Attributes))
	for i, a := range p.Attributes {
		keys[i] = a.Key
	}
	deleted, items, err := h.svc.DeleteRoomAttributes(c.ctx, p.actor(), c.app.ID, p.GroupId, keys)
	if err != nil {
		return nil, err
	}
	for _, a := range deleted {
		rep.Attributes.Attributes = append(rep.Attributes.Attributes, attribute(a))
	}
	for _, it := range items {
		rep.FailKeys = append(rep.FailKeys, failKey{Key: it.ID, Reason: it.Message})
	}
	return rep, nil
}

type groupLimitParams struct {
	groupOp
	JoinMode         *int   `json:"JoinMode"`
	InviteMode       *int   `json:"InviteMode"`
	BeInvitedMode    *int   `json:"BeInvitedMode"`
	MemberCountLimit *int64 `json:"MemberCountLimit"`
}

func (p *groupLimitParams) check() error {
	if err := p.groupOp.check(); err != nil {
		return err
	}
	if p.JoinMode == nil && p.InviteMode == nil && p.BeInvitedMode == nil && p.MemberCountLimit == nil {
		return roomd.Errorf(roomd.EINVALID, "parameter error: give at least one of JoinMode, InviteMode, BeInvitedMode and MemberCountLimit")
	}
	if n := p.MemberCountLimit; n != nil && (*n < 0 || *n > maxMemberCap) {
		return roomd.Errorf(roomd.EINVALID, "parameter error: MemberCountLimit must be 0 (roomd's default, %d) to %d", roomd.DefaultMaxMember, maxMemberCap)
	}
	return nil
}

// ptrAs converts an optional integer parameter to a domain type.
func ptrAs[T ~int](v *int) *T {
	if v == nil {
		return nil
	}
	t := T(*v)
	return &t
}

// modifyGroupLimit sets a group's verification modes and member limit:
// the room's JoinMode, InviteMode, BeInvitedMode (the domain checks their
// ranges) and MaxMembers (not below the member count), with a room.updated
// event.
func (h *handler) modifyGroupLimit(c *call, p *groupLimitParams) (reply, error) {
	u := roomd.RoomUpdate{
		JoinMode:      ptrAs[roomd.JoinMode](p.JoinMode),
		InviteMode:    ptrAs[roomd.InviteMode](p.InviteMode),
		BeInvitedMode: ptrAs[roomd.BeInvitedMode](p.BeInvitedMode),
	}
	if p.MemberCountLimit != nil {
		u.MaxMembers = new(int(*p.MemberCountLimit))
	}
	return &result{}, h.svc.UpdateRoom(c.ctx, p.actor(), c.app.ID, p.GroupId, u)
}

// nickname is one entry of SetGroupMembersNickname's UserIds (objects,
// despite the name).
type nickname struct {
	UserId   string `json:"UserId"`
	Nickname string `json:"Nickname"`
}

type setNicknameParams struct {
	groupOp
	UserIds []nickname `json:"UserIds"`
}

func (p *setNicknameParams) check() error {
	if err := p.groupOp.check(); err != nil {
		return err
	}
	if len(p.UserIds) == 0 {
		return required("UserIds")
	}
	if len(p.UserIds) > maxNicknames {
		return roomd.Errorf(roomd.ELIMIT, "too many users in one call: at most %d", maxNicknames)
	}
	for _, n := range p.UserIds {
		if err := firstErr(checkRef("UserId", n.UserId), checkLen("Nickname", n.Nickname, maxNickname)); err != nil {
			return err
		}
	}
	return nil
}

// setGroupMembersNickname sets members' group nicknames (their name cards,
// Tencent's NameCard), one member.updated event each; a user who is not a
// member is an ErrorUsers entry (660600024).
func (h *handler) setGroupMembersNickname(c *call, p *setNicknameParams) (reply, error) {
	cards := make([]roomd.NameCard, len(p.UserIds))
	for i, n := range p.UserIds {
		cards[i] = roomd.NameCard{UserID: n.UserId, NameCard: n.Nickname}
	}
	items, err := h.svc.SetNameCards(c.ctx, p.actor(), c.app.ID, p.GroupId, cards)
	if err != nil {
		return nil, err
	}
	rep := &errorUsers{}
	rep.ErrorUsers = c.items(&rep.result, items, len(cards))
	return rep, nil
}

// limitInfo is QueryGroupInfo's LimitInfo. The vendor's NumberMessage
// (history new members may read) is left out: roomd carries no messages.
type limitInfo struct {
	MemberCountLimit int `json:"MemberCountLimit"`
	JoinMode         int `json:"JoinMode"`
	InviteMode       int `json:"InviteMode"`
	BeInvitedMode    int `json:"BeInvitedMode"`
}

// limitInfoOf returns a room's LimitInfo; MemberCountLimit is the limit in
// force (roomd.DefaultMaxMember when the room sets none).
func limitInfoOf(r *roomd.Room) limitInfo {
	n := r.MaxMembers
	if n == 0 {
		n = roomd.DefaultMaxMember
	}
	return limitInfo{MemberCountLimit: n, JoinMode: int(r.JoinMode), InviteMode: int(r.InviteMode), BeInvitedMode: int(r.BeInvitedMode)}
}
