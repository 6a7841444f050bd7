package storetest

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/roomd/roomd"
)

// seatTests check the Tx methods of seats, seat requests and marks, and the
// seat and mark rules of roomd.Service over the store.
var seatTests = []test{
	{"TxSeats", testTxSeats},
	{"TxSeatRequests", testTxSeatRequests},
	{"TxMarks", testTxMarks},
	{"DeleteRoomClearsSeats", testDeleteRoomClearsSeats},
	{"SeatConfig", testSeatConfig},
	{"NoSeats", testNoSeats},
	{"PickSeat", testPickSeat},
	{"KickOffSeat", testKickOffSeat},
	{"LockSeat", testLockSeat},
	{"SwitchSeat", testSwitchSeat},
	{"TakeSeatFree", testTakeSeatFree},
	{"TakeSeatApply", testTakeSeatApply},
	{"SeatOperator", testSeatOperator},
	{"RemovalFreesSeat", testRemovalFreesSeat},
	{"DismissClearsSeats", testDismissClearsSeats},
	{"MarkMembers", testMarkMembers},
	{"MarkErrors", testMarkErrors},
}

func testTxSeats(t *testing.T, f *fixture) {
	seats := func(appID uint32, room string) []roomd.Seat {
		return read(f, func(tx roomd.Tx) ([]roomd.Seat, error) { return tx.Seats(f.ctx, appID, room) })
	}
	if got := seats(app, "r1"); len(got) != 0 {
		t.Fatalf("Seats of a room without any: got %v, want none", got)
	}
	put := func(appID uint32, room string, s roomd.Seat) error {
		return f.store.Update(f.ctx, func(tx roomd.Tx) error { return tx.PutSeat(f.ctx, appID, room, s) })
	}
	wantCode(t, "PutSeat taken", put(app, "r1", roomd.Seat{Index: 3, UserID: "ann", VideoDisabled: true}), "")
	wantCode(t, "PutSeat locked", put(app, "r1", roomd.Seat{Index: 1, Locked: true}), "")
	wantCode(t, "PutSeat other room", put(app, "r2", roomd.Seat{Index: 0, UserID: "ann"}), "")
	wantCode(t, "PutSeat other app", put(otherApp, "r1", roomd.Seat{Index: 0, UserID: "bob"}), "")
	wantEqual(t, "Seats", seats(app, "r1"), []roomd.Seat{{Index: 1, Locked: true}, {Index: 3, UserID: "ann", VideoDisabled: true}})
	wantCode(t, "PutSeat of a user on another seat", put(app, "r1", roomd.Seat{Index: 2, UserID: "ann"}), roomd.EEXISTS)
	wantCode(t, "PutSeat negative index", put(app, "r1", roomd.Seat{Index: -1, Locked: true}), roomd.EINVALID)
	wantCode(t, "PutSeat replacing a seat", put(app, "r1", roomd.Seat{Index: 3, UserID: "ann", AudioDisabled: true}), "")
	wantCode(t, "PutSeat idle", put(app, "r1", roomd.Seat{Index: 1}), "")
	wantCode(t, "PutSeat idle, never written", put(app, "r1", roomd.Seat{Index: 7}), "")
	wantEqual(t, "Seats after", seats(app, "r1"), []roomd.Seat{{Index: 3, UserID: "ann", AudioDisabled: true}})
	// The old seat freed first, the user may take another.
	wantCode(t, "free", put(app, "r1", roomd.Seat{Index: 3}), "")
	wantCode(t, "move", put(app, "r1", roomd.Seat{Index: 0, UserID: "ann", Locked: true}), "")
	wantEqual(t, "Seats after the move", seats(app, "r1"), []roomd.Seat{{Index: 0, UserID: "ann", Locked: true}})
	wantEqual(t, "Seats of the other app", seats(otherApp, "r1"), []roomd.Seat{{Index: 0, UserID: "bob"}})
}

func testTxSeatRequests(t *testing.T, f *fixture) {
	get := func(user string) *roomd.SeatRequest {
		return read(f, func(tx roomd.Tx) (*roomd.SeatRequest, error) { return tx.SeatRequest(f.ctx, app, "r1", user) })
	}
	if r := get("ann"); r != nil {
		t.Fatalf("SeatRequest absent: got %+v, want nil", r)
	}
	want := &roomd.SeatRequest{AppID: app, RoomID: "r1", UserID: "ann", Index: -1, At: t0}
	f.update(func(tx roomd.Tx) error { return tx.PutSeatRequest(f.ctx, want) })
	got := get("ann")
	wantEqual(t, "SeatRequest", got, want)
	if !got.At.Equal(t0) {
		t.Fatalf("At: got %v, want %v", got.At, t0)
	}
	replaced := &roomd.SeatRequest{AppID: app, RoomID: "r1", UserID: "ann", Index: 2, At: t0.Add(time.Second)}
	f.update(func(tx roomd.Tx) error { return tx.PutSeatRequest(f.ctx, replaced) })
	wantEqual(t, "replaced SeatRequest", get("ann"), replaced)
	f.update(func(tx roomd.Tx) error { return tx.DeleteSeatRequest(f.ctx, app, "r1", "ann") })
	f.update(func(tx roomd.Tx) error { return tx.DeleteSeatRequest(f.ctx, app, "r1", "ann") })
	if r := get("ann"); r != nil {
		t.Fatalf("SeatRequest after delete: got %+v, want nil", r)
	}
}

func testTxMarks(t *testing.T, f *fixture) {
	set := func(room, user string, marks ...int64) {
		f.update(func(tx roomd.Tx) error { return tx.SetMarks(f.ctx, app, room, user, marks) })
	}
	marks := func(room string, users ...string) map[string][]int64 {
		return read(f, func(tx roomd.Tx) (map[string][]int64, error) { return tx.Marks(f.ctx, app, room, users) })
	}
	roomMarks := func(room string) []int64 {
		return read(f, func(tx roomd.Tx) ([]int64, error) { return tx.RoomMarks(f.ctx, app, room) })
	}
	wantEqual(t, "Marks of nobody", marks("r1"), map[string][]int64{})
	set("r1", "ann", 1003, 1001, 1003)
	set("r1", "bob", 1001, 1002)
	set("r2", "ann", 5000)
	f.update(func(tx roomd.Tx) error { return tx.SetMarks(f.ctx, otherApp, "r1", "ann", []int64{7000}) })
	wantEqual(t, "Marks", marks("r1", "ann", "bob", "cid"), map[string][]int64{"ann": {1001, 1003}, "bob": {1001, 1002}})
	wantEqual(t, "Marks of one", marks("r1", "bob"), map[string][]int64{"bob": {1001, 1002}})
	wantEqual(t, "RoomMarks", roomMarks("r1"), []int64{1001, 1002, 1003})
	set("r1", "ann", 1004)
	set("r1", "bob")
	wantEqual(t, "Marks after", marks("r1", "ann", "bob"), map[string][]int64{"ann": {1004}})
	wantEqual(t, "RoomMarks after", roomMarks("r1"), []int64{1004})
	wantEqual(t, "RoomMarks of the other room", roomMarks("r2"), []int64{5000})
}

func testDeleteRoomClearsSeats(t *testing.T, f *fixture) {
	f.insertRoom(&roomd.Room{AppID: app, ID: "r1", Owner: "ann", CreatedAt: t0})
	f.insertRoom(&roomd.Room{AppID: app, ID: "r2", Owner: "ann", CreatedAt: t0})
	for _, room := range []string{"r1", "r2"} {
		f.update(func(tx roomd.Tx) error {
			return errorsJoin(
				tx.PutSeat(f.ctx, app, room, roomd.Seat{Index: 0, UserID: "ann"}),
				tx.PutSeat(f.ctx, app, room, roomd.Seat{Index: 1, Locked: true}),
				tx.PutSeatRequest(f.ctx, &roomd.SeatRequest{AppID: app, RoomID: room, UserID: "bob", Index: 2}),
				tx.SetMarks(f.ctx, app, room, "ann", []int64{1000}),
			)
		})
	}
	f.update(func(tx roomd.Tx) error { return tx.DeleteRoom(f.ctx, app, "r1") })
	f.insertRoom(&roomd.Room{AppID: app, ID: "r1", Owner: "ann", CreatedAt: t0})
	for room, want := range map[string]int{"r1": 0, "r2": 1} {
		f.view(func(tx roomd.Tx) error {
			seats, err1 := tx.Seats(f.ctx, app, room)
			req, err2 := tx.SeatRequest(f.ctx, app, room, "bob")
			marks, err3 := tx.RoomMarks(f.ctx, app, room)
			if err := errorsJoin(err1, err2, err3); err != nil {
				return err
			}
			if got := min(len(seats), 1); got != want || (req != nil) != (want == 1) || len(marks) != want {
				t.Fatalf("room %s after r1 was dismissed and re-created: seats %v, request %v, marks %v; want them kept only in r2", room, seats, req, marks)
			}
			return nil
		})
	}
}

// errorsJoin returns the first non-nil error.
func errorsJoin(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// seatProps returns the Props of a room with count seats (0: the default)
// in mode ("" for the default).
func seatProps(count int, mode string) map[string]string {
	p := map[string]string{roomd.PropSeatEnabled: "true"}
	if count > 0 {
		b, _ := json.Marshal(count)
		p[roomd.PropSeatCount] = string(b)
	}
	if mode != "" {
		b, _ := json.Marshal(mode)
		p[roomd.PropTakeSeatMode] = string(b)
	}
	return p
}

// seatRoom creates room id with count seats in mode, owned by owner, with
// members, all registered first.
func (f *fixture) seatRoom(id string, count int, mode, owner string, members ...string) {
	f.t.Helper()
	f.register(append([]string{owner}, members...)...)
	_, items, err := f.svc.CreateRoom(f.ctx, admin, roomd.Room{AppID: app, ID: id, Owner: owner, Props: seatProps(count, mode)}, members)
	if err != nil || len(items) > 0 {
		f.t.Fatalf("CreateRoom(%q): got items %v, error %v; want none", id, items, err)
	}
}

// seats returns the holders of a room's seats by index ("" free, "#" locked
// and free), failing the test on error.
func (f *fixture) seats(room string) []string {
	f.t.Helper()
	seats, err := f.svc.Seats(f.ctx, app, room)
	if err != nil {
		f.t.Fatalf("Seats(%q): got error %v, want nil", room, err)
	}
	return holders(seats)
}

func holders(seats []roomd.Seat) []string {
	out := make([]string, len(seats))
	for i, s := range seats {
		out[i] = s.UserID
		if s.Locked && s.UserID == "" {
			out[i] = "#"
		}
	}
	return out
}

// lastSeatEvent returns the payload of the last event of room, which must
// be a seat.changed, and checks that the event before it is the one before.
func (f *fixture) lastSeatEvent(room string, seqBefore int64) roomd.SeatPayload {
	f.t.Helper()
	evs := f.events(room)
	last := evs[len(evs)-1]
	if last.Type != roomd.EventSeatChanged || last.Seq != seqBefore+1 {
		f.t.Fatalf("last event of %s: got %s at seq %d, want one %s at seq %d", room, last.Type, last.Seq, roomd.EventSeatChanged, seqBefore+1)
	}
	var p roomd.SeatPayload
	if err := json.Unmarshal(last.Payload, &p); err != nil {
		f.t.Fatal(err)
	}
	return p
}

func testSeatConfig(t *testing.T, f *fixture) {
	for _, c := range []struct {
		props map[string]string
		want  roomd.SeatConfig
	}{
		{nil, roomd.SeatConfig{Count: roomd.DefaultSeatCount, Mode: roomd.SeatFreeToTake}},
		{map[string]string{"IsSeatEnabled": "false", "MaxSeatCount": "4"}, roomd.SeatConfig{Count: 4, Mode: roomd.SeatFreeToTake}},
		{seatProps(0, ""), roomd.SeatConfig{Enabled: true, Count: roomd.DefaultSeatCount, Mode: roomd.SeatFreeToTake}},
		{seatProps(3, roomd.SeatApplyToTake), roomd.SeatConfig{Enabled: true, Count: 3, Mode: roomd.SeatApplyToTake}},
		{seatProps(roomd.MaxSeats+1, roomd.SeatFreeToTake), roomd.SeatConfig{Enabled: true, Count: roomd.MaxSeats, Mode: roomd.SeatFreeToTake}},
		{map[string]string{"IsSeatEnabled": "true", "TakeSeatMode": "ApplyToTake", "MaxSeatCount": "x"}, roomd.SeatConfig{Enabled: true, Count: roomd.DefaultSeatCount, Mode: roomd.SeatApplyToTake}},
	} {
		r := roomd.Room{Props: c.props}
		wantEqual(t, "SeatConfig", r.SeatConfig(), c.want)
	}
}

func testNoSeats(t *testing.T, f *fixture) {
	f.register("ann", "bob")
	f.createRoom("r1", "ann", "bob")
	_, err := f.svc.Seats(f.ctx, app, "r1")
	wantCode(t, "Seats", err, roomd.ENOSEATS)
	_, err = f.svc.Seats(f.ctx, app, "nowhere")
	wantCode(t, "Seats of no room", err, roomd.ENOROOM)
	wantCode(t, "PickSeat", f.svc.PickSeat(f.ctx, admin, app, "r1", "bob", 0), roomd.ENOSEATS)
	wantCode(t, "KickOffSeat", f.svc.KickOffSeat(f.ctx, admin, app, "r1", "bob", ""), roomd.ENOSEATS)
	wantCode(t, "LockSeat", f.svc.LockSeat(f.ctx, admin, app, "r1", 0, roomd.SeatLock{}), roomd.ENOSEATS)
	wantCode(t, "SwitchSeat", f.svc.SwitchSeat(f.ctx, admin, app, "r1", "bob", 0), roomd.ENOSEATS)
	_, err = f.svc.TakeSeat(f.ctx, app, "r1", "bob", 0)
	wantCode(t, "TakeSeat", err, roomd.ENOSEATS)
	_, err = f.svc.LeaveSeat(f.ctx, app, "r1", "bob")
	wantCode(t, "LeaveSeat", err, roomd.ENOSEATS)
	// Removing a member of a room without seats works as before.
	_, err = f.svc.RemoveMembers(f.ctx, admin, app, "r1", []string{"bob"}, "")
	wantCode(t, "RemoveMembers", err, "")
}

func testPickSeat(t *testing.T, f *fixture) {
	f.seatRoom("r1", 3, roomd.SeatApplyToTake, "ann", "bob", "cid", "dan")
	f.register("eve")
	wantEqual(t, "seats at first", f.seats("r1"), []string{"", "", ""})
	seq := f.room("r1").Seq
	wantCode(t, "PickSeat", f.svc.PickSeat(f.ctx, admin, app, "r1", "bob", 1), "")
	p := f.lastSeatEvent("r1", seq)
	if p.Reason != roomd.SeatPicked || p.UserID != "bob" || len(p.Seats) != 3 || p.Seats[1].UserID != "bob" {
		t.Fatalf("seat.changed of a pick: got %+v, want every seat, bob on 1, reason picked", p)
	}
	seq++
	wantCode(t, "PickSeat again (a retry)", f.svc.PickSeat(f.ctx, admin, app, "r1", "bob", 1), "")
	wantCode(t, "PickSeat onto any seat of a seated user", f.svc.PickSeat(f.ctx, admin, app, "r1", "bob", -1), "")
	if got := f.room("r1").Seq; got != seq {
		t.Fatalf("seq after picks that change nothing: got %d, want %d", got, seq)
	}
	for _, c := range []struct {
		what, user string
		index      int
		code       string
	}{
		{"index past the last seat", "cid", 3, roomd.EINVALID},
		{"index below -1", "cid", -2, roomd.EINVALID},
		{"a registered non-member", "eve", 0, roomd.ENOTMEMBER},
		{"an unregistered user", "nobody", 0, roomd.ENOTMEMBER},
		{"a user on another seat", "bob", 0, roomd.ESEATED},
		{"onto a taken seat", "cid", 1, roomd.ESEATTAKEN},
	} {
		wantCode(t, "PickSeat "+c.what, f.svc.PickSeat(f.ctx, admin, app, "r1", c.user, c.index), c.code)
	}
	wantCode(t, "PickSeat of no room", f.svc.PickSeat(f.ctx, admin, app, "nowhere", "bob", 0), roomd.ENOROOM)
	wantCode(t, "LockSeat 2", f.svc.LockSeat(f.ctx, admin, app, "r1", 2, roomd.SeatLock{Taken: boolPtr(true)}), "")
	wantCode(t, "PickSeat onto a locked seat", f.svc.PickSeat(f.ctx, admin, app, "r1", "cid", 2), roomd.ESEATLOCKED)
	wantCode(t, "PickSeat onto any seat", f.svc.PickSeat(f.ctx, admin, app, "r1", "cid", -1), "")
	wantEqual(t, "seats", f.seats("r1"), []string{"cid", "bob", "#"})
	wantCode(t, "PickSeat with every seat taken or locked", f.svc.PickSeat(f.ctx, admin, app, "r1", "dan", -1), roomd.ESEATSFULL)
	// A pick satisfies a pending request.
	res, err := f.svc.TakeSeat(f.ctx, app, "r1", "dan", 2)
	wantCode(t, "TakeSeat (request)", err, "")
	if !res.Request {
		t.Fatalf("TakeSeat in ApplyToTake: got %+v, want a request", res)
	}
	wantCode(t, "KickOffSeat cid", f.svc.KickOffSeat(f.ctx, admin, app, "r1", "cid", ""), "")
	wantCode(t, "PickSeat dan", f.svc.PickSeat(f.ctx, admin, app, "r1", "dan", 0), "")
	if req := read(f, func(tx roomd.Tx) (*roomd.SeatRequest, error) { return tx.SeatRequest(f.ctx, app, "r1", "dan") }); req != nil {
		t.Fatalf("dan's request after the pick: got %+v, want none", req)
	}
	_, err = f.svc.LeaveSeat(f.ctx, app, "r1", "dan")
	wantCode(t, "LeaveSeat after the pick", err, "")
	_, err = f.svc.LeaveSeat(f.ctx, app, "r1", "dan")
	wantCode(t, "LeaveSeat again: no seat and no request left", err, roomd.ENOTSEATED)
}

func boolPtr(b bool) *bool { return &b }

func testKickOffSeat(t *testing.T, f *fixture) {
	f.seatRoom("r1", 2, "", "ann", "bob", "cid")
	f.register("eve")
	wantCode(t, "PickSeat", f.svc.PickSeat(f.ctx, admin, app, "r1", "bob", 1), "")
	wantCode(t, "LockSeat video", f.svc.LockSeat(f.ctx, admin, app, "r1", 1, roomd.SeatLock{Video: boolPtr(true)}), "")
	wantCode(t, "KickOffSeat of a member without a seat", f.svc.KickOffSeat(f.ctx, admin, app, "r1", "cid", ""), roomd.ENOTSEATED)
	wantCode(t, "KickOffSeat of a non-member", f.svc.KickOffSeat(f.ctx, admin, app, "r1", "eve", ""), roomd.ENOTMEMBER)
	wantCode(t, "KickOffSeat with a NUL in the text", f.svc.KickOffSeat(f.ctx, admin, app, "r1", "bob", "a\x00b"), roomd.EINVALID)
	wantCode(t, "KickOffSeat of no room", f.svc.KickOffSeat(f.ctx, admin, app, "nowhere", "bob", ""), roomd.ENOROOM)
	seq := f.room("r1").Seq
	wantCode(t, "KickOffSeat", f.svc.KickOffSeat(f.ctx, admin, app, "r1", "bob", "too loud"), "")
	p := f.lastSeatEvent("r1", seq)
	wantEqual(t, "seat.changed of a kick", p, roomd.SeatPayload{Seats: []roomd.Seat{{Index: 0}, {Index: 1}}, Reason: roomd.SeatKicked, UserID: "bob", Message: "too loud"})
	// The video setting was bob's: it went with him.
	wantCode(t, "PickSeat again", f.svc.PickSeat(f.ctx, admin, app, "r1", "bob", 1), "")
	seats, _ := f.svc.Seats(f.ctx, app, "r1")
	wantEqual(t, "seats after the pick", seats, []roomd.Seat{{Index: 0}, {Index: 1, UserID: "bob"}})
}

func testLockSeat(t *testing.T, f *fixture) {
	f.seatRoom("r1", 3, "", "ann", "bob")
	wantCode(t, "PickSeat", f.svc.PickSeat(f.ctx, admin, app, "r1", "bob", 0), "")
	for _, c := range []struct {
		what  string
		index int
	}{{"index -1", -1}, {"index past the last seat", 3}} {
		wantCode(t, "LockSeat "+c.what, f.svc.LockSeat(f.ctx, admin, app, "r1", c.index, roomd.SeatLock{Taken: boolPtr(true)}), roomd.EINVALID)
	}
	wantCode(t, "LockSeat of no room", f.svc.LockSeat(f.ctx, admin, app, "nowhere", 0, roomd.SeatLock{}), roomd.ENOROOM)
	seq := f.room("r1").Seq
	wantCode(t, "LockSeat video and audio", f.svc.LockSeat(f.ctx, admin, app, "r1", 0, roomd.SeatLock{Video: boolPtr(true), Audio: boolPtr(true)}), "")
	p := f.lastSeatEvent("r1", seq)
	wantEqual(t, "seat 0 after disabling", p.Seats[0], roomd.Seat{Index: 0, UserID: "bob", VideoDisabled: true, AudioDisabled: true})
	seq++
	wantCode(t, "LockSeat audio back", f.svc.LockSeat(f.ctx, admin, app, "r1", 0, roomd.SeatLock{Audio: boolPtr(false)}), "")
	wantEqual(t, "seat 0 after enabling audio", f.lastSeatEvent("r1", seq).Seats[0], roomd.Seat{Index: 0, UserID: "bob", VideoDisabled: true})
	seq++
	// Nothing changes: no event.
	for _, l := range []roomd.SeatLock{{}, {Audio: boolPtr(false)}, {Taken: boolPtr(false)}} {
		wantCode(t, "LockSeat without a change", f.svc.LockSeat(f.ctx, admin, app, "r1", 0, l), "")
	}
	wantCode(t, "LockSeat video of an empty seat", f.svc.LockSeat(f.ctx, admin, app, "r1", 1, roomd.SeatLock{Video: boolPtr(true)}), "")
	if got := f.room("r1").Seq; got != seq {
		t.Fatalf("seq after locks that change nothing: got %d, want %d", got, seq)
	}
	// Locking a taken seat frees it first.
	wantCode(t, "LockSeat taken", f.svc.LockSeat(f.ctx, admin, app, "r1", 0, roomd.SeatLock{Taken: boolPtr(true), Video: boolPtr(false)}), "")
	p = f.lastSeatEvent("r1", seq)
	seq++
	if p.Reason != roomd.SeatLockedBy || p.UserID != "bob" || p.Seats[0] != (roomd.Seat{Index: 0, Locked: true}) {
		t.Fatalf("seat.changed of locking bob's seat: got %+v, want seat 0 locked and free, bob removed", p)
	}
	wantCode(t, "LockSeat video of a locked seat", f.svc.LockSeat(f.ctx, admin, app, "r1", 0, roomd.SeatLock{Video: boolPtr(true)}), "")
	wantCode(t, "LockSeat unlock", f.svc.LockSeat(f.ctx, admin, app, "r1", 0, roomd.SeatLock{Taken: boolPtr(false)}), "")
	wantEqual(t, "seats after unlock", holders(f.lastSeatEvent("r1", seq).Seats), []string{"", "", ""})
}

func testSwitchSeat(t *testing.T, f *fixture) {
	f.seatRoom("r1", 3, "", "ann", "bob", "cid")
	f.register("eve")
	wantCode(t, "PickSeat bob", f.svc.PickSeat(f.ctx, admin, app, "r1", "bob", 0), "")
	wantCode(t, "PickSeat cid", f.svc.PickSeat(f.ctx, admin, app, "r1", "cid", 1), "")
	wantCode(t, "LockSeat video", f.svc.LockSeat(f.ctx, admin, app, "r1", 0, roomd.SeatLock{Video: boolPtr(true)}), "")
	wantCode(t, "LockSeat 2", f.svc.LockSeat(f.ctx, admin, app, "r1", 2, roomd.SeatLock{Taken: boolPtr(true)}), "")
	for _, c := range []struct {
		what, user string
		to         int
		code       string
	}{
		{"to -1", "bob", -1, roomd.EINVALID},
		{"past the last seat", "bob", 3, roomd.EINVALID},
		{"of a non-member", "eve", 1, roomd.ENOTMEMBER},
		{"of a member without a seat", "ann", 2, roomd.ENOTSEATED},
		{"onto a locked seat", "bob", 2, roomd.ESEATLOCKED},
		{"onto a taken seat", "bob", 1, roomd.ESEATTAKEN},
	} {
		wantCode(t, "SwitchSeat "+c.what, f.svc.SwitchSeat(f.ctx, admin, app, "r1", c.user, c.to), c.code)
	}
	seq := f.room("r1").Seq
	wantCode(t, "SwitchSeat to the same seat", f.svc.SwitchSeat(f.ctx, admin, app, "r1", "bob", 0), "")
	wantCode(t, "LockSeat unlock 2", f.svc.LockSeat(f.ctx, admin, app, "r1", 2, roomd.SeatLock{Taken: boolPtr(false)}), "")
	seq++
	wantCode(t, "SwitchSeat", f.svc.SwitchSeat(f.ctx, admin, app, "r1", "bob", 2), "")
	p := f.lastSeatEvent("r1", seq)
	wantEqual(t, "seat.changed of a switch", p, roomd.SeatPayload{
		Seats:  []roomd.Seat{{Index: 0}, {Index: 1, UserID: "cid"}, {Index: 2, UserID: "bob", VideoDisabled: true}},
		Reason: roomd.SeatMoved, UserID: "bob",
	})
}

func testTakeSeatFree(t *testing.T, f *fixture) {
	f.seatRoom("r1", 2, roomd.SeatFreeToTake, "ann", "bob", "cid", "dan")
	f.register("eve")
	res, err := f.svc.TakeSeat(f.ctx, app, "r1", "bob", -1)
	wantCode(t, "TakeSeat any", err, "")
	p := f.lastSeatEvent("r1", res.Seq-1)
	if res.Request || res.Index != 0 || p.Reason != roomd.SeatTaken || p.UserID != "bob" {
		t.Fatalf("TakeSeat any: got %+v, event %+v; want seat 0 taken at once", res, p)
	}
	if evs := f.events("r1"); evs[len(evs)-1].Actor != "bob" {
		t.Fatalf("actor of bob's take: got %q, want bob", evs[len(evs)-1].Actor)
	}
	_, err = f.svc.TakeSeat(f.ctx, app, "r1", "bob", 1)
	wantCode(t, "TakeSeat by a seated user", err, roomd.ESEATED)
	_, err = f.svc.TakeSeat(f.ctx, app, "r1", "cid", 0)
	wantCode(t, "TakeSeat of a taken seat", err, roomd.ESEATTAKEN)
	_, err = f.svc.TakeSeat(f.ctx, app, "r1", "cid", 2)
	wantCode(t, "TakeSeat past the last seat", err, roomd.EINVALID)
	_, err = f.svc.TakeSeat(f.ctx, app, "r1", "eve", 1)
	wantCode(t, "TakeSeat by a non-member", err, roomd.ENOTMEMBER)
	_, err = f.svc.TakeSeat(f.ctx, app, "r1", "nobody", 1)
	wantCode(t, "TakeSeat by an unregistered user", err, roomd.ENOUSER)
	_, err = f.svc.TakeSeat(f.ctx, app, "nowhere", "bob", 1)
	wantCode(t, "TakeSeat in no room", err, roomd.ENOROOM)
	wantCode(t, "LockSeat 1", f.svc.LockSeat(f.ctx, admin, app, "r1", 1, roomd.SeatLock{Taken: boolPtr(true)}), "")
	_, err = f.svc.TakeSeat(f.ctx, app, "r1", "cid", 1)
	wantCode(t, "TakeSeat of a locked seat", err, roomd.ESEATLOCKED)
	_, err = f.svc.TakeSeat(f.ctx, app, "r1", "cid", -1)
	wantCode(t, "TakeSeat any with none free", err, roomd.ESEATSFULL)
	res, err = f.svc.LeaveSeat(f.ctx, app, "r1", "bob")
	wantCode(t, "LeaveSeat", err, "")
	p = f.lastSeatEvent("r1", res.Seq-1)
	if res.Index != 0 || res.Request || p.Reason != roomd.SeatLeft || p.UserID != "bob" {
		t.Fatalf("LeaveSeat: got %+v, event %+v; want seat 0 left", res, p)
	}
	_, err = f.svc.LeaveSeat(f.ctx, app, "r1", "bob")
	wantCode(t, "LeaveSeat without a seat", err, roomd.ENOTSEATED)
	_, err = f.svc.LeaveSeat(f.ctx, app, "r1", "eve")
	wantCode(t, "LeaveSeat by a non-member", err, roomd.ENOTMEMBER)
	wantEqual(t, "seats", f.seats("r1"), []string{"", "#"})
}

func testTakeSeatApply(t *testing.T, f *fixture) {
	f.seatRoom("r1", 2, roomd.SeatApplyToTake, "ann", "bob", "cid")
	seq := f.room("r1").Seq
	res, err := f.svc.TakeSeat(f.ctx, app, "r1", "bob", 1)
	wantCode(t, "TakeSeat (request)", err, "")
	wantEqual(t, "result of a request", res, roomd.SeatResult{Index: 1, Request: true, Seq: seq + 1})
	evs := f.events("r1")
	if last := evs[len(evs)-1]; last.Type != roomd.EventSeatRequested || string(last.Payload) != `{"user_id":"bob","index":1}` {
		t.Fatalf("event of a request: got %s %s, want %s {user_id bob, index 1}", last.Type, last.Payload, roomd.EventSeatRequested)
	}
	wantEqual(t, "seats while pending", f.seats("r1"), []string{"", ""})
	_, err = f.svc.TakeSeat(f.ctx, app, "r1", "bob", 0)
	wantCode(t, "TakeSeat while pending", err, roomd.ESEATPENDING)
	// The owner and admins take at once.
	res, err = f.svc.TakeSeat(f.ctx, app, "r1", "ann", -1)
	wantCode(t, "TakeSeat by the owner", err, "")
	if res.Request || res.Index != 0 {
		t.Fatalf("TakeSeat by the owner: got %+v, want seat 0 at once", res)
	}
	// Cancelling a request.
	res, err = f.svc.LeaveSeat(f.ctx, app, "r1", "bob")
	wantCode(t, "LeaveSeat (cancel)", err, "")
	wantEqual(t, "result of a cancel", res, roomd.SeatResult{Index: 1, Request: true, Seq: res.Seq})
	evs = f.events("r1")
	if last := evs[len(evs)-1]; last.Type != roomd.EventSeatRequestCancelled || last.Seq != res.Seq {
		t.Fatalf("event of a cancel: got %s, want %s", last.Type, roomd.EventSeatRequestCancelled)
	}
	_, err = f.svc.TakeSeat(f.ctx, app, "r1", "bob", -1)
	wantCode(t, "TakeSeat after the cancel", err, "")
	// A seated member may not ask.
	wantCode(t, "PickSeat cid", f.svc.PickSeat(f.ctx, admin, app, "r1", "cid", 1), "")
	_, err = f.svc.TakeSeat(f.ctx, app, "r1", "cid", 0)
	wantCode(t, "TakeSeat by a seated member", err, roomd.ESEATED)
	// Leaving the room drops the request.
	_, err = f.svc.LeaveRoom(f.ctx, app, "r1", "bob")
	wantCode(t, "LeaveRoom", err, "")
	if req := read(f, func(tx roomd.Tx) (*roomd.SeatRequest, error) { return tx.SeatRequest(f.ctx, app, "r1", "bob") }); req != nil {
		t.Fatalf("bob's request after he left: got %+v, want none", req)
	}
}

func testSeatOperator(t *testing.T, f *fixture) {
	f.seatRoom("r1", 2, "", "ann", "bob", "cid")
	wantCode(t, "UpdateMember cid admin", f.svc.UpdateMember(f.ctx, admin, app, "r1", "cid", roomd.MemberUpdate{Role: rolePtr(roomd.RoleAdmin)}), "")
	wantCode(t, "PickSeat by a member", f.svc.PickSeat(f.ctx, user("bob"), app, "r1", "bob", 0), roomd.EFORBIDDEN)
	wantCode(t, "LockSeat by a member", f.svc.LockSeat(f.ctx, user("bob"), app, "r1", 0, roomd.SeatLock{Taken: boolPtr(true)}), roomd.EFORBIDDEN)
	wantCode(t, "MarkMembers by a member", f.svc.MarkMembers(f.ctx, user("bob"), app, "r1", false, []roomd.MemberMarks{{UserID: "bob", Marks: []int64{1000}}}), roomd.EFORBIDDEN)
	wantCode(t, "PickSeat by an unregistered user", f.svc.PickSeat(f.ctx, user("nobody"), app, "r1", "bob", 0), roomd.ENOUSER)
	wantCode(t, "PickSeat by the owner", f.svc.PickSeat(f.ctx, user("ann"), app, "r1", "bob", 0), "")
	wantCode(t, "SwitchSeat by an admin", f.svc.SwitchSeat(f.ctx, user("cid"), app, "r1", "bob", 1), "")
	wantCode(t, "KickOffSeat by an admin", f.svc.KickOffSeat(f.ctx, user("cid"), app, "r1", "bob", ""), "")
	if evs := f.events("r1"); evs[len(evs)-1].Actor != "cid" {
		t.Fatalf("actor of cid's kick: got %q, want cid", evs[len(evs)-1].Actor)
	}
}

func testRemovalFreesSeat(t *testing.T, f *fixture) {
	f.seatRoom("r1", 4, roomd.SeatApplyToTake, "ann", "bob", "cid", "dan", "eve")
	for i, u := range []string{"bob", "cid", "dan", "eve"} {
		wantCode(t, "PickSeat "+u, f.svc.PickSeat(f.ctx, admin, app, "r1", u, i), "")
	}
	mark := f.svc.MarkMembers(f.ctx, admin, app, "r1", false, []roomd.MemberMarks{{UserID: "bob", Marks: []int64{1000}}, {UserID: "ann", Marks: []int64{1001}}})
	wantCode(t, "MarkMembers", mark, "")
	_, err := f.svc.TakeSeat(f.ctx, app, "r1", "ann", 0)
	wantCode(t, "TakeSeat by the owner while full", err, roomd.ESEATTAKEN)
	steps := []struct {
		who, why string
		remove   func() error
	}{
		{"bob", roomd.LeaveKicked, func() error {
			_, err := f.svc.RemoveMembers(f.ctx, admin, app, "r1", []string{"bob"}, "bye")
			return err
		}},
		{"cid", roomd.LeaveBanned, func() error {
			_, err := f.svc.BanMembers(f.ctx, admin, app, "r1", []string{"cid"}, time.Minute, "")
			return err
		}},
		{"dan", roomd.LeaveDeleted, func() error {
			_, err := f.svc.DeleteUsers(f.ctx, admin, app, []string{"dan"})
			return err
		}},
		{"eve", roomd.LeaveLeft, func() error {
			_, err := f.svc.LeaveRoom(f.ctx, app, "r1", "eve")
			return err
		}},
	}
	for i, s := range steps {
		before := f.room("r1").Seq
		wantCode(t, "removing "+s.who, s.remove(), "")
		evs := f.events("r1")
		var seat, left *roomd.Event
		for j := range evs {
			e := &evs[j]
			if e.Seq <= before {
				continue
			}
			switch {
			case e.Type == roomd.EventSeatChanged && seat == nil:
				seat = e
			case e.Type == roomd.EventMemberLeft:
				left = e
			}
		}
		if seat == nil || left == nil || seat.Seq > left.Seq {
			t.Fatalf("removing %s: want a seat.changed, then member.left; got %v", s.who, evs[before:])
		}
		var p roomd.SeatPayload
		_ = json.Unmarshal(seat.Payload, &p)
		if p.Reason != roomd.SeatMemberLeft || p.UserID != s.who || p.Seats[i].UserID != "" {
			t.Fatalf("seat.changed of removing %s (%s): got %+v, want seat %d freed, reason member_left", s.who, s.why, p, i)
		}
	}
	wantEqual(t, "seats after the removals", f.seats("r1"), []string{"", "", "", ""})
	marks := read(f, func(tx roomd.Tx) ([]int64, error) { return tx.RoomMarks(f.ctx, app, "r1") })
	wantEqual(t, "marks after bob left", marks, []int64{1001})
	// Back in the room, bob has no seat and no marks.
	if _, err := f.svc.AddMembers(f.ctx, admin, app, "r1", []roomd.MemberAdd{{UserID: "bob"}}); err != nil {
		t.Fatal(err)
	}
	ms, _, err := f.svc.Members(f.ctx, app, "r1", 0, 10)
	wantCode(t, "Members", err, "")
	for _, m := range ms {
		want := map[string][]int64{"ann": {1001}}[m.UserID]
		if !slices.Equal(m.Marks, want) {
			t.Fatalf("marks of %s: got %v, want %v", m.UserID, m.Marks, want)
		}
	}
}

func testDismissClearsSeats(t *testing.T, f *fixture) {
	f.seatRoom("r1", 2, "", "ann", "bob")
	wantCode(t, "PickSeat", f.svc.PickSeat(f.ctx, admin, app, "r1", "bob", 0), "")
	wantCode(t, "LockSeat", f.svc.LockSeat(f.ctx, admin, app, "r1", 1, roomd.SeatLock{Taken: boolPtr(true)}), "")
	wantCode(t, "DismissRoom", f.svc.DismissRoom(f.ctx, admin, app, "r1"), "")
	_, err := f.svc.Seats(f.ctx, app, "r1")
	wantCode(t, "Seats of a dismissed room", err, roomd.ENOROOM)
	_, items, err := f.svc.CreateRoom(f.ctx, admin, roomd.Room{AppID: app, ID: "r1", Owner: "ann", Props: seatProps(2, "")}, []string{"bob"})
	wantItems(t, "CreateRoom again", items, err, nil)
	wantEqual(t, "seats of the re-created room", f.seats("r1"), []string{"", ""})
	// The last member leaving frees the seat and dismisses the room.
	wantCode(t, "PickSeat ann", f.svc.PickSeat(f.ctx, admin, app, "r1", "ann", 1), "")
	_, err = f.svc.LeaveRoom(f.ctx, app, "r1", "bob")
	wantCode(t, "LeaveRoom bob", err, "")
	_, err = f.svc.LeaveRoom(f.ctx, app, "r1", "ann")
	wantCode(t, "LeaveRoom ann", err, "")
	evs := f.events("r1")
	if n := len(evs); evs[n-3].Type != roomd.EventSeatChanged || evs[n-2].Type != roomd.EventMemberLeft || evs[n-1].Type != roomd.EventRoomDismissed {
		t.Fatalf("last events: got %s, %s, %s; want seat.changed, member.left, room.dismissed", evs[n-3].Type, evs[n-2].Type, evs[n-1].Type)
	}
}

func testMarkMembers(t *testing.T, f *fixture) {
	f.register("ann", "bob", "cid")
	f.createRoom("r1", "ann", "bob", "cid")
	seq := f.room("r1").Seq
	add := []roomd.MemberMarks{{UserID: "bob", Marks: []int64{1002, 1000, 1002}}, {UserID: "cid", Marks: []int64{roomd.MaxMark}}}
	wantCode(t, "MarkMembers add", f.svc.MarkMembers(f.ctx, admin, app, "r1", false, add), "")
	evs := f.events("r1")[seq:]
	if len(evs) != 2 || evs[0].Type != roomd.EventMemberMarked || string(evs[0].Payload) != `{"user_id":"bob","marks":[1000,1002]}` ||
		string(evs[1].Payload) != `{"user_id":"cid","marks":[2147483647]}` {
		t.Fatalf("events of MarkMembers: got %v, want one member.marked per member with their marks", evs)
	}
	seq += 2
	// Adding marks a member has, removing ones they lack: no change, no event.
	wantCode(t, "MarkMembers add again", f.svc.MarkMembers(f.ctx, admin, app, "r1", false, add[:1]), "")
	wantCode(t, "MarkMembers remove absent", f.svc.MarkMembers(f.ctx, admin, app, "r1", true, []roomd.MemberMarks{{UserID: "ann", Marks: []int64{1000}}}), "")
	if got := f.room("r1").Seq; got != seq {
		t.Fatalf("seq after marks that change nothing: got %d, want %d", got, seq)
	}
	wantCode(t, "MarkMembers remove", f.svc.MarkMembers(f.ctx, admin, app, "r1", true, []roomd.MemberMarks{{UserID: "bob", Marks: []int64{1000, 1001}}}), "")
	evs = f.events("r1")[seq:]
	if len(evs) != 1 || string(evs[0].Payload) != `{"user_id":"bob","marks":[1002]}` {
		t.Fatalf("event of removing a mark: got %v", evs)
	}
	wantCode(t, "MarkMembers remove the last", f.svc.MarkMembers(f.ctx, admin, app, "r1", true, []roomd.MemberMarks{{UserID: "bob", Marks: []int64{1002}}}), "")
	if evs := f.events("r1"); string(evs[len(evs)-1].Payload) != `{"user_id":"bob","marks":[]}` {
		t.Fatalf("event of removing the last mark: got %s, want marks []", evs[len(evs)-1].Payload)
	}
	ms, _, err := f.svc.Members(f.ctx, app, "r1", 0, 10)
	wantCode(t, "Members", err, "")
	got := map[string][]int64{}
	for _, m := range ms {
		got[m.UserID] = m.Marks
	}
	wantEqual(t, "Members' marks", got, map[string][]int64{"ann": nil, "bob": nil, "cid": {roomd.MaxMark}})
	// Ten distinct marks in the room, no more.
	var ten []roomd.MemberMarks
	for i := int64(0); i < 9; i += 3 {
		ten = append(ten, roomd.MemberMarks{UserID: []string{"ann", "bob", "cid"}[i/3], Marks: []int64{2000 + i, 2001 + i, 2002 + i}})
	}
	wantCode(t, "MarkMembers up to ten", f.svc.MarkMembers(f.ctx, admin, app, "r1", false, ten), "")
	before := f.room("r1").Seq
	over := []roomd.MemberMarks{{UserID: "ann", Marks: []int64{1000}}, {UserID: "bob", Marks: []int64{1001}}}
	wantCode(t, "MarkMembers over ten", f.svc.MarkMembers(f.ctx, admin, app, "r1", false, over), roomd.ELIMIT)
	if got := f.room("r1").Seq; got != before {
		t.Fatalf("seq after a refused MarkMembers: got %d, want %d (nothing applied)", got, before)
	}
	wantCode(t, "MarkMembers with a mark in use", f.svc.MarkMembers(f.ctx, admin, app, "r1", false, []roomd.MemberMarks{{UserID: "ann", Marks: []int64{roomd.MaxMark}}}), "")
}

func testMarkErrors(t *testing.T, f *fixture) {
	f.register("ann", "bob", "eve")
	f.createRoom("r1", "ann", "bob")
	mm := func(user string, marks ...int64) roomd.MemberMarks {
		return roomd.MemberMarks{UserID: user, Marks: marks}
	}
	eleven := make([]roomd.MemberMarks, roomd.MaxMarkMembers+1)
	for i := range eleven {
		eleven[i] = mm("bob", 1000)
	}
	for _, c := range []struct {
		what string
		list []roomd.MemberMarks
		code string
	}{
		{"no members", nil, roomd.EINVALID},
		{"eleven members", eleven, roomd.EINVALID},
		{"no marks", []roomd.MemberMarks{mm("bob")}, roomd.EINVALID},
		{"four marks", []roomd.MemberMarks{mm("bob", 1000, 1001, 1002, 1003)}, roomd.EINVALID},
		{"a mark below 1000", []roomd.MemberMarks{mm("bob", 999)}, roomd.EINVALID},
		{"a mark above MaxMark", []roomd.MemberMarks{mm("bob", roomd.MaxMark+1)}, roomd.EINVALID},
		{"an invalid user id", []roomd.MemberMarks{mm("", 1000)}, roomd.EINVALID},
		{"a non-member among members", []roomd.MemberMarks{mm("bob", 1000), mm("eve", 1000)}, roomd.ENOTMEMBER},
	} {
		wantCode(t, "MarkMembers "+c.what, f.svc.MarkMembers(f.ctx, admin, app, "r1", false, c.list), c.code)
	}
	wantCode(t, "MarkMembers in no room", f.svc.MarkMembers(f.ctx, admin, app, "nowhere", false, []roomd.MemberMarks{mm("bob", 1000)}), roomd.ENOROOM)
	if marks := read(f, func(tx roomd.Tx) ([]int64, error) { return tx.RoomMarks(f.ctx, app, "r1") }); len(marks) != 0 {
		t.Fatalf("marks after refused calls: got %v, want none (bob's of the call with eve not applied)", marks)
	}
}
