package zego

import "github.com/roomd/roomd"

// maxExtra is the most bytes in a user's Extra (the vendor's default; it
// raises it to 32 KB on request, roomd does not).
const maxExtra = 2048

// userChange is one user of ModifyUserInfo. A field left out (or null)
// keeps its value; "" clears it (roomd's choice: the vendor does not say).
type userChange struct {
	UserId     string  `json:"UserId"`
	UserName   *string `json:"UserName"`
	UserAvatar *string `json:"UserAvatar"`
	Extra      *string `json:"Extra"`
}

type modifyUserInfoParams struct {
	UserInfo []userChange `json:"UserInfo"`
}

// check validates the changes like UserRegister's users: one bad entry
// (an id, a length, a text rule) fails the whole request with 660000002.
// The ids address registered users, so the domain's id rule applies.
func (p *modifyUserInfoParams) check() error {
	switch {
	case len(p.UserInfo) == 0:
		return roomd.Errorf(roomd.EINVALID, "parameter error: UserInfo is required")
	case len(p.UserInfo) > maxBatch:
		return roomd.Errorf(roomd.ELIMIT, "too many users in one call: at most %d", maxBatch)
	}
	for _, u := range p.UserInfo {
		name, avatar, extra := deref(u.UserName), deref(u.UserAvatar), deref(u.Extra)
		err := firstErr(
			checkRef("UserId", u.UserId),
			checkLen("UserName", name, maxUserName),
			checkLen("UserAvatar", avatar, maxAvatar),
			checkLen("Extra", extra, maxExtra),
			paramErr(roomd.ValidateName("UserName", name)),
			paramErr(roomd.ValidateName("UserAvatar", avatar)),
			paramErr(roomd.ValidateText("Extra", extra)),
		)
		if err != nil {
			return err
		}
	}
	return nil
}

// deref returns *s, or "" for nil.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// modifyUserInfo changes the profiles of up to 100 registered users; one
// not registered is a 660700012 entry of ErrorList.
func (h *handler) modifyUserInfo(c *call, p *modifyUserInfoParams) (reply, error) {
	updates := make([]roomd.UserUpdate, len(p.UserInfo))
	for i, u := range p.UserInfo {
		updates[i] = roomd.UserUpdate{ID: u.UserId, Name: u.UserName, Avatar: u.UserAvatar, Extra: u.Extra}
	}
	items, err := h.svc.UpdateUsers(c.ctx, c.app.ID, updates)
	if err != nil {
		return nil, err
	}
	rep := &errorList{}
	rep.ErrorList = c.items(&rep.result, items, len(updates))
	return rep, nil
}
