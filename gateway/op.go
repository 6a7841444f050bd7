package gateway

import (
	"context"
	"sort"

	"github.com/roomd/roomd"
)

// maxResume is the most rooms a login may resume.
const maxResume = 10000

// login checks the credential, registers the connection, answers with the
// user's rooms, and then sends what the client missed: for each resumed
// room the events after its seq, and for every room the events committed
// while the connection was being registered. It reports whether the login
// succeeded.
func (c *conn) login(ctx context.Context, f *clientFrame) bool {
	id := *f.ID
	if f.App == 0 || f.User == "" || (f.UserSig == "") == (f.Token == "") || len(f.Resume) > maxResume {
		c.fail(ctx, id, codeLoginFailed, "login needs app, user and one credential (usersig or token), and at most 10000 rooms to resume")
		return false
	}
	app := c.g.apps.App(f.App)
	if app == nil || c.g.verify == nil {
		c.fail(ctx, id, codeLoginFailed, "login failed")
		return false
	}
	if err := c.g.verify(app, f.User, f.UserSig, f.Token, c.g.clock()); err != nil {
		c.g.log.Info("gateway: login refused", "app", app.ID, "user", f.User, "remote", c.remote, "error", err)
		c.fail(ctx, id, codeLoginFailed, "login failed: bad, expired or other-app credential")
		return false
	}
	if _, items, err := c.g.svc.Users(ctx, app.ID, []string{f.User}); err != nil || len(items) > 0 {
		c.fail(ctx, id, codeLoginFailed, "login failed: the user is not registered")
		return false
	}
	c.app, c.user = app, f.User
	// Registered first, then the snapshot, then a catch-up read of the log:
	// an event committed at any point in between is either in the log read
	// or queued (and dropped as a duplicate if both).
	c.g.hub.addUser(c)
	rooms, err := c.g.svc.UserRooms(ctx, app.ID, c.user)
	if err != nil {
		c.answer(ctx, id, nil, err)
		return false
	}
	for _, r := range rooms {
		st := &roomState{last: r.Seq, member: true}
		if s, ok := f.Resume[r.Room]; ok && s >= 0 && s < r.Seq {
			st.last = s
		}
		c.rooms[r.Room] = st
		c.g.hub.subscribe(c, r.Room)
	}
	if !c.answer(ctx, id, map[string]any{"user": c.user, "rooms": roomInfos(rooms)}, nil) {
		return false
	}
	// Rooms left since: the events up to and including the removal (and
	// on, if the user came back after the snapshot).
	gone := make([]string, 0, len(f.Resume))
	for room := range f.Resume {
		if c.rooms[room] == nil && room != "" {
			gone = append(gone, room)
		}
	}
	sort.Strings(gone)
	for _, room := range gone {
		s := f.Resume[room]
		if s < 0 {
			continue
		}
		// Followed like the others while it is filled: if the user has
		// rejoined since the snapshot, the live member.joined queued
		// meanwhile is then a duplicate, dropped by seq, and the room stays.
		st := &roomState{last: s}
		c.rooms[room] = st
		c.g.hub.subscribe(c, room)
		if !c.fill(ctx, room, st, -1) {
			return false
		}
		c.settle(room, st)
	}
	for _, r := range rooms {
		if st := c.rooms[r.Room]; st != nil {
			if !c.fill(ctx, r.Room, st, -1) {
				return false
			}
			c.settle(r.Room, st)
		}
	}
	return true
}

// roomInfos converts room states to their wire form.
func roomInfos(rooms []roomd.RoomState) []roomInfo {
	out := make([]roomInfo, len(rooms))
	for i, r := range rooms {
		out[i] = roomInfo{Room: r.Room, Seq: r.Seq, Role: r.Role}
	}
	return out
}

// handle serves one op after login and writes its reply. The events an op
// causes are sent before its reply.
func (c *conn) handle(ctx context.Context, f *clientFrame) {
	id := *f.ID
	switch f.Op {
	case "login":
		c.fail(ctx, id, codeLoggedIn, "already logged in")
	case "ping":
		c.answer(ctx, id, nil, nil)
	case "rooms":
		rooms, err := c.g.svc.UserRooms(ctx, c.app.ID, c.user)
		c.answer(ctx, id, map[string]any{"rooms": roomInfos(rooms)}, err)
	case "enter_room", "leave_room":
		if f.Room == "" {
			c.answer(ctx, id, nil, roomd.Errorf(roomd.EINVALID, "room is required"))
			return
		}
		enter := c.g.svc.EnterRoom
		if f.Op == "leave_room" {
			enter = c.g.svc.LeaveRoom
		}
		seq, err := enter(ctx, c.app.ID, f.Room, c.user)
		c.drain(ctx)
		c.answer(ctx, id, map[string]any{"room": f.Room, "seq": seq}, err)
	case "sync":
		c.sync(ctx, id, f)
	case "take_seat", "leave_seat":
		c.seat(ctx, id, f) // seat.go
	default:
		c.fail(ctx, id, codeUnknownOp, "unknown op "+f.Op)
		c.stop(closeMalformed, "unknown op")
	}
}

// sync answers a pull of a room's log.
func (c *conn) sync(ctx context.Context, id int64, f *clientFrame) {
	limit := f.Limit
	if limit == 0 {
		limit = 100
	}
	if f.Room == "" {
		c.answer(ctx, id, nil, roomd.Errorf(roomd.EINVALID, "room is required"))
		return
	}
	page, err := c.g.svc.Feed(ctx, c.app.ID, f.Room, c.user, f.SinceSeq, limit)
	if err != nil {
		c.answer(ctx, id, nil, err)
		return
	}
	if page.Resync {
		c.writeJSON(ctx, reply{Type: "reply", ID: id, Code: codeResync, Message: "the events after since_seq are no longer kept",
			Data: map[string]int64{"seq": page.Seq}})
		return
	}
	events := make([]eventFrame, len(page.Events))
	for i := range page.Events {
		events[i] = newEventFrame(&page.Events[i])
	}
	c.answer(ctx, id, map[string]any{"events": events, "seq": page.Seq}, nil)
}
