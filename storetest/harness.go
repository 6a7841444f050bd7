package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/roomd/roomd"
)

// This file is the test harness every package shares: one fake clock and
// one checker of the room invariants. Tests outside storetest use them too
// (the dialects', the gateway's, the webhooks', the command's), so that
// there is one definition of each.

// Clock is a roomd.Clock a test moves by hand; it is safe for concurrent
// use. The zero Clock stands at the zero time: start it with NewClock or Set.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock standing at t.
func NewClock(t time.Time) *Clock {
	c := &Clock{}
	c.Set(t)
	return c
}

// Now returns the clock's time. Pass the method value (c.Now) where a
// roomd.Clock is wanted.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set puts the clock at t, without t's monotonic reading (so that a clock
// set from time.Now compares and prints like any other time).
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t.Round(0)
}

// Advance moves the clock by d (back when d is negative).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// invariantPage is how many members or events Invariants reads at a time.
const invariantPage = 1000

// Invariants checks the rules that hold for every room at rest, reading
// each of rooms (ids of app) through svc, and returns what is wrong, one
// sentence per problem (none when every rule holds):
//
//   - a live room has exactly one member with RoleOwner, and that member is
//     room.Owner: the owner is a member, and there are never two owners;
//   - a room's event log, live or dismissed, has the seqs 1..n without a
//     gap or a repeat, and a live room's Seq is n;
//   - the last event of a room that is not live, if it has any, is
//     room.dismissed.
//
// Run it when no change is in flight: the reads are separate transactions.
// The log must not have been compacted (compaction removes its start).
func Invariants(ctx context.Context, svc *roomd.Service, app uint32, rooms ...string) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	for _, id := range rooms {
		room, err := svc.Room(ctx, app, id)
		live := err == nil
		if err != nil && roomd.ErrorCode(err) != roomd.ENOROOM {
			add("room %s: %v", id, err)
			continue
		}
		if live {
			owners, err := roomOwners(ctx, svc, app, id)
			if err != nil {
				add("room %s: members: %v", id, err)
				continue
			}
			if len(owners) != 1 || owners[0] != room.Owner {
				add("room %s: got members %v with RoleOwner and room owner %q, want exactly the room owner", id, owners, room.Owner)
			}
		}
		var last roomd.Event
		for {
			events, err := svc.Events(ctx, app, id, last.Seq, invariantPage)
			if err != nil {
				add("room %s: events: %v", id, err)
				break
			}
			for _, e := range events {
				if e.Seq != last.Seq+1 {
					add("room %s: got event seq %d after %d, want %d (no gaps)", id, e.Seq, last.Seq, last.Seq+1)
				}
				last = e
			}
			if len(events) < invariantPage {
				break
			}
		}
		switch {
		case live && last.Seq != room.Seq:
			add("room %s: got last event seq %d, want the room's seq %d", id, last.Seq, room.Seq)
		case !live && last.Seq > 0 && last.Type != roomd.EventRoomDismissed:
			add("room %s: not live, but its last event is %s, want %s", id, last.Type, roomd.EventRoomDismissed)
		}
	}
	return problems
}

// roomOwners returns the members of a room that have RoleOwner.
func roomOwners(ctx context.Context, svc *roomd.Service, app uint32, room string) ([]string, error) {
	var owners []string
	for offset := 0; ; offset += invariantPage {
		members, total, err := svc.Members(ctx, app, room, offset, invariantPage)
		if err != nil {
			return nil, err
		}
		for _, m := range members {
			if m.Role == roomd.RoleOwner {
				owners = append(owners, m.UserID)
			}
		}
		if len(members) == 0 || offset+len(members) >= total {
			return owners, nil
		}
	}
}

// CheckRooms reports each problem Invariants finds in rooms with tb.Errorf.
func CheckRooms(tb testing.TB, ctx context.Context, svc *roomd.Service, app uint32, rooms ...string) {
	tb.Helper()
	for _, p := range Invariants(ctx, svc, app, rooms...) {
		tb.Error(p)
	}
}

// testInvariantsDetect breaks a room's rules behind the Service's back and
// checks that Invariants says so: a checker that never fails checks nothing.
func testInvariantsDetect(t *testing.T, f *fixture) {
	f.register("ann", "bob")
	f.createRoom("r1", "ann", "bob")
	wantProblems := func(what string, n int) {
		t.Helper()
		if got := Invariants(f.ctx, f.svc, app, "r1", "never-created"); len(got) != n {
			t.Fatalf("%s: got problems %q, want %d", what, got, n)
		}
	}
	wantProblems("a sound room", 0)
	setRole := func(user string, role roomd.Role) {
		t.Helper()
		f.update(func(tx roomd.Tx) error {
			m, err := tx.Member(f.ctx, app, "r1", user)
			if err != nil {
				return err
			}
			m.Role = role
			return tx.PutMember(f.ctx, m)
		})
	}
	setRole("bob", roomd.RoleOwner)
	wantProblems("two owners", 1)
	setRole("bob", roomd.RoleMember)
	setRole("ann", roomd.RoleMember)
	wantProblems("no owner", 1)
	setRole("ann", roomd.RoleOwner)
	wantProblems("repaired", 0)
	f.update(func(tx roomd.Tx) error {
		r, err := tx.Room(f.ctx, app, "r1")
		if err != nil {
			return err
		}
		return tx.AppendEvents(f.ctx, []roomd.Event{{AppID: app, RoomID: "r1", Seq: r.Seq + 2, Type: roomd.EventRoomUpdated,
			Actor: "ann", Payload: []byte(`{}`), Time: t0}})
	})
	wantProblems("a gap in the log", 1)
}
