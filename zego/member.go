package zego

import (
	"github.com/roomd/roomd"
)

// memberInfo is one entry of InviteUsersIntoGroup's GroupMemberInfos.
// IsInvite is accepted and ignored (not declared: any JSON type passes).
type memberInfo struct {
	UserId         string `json:"UserId"`
	EnterGroupTime int64  `json:"EnterGroupTime"`
}

type inviteParams struct {
	groupOp
	UserIds          []string     `json:"UserIds"`
	GroupMemberInfos []memberInfo `json:"GroupMemberInfos"`
	adds             []roomd.MemberAdd
}

func (p *inviteParams) check() error {
	if err := p.groupOp.check(); err != nil {
		return err
	}
	ids := append([]string(nil), p.UserIds...)
	p.adds = make([]roomd.MemberAdd, 0, len(p.UserIds)+len(p.GroupMemberInfos))
	for _, id := range p.UserIds {
		p.adds = append(p.adds, roomd.MemberAdd{UserID: id})
	}
	for _, m := range p.GroupMemberInfos {
		joined, err := msTime("EnterGroupTime", m.EnterGroupTime)
		if err != nil {
			return err
		}
		ids = append(ids, m.UserId)
		p.adds = append(p.adds, roomd.MemberAdd{UserID: m.UserId, JoinedAt: joined})
	}
	return checkIDs("UserIds", ids, maxBatch, checkRef)
}

// inviteUsersIntoGroup adds up to 100 users (UserIds and GroupMemberInfos
// together) to a group; users that cannot join are ErrorUsers entries.
func (h *handler) inviteUsersIntoGroup(c *call, p *inviteParams) (reply, error) {
	items, err := h.svc.AddMembers(c.ctx, p.actor(), c.app.ID, p.GroupId, p.adds)
	if err != nil {
		return nil, err
	}
	rep := &errorUsers{}
	rep.ErrorUsers = c.items(&rep.result, items, len(p.adds))
	return rep, nil
}

type kickoutParams struct {
	groupOp
	UserId       []string `json:"UserId"`
	CustomReason string   `json:"CustomReason"`
}

func (p *kickoutParams) check() error {
	return firstErr(p.groupOp.check(), checkIDs("UserId", p.UserId, maxKickBatch, checkRef), checkLen("CustomReason", p.CustomReason, maxReason))
}

// kickoutGroupUser removes up to 50 users from a group; a user who is not a
// member is a 660600008 entry of ErrorList. Owner succession and dismissal
// of an emptied group are the Service's.
func (h *handler) kickoutGroupUser(c *call, p *kickoutParams) (reply, error) {
	items, err := h.svc.RemoveMembers(c.ctx, p.actor(), c.app.ID, p.GroupId, p.UserId, p.CustomReason)
	if err != nil {
		return nil, err
	}
	rep := &errorList{}
	rep.ErrorList = c.items(&rep.result, items, len(p.UserId))
	return rep, nil
}

type memberListParams struct {
	GroupId string `json:"GroupId"`
	paging
}

func (p *memberListParams) check() error {
	return firstErr(checkRef("GroupId", p.GroupId), p.paging.check(defMemberList, maxMemberList))
}

// memberEntry is one entry of QueryGroupMemberList's MemberList.
type memberEntry struct {
	UserId       string `json:"UserId"`
	UserName     string `json:"UserName"`
	UserNickName string `json:"UserNickName"`
	// Role is the vendor's field (1 owner, 2 admin, 3 member); a custom
	// role is answered as its number (100-255), as SetGroupMemberRole set it.
	Role       int `json:"Role"`
	MemberRole int `json:"MemberRole"` // extension, the same as Role (answered before the vendor had Role)
	// MuteExpiredTime (extension, the name of the vendor's client SDK): the
	// end of the member's own mute in Unix ms, -1 until lifted, 0 not muted.
	MuteExpiredTime int64 `json:"MuteExpiredTime"`
}

type memberListReply struct {
	pageReply
	MemberList []memberEntry `json:"MemberList"`
}

// queryGroupMemberList pages through a group's members in join order.
func (h *handler) queryGroupMemberList(c *call, p *memberListParams) (reply, error) {
	members, total, err := h.svc.Members(c.ctx, c.app.ID, p.GroupId, p.Next, p.Limit)
	if err != nil {
		return nil, err
	}
	mutes, _, err := h.svc.MemberMutes(c.ctx, c.app.ID, p.GroupId, 0, -1) // mute.go
	if err != nil {
		return nil, err
	}
	muted := make(map[string]int64, len(mutes))
	for _, m := range mutes {
		muted[m.UserID] = muteExpiry(m.Until)
	}
	rep := &memberListReply{pageReply: p.pageOf(len(members), total), MemberList: make([]memberEntry, len(members))}
	for i, m := range members {
		rep.MemberList[i] = memberEntry{UserId: m.UserID, UserName: m.UserName, UserNickName: m.NameCard, Role: int(m.Role), MemberRole: int(m.Role),
			MuteExpiredTime: muted[m.UserID]}
	}
	return rep, nil
}

type setRoleParams struct {
	groupOp
	ToUserId string `json:"ToUserId"`
	Role     int    `json:"Role"`
}

func (p *setRoleParams) check() error {
	return firstErr(p.groupOp.check(), checkRef("ToUserId", p.ToUserId))
}

// setGroupMemberRole sets a member's role (2, 3 or 100-255); the domain
// refuses Role 1 (660600029) and FromUserId == ToUserId (660600030).
func (h *handler) setGroupMemberRole(c *call, p *setRoleParams) (reply, error) {
	role := roomd.Role(p.Role)
	return &result{}, h.svc.UpdateMember(c.ctx, p.actor(), c.app.ID, p.GroupId, p.ToUserId, roomd.MemberUpdate{Role: &role})
}

type transferParams struct {
	groupOp
	NewOwner string `json:"NewOwner"`
}

func (p *transferParams) check() error {
	return firstErr(p.groupOp.check(), checkRef("NewOwner", p.NewOwner))
}

// transferGroupOwner makes NewOwner, a member, the owner. FromUserId need
// not be the owner; a transfer to the current owner succeeds.
func (h *handler) transferGroupOwner(c *call, p *transferParams) (reply, error) {
	return &result{}, h.svc.TransferOwner(c.ctx, p.actor(), c.app.ID, p.GroupId, p.NewOwner, "")
}
