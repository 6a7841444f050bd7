// Package storetest is the conformance suite of roomd.Store: every store
// implementation runs it from its tests with
//
//	storetest.Run(t, func(tb testing.TB) roomd.Store { return MustOpenStore(tb) })
//
// It checks each Tx method's contract, the isolation of concurrent Updates,
// the domain's rules through roomd.Service, the event log and publishing,
// the ownership invariants under concurrent random operations, the
// replay refusal of signature nonces, what callbacks are delivered from
// (each app's log in commit order, delivery cursors, past members), and
// mutes, whose expiry is read against the clock (mute.go), and the
// console's searches and pages by key (search.go). Each subtest gets a
// fresh store from open, and may open a second one with it: the Dump
// group (dump.go) moves a whole store into another with Export and Import.
//
// It also holds the harness every package's tests share (harness.go): the
// fake Clock and the checker of the room invariants (Invariants,
// CheckRooms).
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/roomd/roomd"
)

// app is the app id the suite works in; otherApp checks that apps are apart.
const (
	app      uint32 = 7
	otherApp uint32 = 8
)

// t0 is the suite's starting time; it has nanoseconds to check they survive.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)

// test is one case of the suite.
type test struct {
	name string
	fn   func(t *testing.T, f *fixture)
}

// Run runs the conformance suite against stores made by open; each subtest opens its own fresh store.
func Run(t *testing.T, open func(tb testing.TB) roomd.Store) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Tx", txTests},
		{"Isolation", isolationTests},
		{"Service", serviceTests},
		{"Events", eventTests},
		{"Concurrency", concurrencyTests},
		{"Nonces", nonceTests},
		{"Retention", retentionTests},
		{"Feed", feedTests},
		{"Hooks", hookTests},
		{"Mutes", muteTests},
		{"Seats", seatTests},
		{"Users", userTests},
		{"Dump", dumpTests},
		{"Search", searchTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, c := range g.tests {
				t.Run(c.name, func(t *testing.T) { c.fn(t, newFixture(t, open)) })
			}
		})
	}
}

// fixture is a fresh store with a Service over it, a settable clock and a
// publisher that records what it receives.
type fixture struct {
	t     *testing.T
	ctx   context.Context
	store roomd.Store
	svc   *roomd.Service
	clock *Clock
	pub   *Recorder
	// open makes another fresh store, as the suite's subtests get: a test
	// that moves data between stores (dump.go) opens its second with it.
	open func(tb testing.TB) roomd.Store
}

func newFixture(t *testing.T, open func(tb testing.TB) roomd.Store) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: context.Background(), store: open(t), clock: NewClock(t0), open: open}
	f.pub = &Recorder{}
	f.svc = roomd.NewService(f.store, f.pub, f.clock.Now)
	return f
}

// Recorder is a roomd.Publisher that keeps every event it receives; for
// tests of anything that publishes.
type Recorder struct {
	mu     sync.Mutex
	events []roomd.Event
	// check, when set, is called on each batch first.
	check func(events []roomd.Event)
}

// Publish records events.
func (r *Recorder) Publish(_ context.Context, events []roomd.Event) {
	if r.check != nil {
		r.check(events)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, events...)
}

// Events returns a copy of the events received so far.
func (r *Recorder) Events() []roomd.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// update runs fn in an Update and fails the test on error.
func (f *fixture) update(fn func(tx roomd.Tx) error) {
	f.t.Helper()
	if err := f.store.Update(f.ctx, fn); err != nil {
		f.t.Fatalf("Update: got error %v, want nil", err)
	}
}

// view runs fn in a View and fails the test on error.
func (f *fixture) view(fn func(tx roomd.Tx) error) {
	f.t.Helper()
	if err := f.store.View(f.ctx, fn); err != nil {
		f.t.Fatalf("View: got error %v, want nil", err)
	}
}

// read runs get in a View and returns its result, failing the test on error.
func read[T any](f *fixture, get func(tx roomd.Tx) (T, error)) T {
	f.t.Helper()
	var v T
	f.view(func(tx roomd.Tx) error {
		var err error
		v, err = get(tx)
		return err
	})
	return v
}

// register registers users with names "Name of <id>".
func (f *fixture) register(ids ...string) {
	f.t.Helper()
	users := make([]roomd.User, len(ids))
	for i, id := range ids {
		users[i] = roomd.User{ID: id, Name: "Name of " + id}
	}
	items, err := f.svc.RegisterUsers(f.ctx, app, users, false)
	if err != nil || len(items) > 0 {
		f.t.Fatalf("RegisterUsers(%v): got items %v, error %v; want none", ids, items, err)
	}
}

// createRoom creates room id owned by owner with members, all registered first.
func (f *fixture) createRoom(id, owner string, members ...string) *roomd.Room {
	f.t.Helper()
	r, items, err := f.svc.CreateRoom(f.ctx, admin, roomd.Room{AppID: app, ID: id, Name: "room " + id, Owner: owner}, members)
	if err != nil || len(items) > 0 {
		f.t.Fatalf("CreateRoom(%q): got items %v, error %v; want none", id, items, err)
	}
	return r
}

// admin is an administrator actor, who need not be registered.
var admin = roomd.Actor{ID: "administrator", Admin: true}

// user is a non-admin actor.
func user(id string) roomd.Actor { return roomd.Actor{ID: id} }

// room reads a live room through the Service, failing the test on error.
func (f *fixture) room(id string) *roomd.Room {
	f.t.Helper()
	r, err := f.svc.Room(f.ctx, app, id)
	if err != nil {
		f.t.Fatalf("Room(%q): got error %v, want nil", id, err)
	}
	return r
}

// members returns the members of a room in order, failing the test on error.
func (f *fixture) members(room string) []*roomd.Member {
	f.t.Helper()
	return read(f, func(tx roomd.Tx) ([]*roomd.Member, error) {
		ms, _, err := tx.Members(f.ctx, app, room, 0, 1000)
		return ms, err
	})
}

// roles returns user id -> role of a room's members.
func (f *fixture) roles(room string) map[string]roomd.Role {
	f.t.Helper()
	out := map[string]roomd.Role{}
	for _, m := range f.members(room) {
		out[m.UserID] = m.Role
	}
	return out
}

// events returns the whole event log of a room.
func (f *fixture) events(room string) []roomd.Event {
	f.t.Helper()
	return read(f, func(tx roomd.Tx) ([]roomd.Event, error) { return tx.Events(f.ctx, app, room, 0, 1<<20) })
}

// wantCode fails the test unless err has the domain code want ("" for nil).
func wantCode(tb testing.TB, what string, err error, want string) {
	tb.Helper()
	if got := roomd.ErrorCode(err); got != want {
		tb.Fatalf("%s: got error code %q (%v), want %q", what, got, err, want)
	}
}

// wantItems fails the test unless items has exactly the codes want, by id.
func wantItems(tb testing.TB, what string, items []roomd.ItemError, err error, want map[string]string) {
	tb.Helper()
	wantCode(tb, what, err, "")
	got := map[string]string{}
	for _, it := range items {
		got[it.ID] = it.Code
	}
	if len(got) != len(want) || len(items) != len(want) {
		tb.Fatalf("%s: got items %v, want %v", what, items, want)
	}
	for id, code := range want {
		if got[id] != code {
			tb.Fatalf("%s: got items %v, want %v", what, items, want)
		}
	}
}

// wantEqual fails the test unless got and want have the same JSON encoding.
func wantEqual(tb testing.TB, what string, got, want any) {
	tb.Helper()
	g, err1 := json.Marshal(got)
	w, err2 := json.Marshal(want)
	if err := errors.Join(err1, err2); err != nil {
		tb.Fatalf("%s: marshal: %v", what, err)
	}
	if string(g) != string(w) {
		tb.Fatalf("%s:\n got %s\nwant %s", what, g, w)
	}
}
