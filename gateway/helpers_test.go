package gateway_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/gateway"
	"github.com/roomd/roomd/server"
	"github.com/roomd/roomd/sqlite"
	"github.com/roomd/roomd/tencent"
	"github.com/roomd/roomd/zego"
)

const (
	appID  uint32 = 1400000001
	secret        = "0123456789abcdef0123456789abcdef"
)

// Env is a gateway over a real SQLite store on a loopback HTTP server.
type Env struct {
	URL  string // ws://.../v1/connect
	Base string // http://... (REST, with rest)
	Svc  *roomd.Service
	Hub  *gateway.Hub
	GW   *gateway.Gateway
	DB   *sqlite.DB
	Srv  *httptest.Server
}

// envConfig adjusts MustStartGateway.
type envConfig struct {
	opts      gateway.Options
	sendBuf   int // SO_SNDBUF of accepted connections; 0 = the system's
	storePath string
	rest      bool // serve both REST dialects too, through server.New
}

// MustStartGateway starts a gateway; each option adjusts it.
func MustStartGateway(tb testing.TB, options ...func(*envConfig)) *Env {
	tb.Helper()
	cfg := &envConfig{storePath: filepath.Join(tb.TempDir(), "roomd.db")}
	cfg.opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.opts.Verify = verifyUserSig
	for _, o := range options {
		o(cfg)
	}
	db, err := sqlite.Open(cfg.storePath, sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	hub := gateway.NewHub()
	svc := roomd.NewService(db, hub, nil)
	apps := roomd.Apps{appID: {ID: appID, Secret: secret, Admins: []string{"administrator"}, RateLimitsOff: true}}
	gw := gateway.New(svc, apps, hub, cfg.opts)
	var h http.Handler
	if cfg.rest {
		h = server.New(cfg.opts.Logger, nil, server.Routes{
			ZEGO:    zego.NewHandler(svc, apps, zego.Options{Logger: cfg.opts.Logger, Presence: hub}),
			Tencent: tencent.NewHandler(svc, apps, tencent.Options{Logger: cfg.opts.Logger}),
			Gateway: gw,
		}).Handler()
	} else {
		mux := http.NewServeMux()
		mux.Handle("GET /v1/connect", gw)
		h = mux
	}
	srv := httptest.NewUnstartedServer(h)
	if cfg.sendBuf > 0 {
		srv.Listener = smallBufListener{srv.Listener, cfg.sendBuf}
	}
	srv.Start()
	e := &Env{URL: "ws" + strings.TrimPrefix(srv.URL, "http") + "/v1/connect", Base: srv.URL, Svc: svc, Hub: hub, GW: gw, DB: db, Srv: srv}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		gw.Shutdown(ctx)
		srv.Close()
		if err := db.Close(); err != nil {
			tb.Errorf("db.Close: %v", err)
		}
	})
	return e
}

// verifyUserSig accepts Tencent UserSigs only.
func verifyUserSig(app *roomd.App, user, usersig, token string, now time.Time) error {
	if usersig == "" {
		return errors.New("only UserSigs in this test")
	}
	return tencent.VerifyUserSig(app.ID, app.Secret, user, usersig, now)
}

// smallBufListener gives accepted connections a small send buffer, so that
// a client that stops reading blocks the server's writes soon.
type smallBufListener struct {
	net.Listener
	size int
}

func (l smallBufListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(l.size)
	}
	return c, err
}

// MustRegister registers users.
func (e *Env) MustRegister(tb testing.TB, ids ...string) {
	tb.Helper()
	var users []roomd.User
	for _, id := range ids {
		users = append(users, roomd.User{ID: id})
	}
	if items, err := e.Svc.RegisterUsers(context.Background(), appID, users, true); err != nil || len(items) > 0 {
		tb.Fatalf("RegisterUsers: %v %v", items, err)
	}
}

// MustRoom creates room with owner and members.
func (e *Env) MustRoom(tb testing.TB, room, owner string, members ...string) {
	tb.Helper()
	if _, items, err := e.Svc.CreateRoom(context.Background(), admin, roomd.Room{AppID: appID, ID: room, Owner: owner}, members); err != nil || len(items) > 0 {
		tb.Fatalf("CreateRoom %s: %v %v", room, items, err)
	}
}

var admin = roomd.Actor{ID: "administrator", Admin: true}

// Frame is any frame from the gateway.
type Frame struct {
	Type    string
	ID      int64
	Code    int
	Message string
	Data    json.RawMessage
	App     uint32
	Room    string
	Seq     int64
	Event   string
	Actor   string
	Time    int64
}

// Client is a raw WebSocket client of the gateway.
type Client struct {
	tb     testing.TB
	ws     *websocket.Conn
	nextID int64
	// Events holds the event and resync frames read so far, in order.
	Events []Frame
}

// MustDial connects as user with a fresh UserSig and logs in with resume
// (nil: none); the login must succeed. It returns the client and the reply.
func (e *Env) MustDial(tb testing.TB, user string, resume map[string]int64) (*Client, Frame) {
	tb.Helper()
	return e.mustLogin(tb, e.MustConnect(tb), user, resume)
}

// MustDialSmallBuffer is MustDial over a connection whose receive buffer is
// small, so that the server's writes block soon once the client stops reading.
func (e *Env) MustDialSmallBuffer(tb testing.TB, user string) *Client {
	tb.Helper()
	d := &net.Dialer{}
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(4096)
		}
		return c, err
	}}}
	c, _ := e.mustLogin(tb, e.mustConnect(tb, &websocket.DialOptions{HTTPClient: hc}), user, nil)
	return c
}

// mustLogin logs c in as user.
func (e *Env) mustLogin(tb testing.TB, c *Client, user string, resume map[string]int64) (*Client, Frame) {
	tb.Helper()
	r := c.Op("login", map[string]any{"app": appID, "user": user, "usersig": mustUserSig(tb, user), "resume": resume})
	if r.Code != 0 {
		tb.Fatalf("login of %s: got code %d (%s), want 0", user, r.Code, r.Message)
	}
	return c, r
}

// MustConnect opens a WebSocket without logging in.
func (e *Env) MustConnect(tb testing.TB) *Client {
	tb.Helper()
	return e.mustConnect(tb, nil)
}

// mustConnect opens a WebSocket with opts (nil: the defaults).
func (e *Env) mustConnect(tb testing.TB, opts *websocket.DialOptions) *Client {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, e.URL, opts)
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	ws.SetReadLimit(1 << 20)
	tb.Cleanup(func() { _ = ws.CloseNow() })
	return &Client{tb: tb, ws: ws}
}

func mustUserSig(tb testing.TB, user string) string {
	tb.Helper()
	sig, err := tencent.GenUserSig(appID, secret, user, time.Hour, time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	return sig
}

// Send writes an op with fields and returns its id.
func (c *Client) Send(op string, fields map[string]any) int64 {
	c.tb.Helper()
	c.nextID++
	m := map[string]any{"id": c.nextID, "op": op}
	for k, v := range fields {
		m[k] = v
	}
	c.SendRaw(mustJSON(c.tb, m))
	return c.nextID
}

// SendRaw writes a text frame.
func (c *Client) SendRaw(b []byte) {
	c.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		c.tb.Fatalf("write: %v", err)
	}
}

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// Read returns the next frame, or the error that ended the connection.
func (c *Client) Read(d time.Duration) (Frame, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	_, data, err := c.ws.Read(ctx)
	if err != nil {
		return Frame{}, err
	}
	var f Frame
	if err := json.Unmarshal(data, &f); err != nil {
		return Frame{}, fmt.Errorf("frame %q: %w", data, err)
	}
	return f, nil
}

// Op sends an op and returns its reply, keeping the events read meanwhile.
func (c *Client) Op(op string, fields map[string]any) Frame {
	c.tb.Helper()
	id := c.Send(op, fields)
	for range 100000 {
		f, err := c.Read(10 * time.Second)
		if err != nil {
			c.tb.Fatalf("%s: waiting for the reply: %v", op, err)
		}
		if f.Type == "reply" {
			if f.ID != id {
				c.tb.Fatalf("%s: got the reply of op %d, want %d", op, f.ID, id)
			}
			return f
		}
		c.Events = append(c.Events, f)
	}
	c.tb.Fatalf("%s: no reply", op)
	return Frame{}
}

// WaitEvents reads until n events (and resyncs) have been read in all.
func (c *Client) WaitEvents(n int) []Frame {
	c.tb.Helper()
	for len(c.Events) < n {
		f, err := c.Read(10 * time.Second)
		if err != nil {
			c.tb.Fatalf("waiting for event %d of %d: %v (have %v)", len(c.Events)+1, n, err, seqs(c.Events))
		}
		if f.Type == "reply" {
			c.tb.Fatalf("unexpected reply %+v while waiting for events", f)
		}
		c.Events = append(c.Events, f)
	}
	return c.Events
}

// Quiet checks that nothing more than the events read so far arrives: a
// ping's reply comes with no event before it.
func (c *Client) Quiet() {
	c.tb.Helper()
	n := len(c.Events)
	c.Op("ping", nil)
	if len(c.Events) != n {
		c.tb.Fatalf("got extra events %v, want none", seqs(c.Events[n:]))
	}
}

// WantClose reads until the connection ends and checks its close code.
func (c *Client) WantClose(code websocket.StatusCode) {
	c.tb.Helper()
	for range 100000 {
		_, err := c.Read(15 * time.Second)
		if err == nil {
			continue
		}
		if got := websocket.CloseStatus(err); got != code {
			c.tb.Fatalf("close: got status %d (%v), want %d", got, err, code)
		}
		return
	}
}

// seqs returns "room#seq event" for frames, for messages.
func seqs(fs []Frame) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s#%d %s", f.Room, f.Seq, f.Event))
	}
	return out
}

// roomSeqs returns the seqs of the event frames of room.
func roomSeqs(fs []Frame, room string) []int64 {
	var out []int64
	for _, f := range fs {
		if f.Type == "event" && f.Room == room {
			out = append(out, f.Seq)
		}
	}
	return out
}

// span returns from..to.
func span(from, to int64) []int64 {
	var out []int64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}
