package storetest

import (
	"testing"
	"time"

	"github.com/roomd/roomd"
)

// muteTests check mutes, the rooms' verification settings, room attributes
// and name cards: the Tx methods' contracts in store.go and the Service's
// rules (mute.go, joinmode.go, groupdata.go), with their events.
var muteTests = []test{
	{"RoomMuteRoundTrip", testRoomMuteRoundTrip},
	{"MemberMuteRoundTrip", testMemberMuteRoundTrip},
	{"MutedRooms", testMutedRooms},
	{"MutesGoWithRoomAndMember", testMutesGo},
	{"ModesRoundTrip", testModesRoundTrip},
	{"MuteRoom", testMuteRoom},
	{"MuteRoomExpiry", testMuteRoomExpiry},
	{"MuteRights", testMuteRights},
	{"MuteMembers", testMuteMembers},
	{"LiftMutes", testLiftMutes},
	{"EnterRoomJoinMode", testEnterRoomJoinMode},
	{"UpdateRoomModes", testUpdateRoomModes},
	{"RoomAttributes", testRoomAttributes},
	{"SetNameCards", testSetNameCards},
}

// logAfter returns "type payload" of each event of room after seq.
func (f *fixture) logAfter(room string, seq int64) []string {
	f.t.Helper()
	var out []string
	for _, e := range f.events(room) {
		if e.Seq > seq {
			out = append(out, string(e.Type)+" "+string(e.Payload))
		}
	}
	return out
}

func testRoomMuteRoundTrip(t *testing.T, f *fixture) {
	f.insertRoom(fullRoom("r1", "ann"))
	get := func(appID uint32) *roomd.RoomMute {
		return read(f, func(tx roomd.Tx) (*roomd.RoomMute, error) { return tx.RoomMute(f.ctx, appID, "r1") })
	}
	if m := get(app); m != nil {
		t.Fatalf("RoomMute of an unmuted room: got %+v, want nil", m)
	}
	want := &roomd.RoomMute{AppID: app, RoomID: "r1", Roles: []roomd.Role{roomd.RoleMember, 100}, Until: t0.Add(time.Hour)}
	f.update(func(tx roomd.Tx) error { return tx.PutRoomMute(f.ctx, want) })
	wantEqual(t, "RoomMute", get(app), want)
	if m := get(otherApp); m != nil {
		t.Fatalf("RoomMute of another app: got %+v, want nil", m)
	}
	replaced := &roomd.RoomMute{AppID: app, RoomID: "r1", All: true, Roles: []roomd.Role{}}
	f.update(func(tx roomd.Tx) error { return tx.PutRoomMute(f.ctx, replaced) })
	wantEqual(t, "replaced RoomMute", get(app), replaced)
	if m := get(app); !m.Until.IsZero() || !m.Active(t0.Add(1000*time.Hour)) {
		t.Fatalf("permanent RoomMute: got Until %v, want zero and always active", m.Until)
	}
	f.update(func(tx roomd.Tx) error { return tx.DeleteRoomMute(f.ctx, app, "r1") })
	f.update(func(tx roomd.Tx) error { return tx.DeleteRoomMute(f.ctx, app, "r1") })
	if m := get(app); m != nil {
		t.Fatalf("RoomMute after DeleteRoomMute: got %+v, want nil", m)
	}
}

func testMemberMuteRoundTrip(t *testing.T, f *fixture) {
	f.insertRoom(fullRoom("r1", "ann"))
	get := func(user string) *roomd.MemberMute {
		return read(f, func(tx roomd.Tx) (*roomd.MemberMute, error) { return tx.MemberMute(f.ctx, app, "r1", user) })
	}
	list := func(now time.Time, offset, limit int) ([]string, int) {
		var ids []string
		var n int
		f.view(func(tx roomd.Tx) error {
			ms, total, err := tx.MemberMutes(f.ctx, app, "r1", now, offset, limit)
			for _, m := range ms {
				ids = append(ids, m.UserID)
			}
			n = total
			return err
		})
		return ids, n
	}
	mutes := []*roomd.MemberMute{
		{AppID: app, RoomID: "r1", UserID: "cid", Until: t0.Add(time.Minute)},
		{AppID: app, RoomID: "r1", UserID: "ann"},
		{AppID: app, RoomID: "r1", UserID: "bob", Until: t0.Add(time.Hour)},
	}
	f.update(func(tx roomd.Tx) error {
		for _, m := range mutes {
			if err := tx.PutMemberMute(f.ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
	wantEqual(t, "MemberMute(bob)", get("bob"), mutes[2])
	if m := get("dan"); m != nil {
		t.Fatalf("MemberMute of an unmuted user: got %+v, want nil", m)
	}
	ids, n := list(t0, 0, -1)
	wantEqual(t, "MemberMutes at t0", []any{ids, n}, []any{[]string{"ann", "bob", "cid"}, 3})
	ids, n = list(t0.Add(time.Minute), 0, -1)
	wantEqual(t, "MemberMutes once cid's expired", []any{ids, n}, []any{[]string{"ann", "bob"}, 2})
	ids, n = list(t0, 1, 1)
	wantEqual(t, "MemberMutes page", []any{ids, n}, []any{[]string{"bob"}, 3})
	if m := get("cid"); m == nil || m.Active(t0.Add(time.Minute)) || !m.Active(t0) {
		t.Fatalf("expired MemberMute: got %+v, want it returned, active before its Until only", m)
	}
	f.update(func(tx roomd.Tx) error {
		return tx.PutMemberMute(f.ctx, &roomd.MemberMute{AppID: app, RoomID: "r1", UserID: "cid", Until: t0.Add(2 * time.Hour)})
	})
	ids, _ = list(t0.Add(time.Minute), 0, -1)
	wantEqual(t, "MemberMutes after cid's was replaced", ids, []string{"ann", "bob", "cid"})
	f.update(func(tx roomd.Tx) error { return tx.DeleteMemberMute(f.ctx, app, "r1", "ann") })
	f.update(func(tx roomd.Tx) error { return tx.DeleteMemberMute(f.ctx, app, "r1", "ann") })
	ids, _ = list(t0, 0, -1)
	wantEqual(t, "MemberMutes after DeleteMemberMute", ids, []string{"bob", "cid"})
}

func testMutedRooms(t *testing.T, f *fixture) {
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		f.insertRoom(fullRoom(id, "ann"))
	}
	f.update(func(tx roomd.Tx) error {
		for _, m := range []*roomd.RoomMute{
			{AppID: app, RoomID: "a", All: true},
			{AppID: app, RoomID: "b", Roles: []roomd.Role{roomd.RoleMember}, Until: t0.Add(time.Hour)},
			{AppID: app, RoomID: "c", Roles: []roomd.Role{roomd.RoleAdmin}, Until: t0.Add(time.Minute)},
			{AppID: app, RoomID: "e"}, // mutes nobody
			{AppID: otherApp, RoomID: "z", All: true},
		} {
			if err := tx.PutRoomMute(f.ctx, m); err != nil {
				return err
			}
		}
		for _, m := range []*roomd.MemberMute{
			{AppID: app, RoomID: "a", UserID: "bob"},
			{AppID: app, RoomID: "a", UserID: "cid"},
			{AppID: app, RoomID: "d", UserID: "bob", Until: t0.Add(time.Hour)},
			{AppID: app, RoomID: "e", UserID: "bob", Until: t0.Add(time.Second)},
		} {
			if err := tx.PutMemberMute(f.ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
	muted := func(now time.Time, offset, limit int) []roomd.MutedRoom {
		return read(f, func(tx roomd.Tx) ([]roomd.MutedRoom, error) { return tx.MutedRooms(f.ctx, app, now, offset, limit) })
	}
	wantEqual(t, "MutedRooms at t0", muted(t0, 0, 100), []roomd.MutedRoom{
		{RoomID: "a", All: true, Members: true}, {RoomID: "b", Roles: true}, {RoomID: "c", Roles: true},
		{RoomID: "d", Members: true}, {RoomID: "e", Members: true},
	})
	wantEqual(t, "MutedRooms page", muted(t0, 1, 2), []roomd.MutedRoom{{RoomID: "b", Roles: true}, {RoomID: "c", Roles: true}})
	wantEqual(t, "MutedRooms after a minute", muted(t0.Add(time.Minute), 0, 100), []roomd.MutedRoom{
		{RoomID: "a", All: true, Members: true}, {RoomID: "b", Roles: true}, {RoomID: "d", Members: true},
	})
	wantEqual(t, "MutedRooms after an hour", muted(t0.Add(time.Hour), 0, 100), []roomd.MutedRoom{{RoomID: "a", All: true, Members: true}})
}

func testMutesGo(t *testing.T, f *fixture) {
	f.insertRoom(fullRoom("r1", "ann"))
	f.update(func(tx roomd.Tx) error {
		for _, u := range []string{"bob", "cid"} {
			if err := f.putMember(tx, &roomd.Member{AppID: app, RoomID: "r1", UserID: u, Role: roomd.RoleMember, JoinedAt: t0}); err != nil {
				return err
			}
			if err := tx.PutMemberMute(f.ctx, &roomd.MemberMute{AppID: app, RoomID: "r1", UserID: u}); err != nil {
				return err
			}
		}
		return tx.PutRoomMute(f.ctx, &roomd.RoomMute{AppID: app, RoomID: "r1", All: true})
	})
	f.update(func(tx roomd.Tx) error { return tx.DeleteMember(f.ctx, app, "r1", "bob") })
	if m := read(f, func(tx roomd.Tx) (*roomd.MemberMute, error) { return tx.MemberMute(f.ctx, app, "r1", "bob") }); m != nil {
		t.Fatalf("mute of a member who left: got %+v, want nil", m)
	}
	if m := read(f, func(tx roomd.Tx) (*roomd.MemberMute, error) { return tx.MemberMute(f.ctx, app, "r1", "cid") }); m == nil {
		t.Fatalf("mute of a member who stayed: got nil")
	}
	f.update(func(tx roomd.Tx) error { return tx.DeleteRoom(f.ctx, app, "r1") })
	f.insertRoom(fullRoom("r1", "ann")) // the same id again: nothing of the old room's mutes
	if m := read(f, func(tx roomd.Tx) (*roomd.RoomMute, error) { return tx.RoomMute(f.ctx, app, "r1") }); m != nil {
		t.Fatalf("room mute of a re-created room: got %+v, want nil", m)
	}
	if m := read(f, func(tx roomd.Tx) (*roomd.MemberMute, error) { return tx.MemberMute(f.ctx, app, "r1", "cid") }); m != nil {
		t.Fatalf("member mute of a re-created room: got %+v, want nil", m)
	}
	if rs := read(f, func(tx roomd.Tx) ([]roomd.MutedRoom, error) { return tx.MutedRooms(f.ctx, app, t0, 0, 10) }); len(rs) != 0 {
		t.Fatalf("MutedRooms after dismissal: got %+v, want none", rs)
	}
}

func testModesRoundTrip(t *testing.T, f *fixture) {
	want := fullRoom("r1", "ann")
	want.JoinMode, want.InviteMode, want.BeInvitedMode = roomd.JoinApproval, roomd.InviteAdmins, roomd.BeInvitedConsent
	f.insertRoom(want)
	got, err := f.txRoom(app, "r1")
	wantCode(t, "Room", err, "")
	want.Seq = 0
	wantEqual(t, "Room with modes", got, want)
	got.JoinMode, got.InviteMode, got.BeInvitedMode = roomd.JoinInvite, roomd.InviteAnyMember, roomd.BeInvitedDirectly
	f.update(func(tx roomd.Tx) error { return tx.UpdateRoom(f.ctx, got) })
	again, _ := f.txRoom(app, "r1")
	wantEqual(t, "Room after UpdateRoom of modes", again, got)
	// In the writer's transaction too (a cached room).
	f.update(func(tx roomd.Tx) error {
		r, err := tx.Room(f.ctx, app, "r1")
		if err == nil && r.JoinMode != roomd.JoinInvite {
			t.Errorf("JoinMode in Update: got %d, want %d", r.JoinMode, roomd.JoinInvite)
		}
		return err
	})
	// A re-created room starts from what it is created with.
	f.update(func(tx roomd.Tx) error { return tx.DeleteRoom(f.ctx, app, "r1") })
	f.insertRoom(fullRoom("r1", "bob"))
	if r, _ := f.txRoom(app, "r1"); r.JoinMode != roomd.JoinAnyone || r.InviteMode != 0 || r.BeInvitedMode != 0 {
		t.Fatalf("re-created room: got modes %d %d %d, want 0 0 0", r.JoinMode, r.InviteMode, r.BeInvitedMode)
	}
}

func testMuteRoom(t *testing.T, f *fixture) {
	f.register("ann", "bob")
	seq := f.createRoom("r1", "ann", "bob").Seq
	wantCode(t, "MuteRoom of roles", f.svc.MuteRoom(f.ctx, user("ann"), app, "r1", false, []roomd.Role{100, roomd.RoleMember, 100}, time.Hour), "")
	m, err := f.svc.RoomMute(f.ctx, app, "r1")
	wantCode(t, "RoomMute", err, "")
	wantEqual(t, "room mute", m, &roomd.RoomMute{AppID: app, RoomID: "r1", Roles: []roomd.Role{roomd.RoleMember, 100}, Until: t0.Add(time.Hour)})
	// all: the roles are dropped; permanent.
	wantCode(t, "MuteRoom of all", f.svc.MuteRoom(f.ctx, user("ann"), app, "r1", true, []roomd.Role{roomd.RoleAdmin}, roomd.MuteForever), "")
	m, _ = f.svc.RoomMute(f.ctx, app, "r1")
	wantEqual(t, "room mute of all", m, &roomd.RoomMute{AppID: app, RoomID: "r1", All: true, Roles: []roomd.Role{}})
	// A new role list replaces the mute of all.
	wantCode(t, "MuteRoom of admins", f.svc.MuteRoom(f.ctx, user("ann"), app, "r1", false, []roomd.Role{roomd.RoleAdmin}, 10*time.Second), "")
	m, _ = f.svc.RoomMute(f.ctx, app, "r1")
	wantEqual(t, "room mute of admins", m, &roomd.RoomMute{AppID: app, RoomID: "r1", Roles: []roomd.Role{roomd.RoleAdmin}, Until: t0.Add(10 * time.Second)})
	wantCode(t, "MuteRoom lift", f.svc.MuteRoom(f.ctx, user("ann"), app, "r1", true, nil, 0), "")
	wantCode(t, "MuteRoom lift again", f.svc.MuteRoom(f.ctx, user("ann"), app, "r1", false, nil, 0), "")
	if m, _ := f.svc.RoomMute(f.ctx, app, "r1"); m != nil {
		t.Fatalf("room mute after lift: got %+v, want nil", m)
	}
	// A mute of no role is a lift too (nothing in force: no event).
	wantCode(t, "MuteRoom of no role", f.svc.MuteRoom(f.ctx, user("ann"), app, "r1", false, nil, time.Hour), "")
	wantEqual(t, "events", f.logAfter("r1", seq), []string{
		`room.muted {"all":false,"roles":[3,100],"until":"2026-01-02T04:04:05.123456789Z"}`,
		`room.muted {"all":true,"roles":[]}`,
		`room.muted {"all":false,"roles":[2],"until":"2026-01-02T03:04:15.123456789Z"}`,
		`room.unmuted {}`,
	})
	for _, c := range []struct {
		name  string
		roles []roomd.Role
		d     time.Duration
	}{{"role 0", []roomd.Role{0}, time.Hour}, {"role 4", []roomd.Role{4}, time.Hour}, {"role 256", []roomd.Role{256}, time.Hour}, {"duration -2", nil, -2}} {
		wantCode(t, "MuteRoom with "+c.name, f.svc.MuteRoom(f.ctx, user("ann"), app, "r1", false, c.roles, c.d), roomd.EINVALID)
	}
	wantCode(t, "MuteRoom of an absent room", f.svc.MuteRoom(f.ctx, user("ann"), app, "nope", true, nil, time.Hour), roomd.ENOROOM)
	wantCode(t, "MuteRoom by an unregistered user", f.svc.MuteRoom(f.ctx, user("nobody"), app, "r1", true, nil, time.Hour), roomd.ENOUSER)
	_, err = f.svc.RoomMute(f.ctx, app, "nope")
	wantCode(t, "RoomMute of an absent room", err, roomd.ENOROOM)
}

func testMuteRoomExpiry(t *testing.T, f *fixture) {
	f.register("ann", "bob")
	f.createRoom("r1", "ann", "bob")
	wantCode(t, "MuteRoom", f.svc.MuteRoom(f.ctx, admin, app, "r1", true, nil, time.Minute), "")
	items, err := f.svc.MuteMembers(f.ctx, admin, app, "r1", []string{"bob"}, 2*time.Minute)
	wantItems(t, "MuteMembers", items, err, nil)
	f.clock.Advance(59 * time.Second)
	if m, _ := f.svc.RoomMute(f.ctx, app, "r1"); m == nil {
		t.Fatalf("room mute before its end: got nil")
	}
	// A repeated mute counts its time again from now.
	wantCode(t, "MuteRoom again", f.svc.MuteRoom(f.ctx, admin, app, "r1", true, nil, time.Minute), "")
	f.clock.Advance(59 * time.Second)
	if m, _ := f.svc.RoomMute(f.ctx, app, "r1"); m == nil {
		t.Fatalf("room mute renewed: got nil before its new end")
	}
	rooms, err := f.svc.MutedRooms(f.ctx, admin, app, 0, 10)
	wantCode(t, "MutedRooms", err, "")
	wantEqual(t, "MutedRooms", rooms, []roomd.MutedRoom{{RoomID: "r1", All: true, Members: true}})
	f.clock.Advance(2 * time.Second) // 2 min after the first mutes: both over, no sweep ran
	if m, _ := f.svc.RoomMute(f.ctx, app, "r1"); m != nil {
		t.Fatalf("room mute after its end: got %+v, want nil", m)
	}
	mutes, n, err := f.svc.MemberMutes(f.ctx, app, "r1", 0, 10)
	if err != nil || n != 0 || len(mutes) != 0 {
		t.Fatalf("MemberMutes after the end: got %v, %d, %v; want none", mutes, n, err)
	}
	rooms, _ = f.svc.MutedRooms(f.ctx, admin, app, 0, 10)
	wantEqual(t, "MutedRooms after the end", rooms, []roomd.MutedRoom(nil))
	// Lifting an expired mute tells no one.
	seq := f.room("r1").Seq
	wantCode(t, "LiftMutes", f.svc.LiftMutes(f.ctx, admin, app, "r1"), "")
	wantEqual(t, "events of lifting expired mutes", f.logAfter("r1", seq), []string(nil))
	_, err = f.svc.MutedRooms(f.ctx, user("nobody"), app, 0, 10)
	wantCode(t, "MutedRooms by an unregistered user", err, roomd.ENOUSER)
	_, err = f.svc.MutedRooms(f.ctx, admin, app, -1, 10)
	wantCode(t, "MutedRooms at a negative offset", err, roomd.EINVALID)
}

func testMuteRights(t *testing.T, f *fixture) {
	f.register("own", "adm", "mem", "cus", "out")
	f.createRoom("r1", "own", "adm", "mem", "cus")
	admRole, cusRole := roomd.RoleAdmin, roomd.Role(150)
	wantCode(t, "make adm admin", f.svc.UpdateMember(f.ctx, admin, app, "r1", "adm", roomd.MemberUpdate{Role: &admRole}), "")
	wantCode(t, "give cus a custom role", f.svc.UpdateMember(f.ctx, admin, app, "r1", "cus", roomd.MemberUpdate{Role: &cusRole}), "")
	owner := []roomd.Role{roomd.RoleOwner}
	wantCode(t, "a member mutes", f.svc.MuteRoom(f.ctx, user("mem"), app, "r1", true, nil, time.Hour), roomd.EFORBIDDEN)
	wantCode(t, "a custom role mutes", f.svc.MuteRoom(f.ctx, user("cus"), app, "r1", false, []roomd.Role{3}, time.Hour), roomd.EFORBIDDEN)
	wantCode(t, "a member lifts", f.svc.LiftMutes(f.ctx, user("mem"), app, "r1"), roomd.EFORBIDDEN)
	wantCode(t, "an admin mutes the owner role", f.svc.MuteRoom(f.ctx, user("adm"), app, "r1", false, owner, time.Hour), roomd.EFORBIDDEN)
	wantCode(t, "an admin mutes all", f.svc.MuteRoom(f.ctx, user("adm"), app, "r1", true, owner, time.Hour), "")
	wantCode(t, "an admin mutes admins", f.svc.MuteRoom(f.ctx, user("adm"), app, "r1", false, []roomd.Role{2, 3}, time.Hour), "")
	wantCode(t, "the owner mutes the owner role", f.svc.MuteRoom(f.ctx, user("own"), app, "r1", false, owner, time.Hour), "")
	wantCode(t, "a non-member mutes the owner role", f.svc.MuteRoom(f.ctx, user("out"), app, "r1", false, owner, time.Hour), "")
	wantCode(t, "an administrator mutes the owner role", f.svc.MuteRoom(f.ctx, admin, app, "r1", false, owner, time.Hour), "")
	wantCode(t, "an admin lifts every mute", f.svc.LiftMutes(f.ctx, user("adm"), app, "r1"), "")
	_, err := f.svc.MuteMembers(f.ctx, user("mem"), app, "r1", []string{"cus"}, time.Hour)
	wantCode(t, "a member mutes a member", err, roomd.EFORBIDDEN)
	items, err := f.svc.MuteMembers(f.ctx, user("adm"), app, "r1", []string{"own", "adm", "mem", "cus"}, time.Hour)
	wantItems(t, "an admin mutes", items, err, map[string]string{"own": roomd.EFORBIDDEN, "adm": roomd.EFORBIDDEN})
	items, err = f.svc.MuteMembers(f.ctx, user("own"), app, "r1", []string{"own", "adm"}, time.Hour)
	wantItems(t, "the owner mutes", items, err, nil)
	items, err = f.svc.MuteMembers(f.ctx, user("adm"), app, "r1", []string{"own", "mem"}, 0)
	wantItems(t, "an admin unmutes", items, err, map[string]string{"own": roomd.EFORBIDDEN})
	items, err = f.svc.MuteMembers(f.ctx, user("out"), app, "r1", []string{"own"}, 0)
	wantItems(t, "a non-member unmutes the owner", items, err, nil)
	mutes, _, _ := f.svc.MemberMutes(f.ctx, app, "r1", 0, 10)
	var ids []string
	for _, m := range mutes {
		ids = append(ids, m.UserID)
	}
	wantEqual(t, "muted members", ids, []string{"adm", "cus"})
}

func testMuteMembers(t *testing.T, f *fixture) {
	f.register("ann", "bob", "cid", "out")
	seq := f.createRoom("r1", "ann", "bob", "cid").Seq
	items, err := f.svc.MuteMembers(f.ctx, user("ann"), app, "r1", []string{"bob", "out", "nobody", "bob", "c\x00", "cid"}, roomd.MuteForever)
	wantItems(t, "MuteMembers", items, err, map[string]string{"out": roomd.ENOTMEMBER, "nobody": roomd.ENOUSER, "c\x00": roomd.EINVALID})
	items, err = f.svc.MuteMembers(f.ctx, user("ann"), app, "r1", []string{"cid"}, 90*time.Second)
	wantItems(t, "MuteMembers again", items, err, nil)
	items, err = f.svc.MuteMembers(f.ctx, user("ann"), app, "r1", []string{"bob", "ann"}, 0)
	wantItems(t, "unmute", items, err, nil)
	wantEqual(t, "events", f.logAfter("r1", seq), []string{
		`member.muted {"user_id":"bob"}`,
		`member.muted {"user_id":"cid"}`,
		`member.muted {"user_id":"cid","until":"2026-01-02T03:05:35.123456789Z"}`,
		`member.unmuted {"user_id":"bob"}`,
	})
	mutes, n, err := f.svc.MemberMutes(f.ctx, app, "r1", 0, 10)
	wantCode(t, "MemberMutes", err, "")
	wantEqual(t, "MemberMutes", []any{mutes, n}, []any{[]*roomd.MemberMute{{AppID: app, RoomID: "r1", UserID: "cid", Until: t0.Add(90 * time.Second)}}, 1})
	// A member who leaves takes their mute along; coming back, they are not muted.
	_, err = f.svc.LeaveRoom(f.ctx, app, "r1", "cid")
	wantCode(t, "LeaveRoom", err, "")
	_, err = f.svc.EnterRoom(f.ctx, app, "r1", "cid")
	wantCode(t, "EnterRoom", err, "")
	if _, n, _ := f.svc.MemberMutes(f.ctx, app, "r1", 0, 10); n != 0 {
		t.Fatalf("mutes after cid left and came back: got %d, want 0", n)
	}
	_, err = f.svc.MuteMembers(f.ctx, user("ann"), app, "r1", []string{"bob"}, -5)
	wantCode(t, "MuteMembers with a negative duration", err, roomd.EINVALID)
	_, err = f.svc.MuteMembers(f.ctx, user("ann"), app, "r1", make([]string, roomd.MaxBatch+1), time.Hour)
	wantCode(t, "MuteMembers of too many", err, roomd.ELIMIT)
	_, err = f.svc.MuteMembers(f.ctx, user("ann"), app, "nope", []string{"bob"}, time.Hour)
	wantCode(t, "MuteMembers in an absent room", err, roomd.ENOROOM)
	_, err = f.svc.MuteMembers(f.ctx, user("nobody"), app, "r1", []string{"bob"}, time.Hour)
	wantCode(t, "MuteMembers by an unregistered user", err, roomd.ENOUSER)
}

func testLiftMutes(t *testing.T, f *fixture) {
	f.register("ann", "bob", "cid")
	f.createRoom("r1", "ann", "bob", "cid")
	wantCode(t, "MuteRoom", f.svc.MuteRoom(f.ctx, admin, app, "r1", false, []roomd.Role{3}, time.Hour), "")
	items, err := f.svc.MuteMembers(f.ctx, admin, app, "r1", []string{"cid", "bob"}, time.Hour)
	wantItems(t, "MuteMembers", items, err, nil)
	items, err = f.svc.MuteMembers(f.ctx, admin, app, "r1", []string{"ann"}, time.Second)
	wantItems(t, "MuteMembers ann", items, err, nil)
	f.clock.Advance(time.Second) // ann's is over
	seq := f.room("r1").Seq
	wantCode(t, "LiftMutes", f.svc.LiftMutes(f.ctx, user("ann"), app, "r1"), "")
	wantEqual(t, "events", f.logAfter("r1", seq), []string{`room.unmuted {}`, `member.unmuted {"user_id":"bob"}`, `member.unmuted {"user_id":"cid"}`})
	if m, _ := f.svc.RoomMute(f.ctx, app, "r1"); m != nil {
		t.Fatalf("room mute after LiftMutes: got %+v", m)
	}
	if rooms, _ := f.svc.MutedRooms(f.ctx, admin, app, 0, 10); len(rooms) != 0 {
		t.Fatalf("MutedRooms after LiftMutes: got %+v", rooms)
	}
	wantCode(t, "LiftMutes of an absent room", f.svc.LiftMutes(f.ctx, admin, app, "nope"), roomd.ENOROOM)
}

func testEnterRoomJoinMode(t *testing.T, f *fixture) {
	f.register("ann", "bob", "cid")
	f.createRoom("r1", "ann", "bob")
	for _, mode := range []roomd.JoinMode{roomd.JoinApproval, roomd.JoinInvite} {
		wantCode(t, "UpdateRoom", f.svc.UpdateRoom(f.ctx, admin, app, "r1", roomd.RoomUpdate{JoinMode: &mode}), "")
		_, err := f.svc.EnterRoom(f.ctx, app, "r1", "cid")
		wantCode(t, "EnterRoom of a non-member", err, roomd.EFORBIDDEN)
		seq, err := f.svc.EnterRoom(f.ctx, app, "r1", "bob")
		wantCode(t, "EnterRoom of a member", err, "")
		if want := f.room("r1").Seq; seq != want {
			t.Fatalf("EnterRoom of a member: got seq %d, want %d", seq, want)
		}
	}
	// The app's server still adds members.
	items, err := f.svc.AddMembers(f.ctx, admin, app, "r1", []roomd.MemberAdd{{UserID: "cid"}})
	wantItems(t, "AddMembers", items, err, nil)
	mode := roomd.JoinAnyone
	wantCode(t, "UpdateRoom", f.svc.UpdateRoom(f.ctx, admin, app, "r1", roomd.RoomUpdate{JoinMode: &mode}), "")
	_, err = f.svc.LeaveRoom(f.ctx, app, "r1", "cid")
	wantCode(t, "LeaveRoom", err, "")
	seq, err := f.svc.EnterRoom(f.ctx, app, "r1", "cid")
	wantCode(t, "EnterRoom with JoinAnyone", err, "")
	if r := f.room("r1"); seq != r.Seq || r.MemberCount != 3 {
		t.Fatalf("after EnterRoom: got seq %d, room %+v", seq, r)
	}
}

func testUpdateRoomModes(t *testing.T, f *fixture) {
	f.register("ann")
	seq := f.createRoom("r1", "ann").Seq
	j, i, b := roomd.JoinInvite, roomd.InviteAdmins, roomd.BeInvitedConsent
	wantCode(t, "UpdateRoom", f.svc.UpdateRoom(f.ctx, user("ann"), app, "r1", roomd.RoomUpdate{JoinMode: &j, InviteMode: &i, BeInvitedMode: &b}), "")
	r := f.room("r1")
	if r.JoinMode != j || r.InviteMode != i || r.BeInvitedMode != b {
		t.Fatalf("modes: got %d %d %d, want 2 1 1", r.JoinMode, r.InviteMode, r.BeInvitedMode)
	}
	evs := f.logAfter("r1", seq)
	wantEqual(t, "events", evs, []string{`room.updated {"name":"room r1","owner":"ann","created_at":"2026-01-02T03:04:05.123456789Z","join_mode":2,"invite_mode":1,"be_invited_mode":1}`})
	bad := []roomd.RoomUpdate{
		{JoinMode: new(roomd.JoinMode(3))}, {JoinMode: new(roomd.JoinMode(-1))},
		{InviteMode: new(roomd.InviteMode(2))}, {BeInvitedMode: new(roomd.BeInvitedMode(2))},
	}
	for _, u := range bad {
		wantCode(t, "UpdateRoom with a bad mode", f.svc.UpdateRoom(f.ctx, user("ann"), app, "r1", u), roomd.EINVALID)
	}
}

func testRoomAttributes(t *testing.T, f *fixture) {
	f.register("ann")
	r, _, err := f.svc.CreateRoom(f.ctx, admin, roomd.Room{AppID: app, ID: "r1", Owner: "ann", Attributes: []roomd.Attribute{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}}}, nil)
	wantCode(t, "CreateRoom", err, "")
	seq := r.Seq
	wantCode(t, "SetRoomAttributes", f.svc.SetRoomAttributes(f.ctx, user("ann"), app, "r1", []roomd.Attribute{{Key: "c", Value: "3"}, {Key: "a", Value: "one"}}), "")
	wantEqual(t, "attributes", f.room("r1").Attributes, []roomd.Attribute{{Key: "a", Value: "one"}, {Key: "b", Value: "2"}, {Key: "c", Value: "3"}})
	deleted, items, err := f.svc.DeleteRoomAttributes(f.ctx, user("ann"), app, "r1", []string{"b", "zz"})
	wantItems(t, "DeleteRoomAttributes", items, err, map[string]string{"zz": roomd.EINVALID})
	wantEqual(t, "deleted", deleted, []roomd.Attribute{{Key: "b", Value: "2"}})
	wantEqual(t, "attributes after delete", f.room("r1").Attributes, []roomd.Attribute{{Key: "a", Value: "one"}, {Key: "c", Value: "3"}})
	deleted, items, err = f.svc.DeleteRoomAttributes(f.ctx, user("ann"), app, "r1", []string{"zz"})
	wantItems(t, "DeleteRoomAttributes of nothing", items, err, map[string]string{"zz": roomd.EINVALID})
	if len(deleted) != 0 {
		t.Fatalf("deleted: got %v, want none", deleted)
	}
	wantEqual(t, "events", f.logAfter("r1", seq), []string{
		`room.updated {"owner":"ann","attributes":[{"key":"a","value":"one"},{"key":"b","value":"2"},{"key":"c","value":"3"}],"created_at":"2026-01-02T03:04:05.123456789Z"}`,
		`room.updated {"owner":"ann","attributes":[{"key":"a","value":"one"},{"key":"c","value":"3"}],"created_at":"2026-01-02T03:04:05.123456789Z"}`,
	})
	many := make([]roomd.Attribute, roomd.MaxAttributes-1)
	for i := range many {
		many[i] = roomd.Attribute{Key: string(rune('A' + i))}
	}
	wantCode(t, "SetRoomAttributes over the limit", f.svc.SetRoomAttributes(f.ctx, user("ann"), app, "r1", many), roomd.ELIMIT)
	wantCode(t, "SetRoomAttributes up to the limit", f.svc.SetRoomAttributes(f.ctx, user("ann"), app, "r1", many[:roomd.MaxAttributes-2]), "")
	for name, attrs := range map[string][]roomd.Attribute{
		"none": nil, "empty key": {{Key: ""}}, "repeated key": {{Key: "x"}, {Key: "x"}}, "control key": {{Key: "x\n"}},
		"NUL value": {{Key: "x", Value: "\x00"}}, "long value": {{Key: "x", Value: string(make([]byte, roomd.MaxTextLen+1))}},
	} {
		wantCode(t, "SetRoomAttributes with "+name, f.svc.SetRoomAttributes(f.ctx, user("ann"), app, "r1", attrs), roomd.EINVALID)
	}
	_, _, err = f.svc.DeleteRoomAttributes(f.ctx, user("ann"), app, "r1", nil)
	wantCode(t, "DeleteRoomAttributes of no key", err, roomd.EINVALID)
	wantCode(t, "SetRoomAttributes of an absent room", f.svc.SetRoomAttributes(f.ctx, user("ann"), app, "nope", []roomd.Attribute{{Key: "x"}}), roomd.ENOROOM)
	wantCode(t, "SetRoomAttributes by an unregistered user", f.svc.SetRoomAttributes(f.ctx, user("nobody"), app, "r1", []roomd.Attribute{{Key: "x"}}), roomd.ENOUSER)
}

func testSetNameCards(t *testing.T, f *fixture) {
	f.register("ann", "bob", "out")
	seq := f.createRoom("r1", "ann", "bob").Seq
	items, err := f.svc.SetNameCards(f.ctx, user("out"), app, "r1", []roomd.NameCard{{UserID: "bob", NameCard: "Bobby"}, {UserID: "out", NameCard: "x"}, {UserID: "ann", NameCard: ""}})
	wantItems(t, "SetNameCards", items, err, map[string]string{"out": roomd.ENOTMEMBER})
	cards := map[string]string{}
	for _, m := range f.members("r1") {
		cards[m.UserID] = m.NameCard
	}
	wantEqual(t, "name cards", cards, map[string]string{"ann": "", "bob": "Bobby"})
	wantEqual(t, "events", f.logAfter("r1", seq), []string{`member.updated {"user_id":"bob","role":3}`, `member.updated {"user_id":"ann","role":1}`})
	_, err = f.svc.SetNameCards(f.ctx, user("ann"), app, "r1", []roomd.NameCard{{UserID: "bob", NameCard: "a\nb"}})
	wantCode(t, "SetNameCards with a control character", err, roomd.EINVALID)
	_, err = f.svc.SetNameCards(f.ctx, user("ann"), app, "r1", []roomd.NameCard{{UserID: "bob", NameCard: string(make([]byte, roomd.MaxNameLen+1))}})
	wantCode(t, "SetNameCards with a long card", err, roomd.EINVALID)
	_, err = f.svc.SetNameCards(f.ctx, user("ann"), app, "r1", make([]roomd.NameCard, roomd.MaxBatch+1))
	wantCode(t, "SetNameCards of too many", err, roomd.ELIMIT)
	_, err = f.svc.SetNameCards(f.ctx, user("nobody"), app, "r1", []roomd.NameCard{{UserID: "bob"}})
	wantCode(t, "SetNameCards by an unregistered user", err, roomd.ENOUSER)
	_, err = f.svc.SetNameCards(f.ctx, user("ann"), app, "nope", []roomd.NameCard{{UserID: "bob"}})
	wantCode(t, "SetNameCards in an absent room", err, roomd.ENOROOM)
}
