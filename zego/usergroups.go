package zego

import (
	"encoding/base64"

	"github.com/roomd/roomd"
)

// maxUserGroups is the most groups one QueryGroupsInfoOfUser page holds.
const maxUserGroups = 100

// noMorePages is the NextRsp of a last page.
const noMorePages = "0"

type userGroupsParams struct {
	FromUserId string `json:"FromUserId"` // the user whose groups are listed
	Limit      int    `json:"Limit"`
	Next       string `json:"Next"` // "" for the first page, then the previous NextRsp
	after      string // the GroupId Next stands for
}

// check validates the user, the Limit (1-100, required) and the Next
// cursor: "" or a NextRsp roomd gave.
func (p *userGroupsParams) check() error {
	if err := checkRef("FromUserId", p.FromUserId); err != nil {
		return err
	}
	if p.Limit < 1 || p.Limit > maxUserGroups {
		return roomd.Errorf(roomd.EINVALID, "parameter error: Limit must be 1 to %d", maxUserGroups)
	}
	if p.Next == "" {
		return nil
	}
	after, err := base64.RawURLEncoding.DecodeString(p.Next)
	if err != nil || roomd.ValidateID("Next", string(after)) != nil {
		return roomd.Errorf(roomd.EINVALID, "parameter error: Next is not a NextRsp of an earlier page")
	}
	p.after = string(after)
	return nil
}

// nextCursor is the NextRsp of a page whose last group is id: the id in
// unpadded base64url, which is never "0" (the last page's NextRsp).
func nextCursor(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

// userGroup is one entry of QueryGroupsInfoOfUser's GroupInfoList.
type userGroup struct {
	GroupId     string `json:"GroupId"`
	GroupName   string `json:"GroupName"`
	GroupAvatar string `json:"GroupAvatar"`
}

type userGroupsReply struct {
	result
	// NextRsp is the Next of the following page: "0" when nothing is left.
	NextRsp         string      `json:"NextRsp"`
	HasJoinGroupNum int64       `json:"HasJoinGroupNum"`
	GroupInfoList   []userGroup `json:"GroupInfoList"`
}

// queryGroupsInfoOfUser pages through the groups FromUserId is a member
// of, in GroupId order. Next is a cursor (the last GroupId of the previous
// page), so that groups joined or left between pages shift nothing else.
func (h *handler) queryGroupsInfoOfUser(c *call, p *userGroupsParams) (reply, error) {
	// One more than asked tells whether another page follows.
	rooms, total, err := h.svc.JoinedRooms(c.ctx, c.app.ID, p.FromUserId, p.after, p.Limit+1)
	if err != nil {
		return nil, err
	}
	rep := &userGroupsReply{NextRsp: noMorePages, HasJoinGroupNum: int64(total)}
	if len(rooms) > p.Limit {
		rooms = rooms[:p.Limit]
		rep.NextRsp = nextCursor(rooms[len(rooms)-1].ID)
	}
	rep.GroupInfoList = make([]userGroup, len(rooms))
	for i, r := range rooms {
		rep.GroupInfoList[i] = userGroup{GroupId: r.ID, GroupName: r.Name, GroupAvatar: r.Avatar}
	}
	return rep, nil
}
