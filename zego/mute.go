package zego

import (
	"time"

	"github.com/roomd/roomd"
)

// The mute actions: MuteGroup, MuteGroupMembers and FetchForbidGroupList.
// Who may mute is the domain's rule (roomd's mute.go): the owner, an admin
// (not the owner role, only members below admin), or a registered user who
// is not a member of the group (the vendor's 2025-06 release notes); a
// member with another role gets 660600032.

// Limits of the mute actions.
const (
	maxMuteRoles    = 20        // roles of one MuteGroup
	maxMuteUsers    = 20        // users of one MuteGroupMembers
	maxMuteDuration = 2_592_000 // seconds (30 days)
)

// forbidPage is how many groups one FetchForbidGroupList answers (the
// vendor's 10,000 at most): a page of about 50 KB. Tests lower it.
var forbidPage = 1000

// Mute kinds, the bits of FetchForbidGroupList's ForbidType.
const (
	forbidAll   = 1
	forbidRoles = 2
	forbidUsers = 4
)

// checkDuration validates a mute Duration in seconds: -1 (until lifted), 0
// (lift) or 1 to 2,592,000.
func checkDuration(d *int64) error {
	if d != nil && (*d < -1 || *d > maxMuteDuration) {
		return roomd.Errorf(roomd.EINVALID, "parameter error: Duration must be -1, 0 or 1 to %d seconds", maxMuteDuration)
	}
	return nil
}

// muteDuration converts a checked Duration (absent: 0) to the domain's.
func muteDuration(d *int64) time.Duration {
	switch {
	case d == nil:
		return 0
	case *d == -1:
		return roomd.MuteForever
	}
	return time.Duration(*d) * time.Second
}

type muteGroupParams struct {
	groupOp
	IsAllMuted *bool `json:"IsAllMuted"`
	// IsAllForbid is the old sample URL's spelling of IsAllMuted, used when
	// IsAllMuted is absent.
	IsAllForbid  *bool  `json:"IsAllForbid"`
	MuteRoleList []int  `json:"MuteRoleList"`
	Duration     *int64 `json:"Duration"`
}

func (p *muteGroupParams) check() error {
	if err := p.groupOp.check(); err != nil {
		return err
	}
	if len(p.MuteRoleList) > maxMuteRoles {
		return roomd.Errorf(roomd.EINVALID, "parameter error: more than %d roles in MuteRoleList", maxMuteRoles)
	}
	return checkDuration(p.Duration)
}

// muteGroup sets or lifts a group's group-level mute. With none of
// IsAllMuted, MuteRoleList and Duration, every mute of the group is lifted,
// the members' too. Otherwise Duration 0 (the default) lifts the group-level
// mute, and -1 or a number of seconds mutes everyone (IsAllMuted) or the
// roles listed, which replace those muted before.
func (h *handler) muteGroup(c *call, p *muteGroupParams) (reply, error) {
	all := p.IsAllMuted
	if all == nil {
		all = p.IsAllForbid
	}
	if all == nil && p.MuteRoleList == nil && p.Duration == nil {
		return &result{}, h.svc.LiftMutes(c.ctx, p.actor(), c.app.ID, p.GroupId)
	}
	roles := make([]roomd.Role, len(p.MuteRoleList))
	for i, r := range p.MuteRoleList {
		roles[i] = roomd.Role(r)
	}
	return &result{}, h.svc.MuteRoom(c.ctx, p.actor(), c.app.ID, p.GroupId, all != nil && *all, roles, muteDuration(p.Duration))
}

type muteMembersParams struct {
	groupOp
	UserIds  []string `json:"UserIds"`
	Duration *int64   `json:"Duration"`
}

func (p *muteMembersParams) check() error {
	if err := p.groupOp.check(); err != nil {
		return err
	}
	if len(p.UserIds) > maxMuteUsers {
		return roomd.Errorf(roomd.EINVALID, "parameter error: more than %d UserIds", maxMuteUsers)
	}
	return firstErr(checkIDs("UserIds", p.UserIds, maxMuteUsers, checkRef), checkDuration(p.Duration))
}

// muteGroupMembers mutes members for Duration seconds (-1: until lifted),
// or lifts their mutes (Duration 0, the default). Users that cannot be
// muted are ErrorUsers entries; when every one failed, Code is 660600033.
func (h *handler) muteGroupMembers(c *call, p *muteMembersParams) (reply, error) {
	items, err := h.svc.MuteMembers(c.ctx, p.actor(), c.app.ID, p.GroupId, p.UserIds, muteDuration(p.Duration))
	if err != nil {
		return nil, err
	}
	unique := make(map[string]bool, len(p.UserIds))
	for _, id := range p.UserIds {
		unique[id] = true
	}
	rep := &errorUsers{}
	rep.ErrorUsers = c.items(&rep.result, items, len(unique))
	return rep, nil
}

type forbidListParams struct {
	FromUserId string `json:"FromUserId"`
	StartFlag  int64  `json:"StartFlag"`
}

func (p *forbidListParams) check() error {
	if err := checkRef("FromUserId", p.FromUserId); err != nil {
		return err
	}
	if p.StartFlag < 0 || p.StartFlag > maxMemberCap {
		return roomd.Errorf(roomd.EINVALID, "parameter error: StartFlag must be 0 or a NextFlag answered before")
	}
	return nil
}

// forbidGroup is one entry of FetchForbidGroupList's GroupList.
type forbidGroup struct {
	GroupId    string `json:"GroupId"`
	ForbidType int    `json:"ForbidType"`
}

type forbidListReply struct {
	result
	FetchEnd  int           `json:"FetchEnd"`
	NextFlag  int64         `json:"NextFlag"`
	GroupList []forbidGroup `json:"GroupList"`
}

// fetchForbidGroupList pages through the app's groups that have a mute in
// force, by GroupId, forbidPage at a time. StartFlag is where a page starts
// (0, then the last NextFlag); FetchEnd is 1 and NextFlag 0 on the last
// page.
func (h *handler) fetchForbidGroupList(c *call, p *forbidListParams) (reply, error) {
	rooms, err := h.svc.MutedRooms(c.ctx, roomd.Actor{ID: p.FromUserId}, c.app.ID, int(p.StartFlag), forbidPage+1)
	if err != nil {
		return nil, err
	}
	rep := &forbidListReply{FetchEnd: 1, GroupList: []forbidGroup{}}
	if len(rooms) > forbidPage {
		rooms = rooms[:forbidPage]
		rep.FetchEnd, rep.NextFlag = 0, p.StartFlag+int64(forbidPage)
	}
	for _, r := range rooms {
		g := forbidGroup{GroupId: r.RoomID}
		if r.All {
			g.ForbidType |= forbidAll
		}
		if r.Roles {
			g.ForbidType |= forbidRoles
		}
		if r.Members {
			g.ForbidType |= forbidUsers
		}
		rep.GroupList = append(rep.GroupList, g)
	}
	return rep, nil
}

// muteExpiry is a mute's end as the vendor answers it: Unix milliseconds,
// -1 for a mute that lasts until lifted.
func muteExpiry(until time.Time) int64 {
	if until.IsZero() {
		return -1
	}
	return until.UnixMilli()
}

// forbidInfo returns QueryGroupInfo's IsAllForbid, ForbidList (the muted
// roles; [] when every member is) and ForbidExpireTime (0 without a mute)
// of a group-level mute in force, or nil.
func forbidInfo(m *roomd.RoomMute) (all bool, roles []int, expires int64) {
	roles = []int{}
	if m == nil {
		return false, roles, 0
	}
	for _, r := range m.Roles {
		roles = append(roles, int(r))
	}
	return m.All, roles, muteExpiry(m.Until)
}
