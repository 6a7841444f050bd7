package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/roomd/roomd"
)

// hookTests check what callbacks are delivered from: each app's log in
// commit order (Event.Pos, Tx.AppEvents, Tx.LastPos), the delivery cursors,
// and the members a room had after each of its events (Tx.MembersAt).
var hookTests = []test{
	{"PositionsPerApp", testHookPositions},
	{"PublishedWithPos", testHookPublished},
	{"AppEventsPaging", testHookPaging},
	{"ConcurrentWriters", testHookConcurrent},
	{"CompactionKeepsLastPos", testHookCompaction},
	{"Cursors", testHookCursors},
	{"CallbackStartsCursor", testHookCallbackCursor},
	{"CursorNeverBack", testHookCursorNeverBack},
	{"MembersAt", testHookMembersAt},
}

// appLog returns the whole log of app through AppEvents.
func (f *fixture) appLog(app uint32) []roomd.Event {
	f.t.Helper()
	return read(f, func(tx roomd.Tx) ([]roomd.Event, error) { return tx.AppEvents(f.ctx, app, 0, 1<<20) })
}

// lastPos reads Tx.LastPos.
func (f *fixture) lastPos(app uint32) int64 {
	f.t.Helper()
	return read(f, func(tx roomd.Tx) (int64, error) { return tx.LastPos(f.ctx, app) })
}

// settle waits, up to 10 s, until the store has numbered app's events up
// to position want (a store may number events after commit: see
// roomd.Store's AppendEvents), and fails the test if it has not.
func (f *fixture) settle(app uint32, want int64) {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := f.lastPos(app)
		if got >= want {
			return
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("LastPos of app %d after 10 s: got %d, want %d (events not numbered)", app, got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// refs returns "room/seq" of each event.
func refs(evs []roomd.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = fmt.Sprintf("%s/%d", e.RoomID, e.Seq)
	}
	return out
}

// wantPositions fails the test unless evs have the positions 1..len(evs).
func wantPositions(tb testing.TB, what string, evs []roomd.Event) {
	tb.Helper()
	for i, e := range evs {
		if e.Pos != int64(i+1) {
			tb.Fatalf("%s: event %d (%s/%d): got pos %d, want %d", what, i, e.RoomID, e.Seq, e.Pos, i+1)
		}
	}
}

// testHookPositions: an app's events of every room are numbered 1, 2, 3...
// in the order they were written; apps are numbered apart.
func testHookPositions(t *testing.T, f *fixture) {
	f.register("ann", "bob")
	if got := f.lastPos(app); got != 0 {
		t.Fatalf("LastPos of an empty app: got %d, want 0", got)
	}
	f.createRoom("r1", "ann")                                                               // r1/1-2
	f.createRoom("r2", "bob", "ann")                                                        // r2/1-3
	_, err := f.svc.AddMembers(f.ctx, admin, app, "r1", []roomd.MemberAdd{{UserID: "bob"}}) // r1/3
	wantCode(t, "AddMembers", err, "")
	if _, err := f.svc.RegisterUsers(f.ctx, otherApp, []roomd.User{{ID: "cy"}}, false); err != nil {
		t.Fatal(err)
	}
	_, _, err = f.svc.CreateRoom(f.ctx, admin, roomd.Room{AppID: otherApp, ID: "r1", Owner: "cy"}, nil)
	wantCode(t, "CreateRoom in the other app", err, "")
	wantCode(t, "TransferOwner", f.svc.TransferOwner(f.ctx, admin, app, "r2", "ann", "bob"), "") // r2/4
	f.settle(app, 7)
	f.settle(otherApp, 2)

	got := f.appLog(app)
	wantEqual(t, "AppEvents of the app", refs(got), []string{"r1/1", "r1/2", "r2/1", "r2/2", "r2/3", "r1/3", "r2/4"})
	wantPositions(t, "AppEvents of the app", got)
	if got[6].Type != roomd.EventOwnerChanged || got[6].AppID != app || got[6].Actor != admin.ID || !got[6].Time.Equal(t0) {
		t.Fatalf("last event: got %+v, want owner.changed of app %d by %s at %v", got[6], app, admin.ID, t0)
	}
	other := f.appLog(otherApp)
	wantEqual(t, "AppEvents of the other app", refs(other), []string{"r1/1", "r1/2"})
	wantPositions(t, "AppEvents of the other app", other)
	if got, want := f.lastPos(app), int64(7); got != want {
		t.Fatalf("LastPos: got %d, want %d", got, want)
	}
	// A room's own log carries the same positions.
	for _, e := range f.events("r2") {
		if i := slices.IndexFunc(got, func(g roomd.Event) bool { return g.RoomID == "r2" && g.Seq == e.Seq }); got[i].Pos != e.Pos {
			t.Fatalf("Events r2/%d: got pos %d, want %d (as AppEvents)", e.Seq, e.Pos, got[i].Pos)
		}
	}
}

// testHookPublished: the events published after commit carry their Pos,
// unless the store numbers them later (Pos 0), and then AppEvents has it.
func testHookPublished(t *testing.T, f *fixture) {
	f.register("ann", "bob")
	f.createRoom("r1", "ann", "bob")
	wantCode(t, "TransferOwner", f.svc.TransferOwner(f.ctx, admin, app, "r1", "bob", "ann"), "")
	f.settle(app, 4)
	var pos []int64
	for i, e := range f.pub.Events() {
		if e.Pos != 0 && e.Pos != int64(i+1) {
			t.Fatalf("published event %d (%s/%d): got pos %d, want %d or 0", i, e.RoomID, e.Seq, e.Pos, i+1)
		}
		pos = append(pos, int64(i+1))
	}
	var logged []int64
	for _, e := range f.appLog(app) {
		logged = append(logged, e.Pos)
	}
	wantEqual(t, "published events' positions in AppEvents", logged, pos)
}

// testHookPaging: AppEvents returns the events after a position, limited.
func testHookPaging(t *testing.T, f *fixture) {
	f.register("ann")
	f.createRoom("r1", "ann")
	f.grow("r1", 8, time.Second) // positions 3-10
	f.settle(app, 10)
	page := read(f, func(tx roomd.Tx) ([]roomd.Event, error) { return tx.AppEvents(f.ctx, app, 4, 3) })
	var pos []int64
	for _, e := range page {
		pos = append(pos, e.Pos)
	}
	wantEqual(t, "AppEvents(after 4, limit 3)", pos, []int64{5, 6, 7})
	if got := read(f, func(tx roomd.Tx) ([]roomd.Event, error) { return tx.AppEvents(f.ctx, app, 10, 5) }); len(got) != 0 {
		t.Fatalf("AppEvents after the last: got %d events, want 0", len(got))
	}
	svcPage, err := f.svc.AppEvents(f.ctx, app, 0, 1<<30)
	if err != nil || len(svcPage) != 10 {
		t.Fatalf("Service.AppEvents(limit 1<<30): got %d events, error %v; want 10, nil", len(svcPage), err)
	}
}

// testHookConcurrent: concurrent writers to many rooms get distinct,
// gapless positions whose order agrees with each room's seq order.
func testHookConcurrent(t *testing.T, f *fixture) {
	f.register("ann", "bob")
	const rooms, writes = 6, 15
	for i := range rooms {
		f.createRoom(fmt.Sprintf("r%d", i), "ann", "bob")
	}
	var wg sync.WaitGroup
	for i := range rooms {
		wg.Go(func() {
			room := fmt.Sprintf("r%d", i)
			for j := range writes {
				name := fmt.Sprintf("%s %d", room, j)
				if err := f.svc.UpdateRoom(f.ctx, admin, app, room, roomd.RoomUpdate{Name: &name}); err != nil {
					t.Errorf("UpdateRoom %s: %v", room, err)
					return
				}
			}
		})
	}
	wg.Wait()
	f.settle(app, rooms*(3+writes))
	got := f.appLog(app)
	if want := rooms * (3 + writes); len(got) != want {
		t.Fatalf("AppEvents: got %d events, want %d", len(got), want)
	}
	wantPositions(t, "AppEvents", got)
	last := map[string]int64{}
	for _, e := range got {
		if e.Seq != last[e.RoomID]+1 {
			t.Fatalf("room %s: seq %d comes after seq %d in the app's log", e.RoomID, e.Seq, last[e.RoomID])
		}
		last[e.RoomID] = e.Seq
	}
}

// testHookCompaction: compaction leaves holes in an app's positions, never
// lowers LastPos, and new events continue after it.
func testHookCompaction(t *testing.T, f *fixture) {
	f.register("ann")
	f.createRoom("r1", "ann")  // positions 1-2
	f.createRoom("r2", "ann")  // 3-4
	f.grow("r1", 3, time.Hour) // 5-7
	f.settle(app, 7)
	f.compact(roomd.Retention{MinEvents: 1}, f.clock.Now(), 100, 5) // r1 keeps 7, r2 keeps 4
	var pos []int64
	for _, e := range f.appLog(app) {
		pos = append(pos, e.Pos)
	}
	wantEqual(t, "positions after compaction", pos, []int64{4, 7})
	if got := f.lastPos(app); got != 7 {
		t.Fatalf("LastPos after compaction: got %d, want 7", got)
	}
	f.grow("r2", 1, time.Second)
	f.settle(app, 8)
	if got := f.appLog(app); got[len(got)-1].Pos != 8 {
		t.Fatalf("next position: got %d, want 8", got[len(got)-1].Pos)
	}
}

// testHookCursors: cursors start at the log's end, move only forward,
// never past the end, and are per app and style.
func testHookCursors(t *testing.T, f *fixture) {
	f.register("ann")
	f.createRoom("r1", "ann") // positions 1-2
	cursor := func(a uint32, style string) *roomd.HookCursor {
		t.Helper()
		c, err := f.svc.HookCursor(f.ctx, a, style)
		if err != nil {
			t.Fatalf("HookCursor(%d, %s): %v", a, style, err)
		}
		return c
	}
	if c := cursor(app, roomd.HookZEGO); c != nil {
		t.Fatalf("HookCursor before StartHook: got %+v, want nil", c)
	}
	f.settle(app, 2)
	c, err := f.svc.StartHook(f.ctx, app, roomd.HookZEGO)
	if err != nil || *c != (roomd.HookCursor{AppID: app, Style: roomd.HookZEGO, Pos: 2}) {
		t.Fatalf("StartHook: got %+v, %v; want pos 2", c, err)
	}
	f.grow("r1", 3, time.Second) // 3-5
	f.settle(app, 5)
	if c, err := f.svc.StartHook(f.ctx, app, roomd.HookZEGO); err != nil || c.Pos != 2 {
		t.Fatalf("StartHook again: got %+v, %v; want the cursor kept at 2", c, err)
	}
	wantCode(t, "AdvanceHook to 4", f.svc.AdvanceHook(f.ctx, app, roomd.HookZEGO, 4), "")
	wantCode(t, "AdvanceHook back to 3", f.svc.AdvanceHook(f.ctx, app, roomd.HookZEGO, 3), "")
	wantCode(t, "AdvanceHook past the end", f.svc.AdvanceHook(f.ctx, app, roomd.HookZEGO, 6), roomd.EINVALID)
	if c := cursor(app, roomd.HookZEGO); c.Pos != 4 {
		t.Fatalf("cursor: got %d, want 4", c.Pos)
	}
	if c := cursor(app, roomd.HookTencent); c != nil {
		t.Fatalf("the other style's cursor: got %+v, want nil", c)
	}
	if c := cursor(otherApp, roomd.HookZEGO); c != nil {
		t.Fatalf("the other app's cursor: got %+v, want nil", c)
	}
	_, err = f.svc.StartHook(f.ctx, app, "slack")
	wantCode(t, "StartHook of an unknown style", err, roomd.EINVALID)
	wantCode(t, "StopHook", f.svc.StopHook(f.ctx, app, roomd.HookZEGO), "")
	if c := cursor(app, roomd.HookZEGO); c != nil {
		t.Fatalf("cursor after StopHook: got %+v, want nil", c)
	}
	wantCode(t, "AdvanceHook of a stopped cursor", f.svc.AdvanceHook(f.ctx, app, roomd.HookZEGO, 5), "")
	if c := cursor(app, roomd.HookZEGO); c != nil {
		t.Fatalf("a stopped cursor after AdvanceHook: got %+v, want nil", c)
	}
	if c, err := f.svc.StartHook(f.ctx, app, roomd.HookZEGO); err != nil || c.Pos != 5 {
		t.Fatalf("StartHook after StopHook: got %+v, %v; want pos 5 (the log's end)", c, err)
	}
}

// testHookCallbackCursor: the app's first Tencent callback configuration
// starts its Tencent cursor at the log's end, a new one keeps it, and
// deleting the configuration deletes it.
func testHookCallbackCursor(t *testing.T, f *fixture) {
	f.register("ann")
	f.createRoom("r1", "ann") // 1-2
	f.settle(app, 2)
	put := func(url string) {
		t.Helper()
		wantCode(t, "PutCallback", f.svc.PutCallback(f.ctx, roomd.Callback{AppID: app, URL: url}), "")
	}
	pos := func() int64 {
		t.Helper()
		c, err := f.svc.HookCursor(f.ctx, app, roomd.HookTencent)
		if err != nil {
			t.Fatal(err)
		}
		if c == nil {
			return -1
		}
		return c.Pos
	}
	put("http://127.0.0.1:9/a")
	if got := pos(); got != 2 {
		t.Fatalf("cursor after the first PutCallback: got %d, want 2", got)
	}
	f.grow("r1", 2, time.Second) // 3-4
	f.settle(app, 4)
	put("http://127.0.0.1:9/b")
	if got := pos(); got != 2 {
		t.Fatalf("cursor after a new PutCallback: got %d, want 2 (kept)", got)
	}
	wantCode(t, "DeleteCallback", f.svc.DeleteCallback(f.ctx, app), "")
	if got := pos(); got != -1 {
		t.Fatalf("cursor after DeleteCallback: got %d, want none", got)
	}
	put("http://127.0.0.1:9/c")
	if got := pos(); got != 4 {
		t.Fatalf("cursor after PutCallback again: got %d, want 4", got)
	}
}

// testHookCursorNeverBack: PutHookCursor moves a cursor forward only, so
// that writers that raced (two nodes) cannot move it back; a deleted one
// starts anew.
func testHookCursorNeverBack(t *testing.T, f *fixture) {
	put := func(pos int64) {
		t.Helper()
		f.update(func(tx roomd.Tx) error {
			return tx.PutHookCursor(f.ctx, &roomd.HookCursor{AppID: app, Style: roomd.HookZEGO, Pos: pos})
		})
	}
	get := func() int64 {
		t.Helper()
		c := read(f, func(tx roomd.Tx) (*roomd.HookCursor, error) { return tx.HookCursor(f.ctx, app, roomd.HookZEGO) })
		if c == nil {
			return -1
		}
		return c.Pos
	}
	put(5)
	put(3)
	if got := get(); got != 5 {
		t.Fatalf("cursor after PutHookCursor 5 then 3: got %d, want 5", got)
	}
	put(8)
	if got := get(); got != 8 {
		t.Fatalf("cursor after PutHookCursor 8: got %d, want 8", got)
	}
	f.update(func(tx roomd.Tx) error { return tx.DeleteHookCursor(f.ctx, app, roomd.HookZEGO) })
	put(2)
	if got := get(); got != 2 {
		t.Fatalf("cursor put after a delete: got %d, want 2", got)
	}
}

// testHookMembersAt: the members right after each event, read from the
// membership periods, also after the room is dismissed and compacted.
func testHookMembersAt(t *testing.T, f *fixture) {
	f.register("ann", "bob", "cy")
	f.createRoom("r1", "ann", "bob")                                                       // 1 created, 2-3 joined
	_, err := f.svc.AddMembers(f.ctx, admin, app, "r1", []roomd.MemberAdd{{UserID: "cy"}}) // 4
	wantCode(t, "AddMembers", err, "")
	_, err = f.svc.RemoveMembers(f.ctx, admin, app, "r1", []string{"bob"}, "") // 5
	wantCode(t, "RemoveMembers", err, "")
	wantCode(t, "DismissRoom", f.svc.DismissRoom(f.ctx, admin, app, "r1"), "") // 6
	f.compact(roomd.Retention{MinEvents: 1}, f.clock.Now(), 100, 5)
	for seq, want := range map[int64][]string{
		1: nil, 2: {"ann"}, 3: {"ann", "bob"}, 4: {"ann", "bob", "cy"}, 5: {"ann", "cy"}, 6: nil,
	} {
		ids, n, err := f.svc.MembersAt(f.ctx, app, "r1", seq, 100)
		if err != nil || n != len(want) || !slices.Equal(ids, want) {
			t.Errorf("MembersAt(seq %d): got %v (%d), %v; want %v (%d)", seq, ids, n, err, want, len(want))
		}
	}
	ids, n, err := f.svc.MembersAt(f.ctx, app, "r1", 4, 0)
	if err != nil || n != 3 || len(ids) != 0 {
		t.Fatalf("MembersAt(limit 0): got %v (%d), %v; want the count 3 alone", ids, n, err)
	}
	ids, n, err = f.svc.MembersAt(f.ctx, app, "r1", 4, 2)
	if err != nil || n != 3 || !slices.Equal(ids, []string{"ann", "bob"}) {
		t.Fatalf("MembersAt(limit 2): got %v (%d), %v; want [ann bob] (3)", ids, n, err)
	}
}
