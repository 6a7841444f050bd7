package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/roomd/roomd"
)

// dumpTests check Export and Import (roomd.Exporter, roomd.Importer, which
// every store implements): a store holding every kind of data moves whole
// to a fresh store of the suite's, and works there as it did.
var dumpTests = []test{
	{"RoundTrip", testDumpRoundTrip},
	{"RefusesNonEmpty", testDumpRefusesNonEmpty},
	{"BadInputChangesNothing", testDumpBadInput},
	{"Unnumbered", testDumpUnnumbered},
}

// exportFile exports the fixture's store into an export file.
func (f *fixture) exportFile() []byte {
	f.t.Helper()
	x, ok := f.store.(roomd.Exporter)
	if !ok {
		f.t.Fatalf("store %T: not a roomd.Exporter", f.store)
	}
	var buf bytes.Buffer
	w, err := roomd.NewRecordWriter(&buf, "storetest", "test")
	if err == nil {
		err = x.Export(f.ctx, w.Write)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		f.t.Fatalf("Export: got error %v, want nil", err)
	}
	return buf.Bytes()
}

// exportRecords exports the fixture's store into a list of records.
func (f *fixture) exportRecords() []roomd.Record {
	f.t.Helper()
	rr, err := roomd.NewRecordReader(bytes.NewReader(f.exportFile()))
	if err != nil {
		f.t.Fatalf("NewRecordReader of an export: got error %v, want nil", err)
	}
	var out []roomd.Record
	for {
		r, ok, err := rr.Next()
		if err != nil {
			f.t.Fatalf("reading an export: got error %v, want nil", err)
		}
		if !ok {
			return out
		}
		out = append(out, r)
	}
}

// importRecords imports records into the fixture's store and returns
// Import's error.
func (f *fixture) importRecords(records []roomd.Record) error {
	f.t.Helper()
	im, ok := f.store.(roomd.Importer)
	if !ok {
		f.t.Fatalf("store %T: not a roomd.Importer", f.store)
	}
	i := 0
	return im.Import(f.ctx, func() (roomd.Record, bool, error) {
		if i == len(records) {
			return roomd.Record{}, false, nil
		}
		i++
		return records[i-1], true, nil
	})
}

// importFile imports an export file into the fixture's store.
func (f *fixture) importFile(data []byte) error {
	f.t.Helper()
	rr, err := roomd.NewRecordReader(bytes.NewReader(data))
	if err != nil {
		f.t.Fatalf("NewRecordReader: got error %v, want nil", err)
	}
	return f.store.(roomd.Importer).Import(f.ctx, rr.Next)
}

// second returns a fixture on another fresh store, on the same clock.
func (f *fixture) second() *fixture {
	f.t.Helper()
	g := newFixture(f.t, f.open)
	g.clock = f.clock
	g.svc = roomd.NewService(g.store, g.pub, g.clock.Now)
	return g
}

// wantEmpty fails the test unless the fixture's store exports no record.
func (f *fixture) wantEmpty(what string) {
	f.t.Helper()
	if rs := f.exportRecords(); len(rs) > 0 {
		f.t.Fatalf("%s: got %d records in the store, first %s; want none", what, len(rs), rs[0])
	}
}

// settleRooms waits until the store has numbered every event of the rooms
// of app: its log then ends at the sum of their last seqs.
func (f *fixture) settleRooms(app uint32, rooms ...string) {
	f.t.Helper()
	var n int64
	for _, r := range rooms {
		n += read(f, func(tx roomd.Tx) (int64, error) { return tx.LastSeq(f.ctx, app, r) })
	}
	f.settle(app, n)
}

// dumpRooms are the rooms fill writes in app; "old", of otherApp, has a
// compacted log.
var dumpRooms = []string{"r1", "r2", "r3", "r4"}

// fill writes every kind of data a store keeps, through the Service and
// the Tx methods: users of two apps, live rooms with every setting, a
// dismissed room and one created again, members with roles, name cards
// and custom info, ended and reopened memberships, a ban, seats (taken,
// locked, with video off), a seat request, marks, room and member mutes,
// callback configurations (one with no commands), delivery cursors of
// both styles, and a log compacted in one room.
func (f *fixture) fill() {
	t := f.t
	ok := func(items []roomd.ItemError, err error) {
		t.Helper()
		wantItems(t, "fill", items, err, map[string]string{})
	}
	// The other app's room "old" is written 48 hours earlier, and its log
	// is compacted to its last event below.
	ok(f.svc.RegisterUsers(f.ctx, otherApp, []roomd.User{{ID: "zed", Name: "Zed"}, {ID: "yan"}}, false))
	_, items, err := f.svc.CreateRoom(f.ctx, admin, roomd.Room{AppID: otherApp, ID: "old", Owner: "zed"}, []string{"yan"})
	ok(items, err)
	wantCode(t, "TransferOwner old", f.svc.TransferOwner(f.ctx, admin, otherApp, "old", "yan", ""), "")
	f.clock.Advance(48 * time.Hour)

	f.register("ann", "bob", "cy", "dan", "eve", "fay")
	ok(f.svc.UpdateUsers(f.ctx, app, []roomd.UserUpdate{{ID: "ann", Avatar: ptr("https://a/ann.png"), Extra: ptr("<b>&\n\"x\"</b> \u2028✓")}}))
	props := seatProps(4, roomd.SeatFreeToTake)
	props["IsMessageDisabled"] = "true"
	_, items, err = f.svc.CreateRoom(f.ctx, admin, roomd.Room{AppID: app, ID: "r1", Name: "Room <1> & ✓", Notice: "a\nnotice",
		Avatar: "https://a/r1.png", Type: "Meeting", CustomInfo: `{"k": [1, 2]}`, MaxMembers: 50,
		Attributes: []roomd.Attribute{{Key: "a", Value: "1"}, {Key: "b", Value: ""}}, Props: props,
		JoinMode: roomd.JoinApproval, InviteMode: roomd.InviteAdmins, BeInvitedMode: 1, Owner: "ann"}, []string{"bob", "cy", "dan", "eve"})
	ok(items, err)
	admin2, custom := roomd.RoleAdmin, roomd.Role(100)
	wantCode(t, "UpdateMember bob", f.svc.UpdateMember(f.ctx, admin, app, "r1", "bob", roomd.MemberUpdate{Role: &admin2, NameCard: ptr("Bobby")}), "")
	wantCode(t, "UpdateMember cy", f.svc.UpdateMember(f.ctx, admin, app, "r1", "cy", roomd.MemberUpdate{Role: &custom, CustomInfo: ptr("vip")}), "")
	_, err = f.svc.TakeSeat(f.ctx, app, "r1", "bob", 0)
	wantCode(t, "TakeSeat bob", err, "")
	yes := true
	wantCode(t, "LockSeat 2", f.svc.LockSeat(f.ctx, admin, app, "r1", 2, roomd.SeatLock{Taken: &yes}), "")
	wantCode(t, "LockSeat 0 video", f.svc.LockSeat(f.ctx, admin, app, "r1", 0, roomd.SeatLock{Video: &yes}), "")
	wantCode(t, "MarkMembers", f.svc.MarkMembers(f.ctx, admin, app, "r1", false,
		[]roomd.MemberMarks{{UserID: "bob", Marks: []int64{1002, 1000}}, {UserID: "cy", Marks: []int64{1001}}}), "")
	wantCode(t, "MuteRoom r1", f.svc.MuteRoom(f.ctx, admin, app, "r1", false, []roomd.Role{roomd.RoleMember, 100}, time.Hour), "")
	ok(f.svc.MuteMembers(f.ctx, admin, app, "r1", []string{"dan"}, 30*time.Minute))
	ok(f.svc.BanMembers(f.ctx, admin, app, "r1", []string{"eve"}, time.Hour, "spam <again>"))

	_, items, err = f.svc.CreateRoom(f.ctx, admin, roomd.Room{AppID: app, ID: "r2", Owner: "bob", Props: seatProps(0, roomd.SeatApplyToTake)}, []string{"dan", "fay"})
	ok(items, err)
	if res, err := f.svc.TakeSeat(f.ctx, app, "r2", "dan", 1); err != nil || !res.Request {
		t.Fatalf("TakeSeat in ApplyToTake: got %+v, %v; want a request", res, err)
	}
	ok(f.svc.RemoveMembers(f.ctx, admin, app, "r2", []string{"fay"}, "bye"))
	ok(f.svc.AddMembers(f.ctx, admin, app, "r2", []roomd.MemberAdd{{UserID: "fay"}}))
	wantCode(t, "MuteRoom r2", f.svc.MuteRoom(f.ctx, admin, app, "r2", true, nil, roomd.MuteForever), "")
	ok(f.svc.MuteMembers(f.ctx, admin, app, "r2", []string{"fay"}, roomd.MuteForever))

	f.createRoom("r3", "cy", "dan")
	wantCode(t, "DismissRoom r3", f.svc.DismissRoom(f.ctx, admin, app, "r3"), "")
	f.createRoom("r4", "dan")
	wantCode(t, "DismissRoom r4", f.svc.DismissRoom(f.ctx, admin, app, "r4"), "")
	f.createRoom("r4", "fay", "ann")

	wantCode(t, "PutCallback", f.svc.PutCallback(f.ctx, roomd.Callback{AppID: app, URL: "https://backend.example/cb?a=1&b=<2>",
		Commands: []string{"CallbackAfterCreateRoom"}}), "")
	f.settleRooms(app, dumpRooms...)
	f.settleRooms(otherApp, "old")
	if _, err := f.svc.StartHook(f.ctx, app, roomd.HookZEGO); err != nil {
		t.Fatalf("StartHook: got %v, want nil", err)
	}
	f.grow("r1", 2, time.Second)
	f.settleRooms(app, dumpRooms...)
	wantCode(t, "AdvanceHook", f.svc.AdvanceHook(f.ctx, app, roomd.HookZEGO, f.lastPos(app)-1), "")
	f.update(func(tx roomd.Tx) error {
		return errors.Join(tx.PutCallback(f.ctx, &roomd.Callback{AppID: otherApp, URL: "https://other.example/"}),
			tx.PutHookCursor(f.ctx, &roomd.HookCursor{AppID: otherApp, Style: roomd.HookTencent, Pos: 1}))
	})
	n, err := f.store.CompactEvents(f.ctx, roomd.Retention{MaxAge: 24 * time.Hour, MinEvents: 1}, f.clock.Now(), 1000)
	if err != nil || n == 0 {
		t.Fatalf("CompactEvents: got %d, %v; want some of room old's events deleted", n, err)
	}
}

// testDumpRoundTrip: a store with every kind of data exports the same
// file twice; imported into a fresh store, it exports the same file
// again, and the fresh store goes on from where the first was: reads,
// feeds and the app's log are the same, a transfer continues the room's
// seq without a gap, and the invariants hold.
func testDumpRoundTrip(t *testing.T, f *fixture) {
	f.fill()
	file := f.exportFile()
	if again := f.exportFile(); !bytes.Equal(again, file) {
		t.Fatalf("two exports of the same store differ:\n%s", diffLines(file, again))
	}
	kinds := map[roomd.RecordKind]int{}
	for _, r := range f.exportRecords() {
		kinds[r.Kind]++
	}
	for _, k := range roomd.RecordKinds {
		if kinds[k] == 0 {
			t.Errorf("export: got no %s record, want the fill to write every kind (got %v)", k, kinds)
		}
	}

	g := f.second()
	if err := g.importFile(file); err != nil {
		t.Fatalf("Import: got error %v, want nil", err)
	}
	if got := g.exportFile(); !bytes.Equal(got, file) {
		t.Fatalf("export of the imported store differs from the export imported:\n%s", diffLines(file, got))
	}
	CheckRooms(t, g.ctx, g.svc, app, dumpRooms...)
	for _, c := range []struct{ room, user string }{{"r1", "bob"}, {"r1", "eve"}, {"r2", "fay"}, {"r3", "dan"}, {"r4", "ann"}} {
		want, err1 := f.svc.Feed(f.ctx, app, c.room, c.user, 0, roomd.MaxFeed)
		got, err2 := g.svc.Feed(g.ctx, app, c.room, c.user, 0, roomd.MaxFeed)
		if err := errors.Join(err1, err2); err != nil {
			t.Fatalf("Feed(%s, %s): got error %v, want nil", c.room, c.user, err)
		}
		wantEqual(t, "Feed of "+c.user+" in "+c.room+" after the move", got, want)
	}
	wantEqual(t, "AppEvents after the move", g.appLog(app), f.appLog(app))
	oldLog := read(g, func(tx roomd.Tx) ([]roomd.Event, error) { return tx.Events(g.ctx, otherApp, "old", 0, 100) })
	if len(oldLog) != 1 || oldLog[0].Seq < 2 {
		t.Fatalf("compacted log of old after the move: got seqs %v, want its last event alone", seqs(oldLog))
	}

	// Both stores go on alike: the same transfer writes the same events,
	// right after the room's last seq and the app's last position.
	seq, pos := f.room("r1").Seq, f.lastPos(app)
	for _, s := range []*fixture{f, g} {
		wantCode(t, "TransferOwner after the move", s.svc.TransferOwner(s.ctx, admin, app, "r1", "cy", ""), "")
		s.settle(app, pos+s.room("r1").Seq-seq)
	}
	moved := g.logAfter("r1", seq)
	wantEqual(t, "r1's events after the transfer", moved, f.logAfter("r1", seq))
	if len(moved) == 0 || g.room("r1").Seq != seq+int64(len(moved)) {
		t.Fatalf("r1 after the transfer: got events %v and seq %d, want them right after seq %d", moved, g.room("r1").Seq, seq)
	}
	wantEqual(t, "AppEvents after the transfer", g.appLog(app), f.appLog(app))
	CheckRooms(t, g.ctx, g.svc, app, dumpRooms...)
	r4 := g.events("r4")
	if i := slices.IndexFunc(r4, func(e roomd.Event) bool { return e.Type == roomd.EventRoomDismissed }); i < 1 || i == len(r4)-1 {
		t.Fatalf("r4, created again: got a log of %d events with room.dismissed at %d, want it between the two lives", len(r4), i)
	}
}

// testDumpRefusesNonEmpty: Import refuses a store that holds data
// (EEXISTS) and leaves it as it was; signature nonces do not count.
func testDumpRefusesNonEmpty(t *testing.T, f *fixture) {
	f.register("ann")
	f.createRoom("r1", "ann")
	f.settleRooms(app, "r1")
	file := f.exportFile()
	wantCode(t, "Import into the store exported", f.importFile(file), roomd.EEXISTS)
	if got := f.exportFile(); !bytes.Equal(got, file) {
		t.Fatalf("store after a refused import:\n%s", diffLines(file, got))
	}

	g := f.second()
	g.register("bob")
	wantCode(t, "Import into a store with a user", g.importFile(file), roomd.EEXISTS)

	h := f.second()
	wait, err := h.svc.UseNonce(h.ctx, app, "n1", t0, t0.Add(time.Minute))
	if err == nil {
		err = wait()
	}
	wantCode(t, "UseNonce", err, "")
	wantCode(t, "Import into a store with only a nonce", h.importFile(file), "")
	if got := h.exportFile(); !bytes.Equal(got, file) {
		t.Fatalf("store imported beside a nonce:\n%s", diffLines(file, got))
	}
}

// testDumpBadInput: an import that fails, on a record or on next's error,
// leaves the store empty, and an import of good records then succeeds.
func testDumpBadInput(t *testing.T, f *fixture) {
	f.register("ann", "bob")
	f.createRoom("r1", "ann", "bob")
	f.settleRooms(app, "r1")
	good := f.exportRecords()
	at := func(kind roomd.RecordKind) int {
		t.Helper()
		i := slices.IndexFunc(good, func(r roomd.Record) bool { return r.Kind == kind })
		if i < 0 {
			t.Fatalf("export: no %s record", kind)
		}
		return i
	}
	with := func(i int, r roomd.Record) []roomd.Record {
		out := slices.Clone(good)
		out[i] = r
		return out
	}
	room := *good[at(roomd.RecordRoom)].Room
	room.Seq++
	member := *good[at(roomd.RecordMember)].Member
	member.UserID = "nobody"
	appLog := *good[at(roomd.RecordAppLog)].AppLog
	appLog.Pos++
	failing := errors.New("the input broke")
	g := f.second()
	for _, c := range []struct {
		name    string
		records []roomd.Record
		code    string
	}{
		{"room seq past its events", with(at(roomd.RecordRoom), roomd.Record{Kind: roomd.RecordRoom, Room: &room}), roomd.EINVALID},
		{"member of an unknown user", with(at(roomd.RecordMember), roomd.Record{Kind: roomd.RecordMember, Member: &member}), roomd.EINVALID},
		{"app log past its events", with(at(roomd.RecordAppLog), roomd.Record{Kind: roomd.RecordAppLog, AppLog: &appLog}), roomd.EINVALID},
		{"app log missing", slices.Delete(slices.Clone(good), at(roomd.RecordAppLog), at(roomd.RecordAppLog)+1), roomd.EINVALID},
		{"user twice", slices.Insert(slices.Clone(good), 1, good[0]), roomd.EINVALID},
		{"out of order", append(slices.Clone(good), good[0]), roomd.EINVALID},
		{"kind without its entity", append(slices.Clone(good), roomd.Record{Kind: roomd.RecordBan}), roomd.EINVALID},
	} {
		wantCode(t, "Import with "+c.name, g.importRecords(c.records), c.code)
		g.wantEmpty("after an import with " + c.name)
	}
	i := 0
	err := g.store.(roomd.Importer).Import(g.ctx, func() (roomd.Record, bool, error) {
		if i == len(good)-1 {
			return roomd.Record{}, false, failing
		}
		i++
		return good[i-1], true, nil
	})
	if !errors.Is(err, failing) {
		t.Fatalf("Import whose input fails: got %v, want the input's error", err)
	}
	g.wantEmpty("after an import whose input failed")
	wantCode(t, "Import of the good records", g.importRecords(good), "")
	wantEqual(t, "records imported", g.exportRecords(), good)
}

// testDumpUnnumbered: events exported before their store numbered them
// (Pos 0, after the numbered ones) are numbered by the store they are
// imported into, after the app's last position, in the order they come.
func testDumpUnnumbered(t *testing.T, f *fixture) {
	f.register("ann")
	f.createRoom("r1", "ann") // positions 1-2
	f.grow("r1", 3, time.Second)
	f.settleRooms(app, "r1") // 3-5
	records := f.exportRecords()
	for i := range records {
		r := &records[i]
		if r.Kind == roomd.RecordEvent && r.Event.Pos > 3 {
			e := *r.Event
			e.Pos = 0
			r.Event = &e
		}
		if r.Kind == roomd.RecordAppLog {
			r.AppLog = &roomd.AppLog{AppID: app, Pos: 3}
		}
	}
	g := f.second()
	wantCode(t, "Import", g.importRecords(records), "")
	g.settle(app, 5)
	wantEqual(t, "AppEvents of the imported store", g.appLog(app), f.appLog(app))
}

// diffLines describes the first line where two export files differ.
func diffLines(want, got []byte) string {
	w, g := bytes.Split(want, []byte("\n")), bytes.Split(got, []byte("\n"))
	for i := range max(len(w), len(g)) {
		var wl, gl []byte
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if !bytes.Equal(wl, gl) {
			return fmt.Sprintf("line %d:\n got %s\nwant %s", i+1, gl, wl)
		}
	}
	return "(no line differs)"
}
