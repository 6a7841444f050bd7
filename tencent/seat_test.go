package tencent_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/tencent"
)

const cmdSeat = "Mic.CallbackAfterSeatInfoChanged"

// seatInfo is one seat of get_seat_list.
type seatInfo struct {
	Index           int
	Member_Account  string
	IsTakenDisabled bool
	IsVideoDisabled bool
	IsAudioDisabled bool
}

// seatRoom creates room id with seats (info adds RoomInfo fields) owned by
// owner, and adds members, all imported first.
func (e *env) seatRoom(tb testing.TB, id string, info map[string]any, owner string, members ...string) {
	tb.Helper()
	e.importAccounts(tb, append([]string{owner}, members...)...)
	ri := map[string]any{"RoomId": id, "Owner_Account": owner, "IsSeatEnabled": true}
	for k, v := range info {
		ri[k] = v
	}
	e.ok(tb, "create_room", roomBody(ri), nil)
	e.addMembers(tb, id, members...)
}

// seats returns get_seat_list's SeatList.
func (e *env) seats(tb testing.TB, room string) []seatInfo {
	tb.Helper()
	var out struct{ SeatList []seatInfo }
	e.ok(tb, "get_seat_list", map[string]string{"RoomId": room}, &out)
	return out.SeatList
}

// holders returns who holds each seat ("" free, "#" locked and free).
func (e *env) holders(tb testing.TB, room string) string {
	tb.Helper()
	var hs []string
	for _, s := range e.seats(tb, room) {
		h := s.Member_Account
		if s.IsTakenDisabled && h == "" {
			h = "#"
		}
		hs = append(hs, h)
	}
	return strings.Join(hs, ",")
}

// eventsSince returns the events of room after seq.
func (e *env) eventsSince(tb testing.TB, room string, seq int64) []roomd.Event {
	tb.Helper()
	evs, err := e.svc.Events(context.Background(), appID, room, seq, 1000)
	if err != nil {
		tb.Fatal(err)
	}
	return evs
}

// seq returns room's last seq.
func (e *env) seq(tb testing.TB, room string) int64 {
	tb.Helper()
	evs := e.eventsSince(tb, room, 0)
	return evs[len(evs)-1].Seq
}

// wantSeatEvent fails unless the only event of room after seq is a
// seat.changed with reason and holders (as e.holders writes them).
func (e *env) wantSeatEvent(tb testing.TB, room string, seq int64, reason, holders string) roomd.SeatPayload {
	tb.Helper()
	evs := e.eventsSince(tb, room, seq)
	if len(evs) != 1 || evs[0].Type != roomd.EventSeatChanged {
		tb.Fatalf("events after %d: got %v, want one %s", seq, evs, roomd.EventSeatChanged)
	}
	var p roomd.SeatPayload
	if err := json.Unmarshal(evs[0].Payload, &p); err != nil {
		tb.Fatal(err)
	}
	var hs []string
	for _, s := range p.Seats {
		h := s.UserID
		if s.Locked && h == "" {
			h = "#"
		}
		hs = append(hs, h)
	}
	if p.Reason != reason || strings.Join(hs, ",") != holders || evs[0].Actor != admin {
		tb.Fatalf("seat.changed: got %s by %s, want reason %s, seats %s, by %s", evs[0].Payload, evs[0].Actor, reason, holders, admin)
	}
	return p
}

func TestGetSeatList(t *testing.T) {
	e := newEnv(t)
	e.seatRoom(t, "r1", map[string]any{"MaxSeatCount": 3}, "host", "m1")
	r := e.ok(t, "get_seat_list", map[string]string{"RoomId": "r1"}, nil)
	want := `{"SeatList":[` +
		`{"Index":0,"Member_Account":"","IsTakenDisabled":false,"IsVideoDisabled":false,"IsAudioDisabled":false},` +
		`{"Index":1,"Member_Account":"","IsTakenDisabled":false,"IsVideoDisabled":false,"IsAudioDisabled":false},` +
		`{"Index":2,"Member_Account":"","IsTakenDisabled":false,"IsVideoDisabled":false,"IsAudioDisabled":false}]}`
	if string(r.Response) != want {
		t.Fatalf("Response = %s, want %s", r.Response, want)
	}
	e.ok(t, "pick_user_on_seat", map[string]any{"RoomId": "r1", "Index": 2, "Member_Account": "m1"}, nil)
	e.ok(t, "lock_seat", map[string]any{"RoomId": "r1", "Index": 2, "ForbidAudio": true}, nil)
	e.ok(t, "lock_seat", map[string]any{"RoomId": "r1", "Index": 0, "ForbidTaken": true}, nil)
	got := e.seats(t, "r1")
	wantSeats := []seatInfo{{Index: 0, IsTakenDisabled: true}, {Index: 1}, {Index: 2, Member_Account: "m1", IsAudioDisabled: true}}
	if !reflect.DeepEqual(got, wantSeats) {
		t.Fatalf("SeatList = %+v, want %+v", got, wantSeats)
	}
	e.room(t, "plain", "host2")
	t.Run("SeatsNotEnabled", func(t *testing.T) { e.want(t, 100211, "get_seat_list", map[string]string{"RoomId": "plain"}) })
	t.Run("NoRoom", func(t *testing.T) { e.want(t, 100004, "get_seat_list", map[string]string{"RoomId": "nope"}) })
	t.Run("NoRoomId", func(t *testing.T) { e.want(t, 100002, "get_seat_list", "{}") })
	t.Run("DefaultCount", func(t *testing.T) {
		e.seatRoom(t, "r10", nil, "host3")
		if n := len(e.seats(t, "r10")); n != roomd.DefaultSeatCount {
			t.Fatalf("seats of a room without MaxSeatCount: got %d, want %d", n, roomd.DefaultSeatCount)
		}
	})
	t.Run("MaxSeatCount", func(t *testing.T) {
		e.ok(t, "create_room", roomBody(map[string]any{"RoomId": "r100", "Owner_Account": "host3", "IsSeatEnabled": true, "MaxSeatCount": roomd.MaxSeats}), nil)
		if n := len(e.seats(t, "r100")); n != roomd.MaxSeats {
			t.Fatalf("seats: got %d, want %d", n, roomd.MaxSeats)
		}
		e.want(t, 100002, "create_room", roomBody(map[string]any{"RoomId": "r101", "Owner_Account": "host3", "IsSeatEnabled": true, "MaxSeatCount": roomd.MaxSeats + 1}))
	})
}

func TestPickUserOnSeat(t *testing.T) {
	e := newEnv(t)
	e.seatRoom(t, "r1", map[string]any{"MaxSeatCount": 3, "TakeSeatMode": "ApplyToTake"}, "host", "m1", "m2", "m3")
	e.importAccounts(t, "outsider")
	e.room(t, "plain", "host2", "p1")
	seq := e.seq(t, "r1")
	e.ok(t, "pick_user_on_seat", map[string]any{"RoomId": "r1", "Index": 1, "Member_Account": "m1"}, nil)
	e.wantSeatEvent(t, "r1", seq, roomd.SeatPicked, ",m1,")
	seq++
	e.ok(t, "pick_user_on_seat", map[string]any{"RoomId": "r1", "Index": 1, "Member_Account": "m1"}, nil) // a retry
	if got := e.seq(t, "r1"); got != seq {
		t.Fatalf("seq after a retried pick: got %d, want %d", got, seq)
	}
	e.ok(t, "lock_seat", map[string]any{"RoomId": "r1", "Index": 2, "ForbidTaken": true}, nil)
	for name, c := range map[string]struct {
		code int
		body any
	}{
		"NoIndex":           {100002, map[string]any{"RoomId": "r1", "Member_Account": "m2"}},
		"IndexTooLarge":     {100002, map[string]any{"RoomId": "r1", "Index": 3, "Member_Account": "m2"}},
		"IndexBelowMinus1":  {100002, map[string]any{"RoomId": "r1", "Index": -2, "Member_Account": "m2"}},
		"IndexNotNumber":    {100002, map[string]any{"RoomId": "r1", "Index": "1", "Member_Account": "m2"}},
		"IndexFloat":        {100002, map[string]any{"RoomId": "r1", "Index": 1.5, "Member_Account": "m2"}},
		"NoMember":          {100002, map[string]any{"RoomId": "r1", "Index": 0}},
		"NoRoomId":          {100002, map[string]any{"Index": 0, "Member_Account": "m2"}},
		"NoRoom":            {100004, map[string]any{"RoomId": "nope", "Index": 0, "Member_Account": "m2"}},
		"NotMember":         {100005, map[string]any{"RoomId": "r1", "Index": 0, "Member_Account": "outsider"}},
		"AlreadyOnASeat":    {100203, map[string]any{"RoomId": "r1", "Index": 0, "Member_Account": "m1"}},
		"SeatTaken":         {100210, map[string]any{"RoomId": "r1", "Index": 1, "Member_Account": "m2"}},
		"SeatLocked":        {100200, map[string]any{"RoomId": "r1", "Index": 2, "Member_Account": "m2"}},
		"SeatsNotEnabled":   {100211, map[string]any{"RoomId": "plain", "Index": 0, "Member_Account": "p1"}},
		"BodyNotJSONObject": {60003, `[1]`},
	} {
		t.Run(name, func(t *testing.T) { e.want(t, c.code, "pick_user_on_seat", c.body) })
	}
	// Index -1: the first free unlocked seat; none left: 100205.
	e.ok(t, "pick_user_on_seat", map[string]any{"RoomId": "r1", "Index": -1, "Member_Account": "m2"}, nil)
	if got := e.holders(t, "r1"); got != "m2,m1,#" {
		t.Fatalf("seats = %s, want m2,m1,#", got)
	}
	e.want(t, 100205, "pick_user_on_seat", map[string]any{"RoomId": "r1", "Index": -1, "Member_Account": "m3"})
}

func TestKickUserOffSeat(t *testing.T) {
	e := newEnv(t)
	e.seatRoom(t, "r1", map[string]any{"MaxSeatCount": 2}, "host", "m1", "m2")
	e.importAccounts(t, "outsider")
	e.room(t, "plain", "host2", "p1")
	e.ok(t, "pick_user_on_seat", map[string]any{"RoomId": "r1", "Index": 0, "Member_Account": "m1"}, nil)
	for name, c := range map[string]struct {
		code int
		body any
	}{
		"NoMember":        {100002, map[string]any{"RoomId": "r1"}},
		"DataNotString":   {100002, map[string]any{"RoomId": "r1", "Member_Account": "m1", "Data": 1}},
		"DataWithNUL":     {100002, map[string]any{"RoomId": "r1", "Member_Account": "m1", "Data": "a\x00b"}},
		"NoRoom":          {100004, map[string]any{"RoomId": "nope", "Member_Account": "m1"}},
		"NotMember":       {100005, map[string]any{"RoomId": "r1", "Member_Account": "outsider"}},
		"NotOnASeat":      {100206, map[string]any{"RoomId": "r1", "Member_Account": "m2"}},
		"SeatsNotEnabled": {100211, map[string]any{"RoomId": "plain", "Member_Account": "p1"}},
	} {
		t.Run(name, func(t *testing.T) { e.want(t, c.code, "kick_user_off_seat", c.body) })
	}
	seq := e.seq(t, "r1")
	e.ok(t, "kick_user_off_seat", map[string]any{"RoomId": "r1", "Member_Account": "m1", "Data": "stage closed"}, nil)
	p := e.wantSeatEvent(t, "r1", seq, roomd.SeatKicked, ",")
	if p.UserID != "m1" || p.Message != "stage closed" {
		t.Fatalf("seat.changed of the kick: got %+v, want m1 and the Data", p)
	}
	e.want(t, 100206, "kick_user_off_seat", map[string]any{"RoomId": "r1", "Member_Account": "m1"})
}

func TestLockSeat(t *testing.T) {
	e := newEnv(t)
	e.seatRoom(t, "r1", map[string]any{"MaxSeatCount": 2}, "host", "m1")
	e.room(t, "plain", "host2")
	for name, c := range map[string]struct {
		code int
		body any
	}{
		"NoIndex":         {100002, map[string]any{"RoomId": "r1", "ForbidTaken": true}},
		"IndexMinus1":     {100002, map[string]any{"RoomId": "r1", "Index": -1, "ForbidTaken": true}},
		"IndexTooLarge":   {100002, map[string]any{"RoomId": "r1", "Index": 2, "ForbidTaken": true}},
		"FlagNotBool":     {100002, map[string]any{"RoomId": "r1", "Index": 0, "ForbidTaken": "true"}},
		"NoRoom":          {100004, map[string]any{"RoomId": "nope", "Index": 0}},
		"SeatsNotEnabled": {100211, map[string]any{"RoomId": "plain", "Index": 0, "ForbidTaken": true}},
	} {
		t.Run(name, func(t *testing.T) { e.want(t, c.code, "lock_seat", c.body) })
	}
	e.ok(t, "pick_user_on_seat", map[string]any{"RoomId": "r1", "Index": 0, "Member_Account": "m1"}, nil)
	seq := e.seq(t, "r1")
	e.ok(t, "lock_seat", map[string]any{"RoomId": "r1", "Index": 0, "ForbidVideo": true, "ForbidAudio": true}, nil)
	p := e.wantSeatEvent(t, "r1", seq, roomd.SeatLockedBy, "m1,")
	if !p.Seats[0].VideoDisabled || !p.Seats[0].AudioDisabled {
		t.Fatalf("seat 0 after ForbidVideo and ForbidAudio: got %+v", p.Seats[0])
	}
	seq++
	// Omitted flags are unchanged; a lock that changes nothing writes no event.
	e.ok(t, "lock_seat", map[string]any{"RoomId": "r1", "Index": 0}, nil)
	e.ok(t, "lock_seat", map[string]any{"RoomId": "r1", "Index": 1, "ForbidVideo": true}, nil) // an empty seat: nothing
	if got := e.eventsSince(t, "r1", seq); len(got) != 0 {
		t.Fatalf("events of locks that change nothing: got %v", got)
	}
	if s := e.seats(t, "r1"); !s[0].IsVideoDisabled || !s[0].IsAudioDisabled || s[1].IsVideoDisabled {
		t.Fatalf("SeatList = %+v, want seat 0's flags kept, seat 1's unset", s)
	}
	// ForbidTaken on an occupied seat removes the user first; their flags go with them.
	e.ok(t, "lock_seat", map[string]any{"RoomId": "r1", "Index": 0, "ForbidTaken": true}, nil)
	p = e.wantSeatEvent(t, "r1", seq, roomd.SeatLockedBy, "#,")
	if p.UserID != "m1" || p.Seats[0].VideoDisabled {
		t.Fatalf("seat.changed of locking m1's seat: got %+v", p)
	}
	e.ok(t, "lock_seat", map[string]any{"RoomId": "r1", "Index": 0, "ForbidTaken": false}, nil)
	if got := e.holders(t, "r1"); got != "," {
		t.Fatalf("seats after unlocking: got %s, want ,", got)
	}
}

func TestSwitchSeat(t *testing.T) {
	e := newEnv(t)
	e.seatRoom(t, "r1", map[string]any{"MaxSeatCount": 4}, "host", "m1", "m2", "m3")
	e.importAccounts(t, "outsider")
	e.room(t, "plain", "host2", "p1")
	e.ok(t, "pick_user_on_seat", map[string]any{"RoomId": "r1", "Index": 0, "Member_Account": "m1"}, nil)
	e.ok(t, "pick_user_on_seat", map[string]any{"RoomId": "r1", "Index": 1, "Member_Account": "m2"}, nil)
	e.ok(t, "lock_seat", map[string]any{"RoomId": "r1", "Index": 0, "ForbidAudio": true}, nil)
	e.ok(t, "lock_seat", map[string]any{"RoomId": "r1", "Index": 2, "ForbidTaken": true}, nil)
	for name, c := range map[string]struct {
		code int
		body any
	}{
		"NoToIndex":       {100002, map[string]any{"RoomId": "r1", "Member_Account": "m1"}},
		"ToIndexTooLarge": {100002, map[string]any{"RoomId": "r1", "ToIndex": 4, "Member_Account": "m1"}},
		"NoMember":        {100002, map[string]any{"RoomId": "r1", "ToIndex": 3}},
		"NoRoom":          {100004, map[string]any{"RoomId": "nope", "ToIndex": 3, "Member_Account": "m1"}},
		"NotMember":       {100005, map[string]any{"RoomId": "r1", "ToIndex": 3, "Member_Account": "outsider"}},
		"NotOnASeat":      {100206, map[string]any{"RoomId": "r1", "ToIndex": 3, "Member_Account": "m3"}},
		"SeatLocked":      {100200, map[string]any{"RoomId": "r1", "ToIndex": 2, "Member_Account": "m1"}},
		"SeatTaken":       {100210, map[string]any{"RoomId": "r1", "ToIndex": 1, "Member_Account": "m1"}},
		"SeatsNotEnabled": {100211, map[string]any{"RoomId": "plain", "ToIndex": 0, "Member_Account": "p1"}},
	} {
		t.Run(name, func(t *testing.T) { e.want(t, c.code, "switch_seat", c.body) })
	}
	seq := e.seq(t, "r1")
	e.ok(t, "switch_seat", map[string]any{"RoomId": "r1", "ToIndex": 3, "Member_Account": "m1"}, nil)
	p := e.wantSeatEvent(t, "r1", seq, roomd.SeatMoved, ",m2,#,m1")
	if !p.Seats[3].AudioDisabled || p.Seats[0].AudioDisabled {
		t.Fatalf("m1's audio setting did not follow the move: %+v", p.Seats)
	}
}

// TestSeatFreedWhenMemberLeaves: kick_user_out, ban_room_member and
// account_delete free the member's seat in the same change, with one
// seat.changed before the member.left.
func TestSeatFreedWhenMemberLeaves(t *testing.T) {
	e := newEnv(t)
	e.seatRoom(t, "r1", map[string]any{"MaxSeatCount": 3}, "host", "m1", "m2", "m3")
	for i, m := range []string{"m1", "m2", "m3"} {
		e.ok(t, "pick_user_on_seat", map[string]any{"RoomId": "r1", "Index": i, "Member_Account": m}, nil)
	}
	for _, step := range []struct {
		command, user, holders string
		body                   any
	}{
		{"kick_user_out", "m1", ",m2,m3", map[string]any{"RoomId": "r1", "MemberList_Account": []string{"m1"}}},
		{"ban_room_member", "m2", ",,m3", map[string]any{"RoomId": "r1", "MemberList_Account": []string{"m2"}, "Duration": 60}},
		{"account_delete", "m3", ",,", map[string]any{"DeleteItem": []map[string]string{{"UserID": "m3"}}}},
	} {
		seq := e.seq(t, "r1")
		e.ok(t, step.command, step.body, nil)
		if got := e.holders(t, "r1"); got != step.holders {
			t.Fatalf("%s: seats = %s, want %s", step.command, got, step.holders)
		}
		var types []string
		for _, ev := range e.eventsSince(t, "r1", seq) {
			types = append(types, string(ev.Type))
		}
		want := "seat.changed,member.left"
		if step.command == "ban_room_member" {
			want = "member.banned," + want
		}
		if got := strings.Join(types, ","); got != want {
			t.Fatalf("%s: events %s, want %s", step.command, got, want)
		}
	}
}

type markPage struct {
	MemberList []struct {
		Member_Account string
		Marks          []int64
	}
}

// marks returns each member's Marks from get_room_member_list.
func (e *env) marks(tb testing.TB, room string) map[string][]int64 {
	tb.Helper()
	var p markPage
	r := e.ok(tb, "get_room_member_list", map[string]any{"RoomId": room}, &p)
	if !bytes.Contains(r.Response, []byte(`"Marks":[`)) {
		tb.Fatalf("Marks is not a list: %s", r.Response)
	}
	out := map[string][]int64{}
	for _, m := range p.MemberList {
		out[m.Member_Account] = m.Marks
	}
	return out
}

func TestMarkRoomMember(t *testing.T) {
	e := newEnv(t)
	e.room(t, "r1", "host", "m1", "m2")
	e.importAccounts(t, "outsider")
	seq := e.seq(t, "r1")
	e.ok(t, "mark_room_member", map[string]any{"RoomId": "r1", "CommandType": 1, "MemberList": []map[string]any{
		{"Member_Account": "m1", "Marks": []int{1003, 1000}}, {"Member_Account": "host", "Marks": []int{1000}},
	}}, nil)
	if got, want := e.marks(t, "r1"), map[string][]int64{"host": {1000}, "m1": {1000, 1003}, "m2": {}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Marks = %v, want %v", got, want)
	}
	evs := e.eventsSince(t, "r1", seq)
	if len(evs) != 2 || evs[0].Type != roomd.EventMemberMarked || string(evs[0].Payload) != `{"user_id":"m1","marks":[1000,1003]}` {
		t.Fatalf("events of set marks: got %v, want member.marked for m1 then host", evs)
	}
	e.ok(t, "mark_room_member", map[string]any{"RoomId": "r1", "CommandType": "2", "MemberList": []map[string]any{{"Member_Account": "m1", "Marks": []int{1000}}}}, nil)
	e.ok(t, "mark_room_member", map[string]any{"RoomId": "r1", "CommandType": "1", "MemberList": []map[string]any{{"Member_Account": "m2", "Marks": []int{1001}}}}, nil)
	if got, want := e.marks(t, "r1"), map[string][]int64{"host": {1000}, "m1": {1003}, "m2": {1001}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Marks after delete and set = %v, want %v", got, want)
	}
	list := func(user string, marks ...int) []map[string]any {
		return []map[string]any{{"Member_Account": user, "Marks": marks}}
	}
	eleven := make([]map[string]any, 11)
	for i := range eleven {
		eleven[i] = map[string]any{"Member_Account": "m1", "Marks": []int{1000}}
	}
	for name, c := range map[string]struct {
		code int
		body any
	}{
		"NoCommandType":      {100002, map[string]any{"RoomId": "r1", "MemberList": list("m1", 1000)}},
		"CommandType3":       {100002, map[string]any{"RoomId": "r1", "CommandType": 3, "MemberList": list("m1", 1000)}},
		"CommandTypeWord":    {100002, map[string]any{"RoomId": "r1", "CommandType": "set", "MemberList": list("m1", 1000)}},
		"CommandTypeBool":    {100002, map[string]any{"RoomId": "r1", "CommandType": true, "MemberList": list("m1", 1000)}},
		"NoMemberList":       {100002, map[string]any{"RoomId": "r1", "CommandType": 1}},
		"ElevenAccounts":     {100002, map[string]any{"RoomId": "r1", "CommandType": 1, "MemberList": eleven}},
		"FourMarks":          {100002, map[string]any{"RoomId": "r1", "CommandType": 1, "MemberList": list("m1", 1000, 1001, 1002, 1004)}},
		"NoMarks":            {100002, map[string]any{"RoomId": "r1", "CommandType": 1, "MemberList": list("m1")}},
		"MarkBelow1000":      {100002, map[string]any{"RoomId": "r1", "CommandType": 1, "MemberList": list("m1", 999)}},
		"MarkNotNumber":      {100002, map[string]any{"RoomId": "r1", "CommandType": 1, "MemberList": []map[string]any{{"Member_Account": "m1", "Marks": []string{"1000"}}}}},
		"NoAccount":          {100002, map[string]any{"RoomId": "r1", "CommandType": 1, "MemberList": list("", 1000)}},
		"NoRoom":             {100004, map[string]any{"RoomId": "nope", "CommandType": 1, "MemberList": list("m1", 1000)}},
		"NotMember":          {100005, map[string]any{"RoomId": "r1", "CommandType": 1, "MemberList": append(list("m2", 1005), list("outsider", 1005)...)}},
		"RoomMarksOverLimit": {100002, map[string]any{"RoomId": "r1", "CommandType": 1, "MemberList": []map[string]any{{"Member_Account": "m1", "Marks": []int{2000, 2001, 2002}}, {"Member_Account": "m2", "Marks": []int{2003, 2004, 2005}}, {"Member_Account": "host", "Marks": []int{2006, 2007}}}}},
	} {
		t.Run(name, func(t *testing.T) { e.want(t, c.code, "mark_room_member", c.body) })
	}
	// Refused calls applied nothing (m2's 1005 went with outsider's 100005).
	if got, want := e.marks(t, "r1"), map[string][]int64{"host": {1000}, "m1": {1003}, "m2": {1001}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Marks after refused calls = %v, want %v", got, want)
	}
	// Up to ten distinct marks in the room.
	e.ok(t, "mark_room_member", map[string]any{"RoomId": "r1", "CommandType": 1, "MemberList": []map[string]any{{"Member_Account": "m1", "Marks": []int{2000, 2001, 2002}}, {"Member_Account": "m2", "Marks": []int{2003, 2004, 2005}}, {"Member_Account": "host", "Marks": []int{2006}}}}, nil)
	// A kicked member's marks go with them.
	e.ok(t, "kick_user_out", map[string]any{"RoomId": "r1", "MemberList_Account": []string{"m1"}}, nil)
	e.addMembers(t, "r1", "m1")
	if got := e.marks(t, "r1")["m1"]; len(got) != 0 {
		t.Fatalf("Marks of m1 back in the room = %v, want []", got)
	}
}

// TestSeatCallback: set_callback takes Mic.CallbackAfterSeatInfoChanged, and
// a seat change's callback carries every seat.
func TestSeatCallback(t *testing.T) {
	e := newEnv(t)
	e.ok(t, "set_callback", map[string]any{"Url": hookURL, "CallbackCommandList": []string{cmdSeat, cmdLeave}}, nil)
	e.seatRoom(t, "r1", map[string]any{"MaxSeatCount": 2}, "host", "m1")
	e.ok(t, "pick_user_on_seat", map[string]any{"RoomId": "r1", "Index": 1, "Member_Account": "m1"}, nil)
	e.ok(t, "lock_seat", map[string]any{"RoomId": "r1", "Index": 1, "ForbidVideo": true}, nil)
	e.ok(t, "mark_room_member", map[string]any{"RoomId": "r1", "CommandType": 1, "MemberList": []map[string]any{{"Member_Account": "m1", "Marks": []int{1000}}}}, nil)
	hook := tencent.NewHook(e.svc)
	tg, err := hook.Target(context.Background(), appID)
	if err != nil || tg == nil {
		t.Fatalf("Target = %v, %v", tg, err)
	}
	evs := e.eventsSince(t, "r1", 0)
	var bodies []map[string]any
	for i := range evs {
		ev := &evs[i]
		req, err := hook.Request(context.Background(), tg, ev, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if req == nil {
			continue
		}
		if ev.Type != roomd.EventSeatChanged {
			t.Fatalf("callback for %s, want callbacks for seat.changed only", ev.Type)
		}
		checkQuery(t, req.URL, cmdSeat)
		var b map[string]any
		if err := json.Unmarshal(req.Body, &b); err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, b)
		if i == len(evs)-2 { // the lock; the mark has no callback
			checkBody(t, "seat.changed", req.Body, map[string]any{
				"CallbackCommand": cmdSeat, "Operator_Account": admin, "RoomId": "r1", "EventTime": ev.Time.UnixMilli(),
				"SeatList": []map[string]any{
					{"Index": 0, "Member_Account": "", "IsTakenDisabled": false, "IsVideoDisabled": false, "IsAudioDisabled": false},
					{"Index": 1, "Member_Account": "m1", "IsTakenDisabled": false, "IsVideoDisabled": true, "IsAudioDisabled": false},
				},
			})
		}
	}
	if len(bodies) != 2 {
		t.Fatalf("seat callbacks: got %d, want 2 (pick, lock)", len(bodies))
	}
	// Not asked for: none.
	tg.Commands = []string{cmdLeave}
	if req, err := hook.Request(context.Background(), tg, &evs[len(evs)-2], time.Now()); err != nil || req != nil {
		t.Fatalf("Request without %s in the list = %v, %v; want nil", cmdSeat, req, err)
	}
}

// seatCommands are the new commands the fuzz target below sends bodies to.
var seatCommands = []string{"get_seat_list", "pick_user_on_seat", "kick_user_off_seat", "lock_seat", "switch_seat", "mark_room_member"}

// FuzzSeatBody sends arbitrary bodies to the seat and mark commands: the
// answer is always the JSON envelope with one of the command's documented
// codes.
func FuzzSeatBody(f *testing.F) {
	svc := roomd.NewService(MustOpenStore(f), nil, nil)
	apps := roomd.Apps{appID: {ID: appID, Secret: secret, Admins: []string{admin}, RateLimitsOff: true}}
	h := tencent.NewHandler(svc, apps, tencent.Options{})
	sig, err := tencent.GenUserSig(appID, secret, admin, 24*time.Hour, time.Now())
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	if _, err := svc.RegisterUsers(ctx, appID, []roomd.User{{ID: "user2"}, {ID: "user4"}}, true); err != nil {
		f.Fatal(err)
	}
	props := map[string]string{roomd.PropSeatEnabled: "true", roomd.PropSeatCount: "4"}
	if _, _, err := svc.CreateRoom(ctx, roomd.Actor{ID: admin, Admin: true}, roomd.Room{AppID: appID, ID: "room-test", Owner: "user2", Props: props}, []string{"user4"}); err != nil {
		f.Fatal(err)
	}
	for i := range seatCommands {
		c := byte(i)
		f.Add(c, []byte(`{"RoomId":"room-test"}`))
		f.Add(c, []byte(`{"RoomId":"room-test","Index":1,"Member_Account":"user4"}`))
		f.Add(c, []byte(`{"RoomId":"room-test","ToIndex":2,"Member_Account":"user4","Data":"x"}`))
		f.Add(c, []byte(`{"RoomId":"room-test","Index":0,"ForbidTaken":true,"ForbidVideo":false}`))
		f.Add(c, []byte(`{"RoomId":"room-test","CommandType":"1","MemberList":[{"Member_Account":"user4","Marks":[1000,1001]}]}`))
		f.Add(c, []byte(`{"RoomId":"room-test","CommandType":2,"MemberList":[{"Member_Account":"user2","Marks":[1000]}]}`))
		f.Add(c, []byte(`{"RoomId":"room-test","Index":-1,"Member_Account":"user2"}`))
		f.Add(c, []byte(`{"RoomId":"room-test","Index":"1","CommandType":null,"MemberList":{}}`))
		f.Add(c, []byte(`{"RoomId":"none","Index":99,"Member_Account":"nobody"}`))
		f.Add(c, []byte(`[]`))
		f.Add(c, []byte(""))
	}
	codes := map[string][]int{
		"get_seat_list":      {100004, 100211},
		"pick_user_on_seat":  {100004, 100005, 100200, 100203, 100205, 100210, 100211},
		"kick_user_off_seat": {100004, 100005, 100206, 100211},
		"lock_seat":          {100004, 100211},
		"switch_seat":        {100004, 100005, 100200, 100206, 100210, 100211},
		"mark_room_member":   {100004, 100005},
	}
	f.Fuzz(func(t *testing.T, which byte, body []byte) {
		cmd := seatCommands[int(which)%len(seatCommands)]
		target, _ := tencent.CommandURL(appID, admin, sig, cmd, 1)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body)))
		var r struct {
			ActionStatus string
			ErrorCode    int
			RequestId    string
		}
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &r) != nil {
			t.Fatalf("%s %q: status %d, answer %s; want 200 and JSON", cmd, body, rec.Code, rec.Body.Bytes())
		}
		allowed := append([]int{0, 60003, 100002}, codes[cmd]...)
		if !slices.Contains(allowed, r.ErrorCode) || r.RequestId == "" || (r.ErrorCode == 0) != (r.ActionStatus == "OK") {
			t.Fatalf("%s %q: answer %s, want one of %v", cmd, body, rec.Body.Bytes(), allowed)
		}
	})
}
