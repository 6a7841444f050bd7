package sqlite

import (
	"maps"
	"slices"

	"github.com/roomd/roomd"
)

// cache holds users, live rooms and memberships as the writer's transaction
// sees them, so that the lookups every update starts with (the operator, the
// room, the member) do not go back to SQLite. Only the writer goroutine uses
// it, and the writer is the database's only writer, so an entry can only go
// stale through the writer's own statements: each write either updates the
// entries it changes exactly or drops them. Every change to the cache inside
// a transaction, a lookup's fill included, records how to undo it, so that a
// transaction or savepoint rolled back in SQLite is rolled back here too.
// Readers (View) never use it.
type cache struct {
	users   map[userKey]*roomd.User
	rooms   map[roomKey]*roomd.Room
	members map[roomKey]map[string]*roomd.Member
	pos     map[uint32]int64 // each app's last event position
	undo    []func()
	commits int
}

type userKey struct {
	app uint32
	id  string
}

type roomKey struct {
	app uint32
	id  string
}

// maxCached bounds the entries kept; past it the cache is emptied at the
// next commit and fills again from what updates touch.
const maxCached = 200_000

func newCache() *cache {
	c := &cache{}
	c.clear()
	return c
}

func (c *cache) clear() {
	c.users = map[userKey]*roomd.User{}
	c.rooms = map[roomKey]*roomd.Room{}
	c.members = map[roomKey]map[string]*roomd.Member{}
	c.pos = map[uint32]int64{}
	clear(c.undo)
	c.undo = c.undo[:0]
}

// mark returns the point rollback returns to (a savepoint).
func (c *cache) mark() int { return len(c.undo) }

// rollback undoes every change since mark.
func (c *cache) rollback(mark int) {
	for i := len(c.undo) - 1; i >= mark; i-- {
		c.undo[i]()
		c.undo[i] = nil
	}
	c.undo = c.undo[:mark]
}

// commit keeps every change of the transaction.
func (c *cache) commit() {
	clear(c.undo)
	c.undo = c.undo[:0]
	if c.commits++; c.commits%1024 == 0 && c.entries() > maxCached {
		c.clear()
	}
}

func (c *cache) entries() int {
	n := len(c.users) + len(c.rooms) + len(c.pos)
	for _, ms := range c.members {
		n += len(ms)
	}
	return n
}

// setUser caches u (nil: forgets the user).
func (c *cache) setUser(k userKey, u *roomd.User) {
	old, had := c.users[k]
	c.put(func() { setOrDelete(c.users, k, old, had) })
	setOrDelete(c.users, k, u, u != nil)
}

// setRoom caches r (nil: forgets the room).
func (c *cache) setRoom(k roomKey, r *roomd.Room) {
	old, had := c.rooms[k]
	c.put(func() { setOrDelete(c.rooms, k, old, had) })
	setOrDelete(c.rooms, k, r, r != nil)
}

// setMember caches m as the membership of user in room (nil: forgets it).
func (c *cache) setMember(k roomKey, user string, m *roomd.Member) {
	ms := c.members[k]
	if ms == nil {
		if m == nil {
			return
		}
		ms = map[string]*roomd.Member{}
		c.members[k] = ms
	}
	old, had := ms[user]
	c.put(func() { setOrDelete(ms, user, old, had) })
	setOrDelete(ms, user, m, m != nil)
}

// setPos caches app's last event position.
func (c *cache) setPos(app uint32, pos int64) {
	old, had := c.pos[app]
	c.put(func() { setOrDelete(c.pos, app, old, had) })
	c.pos[app] = pos
}

// setRole changes the role of a cached membership, if it is cached.
func (c *cache) setRole(k roomKey, user string, role roomd.Role) {
	if m, ok := c.members[k][user]; ok {
		m = copyMember(m)
		m.Role = role
		c.setMember(k, user, m)
	}
}

// dropMembers forgets every cached membership of a room.
func (c *cache) dropMembers(k roomKey) {
	if ms, had := c.members[k]; had {
		c.put(func() { c.members[k] = ms })
		delete(c.members, k)
	}
}

func (c *cache) put(undo func()) { c.undo = append(c.undo, undo) }

func setOrDelete[K comparable, V any](m map[K]V, k K, v V, set bool) {
	if set {
		m[k] = v
	} else {
		delete(m, k)
	}
}

// Copies handed out and taken in: callers may modify what they get, and
// what the cache keeps must be what SQLite would return.

func copyUser(u *roomd.User) *roomd.User {
	v := *u
	v.CreatedAt = fromNanos(nanos(u.CreatedAt))
	return &v
}

func copyRoom(r *roomd.Room) *roomd.Room {
	v := *r
	v.Attributes = slices.Clone(r.Attributes)
	v.Props = maps.Clone(r.Props)
	v.MemberCount = 0
	return &v
}

func copyMember(m *roomd.Member) *roomd.Member {
	v := *m
	v.JoinedAt = fromNanos(nanos(m.JoinedAt))
	v.UserName = ""
	return &v
}
