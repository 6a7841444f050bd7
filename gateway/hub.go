package gateway

import (
	"context"
	"sync"

	"github.com/roomd/roomd"
)

// roomKey names a room of an app; userKey a user of an app.
type (
	roomKey struct {
		app  uint32
		room string
	}
	userKey struct {
		app  uint32
		user string
	}
)

// live is a committed event on its way to connections, encoded once for all.
type live struct {
	ev      roomd.Event
	subject string // the user a member.joined or member.left is about
	frame   []byte
}

// Hub routes committed events to the connections that follow their rooms.
// It is the Service's roomd.Publisher: Publish runs on the request that
// committed the events, after the commit, and never blocks; a connection
// whose queue is full is cut off (4002) rather than waited for. The event
// log stays the source of truth: a connection that sees a gap in a room's
// seqs reads the missing events from the store, so events handed over out
// of commit order (concurrent requests) lose nothing.
type Hub struct {
	mu    sync.RWMutex
	rooms map[roomKey]map[*conn]struct{}
	users map[userKey]map[*conn]struct{}
	// presence, when set, is told when a user's first connection logs in
	// and when their last one ends (WatchPresence).
	presence func(app uint32, user string)
}

// WatchPresence makes the hub call f when a user may have come online
// (their first logged-in connection) or gone offline (their last one
// ended), such as to share who is online with the other nodes of a
// deployment. Calls for one user may come out of order: f should read the
// user's state (Online) rather than assume it. f is called outside the
// hub's lock and must not block; set it before serving.
func (h *Hub) WatchPresence(f func(app uint32, user string)) {
	h.presence = f
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	return &Hub{rooms: make(map[roomKey]map[*conn]struct{}), users: make(map[userKey]map[*conn]struct{})}
}

var _ roomd.Publisher = (*Hub)(nil)

// Publish hands events to the connections of their rooms' members, and each
// member.joined also to the connections of the user it adds.
func (h *Hub) Publish(_ context.Context, events []roomd.Event) {
	for i := range events {
		e := &events[i]
		l := &live{ev: *e, subject: e.Subject()}
		h.mu.RLock()
		subs := h.rooms[roomKey{e.AppID, e.RoomID}]
		var joiner map[*conn]struct{}
		if e.Type == roomd.EventMemberJoined {
			joiner = h.users[userKey{e.AppID, l.subject}]
		}
		if len(subs) > 0 || len(joiner) > 0 {
			l.frame = encodeEvent(e)
		}
		for c := range subs {
			c.push(l)
		}
		for c := range joiner {
			if _, seen := subs[c]; !seen {
				c.push(l)
			}
		}
		h.mu.RUnlock()
	}
}

// addUser registers c for the member.joined events of its user.
func (h *Hub) addUser(c *conn) {
	h.mu.Lock()
	k := userKey{c.app.ID, c.user}
	if h.users[k] == nil {
		h.users[k] = make(map[*conn]struct{})
	}
	h.users[k][c] = struct{}{}
	first := len(h.users[k]) == 1
	h.mu.Unlock()
	if first && h.presence != nil {
		h.presence(k.app, k.user)
	}
}

// subscribe makes c receive the events of room.
func (h *Hub) subscribe(c *conn, room string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	k := roomKey{c.app.ID, room}
	if h.rooms[k] == nil {
		h.rooms[k] = make(map[*conn]struct{})
	}
	h.rooms[k][c] = struct{}{}
}

// unsubscribe stops the events of room for c.
func (h *Hub) unsubscribe(c *conn, room string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.unsubscribeLocked(c, room)
}

// unsubscribeLocked is unsubscribe with h.mu held.
func (h *Hub) unsubscribeLocked(c *conn, room string) {
	k := roomKey{c.app.ID, room}
	delete(h.rooms[k], c)
	if len(h.rooms[k]) == 0 {
		delete(h.rooms, k)
	}
}

// remove forgets c entirely.
func (h *Hub) remove(c *conn, rooms []string) {
	h.mu.Lock()
	for _, room := range rooms {
		h.unsubscribeLocked(c, room)
	}
	k := userKey{c.app.ID, c.user}
	_, had := h.users[k][c]
	delete(h.users[k], c)
	last := had && len(h.users[k]) == 0
	if len(h.users[k]) == 0 {
		delete(h.users, k)
	}
	h.mu.Unlock()
	if last && h.presence != nil {
		h.presence(k.app, k.user)
	}
}

// Subscribers returns the number of connections following room; for tests
// and benchmarks.
func (h *Hub) Subscribers(app uint32, room string) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.rooms[roomKey{app, room}])
}
