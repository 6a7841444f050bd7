package zego

// route is one action of the dialect.
type route struct {
	method string // the vendor's HTTP method; roomd accepts any (see decode)
	handle func(h *handler, c *call) (reply, error)
	limit  rateLimit
}

// rateLimit is an action's documented call rate: app-wide, or per GroupId
// when perGroup is set. Apps with RateLimitsOff skip it.
type rateLimit struct {
	perSecond float64
	burst     int
	perGroup  bool
}

var (
	perApp20  = rateLimit{perSecond: 20, burst: 20}
	perApp1   = rateLimit{perSecond: 1, burst: 1}
	perGroup1 = rateLimit{perSecond: 1, burst: 1, perGroup: true}
)

const get, post = "GET", "POST"

// routes lists every action: its method, handler and rate limit.
var routes = map[string]*route{
	"UserRegister":          {post, handle((*handler).userRegister), perApp20},
	"QueryUserInfos":        {post, handle((*handler).queryUserInfos), perApp20},
	"CreateGroup":           {post, handle((*handler).createGroup), perApp20},
	"DismissGroup":          {get, handle((*handler).dismissGroup), perGroup1},
	"QueryGroupInfo":        {post, handle((*handler).queryGroupInfo), perApp20},
	"QueryAppGroupList":     {get, handle((*handler).queryAppGroupList), perApp1},
	"InviteUsersIntoGroup":  {post, handle((*handler).inviteUsersIntoGroup), perGroup1},
	"KickoutGroupUser":      {post, handle((*handler).kickoutGroupUser), perApp20},
	"QueryGroupMemberList":  {post, handle((*handler).queryGroupMemberList), perApp20},
	"SetGroupMemberRole":    {get, handle((*handler).setGroupMemberRole), perApp20},
	"TransferGroupOwner":    {get, handle((*handler).transferGroupOwner), perGroup1},
	"ModifyUserInfo":        {post, handle((*handler).modifyUserInfo), perApp20},
	"QueryGroupsInfoOfUser": {post, handle((*handler).queryGroupsInfoOfUser), perApp20},
	"QueryUserOnlineState":  {get, handle((*handler).queryUserOnlineState), perApp20},

	// Group data and mutes (groupdata.go, mute.go).
	"UpdateGroupData":         {post, handle((*handler).updateGroupData), perApp20},
	"ModifyGroupAttribute":    {post, handle((*handler).modifyGroupAttribute), perApp20},
	"ModifyGroupLimit":        {get, handle((*handler).modifyGroupLimit), perApp20},
	"SetGroupMembersNickname": {post, handle((*handler).setGroupMembersNickname), perGroup1},
	"MuteGroup":               {get, handle((*handler).muteGroup), perApp20},
	"MuteGroupMembers":        {get, handle((*handler).muteGroupMembers), perApp20},
	"FetchForbidGroupList":    {post, handle((*handler).fetchForbidGroupList), perApp20},
}

// handle adapts an action's handler, which takes its decoded parameters, to
// a route: it decodes and checks the parameters first (see handler.parse).
func handle[P any, PP interface {
	*P
	params
}](fn func(h *handler, c *call, p PP) (reply, error)) func(h *handler, c *call) (reply, error) {
	return func(h *handler, c *call) (reply, error) {
		p := PP(new(P))
		if err := h.parse(c, p); err != nil {
			return nil, err
		}
		return fn(h, c, p)
	}
}

// ActionMethod returns the HTTP method ("GET"/"POST") of an action and whether
// the action is known. GET actions carry their business parameters in the
// query string, POST actions in a JSON body.
func ActionMethod(action string) (method string, ok bool) {
	r, ok := routes[action]
	if !ok {
		return "", false
	}
	return r.method, true
}
