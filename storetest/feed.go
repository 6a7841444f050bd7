package storetest

import (
	"testing"

	"github.com/roomd/roomd"
)

// feedTests check membership periods, what each user may read of a room's
// log (Service.Feed), the user's rooms, and entering and leaving a room.
var feedTests = []test{
	{"MembershipPeriods", testMembershipPeriods},
	{"FeedEntitlement", testFeedEntitlement},
	{"FeedPaging", testFeedPaging},
	{"UserRooms", testUserRooms},
	{"EnterRoom", testEnterRoom},
	{"LeaveRoom", testLeaveRoom},
}

// periods returns the membership periods of user in room.
func (f *fixture) periods(room, user string) []roomd.Membership {
	f.t.Helper()
	return read(f, func(tx roomd.Tx) ([]roomd.Membership, error) { return tx.Memberships(f.ctx, app, room, user) })
}

// seqOf returns the seq of the last event of room.
func (f *fixture) seqOf(room string) int64 {
	f.t.Helper()
	return read(f, func(tx roomd.Tx) (int64, error) { return tx.LastSeq(f.ctx, app, room) })
}

// feedSeqs returns the seqs Feed gives user after seq after, and the page.
func (f *fixture) feedSeqs(room, user string, after int64, limit int) ([]int64, *roomd.FeedPage) {
	f.t.Helper()
	page, err := f.svc.Feed(f.ctx, app, room, user, after, limit)
	if err != nil {
		f.t.Fatalf("Feed(%s, %s, %d): got error %v, want nil", room, user, after, err)
	}
	var seqs []int64
	for _, e := range page.Events {
		seqs = append(seqs, e.Seq)
	}
	return seqs, page
}

func testMembershipPeriods(t *testing.T, f *fixture) {
	f.register("ann", "bob")
	f.createRoom("r1", "ann", "bob") // 1 created, 2 ann joined, 3 bob joined
	wantEqual(t, "bob's periods", f.periods("r1", "bob"), []roomd.Membership{{From: 3}})
	_, err := f.svc.RemoveMembers(f.ctx, admin, app, "r1", []string{"bob"}, "") // 4 bob left
	wantCode(t, "RemoveMembers", err, "")
	_, err = f.svc.AddMembers(f.ctx, admin, app, "r1", []roomd.MemberAdd{{UserID: "bob"}}) // 5 bob joined
	wantCode(t, "AddMembers", err, "")
	wantEqual(t, "bob's periods after leaving and coming back", f.periods("r1", "bob"), []roomd.Membership{{From: 3, To: 4}, {From: 5}})
	wantCode(t, "DismissRoom", f.svc.DismissRoom(f.ctx, admin, app, "r1"), "") // 6 dismissed
	wantEqual(t, "bob's periods after dismissal", f.periods("r1", "bob"), []roomd.Membership{{From: 3, To: 4}, {From: 5, To: 6}})
	wantEqual(t, "ann's periods after dismissal", f.periods("r1", "ann"), []roomd.Membership{{From: 2, To: 6}})
	wantEqual(t, "a stranger's periods", f.periods("r1", "cid"), []roomd.Membership(nil))
	if got := f.seqOf("r1"); got != 6 {
		t.Fatalf("LastSeq of the dismissed room: got %d, want 6", got)
	}
	if got := f.seqOf("never"); got != 0 {
		t.Fatalf("LastSeq of a room never made: got %d, want 0", got)
	}
}

func testFeedEntitlement(t *testing.T, f *fixture) {
	f.register("ann", "bob", "cid")
	f.createRoom("r1", "ann", "bob")                                            // 1-3
	f.transfer("r1", "bob")                                                     // 4
	_, err := f.svc.RemoveMembers(f.ctx, admin, app, "r1", []string{"bob"}, "") // 5 bob left, 6 owner -> ann
	wantCode(t, "RemoveMembers", err, "")
	f.transfer("r1", "ann")                                                                // no change: ann owns it
	_, err = f.svc.AddMembers(f.ctx, admin, app, "r1", []roomd.MemberAdd{{UserID: "cid"}}) // 7 cid joined
	wantCode(t, "AddMembers", err, "")
	_, err = f.svc.AddMembers(f.ctx, admin, app, "r1", []roomd.MemberAdd{{UserID: "bob"}}) // 8 bob joined
	wantCode(t, "AddMembers", err, "")
	f.transfer("r1", "cid") // 9

	seqs, page := f.feedSeqs("r1", "bob", 0, 100)
	wantEqual(t, "bob's feed from the start", seqs, []int64{3, 4, 5, 8, 9})
	if page.Seq != 9 || page.Resync {
		t.Fatalf("page: got Seq %d, Resync %v; want 9, false", page.Seq, page.Resync)
	}
	seqs, _ = f.feedSeqs("r1", "bob", 4, 100)
	wantEqual(t, "bob's feed after 4", seqs, []int64{5, 8, 9})
	seqs, _ = f.feedSeqs("r1", "cid", 0, 100)
	wantEqual(t, "cid's feed", seqs, []int64{7, 8, 9})
	seqs, _ = f.feedSeqs("r1", "ann", 9, 100)
	wantEqual(t, "ann's feed after the last seq", seqs, []int64(nil))
	_, err = f.svc.Feed(f.ctx, app, "r1", "dan", 0, 100)
	wantCode(t, "Feed of a user never a member", err, roomd.ENOTMEMBER)
	_, err = f.svc.Feed(f.ctx, app, "r1", "bob", -1, 100)
	wantCode(t, "Feed with a negative seq", err, roomd.EINVALID)
	_, err = f.svc.Feed(f.ctx, app, "r1", "bob", 0, roomd.MaxFeed+1)
	wantCode(t, "Feed with too large a limit", err, roomd.EINVALID)
}

func testFeedPaging(t *testing.T, f *fixture) {
	f.register("ann", "bob")
	f.createRoom("r1", "ann", "bob") // 1-3
	for i := range 10 {
		f.transfer("r1", []string{"bob", "ann"}[i%2]) // 4-13
	}
	var all []int64
	after := int64(0)
	for range 20 {
		seqs, _ := f.feedSeqs("r1", "bob", after, 3)
		if len(seqs) > 3 {
			t.Fatalf("page of limit 3: got %d events", len(seqs))
		}
		all = append(all, seqs...)
		if len(seqs) < 3 {
			break
		}
		after = seqs[len(seqs)-1]
	}
	want := []int64{3}
	for s := int64(4); s <= 13; s++ {
		want = append(want, s)
	}
	wantEqual(t, "bob's feed paged by 3", all, want)
}

func testUserRooms(t *testing.T, f *fixture) {
	f.register("ann", "bob")
	f.createRoom("r2", "bob", "ann")
	f.createRoom("r1", "ann", "bob")
	f.transfer("r1", "bob")
	rooms, err := f.svc.UserRooms(f.ctx, app, "ann")
	wantCode(t, "UserRooms", err, "")
	wantEqual(t, "ann's rooms", rooms, []roomd.RoomState{{Room: "r1", Seq: 4, Role: roomd.RoleMember}, {Room: "r2", Seq: 3, Role: roomd.RoleMember}})
	rooms, err = f.svc.UserRooms(f.ctx, app, "nobody")
	wantCode(t, "UserRooms of a stranger", err, "")
	if len(rooms) != 0 {
		t.Fatalf("a stranger's rooms: got %v, want none", rooms)
	}
}

func testEnterRoom(t *testing.T, f *fixture) {
	f.register("ann", "bob", "cid", "dan")
	f.createRoom("r1", "ann")
	seq, err := f.svc.EnterRoom(f.ctx, app, "r1", "bob")
	wantCode(t, "EnterRoom", err, "")
	if seq != 3 || f.roles("r1")["bob"] != roomd.RoleMember {
		t.Fatalf("after EnterRoom: got seq %d and roles %v, want 3 and bob a member", seq, f.roles("r1"))
	}
	seq, err = f.svc.EnterRoom(f.ctx, app, "r1", "bob")
	wantCode(t, "EnterRoom again", err, "")
	if seq != 3 {
		t.Fatalf("entering again: got seq %d, want 3 (nothing changed)", seq)
	}
	_, err = f.svc.BanMembers(f.ctx, admin, app, "r1", []string{"cid"}, 0, "")
	wantCode(t, "BanMembers", err, "")
	_, err = f.svc.EnterRoom(f.ctx, app, "r1", "cid")
	wantCode(t, "EnterRoom banned", err, roomd.EBANNED)
	limit := 2
	wantCode(t, "UpdateRoom", f.svc.UpdateRoom(f.ctx, admin, app, "r1", roomd.RoomUpdate{MaxMembers: &limit}), "")
	_, err = f.svc.EnterRoom(f.ctx, app, "r1", "dan")
	wantCode(t, "EnterRoom full", err, roomd.ELIMIT)
	_, err = f.svc.EnterRoom(f.ctx, app, "nope", "dan")
	wantCode(t, "EnterRoom missing room", err, roomd.ENOROOM)
	_, err = f.svc.EnterRoom(f.ctx, app, "r1", "ghost")
	wantCode(t, "EnterRoom unregistered", err, roomd.ENOUSER)
}

func testLeaveRoom(t *testing.T, f *fixture) {
	f.register("ann", "bob")
	f.createRoom("r1", "ann", "bob")                     // 1-3
	seq, err := f.svc.LeaveRoom(f.ctx, app, "r1", "ann") // 4 ann left, 5 owner -> bob
	wantCode(t, "LeaveRoom by the owner", err, "")
	if seq != 5 || f.room("r1").Owner != "bob" {
		t.Fatalf("after the owner left: got seq %d, owner %q; want 5, bob", seq, f.room("r1").Owner)
	}
	evs := f.events("r1")
	if e := evs[3]; e.Type != roomd.EventMemberLeft || e.Subject() != "ann" || string(e.Payload) != `{"user_id":"ann","reason":"left"}` {
		t.Fatalf("event 4: got %s %s, want member.left of ann with reason left", e.Type, e.Payload)
	}
	_, err = f.svc.LeaveRoom(f.ctx, app, "r1", "ann")
	wantCode(t, "LeaveRoom not a member", err, roomd.ENOTMEMBER)
	_, err = f.svc.LeaveRoom(f.ctx, app, "r1", "bob") // 6 bob left, 7 dismissed
	wantCode(t, "LeaveRoom by the last member", err, "")
	_, err = f.svc.Room(f.ctx, app, "r1")
	wantCode(t, "Room after the last member left", err, roomd.ENOROOM)
}

// transfer makes to the owner of room, as an administrator.
func (f *fixture) transfer(room, to string) {
	f.t.Helper()
	wantCode(f.t, "TransferOwner to "+to, f.svc.TransferOwner(f.ctx, admin, app, room, to, ""), "")
}
