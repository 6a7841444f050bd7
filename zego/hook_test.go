package zego_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/zego"
)

const (
	hookURL    = "https://backend.example/zim/callback"
	hookSecret = "callback-secret"
)

// hookNow is when the tests' callbacks are made.
var hookNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// hookAdmin is the actor of the room engine's (Tencent) server API calls.
var hookAdmin = roomd.Actor{ID: "administrator", Admin: true}

// MustHook returns a Hook over s's service with appOpen configured, and
// appOpen's target.
func MustHook(tb testing.TB, s *Server) (*zego.Hook, *roomd.HookTarget) {
	tb.Helper()
	h := zego.NewHook(s.Svc, map[uint32]zego.HookConfig{appOpen: {URL: hookURL, Secret: hookSecret}})
	tgt, err := h.Target(context.Background(), appOpen)
	if err != nil || tgt == nil {
		tb.Fatalf("Target(%d) = %+v, %v; want a target", appOpen, tgt, err)
	}
	return h, tgt
}

// AppEvents returns all of app's events.
func AppEvents(tb testing.TB, svc *roomd.Service, app uint32) []roomd.Event {
	tb.Helper()
	evs, err := svc.AppEvents(context.Background(), app, 0, roomd.MaxAppEvents)
	if err != nil {
		tb.Fatalf("AppEvents: %v", err)
	}
	return evs
}

// Callback makes ev's callback to tgt at hookNow and returns its body, with
// the common fields appid, timestamp, nonce, signature and group_id checked
// and left out, as JSON with sorted keys; "" when ev has no callback. The
// signature must verify over the body's own timestamp and nonce.
func Callback(tb testing.TB, h *zego.Hook, tgt *roomd.HookTarget, ev *roomd.Event) string {
	tb.Helper()
	req, err := h.Request(context.Background(), tgt, ev, hookNow)
	if err != nil {
		tb.Fatalf("Request(%s %d): %v", ev.Type, ev.Seq, err)
	}
	if req == nil {
		return ""
	}
	if req.URL != tgt.URL {
		tb.Fatalf("Request(%s %d).URL = %q, want %q", ev.Type, ev.Seq, req.URL, tgt.URL)
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(req.Body, &body); err != nil {
		tb.Fatalf("Request(%s %d) body %s: %v", ev.Type, ev.Seq, req.Body, err)
	}
	var nonce, sig string
	_ = json.Unmarshal(body["nonce"], &nonce)
	_ = json.Unmarshal(body["signature"], &sig)
	ts := strconv.FormatInt(hookNow.Unix(), 10)
	wantGroup, _ := json.Marshal(ev.RoomID)
	switch {
	case string(body["appid"]) != `"`+strconv.FormatUint(uint64(ev.AppID), 10)+`"`:
		tb.Fatalf("body %s: appid is not the app id as a string", req.Body)
	case string(body["timestamp"]) != ts:
		tb.Fatalf("body %s: timestamp is not the number %s", req.Body, ts)
	case string(body["group_id"]) != string(wantGroup):
		tb.Fatalf("body %s: group_id is not %s", req.Body, wantGroup)
	case len(nonce) != 16 || strings.Trim(nonce, "0123456789abcdef") != "":
		tb.Fatalf("body %s: nonce is not 16 hex chars", req.Body)
	case sig != zego.CallbackSignature(tgt.Secret, ts, nonce):
		tb.Fatalf("body %s: signature does not verify", req.Body)
	}
	for _, k := range []string{"appid", "timestamp", "nonce", "signature", "group_id"} {
		delete(body, k)
	}
	out, err := json.Marshal(body)
	if err != nil {
		tb.Fatal(err)
	}
	return Canon(tb, string(out))
}

// Canon returns the JSON text j compact, with its object keys sorted.
func Canon(tb testing.TB, j string) string {
	tb.Helper()
	if j == "" {
		return ""
	}
	var v any
	if err := json.Unmarshal([]byte(j), &v); err != nil {
		tb.Fatalf("%s: %v", j, err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(out)
}

// wantCallback is an event of the log and its callback body as Callback
// returns it ("": none).
type wantCallback struct {
	typ  roomd.EventType
	body string
}

// WantCallbacks fails the test unless app's log is want, event by event.
func WantCallbacks(tb testing.TB, h *zego.Hook, tgt *roomd.HookTarget, svc *roomd.Service, app uint32, want []wantCallback) {
	tb.Helper()
	evs := AppEvents(tb, svc, app)
	for i, ev := range evs {
		got := Callback(tb, h, tgt, &ev)
		if i >= len(want) {
			tb.Errorf("event %d: unexpected %s (callback %s)", i, ev.Type, got)
			continue
		}
		if w := Canon(tb, want[i].body); ev.Type != want[i].typ || got != w {
			tb.Errorf("event %d: %s of %s by %s: callback\n got %s\nwant %s: %s", i, ev.Type, ev.RoomID, ev.Actor, got, want[i].typ, w)
		}
	}
	if len(evs) < len(want) {
		tb.Errorf("%d events, want %d", len(evs), len(want))
	}
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// noItems returns a check that fails the test unless a call that reports
// item errors ended without error and without any: noItems(t)(svc.Call(...)).
func noItems(tb testing.TB) func([]roomd.ItemError, error) {
	return func(items []roomd.ItemError, err error) {
		tb.Helper()
		if err != nil || len(items) > 0 {
			tb.Fatalf("items %+v, error %v", items, err)
		}
	}
}

func TestCallbackSignature(t *testing.T) {
	const want = "5bd59fd62953a8059fb7eaba95720f66d19e4517"
	if got := zego.CallbackSignature("secret", "1470820198", "123412"); got != want {
		t.Fatalf("CallbackSignature = %q, want %q", got, want)
	}
	// The parts are sorted before they are joined: their order does not count.
	if got := zego.CallbackSignature("123412", "secret", "1470820198"); got != want {
		t.Fatalf("CallbackSignature with the parts swapped = %q, want %q", got, want)
	}
}

// TestHookRequest drives a group through the ZEGO API and the Service and
// checks every event's callback.
func TestHookRequest(t *testing.T) {
	ctx := context.Background()
	s := MustOpenServer(t)
	h, tgt := MustHook(t, s)
	s.Register(t, appOpen, "u1", "u2", "u3", "u4", "u5", "u6")
	s.MustCall(t, appOpen, "CreateGroup", map[string]any{
		"GroupId": "g1", "GroupOwner": "u1", "GroupName": "Team", "UserId": []string{"u2", "u3"},
		"Attributes": []map[string]string{{"Key": "k1", "Value": "v1"}, {"Key": "k2", "Value": "v2"}},
	})
	s.MustCall(t, appOpen, "InviteUsersIntoGroup", map[string]any{"FromUserId": "u2", "GroupId": "g1", "UserIds": []string{"u4"}})
	_, err := s.Svc.EnterRoom(ctx, appOpen, "g1", "u5")
	must(t, err)
	_, err = s.Svc.LeaveRoom(ctx, appOpen, "g1", "u5")
	must(t, err)
	s.MustCall(t, appOpen, "KickoutGroupUser", map[string]any{"FromUserId": "u1", "GroupId": "g1", "UserId": []string{"u4"}})
	// Removing oneself is leaving, whatever the call.
	noItems(t)(s.Svc.RemoveMembers(ctx, roomd.Actor{ID: "u3"}, appOpen, "g1", []string{"u3"}, ""))
	s.MustCall(t, appOpen, "SetGroupMemberRole", map[string]any{"FromUserId": "u1", "GroupId": "g1", "ToUserId": "u2", "Role": 2})
	card := "Deputy"
	must(t, s.Svc.UpdateMember(ctx, roomd.Actor{ID: "u1"}, appOpen, "g1", "u2", roomd.MemberUpdate{NameCard: &card}))
	name := "Team 2"
	must(t, s.Svc.UpdateRoom(ctx, roomd.Actor{ID: "u1"}, appOpen, "g1", roomd.RoomUpdate{Name: &name}))
	_, err = s.Svc.EnterRoom(ctx, appOpen, "g1", "u6")
	must(t, err)
	noItems(t)(s.Svc.BanMembers(ctx, roomd.Actor{ID: "u1"}, appOpen, "g1", []string{"u6"}, time.Hour, "spam"))
	must(t, s.Svc.UnbanMembers(ctx, roomd.Actor{ID: "u1"}, appOpen, "g1", []string{"u6"}))
	s.MustCall(t, appOpen, "TransferGroupOwner", map[string]any{"FromUserId": "u1", "GroupId": "g1", "NewOwner": "u2"})
	s.MustCall(t, appOpen, "DismissGroup", map[string]any{"FromUserId": "u1", "GroupId": "g1"})

	WantCallbacks(t, h, tgt, s.Svc, appOpen, []wantCallback{
		{roomd.EventRoomCreated, `{"event":"group_create","operator_account":"u1","owner_account":"u1","group_name":"Team",
			"attributes":[{"key":"k1","value":"v1"},{"key":"k2","value":"v2"}],"user_ids":["u1","u2","u3"]}`},
		{roomd.EventMemberJoined, ""}, // u1, u2 and u3 are in group_create
		{roomd.EventMemberJoined, ""},
		{roomd.EventMemberJoined, ""},
		{roomd.EventMemberJoined, `{"event":"group_join","operator_account":"u2","join_type":"Invited","new_user_ids":["u4"]}`},
		{roomd.EventMemberJoined, `{"event":"group_join","operator_account":"u5","join_type":"Apply","new_user_ids":["u5"]}`},
		{roomd.EventMemberLeft, `{"event":"group_exit","operator_account":"u5","exit_type":"Quit","exit_user_ids":["u5"]}`},
		{roomd.EventMemberLeft, `{"event":"group_exit","operator_account":"u1","exit_type":"Kickout","exit_user_ids":["u4"]}`},
		{roomd.EventMemberLeft, `{"event":"group_exit","operator_account":"u3","exit_type":"Quit","exit_user_ids":["u3"]}`},
		{roomd.EventRoleChanged, ""},
		{roomd.EventMemberUpdated, ""},
		{roomd.EventRoomUpdated, ""},
		{roomd.EventMemberJoined, `{"event":"group_join","operator_account":"u6","join_type":"Apply","new_user_ids":["u6"]}`},
		{roomd.EventMemberBanned, ""},
		{roomd.EventMemberLeft, `{"event":"group_exit","operator_account":"u1","exit_type":"Kickout","exit_user_ids":["u6"]}`},
		{roomd.EventMemberUnbanned, ""},
		{roomd.EventOwnerChanged, `{"event":"group_owner_transfer","operator_account":"u1","old_owner":"u1","new_owner":"u2"}`},
		// The members right before the dismissal, in id order.
		{roomd.EventRoomDismissed, `{"event":"group_destroy","operator_account":"u1","owner_account":"u2","user_ids":["u1","u2"]}`},
	})
}

// TestHookLastMemberLeaves: a group without attributes lists none, and the
// group_destroy that follows its last member's leaving lists nobody.
func TestHookLastMemberLeaves(t *testing.T) {
	ctx := context.Background()
	s := MustOpenServer(t)
	h, tgt := MustHook(t, s)
	s.Group(t, appOpen, "g1", "solo")
	_, err := s.Svc.LeaveRoom(ctx, appOpen, "g1", "solo")
	must(t, err)
	WantCallbacks(t, h, tgt, s.Svc, appOpen, []wantCallback{
		{roomd.EventRoomCreated, `{"event":"group_create","operator_account":"solo","owner_account":"solo","group_name":"","attributes":[],"user_ids":["solo"]}`},
		{roomd.EventMemberJoined, ""},
		{roomd.EventMemberLeft, `{"event":"group_exit","operator_account":"solo","exit_type":"Quit","exit_user_ids":["solo"]}`},
		{roomd.EventRoomDismissed, `{"event":"group_destroy","operator_account":"solo","owner_account":"solo","user_ids":[]}`},
	})
}

// TestHookTencentPath: rooms changed through the room engine's calls (an
// admin actor) have ZEGO callbacks too.
func TestHookTencentPath(t *testing.T) {
	ctx := context.Background()
	s := MustOpenServer(t)
	h, tgt := MustHook(t, s)
	noItems(t)(s.Svc.RegisterUsers(ctx, appOpen, []roomd.User{{AppID: appOpen, ID: "t1"}, {AppID: appOpen, ID: "t2"}, {AppID: appOpen, ID: "t3"}, {AppID: appOpen, ID: "t4"}}, false))
	_, items, err := s.Svc.CreateRoom(ctx, hookAdmin, roomd.Room{AppID: appOpen, ID: "live1", Name: "Live", Owner: "t1"}, []string{"t2", "t4"})
	noItems(t)(items, err)
	noItems(t)(s.Svc.AddMembers(ctx, hookAdmin, appOpen, "live1", []roomd.MemberAdd{{UserID: "t3"}}))
	noItems(t)(s.Svc.RemoveMembers(ctx, hookAdmin, appOpen, "live1", []string{"t3"}, ""))
	noItems(t)(s.Svc.DeleteUsers(ctx, hookAdmin, appOpen, []string{"t4"}))
	must(t, s.Svc.DismissRoom(ctx, hookAdmin, appOpen, "live1"))
	WantCallbacks(t, h, tgt, s.Svc, appOpen, []wantCallback{
		{roomd.EventRoomCreated, `{"event":"group_create","operator_account":"administrator","owner_account":"t1","group_name":"Live","attributes":[],"user_ids":["t1","t2","t4"]}`},
		{roomd.EventMemberJoined, ""},
		{roomd.EventMemberJoined, ""},
		{roomd.EventMemberJoined, ""},
		{roomd.EventMemberJoined, `{"event":"group_join","operator_account":"administrator","join_type":"Invited","new_user_ids":["t3"]}`},
		{roomd.EventMemberLeft, `{"event":"group_exit","operator_account":"administrator","exit_type":"Kickout","exit_user_ids":["t3"]}`},
		{roomd.EventMemberLeft, `{"event":"group_exit","operator_account":"administrator","exit_type":"Kickout","exit_user_ids":["t4"]}`},
		{roomd.EventRoomDismissed, `{"event":"group_destroy","operator_account":"administrator","owner_account":"t1","user_ids":["t1","t2"]}`},
	})
}

// TestHookNonce: every Request of an event is signed afresh.
func TestHookNonce(t *testing.T) {
	s := MustOpenServer(t)
	h, tgt := MustHook(t, s)
	s.Group(t, appOpen, "g1", "own")
	ev := AppEvents(t, s.Svc, appOpen)[0]
	nonces := map[string]bool{}
	for range 2 {
		req, err := h.Request(context.Background(), tgt, &ev, hookNow)
		if err != nil || req == nil {
			t.Fatalf("Request = %v, %v; want a callback", req, err)
		}
		var body struct{ Nonce, Signature string }
		must(t, json.Unmarshal(req.Body, &body))
		if body.Signature != zego.CallbackSignature(hookSecret, strconv.FormatInt(hookNow.Unix(), 10), body.Nonce) {
			t.Fatalf("body %s: signature does not verify", req.Body)
		}
		nonces[body.Nonce] = true
	}
	if len(nonces) != 2 {
		t.Fatalf("two Requests of one event had the same nonce %v", nonces)
	}
}

// TestHookBadPayload: an event whose payload does not decode is an internal error.
func TestHookBadPayload(t *testing.T) {
	s := MustOpenServer(t)
	h, tgt := MustHook(t, s)
	s.Group(t, appOpen, "g1", "own", "m")
	_, err := s.Svc.LeaveRoom(context.Background(), appOpen, "g1", "m")
	must(t, err)
	for _, ev := range AppEvents(t, s.Svc, appOpen) {
		ev.Payload = json.RawMessage(`["not a payload"]`)
		req, err := h.Request(context.Background(), tgt, &ev, hookNow)
		if req != nil || roomd.ErrorCode(err) != roomd.EINTERNAL {
			t.Errorf("Request(%s with a bad payload) = %v, %v; want EINTERNAL", ev.Type, req, err)
		}
	}
}

func TestHookTargets(t *testing.T) {
	ctx := context.Background()
	s := MustOpenServer(t)
	targets := map[uint32]zego.HookConfig{appOpen: {URL: hookURL, Secret: hookSecret}, appLimited: {Secret: "no url"}}
	h := zego.NewHook(s.Svc, targets)
	if got := h.Style(); got != roomd.HookZEGO {
		t.Fatalf("Style = %q, want %q", got, roomd.HookZEGO)
	}
	wantTarget := func(app uint32, want *roomd.HookTarget) {
		t.Helper()
		got, err := h.Target(ctx, app)
		if err != nil {
			t.Fatalf("Target(%d): %v", app, err)
		}
		if (got == nil) != (want == nil) || got != nil && (got.AppID != want.AppID || got.URL != want.URL || got.Secret != want.Secret || got.Commands != nil) {
			t.Fatalf("Target(%d) = %+v, want %+v", app, got, want)
		}
	}
	wantTarget(appOpen, &roomd.HookTarget{AppID: appOpen, URL: hookURL, Secret: hookSecret})
	wantTarget(appLimited, nil)  // no URL
	wantTarget(appNoSecret, nil) // not configured
	targets[appNoSecret] = zego.HookConfig{URL: "https://other.example/", Secret: "s"}
	wantTarget(appNoSecret, nil) // the Hook keeps a copy

	h.SetTargets(targets)
	wantTarget(appNoSecret, &roomd.HookTarget{AppID: appNoSecret, URL: "https://other.example/", Secret: "s"})
	h.SetTargets(map[uint32]zego.HookConfig{appLimited: {URL: hookURL + "?v=2", Secret: "new"}})
	wantTarget(appOpen, nil)
	wantTarget(appLimited, &roomd.HookTarget{AppID: appLimited, URL: hookURL + "?v=2", Secret: "new"})
	h.SetTargets(nil)
	wantTarget(appLimited, nil)

	// A reload runs while callbacks are made.
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 200 {
				if i == 0 {
					h.SetTargets(map[uint32]zego.HookConfig{appOpen: {URL: hookURL + "?" + strconv.Itoa(j), Secret: hookSecret}})
				} else if _, err := h.Target(ctx, appOpen); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	wantTarget(appOpen, &roomd.HookTarget{AppID: appOpen, URL: hookURL + "?199", Secret: hookSecret})
}

func TestHookAccept(t *testing.T) {
	h := zego.NewHook(nil, nil)
	for _, status := range []int{200, 201, 204, 299} {
		if err := h.Accept(status, []byte(`{"code":1}`)); err != nil {
			t.Errorf("Accept(%d) = %v, want nil", status, err)
		}
	}
	for _, status := range []int{0, 199, 301, 400, 404, 500, 503} {
		if err := h.Accept(status, nil); err == nil || err.Error() != "status "+strconv.Itoa(status) {
			t.Errorf("Accept(%d) = %v, want \"status %d\"", status, err, status)
		}
	}
}
