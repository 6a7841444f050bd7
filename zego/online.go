package zego

// Status values of QueryUserOnlineState.
const (
	statusOnline  = "Online"
	statusOffline = "Offline"
)

type onlineStateParams struct {
	UserId []string `json:"UserId"`
}

// check validates the ids: 1-100 ids of registered users, by the domain's rule.
func (p *onlineStateParams) check() error {
	return checkIDs("UserId", p.UserId, maxBatch, checkRef)
}

// onlineState is one entry of QueryUserOnlineState's Result.
type onlineState struct {
	UserId string `json:"UserId"`
	Status string `json:"Status"`
}

type onlineStateReply struct {
	errorList
	Result []onlineState `json:"Result"`
}

// queryUserOnlineState answers whether each user is connected to the
// real-time gateway now. A registered user is Online or Offline (also one
// that never logged in: roomd keeps no login history); an id that is not
// registered is a 660200001 entry of ErrorList.
func (h *handler) queryUserOnlineState(c *call, p *onlineStateParams) (reply, error) {
	states, items, err := h.svc.OnlineStates(c.ctx, c.app.ID, p.UserId, h.online)
	if err != nil {
		return nil, err
	}
	rep := &onlineStateReply{Result: make([]onlineState, len(states))}
	for i, s := range states {
		rep.Result[i] = onlineState{UserId: s.ID, Status: statusOffline}
		if s.Online {
			rep.Result[i].Status = statusOnline
		}
	}
	rep.ErrorList = c.items(&rep.result, items, len(p.UserId))
	return rep, nil
}
