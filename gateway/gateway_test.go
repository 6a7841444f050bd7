package gateway_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/tencentyun/tls-sig-api-v2-golang/tencentyun"

	"github.com/roomd/roomd"
)

var ctx = context.Background()

// wantSeqs fails unless got equals want.
func wantSeqs(tb testing.TB, what string, got, want []int64) {
	tb.Helper()
	if !reflect.DeepEqual(got, want) {
		tb.Fatalf("%s: got seqs %v, want %v", what, got, want)
	}
}

func TestLoginAndLiveEvents(t *testing.T) {
	e := MustStartGateway(t)
	e.MustRegister(t, "ann", "bob")
	e.MustRoom(t, "r1", "ann", "bob") // 1 created, 2-3 joined
	c, login := e.MustDial(t, "bob", nil)
	var data struct {
		User  string
		Rooms []struct {
			Room string
			Seq  int64
			Role int
		}
	}
	if err := json.Unmarshal(login.Data, &data); err != nil {
		t.Fatal(err)
	}
	if data.User != "bob" || len(data.Rooms) != 1 || data.Rooms[0].Room != "r1" || data.Rooms[0].Seq != 3 || data.Rooms[0].Role != 3 {
		t.Fatalf("login data: got %s, want bob in r1 at seq 3 with role 3", login.Data)
	}
	if err := e.Svc.TransferOwner(ctx, admin, appID, "r1", "bob", ""); err != nil {
		t.Fatal(err)
	}
	f := c.WaitEvents(1)[0]
	if f.Type != "event" || f.App != appID || f.Room != "r1" || f.Seq != 4 || f.Event != "owner.changed" || f.Actor != "administrator" ||
		string(f.Data) != `{"from":"ann","to":"bob"}` || f.Time < time.Now().Add(-time.Minute).UnixMilli() {
		t.Fatalf("event: got %+v (data %s), want owner.changed #4 from ann to bob", f, f.Data)
	}
	c.Quiet()
	// rooms answers the role now.
	r := c.Op("rooms", nil)
	if r.Code != 0 || string(r.Data) != `{"rooms":[{"room":"r1","seq":4,"role":1}]}` {
		t.Fatalf("rooms: got code %d data %s, want r1 at 4 with role 1", r.Code, r.Data)
	}
}

func TestLoginFailures(t *testing.T) {
	e := MustStartGateway(t, func(c *envConfig) { c.opts.LoginTimeout = 300 * time.Millisecond })
	e.MustRegister(t, "ann")
	cases := []struct {
		name  string
		frame map[string]any
	}{
		{"BadUserSig", map[string]any{"app": appID, "user": "ann", "usersig": "eJwrubbish"}},
		{"OtherUsersSig", map[string]any{"app": appID, "user": "ann", "usersig": mustUserSig(t, "bob")}},
		{"OtherApp", map[string]any{"app": appID + 1, "user": "ann", "usersig": mustUserSig(t, "ann")}},
		{"Unregistered", map[string]any{"app": appID, "user": "zed", "usersig": mustUserSig(t, "zed")}},
		{"NoCredential", map[string]any{"app": appID, "user": "ann"}},
		{"TwoCredentials", map[string]any{"app": appID, "user": "ann", "usersig": mustUserSig(t, "ann"), "token": "04x"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := e.MustConnect(t)
			r := c.Op("login", tc.frame)
			if r.Code != 40101 {
				t.Fatalf("login: got code %d (%s), want 40101", r.Code, r.Message)
			}
			c.WantClose(4001)
		})
	}
	t.Run("FirstFrameNotLogin", func(t *testing.T) {
		c := e.MustConnect(t)
		c.Send("ping", nil)
		c.WantClose(4001)
	})
	t.Run("NoLoginInTime", func(t *testing.T) {
		c := e.MustConnect(t)
		c.WantClose(4001)
	})
	t.Run("MalformedFrame", func(t *testing.T) {
		c, _ := e.MustDial(t, "ann", nil)
		c.SendRaw([]byte(`{"op":"ping"`))
		c.WantClose(4003)
	})
	t.Run("NoID", func(t *testing.T) {
		c, _ := e.MustDial(t, "ann", nil)
		c.SendRaw([]byte(`{"op":"ping"}`))
		c.WantClose(4003)
	})
	t.Run("UnknownOp", func(t *testing.T) {
		c, _ := e.MustDial(t, "ann", nil)
		if r := c.Op("dance", nil); r.Code != 40002 {
			t.Fatalf("unknown op: got code %d, want 40002", r.Code)
		}
		c.WantClose(4003)
	})
	t.Run("SecondLogin", func(t *testing.T) {
		c, _ := e.MustDial(t, "ann", nil)
		r := c.Op("login", map[string]any{"app": appID, "user": "ann", "usersig": mustUserSig(t, "ann")})
		if r.Code != 40003 {
			t.Fatalf("second login: got code %d, want 40003", r.Code)
		}
		c.Quiet()
	})
}

// TestJoinAndRemoval: a user added while connected gets the room's events
// from its member.joined; once removed, its removal and nothing more.
func TestJoinAndRemoval(t *testing.T) {
	e := MustStartGateway(t)
	e.MustRegister(t, "ann", "bob", "cid")
	e.MustRoom(t, "r1", "ann", "bob") // 1-3
	c, _ := e.MustDial(t, "cid", nil)
	if _, err := e.Svc.AddMembers(ctx, admin, appID, "r1", []roomd.MemberAdd{{UserID: "cid"}}); err != nil { // 4
		t.Fatal(err)
	}
	if err := e.Svc.TransferOwner(ctx, admin, appID, "r1", "cid", ""); err != nil { // 5
		t.Fatal(err)
	}
	if _, err := e.Svc.RemoveMembers(ctx, admin, appID, "r1", []string{"cid"}, "bye"); err != nil { // 6 left, 7 owner -> ann
		t.Fatal(err)
	}
	if err := e.Svc.TransferOwner(ctx, admin, appID, "r1", "bob", ""); err != nil { // 8
		t.Fatal(err)
	}
	c.WaitEvents(3)
	c.Quiet()
	wantSeqs(t, "cid's events", roomSeqs(c.Events, "r1"), []int64{4, 5, 6})
	if c.Events[2].Event != "member.left" || string(c.Events[2].Data) != `{"user_id":"cid","reason":"kicked","message":"bye"}` {
		t.Fatalf("last event: got %s %s, want cid's removal", c.Events[2].Event, c.Events[2].Data)
	}
	if n := e.Hub.Subscribers(appID, "r1"); n != 0 {
		t.Fatalf("subscribers of r1 after cid's removal: got %d, want 0", n)
	}
}

// TestSeveralConnectionsOfOneUser: each connection of a user gets every event.
func TestSeveralConnectionsOfOneUser(t *testing.T) {
	e := MustStartGateway(t)
	e.MustRegister(t, "ann", "bob")
	e.MustRoom(t, "r1", "ann", "bob")
	c1, _ := e.MustDial(t, "bob", nil)
	c2, _ := e.MustDial(t, "bob", nil)
	if err := e.Svc.TransferOwner(ctx, admin, appID, "r1", "bob", ""); err != nil {
		t.Fatal(err)
	}
	wantSeqs(t, "first connection", roomSeqs(c1.WaitEvents(1), "r1"), []int64{4})
	wantSeqs(t, "second connection", roomSeqs(c2.WaitEvents(1), "r1"), []int64{4})
}

// TestResume: a client that reconnects with the last seq it has gets
// exactly what it missed, including its removal from a room and its return.
func TestResume(t *testing.T) {
	e := MustStartGateway(t)
	e.MustRegister(t, "ann", "bob")
	e.MustRoom(t, "r1", "ann", "bob") // 1-3
	e.MustRoom(t, "r2", "bob", "ann") // 1-3
	e.MustRoom(t, "r3", "ann", "bob") // 1-3
	c, _ := e.MustDial(t, "bob", nil)
	if err := e.Svc.TransferOwner(ctx, admin, appID, "r1", "bob", ""); err != nil { // r1 4
		t.Fatal(err)
	}
	c.WaitEvents(1)
	_ = c.ws.CloseNow()
	// While bob is away: r1 transfers back (5); r2 a transfer (4); bob is
	// kicked from r3 (4), r3 is renamed (5), bob returns (6) and gets r3 (7).
	steps := []func() error{
		func() error { return e.Svc.TransferOwner(ctx, admin, appID, "r1", "ann", "") },
		func() error { return e.Svc.TransferOwner(ctx, admin, appID, "r2", "ann", "") },
		func() error { _, err := e.Svc.RemoveMembers(ctx, admin, appID, "r3", []string{"bob"}, ""); return err },
		func() error { return e.Svc.UpdateRoom(ctx, admin, appID, "r3", roomd.RoomUpdate{Name: ptr("secret")}) },
		func() error {
			_, err := e.Svc.AddMembers(ctx, admin, appID, "r3", []roomd.MemberAdd{{UserID: "bob"}})
			return err
		},
		func() error { return e.Svc.TransferOwner(ctx, admin, appID, "r3", "bob", "") },
	}
	for i, s := range steps {
		if err := s(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	c2, _ := e.MustDial(t, "bob", map[string]int64{"r1": 4, "r2": 3, "r3": 3})
	c2.WaitEvents(5)
	c2.Quiet()
	wantSeqs(t, "r1", roomSeqs(c2.Events, "r1"), []int64{5})
	wantSeqs(t, "r2", roomSeqs(c2.Events, "r2"), []int64{4})
	wantSeqs(t, "r3 (not the rename while bob was out)", roomSeqs(c2.Events, "r3"), []int64{4, 6, 7})
	// Without resume: nothing from the past, then live.
	c3, _ := e.MustDial(t, "bob", nil)
	c3.Quiet()
}

func ptr[T any](v T) *T { return &v }

// TestResumeAfterRemoval: a user removed while away gets the events up to
// and including its removal, then nothing of that room.
func TestResumeAfterRemoval(t *testing.T) {
	e := MustStartGateway(t)
	e.MustRegister(t, "ann", "bob")
	e.MustRoom(t, "r1", "ann", "bob")                                               // 1-3
	if err := e.Svc.TransferOwner(ctx, admin, appID, "r1", "bob", ""); err != nil { // 4
		t.Fatal(err)
	}
	if _, err := e.Svc.BanMembers(ctx, admin, appID, "r1", []string{"bob"}, 0, ""); err != nil { // 5 banned, 6 left, 7 owner
		t.Fatal(err)
	}
	c, login := e.MustDial(t, "bob", map[string]int64{"r1": 3})
	if string(login.Data) != `{"rooms":[],"user":"bob"}` && string(login.Data) != `{"user":"bob","rooms":[]}` {
		t.Fatalf("login data: got %s, want no rooms", login.Data)
	}
	c.WaitEvents(3)
	c.Quiet()
	wantSeqs(t, "r1 up to bob's removal", roomSeqs(c.Events, "r1"), []int64{4, 5, 6})
	if err := e.Svc.TransferOwner(ctx, admin, appID, "r1", "ann", ""); err != nil {
		t.Fatal(err)
	}
	c.Quiet()
}

// TestEnterAndLeave: enter_room and leave_room, their events before their
// replies, and their refusals.
func TestEnterAndLeave(t *testing.T) {
	e := MustStartGateway(t)
	e.MustRegister(t, "ann", "bob", "cid", "dan")
	e.MustRoom(t, "r1", "ann") // 1-2
	c, _ := e.MustDial(t, "bob", nil)
	r := c.Op("enter_room", map[string]any{"room": "r1"})
	if r.Code != 0 || string(r.Data) != `{"room":"r1","seq":3}` {
		t.Fatalf("enter_room: got code %d data %s, want r1 at 3", r.Code, r.Data)
	}
	wantSeqs(t, "events before the reply", roomSeqs(c.Events, "r1"), []int64{3})
	if _, err := e.Svc.BanMembers(ctx, admin, appID, "r1", []string{"cid"}, time.Hour, ""); err != nil { // 4
		t.Fatal(err)
	}
	limit := 2
	if err := e.Svc.UpdateRoom(ctx, admin, appID, "r1", roomd.RoomUpdate{MaxMembers: &limit}); err != nil { // 5
		t.Fatal(err)
	}
	for _, tc := range []struct {
		user, room string
		code       int
	}{{"cid", "r1", 40302}, {"dan", "r1", 41301}, {"dan", "nope", 40401}, {"dan", "", 40001}} {
		c2, _ := e.MustDial(t, tc.user, nil)
		if r := c2.Op("enter_room", map[string]any{"room": tc.room}); r.Code != tc.code {
			t.Errorf("%s enters %q: got code %d (%s), want %d", tc.user, tc.room, r.Code, r.Message, tc.code)
		}
	}
	r = c.Op("leave_room", map[string]any{"room": "r1"})
	if r.Code != 0 || string(r.Data) != `{"room":"r1","seq":6}` {
		t.Fatalf("leave_room: got code %d data %s, want r1 at 6", r.Code, r.Data)
	}
	wantSeqs(t, "bob's events", roomSeqs(c.Events, "r1"), []int64{3, 4, 5, 6})
	last := c.Events[len(c.Events)-1]
	if last.Event != "member.left" || string(last.Data) != `{"user_id":"bob","reason":"left"}` {
		t.Fatalf("leave event: got %s %s", last.Event, last.Data)
	}
	if r := c.Op("leave_room", map[string]any{"room": "r1"}); r.Code != 40403 {
		t.Fatalf("leaving again: got code %d, want 40403", r.Code)
	}
}

func TestSync(t *testing.T) {
	e := MustStartGateway(t)
	e.MustRegister(t, "ann", "bob", "cid")
	e.MustRoom(t, "r1", "ann", "bob") // 1-3
	for i := range 5 {
		if err := e.Svc.TransferOwner(ctx, admin, appID, "r1", []string{"bob", "ann"}[i%2], ""); err != nil { // 4-8
			t.Fatal(err)
		}
	}
	c, _ := e.MustDial(t, "bob", nil)
	r := c.Op("sync", map[string]any{"room": "r1", "since_seq": 2, "limit": 4})
	var data struct {
		Events []Frame
		Seq    int64
	}
	if err := json.Unmarshal(r.Data, &data); err != nil || r.Code != 0 {
		t.Fatalf("sync: code %d, %v", r.Code, err)
	}
	wantSeqs(t, "sync page", roomSeqs(data.Events, "r1"), []int64{3, 4, 5, 6})
	if data.Seq != 8 || data.Events[0].Event != "member.joined" || data.Events[0].Type != "event" {
		t.Fatalf("sync: got seq %d, first %+v; want 8 and bob's join", data.Seq, data.Events[0])
	}
	c2, _ := e.MustDial(t, "cid", nil)
	if r := c2.Op("sync", map[string]any{"room": "r1", "since_seq": 0}); r.Code != 40403 {
		t.Fatalf("sync by a stranger: got code %d, want 40403", r.Code)
	}
	if r := c2.Op("sync", map[string]any{"room": "r1", "since_seq": 0, "limit": 5000}); r.Code != 40001 {
		t.Fatalf("sync with too large a limit: got code %d, want 40001", r.Code)
	}
}

// TestSlowConsumer: a client that stops reading is cut off, and another
// member of the same room gets every event meanwhile.
func TestSlowConsumer(t *testing.T) {
	e := MustStartGateway(t, func(c *envConfig) {
		c.sendBuf = 4096
		c.opts.WriteTimeout = 500 * time.Millisecond
		c.opts.MaxQueue = 64
	})
	e.MustRegister(t, "ann", "bob", "cid")
	e.MustRoom(t, "r1", "ann", "bob", "cid")
	e.MustDialSmallBuffer(t, "cid") // it never reads again
	fast, _ := e.MustDial(t, "bob", nil)
	const n = 400
	for i := range n {
		if err := e.Svc.UpdateRoom(ctx, admin, appID, "r1", roomd.RoomUpdate{Notice: ptr("notice " + string(rune('a'+i%26)))}); err != nil {
			t.Fatal(err)
		}
		if i%50 == 0 {
			fast.WaitEvents(i + 1)
		}
	}
	wantSeqs(t, "the fast member", roomSeqs(fast.WaitEvents(n), "r1"), span(5, 4+n))
	deadline := time.Now().Add(10 * time.Second)
	for e.GW.Connections() != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := e.GW.Connections(); got != 1 {
		t.Fatalf("connections after the slow client fell behind: got %d, want 1 (it is cut off)", got)
	}
}

// TestShutdown: connections are closed with 1001.
func TestShutdown(t *testing.T) {
	e := MustStartGateway(t)
	e.MustRegister(t, "ann")
	c, _ := e.MustDial(t, "ann", nil)
	done := make(chan struct{})
	go func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		e.GW.Shutdown(sctx)
		close(done)
	}()
	c.WantClose(websocket.StatusGoingAway)
	<-done
	if n := e.GW.Connections(); n != 0 {
		t.Fatalf("connections after Shutdown: got %d, want 0", n)
	}
}

// TestLoginWithVendorUserSig: a UserSig made by Tencent's own module logs a
// (non-admin) member in.
func TestLoginWithVendorUserSig(t *testing.T) {
	e := MustStartGateway(t)
	e.MustRegister(t, "ann")
	sig, err := tencentyun.GenUserSig(int(appID), secret, "ann", 3600)
	if err != nil {
		t.Fatal(err)
	}
	c := e.MustConnect(t)
	if r := c.Op("login", map[string]any{"app": appID, "user": "ann", "usersig": sig}); r.Code != 0 {
		t.Fatalf("login with the vendor's UserSig: got code %d (%s), want 0", r.Code, r.Message)
	}
}

// TestTooFarBehind: a client whose queue overflows (here: one commit with
// more events than the queue holds) is closed with 4002, and resuming
// gets it everything it missed.
func TestTooFarBehind(t *testing.T) {
	e := MustStartGateway(t, func(c *envConfig) { c.opts.MaxQueue = 4 })
	var many []string
	for i := range 20 {
		many = append(many, "u"+strconv.Itoa(i))
	}
	e.MustRegister(t, append([]string{"ann", "bob"}, many...)...)
	e.MustRoom(t, "r1", "ann", "bob") // 1-3
	c, _ := e.MustDial(t, "bob", nil)
	var adds []roomd.MemberAdd
	for _, u := range many {
		adds = append(adds, roomd.MemberAdd{UserID: u})
	}
	if _, err := e.Svc.AddMembers(ctx, admin, appID, "r1", adds); err != nil { // 4-23 in one commit
		t.Fatal(err)
	}
	c.WantClose(4002)
	last := int64(3)
	if s := roomSeqs(c.Events, "r1"); len(s) > 0 {
		last = s[len(s)-1]
	}
	c2, _ := e.MustDial(t, "bob", map[string]int64{"r1": last})
	wantSeqs(t, "after resuming", roomSeqs(c2.WaitEvents(int(23-last)), "r1"), span(last+1, 23))
}

// TestResyncPastRetention: resuming, or syncing, from before the oldest
// kept event gets a resync with the room's current seq, then live events.
func TestResyncPastRetention(t *testing.T) {
	e := MustStartGateway(t)
	e.MustRegister(t, "ann", "bob")
	e.MustRoom(t, "r1", "ann", "bob") // 1-3
	for i := range 6 {
		if err := e.Svc.TransferOwner(ctx, admin, appID, "r1", []string{"bob", "ann"}[i%2], ""); err != nil { // 4-9
			t.Fatal(err)
		}
	}
	if _, err := e.Svc.Compact(ctx, roomd.Retention{MaxAge: 0, MinEvents: 2}, 0); err != nil { // keeps 8, 9
		t.Fatal(err)
	}
	c, _ := e.MustDial(t, "bob", map[string]int64{"r1": 4})
	f := c.WaitEvents(1)[0]
	if f.Type != "resync" || f.Room != "r1" || f.Seq != 9 {
		t.Fatalf("got %+v, want a resync of r1 at 9", f)
	}
	if r := c.Op("sync", map[string]any{"room": "r1", "since_seq": 4}); r.Code != 41001 || string(r.Data) != `{"seq":9}` {
		t.Fatalf("sync from before retention: got code %d data %s, want 41001 {seq 9}", r.Code, r.Data)
	}
	if err := e.Svc.TransferOwner(ctx, admin, appID, "r1", "bob", ""); err != nil { // 10
		t.Fatal(err)
	}
	wantSeqs(t, "live after the resync", roomSeqs(c.WaitEvents(2), "r1"), []int64{10})
}
