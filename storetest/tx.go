package storetest

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/roomd/roomd"
)

// txTests check each Tx method against its contract in store.go.
var txTests = []test{
	{"PutMemberUnregistered", testPutMemberUnregistered},
	{"UserRoundTrip", testUserRoundTrip},
	{"UserAbsent", testUserAbsent},
	{"DeleteUser", testDeleteUser},
	{"RoomRoundTrip", testRoomRoundTrip},
	{"RoomAbsent", testRoomAbsent},
	{"InsertRoomExists", testInsertRoomExists},
	{"UpdateRoom", testUpdateRoom},
	{"DeleteRoom", testDeleteRoom},
	{"InsertRoomRevives", testInsertRoomRevives},
	{"Rooms", testRooms},
	{"RoomsOfUser", testRoomsOfUser},
	{"SetOwner", testSetOwner},
	{"SetOwnerAfterOldLeft", testSetOwnerAfterOldLeft},
	{"SetOwnerNotMember", testSetOwnerNotMember},
	{"MemberRoundTrip", testMemberRoundTrip},
	{"MemberAbsent", testMemberAbsent},
	{"RoomMembers", testRoomMembers},
	{"Members", testMembers},
	{"DeleteMember", testDeleteMember},
	{"Successor", testSuccessor},
	{"BanRoundTrip", testBanRoundTrip},
	{"Bans", testBans},
	{"AppendEvents", testAppendEvents},
	{"AppendEventsDuplicate", testAppendEventsDuplicate},
	{"Callback", testCallback},
}

func testUserRoundTrip(t *testing.T, f *fixture) {
	want := &roomd.User{AppID: app, ID: "ann", Name: "Ann", Avatar: "https://a/ann.png", Extra: `{"x":1}`, CreatedAt: t0}
	f.update(func(tx roomd.Tx) error { return tx.PutUser(f.ctx, want) })
	got := mustUser(t, f, app, "ann")
	wantEqual(t, "User", got, want)
	if !got.CreatedAt.Equal(t0) {
		t.Fatalf("CreatedAt: got %v, want %v", got.CreatedAt, t0)
	}
	replaced := &roomd.User{AppID: app, ID: "ann", Name: "Annie"}
	f.update(func(tx roomd.Tx) error { return tx.PutUser(f.ctx, replaced) })
	got = mustUser(t, f, app, "ann")
	wantEqual(t, "replaced User", got, replaced)
	if !got.CreatedAt.IsZero() {
		t.Fatalf("zero CreatedAt: got %v, want the zero time", got.CreatedAt)
	}
}

func mustUser(t *testing.T, f *fixture, appID uint32, id string) *roomd.User {
	t.Helper()
	return read(f, func(tx roomd.Tx) (*roomd.User, error) { return tx.User(f.ctx, appID, id) })
}

// txErr runs fn in a View and returns its error.
func (f *fixture) txErr(fn func(tx roomd.Tx) error) error {
	return f.store.View(f.ctx, fn)
}

func testUserAbsent(t *testing.T, f *fixture) {
	f.update(func(tx roomd.Tx) error { return tx.PutUser(f.ctx, &roomd.User{AppID: app, ID: "ann"}) })
	for _, c := range []struct {
		app uint32
		id  string
	}{{app, "bob"}, {otherApp, "ann"}} {
		err := f.txErr(func(tx roomd.Tx) error { _, err := tx.User(f.ctx, c.app, c.id); return err })
		wantCode(t, "User("+c.id+")", err, roomd.ENOUSER)
	}
}

func testDeleteUser(t *testing.T, f *fixture) {
	f.update(func(tx roomd.Tx) error { return tx.PutUser(f.ctx, &roomd.User{AppID: app, ID: "ann"}) })
	f.update(func(tx roomd.Tx) error { return tx.DeleteUser(f.ctx, app, "ann") })
	err := f.txErr(func(tx roomd.Tx) error { _, err := tx.User(f.ctx, app, "ann"); return err })
	wantCode(t, "User after DeleteUser", err, roomd.ENOUSER)
	f.update(func(tx roomd.Tx) error { return tx.DeleteUser(f.ctx, app, "ann") }) // absent: not an error
}

// fullRoom returns a room with every stored field set.
func fullRoom(id, owner string) *roomd.Room {
	return &roomd.Room{
		AppID: app, ID: id, Name: "Room " + id, Notice: "notice", Avatar: "https://a/r.png", Type: "Public",
		CustomInfo: "info", MaxMembers: 50, Owner: owner, CreatedAt: t0,
		Attributes: []roomd.Attribute{{Key: "k1", Value: "v1"}, {Key: "k2", Value: ""}},
		Props:      map[string]string{"IsMessageDisabled": "true", "empty": ""},
	}
}

// insertRoom inserts r with its owner as the RoleOwner member and returns the Seq InsertRoom set.
func (f *fixture) insertRoom(r *roomd.Room) int64 {
	f.t.Helper()
	f.update(func(tx roomd.Tx) error {
		if err := tx.InsertRoom(f.ctx, r); err != nil {
			return err
		}
		return f.putMember(tx, &roomd.Member{AppID: r.AppID, RoomID: r.ID, UserID: r.Owner, Role: roomd.RoleOwner, JoinedAt: r.CreatedAt})
	})
	return r.Seq
}

// putMember registers m's user unless they are (a membership needs a
// registered user: PutMember returns ENOUSER otherwise), then puts m.
func (f *fixture) putMember(tx roomd.Tx, m *roomd.Member) error {
	if _, err := tx.User(f.ctx, m.AppID, m.UserID); roomd.ErrorCode(err) == roomd.ENOUSER {
		if err := tx.PutUser(f.ctx, &roomd.User{AppID: m.AppID, ID: m.UserID}); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	return tx.PutMember(f.ctx, m)
}

// txRoom reads a room in a View and returns it with the error.
func (f *fixture) txRoom(appID uint32, id string) (*roomd.Room, error) {
	var r *roomd.Room
	err := f.txErr(func(tx roomd.Tx) error {
		var err error
		r, err = tx.Room(f.ctx, appID, id)
		return err
	})
	return r, err
}

func testRoomRoundTrip(t *testing.T, f *fixture) {
	want := fullRoom("r1", "ann")
	if seq := f.insertRoom(want); seq != 0 {
		t.Fatalf("InsertRoom of a new id: got Seq %d, want 0", seq)
	}
	got, err := f.txRoom(app, "r1")
	wantCode(t, "Room", err, "")
	wantEqual(t, "Room", got, want)
	if !got.CreatedAt.Equal(t0) {
		t.Fatalf("CreatedAt: got %v, want %v", got.CreatedAt, t0)
	}
	bare := &roomd.Room{AppID: app, ID: "r2", Owner: "ann"}
	f.insertRoom(bare)
	got, err = f.txRoom(app, "r2")
	wantCode(t, "Room", err, "")
	if !got.CreatedAt.IsZero() || len(got.Attributes) != 0 || len(got.Props) != 0 {
		t.Fatalf("bare room: got CreatedAt %v, Attributes %v, Props %v; want zero, none, none", got.CreatedAt, got.Attributes, got.Props)
	}
}

func testRoomAbsent(t *testing.T, f *fixture) {
	f.insertRoom(fullRoom("r1", "ann"))
	for _, c := range []struct {
		app uint32
		id  string
	}{{app, "r2"}, {otherApp, "r1"}} {
		_, err := f.txRoom(c.app, c.id)
		wantCode(t, "Room("+c.id+")", err, roomd.ENOROOM)
	}
}

func testInsertRoomExists(t *testing.T, f *fixture) {
	f.insertRoom(fullRoom("r1", "ann"))
	err := f.store.Update(f.ctx, func(tx roomd.Tx) error { return tx.InsertRoom(f.ctx, fullRoom("r1", "bob")) })
	wantCode(t, "InsertRoom of a live id", err, roomd.EEXISTS)
	got, _ := f.txRoom(app, "r1")
	if got.Owner != "ann" {
		t.Fatalf("Owner after failed InsertRoom: got %q, want %q", got.Owner, "ann")
	}
}

func testUpdateRoom(t *testing.T, f *fixture) {
	f.insertRoom(fullRoom("r1", "ann"))
	f.update(func(tx roomd.Tx) error {
		return tx.AppendEvents(f.ctx, []roomd.Event{{AppID: app, RoomID: "r1", Seq: 1, Type: roomd.EventRoomCreated, Time: t0}})
	})
	u := &roomd.Room{AppID: app, ID: "r1", Name: "new", Notice: "n2", Avatar: "av2", Type: "Meeting", CustomInfo: "c2", MaxMembers: 7,
		Attributes: []roomd.Attribute{{Key: "a", Value: "b"}}, Props: map[string]string{"p": "q"},
		Owner: "mallory", Seq: 99, CreatedAt: t0.Add(time.Hour), MemberCount: 5}
	f.update(func(tx roomd.Tx) error { return tx.UpdateRoom(f.ctx, u) })
	got, _ := f.txRoom(app, "r1")
	want := *u
	want.Owner, want.Seq, want.CreatedAt, want.MemberCount = "ann", 1, t0, 0
	wantEqual(t, "Room after UpdateRoom", got, &want)
	err := f.store.Update(f.ctx, func(tx roomd.Tx) error { return tx.UpdateRoom(f.ctx, fullRoom("r2", "ann")) })
	wantCode(t, "UpdateRoom of an absent room", err, roomd.ENOROOM)
	f.update(func(tx roomd.Tx) error { return tx.DeleteRoom(f.ctx, app, "r1") })
	err = f.store.Update(f.ctx, func(tx roomd.Tx) error { return tx.UpdateRoom(f.ctx, u) })
	wantCode(t, "UpdateRoom of a dismissed room", err, roomd.ENOROOM)
}

// populate makes room r1 (owner ann, member bob, ban on eve, three events)
// and room r2 (owner bob).
func (f *fixture) populate() {
	f.t.Helper()
	f.insertRoom(fullRoom("r1", "ann"))
	f.insertRoom(fullRoom("r2", "bob"))
	f.update(func(tx roomd.Tx) error {
		if err := f.putMember(tx, &roomd.Member{AppID: app, RoomID: "r1", UserID: "bob", Role: roomd.RoleMember, JoinedAt: t0}); err != nil {
			return err
		}
		if err := tx.PutBan(f.ctx, &roomd.Ban{AppID: app, RoomID: "r1", UserID: "eve", CreatedAt: t0}); err != nil {
			return err
		}
		return tx.AppendEvents(f.ctx, seqEvents("r1", 1, 3))
	})
}

// seqEvents returns events of room with seqs from..to.
func seqEvents(room string, from, to int64) []roomd.Event {
	var evs []roomd.Event
	for s := from; s <= to; s++ {
		evs = append(evs, roomd.Event{AppID: app, RoomID: room, Seq: s, Type: roomd.EventMemberJoined, Actor: "ann",
			Payload: json.RawMessage(`{"user_id":"u` + string(rune('0'+s%10)) + `"}`), Time: t0.Add(time.Duration(s))})
	}
	return evs
}

func testDeleteRoom(t *testing.T, f *fixture) {
	f.populate()
	f.update(func(tx roomd.Tx) error { return tx.DeleteRoom(f.ctx, app, "r1") })
	_, err := f.txRoom(app, "r1")
	wantCode(t, "Room after DeleteRoom", err, roomd.ENOROOM)
	f.view(func(tx roomd.Tx) error {
		n, err := tx.MemberCount(f.ctx, app, "r1")
		if err != nil || n != 0 {
			t.Fatalf("MemberCount after DeleteRoom: got %d, %v; want 0", n, err)
		}
		if _, err := tx.Member(f.ctx, app, "r1", "bob"); roomd.ErrorCode(err) != roomd.ENOTMEMBER {
			t.Fatalf("Member after DeleteRoom: got %v, want %s", err, roomd.ENOTMEMBER)
		}
		if b, err := tx.Ban(f.ctx, app, "r1", "eve"); b != nil || err != nil {
			t.Fatalf("Ban after DeleteRoom: got %v, %v; want nil, nil", b, err)
		}
		if ids, err := tx.RoomsOfUser(f.ctx, app, "bob"); err != nil || !slices.Equal(ids, []string{"r2"}) {
			t.Fatalf("RoomsOfUser(bob) after DeleteRoom: got %v, %v; want [r2]", ids, err)
		}
		if rooms, total, err := tx.Rooms(f.ctx, app, 0, 10); err != nil || total != 1 || len(rooms) != 1 || rooms[0].ID != "r2" {
			t.Fatalf("Rooms after DeleteRoom: got %d rooms, total %d, %v; want [r2], 1", len(rooms), total, err)
		}
		return nil
	})
	if evs := f.events("r1"); len(evs) != 3 {
		t.Fatalf("events of a dismissed room: got %d, want 3", len(evs))
	}
}

func testInsertRoomRevives(t *testing.T, f *fixture) {
	f.populate()
	f.update(func(tx roomd.Tx) error { return tx.DeleteRoom(f.ctx, app, "r1") })
	r := fullRoom("r1", "carl")
	r.Name = "second life"
	if seq := f.insertRoom(r); seq != 3 {
		t.Fatalf("InsertRoom of a dismissed id: got Seq %d, want 3", seq)
	}
	got, err := f.txRoom(app, "r1")
	wantCode(t, "Room after revival", err, "")
	if got.Seq != 3 || got.Owner != "carl" || got.Name != "second life" {
		t.Fatalf("revived room: got Seq %d, Owner %q, Name %q; want 3, carl, second life", got.Seq, got.Owner, got.Name)
	}
	if roles := f.roles("r1"); len(roles) != 1 || roles["carl"] != roomd.RoleOwner {
		t.Fatalf("members of revived room: got %v, want only carl as owner", roles)
	}
	f.update(func(tx roomd.Tx) error { return tx.AppendEvents(f.ctx, seqEvents("r1", 4, 4)) })
	if got, _ := f.txRoom(app, "r1"); got.Seq != 4 {
		t.Fatalf("Seq after appending to revived room: got %d, want 4", got.Seq)
	}
}

func testRooms(t *testing.T, f *fixture) {
	for _, id := range []string{"c", "a", "d", "b"} {
		f.insertRoom(fullRoom(id, "ann"))
	}
	other := fullRoom("a0", "ann")
	other.AppID = otherApp
	f.insertRoom(other)
	f.update(func(tx roomd.Tx) error { return tx.DeleteRoom(f.ctx, app, "d") })
	for _, c := range []struct {
		offset, limit int
		want          []string
	}{{0, 10, []string{"a", "b", "c"}}, {0, 2, []string{"a", "b"}}, {1, 1, []string{"b"}}, {2, 5, []string{"c"}}, {3, 5, nil}} {
		var ids []string
		var total int
		f.view(func(tx roomd.Tx) error {
			rooms, n, err := tx.Rooms(f.ctx, app, c.offset, c.limit)
			for _, r := range rooms {
				ids = append(ids, r.ID)
			}
			total = n
			return err
		})
		if !slices.Equal(ids, c.want) || total != 3 {
			t.Fatalf("Rooms(offset %d, limit %d): got %v, total %d; want %v, total 3", c.offset, c.limit, ids, total, c.want)
		}
	}
}

func testRoomsOfUser(t *testing.T, f *fixture) {
	for _, id := range []string{"r3", "r1", "r2"} {
		f.insertRoom(fullRoom(id, "ann"))
	}
	f.update(func(tx roomd.Tx) error {
		for _, r := range []string{"r1", "r3"} {
			if err := f.putMember(tx, &roomd.Member{AppID: app, RoomID: r, UserID: "bob", Role: roomd.RoleMember}); err != nil {
				return err
			}
		}
		return nil
	})
	for _, c := range []struct {
		user string
		want []string
	}{{"ann", []string{"r1", "r2", "r3"}}, {"bob", []string{"r1", "r3"}}, {"carl", nil}} {
		got := read(f, func(tx roomd.Tx) ([]string, error) { return tx.RoomsOfUser(f.ctx, app, c.user) })
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Fatalf("RoomsOfUser(%s): got %v, want %v", c.user, got, c.want)
		}
	}
}

func testSetOwner(t *testing.T, f *fixture) {
	f.populate()
	f.update(func(tx roomd.Tx) error { return tx.SetOwner(f.ctx, app, "r1", "ann", "bob") })
	got, _ := f.txRoom(app, "r1")
	if got.Owner != "bob" {
		t.Fatalf("Owner after SetOwner: got %q, want bob", got.Owner)
	}
	wantEqual(t, "roles after SetOwner", f.roles("r1"), map[string]roomd.Role{"ann": roomd.RoleMember, "bob": roomd.RoleOwner})
	if got.Seq != 3 {
		t.Fatalf("Seq after SetOwner: got %d, want 3 (unchanged)", got.Seq)
	}
}

func testSetOwnerAfterOldLeft(t *testing.T, f *fixture) {
	f.populate()
	f.update(func(tx roomd.Tx) error {
		if err := tx.DeleteMember(f.ctx, app, "r1", "ann"); err != nil {
			return err
		}
		return tx.SetOwner(f.ctx, app, "r1", "ann", "bob")
	})
	wantEqual(t, "roles after SetOwner", f.roles("r1"), map[string]roomd.Role{"bob": roomd.RoleOwner})
}

// testSetOwnerNotMember: the store itself refuses to make a non-member
// owner (ENOTMEMBER) or to set the owner of a room that is not live
// (ENOROOM), whatever its caller checked.
func testSetOwnerNotMember(t *testing.T, f *fixture) {
	f.populate()
	err := f.store.Update(f.ctx, func(tx roomd.Tx) error { return tx.SetOwner(f.ctx, app, "r1", "ann", "zed") })
	wantCode(t, "SetOwner to a non-member", err, roomd.ENOTMEMBER)
	err = f.store.Update(f.ctx, func(tx roomd.Tx) error { return tx.SetOwner(f.ctx, app, "gone", "ann", "bob") })
	wantCode(t, "SetOwner of a missing room", err, roomd.ENOROOM)
	if got, _ := f.txRoom(app, "r1"); got.Owner != "ann" {
		t.Fatalf("Owner after refused SetOwner: got %q, want ann", got.Owner)
	}
	wantEqual(t, "roles after refused SetOwner", f.roles("r1"), map[string]roomd.Role{"ann": roomd.RoleOwner, "bob": roomd.RoleMember})
}

func testMemberRoundTrip(t *testing.T, f *fixture) {
	f.insertRoom(fullRoom("r1", "ann"))
	f.update(func(tx roomd.Tx) error { return tx.PutUser(f.ctx, &roomd.User{AppID: app, ID: "bob", Name: "Bobby"}) })
	want := &roomd.Member{AppID: app, RoomID: "r1", UserID: "bob", Role: 150, NameCard: "card", CustomInfo: "ci", JoinedAt: t0.Add(time.Nanosecond)}
	f.update(func(tx roomd.Tx) error { return f.putMember(tx, want) })
	got := f.member("r1", "bob")
	want.UserName = "Bobby"
	wantEqual(t, "Member", got, want)
	if !got.JoinedAt.Equal(want.JoinedAt) {
		t.Fatalf("JoinedAt: got %v, want %v", got.JoinedAt, want.JoinedAt)
	}
	replaced := &roomd.Member{AppID: app, RoomID: "r1", UserID: "bob", Role: roomd.RoleAdmin, JoinedAt: t0}
	f.update(func(tx roomd.Tx) error { return f.putMember(tx, replaced) })
	replaced.UserName = "Bobby"
	wantEqual(t, "replaced Member", f.member("r1", "bob"), replaced)
	if m := f.member("r1", "ann"); m.UserName != "" {
		t.Fatalf("UserName of an unregistered member: got %q, want empty", m.UserName)
	}
}

// member reads a membership, failing the test on error.
func (f *fixture) member(room, id string) *roomd.Member {
	f.t.Helper()
	return read(f, func(tx roomd.Tx) (*roomd.Member, error) { return tx.Member(f.ctx, app, room, id) })
}

func testMemberAbsent(t *testing.T, f *fixture) {
	f.insertRoom(fullRoom("r1", "ann"))
	for _, c := range []struct{ room, user string }{{"r1", "bob"}, {"r2", "ann"}} {
		err := f.txErr(func(tx roomd.Tx) error { _, err := tx.Member(f.ctx, app, c.room, c.user); return err })
		wantCode(t, "Member("+c.room+", "+c.user+")", err, roomd.ENOTMEMBER)
	}
}

// testRoomMembers: RoomMembers returns the room, as Room does, and the
// memberships of the users asked about who are members, as Member does;
// in an Update as in a View; ENOROOM for a room that is not live.
func testRoomMembers(t *testing.T, f *fixture) {
	f.register("ann", "bob", "cy")
	f.createRoom("r1", "ann", "bob")
	wantRoom := read(f, func(tx roomd.Tx) (*roomd.Room, error) { return tx.Room(f.ctx, app, "r1") })
	wantBob := f.member("r1", "bob")
	for _, write := range []bool{false, true} {
		var room *roomd.Room
		var ms map[string]*roomd.Member
		do := func(tx roomd.Tx) error {
			var err error
			room, ms, err = tx.RoomMembers(f.ctx, app, "r1", []string{"bob", "cy", "zed"})
			return err
		}
		if write {
			f.update(do)
		} else {
			f.view(do)
		}
		wantEqual(t, fmt.Sprintf("RoomMembers' room (write %v)", write), room, wantRoom)
		if len(ms) != 1 || ms["bob"] == nil {
			t.Fatalf("RoomMembers' members (write %v): got %v, want bob alone", write, slices.Sorted(maps.Keys(ms)))
		}
		wantEqual(t, fmt.Sprintf("RoomMembers' bob (write %v)", write), ms["bob"], wantBob)
	}
	err := f.txErr(func(tx roomd.Tx) error { _, _, err := tx.RoomMembers(f.ctx, app, "gone", []string{"ann"}); return err })
	wantCode(t, "RoomMembers of a missing room", err, roomd.ENOROOM)
}

// putMembers adds members to room r1 joined at t0 plus the given offsets.
func (f *fixture) putMembers(joined map[string]time.Duration) {
	f.t.Helper()
	f.update(func(tx roomd.Tx) error {
		for id, d := range joined {
			if err := f.putMember(tx, &roomd.Member{AppID: app, RoomID: "r1", UserID: id, Role: roomd.RoleMember, JoinedAt: t0.Add(d)}); err != nil {
				return err
			}
		}
		return nil
	})
}

func testMembers(t *testing.T, f *fixture) {
	f.insertRoom(fullRoom("r1", "ann")) // ann joined at t0
	f.putMembers(map[string]time.Duration{"zed": -time.Second, "bob": time.Second, "amy": time.Second, "carl": time.Nanosecond})
	order := []string{"zed", "ann", "carl", "amy", "bob"}
	for _, c := range []struct{ offset, limit int }{{0, 10}, {0, 2}, {2, 2}, {4, 3}, {5, 3}} {
		var ids []string
		var total int
		f.view(func(tx roomd.Tx) error {
			ms, n, err := tx.Members(f.ctx, app, "r1", c.offset, c.limit)
			for _, m := range ms {
				ids = append(ids, m.UserID)
			}
			total = n
			return err
		})
		want := order[min(c.offset, len(order)):min(c.offset+c.limit, len(order))]
		if !slices.Equal(ids, want) || total != len(order) {
			t.Fatalf("Members(offset %d, limit %d): got %v, total %d; want %v, total %d", c.offset, c.limit, ids, total, want, len(order))
		}
	}
	f.view(func(tx roomd.Tx) error {
		if n, err := tx.MemberCount(f.ctx, app, "r1"); n != len(order) || err != nil {
			t.Fatalf("MemberCount: got %d, %v; want %d", n, err, len(order))
		}
		return nil
	})
}

func testDeleteMember(t *testing.T, f *fixture) {
	f.populate()
	f.update(func(tx roomd.Tx) error { return tx.DeleteMember(f.ctx, app, "r1", "bob") })
	f.update(func(tx roomd.Tx) error { return tx.DeleteMember(f.ctx, app, "r1", "bob") }) // absent: not an error
	wantEqual(t, "roles after DeleteMember", f.roles("r1"), map[string]roomd.Role{"ann": roomd.RoleOwner})
}

func testSuccessor(t *testing.T, f *fixture) {
	f.insertRoom(fullRoom("r1", "ann"))
	f.putMembers(map[string]time.Duration{"zed": time.Second, "bob": time.Second, "amy": 2 * time.Second})
	for _, want := range []string{"ann", "bob", "zed", "amy", ""} {
		got := read(f, func(tx roomd.Tx) (*roomd.Member, error) { return tx.Successor(f.ctx, app, "r1") })
		if want == "" {
			if got != nil {
				t.Fatalf("Successor of an empty room: got %q, want nil", got.UserID)
			}
			break
		}
		if got == nil || got.UserID != want {
			t.Fatalf("Successor: got %v, want %s", got, want)
		}
		f.update(func(tx roomd.Tx) error { return tx.DeleteMember(f.ctx, app, "r1", want) })
	}
}

func testBanRoundTrip(t *testing.T, f *fixture) {
	f.insertRoom(fullRoom("r1", "ann"))
	want := &roomd.Ban{AppID: app, RoomID: "r1", UserID: "bob", Until: t0.Add(time.Hour + time.Nanosecond), Reason: "spam", CreatedAt: t0}
	f.update(func(tx roomd.Tx) error { return tx.PutBan(f.ctx, want) })
	got := f.ban("r1", "bob")
	wantEqual(t, "Ban", got, want)
	if got == nil || !got.Until.Equal(want.Until) {
		t.Fatalf("Ban.Until: got %v, want %v", got, want.Until)
	}
	forever := &roomd.Ban{AppID: app, RoomID: "r1", UserID: "bob", CreatedAt: t0}
	f.update(func(tx roomd.Tx) error { return tx.PutBan(f.ctx, forever) })
	if got := f.ban("r1", "bob"); got == nil || !got.Until.IsZero() {
		t.Fatalf("replaced Ban: got %v, want one with zero Until", got)
	}
	f.update(func(tx roomd.Tx) error { return tx.DeleteBan(f.ctx, app, "r1", "bob") })
	f.update(func(tx roomd.Tx) error { return tx.DeleteBan(f.ctx, app, "r1", "bob") }) // absent: not an error
	if got := f.ban("r1", "bob"); got != nil {
		t.Fatalf("Ban after DeleteBan: got %v, want nil", got)
	}
}

// ban reads a ban, failing the test on error.
func (f *fixture) ban(room, id string) *roomd.Ban {
	f.t.Helper()
	return read(f, func(tx roomd.Tx) (*roomd.Ban, error) { return tx.Ban(f.ctx, app, room, id) })
}

func testBans(t *testing.T, f *fixture) {
	f.insertRoom(fullRoom("r1", "ann"))
	now := t0.Add(time.Hour)
	until := map[string]time.Time{"dan": now.Add(time.Nanosecond), "bob": now.Add(-time.Minute), "eve": {}, "amy": now.Add(time.Hour), "cid": now}
	f.update(func(tx roomd.Tx) error {
		for id, u := range until {
			if err := tx.PutBan(f.ctx, &roomd.Ban{AppID: app, RoomID: "r1", UserID: id, Until: u, CreatedAt: t0}); err != nil {
				return err
			}
		}
		return tx.PutBan(f.ctx, &roomd.Ban{AppID: app, RoomID: "r2", UserID: "fay", CreatedAt: t0})
	})
	active := []string{"amy", "dan", "eve"}
	for _, c := range []struct{ offset, limit int }{{0, 10}, {1, 1}, {2, 5}} {
		var ids []string
		var total int
		f.view(func(tx roomd.Tx) error {
			bans, n, err := tx.Bans(f.ctx, app, "r1", now, c.offset, c.limit)
			for _, b := range bans {
				ids = append(ids, b.UserID)
			}
			total = n
			return err
		})
		want := active[c.offset:min(c.offset+c.limit, len(active))]
		if !slices.Equal(ids, want) || total != len(active) {
			t.Fatalf("Bans(offset %d, limit %d): got %v, total %d; want %v, total %d", c.offset, c.limit, ids, total, want, len(active))
		}
	}
}

func testAppendEvents(t *testing.T, f *fixture) {
	f.insertRoom(fullRoom("r1", "ann"))
	f.insertRoom(fullRoom("r2", "ann"))
	want := seqEvents("r1", 1, 5)
	f.update(func(tx roomd.Tx) error { return tx.AppendEvents(f.ctx, append(seqEvents("r2", 1, 2), want[:3]...)) })
	f.update(func(tx roomd.Tx) error { return tx.AppendEvents(f.ctx, want[3:]) })
	for room, seq := range map[string]int64{"r1": 5, "r2": 2} {
		if r, _ := f.txRoom(app, room); r == nil || r.Seq != seq {
			t.Fatalf("Room(%s).Seq: got %v, want %d", room, r, seq)
		}
	}
	wantEvents(t, "Events(r1)", f.events("r1"), want)
	page := read(f, func(tx roomd.Tx) ([]roomd.Event, error) { return tx.Events(f.ctx, app, "r1", 1, 2) })
	wantEvents(t, "Events(r1, after 1, limit 2)", page, want[1:3])
}

// wantEvents fails the test unless got and want are the same events; payloads
// are compared as JSON values, times as instants.
func wantEvents(tb testing.TB, what string, got, want []roomd.Event) {
	tb.Helper()
	norm := func(evs []roomd.Event) []map[string]any {
		var out []map[string]any
		for _, e := range evs {
			var p any
			if err := json.Unmarshal(e.Payload, &p); err != nil {
				tb.Fatalf("%s: payload %q of seq %d: %v", what, e.Payload, e.Seq, err)
			}
			out = append(out, map[string]any{"app": e.AppID, "room": e.RoomID, "seq": e.Seq, "type": e.Type, "actor": e.Actor, "payload": p, "time": e.Time.UnixNano()})
		}
		return out
	}
	wantEqual(tb, what, norm(got), norm(want))
}

func testAppendEventsDuplicate(t *testing.T, f *fixture) {
	f.populate()
	err := f.store.Update(f.ctx, func(tx roomd.Tx) error { return tx.AppendEvents(f.ctx, seqEvents("r1", 3, 4)) })
	wantCode(t, "AppendEvents of an existing seq", err, roomd.EINTERNAL)
	if evs := f.events("r1"); len(evs) != 3 {
		t.Fatalf("events after a failed AppendEvents: got %d, want 3", len(evs))
	}
}

func testCallback(t *testing.T, f *fixture) {
	get := func() *roomd.Callback {
		return read(f, func(tx roomd.Tx) (*roomd.Callback, error) { return tx.Callback(f.ctx, app) })
	}
	if c := get(); c != nil {
		t.Fatalf("Callback before PutCallback: got %v, want nil", c)
	}
	for _, want := range []*roomd.Callback{
		{AppID: app, URL: "https://example.com/cb", Commands: []string{"group.created", "member.joined"}},
		{AppID: app, URL: "https://example.com/cb2", Commands: []string{}},
	} {
		f.update(func(tx roomd.Tx) error { return tx.PutCallback(f.ctx, want) })
		wantEqual(t, "Callback", get(), want)
	}
	f.update(func(tx roomd.Tx) error { return tx.DeleteCallback(f.ctx, app) })
	f.update(func(tx roomd.Tx) error { return tx.DeleteCallback(f.ctx, app) }) // absent: not an error
	if c := get(); c != nil {
		t.Fatalf("Callback after DeleteCallback: got %v, want nil", c)
	}
}

// testPutMemberUnregistered: a membership of a user who is not registered
// is refused, and nothing is written.
func testPutMemberUnregistered(t *testing.T, f *fixture) {
	f.insertRoom(fullRoom("r1", "ann"))
	err := f.store.Update(f.ctx, func(tx roomd.Tx) error {
		return tx.PutMember(f.ctx, &roomd.Member{AppID: app, RoomID: "r1", UserID: "ghost", Role: roomd.RoleMember, JoinedAt: t0})
	})
	wantCode(t, "PutMember of an unregistered user", err, roomd.ENOUSER)
	err = f.txErr(func(tx roomd.Tx) error { _, err := tx.Member(f.ctx, app, "r1", "ghost"); return err })
	wantCode(t, "Member after the refused PutMember", err, roomd.ENOTMEMBER)
}
