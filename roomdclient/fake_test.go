package roomdclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// waitFor bounds every wait of these tests.
const waitFor = 5 * time.Second

// fakeGateway is a stand-in for roomd's gateway on loopback that the test
// drives frame by frame, as docs/realtime.md has roomd do.
type fakeGateway struct {
	URL   string
	conns chan *fakeConn

	mu  sync.Mutex
	all []*fakeConn // every connection accepted
}

// fakeConn is one client connection to the fake.
type fakeConn struct {
	ws       *websocket.Conn
	done     chan struct{}
	doneOnce sync.Once
}

// newFake starts a fake gateway; it stops at the end of the test.
func newFake(tb testing.TB) *fakeGateway {
	tb.Helper()
	fg := &fakeGateway{conns: make(chan *fakeConn, 16)}
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		ws.SetReadLimit(64 << 10) // roomd's limit on client frames
		fc := &fakeConn{ws: ws, done: make(chan struct{})}
		fg.mu.Lock()
		fg.all = append(fg.all, fc)
		fg.mu.Unlock()
		select {
		case fg.conns <- fc:
		case <-stop:
			ws.CloseNow()
			return
		}
		select {
		case <-fc.done:
		case <-stop:
			ws.CloseNow()
		}
	}))
	fg.URL = "ws" + strings.TrimPrefix(srv.URL, "http") + "/v1/connect"
	tb.Cleanup(func() {
		close(stop)
		srv.Close()
	})
	return fg
}

// dropAll drops every connection, so that a client closing need not wait
// for the close handshake of a fake that reads nothing.
func (fg *fakeGateway) dropAll() {
	fg.mu.Lock()
	defer fg.mu.Unlock()
	for _, fc := range fg.all {
		fc.drop()
	}
}

// accept returns the next connection a client made.
func (fg *fakeGateway) accept() (*fakeConn, error) {
	select {
	case fc := <-fg.conns:
		return fc, nil
	case <-time.After(waitFor):
		return nil, errors.New("no connection from the client")
	}
}

// mustAccept is accept for the test's goroutine.
func (fg *fakeGateway) mustAccept(tb testing.TB) *fakeConn {
	tb.Helper()
	fc, err := fg.accept()
	if err != nil {
		tb.Fatal(err)
	}
	return fc
}

// noConn fails the test if the client connects within d.
func (fg *fakeGateway) noConn(tb testing.TB, d time.Duration) {
	tb.Helper()
	select {
	case <-fg.conns:
		tb.Fatalf("the client connected again, want no reconnect")
	case <-time.After(d):
	}
}

// readOp reads the client's next op.
func (fc *fakeConn) readOp() (opFrame, error) {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	var op opFrame
	_, b, err := fc.ws.Read(ctx)
	if err != nil {
		return op, fmt.Errorf("fake: reading an op: %w", err)
	}
	if err := json.Unmarshal(b, &op); err != nil {
		return op, fmt.Errorf("fake: op %q: %w", b, err)
	}
	return op, nil
}

// send writes v as one frame.
func (fc *fakeConn) send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	return fc.ws.Write(ctx, websocket.MessageText, b)
}

// sendAll sends frames in order.
func (fc *fakeConn) sendAll(tb testing.TB, frames ...any) {
	tb.Helper()
	for _, f := range frames {
		check(tb, fc.send(f))
	}
}

// reply answers the op of id.
func (fc *fakeConn) reply(id int64, code int, message string, data any) error {
	f := map[string]any{"type": "reply", "id": id, "code": code, "message": message}
	if data != nil {
		f["data"] = data
	}
	return fc.send(f)
}

// login reads the login and accepts it with rooms.
func (fc *fakeConn) login(rooms []RoomState) (opFrame, error) {
	op, err := fc.readOp()
	if err != nil {
		return op, err
	}
	if op.Op != "login" {
		return op, fmt.Errorf("fake: first op %q, want login", op.Op)
	}
	if rooms == nil {
		rooms = []RoomState{}
	}
	return op, fc.reply(op.ID, 0, "", map[string]any{"user": op.User, "rooms": rooms})
}

// refuseLogin reads the login and refuses it with code and message, then
// closes with 4001, as roomd does.
func (fc *fakeConn) refuseLogin(tb testing.TB, code int, message string) {
	tb.Helper()
	op, err := fc.readOp()
	check(tb, err)
	if op.Op != "login" {
		tb.Fatalf("fake: first op %q, want login", op.Op)
	}
	check(tb, fc.reply(op.ID, code, message, nil))
	fc.close(4001)
}

// mustLogin is login for the test's goroutine.
func (fc *fakeConn) mustLogin(tb testing.TB, rooms ...RoomState) opFrame {
	tb.Helper()
	op, err := fc.login(rooms)
	if err != nil {
		tb.Fatal(err)
	}
	return op
}

// eventTime is the time of every event the fake sends.
var eventTime = time.Date(2026, 11, 25, 10, 0, 0, 123e6, time.UTC)

// eventFrame is an event of room as roomd sends it.
func eventFrame(room string, seq int64, typ string, data any) map[string]any {
	return map[string]any{"type": "event", "app": 1400000001, "room": room, "seq": seq, "event": typ,
		"actor": "alice", "time": eventTime.UnixMilli(), "data": data}
}

// events sends the events from..to of room (member.updated, data naming
// the seq).
func (fc *fakeConn) events(room string, from, to int64) error {
	for seq := from; seq <= to; seq++ {
		if err := fc.send(eventFrame(room, seq, "member.updated", map[string]any{"user_id": "bob", "role": 3, "n": seq})); err != nil {
			return err
		}
	}
	return nil
}

// drop cuts the connection without a close handshake.
func (fc *fakeConn) drop() {
	fc.ws.CloseNow()
	fc.doneOnce.Do(func() { close(fc.done) })
}

// close closes the connection with code, as roomd does.
func (fc *fakeConn) close(code websocket.StatusCode) {
	fc.ws.Close(code, "")
	fc.doneOnce.Do(func() { close(fc.done) })
}

// check fails the test on err.
func check(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// fastBackoff makes reconnects quick in tests.
var fastBackoff = WithBackoff(5*time.Millisecond, 40*time.Millisecond)

// cred is the credential the tests log in with.
var cred = Credentials{App: 1400000001, User: "carol", UserSig: "sig"}

// dialFake dials fg while the fake accepts the login with rooms, and returns
// the client (closed at the end of the test), the connection and the login.
func dialFake(tb testing.TB, fg *fakeGateway, rooms []RoomState, opts ...Option) (*Client, *fakeConn, opFrame) {
	tb.Helper()
	type result struct {
		c   *Client
		err error
	}
	res := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel() // the connection must outlive Dial's context
		c, err := Dial(ctx, fg.URL, cred, append([]Option{fastBackoff}, opts...)...)
		res <- result{c, err}
	}()
	fc := fg.mustAccept(tb)
	login, err := fc.login(rooms)
	r := <-res
	if err != nil || r.err != nil {
		tb.Fatalf("login: fake %v, Dial %v", err, r.err)
	}
	tb.Cleanup(func() {
		fg.dropAll()
		r.c.Close()
	})
	return r.c, fc, login
}

// next returns the client's next event, failing the test if none comes.
func next(tb testing.TB, c *Client) Event {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	ev, err := c.Next(ctx)
	if err != nil {
		tb.Fatalf("Next: %v", err)
	}
	return ev
}

// nothingNext fails the test if the client yields an event within d.
func nothingNext(tb testing.TB, c *Client, d time.Duration) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if ev, err := c.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		tb.Fatalf("Next: got %+v, %v; want nothing more", ev, err)
	}
}

// serveOp answers the client's next op with the reply given, on the fake's
// side, while the test's goroutine calls the op; it returns the op read.
func serveOp(fc *fakeConn, code int, message string, data any) <-chan opResult {
	ch := make(chan opResult, 1)
	go func() {
		op, err := fc.readOp()
		if err == nil {
			err = fc.reply(op.ID, code, message, data)
		}
		ch <- opResult{op, err}
	}()
	return ch
}

// caughtUp returns once c has read every frame fc sent before: the reply
// to a ping comes after them.
func caughtUp(tb testing.TB, c *Client, fc *fakeConn) {
	tb.Helper()
	pong := serveOp(fc, 0, "", nil)
	check(tb, c.Ping(context.Background()))
	if op := served(tb, pong); op.Op != "ping" {
		tb.Fatalf("the fake read %q, want ping", op.Op)
	}
}

// resumedWith drops fc and fails the test unless the client's next login
// resumes with want; it returns the new connection.
func resumedWith(tb testing.TB, fg *fakeGateway, fc *fakeConn, want map[string]int64, rooms ...RoomState) *fakeConn {
	tb.Helper()
	fc.drop()
	fc2 := fg.mustAccept(tb)
	if login := fc2.mustLogin(tb, rooms...); !maps.Equal(login.Resume, want) {
		tb.Fatalf("resume after the drop: got %v, want %v", login.Resume, want)
	}
	return fc2
}

// opResult is what serveOp read, or its error.
type opResult struct {
	op  opFrame
	err error
}

// served waits for serveOp's result.
func served(tb testing.TB, ch <-chan opResult) opFrame {
	tb.Helper()
	select {
	case r := <-ch:
		check(tb, r.err)
		return r.op
	case <-time.After(waitFor):
		tb.Fatal("the fake did not serve the op")
		return opFrame{}
	}
}
