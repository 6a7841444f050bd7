package zego_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/roomd/roomd/storetest"
)

// TestConcurrentOwnership hammers a few groups with transfers, kicks,
// invitations and role changes from many goroutines, then checks that every
// live group has exactly one owner, who is a member, and that every group's
// event log has no gaps.
func TestConcurrentOwnership(t *testing.T) {
	const workers, perWorker = 16, 150
	s := MustOpenServer(t)
	userIDs := users("u", 12)
	groups := []string{"c1", "c2", "c3"}
	s.Register(t, appOpen, userIDs...)
	for i, g := range groups {
		s.MustCall(t, appOpen, "CreateGroup", map[string]any{"GroupId": g, "GroupOwner": userIDs[i], "UserId": userIDs})
	}
	// Codes the operations may answer under contention; anything else is a bug.
	allowed := map[int64]bool{0: true, 660600001: true, 660600008: true, 660600024: true, 660600029: true, 660600030: true, 660600032: true}
	var wg sync.WaitGroup
	var mu sync.Mutex
	succeeded := map[string]int{}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			pick := func() string { return userIDs[rng.IntN(len(userIDs))] }
			for range perWorker {
				g := groups[rng.IntN(len(groups))]
				var action string
				var p map[string]any
				switch rng.IntN(4) {
				case 0:
					action, p = "TransferGroupOwner", map[string]any{"FromUserId": pick(), "GroupId": g, "NewOwner": pick()}
				case 1:
					action, p = "KickoutGroupUser", map[string]any{"FromUserId": pick(), "GroupId": g, "UserId": []string{pick()}}
				case 2:
					action, p = "InviteUsersIntoGroup", map[string]any{"FromUserId": pick(), "GroupId": g, "UserIds": []string{pick(), pick()}}
				default:
					action, p = "SetGroupMemberRole", map[string]any{"FromUserId": pick(), "GroupId": g, "ToUserId": pick(), "Role": 2 + rng.IntN(2)}
				}
				r, err := s.TryCall(appOpen, action, p)
				if err != nil {
					t.Errorf("%s: %v", action, err)
					return
				}
				if !allowed[r.Code] {
					t.Errorf("%s %v: got %s, want one of the contention codes", action, p, r.Raw)
					return
				}
				if r.Code == 0 {
					mu.Lock()
					succeeded[action]++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for _, a := range []string{"TransferGroupOwner", "KickoutGroupUser", "InviteUsersIntoGroup", "SetGroupMemberRole"} {
		if succeeded[a] == 0 {
			t.Errorf("no %s succeeded (successes: %v); want every operation exercised", a, succeeded)
		}
	}
	storetest.CheckRooms(t, context.Background(), s.Svc, appOpen, groups...)
	live := 0
	for _, g := range groups {
		t.Run(g, func(t *testing.T) {
			info := s.Call(t, appOpen, "QueryGroupInfo", map[string]any{"FromUserId": userIDs[0], "GroupId": g})
			if info.Code == 660600001 {
				return // dismissed: its last member was kicked
			}
			WantCode(t, info, 0)
			live++
			var owners []string
			for u, role := range memberRoles(t, s, appOpen, g) {
				if role == 1 {
					owners = append(owners, u)
				}
			}
			if len(owners) != 1 || owners[0] != info.GroupOwner {
				t.Fatalf("owners by MemberRole %v, GroupOwner %q; want exactly the GroupOwner", owners, info.GroupOwner)
			}
		})
	}
	t.Logf("%d of %d groups alive after %d operations; successes %v", live, len(groups), workers*perWorker, succeeded)
}
