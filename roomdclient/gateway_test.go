package roomdclient

// Tests against roomd's real gateway (package gateway) over a real SQLite
// store, on loopback.

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/gateway"
	"github.com/roomd/roomd/sqlite"
	"github.com/roomd/roomd/tencent"
)

const (
	gwApp    uint32 = 1400000001
	gwSecret        = "0123456789abcdef0123456789abcdef"
)

var gwAdmin = roomd.Actor{ID: "administrator", Admin: true}

// gwEnv is a roomd service with gateways on loopback.
type gwEnv struct {
	svc  *roomd.Service
	apps roomd.Apps
	hub  *gateway.Hub
}

// newGWEnv opens a store and a service over it, with users.
func newGWEnv(tb testing.TB, users ...string) *gwEnv {
	tb.Helper()
	db, err := sqlite.Open(filepath.Join(tb.TempDir(), "roomd.db"), sqlite.Options{})
	check(tb, err)
	hub := gateway.NewHub()
	e := &gwEnv{svc: roomd.NewService(db, hub, nil), hub: hub,
		apps: roomd.Apps{gwApp: {ID: gwApp, Secret: gwSecret, Admins: []string{"administrator"}, RateLimitsOff: true}}}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("db.Close: %v", err)
		}
	})
	var us []roomd.User
	for _, u := range users {
		us = append(us, roomd.User{ID: u})
	}
	if items, err := e.svc.RegisterUsers(context.Background(), gwApp, us, true); err != nil || len(items) > 0 {
		tb.Fatalf("RegisterUsers: %v %v", items, err)
	}
	return e
}

// startGateway serves a gateway of e on loopback (a roomd node) and returns
// it with its address; it shuts down at the end of the test. sendBuf, if
// not 0, is the send buffer of its connections.
func (e *gwEnv) startGateway(tb testing.TB, opts gateway.Options, sendBuf int) (*gateway.Gateway, string) {
	tb.Helper()
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	opts.Verify = func(app *roomd.App, user, usersig, token string, now time.Time) error {
		return tencent.VerifyUserSig(app.ID, app.Secret, user, usersig, now)
	}
	gw := gateway.New(e.svc, e.apps, e.hub, opts)
	mux := http.NewServeMux()
	mux.Handle("GET /v1/connect", gw)
	srv := httptest.NewUnstartedServer(mux)
	if sendBuf > 0 {
		srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
			if tc, ok := c.(*net.TCPConn); ok && s == http.StateNew {
				tc.SetWriteBuffer(sendBuf)
			}
		}
	}
	srv.Start()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		gw.Shutdown(ctx)
		srv.Close()
	})
	return gw, srv.Listener.Addr().String()
}

// mustRoom creates room with owner and members.
func (e *gwEnv) mustRoom(tb testing.TB, room, owner string, members ...string) {
	tb.Helper()
	if _, items, err := e.svc.CreateRoom(context.Background(), gwAdmin, roomd.Room{AppID: gwApp, ID: room, Owner: owner}, members); err != nil || len(items) > 0 {
		tb.Fatalf("CreateRoom %s: %v %v", room, items, err)
	}
}

// userCred returns a credential of user with a fresh UserSig.
func userCred(tb testing.TB, user string) Credentials {
	tb.Helper()
	sig, err := tencent.GenUserSig(gwApp, gwSecret, user, time.Hour, time.Now())
	check(tb, err)
	return Credentials{App: gwApp, User: user, UserSig: sig}
}

// mustDial connects as user through url; the client is closed at the end
// of the test.
func mustDial(tb testing.TB, url, user string, opts ...Option) *Client {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	c, err := Dial(ctx, url, userCred(tb, user), append([]Option{fastBackoff}, opts...)...)
	if err != nil {
		tb.Fatalf("Dial as %s: %v", user, err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// proxy is a TCP proxy on loopback whose connections the test can cut, and
// whose target (the roomd node it leads to) it can change.
type proxy struct {
	ln     net.Listener
	mu     sync.Mutex
	target string
	conns  []net.Conn
}

// newProxy proxies to target until the end of the test.
func newProxy(tb testing.TB, target string) *proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(tb, err)
	p := &proxy{ln: ln, target: target}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			up, err := net.DialTimeout("tcp", p.target, waitFor)
			if err != nil {
				p.mu.Unlock()
				c.Close()
				continue
			}
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			wg.Go(func() { io.Copy(up, c); up.Close() })
			wg.Go(func() { io.Copy(c, up); c.Close() })
		}
	})
	tb.Cleanup(func() {
		ln.Close()
		p.cut()
		wg.Wait()
	})
	return p
}

// url is the gateway's URL through the proxy.
func (p *proxy) url() string { return "ws://" + p.ln.Addr().String() + "/v1/connect" }

// cut closes every connection through the proxy.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// retarget sends new connections to target.
func (p *proxy) retarget(target string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.target = target
}

// drain collects events of c until room reaches seq last, or fails the test.
func drain(tb testing.TB, c *Client, room string, last int64, got []int64) []int64 {
	tb.Helper()
	for len(got) == 0 || got[len(got)-1] < last {
		ev := next(tb, c)
		if ev.Resync {
			tb.Fatalf("resync %+v, want events", ev)
		}
		if ev.Room == room {
			got = append(got, ev.Seq)
		}
	}
	return got
}

// wantSpan fails the test unless got is exactly from..to.
func wantSpan(tb testing.TB, got []int64, from, to int64) {
	tb.Helper()
	ok := int64(len(got)) == to-from+1
	for i := 0; ok && i < len(got); i++ {
		ok = got[i] == from+int64(i)
	}
	if !ok {
		tb.Fatalf("seqs: got %v, want %d..%d exactly once each, in order", got, from, to)
	}
}

// TestGatewayResumeAcrossCuts: against the real gateway, a member cut off
// again and again while its room changes, and once moved to another node
// that the first one's shutdown (1001) sends it to, gets every event once,
// in order.
func TestGatewayResumeAcrossCuts(t *testing.T) {
	e := newGWEnv(t, "alice", "bob")
	e.mustRoom(t, "team", "alice", "bob")
	gw1, addr1 := e.startGateway(t, gateway.Options{}, 0)
	_, addr2 := e.startGateway(t, gateway.Options{}, 0)
	p := newProxy(t, addr1)
	var log statusLog
	c := mustDial(t, p.url(), "bob", WithQueueSize(4), WithStatus(log.add))
	ctx := context.Background()
	rooms, err := c.Rooms(ctx)
	if err != nil || len(rooms) != 1 || rooms[0].Room != "team" || rooms[0].Role != 3 {
		t.Fatalf("Rooms: got %+v, %v; want team as a member", rooms, err)
	}
	start := rooms[0].Seq

	const changes = 120
	owners := []string{"bob", "alice"}
	var got []int64
	for i := range changes {
		if err := e.svc.TransferOwner(ctx, gwAdmin, gwApp, "team", owners[i%2], ""); err != nil {
			t.Fatalf("TransferOwner %d: %v", i, err)
		}
		switch i {
		case 20, 50, 51, 90:
			p.cut()
		case 70:
			got = drain(t, c, "team", start+int64(i)+1, got)
			p.retarget(addr2)
			sctx, cancel := context.WithTimeout(ctx, waitFor)
			gw1.Shutdown(sctx) // closes with 1001: the client reconnects, to the other node
			cancel()
		}
	}
	got = drain(t, c, "team", start+changes, got)
	wantSpan(t, got, start+1, start+changes)
	nothingNext(t, c, 100*time.Millisecond)
	drops := 0
	for _, s := range log.get() {
		if !s.Connected && s.Attempt == 0 {
			drops++
		}
	}
	if drops < 3 {
		t.Fatalf("drops reported: got %d, want at least 3 (the test must cut the connection)", drops)
	}
}

// TestGatewayTooFarBehind: a client whose caller stops calling Next is cut
// off by the gateway (4002, or a dropped connection) and resumes without
// losing an event.
func TestGatewayTooFarBehind(t *testing.T) {
	e := newGWEnv(t, "alice", "bob")
	e.mustRoom(t, "team", "alice", "bob")
	_, addr := e.startGateway(t, gateway.Options{MaxQueue: 8, WriteTimeout: 200 * time.Millisecond}, 4<<10)
	var log statusLog
	smallBuf := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, a string) (net.Conn, error) {
		conn, err := (&net.Dialer{}).DialContext(ctx, network, a)
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetReadBuffer(4 << 10)
		}
		return conn, err
	}}}
	c := mustDial(t, "ws://"+addr+"/v1/connect", "bob", WithQueueSize(2), WithStatus(log.add), WithHTTPClient(smallBuf))
	ctx := context.Background()
	rooms, err := c.Rooms(ctx)
	check(t, err)
	start := rooms[0].Seq
	const changes = 400
	for i := range changes {
		if err := e.svc.UpdateMember(ctx, gwAdmin, gwApp, "team", "bob", roomd.MemberUpdate{NameCard: ptr(strings.Repeat("n", 100) + string(rune('a'+i%26)))}); err != nil {
			t.Fatalf("UpdateMember %d: %v", i, err)
		}
	}
	got := drain(t, c, "team", start+changes, nil)
	wantSpan(t, got, start+1, start+changes)
	// Cut off: with 4002 when the queue overflowed while a write could
	// still go through, or by dropping the connection when a write was stuck
	// (no close frame gets through to a client that does not read).
	cut := false
	for _, s := range log.get() {
		cut = cut || (!s.Connected && s.Attempt == 0)
	}
	if !cut {
		t.Fatalf("statuses %+v: want the connection cut off (the test must fall behind)", log.get())
	}
}

func ptr[T any](v T) *T { return &v }

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestGatewayOps: ops against the real gateway: enter and leave with their
// events, sync, ping, reply errors, a refused login, and a prompt Close.
func TestGatewayOps(t *testing.T) {
	e := newGWEnv(t, "alice", "carol")
	e.mustRoom(t, "team", "alice")
	_, addr := e.startGateway(t, gateway.Options{}, 0)
	url := "ws://" + addr + "/v1/connect"
	ctx := context.Background()

	bad := userCred(t, "carol")
	bad.UserSig += "x"
	_, err := Dial(ctx, url, bad)
	var re *ReplyError
	if !errors.As(err, &re) || re.Code != CodeLoginFailed {
		t.Fatalf("Dial with a bad UserSig: got %v, want a *ReplyError 40101", err)
	}

	c := mustDial(t, url, "carol")
	if err := c.EnterRoom(ctx, "nowhere"); !errors.As(err, &re) || re.Code != CodeNoRoom {
		t.Fatalf("EnterRoom of no room: got %v, want a *ReplyError 40401", err)
	}
	if err := c.LeaveRoom(ctx, "team"); !errors.As(err, &re) || re.Code != CodeNotMember {
		t.Fatalf("LeaveRoom of a room one is not in: got %v, want a *ReplyError 40403", err)
	}
	check(t, c.EnterRoom(ctx, "team"))
	if ev := next(t, c); ev.Room != "team" || ev.Type != "member.joined" || ev.Actor != "carol" || !strings.Contains(string(ev.Data), `"carol"`) {
		t.Fatalf("after EnterRoom: got %+v, want carol's member.joined", ev)
	}
	check(t, c.LeaveRoom(ctx, "team"))
	left := next(t, c)
	if left.Type != "member.left" || !strings.Contains(string(left.Data), `"left"`) {
		t.Fatalf("after LeaveRoom: got %+v, want member.left, reason left", left)
	}
	events, seq, err := c.Sync(ctx, "team", left.Seq-2, 10)
	if err != nil || seq != left.Seq || len(events) != 2 || events[0].Type != "member.joined" || events[1].Seq != left.Seq {
		t.Fatalf("Sync: got %+v, %d, %v; want carol's join and leave, seq %d", events, seq, err, left.Seq)
	}
	check(t, c.Ping(ctx))
	started := time.Now()
	check(t, c.Close())
	if d := time.Since(started); d > time.Second {
		t.Fatalf("Close took %v, want the close handshake with roomd to be prompt", d)
	}
	if err := c.Ping(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("Ping after Close: got %v, want ErrClosed", err)
	}
}

// TestGatewaySeats: TakeSeat and LeaveSeat in a FreeToTake room and in an
// ApplyToTake one, where the request is Pending until the owner picks the
// user, and a seat refusal as a *ReplyError.
func TestGatewaySeats(t *testing.T) {
	e := newGWEnv(t, "alice", "carol")
	ctx := context.Background()
	for id, mode := range map[string]string{"free": "FreeToTake", "apply": "ApplyToTake"} {
		r := roomd.Room{AppID: gwApp, ID: id, Owner: "alice", Props: map[string]string{"IsSeatEnabled": "true", "MaxSeatCount": "2", "TakeSeatMode": `"` + mode + `"`}}
		if _, _, err := e.svc.CreateRoom(ctx, gwAdmin, r, []string{"carol"}); err != nil {
			t.Fatal(err)
		}
	}
	_, addr := e.startGateway(t, gateway.Options{}, 0)
	c := mustDial(t, "ws://"+addr+"/v1/connect", "carol")

	got, err := c.TakeSeat(ctx, "free", 1)
	if err != nil || got.Pending || got.Index != 1 || got.Room != "free" {
		t.Fatalf("TakeSeat in a FreeToTake room: got %+v, %v; want seat 1 taken", got, err)
	}
	var re *ReplyError
	if _, err := c.TakeSeat(ctx, "free", 0); !errors.As(err, &re) || re.Code != CodeSeated {
		t.Fatalf("TakeSeat while seated: got %v, want a *ReplyError %d", err, CodeSeated)
	}
	if got, err := c.LeaveSeat(ctx, "free"); err != nil || got.Index != 1 || got.Cancelled {
		t.Fatalf("LeaveSeat: got %+v, %v; want seat 1 left", got, err)
	}

	got, err = c.TakeSeat(ctx, "apply", -1)
	if err != nil || !got.Pending {
		t.Fatalf("TakeSeat in an ApplyToTake room: got %+v, %v; want Pending", got, err)
	}
	if err := e.svc.PickSeat(ctx, gwAdmin, gwApp, "apply", "carol", 0); err != nil {
		t.Fatal(err)
	}
	for {
		ev := next(t, c)
		if ev.Room == "apply" && ev.Type == "seat.changed" && strings.Contains(string(ev.Data), `"picked"`) {
			break
		}
	}
	if got, err := c.LeaveSeat(ctx, "apply"); err != nil || got.Index != 0 {
		t.Fatalf("LeaveSeat after the pick: got %+v, %v; want seat 0 left", got, err)
	}
}
