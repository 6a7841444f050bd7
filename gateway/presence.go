package gateway

import (
	"context"

	"github.com/roomd/roomd"
)

var _ roomd.Presence = (*Hub)(nil)

// Online returns those of users of app that have a logged-in connection
// now: one
// whose login credential was accepted and that has not ended since. It is
// the roomd.Presence the dialects answer online states from (ZEGO's
// QueryUserOnlineState). A connection counts from the moment its login is
// accepted, just before the login's reply, until its serving ends, just
// after it closes.
func (h *Hub) Online(_ context.Context, app uint32, users []string) (map[string]bool, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make(map[string]bool)
	for _, u := range users {
		if len(h.users[userKey{app, u}]) > 0 {
			out[u] = true
		}
	}
	return out, nil
}
