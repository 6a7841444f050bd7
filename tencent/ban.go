package tencent

import (
	"math"
	"time"

	"github.com/roomd/roomd"
)

// Vendor limits of the ban APIs.
const (
	maxBanPage     = 100 // get_banned_member_list Limit
	defaultBanPage = 100 // Limit when absent (roomd's choice)
)

// banRoomMember: {RoomId, MemberList_Account[], Reason, Duration}. Members
// among the accounts are removed (ownership passes on as for kick_user_out);
// all of them are kept out for Duration seconds (0: until unbanned).
func (h *handler) banRoomMember(c *call) (any, error) {
	req, err := decodeMemberBatch(c)
	if err != nil {
		return nil, err
	}
	if req.Duration < 0 || req.Duration > math.MaxUint32 {
		return nil, roomd.Errorf(roomd.EINVALID, "Duration must be 0 to %d seconds", uint32(math.MaxUint32))
	}
	// Item errors only report accounts left after the last member went and
	// the room with it: there is nothing left to ban them from.
	_, err = h.svc.BanMembers(c.ctx, c.actor(), c.app.ID, req.RoomId, req.MemberList_Account, time.Duration(req.Duration)*time.Second, req.Reason)
	return nil, err
}

// unbanRoomMember: {RoomId, MemberList_Account[]}; accounts that are not
// banned are ignored.
func (h *handler) unbanRoomMember(c *call) (any, error) {
	req, err := decodeMemberBatch(c)
	if err != nil {
		return nil, err
	}
	return nil, h.svc.UnbanMembers(c.ctx, c.actor(), c.app.ID, req.RoomId, req.MemberList_Account)
}

// bannedAccount is one entry of get_banned_member_list.
type bannedAccount struct {
	Member_Account string
	BannedUntil    int64 // unix seconds; 0: until unbanned
}

// getBannedMemberList: {RoomId, Limit, Offset} -> Response{BannedAccountList,
// NextOffset}; NextOffset 0 means there are no more.
func (h *handler) getBannedMemberList(c *call) (any, error) {
	var req struct {
		roomRef
		Limit  *int
		Offset int
	}
	if err := decodeRoom(c, &req); err != nil {
		return nil, err
	}
	limit := defaultBanPage
	if req.Limit != nil {
		limit = *req.Limit
	}
	if limit < 1 || limit > maxBanPage || req.Offset < 0 {
		return nil, roomd.Errorf(roomd.EINVALID, "Limit must be 1 to %d and Offset not negative", maxBanPage)
	}
	bans, total, err := h.svc.Bans(c.ctx, c.app.ID, req.RoomId, req.Offset, limit)
	if err != nil {
		return nil, err
	}
	out := struct {
		BannedAccountList []bannedAccount
		NextOffset        int
	}{BannedAccountList: make([]bannedAccount, 0, len(bans))}
	for _, b := range bans {
		a := bannedAccount{Member_Account: b.UserID}
		if !b.Until.IsZero() {
			a.BannedUntil = b.Until.Unix()
		}
		out.BannedAccountList = append(out.BannedAccountList, a)
	}
	if next := req.Offset + len(bans); len(bans) > 0 && next < total {
		out.NextOffset = next
	}
	return out, nil
}
