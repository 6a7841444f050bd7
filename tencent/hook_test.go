package tencent_test

import (
	"context"
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/storetest"
	"github.com/roomd/roomd/tencent"
)

// The callback commands, as set_callback names them.
const (
	cmdCreate  = "Room.CallbackAfterCreateRoom"
	cmdDestroy = "Room.CallbackAfterDestroyRoom"
	cmdUpdate  = "Room.CallbackAfterUpdateRoomInfo"
	cmdEnter   = "Room.CallbackAfterMemberEnter"
	cmdLeave   = "Room.CallbackAfterMemberLeave"
	cmdOwner   = "Room.CallbackAfterChangeRoomOwner"
)

var allCommands = []string{cmdCreate, cmdDestroy, cmdUpdate, cmdEnter, cmdLeave, cmdOwner}

const hookURL = "https://hooks.example.com/tencent/cb"

// hookEnv is a Service over a real store with a settable clock, and the
// Tencent hook over it.
type hookEnv struct {
	svc   *roomd.Service
	hook  *tencent.Hook
	clock *storetest.Clock
}

// newHookEnv registers users in appID, starting the clock at a fixed time.
func newHookEnv(tb testing.TB, users ...string) *hookEnv {
	tb.Helper()
	e := &hookEnv{clock: storetest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC))}
	e.svc = roomd.NewService(MustOpenStore(tb), nil, e.clock.Now)
	e.hook = tencent.NewHook(e.svc)
	reg := make([]roomd.User, len(users))
	for i, id := range users {
		reg[i] = roomd.User{AppID: appID, ID: id}
	}
	if items, err := e.svc.RegisterUsers(context.Background(), appID, reg, false); err != nil || len(items) != 0 {
		tb.Fatalf("RegisterUsers = %v, %v", items, err)
	}
	return e
}

// events returns every event of appID.
func (e *hookEnv) events(tb testing.TB) []roomd.Event {
	tb.Helper()
	evs, err := e.svc.AppEvents(context.Background(), appID, 0, roomd.MaxAppEvents)
	if err != nil {
		tb.Fatalf("AppEvents: %v", err)
	}
	return evs
}

// request returns the hook's Request for ev, failing on an error.
func (e *hookEnv) request(tb testing.TB, t *roomd.HookTarget, ev *roomd.Event) *roomd.HookRequest {
	tb.Helper()
	req, err := e.hook.Request(context.Background(), t, ev, e.clock.Now())
	if err != nil {
		tb.Fatalf("Request(%s seq %d): %v", ev.Type, ev.Seq, err)
	}
	return req
}

// must fails tb on err.
func must(tb testing.TB, what string, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatalf("%s: %v", what, err)
	}
}

// asJSON returns v marshalled and decoded into generic JSON values.
func asJSON(tb testing.TB, v any) any {
	tb.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		tb.Fatal(err)
	}
	return out
}

// checkBody fails unless body is JSON with exactly the fields of want.
func checkBody(tb testing.TB, what string, body []byte, want map[string]any) {
	tb.Helper()
	var got any
	if err := json.Unmarshal(body, &got); err != nil {
		tb.Fatalf("%s: body is not JSON: %v: %s", what, err, body)
	}
	if w := asJSON(tb, want); !reflect.DeepEqual(got, w) {
		tb.Fatalf("%s: body\n got %s\nwant %s", what, body, mustJSON(tb, w))
	}
}

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// checkQuery fails unless rawURL is hookURL with the vendor's callback query for cmd.
func checkQuery(tb testing.TB, rawURL, cmd string) {
	tb.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		tb.Fatalf("URL %q: %v", rawURL, err)
	}
	if base := u.Scheme + "://" + u.Host + u.Path; base != hookURL {
		tb.Fatalf("URL %q: base %q, want %q", rawURL, base, hookURL)
	}
	want := url.Values{
		"SdkAppid": {"1400000001"}, "CallbackCommand": {cmd}, "contenttype": {"json"},
		"ClientIP": {""}, "OptPlatform": {"RESTAPI"},
	}
	if got := u.Query(); !reflect.DeepEqual(got, want) {
		tb.Fatalf("URL %q: query %v, want %v", rawURL, got, want)
	}
}

func TestHookStyleAndTarget(t *testing.T) {
	ctx := context.Background()
	e := newHookEnv(t)
	if got := e.hook.Style(); got != roomd.HookTencent {
		t.Fatalf("Style() = %q, want %q", got, roomd.HookTencent)
	}
	if tg, err := e.hook.Target(ctx, appID); err != nil || tg != nil {
		t.Fatalf("Target with no callback = %+v, %v; want nil, nil", tg, err)
	}
	must(t, "PutCallback", e.svc.PutCallback(ctx, roomd.Callback{AppID: appID, URL: hookURL, Commands: []string{cmdEnter, cmdOwner}}))
	tg, err := e.hook.Target(ctx, appID)
	want := &roomd.HookTarget{AppID: appID, URL: hookURL, Commands: []string{cmdEnter, cmdOwner}}
	if err != nil || !reflect.DeepEqual(tg, want) {
		t.Fatalf("Target = %+v, %v; want %+v", tg, err, want)
	}
	// An empty list is kept as an empty, non-nil list: no callback at all.
	must(t, "PutCallback", e.svc.PutCallback(ctx, roomd.Callback{AppID: appID, URL: hookURL}))
	if tg, err = e.hook.Target(ctx, appID); err != nil || tg == nil || tg.Commands == nil || len(tg.Commands) != 0 {
		t.Fatalf("Target with no commands = %+v, %v; want Commands []", tg, err)
	}
	if tg, err := e.hook.Target(ctx, otherAppID); err != nil || tg != nil {
		t.Fatalf("Target of another app = %+v, %v; want nil, nil", tg, err)
	}
	must(t, "DeleteCallback", e.svc.DeleteCallback(ctx, appID))
	if tg, err := e.hook.Target(ctx, appID); err != nil || tg != nil {
		t.Fatalf("Target after DeleteCallback = %+v, %v; want nil, nil", tg, err)
	}
}

// TestHookRequests makes a room's whole life through the Service and checks
// every event's callback, all made after the room is gone: a late callback
// says what the event said.
func TestHookRequests(t *testing.T) {
	ctx := context.Background()
	e := newHookEnv(t, "alice", "bob", "carol", "dave", "erin")
	must(t, "PutCallback", e.svc.PutCallback(ctx, roomd.Callback{AppID: appID, URL: hookURL, Commands: allCommands}))
	op := roomd.Actor{ID: admin, Admin: true}
	t0 := e.clock.Now()
	ms := func(i int) int64 { return t0.Add(time.Duration(i) * time.Second).UnixMilli() }
	step := func() { e.clock.Advance(time.Second) }

	_, items, err := e.svc.CreateRoom(ctx, op, roomd.Room{
		AppID: appID, ID: "r1", Name: "Room One", Type: "Live", Owner: "alice", MaxMembers: 50, CustomInfo: "ci",
		Props: map[string]string{"IsMessageDisabled": "true", "TakeSeatMode": `"ApplyToTake"`, "other": "x"},
	}, []string{"bob", "carol"})
	if err != nil || len(items) != 0 {
		t.Fatalf("CreateRoom = %v, %v", items, err)
	}
	step() // 1
	name, off := "Room 1", `false`
	must(t, "UpdateRoom", e.svc.UpdateRoom(ctx, op, appID, "r1", roomd.RoomUpdate{Name: &name, Props: map[string]string{"IsMessageDisabled": off}}))
	step() // 2
	if _, err := e.svc.EnterRoom(ctx, appID, "r1", "dave"); err != nil {
		t.Fatalf("EnterRoom: %v", err)
	}
	step() // 3
	if items, err := e.svc.AddMembers(ctx, op, appID, "r1", []roomd.MemberAdd{{UserID: "erin"}}); err != nil || len(items) != 0 {
		t.Fatalf("AddMembers = %v, %v", items, err)
	}
	step() // 4
	if items, err := e.svc.RemoveMembers(ctx, op, appID, "r1", []string{"bob"}, "spam"); err != nil || len(items) != 0 {
		t.Fatalf("RemoveMembers = %v, %v", items, err)
	}
	step() // 5
	if items, err := e.svc.BanMembers(ctx, op, appID, "r1", []string{"carol"}, time.Hour, "abuse"); err != nil || len(items) != 0 {
		t.Fatalf("BanMembers = %v, %v", items, err)
	}
	step() // 6
	if _, err := e.svc.LeaveRoom(ctx, appID, "r1", "dave"); err != nil {
		t.Fatalf("LeaveRoom: %v", err)
	}
	step() // 7
	adminRole := roomd.RoleAdmin
	must(t, "UpdateMember", e.svc.UpdateMember(ctx, op, appID, "r1", "erin", roomd.MemberUpdate{Role: &adminRole}))
	step() // 8
	must(t, "TransferOwner", e.svc.TransferOwner(ctx, roomd.Actor{ID: "alice"}, appID, "r1", "erin", "alice"))
	step() // 9
	if items, err := e.svc.DeleteUsers(ctx, op, appID, []string{"alice"}); err != nil || len(items) != 0 {
		t.Fatalf("DeleteUsers = %v, %v", items, err)
	}
	step() // 10
	must(t, "DismissRoom", e.svc.DismissRoom(ctx, op, appID, "r1"))

	createInfo := map[string]any{
		"RoomId": "r1", "RoomName": "Room One", "RoomType": "Live", "Owner_Account": "alice",
		"MaxMemberCount": 50, "CustomInfo": "ci", "IsMessageDisabled": true, "TakeSeatMode": "ApplyToTake",
		"CreateTime": t0.Unix(),
	}
	updateInfo := map[string]any{}
	for k, v := range createInfo {
		updateInfo[k] = v
	}
	updateInfo["RoomName"], updateInfo["IsMessageDisabled"] = "Room 1", false
	member := func(cmd, actor, user, typ string, count int, reason *string, at int) map[string]any {
		m := map[string]any{
			"CallbackCommand": cmd, "Operator_Account": actor, "RoomId": "r1", "MemberCount": count,
			"Type": typ, "MemberList_Account": []string{user}, "EventTime": ms(at),
		}
		if reason != nil {
			m["Reason"] = *reason
		}
		return m
	}
	str := func(s string) *string { return &s }
	type want struct {
		typ  roomd.EventType
		cmd  string // "" when the event has no callback
		body map[string]any
	}
	wants := []want{
		{roomd.EventRoomCreated, cmdCreate, map[string]any{"CallbackCommand": cmdCreate, "Operator_Account": admin, "RoomInfo": createInfo, "EventTime": ms(0)}},
		{roomd.EventMemberJoined, "", nil}, // the members the room was created with
		{roomd.EventMemberJoined, "", nil},
		{roomd.EventMemberJoined, "", nil},
		{roomd.EventRoomUpdated, cmdUpdate, map[string]any{"CallbackCommand": cmdUpdate, "Operator_Account": admin, "RoomInfo": updateInfo, "EventTime": ms(1)}},
		{roomd.EventMemberJoined, cmdEnter, member(cmdEnter, "dave", "dave", "Enter", 4, nil, 2)},
		{roomd.EventMemberJoined, cmdEnter, member(cmdEnter, admin, "erin", "Enter", 5, nil, 3)},
		{roomd.EventMemberLeft, cmdLeave, member(cmdLeave, admin, "bob", "Kicked", 4, str("spam"), 4)},
		{roomd.EventMemberBanned, "", nil},
		{roomd.EventMemberLeft, cmdLeave, member(cmdLeave, admin, "carol", "Kicked", 3, str("abuse"), 5)},
		{roomd.EventMemberLeft, cmdLeave, member(cmdLeave, "dave", "dave", "Leave", 2, str(""), 6)},
		{roomd.EventRoleChanged, "", nil},
		{roomd.EventOwnerChanged, cmdOwner, map[string]any{
			"CallbackCommand": cmdOwner, "RoomId": "r1", "Operator_Account": "alice",
			"OldOwner_Account": "alice", "NewOwner_Account": "erin", "EventTime": ms(8),
		}},
		{roomd.EventMemberLeft, cmdLeave, member(cmdLeave, admin, "alice", "Kicked", 1, str(""), 9)}, // account deleted
		{roomd.EventRoomDismissed, cmdDestroy, map[string]any{"CallbackCommand": cmdDestroy, "Operator_Account": admin, "RoomId": "r1", "EventTime": ms(10)}},
	}
	evs := e.events(t)
	if len(evs) != len(wants) {
		t.Fatalf("%d events, want %d: %+v", len(evs), len(wants), evs)
	}
	tg, err := e.hook.Target(ctx, appID)
	if err != nil || tg == nil {
		t.Fatalf("Target = %v, %v", tg, err)
	}
	for i, w := range wants {
		ev := &evs[i]
		if ev.Type != w.typ {
			t.Fatalf("event %d is %s, want %s", i, ev.Type, w.typ)
		}
		req := e.request(t, tg, ev)
		if w.cmd == "" {
			if req != nil {
				t.Fatalf("event %d (%s): Request = %s %s, want nil", i, ev.Type, req.URL, req.Body)
			}
			continue
		}
		if req == nil {
			t.Fatalf("event %d (%s): Request = nil, want %s", i, ev.Type, w.cmd)
		}
		checkQuery(t, req.URL, w.cmd)
		checkBody(t, string(ev.Type), req.Body, w.body)
	}

	t.Run("CommandsFilter", func(t *testing.T) {
		only := &roomd.HookTarget{AppID: appID, URL: hookURL, Commands: []string{cmdLeave, cmdOwner}}
		none := &roomd.HookTarget{AppID: appID, URL: hookURL, Commands: []string{}}
		all := &roomd.HookTarget{AppID: appID, URL: hookURL} // nil: no filter
		for i, w := range wants {
			ev := &evs[i]
			if got := e.request(t, none, ev); got != nil {
				t.Fatalf("event %d (%s) with no commands listed: %s, want nil", i, ev.Type, got.Body)
			}
			listed := w.cmd == cmdLeave || w.cmd == cmdOwner
			if got := e.request(t, only, ev); (got != nil) != listed {
				t.Fatalf("event %d (%s) with commands %v: %v, want a callback %v", i, ev.Type, only.Commands, got, listed)
			}
			if got := e.request(t, all, ev); (got != nil) != (w.cmd != "") {
				t.Fatalf("event %d (%s) with nil Commands: %v, want a callback %v", i, ev.Type, got, w.cmd != "")
			}
		}
	})
}

// TestHookRoomInfo checks the callbacks' RoomInfo against get_room_info's
// for a room created over the wire, and the defaults for a room created
// without a type or member limit (through the ZEGO dialect, say).
func TestHookRoomInfo(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.importAccounts(t, "owner1")
	e.ok(t, "create_room", map[string]any{"RoomInfo": map[string]any{
		"RoomId": "wire", "RoomName": "Wired", "Owner_Account": "owner1", "MaxMemberCount": 9,
		"CustomInfo": "c", "IsVideoDisabled": true, "IsSeatEnabled": true, "MaxSeatCount": 4, "ScheduleStartTime": 1700000000,
	}}, nil)
	info := e.roomInfo(t, "wire")
	delete(info, "RoomStatus")
	delete(info, "MemberCount")

	_, _, err := e.svc.CreateRoom(ctx, roomd.Actor{ID: admin, Admin: true}, roomd.Room{AppID: appID, ID: "bare", Owner: "owner1"}, nil)
	must(t, "CreateRoom", err)
	bare, err := e.svc.Room(ctx, appID, "bare")
	must(t, "Room", err)

	h := tencent.NewHook(e.svc)
	tg := &roomd.HookTarget{AppID: appID, URL: hookURL, Commands: allCommands}
	evs, err := e.svc.AppEvents(ctx, appID, 0, 100)
	must(t, "AppEvents", err)
	got := map[string]map[string]any{}
	for i := range evs {
		if evs[i].Type != roomd.EventRoomCreated {
			continue
		}
		req, err := h.Request(ctx, tg, &evs[i], time.Now())
		if err != nil || req == nil {
			t.Fatalf("Request(room.created of %s) = %v, %v", evs[i].RoomID, req, err)
		}
		var body struct{ RoomInfo map[string]any }
		if err := json.Unmarshal(req.Body, &body); err != nil {
			t.Fatal(err)
		}
		got[evs[i].RoomID] = body.RoomInfo
	}
	if !reflect.DeepEqual(got["wire"], info) {
		t.Fatalf("callback RoomInfo %v\nget_room_info     %v", got["wire"], info)
	}
	wantBare := asJSON(t, map[string]any{
		"RoomId": "bare", "RoomName": "", "RoomType": "Conference", "Owner_Account": "owner1",
		"MaxMemberCount": roomd.DefaultMaxMember, "CustomInfo": "", "CreateTime": bare.CreatedAt.Unix(),
	})
	if !reflect.DeepEqual(any(got["bare"]), wantBare) {
		t.Fatalf("RoomInfo of a bare room %v, want %v", got["bare"], wantBare)
	}
}

func TestHookURLKeepsQuery(t *testing.T) {
	ctx := context.Background()
	e := newHookEnv(t, "alice")
	op := roomd.Actor{ID: admin, Admin: true}
	_, _, err := e.svc.CreateRoom(ctx, op, roomd.Room{AppID: appID, ID: "r1", Owner: "alice"}, nil)
	must(t, "CreateRoom", err)
	must(t, "DismissRoom", e.svc.DismissRoom(ctx, op, appID, "r1"))
	evs := e.events(t)
	ev := &evs[len(evs)-1]
	for _, tc := range []struct{ base, want string }{
		{"https://h.example/cb?token=a%2Fb&x=1", "https://h.example/cb?token=a%2Fb&x=1&SdkAppid=1400000001&CallbackCommand=Room.CallbackAfterDestroyRoom&contenttype=json&ClientIP=&OptPlatform=RESTAPI"},
		{"http://h.example:8080/", "http://h.example:8080/?SdkAppid=1400000001&CallbackCommand=Room.CallbackAfterDestroyRoom&contenttype=json&ClientIP=&OptPlatform=RESTAPI"},
		{"https://h.example/cb?", "https://h.example/cb?SdkAppid=1400000001&CallbackCommand=Room.CallbackAfterDestroyRoom&contenttype=json&ClientIP=&OptPlatform=RESTAPI"},
	} {
		req := e.request(t, &roomd.HookTarget{AppID: appID, URL: tc.base, Commands: allCommands}, ev)
		if req == nil || req.URL != tc.want {
			t.Fatalf("URL from %q = %v, want %q", tc.base, req, tc.want)
		}
	}
	// A URL that does not parse is an error that does not show it.
	bad := &roomd.HookTarget{AppID: appID, URL: "://h.example/cb?token=s3cret", Commands: allCommands}
	req, err := e.hook.Request(ctx, bad, ev, time.Now())
	if req != nil || roomd.ErrorCode(err) != roomd.EINVALID || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("Request to a bad URL = %v, %v; want nil and EINVALID without the URL", req, err)
	}
}

func TestHookBadPayload(t *testing.T) {
	e := newHookEnv(t)
	tg := &roomd.HookTarget{AppID: appID, URL: hookURL, Commands: allCommands}
	for _, typ := range []roomd.EventType{roomd.EventRoomCreated, roomd.EventRoomUpdated, roomd.EventMemberJoined, roomd.EventMemberLeft, roomd.EventOwnerChanged} {
		ev := &roomd.Event{AppID: appID, RoomID: "r1", Seq: 1, Pos: 1, Type: typ, Actor: admin, Payload: json.RawMessage(`{"user_id":7`), Time: time.Now()}
		req, err := e.hook.Request(context.Background(), tg, ev, time.Now())
		if req != nil || roomd.ErrorCode(err) != roomd.EINTERNAL {
			t.Fatalf("Request(%s with a broken payload) = %v, %v; want nil, %s", typ, req, err, roomd.EINTERNAL)
		}
	}
	// An event type without a callback is skipped whatever its payload.
	ev := &roomd.Event{AppID: appID, RoomID: "r1", Seq: 1, Type: roomd.EventMemberUpdated, Payload: json.RawMessage(`{`)}
	if req, err := e.hook.Request(context.Background(), tg, ev, time.Now()); req != nil || err != nil {
		t.Fatalf("Request(member.updated) = %v, %v; want nil, nil", req, err)
	}
}

func TestHookAccept(t *testing.T) {
	h := tencent.NewHook(nil)
	long := strings.Repeat("é", 400)
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   string // "" when accepted; else a part of the error
	}{
		{"OK", 200, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`, ""},
		{"OKWithInfo", 200, `{"ActionStatus":"OK","ErrorInfo":"anything","ErrorCode":0,"Extra":[1]}`, ""},
		{"OKInfoNotString", 200, `{"ActionStatus":"OK","ErrorInfo":{"a":1},"ErrorCode":0}`, ""},
		{"ErrorInfoNotString", 200, `{"ActionStatus":"FAIL","ErrorInfo":42,"ErrorCode":9}`, `ErrorCode 9: "42"`},
		{"Status", 500, `{"ActionStatus":"OK","ErrorCode":0}`, "status 500"},
		{"Redirect", 302, ``, "status 302"},
		{"Empty", 200, ``, "not JSON"},
		{"HTML", 200, `<html>ok</html>`, "not JSON"},
		{"Array", 200, `[]`, "not the"},
		{"CodeString", 200, `{"ActionStatus":"OK","ErrorCode":"0"}`, "not the"},
		{"ErrorCode", 200, `{"ActionStatus":"FAIL","ErrorInfo":"quota exceeded","ErrorCode":70001}`, `ErrorCode 70001: "quota exceeded"`},
		{"ErrorCodeWithOK", 200, `{"ActionStatus":"OK","ErrorInfo":"x","ErrorCode":1}`, "ErrorCode 1"},
		{"Fail", 200, `{"ActionStatus":"FAIL","ErrorCode":0}`, `ActionStatus "FAIL"`},
		{"NoStatus", 200, `{"ErrorCode":0}`, `ActionStatus ""`},
		{"Null", 200, `null`, `ActionStatus ""`},
		{"LongBody", 503, long, "status 503"},
		{"LongInfo", 200, `{"ActionStatus":"FAIL","ErrorCode":5,"ErrorInfo":"` + long + `"}`, "ErrorCode 5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := h.Accept(tc.status, []byte(tc.body))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Accept = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Accept = %v, want an error with %q", err, tc.want)
			}
			if n := len(err.Error()); n > 300 {
				t.Fatalf("Accept error is %d bytes, want at most 300: %v", n, err)
			}
		})
	}
}

// TestSetCallbackChangeOwner checks that set_callback takes roomd's own
// owner-change command and that the hook's Target lists what it set.
func TestSetCallbackChangeOwner(t *testing.T) {
	e := newEnv(t)
	set := map[string]any{"Url": hookURL, "CallbackCommandList": []string{cmdLeave, cmdOwner}}
	e.ok(t, "set_callback", set, nil)
	var cb struct {
		Url                 string
		CallbackCommandList []string
	}
	e.ok(t, "get_callback", "{}", &cb)
	if cb.Url != hookURL || !reflect.DeepEqual(cb.CallbackCommandList, []string{cmdLeave, cmdOwner}) {
		t.Fatalf("get_callback = %+v", cb)
	}
	tg, err := tencent.NewHook(e.svc).Target(context.Background(), appID)
	if err != nil || tg == nil || !reflect.DeepEqual(tg.Commands, []string{cmdLeave, cmdOwner}) {
		t.Fatalf("Target = %+v, %v", tg, err)
	}
	e.ok(t, "update_callback", map[string]any{"Url": hookURL, "CallbackCommandList": allCommands}, nil)
	e.want(t, 100002, "set_callback", map[string]any{"Url": hookURL, "CallbackCommandList": []string{"Room.CallbackAfterNothing"}})
	e.ok(t, "delete_callback", "{}", nil)
	// Delivery is told of each change that took effect, not of the refused one.
	if got := e.changed.Load(); got != 3 {
		t.Fatalf("CallbackChanged calls: got %d, want 3 (set, update, delete)", got)
	}
}

// TestHookLeaveWithoutReason: a member.left that gives no reason (written
// before reasons were recorded) is a leave of the user's own.
func TestHookLeaveWithoutReason(t *testing.T) {
	e := newHookEnv(t)
	tg := &roomd.HookTarget{AppID: appID, URL: hookURL, Commands: allCommands}
	at := time.UnixMilli(1772366400123)
	ev := &roomd.Event{AppID: appID, RoomID: "gone", Seq: 3, Type: roomd.EventMemberLeft, Actor: "u1", Payload: json.RawMessage(`{"user_id":"u1"}`), Time: at}
	req := e.request(t, tg, ev)
	if req == nil {
		t.Fatal("Request = nil, want a leave callback")
	}
	checkQuery(t, req.URL, cmdLeave)
	checkBody(t, "member.left", req.Body, map[string]any{
		"CallbackCommand": cmdLeave, "Operator_Account": "u1", "RoomId": "gone", "MemberCount": 0,
		"Type": "Leave", "Reason": "", "MemberList_Account": []string{"u1"}, "EventTime": at.UnixMilli(),
	})
}
