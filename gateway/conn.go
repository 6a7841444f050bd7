package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/roomd/roomd"
)

// conn is one client connection. Its reader (the HTTP handler's goroutine)
// only parses frames into ops; its run goroutine owns everything else: the
// login, the per-room state, the replies and every write, so that frames go
// out in one order and no lock guards the state.
type conn struct {
	g      *Gateway
	ws     *websocket.Conn
	remote string
	ops    chan *clientFrame

	// Set by login, then read-only.
	app  *roomd.App
	user string

	mu       sync.Mutex
	queue    []*live // live events waiting for run
	overflow bool    // the queue passed MaxQueue: the client is cut off
	wake     chan struct{}

	stopOnce   sync.Once
	stopped    chan struct{}
	stopCode   websocket.StatusCode
	stopReason string

	// Owned by run.
	rooms map[string]*roomState
}

// roomState is what a connection knows of one room: the last seq it has
// handed to the client, and whether the user is a member after it.
type roomState struct {
	last   int64
	member bool
}

func newConn(g *Gateway, ws *websocket.Conn, remote string) *conn {
	return &conn{g: g, ws: ws, remote: remote, ops: make(chan *clientFrame, maxPendingOps),
		wake: make(chan struct{}, 1), stopped: make(chan struct{}), rooms: make(map[string]*roomState)}
}

// push queues a live event for the client without blocking. Past MaxQueue
// the connection is marked as too far behind and gets nothing more.
func (c *conn) push(l *live) {
	c.mu.Lock()
	if c.overflow {
		c.mu.Unlock()
		return
	}
	if len(c.queue) >= c.g.limits.queue {
		c.overflow = true
		c.queue = nil
	} else {
		c.queue = append(c.queue, l)
	}
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// stop ends the connection with a close code and reason; the first call wins.
func (c *conn) stop(code websocket.StatusCode, reason string) {
	c.stopOnce.Do(func() {
		c.stopCode, c.stopReason = code, reason
		close(c.stopped)
	})
}

// serve reads the client's frames until the connection ends.
func (c *conn) serve(ctx context.Context) {
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.run(ctx)
	}()
	c.read(ctx)
	<-done
	if c.app != nil {
		c.g.log.Info("gateway: connection closed", "app", c.app.ID, "user", c.user, "remote", c.remote,
			"close_code", int(c.stopCode), "reason", c.stopReason, "duration_ms", float64(time.Since(start).Microseconds())/1000)
	}
}

// read parses frames into ops until the connection fails or is stopped.
func (c *conn) read(ctx context.Context) {
	for {
		typ, data, err := c.ws.Read(ctx)
		if err != nil {
			if s := websocket.CloseStatus(err); s != -1 {
				c.stop(s, "closed by the client")
			} else if errors.Is(err, websocket.ErrMessageTooBig) {
				c.stop(websocket.StatusMessageTooBig, "frame larger than 64 KiB")
			} else {
				c.stop(websocket.StatusAbnormalClosure, "connection lost")
			}
			return
		}
		f := &clientFrame{}
		if typ != websocket.MessageText || json.Unmarshal(data, f) != nil || f.ID == nil || f.Op == "" {
			c.stop(closeMalformed, "malformed frame: want a JSON object with an id and an op")
			return
		}
		select {
		case c.ops <- f:
		case <-c.stopped:
			return
		}
	}
}

// run logs the client in, then serves its ops and live events until the
// connection is stopped, and closes it with the stop's code.
func (c *conn) run(ctx context.Context) {
	defer func() {
		if c.app != nil {
			rooms := make([]string, 0, len(c.rooms))
			for r := range c.rooms {
				rooms = append(rooms, r)
			}
			c.g.hub.remove(c, rooms)
		}
		if c.stopCode == websocket.StatusAbnormalClosure {
			_ = c.ws.CloseNow()
		} else {
			_ = c.ws.Close(c.stopCode, c.stopReason)
		}
	}()
	timer := time.NewTimer(c.g.limits.login)
	defer timer.Stop()
	select {
	case f := <-c.ops:
		if f.Op != "login" {
			c.stop(closeLogin, "the first frame must be login")
			return
		}
		if !c.login(ctx, f) {
			c.stop(closeLogin, "login failed")
			return
		}
	case <-timer.C:
		c.stop(closeLogin, "no login in time")
		return
	case <-c.stopped:
		return
	}
	for {
		select {
		case <-c.stopped:
			return
		case f := <-c.ops:
			c.handle(ctx, f)
		case <-c.wake:
		}
		c.drain(ctx)
	}
}

// drain hands the queued live events to the client.
func (c *conn) drain(ctx context.Context) {
	for {
		c.mu.Lock()
		q, over := c.queue, c.overflow
		c.queue = nil
		c.mu.Unlock()
		if over {
			c.stop(closeBehind, "too far behind: reconnect and resume")
			return
		}
		if len(q) == 0 {
			return
		}
		for _, l := range q {
			if !c.deliver(ctx, l) {
				return
			}
		}
	}
}

// deliver hands one live event to the client if it is entitled to it,
// first filling any gap before it from the log. It returns false once the
// connection is stopped.
func (c *conn) deliver(ctx context.Context, l *live) bool {
	e := &l.ev
	st := c.rooms[e.RoomID]
	if st == nil {
		if e.Type != roomd.EventMemberJoined || l.subject != c.user {
			return true // a room the user has left; or not yet theirs
		}
		// Newly the user's: follow it from the member.joined, and read from
		// the log what was committed before the subscription took effect.
		st = &roomState{last: e.Seq - 1}
		c.rooms[e.RoomID] = st
		c.g.hub.subscribe(c, e.RoomID)
		if !c.apply(ctx, e.RoomID, st, e, l.subject, l.frame, false) || !c.fill(ctx, e.RoomID, st, -1) {
			return false
		}
		c.settle(e.RoomID, st)
		return true
	}
	if e.Seq <= st.last {
		return true
	}
	if e.Seq > st.last+1 {
		if !c.fill(ctx, e.RoomID, st, e.Seq-1) {
			return false
		}
		if e.Seq <= st.last {
			return true
		}
	}
	if !c.apply(ctx, e.RoomID, st, e, l.subject, l.frame, false) {
		return false
	}
	c.settle(e.RoomID, st)
	return true
}

// apply sends e if the user may see it (entitled: the log said so), and
// moves the room's state past it.
func (c *conn) apply(ctx context.Context, room string, st *roomState, e *roomd.Event, subject string, frame []byte, entitled bool) bool {
	self := subject == c.user
	if entitled || st.member || (e.Type == roomd.EventMemberJoined && self) {
		if frame == nil {
			frame = encodeEvent(e)
		}
		if !c.write(ctx, frame) {
			return false
		}
	}
	st.last = e.Seq
	switch {
	case e.Type == roomd.EventMemberJoined && self:
		st.member = true
	case e.Type == roomd.EventMemberLeft && self, e.Type == roomd.EventRoomDismissed:
		st.member = false
	}
	return true
}

// settle forgets a room the user is no longer a member of.
func (c *conn) settle(room string, st *roomState) {
	if !st.member && c.rooms[room] == st {
		delete(c.rooms, room)
		c.g.hub.unsubscribe(c, room)
	}
}

// fill sends the events of room after st.last, up to upTo (all when upTo
// is negative), that the user is entitled to, read from the log. Where
// they are no longer kept it sends a resync frame instead. It returns false
// once the connection is stopped.
func (c *conn) fill(ctx context.Context, room string, st *roomState, upTo int64) bool {
	for range 1 << 20 { // bounded: each round moves st.last on
		page, err := c.g.svc.Feed(ctx, c.app.ID, room, c.user, st.last, fillPage)
		if roomd.ErrorCode(err) == roomd.ENOTMEMBER {
			st.member = false
			return true
		}
		if err != nil {
			c.g.log.Error("gateway: reading the event log", "app", c.app.ID, "room", room, "error", err)
			c.stop(websocket.StatusInternalError, "internal error: reconnect and resume")
			return false
		}
		if page.Resync {
			b, _ := json.Marshal(resyncFrame{Type: "resync", Room: room, Seq: page.Seq})
			st.last = page.Seq
			return c.write(ctx, b)
		}
		for i := range page.Events {
			e := &page.Events[i]
			if upTo >= 0 && e.Seq > upTo {
				return true
			}
			if !c.apply(ctx, room, st, e, e.Subject(), nil, true) {
				return false
			}
		}
		if len(page.Events) < fillPage {
			return true
		}
	}
	return true
}

// write sends one frame, cutting the client off when it does not take it
// within WriteTimeout. It returns false once the connection is stopped.
func (c *conn) write(ctx context.Context, frame []byte) bool {
	select {
	case <-c.stopped:
		return false
	default:
	}
	wctx, cancel := context.WithTimeout(ctx, c.g.limits.write)
	defer cancel()
	if err := c.ws.Write(wctx, websocket.MessageText, frame); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			c.stop(closeBehind, "too far behind: a write timed out")
		} else {
			c.stop(websocket.StatusAbnormalClosure, "connection lost")
		}
		return false
	}
	return true
}

// answer writes the reply to op id: data on success, else err's code.
func (c *conn) answer(ctx context.Context, id int64, data any, err error) bool {
	r := reply{Type: "reply", ID: id, Data: data}
	if err != nil {
		r.Code, r.Message = replyCode(err)
		r.Data = nil
		if r.Code == codeInternalCode {
			c.g.log.Error("gateway: op failed", "app", c.app.ID, "user", c.user, "error", err)
		}
	}
	return c.writeJSON(ctx, r)
}

// fail writes a reply with a gateway code.
func (c *conn) fail(ctx context.Context, id int64, code int, msg string) bool {
	return c.writeJSON(ctx, reply{Type: "reply", ID: id, Code: code, Message: msg})
}

func (c *conn) writeJSON(ctx context.Context, v any) bool {
	b, err := json.Marshal(v)
	if err != nil {
		c.stop(websocket.StatusInternalError, "internal error")
		return false
	}
	return c.write(ctx, b)
}
