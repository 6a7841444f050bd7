package storetest

import (
	"context"
	"strings"
	"testing"

	"github.com/roomd/roomd"
)

// userTests check the Service's user operations beyond registration:
// profile updates, the rooms a user is in, and online states.
var userTests = []test{
	{"UpdateUsers", testUpdateUsers},
	{"JoinedRooms", testJoinedRooms},
	{"OnlineStates", testOnlineStates},
}

func ptr(s string) *string { return &s }

func testUpdateUsers(t *testing.T, f *fixture) {
	f.register("ann", "bob")
	f.createRoom("r1", "ann", "bob")
	seq := f.room("r1").Seq
	items, err := f.svc.UpdateUsers(f.ctx, app, []roomd.UserUpdate{
		{ID: "ann", Name: ptr("Ann B."), Extra: ptr("{\"a\":\n1}")}, // Avatar kept
		{ID: "nobody", Name: ptr("x")},
		{ID: "bob", Avatar: ptr("https://a/bob.png")},
		{ID: "bob", Name: ptr("")}, // cleared, after the avatar
		{ID: "ann", Name: ptr("bad\x00")},
		{ID: "bob", Extra: ptr(strings.Repeat("e", roomd.MaxTextLen+1))},
		{ID: "", Name: ptr("x")},
	})
	// The failed updates of ann and bob leave the updates before them.
	wantItems(t, "UpdateUsers", items, err, map[string]string{"nobody": roomd.ENOUSER, "ann": roomd.EINVALID, "bob": roomd.EINVALID, "": roomd.EINVALID})
	got := read(f, func(tx roomd.Tx) ([]*roomd.User, error) {
		a, err := tx.User(f.ctx, app, "ann")
		if err != nil {
			return nil, err
		}
		b, err := tx.User(f.ctx, app, "bob")
		return []*roomd.User{a, b}, err
	})
	if a := got[0]; a.Name != "Ann B." || a.Avatar != "" || a.Extra != "{\"a\":\n1}" || !a.CreatedAt.Equal(t0) {
		t.Fatalf("ann: got %+v, want the name and extra changed, the rest kept", a)
	}
	if b := got[1]; b.Name != "" || b.Avatar != "https://a/bob.png" || b.Extra != "" {
		t.Fatalf("bob: got %+v, want the avatar set and the name cleared", b)
	}
	if m := f.members("r1"); m[0].UserName != "Ann B." {
		t.Fatalf("member names: got %q, want the new one", m[0].UserName)
	}
	if r := f.room("r1"); r.Seq != seq {
		t.Fatalf("room seq: got %d, want %d (a profile change writes no event)", r.Seq, seq)
	}
	_, err = f.svc.UpdateUsers(f.ctx, app, make([]roomd.UserUpdate, roomd.MaxBatch+1))
	wantCode(t, "UpdateUsers of too many", err, roomd.ELIMIT)
}

func testJoinedRooms(t *testing.T, f *fixture) {
	f.register("ann", "bob", "cid")
	for _, id := range []string{"r3", "r1", "r4", "r2"} {
		f.createRoom(id, "ann", "bob")
	}
	f.createRoom("r0", "cid")
	ids := func(rooms []*roomd.Room) string {
		var out []string
		for _, r := range rooms {
			out = append(out, r.ID)
		}
		return strings.Join(out, ",")
	}
	page := func(after string, limit int, want string) {
		t.Helper()
		rooms, total, err := f.svc.JoinedRooms(f.ctx, app, "bob", after, limit)
		wantCode(t, "JoinedRooms", err, "")
		if ids(rooms) != want || total != 4 {
			t.Fatalf("JoinedRooms(after %q, limit %d): got %s of %d, want %s of 4", after, limit, ids(rooms), total, want)
		}
	}
	page("", 2, "r1,r2")
	page("r2", 2, "r3,r4")
	page("r4", 2, "")
	page("r0", 10, "r1,r2,r3,r4") // an id the user is not in: the rooms after it
	page("r25", 1, "r3")
	if rooms, _, _ := f.svc.JoinedRooms(f.ctx, app, "bob", "", 1); len(rooms) != 1 || rooms[0].Name != "room r1" || rooms[0].Owner != "ann" {
		t.Fatalf("JoinedRooms' rooms: got %+v, want whole rooms", rooms)
	}
	wantCode(t, "DismissRoom", f.svc.DismissRoom(f.ctx, admin, app, "r2"), "")
	rooms, total, err := f.svc.JoinedRooms(f.ctx, app, "bob", "", 10)
	wantCode(t, "JoinedRooms after a dismissal", err, "")
	if ids(rooms) != "r1,r3,r4" || total != 3 {
		t.Fatalf("after r2 was dismissed: got %s of %d, want r1,r3,r4 of 3", ids(rooms), total)
	}
	_, _, err = f.svc.JoinedRooms(f.ctx, app, "nobody", "", 10)
	wantCode(t, "JoinedRooms of an unregistered user", err, roomd.ENOUSER)
	_, _, err = f.svc.JoinedRooms(f.ctx, app, "bob", "", 0)
	wantCode(t, "JoinedRooms with limit 0", err, roomd.EINVALID)
	f.register("dan")
	if rooms, total, err := f.svc.JoinedRooms(f.ctx, app, "dan", "", 10); err != nil || len(rooms) != 0 || total != 0 {
		t.Fatalf("a user in no room: got %d rooms of %d, %v; want none", len(rooms), total, err)
	}
}

// onlineSet is a roomd.Presence holding who is online.
type onlineSet map[uint32]map[string]bool

func (s onlineSet) Online(_ context.Context, app uint32, users []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, u := range users {
		if s[app][u] {
			out[u] = true
		}
	}
	return out, nil
}

func testOnlineStates(t *testing.T, f *fixture) {
	f.register("ann", "bob")
	p := onlineSet{app: {"ann": true, "ghost": true}, otherApp: {"bob": true}}
	states, items, err := f.svc.OnlineStates(f.ctx, app, []string{"bob", "ghost", "ann"}, p)
	wantItems(t, "OnlineStates", items, err, map[string]string{"ghost": roomd.ENOUSER})
	wantEqual(t, "OnlineStates", states, []roomd.UserPresence{{ID: "bob"}, {ID: "ann", Online: true}})
	states, _, err = f.svc.OnlineStates(f.ctx, app, []string{"ann"}, nil)
	wantCode(t, "OnlineStates without a presence", err, "")
	wantEqual(t, "OnlineStates without a presence", states, []roomd.UserPresence{{ID: "ann"}})
	_, _, err = f.svc.OnlineStates(f.ctx, app, make([]string, roomd.MaxBatch+1), p)
	wantCode(t, "OnlineStates of too many", err, roomd.ELIMIT)
}
