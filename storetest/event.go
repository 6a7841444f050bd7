package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/roomd/roomd"
)

// eventTests check the event log the Service writes and what it publishes.
var eventTests = []test{
	{"SeqsWithoutGaps", testSeqsWithoutGaps},
	{"SeqsAcrossRecreate", testSeqsAcrossRecreate},
	{"PublishAfterCommit", testPublishAfterCommit},
	{"FailedUpdatePublishesNothing", testFailedUpdatePublishesNothing},
}

// wantSeqs fails the test unless the events have seqs 1..n in order.
func wantSeqs(tb testing.TB, what string, evs []roomd.Event, n int64) {
	tb.Helper()
	if int64(len(evs)) != n {
		tb.Fatalf("%s: got %d events, want %d", what, len(evs), n)
	}
	for i, e := range evs {
		if e.Seq != int64(i+1) {
			tb.Fatalf("%s: event %d has Seq %d, want %d", what, i, e.Seq, i+1)
		}
	}
}

// churn runs one of each kind of change on room r1, owned by ann with
// members bob and cid.
func (f *fixture) churn() {
	f.t.Helper()
	name := "renamed"
	steps := []error{
		f.svc.TransferOwner(f.ctx, admin, app, "r1", "bob", ""),
		f.svc.UpdateMember(f.ctx, user("bob"), app, "r1", "cid", roomd.MemberUpdate{Role: rolePtr(roomd.RoleAdmin)}),
		f.svc.UpdateRoom(f.ctx, admin, app, "r1", roomd.RoomUpdate{Name: &name}),
	}
	_, err := f.svc.BanMembers(f.ctx, admin, app, "r1", []string{"cid"}, time.Minute, "")
	steps = append(steps, err, f.svc.UnbanMembers(f.ctx, admin, app, "r1", []string{"cid"}))
	_, err = f.svc.RemoveMembers(f.ctx, admin, app, "r1", []string{"bob"}, "")
	steps = append(steps, err)
	for i, err := range steps {
		wantCode(f.t, fmt.Sprintf("churn step %d", i), err, "")
	}
}

func testSeqsWithoutGaps(t *testing.T, f *fixture) {
	f.register("ann", "bob", "cid")
	f.createRoom("r1", "ann", "bob", "cid")
	f.churn()
	r := f.room("r1")
	// 4 (create) + transfer + role + update + ban, left + unban + left, owner = 12
	if r.Seq != 12 {
		t.Fatalf("Seq after churn: got %d, want 12", r.Seq)
	}
	wantSeqs(t, "events of r1", f.events("r1"), r.Seq)
	wantEvents(t, "published events", f.pub.Events(), f.events("r1"))
}

func testSeqsAcrossRecreate(t *testing.T, f *fixture) {
	f.register("ann", "bob")
	f.createRoom("r1", "ann", "bob")
	wantCode(t, "DismissRoom", f.svc.DismissRoom(f.ctx, admin, app, "r1"), "")
	r := f.createRoom("r1", "bob")
	// 3 (create) + dismissed + 2 (create)
	if r.Seq != 6 {
		t.Fatalf("Seq of the re-created room: got %d, want 6", r.Seq)
	}
	evs := f.events("r1")
	wantSeqs(t, "events of r1", evs, 6)
	if evs[3].Type != roomd.EventRoomDismissed || evs[4].Type != roomd.EventRoomCreated {
		t.Fatalf("events 4 and 5: got %s, %s; want %s, %s", evs[3].Type, evs[4].Type, roomd.EventRoomDismissed, roomd.EventRoomCreated)
	}
	wantCode(t, "DismissRoom again", f.svc.DismissRoom(f.ctx, admin, app, "r1"), "")
	wantSeqs(t, "events of r1 after second dismissal", f.events("r1"), 7)
}

func testPublishAfterCommit(t *testing.T, f *fixture) {
	f.register("ann", "bob", "cid")
	var missing []int64
	f.pub.check = func(events []roomd.Event) {
		// A View in Publish sees the events only if their transaction committed.
		last := events[len(events)-1]
		var logged []roomd.Event
		err := f.store.View(context.Background(), func(tx roomd.Tx) error {
			var err error
			logged, err = tx.Events(context.Background(), last.AppID, last.RoomID, last.Seq-1, 1)
			return err
		})
		if err != nil || len(logged) != 1 {
			missing = append(missing, last.Seq)
		}
	}
	f.createRoom("r1", "ann", "bob", "cid")
	f.churn()
	if len(missing) > 0 {
		t.Fatalf("events published before commit: got seqs %v not in the log, want none", missing)
	}
	wantSeqs(t, "published events", f.pub.Events(), 12)
}

func testFailedUpdatePublishesNothing(t *testing.T, f *fixture) {
	f.register("ann", "bob")
	f.createRoom("r1", "ann", "bob")
	before := f.pub.Events()
	long := string(make([]byte, roomd.MaxNameLen+1))
	failures := []error{
		f.svc.TransferOwner(f.ctx, admin, app, "r1", "zoe", ""),
		f.svc.UpdateRoom(f.ctx, admin, app, "r1", roomd.RoomUpdate{Name: &long}),
		f.svc.UpdateMember(f.ctx, admin, app, "r1", "bob", roomd.MemberUpdate{NameCard: &long}),
		f.svc.DismissRoom(f.ctx, user("zoe"), app, "r1"),
	}
	for i, err := range failures {
		if err == nil {
			t.Fatalf("failing update %d: got nil error, want one", i)
		}
	}
	wantEvents(t, "published events", f.pub.Events(), before)
	wantSeqs(t, "logged events", f.events("r1"), int64(len(before)))
}
