package roomdclient

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// statusLog records what WithStatus reports.
type statusLog struct {
	mu sync.Mutex
	s  []Status
}

func (l *statusLog) add(s Status) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.s = append(l.s, s)
}

func (l *statusLog) get() []Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Status(nil), l.s...)
}

// TestResumeAfterDrop: after a drop mid-stream, the client logs in again
// with, per room, the last seq Next returned (events received but not yet
// returned do not count), the login baseline of rooms without events, and
// the seq before the first event of a room joined live; Next then goes on
// without gap or duplicate.
func TestResumeAfterDrop(t *testing.T) {
	fg := newFake(t)
	var log statusLog
	c, fc, login := dialFake(t, fg, []RoomState{{Room: "team", Seq: 0, Role: 3}, {Room: "g2", Seq: 7, Role: 1}},
		WithStatus(log.add))
	if login.App != cred.App || login.User != cred.User || login.UserSig != cred.UserSig || login.Token != "" || login.Resume != nil {
		t.Fatalf("first login: got %+v, want app %d, user %q, usersig %q, no token, no resume", login, cred.App, cred.User, cred.UserSig)
	}
	check(t, fc.events("team", 1, 5))
	joined := eventFrame("new", 5, "member.joined", map[string]any{"user_id": "carol", "role": 3})
	fc.sendAll(t, joined)
	check(t, fc.events("team", 6, 6))
	caughtUp(t, c, fc)
	for want := int64(1); want <= 3; want++ {
		if ev := next(t, c); ev.Room != "team" || ev.Seq != want {
			t.Fatalf("Next: got %s #%d, want team #%d", ev.Room, ev.Seq, want)
		}
	}
	fc2 := resumedWith(t, fg, fc, map[string]int64{"team": 3, "g2": 7, "new": 4},
		RoomState{Room: "team", Seq: 9, Role: 3}, RoomState{Room: "g2", Seq: 7, Role: 1}, RoomState{Room: "new", Seq: 5, Role: 3})
	check(t, fc2.events("team", 4, 9))
	fc2.sendAll(t, joined)
	check(t, fc2.events("g2", 8, 8))
	want := map[string][]int64{"team": {4, 5, 6, 7, 8, 9}, "new": {5}, "g2": {8}}
	got := map[string][]int64{}
	for range 8 {
		ev := next(t, c)
		got[ev.Room] = append(got[ev.Room], ev.Seq)
	}
	for room := range want {
		if !slices.Equal(got[room], want[room]) {
			t.Fatalf("after the reconnect, room %s: got seqs %v, want %v", room, got[room], want[room])
		}
	}
	nothingNext(t, c, 100*time.Millisecond)

	var connected bool
	for _, s := range log.get() {
		connected = connected || s.Connected
	}
	if st := log.get(); len(st) < 2 || st[0].Connected || st[0].Err == nil || !connected {
		t.Fatalf("statuses: got %+v, want a drop with its error, then a reconnect", st)
	}
}

// TestEventFields: an event frame comes out of Next field by field, and a
// resync frame as an Event with Resync set, which the next resume starts
// from.
func TestEventFields(t *testing.T) {
	fg := newFake(t)
	c, fc, _ := dialFake(t, fg, nil, WithResume(map[string]int64{"team": 3}))
	fc.sendAll(t, map[string]any{"type": "event", "app": 1400000001, "room": "team", "seq": 4, "event": "owner.changed",
		"actor": "alice", "time": 1795461251812, "data": map[string]string{"from": "alice", "to": "bob"}},
		map[string]any{"type": "novelty", "room": "team"}, // a frame type from the future: ignored
		map[string]any{"type": "resync", "room": "g2", "seq": 42})
	ev := next(t, c)
	want := Event{App: 1400000001, Room: "team", Seq: 4, Type: "owner.changed", Actor: "alice",
		Time: time.UnixMilli(1795461251812), Data: json.RawMessage(`{"from":"alice","to":"bob"}`)}
	if ev.App != want.App || ev.Room != want.Room || ev.Seq != want.Seq || ev.Type != want.Type || ev.Actor != want.Actor ||
		!ev.Time.Equal(want.Time) || string(ev.Data) != string(want.Data) || ev.Resync {
		t.Fatalf("event: got %+v, want %+v", ev, want)
	}
	if ev := next(t, c); !ev.Resync || ev.Room != "g2" || ev.Seq != 42 || ev.Type != "" {
		t.Fatalf("resync: got %+v, want Resync for g2 at 42", ev)
	}
	resumedWith(t, fg, fc, map[string]int64{"team": 4, "g2": 42})
}

// TestResumeForgetsLeftRooms: once Next has returned the user's removal
// from a room (or the room's dismissal), the room leaves the resume map,
// unless more of it is already queued (the user is back).
func TestResumeForgetsLeftRooms(t *testing.T) {
	fg := newFake(t)
	c, fc, _ := dialFake(t, fg, []RoomState{{Room: "a", Seq: 1}, {Room: "b", Seq: 1}, {Room: "c", Seq: 1}, {Room: "d", Seq: 1}})
	fc.sendAll(t, eventFrame("a", 2, "member.left", map[string]any{"user_id": "carol", "reason": "left"}),
		eventFrame("b", 2, "member.left", map[string]any{"user_id": "bob", "reason": "kicked"}),
		eventFrame("c", 2, "room.dismissed", map[string]any{"name": "c", "owner": "alice"}),
		eventFrame("d", 2, "member.left", map[string]any{"user_id": "carol", "reason": "left"}),
		eventFrame("d", 3, "member.joined", map[string]any{"user_id": "carol", "role": 3}))
	caughtUp(t, c, fc)
	for range 4 { // all but d #3
		next(t, c)
	}
	resumedWith(t, fg, fc, map[string]int64{"b": 2, "d": 2})
}

// TestLoginRefused: a refused login is a *ReplyError from Dial, and the
// client does not try again.
func TestLoginRefused(t *testing.T) {
	fg := newFake(t)
	errc := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		c, err := Dial(ctx, fg.URL, cred, fastBackoff)
		if c != nil {
			c.Close()
		}
		errc <- err
	}()
	fg.mustAccept(t).refuseLogin(t, CodeLoginFailed, "login failed")
	err := <-errc
	var re *ReplyError
	if !errors.As(err, &re) || re.Code != CodeLoginFailed || re.Message != "login failed" {
		t.Fatalf("Dial: got %v, want a *ReplyError 40101 %q", err, "login failed")
	}
	fg.noConn(t, 200*time.Millisecond)
}

// TestGivingUp: a login refused on reconnect, or a close with 4001 or 4003,
// ends the client: Next returns the error, and there is no further attempt.
// A login refused for an internal error is tried again.
func TestGivingUp(t *testing.T) {
	t.Run("RefusedOnReconnect", func(t *testing.T) {
		fg := newFake(t)
		c, fc, _ := dialFake(t, fg, nil)
		fc.drop()
		fg.mustAccept(t).refuseLogin(t, CodeLoginFailed, "expired")
		_, err := c.Next(context.Background())
		var re *ReplyError
		if !errors.As(err, &re) || re.Code != 40101 {
			t.Fatalf("Next: got %v, want a *ReplyError 40101", err)
		}
		fg.noConn(t, 200*time.Millisecond)
	})
	t.Run("InternalErrorRetried", func(t *testing.T) {
		fg := newFake(t)
		c, fc, _ := dialFake(t, fg, nil)
		fc.drop()
		fg.mustAccept(t).refuseLogin(t, CodeInternal, "internal error, retry")
		fc3 := fg.mustAccept(t) // a 50001 is worth another attempt
		fc3.mustLogin(t)
		caughtUp(t, c, fc3)
	})
	for _, code := range []websocket.StatusCode{4001, 4003} {
		t.Run(code.String(), func(t *testing.T) {
			fg := newFake(t)
			c, fc, _ := dialFake(t, fg, nil)
			fc.close(code)
			_, err := c.Next(context.Background())
			if got := websocket.CloseStatus(err); got != code {
				t.Fatalf("Next: got %v (close status %d), want close status %d", err, got, code)
			}
			if err := c.Ping(context.Background()); websocket.CloseStatus(err) != code {
				t.Fatalf("Ping after the end: got %v, want the close %d", err, code)
			}
			fg.noConn(t, 200*time.Millisecond)
		})
	}
}

// TestReplies: ops send the fields of docs/realtime.md and decode their
// replies; a non-zero reply is a *ReplyError, with the current seq for a
// sync resync.
func TestReplies(t *testing.T) {
	fg := newFake(t)
	c, fc, _ := dialFake(t, fg, nil)
	ctx := context.Background()

	srv := serveOp(fc, 0, "", map[string]any{"rooms": []map[string]any{{"room": "team", "seq": 42, "role": 1}}})
	rooms, err := c.Rooms(ctx)
	if op := served(t, srv); err != nil || op.Op != "rooms" || len(rooms) != 1 || rooms[0] != (RoomState{Room: "team", Seq: 42, Role: 1}) {
		t.Fatalf("Rooms: sent %q, got %+v, %v; want [{team 42 1}]", op.Op, rooms, err)
	}

	srv = serveOp(fc, 0, "", map[string]any{"room": "team", "seq": 43})
	err = c.EnterRoom(ctx, "team")
	if op := served(t, srv); err != nil || op.Op != "enter_room" || op.Room != "team" {
		t.Fatalf("EnterRoom: sent %+v, got %v; want enter_room team, nil", op, err)
	}

	srv = serveOp(fc, 40403, "not a member", nil)
	err = c.LeaveRoom(ctx, "x")
	var re *ReplyError
	if op := served(t, srv); op.Op != "leave_room" || op.Room != "x" || !errors.As(err, &re) || *re != (ReplyError{Code: 40403, Message: "not a member"}) {
		t.Fatalf("LeaveRoom: sent %+v, got %v; want a *ReplyError 40403", op, err)
	}

	srv = serveOp(fc, 0, "", map[string]any{"seq": 12, "events": []any{eventFrame("team", 11, "member.updated", map[string]any{}), eventFrame("team", 12, "owner.changed", map[string]any{})}})
	events, seq, err := c.Sync(ctx, "team", 10, 2)
	op := served(t, srv)
	if op.Op != "sync" || op.Room != "team" || op.SinceSeq == nil || *op.SinceSeq != 10 || op.Limit != 2 {
		t.Fatalf("Sync sent %+v, want sync team since 10 limit 2", op)
	}
	if err != nil || seq != 12 || len(events) != 2 || events[0].Seq != 11 || events[1].Type != "owner.changed" || !events[1].Time.Equal(eventTime) {
		t.Fatalf("Sync: got %+v, %d, %v; want team #11 and #12, seq 12", events, seq, err)
	}

	srv = serveOp(fc, 41001, "resync", map[string]any{"seq": 99})
	events, seq, err = c.Sync(ctx, "team", 0, 0)
	op = served(t, srv)
	if op.SinceSeq == nil || *op.SinceSeq != 0 || op.Limit != 0 {
		t.Fatalf("Sync from 0 sent %+v, want since_seq 0 and no limit", op)
	}
	if !errors.As(err, &re) || re.Code != CodeResync || seq != 99 || events != nil {
		t.Fatalf("Sync out of range: got %v, %d, %v; want no events, seq 99, a *ReplyError 41001", events, seq, err)
	}
}

// TestOpInFlightDuringDrop: an op whose connection drops before its reply
// fails with ErrDisconnected, and succeeds when retried after the
// reconnect; an op called while disconnected waits for the connection.
func TestOpInFlightDuringDrop(t *testing.T) {
	fg := newFake(t)
	c, fc, _ := dialFake(t, fg, nil)
	errc := make(chan error, 1)
	go func() { errc <- c.EnterRoom(context.Background(), "team") }()
	op, err := fc.readOp()
	check(t, err)
	if op.Op != "enter_room" {
		t.Fatalf("op: got %q, want enter_room", op.Op)
	}
	fc.drop()
	if err := <-errc; !errors.Is(err, ErrDisconnected) {
		t.Fatalf("EnterRoom in flight during a drop: got %v, want ErrDisconnected", err)
	}
	fc2 := fg.mustAccept(t)
	fc2.mustLogin(t)
	srv := serveOp(fc2, 0, "", map[string]any{"room": "team", "seq": 1})
	if err := c.EnterRoom(context.Background(), "team"); err != nil {
		t.Fatalf("EnterRoom retried: got %v, want nil", err)
	}
	served(t, srv)
}

// TestClose: Close closes with 1000; then Next and ops return ErrClosed.
func TestClose(t *testing.T) {
	fg := newFake(t)
	c, fc, _ := dialFake(t, fg, nil)
	readErr := make(chan error, 1)
	go func() {
		_, err := fc.readOp()
		readErr <- err
	}()
	check(t, c.Close())
	if err := <-readErr; websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Fatalf("the fake read %v, want a close 1000", err)
	}
	if _, err := c.Next(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Next after Close: got %v, want ErrClosed", err)
	}
	if err := c.Ping(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Ping after Close: got %v, want ErrClosed", err)
	}
	fg.noConn(t, 100*time.Millisecond)
}

// logFake serves one room's log of n events as roomd would, from each
// login's resume, cutting the connection after a few events (abruptly, or
// with 4002 or 1001), drops times; then it serves the rest.
func logFake(fg *fakeGateway, n int64, drops int) error {
	closes := []func(*fakeConn){(*fakeConn).drop, func(fc *fakeConn) { fc.close(4002) }, func(fc *fakeConn) { fc.close(websocket.StatusGoingAway) }}
	for i := 0; i <= drops; i++ {
		fc, err := fg.accept()
		if err != nil {
			return err
		}
		login, err := fc.login([]RoomState{{Room: "r", Seq: 0, Role: 3}})
		if err != nil {
			return err
		}
		from := login.Resume["r"] + 1
		to := n
		if i < drops {
			to = min(n, from+rand.Int64N(40))
		}
		if err := fc.events("r", from, to); err != nil {
			return err
		}
		if i < drops {
			closes[i%len(closes)](fc)
		}
	}
	return nil
}

// TestResumeStress: with a tiny queue and a server that cuts the connection
// again and again, Next yields the log exactly once, in order.
func TestResumeStress(t *testing.T) {
	fg := newFake(t)
	const n = 300
	c, fc, _ := dialFake(t, fg, []RoomState{{Room: "r", Seq: 0, Role: 3}}, WithQueueSize(2))
	fc.drop()
	fakeErr := make(chan error, 1)
	go func() { fakeErr <- logFake(fg, n, 12) }()
	for want := int64(1); want <= n; want++ {
		if ev := next(t, c); ev.Room != "r" || ev.Seq != want {
			t.Fatalf("Next: got %s #%d, want r #%d", ev.Room, ev.Seq, want)
		}
	}
	check(t, <-fakeErr)
	nothingNext(t, c, 100*time.Millisecond)
}

// TestFullQueueStopsReading: a client whose caller does not call Next stops
// reading once its queue is full, so roomd's writes stall (and roomd cuts
// it off); the client resumes from what Next returned, losing nothing.
func TestFullQueueStopsReading(t *testing.T) {
	fg := newFake(t)
	c, fc, _ := dialFake(t, fg, []RoomState{{Room: "r", Seq: 0}}, WithQueueSize(2))
	pad := map[string]string{"pad": strings.Repeat("x", 8<<10)}
	var sent int64
	for sent < 4000 {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		b, err := json.Marshal(eventFrame("r", sent+1, "member.updated", pad))
		check(t, err)
		err = fc.ws.Write(ctx, websocket.MessageText, b)
		cancel()
		if err != nil {
			break // the write stalled: the client stopped reading
		}
		sent++
	}
	if sent >= 4000 {
		t.Fatalf("the fake wrote %d events of 8 KiB to a client that calls no Next, want its writes to stall", sent)
	}
	fc.drop() // as roomd does with 4002 when a write takes too long
	last := sent + 3
	resumed := make(chan int64, 1)
	fakeErr := make(chan error, 1)
	go func() {
		fc2, err := fg.accept()
		if err == nil {
			var login opFrame
			login, err = fc2.login([]RoomState{{Room: "r", Seq: last}})
			resumed <- login.Resume["r"]
			if err == nil {
				err = fc2.events("r", login.Resume["r"]+1, last)
			}
		}
		fakeErr <- err
	}()
	for want := int64(1); want <= last; want++ {
		if ev := next(t, c); ev.Seq != want {
			t.Fatalf("Next: got #%d, want #%d (the fake stalled after %d)", ev.Seq, want, sent)
		}
	}
	check(t, <-fakeErr)
	if r := <-resumed; r < 0 || r > sent {
		t.Fatalf("resume: got r=%d, want 0 to %d", r, sent)
	}
	nothingNext(t, c, 100*time.Millisecond)
}

// TestLocalErrors: mistakes caught before anything is sent: a credential
// with both or neither of UserSig and Token, and a frame over roomd's 64 KiB
// limit, which is refused without breaking the connection.
func TestLocalErrors(t *testing.T) {
	fg := newFake(t)
	for _, bad := range []Credentials{{App: 1, User: "u"}, {App: 1, User: "u", UserSig: "s", Token: "t"}} {
		if c, err := Dial(context.Background(), fg.URL, bad); err == nil {
			c.Close()
			t.Fatalf("Dial with %+v: got success, want an error", bad)
		}
	}
	c, fc, _ := dialFake(t, fg, nil)
	err := c.EnterRoom(context.Background(), strings.Repeat("x", 70000))
	if err == nil || errors.Is(err, ErrDisconnected) || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("EnterRoom with a 70000-byte id: got %v, want an error naming the limit", err)
	}
	caughtUp(t, c, fc) // the connection still works
	big := map[string]int64{}
	for i := range 5000 {
		big[strings.Repeat("r", 20)+strconv.Itoa(i)] = 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		c, err := Dial(ctx, fg.URL, cred, WithResume(big))
		if c != nil {
			c.Close()
		}
		errc <- err
	}()
	fg.mustAccept(t)
	if err := <-errc; err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("Dial with a resume map over 64 KiB: got %v, want an error naming the limit", err)
	}
}
