package storetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomd/roomd"
)

// concurrencyTests check the domain's invariants after concurrent random
// operations through the Service.
var concurrencyTests = []test{
	{"RandomOperations", testRandomOperations},
	{"InvariantsDetect", testInvariantsDetect},
}

const (
	workers    = 8
	iterations = 300
	nUsers     = 10
)

var (
	roomIDs = []string{"r0", "r1", "r2"}
	userIDs = func() []string {
		ids := make([]string, nUsers)
		for i := range ids {
			ids[i] = fmt.Sprintf("u%d", i)
		}
		return ids
	}()
)

// allowed are the error codes random operations may legitimately get.
var allowed = map[string]bool{"": true, roomd.ENOROOM: true, roomd.ENOTMEMBER: true, roomd.EEXISTS: true,
	roomd.EFORBIDDEN: true, roomd.EOWNERROLE: true, roomd.ENOUSER: true, roomd.ESELF: true}

func testRandomOperations(t *testing.T, f *fixture) {
	f.register(userIDs...)
	for _, id := range roomIDs {
		f.createRoom(id, userIDs[0], userIDs[1:6]...)
	}
	var mu sync.Mutex
	codes := map[string]int{}
	errs := concurrently(workers, func(w int) error {
		rng := rand.New(rand.NewPCG(uint64(w), 42))
		for i := range iterations {
			err := f.randomOperation(rng)
			mu.Lock()
			codes[roomd.ErrorCode(err)]++
			mu.Unlock()
			if !allowed[roomd.ErrorCode(err)] {
				return fmt.Errorf("worker %d, operation %d: %w", w, i, err)
			}
		}
		return nil
	})
	for _, err := range errs {
		if err != nil {
			t.Fatalf("random operation: got error %v, want only codes %v", err, allowed)
		}
	}
	t.Logf("outcomes of %d random operations: %v", workers*iterations, codes)
	if codes[""] < workers*iterations/4 {
		t.Fatalf("successful random operations: got %d of %d, want at least a quarter", codes[""], workers*iterations)
	}
	f.checkInvariants()
}

// randomOperation performs one random change on a random room.
func (f *fixture) randomOperation(rng *rand.Rand) error {
	ctx := f.ctx
	room := roomIDs[rng.IntN(len(roomIDs))]
	pick := func() string { return userIDs[rng.IntN(len(userIDs))] }
	actor := admin
	if rng.IntN(2) == 0 {
		actor = user(pick())
	}
	var err error
	switch op := rng.IntN(9); op {
	case 0, 1:
		from := ""
		if rng.IntN(2) == 0 {
			from = pick()
		}
		err = f.svc.TransferOwner(ctx, actor, app, room, pick(), from)
	case 2:
		_, err = f.svc.RemoveMembers(ctx, actor, app, room, []string{pick(), pick()}, "")
	case 3:
		_, err = f.svc.AddMembers(ctx, actor, app, room, []roomd.MemberAdd{{UserID: pick()}, {UserID: pick(), JoinedAt: t0.Add(time.Duration(rng.IntN(3)))}})
	case 4:
		roles := []roomd.Role{roomd.RoleAdmin, roomd.RoleMember, 150, roomd.RoleOwner}
		err = f.svc.UpdateMember(ctx, actor, app, room, pick(), roomd.MemberUpdate{Role: &roles[rng.IntN(len(roles))]})
	case 5:
		_, err = f.svc.BanMembers(ctx, actor, app, room, []string{pick()}, time.Duration(rng.IntN(2))*time.Hour, "")
	case 6:
		err = f.svc.UnbanMembers(ctx, actor, app, room, []string{pick(), pick()})
	case 7:
		_, _, err = f.svc.CreateRoom(ctx, actor, roomd.Room{AppID: app, ID: room, Owner: pick()}, []string{pick(), pick()})
	case 8:
		// Delete a user and register it again: it leaves every room.
		id := pick()
		if _, err = f.svc.DeleteUsers(ctx, admin, app, []string{id}); err == nil {
			_, err = f.svc.RegisterUsers(ctx, app, []roomd.User{{ID: id, Name: "Name of " + id}}, true)
		}
	}
	return err
}

// checkInvariants checks, for every room id, the rules of Invariants (one
// owner, a member; gapless logs; a dismissed room's log ends with its
// dismissal), and that a live room's members are registered and not banned,
// the publisher got exactly the logged events, and RoomsOfUser agrees with
// Members.
func (f *fixture) checkInvariants() {
	t := f.t
	t.Helper()
	if problems := Invariants(f.ctx, f.svc, app, roomIDs...); len(problems) > 0 {
		t.Fatalf("room invariants broken:\n%s", strings.Join(problems, "\n"))
	}
	published := map[string][]roomd.Event{}
	for _, e := range f.pub.Events() {
		published[e.RoomID] = append(published[e.RoomID], e)
	}
	memberOf := map[string][]string{}
	for _, id := range roomIDs {
		logged := f.events(id)
		pub := published[id]
		sort.Slice(pub, func(i, j int) bool { return pub[i].Seq < pub[j].Seq })
		wantEvents(t, "published events of "+id, pub, logged)
		_, err := f.svc.Room(f.ctx, app, id)
		if roomd.ErrorCode(err) == roomd.ENOROOM {
			continue
		}
		wantCode(t, "Room("+id+")", err, "")
		for _, m := range f.members(id) {
			if !f.hasUser(m.UserID) {
				t.Fatalf("member %s of %s: got unregistered, want registered", m.UserID, id)
			}
			if b := f.ban(id, m.UserID); b != nil && b.Active(f.clock.Now()) {
				t.Fatalf("member %s of %s: got an active ban, want none", m.UserID, id)
			}
			memberOf[m.UserID] = append(memberOf[m.UserID], id)
		}
	}
	for _, u := range userIDs {
		got := read(f, func(tx roomd.Tx) ([]string, error) { return tx.RoomsOfUser(f.ctx, app, u) })
		slices.Sort(got)
		if !slices.Equal(got, memberOf[u]) {
			t.Fatalf("RoomsOfUser(%s): got %v, want %v", u, got, memberOf[u])
		}
	}
}
