package gateway

import "github.com/roomd/roomd"

var _ roomd.Presence = (*Hub)(nil)

// Online reports whether user of app has a logged-in connection now: one
// whose login credential was accepted and that has not ended since. It is
// the roomd.Presence the dialects answer online states from (ZEGO's
// QueryUserOnlineState). A connection counts from the moment its login is
// accepted, just before the login's reply, until its serving ends, just
// after it closes.
func (h *Hub) Online(app uint32, user string) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.users[userKey{app, user}]) > 0
}
