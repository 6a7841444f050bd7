// Package roomdclient is the Go client of roomd's real-time gateway
// (docs/realtime.md): it connects to GET /v1/connect with a WebSocket, logs
// in as a member, and yields the events of the member's rooms in order.
//
// When the connection drops, the client reconnects with exponential backoff
// and logs in again with "resume" set, per room, to the seq of the last
// event Next returned, so the caller sees every event exactly once, in
// order, across reconnects. Events received but not yet returned by Next
// when the connection drops are dropped and fetched again.
//
// A Client is safe for concurrent use. Next is meant to be called from one
// goroutine; ops (Rooms, EnterRoom, LeaveRoom, Sync, Ping) may be called
// from any number of goroutines at once.
//
// Replies to ops travel on the same connection as events, after the events
// that came before them: the events wait in a bounded queue for Next, and
// when the queue is full the client stops reading from the connection (roomd
// then cuts it off as too far behind, and the client resumes). A caller
// that stops calling Next therefore also stops getting replies.
package roomdclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Credentials are what the client logs in with: a user of an app and
// exactly one of a Tencent UserSig or a ZEGO Token04 of that user.
type Credentials struct {
	App     uint32 // the AppId / SDKAppID
	User    string // a registered user of the app
	UserSig string // a Tencent UserSig of User (TLS sig API v2)
	Token   string // a ZEGO Token04 of User
}

// Event is one event of a room's log, or, when Resync is set, a resync
// notice for a room.
//
// A resync (Resync true; only Room and Seq are set) means the events the
// client resumed from are no longer kept by roomd: Seq is the room's current
// seq, events continue after it, and the caller should reload the room's
// state (Rooms, or roomd's REST API).
type Event struct {
	App    uint32          // the app of the room
	Room   string          // the room id
	Seq    int64           // the room's event number, from 1, without gaps
	Type   string          // the "event" field: "owner.changed", "member.joined", ...
	Actor  string          // the user or administrator who made the change
	Time   time.Time       // when the change committed
	Data   json.RawMessage // the event's data, as roomd sent it
	Resync bool            // a resync frame rather than an event
}

// RoomState is one of the user's rooms, as the rooms op answers it.
type RoomState struct {
	Room string `json:"room"` // the room id
	Seq  int64  `json:"seq"`  // the room's last seq
	Role int    `json:"role"` // the user's role: 1 owner, 2 admin, 3 member, 100–255 custom
}

// ReplyError is a non-zero reply to an op (login included): Code is one of
// the reply codes of docs/realtime.md and Message roomd's explanation.
type ReplyError struct {
	Code    int
	Message string
}

// Error returns the code and the message.
func (e *ReplyError) Error() string {
	return fmt.Sprintf("roomd replied %d: %s", e.Code, e.Message)
}

// Reply codes of docs/realtime.md.
const (
	CodeInvalid     = 40001 // invalid parameter
	CodeUnknownOp   = 40002 // unknown op
	CodeLoggedIn    = 40003 // already logged in
	CodeLoginFailed = 40101 // bad credential, unknown app or unregistered user
	CodeForbidden   = 40301 // not allowed
	CodeBanned      = 40302 // banned from the room
	CodeNoRoom      = 40401 // the room does not exist
	CodeNotMember   = 40403 // not a member of the room
	CodeExists      = 40901 // already exists
	CodeResync      = 41001 // the range asked for is no longer kept
	CodeRoomFull    = 41301 // the room is full
	CodeRateLimit   = 42901 // too many requests
	CodeInternal    = 50001 // internal error, retry

	// Seat codes (take_seat, leave_seat).
	CodeNoSeats     = 40304 // the room has no seats
	CodeSeatLocked  = 40305 // the seat is locked
	CodeNotSeated   = 40404 // not on a seat, and no request pending
	CodeSeatTaken   = 40910 // someone else holds the seat
	CodeSeated      = 40911 // already on a seat
	CodeSeatPending = 40912 // a request to take a seat is already pending
	CodeSeatsFull   = 41302 // every seat is taken or locked
)

var (
	// ErrDisconnected is wrapped by the error of an op that was in flight
	// when the connection dropped: the op may or may not have been done,
	// and may be retried once the client has reconnected (an op called
	// while reconnecting waits for the connection).
	ErrDisconnected = errors.New("roomdclient: connection lost")
	// ErrClosed is returned by Next and by ops after Close.
	ErrClosed = errors.New("roomdclient: client closed")
)

// Status reports a change of a client's connection, for logs and UIs (see
// WithStatus).
type Status struct {
	// Connected is true when the client has reconnected and logged in
	// again; false when the connection dropped or an attempt to reconnect
	// failed.
	Connected bool
	// Err is why the connection dropped or the attempt failed (nil when
	// Connected).
	Err error
	// Attempt is how many attempts to reconnect have been made since the
	// drop: 0 when reporting the drop itself, else the attempt that failed
	// or succeeded.
	Attempt int
	// Retry is the wait before the next attempt; 0 when Connected, or when
	// Err is final and the client gives up (Next then returns Err).
	Retry time.Duration
}

// Defaults of the options.
const (
	DefaultMinBackoff  = 100 * time.Millisecond
	DefaultMaxBackoff  = 5 * time.Second
	DefaultQueueSize   = 256
	DefaultDialTimeout = 10 * time.Second
)

// Option configures Dial.
type Option func(*options)

type options struct {
	httpClient             *http.Client
	minBackoff, maxBackoff time.Duration
	queue                  int
	dialTimeout            time.Duration
	resume                 map[string]int64
	status                 func(Status)
}

// WithBackoff sets the wait before the first attempt to reconnect (min,
// default 100 ms), doubled after each failed attempt up to max (default
// 5 s). Each wait is jittered to between half and all of it. Values that
// are not positive keep the default; max is raised to min if lower.
func WithBackoff(min, max time.Duration) Option {
	return func(o *options) {
		if min > 0 {
			o.minBackoff = min
		}
		if max > 0 {
			o.maxBackoff = max
		}
	}
}

// WithQueueSize sets how many received events may wait for Next (default
// 256). When they are that many, the client stops reading from the
// connection.
func WithQueueSize(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.queue = n
		}
	}
}

// WithDialTimeout bounds each connection attempt, from the dial to the
// login reply (default 10 s).
func WithDialTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.dialTimeout = d
		}
	}
}

// WithHTTPClient has the client connect with hc (its Transport dials,
// and sets TLS and proxies) rather than http.DefaultClient. hc's Timeout,
// if any, bounds each connection attempt, not the connection.
func WithHTTPClient(hc *http.Client) Option {
	return func(o *options) { o.httpClient = hc }
}

// WithResume sets, per room, the seq of the last event the caller already
// has (from an earlier run): the first login resumes from there, so Next
// yields the events after it (or a resync).
func WithResume(resume map[string]int64) Option {
	return func(o *options) { o.resume = maps.Clone(resume) }
}

// WithStatus has f called on every drop, failed attempt and reconnect. f is
// called from the client's own goroutine and must return promptly.
func WithStatus(f func(Status)) Option {
	return func(o *options) { o.status = f }
}

// roomPos is the client's position in one room's log.
type roomPos struct {
	delivered int64 // seq of the last event Next returned (or the baseline before it)
	received  int64 // seq of the last event the current connection queued
}

// item is an event in the queue, with the connection it came from.
type item struct {
	gen uint64
	ev  Event
}

// Client is a connection to roomd's gateway that reconnects by itself. Make
// one with Dial; Close it when done.
type Client struct {
	url  string
	cred Credentials
	o    options

	events chan item     // received events waiting for Next
	ops    chan struct{} // a token per op in flight
	nextID atomic.Int64
	done   chan struct{} // closed when the client ends (err is set)
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	gen    uint64              // generation of the current connection; items of others are stale
	conn   *conn               // nil while reconnecting
	ready  chan struct{}       // closed when conn is set again or the client ends
	rooms  map[string]*roomPos // by room id
	err    error               // why the client ended: ErrClosed or a final failure
	closed bool
}

// maxOpsInFlight is how many ops the client sends ahead of their replies:
// as many as roomd reads ahead.
const maxOpsInFlight = 16

// Dial connects to the gateway at url (for example
// "ws://127.0.0.1:8080/v1/connect") and logs in with cred. A failed login
// returns an error wrapping a *ReplyError (40101 for a bad credential) and
// is not retried; nor is a failure to connect: Dial makes one attempt,
// bounded by ctx and the dial timeout. Once Dial has succeeded, the client
// reconnects by itself until Close.
func Dial(ctx context.Context, url string, cred Credentials, opts ...Option) (*Client, error) {
	o := options{minBackoff: DefaultMinBackoff, maxBackoff: DefaultMaxBackoff, queue: DefaultQueueSize, dialTimeout: DefaultDialTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	o.maxBackoff = max(o.maxBackoff, o.minBackoff)
	if (cred.UserSig == "") == (cred.Token == "") {
		return nil, errors.New("roomdclient: exactly one of UserSig and Token is required")
	}
	c := &Client{
		url:    url,
		cred:   cred,
		o:      o,
		events: make(chan item, o.queue),
		ops:    make(chan struct{}, maxOpsInFlight),
		done:   make(chan struct{}),
		ready:  make(chan struct{}),
		rooms:  map[string]*roomPos{},
	}
	for room, seq := range o.resume {
		c.rooms[room] = &roomPos{delivered: seq, received: seq}
	}
	cn, err := c.connect(ctx)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	c.wg.Go(func() { c.run(runCtx, cn) })
	return c, nil
}

// Next returns the next event, waiting for one until ctx is done. Per room,
// events come in seq order, without gap or duplicate, also across
// reconnects; resync notices come as events with Resync set. Next returns
// ErrClosed after Close, and the final error when the client gave up (a
// login refused on reconnect, or roomd closing with 4001 or 4003).
func (c *Client) Next(ctx context.Context) (Event, error) {
	for {
		select {
		case <-c.done:
			return Event{}, c.finalErr()
		default:
		}
		select {
		case it := <-c.events:
			if c.deliver(it) {
				return it.ev, nil
			}
		case <-c.done:
			return Event{}, c.finalErr()
		case <-ctx.Done():
			return Event{}, ctx.Err()
		}
	}
}

// deliver records that Next returns it, unless it came from a connection
// before the current one (then it will come again, and deliver returns
// false).
func (c *Client) deliver(it item) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if it.gen != c.gen {
		return false
	}
	ev := it.ev
	p := c.rooms[ev.Room]
	if p == nil {
		p = &roomPos{received: ev.Seq}
		c.rooms[ev.Room] = p
	}
	p.delivered = ev.Seq
	// The user's removal ends what the room sends them: forget the room
	// unless more of it is already queued (a re-join).
	if p.received == ev.Seq && c.removes(ev) {
		delete(c.rooms, ev.Room)
	}
	return true
}

// removes reports whether ev ends the user's membership of its room.
func (c *Client) removes(ev Event) bool {
	switch ev.Type {
	case "room.dismissed":
		return true
	case "member.left":
		var d struct {
			UserID string `json:"user_id"`
		}
		return json.Unmarshal(ev.Data, &d) == nil && d.UserID == c.cred.User
	}
	return false
}

// received records that the connection of generation gen queued ev, and
// reports whether it is still the current connection.
func (c *Client) received(gen uint64, ev Event) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return false
	}
	p := c.rooms[ev.Room]
	if p == nil {
		// A room the client knew nothing of: the user joined it (or the
		// resync of a room it had): nothing before ev is theirs.
		base := ev.Seq - 1
		if ev.Resync {
			base = ev.Seq
		}
		p = &roomPos{delivered: base}
		c.rooms[ev.Room] = p
	}
	p.received = ev.Seq
	return true
}

// loggedIn records the rooms of a login reply the client knew nothing of:
// their events start after the seq the reply gives.
func (c *Client) loggedIn(gen uint64, rooms []RoomState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	for _, r := range rooms {
		if c.rooms[r.Room] == nil {
			c.rooms[r.Room] = &roomPos{delivered: r.Seq, received: r.Seq}
		}
	}
}

// nextGen starts a new connection generation: events queued by earlier
// connections are stale from now on, and the returned resume map is, per
// room, the seq of the last event Next returned.
func (c *Client) nextGen() (uint64, map[string]int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	resume := make(map[string]int64, len(c.rooms))
	for room, p := range c.rooms {
		p.received = p.delivered
		resume[room] = p.delivered
	}
	return c.gen, resume
}

// finalErr returns why the client ended.
func (c *Client) finalErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// end ends the client with err unless it has ended already. It reports
// whether it did.
func (c *Client) end(err error) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return false
	}
	c.err = err
	close(c.done)
	return true
}

// Close closes the connection (status 1000) and stops reconnecting. Next
// and ops in flight then return ErrClosed. Close waits for the client's
// goroutines to end (the close handshake takes at most a few seconds);
// closing twice is a no-op. The error is always nil: the connection is
// closed either way.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	cn := c.conn
	c.mu.Unlock()
	c.end(ErrClosed)
	if cn != nil {
		cn.ws.Close(1000, "")
	}
	c.cancel()
	c.wg.Wait()
	return nil
}
