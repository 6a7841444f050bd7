package roomdclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// Limits of a connection.
const (
	// maxFrame is the largest frame roomd reads from a client.
	maxFrame = 64 << 10
	// readLimit is the largest frame the client reads: a sync reply holds
	// up to 1000 events.
	readLimit = 16 << 20
	// writeTimeout bounds one write of a frame.
	writeTimeout = 10 * time.Second
)

// Close codes of docs/realtime.md after which the client does not
// reconnect: the credential or the client must be fixed.
const (
	closeLoginFailed = 4001
	closeMalformed   = 4003
)

// opFrame is a frame from the client.
type opFrame struct {
	ID       int64            `json:"id"`
	Op       string           `json:"op"`
	App      uint32           `json:"app,omitempty"`
	User     string           `json:"user,omitempty"`
	UserSig  string           `json:"usersig,omitempty"`
	Token    string           `json:"token,omitempty"`
	Resume   map[string]int64 `json:"resume,omitempty"`
	Room     string           `json:"room,omitempty"`
	SinceSeq *int64           `json:"since_seq,omitempty"`
	Limit    int              `json:"limit,omitempty"`
	Index    *int             `json:"index,omitempty"`
}

// inFrame is a frame from roomd: a reply, an event or a resync.
type inFrame struct {
	Type    string          `json:"type"`
	ID      int64           `json:"id"`
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
	App     uint32          `json:"app"`
	Room    string          `json:"room"`
	Seq     int64           `json:"seq"`
	Event   string          `json:"event"`
	Actor   string          `json:"actor"`
	Time    int64           `json:"time"`
}

// event returns f as an Event.
func (f *inFrame) event() Event {
	ev := Event{App: f.App, Room: f.Room, Seq: f.Seq, Type: f.Event, Actor: f.Actor, Data: f.Data}
	if f.Type == "resync" {
		ev = Event{App: f.App, Room: f.Room, Seq: f.Seq, Resync: true}
	} else {
		ev.Time = time.UnixMilli(f.Time)
	}
	return ev
}

// reply is roomd's answer to an op.
type reply struct {
	code    int
	message string
	data    json.RawMessage
}

// err returns the reply as an error, nil on success.
func (r reply) err() error {
	if r.code == 0 {
		return nil
	}
	return &ReplyError{Code: r.code, Message: r.message}
}

// conn is one WebSocket connection, logged in.
type conn struct {
	ws   *websocket.Conn
	gen  uint64
	dead chan struct{} // closed when the read loop has ended

	mu      sync.Mutex
	pending map[int64]chan reply // ops sent, by id
	gone    bool                 // dead: no more replies will come
}

// await registers an op of id; its reply will come on the channel returned.
func (cn *conn) await(id int64) (chan reply, bool) {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	if cn.gone {
		return nil, false
	}
	ch := make(chan reply, 1)
	cn.pending[id] = ch
	return ch, true
}

// forget drops the op of id, whose caller stopped waiting.
func (cn *conn) forget(id int64) {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	delete(cn.pending, id)
}

// answer hands r to the op of id, if its caller still waits.
func (cn *conn) answer(id int64, r reply) {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	if ch, ok := cn.pending[id]; ok {
		delete(cn.pending, id)
		ch <- r
	}
}

// send writes one frame, bounded by writeTimeout rather than by a caller's
// context: a write abandoned halfway would break the connection. A failed
// write is ErrDisconnected; a frame over roomd's limit is another error, and
// is not sent.
func (cn *conn) send(f *opFrame) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	if len(b) > maxFrame {
		return fmt.Errorf("roomdclient: %s frame of %d bytes is over roomd's limit of %d", f.Op, len(b), maxFrame)
	}
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	if err := cn.ws.Write(ctx, websocket.MessageText, b); err != nil {
		return fmt.Errorf("%w: %w", ErrDisconnected, err)
	}
	return nil
}

// errFinal marks an error after which the client does not reconnect.
type errFinal struct{ err error }

func (e *errFinal) Error() string { return e.err.Error() }
func (e *errFinal) Unwrap() error { return e.err }

// final wraps err so that the client gives up on it.
func final(err error) error { return &errFinal{err: err} }

// connect dials, logs in with the client's resume positions and returns the
// connection, made current. Errors that must not be retried (a refused
// login, unless for an internal error or a rate limit; close 4001 or 4003)
// are final.
func (c *Client) connect(ctx context.Context) (*conn, error) {
	ctx, cancel := context.WithTimeout(ctx, c.o.dialTimeout)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, c.url, &websocket.DialOptions{HTTPClient: c.o.httpClient})
	if err != nil {
		return nil, fmt.Errorf("roomdclient: %w", err)
	}
	ws.SetReadLimit(readLimit)
	gen, resume := c.nextGen()
	cn := &conn{ws: ws, gen: gen, dead: make(chan struct{}), pending: map[int64]chan reply{}}
	id := c.nextID.Add(1)
	login := &opFrame{ID: id, Op: "login", App: c.cred.App, User: c.cred.User, UserSig: c.cred.UserSig, Token: c.cred.Token, Resume: resume}
	if err := cn.send(login); err != nil {
		ws.CloseNow()
		if !errors.Is(err, ErrDisconnected) {
			err = final(fmt.Errorf("roomdclient: login: %w", err)) // the same login would fail again
		}
		return nil, err
	}
	// The login reply is the first frame roomd sends.
	_, b, err := ws.Read(ctx)
	if err != nil {
		ws.CloseNow()
		return nil, closeErr("login", err)
	}
	var f inFrame
	if err := json.Unmarshal(b, &f); err != nil || f.Type != "reply" || f.ID != id {
		ws.Close(websocket.StatusProtocolError, "expected the login reply")
		return nil, fmt.Errorf("roomdclient: login: roomd sent %.100q, not the login reply", b)
	}
	if err := (reply{code: f.Code, message: f.Message}).err(); err != nil {
		ws.CloseNow()
		err = fmt.Errorf("roomdclient: login: %w", err)
		if f.Code != CodeInternal && f.Code != CodeRateLimit {
			err = final(err) // the same login would be refused again
		}
		return nil, err
	}
	var data struct {
		Rooms []RoomState `json:"rooms"`
	}
	if len(f.Data) > 0 {
		if err := json.Unmarshal(f.Data, &data); err != nil {
			ws.Close(websocket.StatusProtocolError, "bad login reply")
			return nil, fmt.Errorf("roomdclient: login reply: %w", err)
		}
	}
	c.loggedIn(gen, data.Rooms)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		ws.CloseNow()
		return nil, ErrClosed
	}
	c.conn = cn
	close(c.ready)
	return cn, nil
}

// closeErr describes a read error of the connection during what; closes
// that ask the client not to come back make it final.
func closeErr(what string, err error) error {
	err = fmt.Errorf("roomdclient: %s: %w", what, err)
	switch websocket.CloseStatus(err) {
	case closeLoginFailed, closeMalformed:
		return final(err)
	}
	return err
}

// run reads cn until it drops, then reconnects, until the client ends.
func (c *Client) run(ctx context.Context, cn *conn) {
	for cn != nil {
		err := c.read(ctx, cn)
		c.drop(cn)
		if c.isDone() {
			return
		}
		if errors.As(err, new(*errFinal)) {
			c.status(Status{Err: err})
			c.end(err)
			return
		}
		cn = c.reconnect(ctx, err)
	}
}

// read reads frames from cn until it fails or the client ends.
func (c *Client) read(ctx context.Context, cn *conn) error {
	for {
		_, b, err := cn.ws.Read(ctx)
		if err != nil {
			return closeErr("connection", err)
		}
		var f inFrame
		if err := json.Unmarshal(b, &f); err != nil {
			cn.ws.Close(websocket.StatusProtocolError, "malformed frame")
			return fmt.Errorf("roomdclient: roomd sent a malformed frame %.100q: %w", b, err)
		}
		switch f.Type {
		case "reply":
			cn.answer(f.ID, reply{code: f.Code, message: f.Message, data: f.Data})
		case "event", "resync":
			ev := f.event()
			if !c.received(cn.gen, ev) {
				return ErrDisconnected
			}
			// A full queue stops the reading: roomd cuts a client that
			// falls too far behind, and the client resumes.
			select {
			case c.events <- item{gen: cn.gen, ev: ev}:
			case <-c.done:
				return ErrClosed
			}
		}
		// Other types are new to this client: ignored.
	}
}

// drop retires cn: it is no longer current, and its ops in flight fail.
func (c *Client) drop(cn *conn) {
	cn.ws.CloseNow()
	cn.mu.Lock()
	cn.gone = true
	cn.pending = nil
	cn.mu.Unlock()
	close(cn.dead)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == cn {
		c.conn = nil
		c.ready = make(chan struct{})
	}
}

// reconnect tries to connect again after the connection dropped with err,
// with backoff, until it succeeds or the client ends (then it returns nil).
func (c *Client) reconnect(ctx context.Context, err error) *conn {
	wait := c.o.minBackoff
	for attempt := 1; ; attempt++ {
		d := wait/2 + rand.N(wait/2+1)
		c.status(Status{Err: err, Attempt: attempt - 1, Retry: d})
		timer := time.NewTimer(d)
		select {
		case <-timer.C:
		case <-c.done:
			timer.Stop()
			return nil
		}
		var cn *conn
		if cn, err = c.connect(ctx); err == nil {
			c.status(Status{Connected: true, Attempt: attempt})
			return cn
		}
		if c.isDone() {
			return nil
		}
		if errors.As(err, new(*errFinal)) {
			c.status(Status{Err: err, Attempt: attempt})
			c.end(err)
			return nil
		}
		wait = min(wait*2, c.o.maxBackoff)
	}
}

// status reports s to the WithStatus function, if any.
func (c *Client) status(s Status) {
	if c.o.status != nil {
		c.o.status(s)
	}
}

// isDone reports whether the client has ended.
func (c *Client) isDone() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// current returns the current connection, waiting for a reconnect if
// there is none, until ctx is done or the client ends.
func (c *Client) current(ctx context.Context) (*conn, error) {
	c.mu.Lock()
	cn, ready, err := c.conn, c.ready, c.err
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if cn != nil {
		return cn, nil
	}
	select {
	case <-ready:
	case <-c.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return nil, c.err
	}
	if c.conn == nil {
		return nil, ErrDisconnected
	}
	return c.conn, nil
}
