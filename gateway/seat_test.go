package gateway_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/roomd/roomd"
)

// mustSeatRoom creates room with count seats in mode, owned by owner, with members.
func (e *Env) mustSeatRoom(tb testing.TB, room string, count int, mode, owner string, members ...string) {
	tb.Helper()
	props := map[string]string{roomd.PropSeatEnabled: "true", roomd.PropSeatCount: string(mustJSON(tb, count)), roomd.PropTakeSeatMode: string(mustJSON(tb, mode))}
	if _, items, err := e.Svc.CreateRoom(context.Background(), admin, roomd.Room{AppID: appID, ID: room, Owner: owner, Props: props}, members); err != nil || len(items) > 0 {
		tb.Fatalf("CreateRoom %s: %v %v", room, items, err)
	}
}

// seatData is the data of a take_seat or leave_seat reply.
type seatData struct {
	Room      string
	Seq       int64
	Index     int
	Cancelled bool
}

// wantSeatOp sends op with fields and checks the reply's code; it returns its data.
func (c *Client) wantSeatOp(op string, fields map[string]any, code int) seatData {
	c.tb.Helper()
	r := c.Op(op, fields)
	if r.Code != code {
		c.tb.Fatalf("%s %v: got code %d (%s), want %d", op, fields, r.Code, r.Message, code)
	}
	var d seatData
	if len(r.Data) > 0 {
		if err := json.Unmarshal(r.Data, &d); err != nil {
			c.tb.Fatal(err)
		}
	}
	return d
}

// seatEvent returns the payload of an event frame, which must be a seat.changed.
func seatEvent(tb testing.TB, f Frame) roomd.SeatPayload {
	tb.Helper()
	if f.Type != "event" || f.Event != string(roomd.EventSeatChanged) {
		tb.Fatalf("frame %+v, want a seat.changed event", f)
	}
	var p roomd.SeatPayload
	if err := json.Unmarshal(f.Data, &p); err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestSeatOpsFreeToTake(t *testing.T) {
	e := MustStartGateway(t)
	e.MustRegister(t, "ann", "bob", "cid", "eve")
	e.mustSeatRoom(t, "r1", 2, roomd.SeatFreeToTake, "ann", "bob", "cid")
	e.MustRoom(t, "plain", "ann", "bob")
	bob, _ := e.MustDial(t, "bob", nil)
	cid, _ := e.MustDial(t, "cid", nil)

	d := bob.wantSeatOp("take_seat", map[string]any{"room": "r1"}, 0)
	if d.Room != "r1" || d.Index != 0 || d.Seq != 5 {
		t.Fatalf("take_seat data: got %+v, want r1, seat 0, seq 5", d)
	}
	// The event comes before the reply, to everyone in the room.
	if len(bob.Events) != 1 || bob.Events[0].Seq != 5 {
		t.Fatalf("bob's events before the reply: got %v, want the seat.changed", seqs(bob.Events))
	}
	p := seatEvent(t, cid.WaitEvents(1)[0])
	if p.Reason != roomd.SeatTaken || p.UserID != "bob" || len(p.Seats) != 2 || p.Seats[0].UserID != "bob" || cid.Events[0].Actor != "bob" {
		t.Fatalf("seat.changed of the take: got %+v", p)
	}
	bob.wantSeatOp("take_seat", map[string]any{"room": "r1", "index": 1}, 40911)
	cid.wantSeatOp("take_seat", map[string]any{"room": "r1", "index": 0}, 40910)
	cid.wantSeatOp("take_seat", map[string]any{"room": "r1", "index": 2}, 40001)
	cid.wantSeatOp("take_seat", map[string]any{"index": 0}, 40001)
	cid.wantSeatOp("take_seat", map[string]any{"room": "plain", "index": 0}, 40403)
	bob.wantSeatOp("take_seat", map[string]any{"room": "plain", "index": 0}, 40304)
	bob.wantSeatOp("take_seat", map[string]any{"room": "nowhere"}, 40401)
	if err := e.Svc.LockSeat(context.Background(), admin, appID, "r1", 1, roomd.SeatLock{Taken: new(true)}); err != nil {
		t.Fatal(err)
	}
	cid.wantSeatOp("take_seat", map[string]any{"room": "r1", "index": 1}, 40305)
	cid.wantSeatOp("take_seat", map[string]any{"room": "r1", "index": -1}, 41302)
	cid.wantSeatOp("leave_seat", map[string]any{"room": "r1"}, 40404)
	d = bob.wantSeatOp("leave_seat", map[string]any{"room": "r1"}, 0)
	if d.Index != 0 || d.Cancelled {
		t.Fatalf("leave_seat data: got %+v, want seat 0", d)
	}
	evs := cid.WaitEvents(3) // take, lock, leave
	if p := seatEvent(t, evs[2]); p.Reason != roomd.SeatLeft || p.UserID != "bob" || p.Seats[0].UserID != "" {
		t.Fatalf("seat.changed of the leave: got %+v", p)
	}
	cid.Quiet()
}

func TestSeatOpsApplyToTake(t *testing.T) {
	e := MustStartGateway(t)
	e.MustRegister(t, "ann", "bob", "cid")
	e.mustSeatRoom(t, "r1", 2, roomd.SeatApplyToTake, "ann", "bob", "cid")
	bob, _ := e.MustDial(t, "bob", nil)
	ann, _ := e.MustDial(t, "ann", nil)

	d := bob.wantSeatOp("take_seat", map[string]any{"room": "r1", "index": 1}, 20201)
	if d.Index != 1 || d.Seq != 5 {
		t.Fatalf("pending take_seat data: got %+v, want seat 1, seq 5", d)
	}
	req := ann.WaitEvents(1)[0]
	if req.Event != string(roomd.EventSeatRequested) || string(req.Data) != `{"user_id":"bob","index":1}` {
		t.Fatalf("the owner's event: got %s %s, want seat.requested of bob for seat 1", req.Event, req.Data)
	}
	bob.wantSeatOp("take_seat", map[string]any{"room": "r1"}, 40912)
	// The owner takes a seat at once.
	if d := ann.wantSeatOp("take_seat", map[string]any{"room": "r1"}, 0); d.Index != 0 {
		t.Fatalf("owner's take_seat: got %+v, want seat 0 at once", d)
	}
	// An admin's pick grants the request.
	if err := e.Svc.PickSeat(context.Background(), admin, appID, "r1", "bob", 1); err != nil {
		t.Fatal(err)
	}
	evs := bob.WaitEvents(3) // requested, ann's take, the pick
	if p := seatEvent(t, evs[2]); p.Reason != roomd.SeatPicked || p.Seats[1].UserID != "bob" {
		t.Fatalf("seat.changed of the pick: got %+v", p)
	}
	bob.wantSeatOp("take_seat", map[string]any{"room": "r1"}, 40911)
	bob.wantSeatOp("leave_seat", map[string]any{"room": "r1"}, 0)
	// A pending request is cancelled by leave_seat.
	bob.wantSeatOp("take_seat", map[string]any{"room": "r1"}, 20201)
	if d := bob.wantSeatOp("leave_seat", map[string]any{"room": "r1"}, 0); !d.Cancelled || d.Index != -1 {
		t.Fatalf("leave_seat of a request: got %+v, want it cancelled (index -1: any)", d)
	}
	if f := bob.Events[len(bob.Events)-1]; f.Event != string(roomd.EventSeatRequestCancelled) {
		t.Fatalf("last event: got %s, want seat.request_cancelled", f.Event)
	}
	bob.wantSeatOp("leave_seat", map[string]any{"room": "r1"}, 40404)
}

// TestSeatFreedOnKickReachesMembers: kicking a seated member (the Service's
// RemoveMembers, as kick_user_out does) frees the seat; members see the
// seat.changed, then the member.left.
func TestSeatFreedOnKickReachesMembers(t *testing.T) {
	e := MustStartGateway(t)
	e.MustRegister(t, "ann", "bob")
	e.mustSeatRoom(t, "r1", 2, roomd.SeatFreeToTake, "ann", "bob")
	ann, _ := e.MustDial(t, "ann", nil)
	bob, _ := e.MustDial(t, "bob", nil)
	bob.wantSeatOp("take_seat", map[string]any{"room": "r1", "index": 1}, 0)
	if _, err := e.Svc.RemoveMembers(context.Background(), admin, appID, "r1", []string{"bob"}, "bye"); err != nil {
		t.Fatal(err)
	}
	evs := ann.WaitEvents(3)
	if p := seatEvent(t, evs[1]); p.Reason != roomd.SeatMemberLeft || p.UserID != "bob" || p.Seats[1].UserID != "" {
		t.Fatalf("seat.changed of the kick: got %+v", p)
	}
	if evs[2].Event != string(roomd.EventMemberLeft) {
		t.Fatalf("event after the seat.changed: got %s, want member.left", evs[2].Event)
	}
	// bob sees both too: his removal is the last event he is entitled to.
	if got := bob.WaitEvents(3); got[1].Event != string(roomd.EventSeatChanged) || got[2].Event != string(roomd.EventMemberLeft) {
		t.Fatalf("bob's events: got %v", seqs(got))
	}
}
