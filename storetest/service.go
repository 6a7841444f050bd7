package storetest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/roomd/roomd"
)

// serviceTests check the domain's rules through roomd.Service over the store.
var serviceTests = []test{
	{"CreateRoom", testCreateRoom},
	{"CreateRoomGeneratedID", testCreateRoomGeneratedID},
	{"CreateRoomErrors", testCreateRoomErrors},
	{"TransferOwner", testTransferOwner},
	{"TransferToCurrentOwner", testTransferToCurrentOwner},
	{"TransferErrors", testTransferErrors},
	{"RemoveOwnerSuccession", testRemoveOwnerSuccession},
	{"RemoveLastMemberDismisses", testRemoveLastMember},
	{"UpdateMemberRoles", testUpdateMemberRoles},
	{"UpdateMemberErrors", testUpdateMemberErrors},
	{"BanBlocksUntilExpiry", testBanExpiry},
	{"UnbanLiftsBan", testUnban},
	{"DeleteUsers", testDeleteUsers},
}

func testCreateRoom(t *testing.T, f *fixture) {
	f.register("ann", "bob", "cid")
	r, items, err := f.svc.CreateRoom(f.ctx, user("ann"), roomd.Room{AppID: app, ID: "r1", Owner: "ann"}, []string{"cid", "ann", "bob", "nobody"})
	wantItems(t, "CreateRoom", items, err, map[string]string{"nobody": roomd.ENOUSER})
	if r.Owner != "ann" || r.MemberCount != 3 || r.Seq != 4 {
		t.Fatalf("created room: got Owner %q, MemberCount %d, Seq %d; want ann, 3, 4", r.Owner, r.MemberCount, r.Seq)
	}
	ms := f.members("r1")
	if len(ms) == 0 || ms[0].UserID != "ann" || ms[0].Role != roomd.RoleOwner || ms[0].UserName != "Name of ann" {
		t.Fatalf("first member: got %+v, want ann with RoleOwner and her name", ms)
	}
	wantEqual(t, "roles", f.roles("r1"), map[string]roomd.Role{"ann": roomd.RoleOwner, "bob": roomd.RoleMember, "cid": roomd.RoleMember})
	if got := f.room("r1"); got.Owner != "ann" || got.MemberCount != 3 || got.Seq != 4 {
		t.Fatalf("stored room: got Owner %q, MemberCount %d, Seq %d; want ann, 3, 4", got.Owner, got.MemberCount, got.Seq)
	}
}

func testCreateRoomGeneratedID(t *testing.T, f *fixture) {
	f.register("ann")
	r, _, err := f.svc.CreateRoom(f.ctx, admin, roomd.Room{AppID: app, Owner: "ann"}, nil)
	wantCode(t, "CreateRoom without id", err, "")
	if !strings.HasPrefix(r.ID, "#") || len(r.ID) != 17 {
		t.Fatalf("generated id: got %q, want # and 16 hex digits", r.ID)
	}
	if got := f.room(r.ID); got.Owner != "ann" {
		t.Fatalf("room with generated id: got Owner %q, want ann", got.Owner)
	}
}

func testCreateRoomErrors(t *testing.T, f *fixture) {
	f.register("ann")
	f.createRoom("r1", "ann")
	_, _, err := f.svc.CreateRoom(f.ctx, admin, roomd.Room{AppID: app, ID: "r1", Owner: "ann"}, nil)
	wantCode(t, "CreateRoom of an existing id", err, roomd.EEXISTS)
	_, _, err = f.svc.CreateRoom(f.ctx, admin, roomd.Room{AppID: app, ID: "r2", Owner: "nobody"}, nil)
	wantCode(t, "CreateRoom with an unregistered owner", err, roomd.ENOUSER)
	if _, err := f.txRoom(app, "r2"); roomd.ErrorCode(err) != roomd.ENOROOM {
		t.Fatalf("room of a failed CreateRoom: got %v, want %s", err, roomd.ENOROOM)
	}
}

func testTransferOwner(t *testing.T, f *fixture) {
	f.register("ann", "bob", "cid")
	before := f.createRoom("r1", "ann", "bob", "cid").Seq
	wantCode(t, "TransferOwner", f.svc.TransferOwner(f.ctx, user("cid"), app, "r1", "bob", "ann"), "")
	wantEqual(t, "roles after transfer", f.roles("r1"), map[string]roomd.Role{"ann": roomd.RoleMember, "bob": roomd.RoleOwner, "cid": roomd.RoleMember})
	r := f.room("r1")
	if r.Owner != "bob" || r.Seq != before+1 {
		t.Fatalf("room after transfer: got Owner %q, Seq %d; want bob, %d", r.Owner, r.Seq, before+1)
	}
	evs := f.events("r1")
	last := evs[len(evs)-1]
	var p roomd.OwnerPayload
	if err := json.Unmarshal(last.Payload, &p); err != nil || last.Type != roomd.EventOwnerChanged || last.Actor != "cid" || p != (roomd.OwnerPayload{From: "ann", To: "bob"}) {
		t.Fatalf("transfer event: got %s by %q %s, want %s by cid from ann to bob", last.Type, last.Actor, last.Payload, roomd.EventOwnerChanged)
	}
	wantCode(t, "TransferOwner by an unregistered admin", f.svc.TransferOwner(f.ctx, admin, app, "r1", "cid", ""), "")
	if r := f.room("r1"); r.Owner != "cid" {
		t.Fatalf("owner after admin transfer: got %q, want cid", r.Owner)
	}
}

func testTransferToCurrentOwner(t *testing.T, f *fixture) {
	f.register("ann", "bob")
	before := f.createRoom("r1", "ann", "bob").Seq
	published := len(f.pub.Events())
	wantCode(t, "TransferOwner to the owner", f.svc.TransferOwner(f.ctx, user("ann"), app, "r1", "ann", "bob"), "")
	if r := f.room("r1"); r.Owner != "ann" || r.Seq != before {
		t.Fatalf("room after no-op transfer: got Owner %q, Seq %d; want ann, %d", r.Owner, r.Seq, before)
	}
	if n := len(f.pub.Events()); n != published {
		t.Fatalf("events published by a no-op transfer: got %d, want 0", n-published)
	}
}

func testTransferErrors(t *testing.T, f *fixture) {
	f.register("ann", "bob", "cid")
	f.createRoom("r1", "ann", "bob")
	for _, c := range []struct {
		name             string
		actor            roomd.Actor
		room, next, from string
		want             string
	}{
		{"NotMember", user("ann"), "r1", "cid", "", roomd.ENOTMEMBER},
		{"NoRoom", user("ann"), "r2", "bob", "", roomd.ENOROOM},
		{"OperatorNotRegistered", user("zoe"), "r1", "bob", "", roomd.ENOUSER},
		{"FromNotOwner", user("bob"), "r1", "bob", "bob", roomd.EFORBIDDEN},
		{"NoNewOwner", user("ann"), "r1", "", "", roomd.EINVALID},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantCode(t, "TransferOwner", f.svc.TransferOwner(f.ctx, c.actor, app, c.room, c.next, c.from), c.want)
		})
	}
	if r := f.room("r1"); r.Owner != "ann" {
		t.Fatalf("owner after failed transfers: got %q, want ann", r.Owner)
	}
}

// addAt adds users to room joined at t0 plus the given offsets.
func (f *fixture) addAt(room string, joined map[string]time.Duration) {
	f.t.Helper()
	var adds []roomd.MemberAdd
	for id, d := range joined {
		adds = append(adds, roomd.MemberAdd{UserID: id, JoinedAt: t0.Add(d)})
	}
	items, err := f.svc.AddMembers(f.ctx, admin, app, room, adds)
	wantItems(f.t, "AddMembers", items, err, nil)
}

func testRemoveOwnerSuccession(t *testing.T, f *fixture) {
	f.register("own", "zed", "amy", "bob", "cid")
	f.createRoom("r1", "own")
	f.addAt("r1", map[string]time.Duration{"zed": time.Hour, "amy": time.Hour, "bob": 2 * time.Hour, "cid": 3 * time.Hour})
	items, err := f.svc.RemoveMembers(f.ctx, admin, app, "r1", []string{"own", "nobody"}, "bye")
	wantItems(t, "RemoveMembers", items, err, map[string]string{"nobody": roomd.ENOTMEMBER})
	if r := f.room("r1"); r.Owner != "amy" {
		t.Fatalf("successor: got %q, want amy (earliest join, then smallest id)", r.Owner)
	}
	wantEqual(t, "roles", f.roles("r1"), map[string]roomd.Role{"amy": roomd.RoleOwner, "zed": roomd.RoleMember, "bob": roomd.RoleMember, "cid": roomd.RoleMember})
}

func testRemoveLastMember(t *testing.T, f *fixture) {
	f.register("ann", "bob")
	f.createRoom("r1", "ann", "bob")
	items, err := f.svc.RemoveMembers(f.ctx, user("ann"), app, "r1", []string{"bob", "ann", "bob"}, "")
	wantItems(t, "RemoveMembers", items, err, map[string]string{"bob": roomd.ENOTMEMBER})
	if _, err := f.svc.Room(f.ctx, app, "r1"); roomd.ErrorCode(err) != roomd.ENOROOM {
		t.Fatalf("room after its last member left: got %v, want %s", err, roomd.ENOROOM)
	}
	evs := f.events("r1")
	if last := evs[len(evs)-1]; last.Type != roomd.EventRoomDismissed {
		t.Fatalf("last event: got %s, want %s", last.Type, roomd.EventRoomDismissed)
	}
}

func rolePtr(r roomd.Role) *roomd.Role { return &r }

func testUpdateMemberRoles(t *testing.T, f *fixture) {
	f.register("ann", "bob", "cid")
	f.createRoom("r1", "ann", "bob", "cid")
	for _, c := range []struct {
		actor roomd.Actor
		user  string
		role  roomd.Role
	}{{user("ann"), "bob", roomd.RoleAdmin}, {user("bob"), "cid", roomd.RoleCustomMin}, {user("bob"), "cid", roomd.RoleCustomMax}, {admin, "bob", 150}} {
		err := f.svc.UpdateMember(f.ctx, c.actor, app, "r1", c.user, roomd.MemberUpdate{Role: rolePtr(c.role)})
		wantCode(t, "UpdateMember role "+c.user, err, "")
		if got := f.member("r1", c.user).Role; got != c.role {
			t.Fatalf("role of %s: got %d, want %d", c.user, got, c.role)
		}
	}
	card := "card"
	wantCode(t, "UpdateMember name card", f.svc.UpdateMember(f.ctx, user("cid"), app, "r1", "cid", roomd.MemberUpdate{NameCard: &card}), "")
	if m := f.member("r1", "cid"); m.NameCard != "card" || m.Role != roomd.RoleCustomMax {
		t.Fatalf("member after name card update: got card %q, role %d; want card, %d", m.NameCard, m.Role, roomd.RoleCustomMax)
	}
	evs := f.events("r1")
	if last := evs[len(evs)-1]; last.Type != roomd.EventMemberUpdated || evs[len(evs)-2].Type != roomd.EventRoleChanged {
		t.Fatalf("last events: got %s, %s; want %s, %s", evs[len(evs)-2].Type, last.Type, roomd.EventRoleChanged, roomd.EventMemberUpdated)
	}
}

func testUpdateMemberErrors(t *testing.T, f *fixture) {
	f.register("ann", "bob", "cid")
	f.createRoom("r1", "ann", "bob", "cid")
	for _, c := range []struct {
		name  string
		actor roomd.Actor
		user  string
		role  roomd.Role
		want  string
	}{
		{"GiveOwnerRole", user("ann"), "bob", roomd.RoleOwner, roomd.EOWNERROLE},
		{"ChangeOwnersRole", admin, "ann", roomd.RoleAdmin, roomd.EOWNERROLE},
		{"Self", user("ann"), "ann", roomd.RoleAdmin, roomd.ESELF},
		{"OperatorNotOwnerOrAdmin", user("bob"), "cid", roomd.RoleAdmin, roomd.EFORBIDDEN},
		{"Role4", admin, "bob", 4, roomd.EINVALID},
		{"Role256", admin, "bob", 256, roomd.EINVALID},
		{"Role0", admin, "bob", 0, roomd.EINVALID},
		{"NotMember", admin, "zoe", roomd.RoleAdmin, roomd.ENOTMEMBER},
		{"OperatorNotRegistered", user("zoe"), "bob", roomd.RoleAdmin, roomd.ENOUSER},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantCode(t, "UpdateMember", f.svc.UpdateMember(f.ctx, c.actor, app, "r1", c.user, roomd.MemberUpdate{Role: rolePtr(c.role)}), c.want)
		})
	}
	wantEqual(t, "roles after failed updates", f.roles("r1"), map[string]roomd.Role{"ann": roomd.RoleOwner, "bob": roomd.RoleMember, "cid": roomd.RoleMember})
}

// bannedIDs returns the users banned in room at the fixture's clock.
func (f *fixture) bannedIDs(room string) []string {
	f.t.Helper()
	bans, _, err := f.svc.Bans(f.ctx, app, room, 0, 100)
	wantCode(f.t, "Bans", err, "")
	var ids []string
	for _, b := range bans {
		ids = append(ids, b.UserID)
	}
	return ids
}

func testBanExpiry(t *testing.T, f *fixture) {
	f.register("ann", "bob", "cid")
	f.createRoom("r1", "ann", "bob", "cid")
	items, err := f.svc.BanMembers(f.ctx, admin, app, "r1", []string{"bob", "ann"}, time.Hour, "spam")
	wantItems(t, "BanMembers", items, err, nil)
	wantEqual(t, "members after ban", f.roles("r1"), map[string]roomd.Role{"cid": roomd.RoleOwner})
	wantEqual(t, "bans", f.bannedIDs("r1"), []string{"ann", "bob"})
	items, err = f.svc.AddMembers(f.ctx, admin, app, "r1", []roomd.MemberAdd{{UserID: "bob"}})
	wantItems(t, "AddMembers of a banned user", items, err, map[string]string{"bob": roomd.EBANNED})
	f.clock.Advance(time.Hour)
	wantEqual(t, "bans after expiry", f.bannedIDs("r1"), []string(nil))
	items, err = f.svc.AddMembers(f.ctx, admin, app, "r1", []roomd.MemberAdd{{UserID: "bob"}})
	wantItems(t, "AddMembers after the ban expired", items, err, nil)
	wantEqual(t, "members after re-adding", f.roles("r1"), map[string]roomd.Role{"cid": roomd.RoleOwner, "bob": roomd.RoleMember})
}

func testUnban(t *testing.T, f *fixture) {
	f.register("ann", "bob")
	f.createRoom("r1", "ann", "bob")
	items, err := f.svc.BanMembers(f.ctx, user("ann"), app, "r1", []string{"bob"}, 0, "")
	wantItems(t, "BanMembers", items, err, nil)
	f.clock.Advance(1000 * time.Hour)
	items, err = f.svc.AddMembers(f.ctx, admin, app, "r1", []roomd.MemberAdd{{UserID: "bob"}})
	wantItems(t, "AddMembers of a permanently banned user", items, err, map[string]string{"bob": roomd.EBANNED})
	wantCode(t, "UnbanMembers", f.svc.UnbanMembers(f.ctx, user("ann"), app, "r1", []string{"bob", "nobody"}), "")
	items, err = f.svc.AddMembers(f.ctx, admin, app, "r1", []roomd.MemberAdd{{UserID: "bob"}})
	wantItems(t, "AddMembers after unban", items, err, nil)
	evs := f.events("r1")
	if n := len(evs); evs[n-2].Type != roomd.EventMemberUnbanned || evs[n-1].Type != roomd.EventMemberJoined {
		t.Fatalf("last events: got %s, %s; want %s, %s", evs[n-2].Type, evs[n-1].Type, roomd.EventMemberUnbanned, roomd.EventMemberJoined)
	}
}

func testDeleteUsers(t *testing.T, f *fixture) {
	f.register("ann", "bob", "cid")
	f.createRoom("owned", "ann", "bob")
	f.createRoom("joined", "cid", "ann")
	f.createRoom("alone", "ann")
	items, err := f.svc.DeleteUsers(f.ctx, admin, app, []string{"ann", "nobody"})
	wantItems(t, "DeleteUsers", items, err, map[string]string{"nobody": roomd.ENOUSER})
	if f.hasUser("ann") {
		t.Fatalf("deleted user: got registered, want absent")
	}
	wantEqual(t, "members of owned", f.roles("owned"), map[string]roomd.Role{"bob": roomd.RoleOwner})
	wantEqual(t, "members of joined", f.roles("joined"), map[string]roomd.Role{"cid": roomd.RoleOwner})
	if _, err := f.svc.Room(f.ctx, app, "alone"); roomd.ErrorCode(err) != roomd.ENOROOM {
		t.Fatalf("room whose only member was deleted: got %v, want %s", err, roomd.ENOROOM)
	}
	if r := f.room("owned"); r.Owner != "bob" {
		t.Fatalf("owner of owned: got %q, want bob", r.Owner)
	}
}
