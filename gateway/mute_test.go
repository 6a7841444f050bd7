package gateway_test

import (
	"strings"
	"testing"
	"time"

	"github.com/roomd/roomd"
)

// TestEnterRoomJoinMode: enter_room admits anyone only under JoinMode 0;
// under 1 (approval) and 2 (invitation only) a non-member is refused with
// 40301, while a member entering again is answered as before.
func TestEnterRoomJoinMode(t *testing.T) {
	e := MustStartGateway(t)
	e.MustRegister(t, "ann", "bob", "cid")
	e.MustRoom(t, "r1", "ann", "bob") // 1-3
	for _, mode := range []roomd.JoinMode{roomd.JoinApproval, roomd.JoinInvite} {
		if err := e.Svc.UpdateRoom(ctx, admin, appID, "r1", roomd.RoomUpdate{JoinMode: &mode}); err != nil {
			t.Fatal(err)
		}
		c, _ := e.MustDial(t, "cid", nil)
		if r := c.Op("enter_room", map[string]any{"room": "r1"}); r.Code != 40301 || !strings.Contains(r.Message, "app's server") {
			t.Fatalf("JoinMode %d, cid enters: got code %d (%s), want 40301 saying who may add members", mode, r.Code, r.Message)
		}
		b, _ := e.MustDial(t, "bob", nil)
		if r := b.Op("enter_room", map[string]any{"room": "r1"}); r.Code != 0 {
			t.Fatalf("JoinMode %d, member bob enters: got code %d (%s), want 0", mode, r.Code, r.Message)
		}
	}
	open := roomd.JoinAnyone
	if err := e.Svc.UpdateRoom(ctx, admin, appID, "r1", roomd.RoomUpdate{JoinMode: &open}); err != nil { // 6
		t.Fatal(err)
	}
	c, _ := e.MustDial(t, "cid", nil)
	if r := c.Op("enter_room", map[string]any{"room": "r1"}); r.Code != 0 || string(r.Data) != `{"room":"r1","seq":7}` {
		t.Fatalf("JoinMode 0, cid enters: got code %d data %s, want r1 at 7", r.Code, r.Data)
	}
}

// TestMuteEvents: mutes reach the members as events.
func TestMuteEvents(t *testing.T) {
	e := MustStartGateway(t)
	e.MustRegister(t, "ann", "bob")
	e.MustRoom(t, "r1", "ann", "bob") // 1-3
	c, _ := e.MustDial(t, "bob", nil)
	if err := e.Svc.MuteRoom(ctx, roomd.Actor{ID: "ann"}, appID, "r1", true, nil, roomd.MuteForever); err != nil { // 4
		t.Fatal(err)
	}
	if _, err := e.Svc.MuteMembers(ctx, roomd.Actor{ID: "ann"}, appID, "r1", []string{"bob"}, time.Minute); err != nil { // 5
		t.Fatal(err)
	}
	if err := e.Svc.LiftMutes(ctx, admin, appID, "r1"); err != nil { // 6, 7
		t.Fatal(err)
	}
	evs := c.WaitEvents(4)
	var got []string
	for _, f := range evs {
		got = append(got, f.Event+" "+f.Actor)
	}
	if want := "room.muted ann,member.muted ann,room.unmuted administrator,member.unmuted administrator"; strings.Join(got, ",") != want {
		t.Fatalf("events: got %v, want %s", got, want)
	}
	if string(evs[0].Data) != `{"all":true,"roles":[]}` || string(evs[3].Data) != `{"user_id":"bob"}` {
		t.Fatalf("payloads: got %s and %s", evs[0].Data, evs[3].Data)
	}
}
