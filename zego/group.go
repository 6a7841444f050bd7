package zego

import (
	"github.com/roomd/roomd"
)

// attribute is one group attribute.
type attribute struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type createGroupParams struct {
	GroupId         string      `json:"GroupId"`
	GroupName       string      `json:"GroupName"`
	GroupNotice     string      `json:"GroupNotice"`
	GroupAvatar     string      `json:"GroupAvatar"`
	GroupOwner      string      `json:"GroupOwner"`
	UserId          []string    `json:"UserId"`
	Attributes      []attribute `json:"Attributes"`
	CreateGroupTime int64       `json:"CreateGroupTime"`
}

func (p *createGroupParams) check() error {
	if p.GroupId != "" {
		if err := checkGroupID(p.GroupId); err != nil {
			return err
		}
	}
	err := firstErr(
		checkRef("GroupOwner", p.GroupOwner),
		checkLen("GroupName", p.GroupName, maxGroupName),
		checkLen("GroupNotice", p.GroupNotice, maxGroupNotice),
		checkLen("GroupAvatar", p.GroupAvatar, maxAvatar),
	)
	if err != nil {
		return err
	}
	if len(p.UserId) > 0 {
		if err := checkIDs("UserId", p.UserId, maxBatch, checkRef); err != nil {
			return err
		}
	}
	if len(p.Attributes) > maxAttributes {
		return roomd.Errorf(roomd.EINVALID, "parameter error: more than %d Attributes", maxAttributes)
	}
	seen := make(map[string]bool, len(p.Attributes))
	for _, a := range p.Attributes {
		if a.Key == "" || seen[a.Key] {
			return roomd.Errorf(roomd.EINVALID, "parameter error: an attribute Key is empty or repeated")
		}
		seen[a.Key] = true
		if err := firstErr(checkLen("attribute Key", a.Key, maxAttrKey), checkLen("attribute Value", a.Value, maxAttrValue)); err != nil {
			return err
		}
	}
	return nil
}

// member is one entry of CreateGroup's Members.
type member struct {
	UserId   string `json:"UserId"`
	UserName string `json:"UserName"`
}

type createGroupReply struct {
	errorUsers
	GroupId string   `json:"GroupId"`
	Members []member `json:"Members"`
}

// createGroup creates a group owned by GroupOwner with the given members;
// members that cannot join are ErrorUsers entries and the group is created
// without them (Code 0).
func (h *handler) createGroup(c *call, p *createGroupParams) (reply, error) {
	created, err := msTime("CreateGroupTime", p.CreateGroupTime)
	if err != nil {
		return nil, err
	}
	r := roomd.Room{AppID: c.app.ID, ID: p.GroupId, Name: p.GroupName, Notice: p.GroupNotice, Avatar: p.GroupAvatar, Owner: p.GroupOwner, CreatedAt: created}
	for _, a := range p.Attributes {
		r.Attributes = append(r.Attributes, roomd.Attribute{Key: a.Key, Value: a.Value})
	}
	room, items, err := h.svc.CreateRoom(c.ctx, roomd.Actor{ID: p.GroupOwner}, r, p.UserId)
	if err != nil {
		return nil, err
	}
	rep := &createGroupReply{GroupId: room.ID, Members: []member{}}
	rep.ErrorUsers = c.items(&rep.result, items, 0)
	failed := make(map[string]bool, len(items))
	for _, it := range items {
		failed[it.ID] = true
	}
	ids := []string{room.Owner}
	for _, id := range p.UserId {
		if !failed[id] && id != room.Owner {
			failed[id] = true // de-duplicates
			ids = append(ids, id)
		}
	}
	users, _, err := h.svc.Users(c.ctx, c.app.ID, ids)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		rep.Members = append(rep.Members, member{UserId: u.ID, UserName: u.Name})
	}
	return rep, nil
}

// dismissGroup dismisses a group; FromUserId may be any registered user.
func (h *handler) dismissGroup(c *call, p *groupOp) (reply, error) {
	return &result{}, h.svc.DismissRoom(c.ctx, p.actor(), c.app.ID, p.GroupId)
}

type groupInfoReply struct {
	result
	GroupId          string      `json:"GroupId"`
	GroupName        string      `json:"GroupName"`
	GroupNotice      string      `json:"GroupNotice"`
	GroupAvatar      string      `json:"GroupAvatar"`
	GroupCreateTime  int64       `json:"GroupCreateTime"`
	GroupAttributes  []attribute `json:"GroupAttributes"`
	GroupDataSeq     int64       `json:"GroupDataSeq"`
	IsAllForbid      bool        `json:"IsAllForbid"`
	ForbidList       []int       `json:"ForbidList"`
	ForbidExpireTime int64       `json:"ForbidExpireTime"`
	LimitInfo        limitInfo   `json:"LimitInfo"`
	// Extensions.
	GroupOwner  string `json:"GroupOwner"`
	MemberCount int    `json:"MemberCount"`
}

// queryGroupInfo returns a group's settings; FromUserId must be registered
// (the Service's ENOUSER: 660500002).
func (h *handler) queryGroupInfo(c *call, p *groupOp) (reply, error) {
	room, mute, err := h.svc.RoomAndMute(c.ctx, p.actor(), c.app.ID, p.GroupId)
	if err != nil {
		return nil, err
	}
	rep := &groupInfoReply{
		GroupId: room.ID, GroupName: room.Name, GroupNotice: room.Notice, GroupAvatar: room.Avatar,
		GroupCreateTime: room.CreatedAt.UnixMilli(), GroupAttributes: make([]attribute, len(room.Attributes)),
		GroupDataSeq: room.Seq, ForbidList: []int{}, LimitInfo: limitInfoOf(room), GroupOwner: room.Owner, MemberCount: room.MemberCount,
	}
	rep.IsAllForbid, rep.ForbidList, rep.ForbidExpireTime = forbidInfo(mute)
	for i, a := range room.Attributes {
		rep.GroupAttributes[i] = attribute(a)
	}
	return rep, nil
}

type appGroupListParams struct{ paging }

func (p *appGroupListParams) check() error { return p.paging.check(defGroupList, maxGroupList) }

// groupEntry is one entry of QueryAppGroupList's GroupIdList.
type groupEntry struct {
	GroupId   string `json:"GroupId"`
	GroupName string `json:"GroupName"`
}

type appGroupListReply struct {
	pageReply
	GroupIdList []groupEntry `json:"GroupIdList"`
}

// queryAppGroupList pages through the app's groups in GroupId order.
func (h *handler) queryAppGroupList(c *call, p *appGroupListParams) (reply, error) {
	rooms, total, err := h.svc.Rooms(c.ctx, c.app.ID, p.Next, p.Limit)
	if err != nil {
		return nil, err
	}
	rep := &appGroupListReply{pageReply: p.pageOf(len(rooms), total), GroupIdList: make([]groupEntry, len(rooms))}
	for i, r := range rooms {
		rep.GroupIdList[i] = groupEntry{GroupId: r.ID, GroupName: r.Name}
	}
	return rep, nil
}
