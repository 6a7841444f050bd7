package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/roomd/roomd"
)

// retentionTests check the compaction of the event log (Store.CompactEvents
// and Service.Compact).
var retentionTests = []test{
	{"Rule", testRetentionRule},
	{"ChunksOldestFirst", testRetentionChunks},
	{"EventsAfterGap", testRetentionGap},
	{"SeqContinues", testRetentionSeqContinues},
	{"Refused", testRetentionRefused},
	{"ServiceCompact", testRetentionServiceCompact},
	{"WhileWriting", testRetentionWhileWriting},
}

// grow writes n room.updated events to room, moving the clock on by step
// before each.
func (f *fixture) grow(room string, n int, step time.Duration) {
	f.t.Helper()
	for i := range n {
		f.clock.Advance(step)
		name := fmt.Sprintf("%s v%d", room, i)
		wantCode(f.t, "UpdateRoom "+room, f.svc.UpdateRoom(f.ctx, admin, app, room, roomd.RoomUpdate{Name: &name}), "")
	}
}

// logs returns the whole event log of each room.
func (f *fixture) logs(rooms ...string) map[string][]roomd.Event {
	f.t.Helper()
	out := map[string][]roomd.Event{}
	for _, r := range rooms {
		out[r] = f.events(r)
	}
	return out
}

// compact runs CompactEvents and fails the test unless it deletes want.
func (f *fixture) compact(r roomd.Retention, now time.Time, limit, want int) {
	f.t.Helper()
	n, err := f.store.CompactEvents(f.ctx, r, now, limit)
	if err != nil || n != want {
		f.t.Fatalf("CompactEvents(%+v, limit %d): got %d deleted, error %v; want %d, nil", r, limit, n, err, want)
	}
}

// seqs returns the seqs of events.
func seqs(evs []roomd.Event) []int64 {
	out := make([]int64, len(evs))
	for i, e := range evs {
		out[i] = e.Seq
	}
	return out
}

// wantLog fails the test unless room's log is exactly want.
func (f *fixture) wantLog(what, room string, want []roomd.Event) {
	f.t.Helper()
	got := f.events(room)
	wantEqual(f.t, what+": seqs of "+room, seqs(got), seqs(want))
	wantEvents(f.t, what+": events of "+room, got, want)
}

// kept is the retention rule, written out for a log whose times do not go
// back: the events of log that r keeps at now.
func kept(log []roomd.Event, r roomd.Retention, now time.Time) []roomd.Event {
	var out []roomd.Event
	for i, e := range log {
		if now.Sub(e.Time) < r.MaxAge || len(log)-i <= r.MinEvents {
			out = append(out, e)
		}
	}
	return out
}

// testRetentionRule: one compaction keeps exactly what the rule keeps, in
// rooms where age keeps more than MinEvents, where MinEvents keeps more than
// age, where the room has fewer events than MinEvents, and in a dismissed
// room; an event exactly MaxAge old goes, one a nanosecond younger stays.
func testRetentionRule(t *testing.T, f *fixture) {
	f.register("ann", "bob")
	f.createRoom("old", "ann", "bob") // 3 events, then 20 a minute apart
	f.grow("old", 20, time.Minute)
	f.createRoom("few", "ann") // 2 events
	f.createRoom("gone", "ann", "bob")
	wantCode(t, "DismissRoom", f.svc.DismissRoom(f.ctx, admin, app, "gone"), "")
	f.clock.Advance(time.Hour)
	f.createRoom("busy", "bob") // 2 events, then 30 an hour apart
	f.grow("busy", 30, time.Hour)
	rooms := []string{"old", "few", "gone", "busy"}
	before := f.logs(rooms...)

	r := roomd.Retention{MaxAge: 10 * time.Hour, MinEvents: 5}
	busy := before["busy"]
	boundary := busy[len(busy)-11] // exactly MaxAge old at now: deleted
	now := boundary.Time.Add(r.MaxAge)
	if d := now.Sub(busy[len(busy)-10].Time); d >= r.MaxAge || d <= 0 {
		t.Fatalf("test setup: the event after the boundary is %v old, want younger than %v", d, r.MaxAge)
	}
	want, deleted := map[string][]roomd.Event{}, 0
	for _, room := range rooms {
		want[room] = kept(before[room], r, now)
		deleted += len(before[room]) - len(want[room])
	}
	// The cases the test means to cover.
	if len(want["busy"]) != 10 || len(want["old"]) != r.MinEvents || len(want["few"]) != len(before["few"]) || len(want["gone"]) != len(before["gone"]) {
		t.Fatalf("test setup: rule keeps busy %d, old %d, few %d/%d, gone %d/%d; want 10, %d, all, all",
			len(want["busy"]), len(want["old"]), len(want["few"]), len(before["few"]), len(want["gone"]), len(before["gone"]), r.MinEvents)
	}

	f.compact(r, now, 1000, deleted)
	for _, room := range rooms {
		f.wantLog("after compaction", room, want[room])
	}
	f.compact(r, now, 1000, 0)
	// A nanosecond later, the next event of busy is exactly MaxAge old.
	f.compact(r, now.Add(time.Nanosecond), 1000, 0)
	f.compact(r, busy[len(busy)-10].Time.Add(r.MaxAge), 1000, 1)
}

// testRetentionChunks: each call deletes at most limit events, a room's
// oldest first, rooms in the order of their oldest event.
func testRetentionChunks(t *testing.T, f *fixture) {
	f.register("ann")
	f.createRoom("r2", "ann") // r2 first: its oldest event is the oldest
	f.grow("r2", 10, time.Minute)
	f.createRoom("r1", "ann")
	f.grow("r1", 10, time.Minute)
	before := f.logs("r1", "r2")
	if len(before["r1"]) != 12 || len(before["r2"]) != 12 {
		t.Fatalf("test setup: got %d and %d events, want 12 and 12", len(before["r1"]), len(before["r2"]))
	}
	r := roomd.Retention{MaxAge: time.Hour, MinEvents: 2}
	now := f.clock.Now().Add(24 * time.Hour) // every event is old: 10 deletable in each room
	steps := []struct {
		limit, deleted int
		r1, r2         int // the first kept event of each room, as an index into its log
	}{
		{4, 4, 0, 4},
		{7, 7, 1, 10},
		{100, 9, 10, 10},
		{100, 0, 10, 10},
	}
	for i, s := range steps {
		f.compact(r, now, s.limit, s.deleted)
		what := fmt.Sprintf("after step %d (limit %d)", i, s.limit)
		f.wantLog(what, "r1", before["r1"][s.r1:])
		f.wantLog(what, "r2", before["r2"][s.r2:])
	}
}

// testRetentionGap: reading a compacted log from before its first kept event
// returns that event first, so a reader sees the gap; from after it, the
// log is as before.
func testRetentionGap(t *testing.T, f *fixture) {
	f.register("ann")
	f.createRoom("r1", "ann")
	f.grow("r1", 8, time.Minute)
	before := f.events("r1") // seqs 1..10
	f.compact(roomd.Retention{MaxAge: time.Minute, MinEvents: 4}, f.clock.Now().Add(time.Hour), 100, 6)
	first := before[6] // seq 7
	for _, after := range []int64{0, 3, 5, 6} {
		got, err := f.svc.Events(f.ctx, app, "r1", after, 2)
		wantCode(t, fmt.Sprintf("Events(after %d)", after), err, "")
		wantEvents(t, fmt.Sprintf("Events(after %d, limit 2)", after), got, []roomd.Event{first, before[7]})
	}
	got := read(f, func(tx roomd.Tx) ([]roomd.Event, error) { return tx.Events(f.ctx, app, "r1", 7, 100) })
	wantEvents(t, "Tx.Events(after 7)", got, before[7:])
}

// testRetentionSeqContinues: compaction leaves a room's last event, so a
// live room's Seq stays and its log continues, and a dismissed room that is
// created again continues from its last seq.
func testRetentionSeqContinues(t *testing.T, f *fixture) {
	f.register("ann", "bob")
	f.createRoom("live", "ann", "bob")
	f.grow("live", 5, time.Minute)
	f.createRoom("gone", "ann", "bob")
	f.grow("gone", 5, time.Minute)
	wantCode(t, "DismissRoom", f.svc.DismissRoom(f.ctx, admin, app, "gone"), "")
	live, gone := f.events("live"), f.events("gone")
	seq := f.room("live").Seq
	if seq != live[len(live)-1].Seq {
		t.Fatalf("test setup: live room Seq %d, last event %d", seq, live[len(live)-1].Seq)
	}

	all := roomd.Retention{MaxAge: 0, MinEvents: 1}
	f.compact(all, f.clock.Now().Add(time.Hour), 1000, len(live)-1+len(gone)-1)
	f.wantLog("after compaction", "live", live[len(live)-1:])
	f.wantLog("after compaction", "gone", gone[len(gone)-1:])
	if got := f.room("live").Seq; got != seq {
		t.Fatalf("Seq of the live room after compaction: got %d, want %d", got, seq)
	}
	f.compact(all, f.clock.Now().Add(time.Hour), 1000, 0)

	f.grow("live", 1, time.Minute)
	if got := seqs(f.events("live")); len(got) != 2 || got[1] != seq+1 {
		t.Fatalf("seqs of the live room after one more change: got %v, want [%d %d]", got, seq, seq+1)
	}
	last := gone[len(gone)-1].Seq
	r := f.createRoom("gone", "bob") // room.created, member.joined
	if r.Seq != last+2 {
		t.Fatalf("Seq of the re-created room: got %d, want %d", r.Seq, last+2)
	}
	if got := seqs(f.events("gone")); len(got) != 3 || got[0] != last || got[2] != last+2 {
		t.Fatalf("seqs of the re-created room: got %v, want [%d %d %d]", got, last, last+1, last+2)
	}
}

// testRetentionRefused: an invalid retention or limit, or a context that
// has ended, deletes nothing.
func testRetentionRefused(t *testing.T, f *fixture) {
	f.register("ann")
	f.createRoom("r1", "ann")
	f.grow("r1", 3, time.Minute)
	before := f.events("r1")
	now := f.clock.Now().Add(time.Hour)
	ok := roomd.Retention{MaxAge: time.Minute, MinEvents: 1}
	for _, c := range []struct {
		what  string
		r     roomd.Retention
		limit int
	}{
		{"MinEvents 0", roomd.Retention{MaxAge: time.Minute}, 10},
		{"MinEvents -1", roomd.Retention{MaxAge: time.Minute, MinEvents: -1}, 10},
		{"MaxAge -1ns", roomd.Retention{MaxAge: -1, MinEvents: 1}, 10},
		{"limit 0", ok, 0},
		{"limit -1", ok, -1},
	} {
		n, err := f.store.CompactEvents(f.ctx, c.r, now, c.limit)
		wantCode(t, "CompactEvents with "+c.what, err, roomd.EINVALID)
		if n != 0 {
			t.Fatalf("CompactEvents with %s: got %d deleted, want 0", c.what, n)
		}
		if c.limit > 0 { // Service.Compact has no limit to get wrong
			_, err := f.svc.Compact(f.ctx, c.r, 0)
			wantCode(t, "Service.Compact with "+c.what, err, roomd.EINVALID)
		}
	}
	ctx, cancel := context.WithCancel(f.ctx)
	cancel()
	n, err := f.store.CompactEvents(ctx, ok, now, 10)
	if !errors.Is(err, context.Canceled) || n != 0 {
		t.Fatalf("CompactEvents with an ended context: got %d deleted, error %v; want 0, %v", n, err, context.Canceled)
	}
	f.wantLog("after refused compactions", "r1", before)
}

// testRetentionServiceCompact: Service.Compact deletes, at the Service's
// clock, everything the rule lets go, in as many chunks as it takes.
func testRetentionServiceCompact(t *testing.T, f *fixture) {
	const n = 2*roomd.CompactChunk + 500
	big := make([]roomd.Event, n)
	for i := range big {
		big[i] = roomd.Event{AppID: app, RoomID: "big", Seq: int64(i + 1), Type: roomd.EventRoomUpdated, Actor: "ann",
			Payload: json.RawMessage(`{"owner":"ann"}`), Time: t0.Add(time.Duration(i) * time.Second)}
	}
	small := []roomd.Event{{AppID: app, RoomID: "small", Seq: 1, Type: roomd.EventRoomUpdated, Actor: "ann", Payload: json.RawMessage(`{"owner":"ann"}`), Time: t0}}
	f.update(func(tx roomd.Tx) error { return tx.AppendEvents(f.ctx, append(big, small...)) })

	r := roomd.Retention{MaxAge: 100 * time.Second, MinEvents: 50}
	f.clock.Advance((n - 1) * time.Second) // the last 100 events are younger than 100s
	want := kept(big, r, f.clock.Now())
	if len(want) != 100 {
		t.Fatalf("test setup: the rule keeps %d events, want 100", len(want))
	}
	got, err := f.svc.Compact(f.ctx, r, 0)
	if err != nil || got != n-100 {
		t.Fatalf("Service.Compact: got %d deleted, error %v; want %d, nil", got, err, n-100)
	}
	f.wantLog("after Service.Compact", "big", want)
	f.wantLog("after Service.Compact", "small", small)

	ctx, cancel := context.WithCancel(f.ctx)
	cancel()
	if got, err := f.svc.Compact(ctx, roomd.Retention{MinEvents: 1}, 0); !errors.Is(err, context.Canceled) || got != 0 {
		t.Fatalf("Service.Compact with an ended context: got %d deleted, error %v; want 0, %v", got, err, context.Canceled)
	}
}

// testRetentionWhileWriting: compactions that run while a room is written
// to leave its log gapless up to its Seq, with at least MinEvents kept.
func testRetentionWhileWriting(t *testing.T, f *fixture) {
	f.register("ann")
	f.createRoom("r1", "ann")
	const writes = 60
	r := roomd.Retention{MaxAge: 0, MinEvents: 3}
	var wg sync.WaitGroup
	errs := make(chan error, writes)
	wg.Go(func() {
		for i := range writes {
			name := fmt.Sprint("v", i)
			errs <- f.svc.UpdateRoom(f.ctx, admin, app, "r1", roomd.RoomUpdate{Name: &name})
		}
	})
	deleted := 0
	for range writes {
		n, err := f.store.CompactEvents(f.ctx, r, f.clock.Now().Add(time.Hour), 5)
		if err != nil || n > 5 {
			t.Errorf("CompactEvents while writing: got %d deleted, error %v; want at most 5, nil", n, err)
			break
		}
		deleted += n
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		wantCode(t, "UpdateRoom while compacting", err, "")
	}
	n, err := f.store.CompactEvents(f.ctx, r, f.clock.Now().Add(time.Hour), 1000)
	wantCode(t, "final CompactEvents", err, "")
	deleted += n
	seq := f.room("r1").Seq
	if total := int64(2 + writes); seq != total {
		t.Fatalf("Seq after %d writes: got %d, want %d", writes, seq, total)
	}
	got := seqs(f.events("r1"))
	want := []int64{seq - 2, seq - 1, seq}
	wantEqual(t, "seqs kept", got, want)
	if deleted != int(seq)-3 {
		t.Fatalf("deleted in all: got %d, want %d", deleted, seq-3)
	}
}
