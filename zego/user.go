package zego

import (
	"github.com/roomd/roomd"
)

// userInfo is one user of UserRegister.
type userInfo struct {
	UserId     string `json:"UserId"`
	UserName   string `json:"UserName"`
	UserAvatar string `json:"UserAvatar"`
}

type userRegisterParams struct {
	UserInfo []userInfo `json:"UserInfo"`
}

// check validates the users: the vendor's id rule (they are created here)
// and lengths, then the domain's text rules, so that one bad user fails the
// whole request as a parameter error.
func (p *userRegisterParams) check() error {
	ids := make([]string, len(p.UserInfo))
	for i, u := range p.UserInfo {
		ids[i] = u.UserId
		if err := firstErr(checkLen("UserName", u.UserName, maxUserName), checkLen("UserAvatar", u.UserAvatar, maxAvatar)); err != nil {
			return err
		}
	}
	if err := checkIDs("UserInfo", ids, maxBatch, checkNewID); err != nil {
		return err
	}
	for _, u := range p.UserInfo {
		if err := paramErr(u.user().Validate()); err != nil {
			return err
		}
	}
	return nil
}

// user returns the domain user registered for u.
func (u userInfo) user() *roomd.User {
	return &roomd.User{ID: u.UserId, Name: u.UserName, Avatar: u.UserAvatar}
}

// userRegister registers up to 100 users; one already registered is a
// 660700002 entry of ErrorList.
func (h *handler) userRegister(c *call, p *userRegisterParams) (reply, error) {
	users := make([]roomd.User, len(p.UserInfo))
	for i, u := range p.UserInfo {
		users[i] = *u.user()
	}
	items, err := h.svc.RegisterUsers(c.ctx, c.app.ID, users, false)
	if err != nil {
		return nil, err
	}
	rep := &errorList{}
	rep.ErrorList = c.items(&rep.result, items, len(users))
	return rep, nil
}

type queryUserInfosParams struct {
	UserIds []string `json:"UserIds"`
}

func (p *queryUserInfosParams) check() error {
	return checkIDs("UserIds", p.UserIds, maxBatch, checkRef)
}

// userProfile is one entry of QueryUserInfos' Result.
type userProfile struct {
	UserId     string `json:"UserId"`
	UserName   string `json:"UserName"`
	UserAvatar string `json:"UserAvatar"`
	Extra      string `json:"Extra"`
}

type queryUserInfosReply struct {
	errorList
	Result []userProfile `json:"Result"`
}

// queryUserInfos returns the profiles of up to 100 users; one not registered
// is a 660500002 entry of ErrorList.
func (h *handler) queryUserInfos(c *call, p *queryUserInfosParams) (reply, error) {
	users, items, err := h.svc.Users(c.ctx, c.app.ID, p.UserIds)
	if err != nil {
		return nil, err
	}
	rep := &queryUserInfosReply{Result: make([]userProfile, len(users))}
	for i, u := range users {
		rep.Result[i] = userProfile{UserId: u.ID, UserName: u.Name, UserAvatar: u.Avatar, Extra: u.Extra}
	}
	rep.ErrorList = c.items(&rep.result, items, len(p.UserIds))
	return rep, nil
}
