package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/sqlite"
	"github.com/roomd/roomd/storetest"
)

var errRollback = errors.New("roll this update back")

// snapshot reads users, rooms and memberships through tx.
func snapshot(t *testing.T, tx roomd.Tx, users, rooms []string) map[string]any {
	t.Helper()
	ctx := context.Background()
	out := map[string]any{}
	for _, u := range users {
		v, err := tx.User(ctx, 1, u)
		out["user "+u] = fmt.Sprint(v, roomd.ErrorCode(err))
	}
	for _, r := range rooms {
		v, err := tx.Room(ctx, 1, r)
		out["room "+r] = fmt.Sprint(v, roomd.ErrorCode(err))
		for _, u := range users {
			m, err := tx.Member(ctx, 1, r, u)
			out["member "+r+"/"+u] = fmt.Sprint(m, roomd.ErrorCode(err))
		}
	}
	return out
}

// checkCacheAgrees compares what an Update reads (through the writer's
// cache) with what a View reads (from SQLite).
func checkCacheAgrees(t *testing.T, db *sqlite.DB, users, rooms []string) {
	t.Helper()
	var fromWriter, fromReader map[string]any
	if err := db.Update(context.Background(), func(tx roomd.Tx) error {
		fromWriter = snapshot(t, tx, users, rooms)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.View(context.Background(), func(tx roomd.Tx) error {
		fromReader = snapshot(t, tx, users, rooms)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for k, want := range fromReader {
		if got := fromWriter[k]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: writer (cache) read %v, want %v (SQLite)", k, got, want)
		}
	}
}

// TestWriterCacheRollback: what a failed update wrote, and what it read
// after writing, is gone from the cache as it is from SQLite, both for a
// batch rolled back whole and for one update rolled back to its savepoint.
func TestWriterCacheRollback(t *testing.T) {
	db := MustOpenStore(t)
	ctx := context.Background()
	svc := roomd.NewService(db, nil, nil)
	if _, err := svc.RegisterUsers(ctx, 1, []roomd.User{{ID: "ann", Name: "Ann"}, {ID: "bob", Name: "Bob"}}, false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.CreateRoom(ctx, roomd.Actor{ID: "ann"}, roomd.Room{AppID: 1, ID: "r", Owner: "ann"}, []string{"bob"}); err != nil {
		t.Fatal(err)
	}
	users, rooms := []string{"ann", "bob", "cat"}, []string{"r"}
	checkCacheAgrees(t, db, users, rooms) // fills the cache
	failing := func(tx roomd.Tx) error {
		_ = tx.PutUser(ctx, &roomd.User{AppID: 1, ID: "ann", Name: "Changed"})
		_ = tx.PutUser(ctx, &roomd.User{AppID: 1, ID: "cat", Name: "Cat"})
		_ = tx.SetOwner(ctx, 1, "r", "ann", "bob")
		_ = tx.DeleteMember(ctx, 1, "r", "ann")
		_, _ = tx.Member(ctx, 1, "r", "bob") // read back: fills the cache with what is rolled back
		_, _ = tx.User(ctx, 1, "cat")
		return errRollback
	}
	t.Run("Alone", func(t *testing.T) {
		if err := db.Update(ctx, failing); !errors.Is(err, errRollback) {
			t.Fatalf("got %v, want the update's error", err)
		}
		checkCacheAgrees(t, db, users, rooms)
	})
	t.Run("InBatch", func(t *testing.T) {
		release := blocked(t, db)
		wait := enqueue(t, db, putUser("dan"), failing, putUser("eve"))
		release()
		if errs := wait(); errs[0] != nil || !errors.Is(errs[1], errRollback) || errs[2] != nil {
			t.Fatalf("got %v, want nil, the update's error, nil", errs)
		}
		checkCacheAgrees(t, db, append(users, "dan", "eve"), rooms)
	})
}

// TestWriterCacheAgreesAfterLoad runs random membership and ownership
// changes, many of them failing, from several goroutines, then compares
// every entity as the writer sees it with SQLite.
func TestWriterCacheAgreesAfterLoad(t *testing.T) {
	db := MustOpenStore(t)
	ctx := context.Background()
	svc := roomd.NewService(db, nil, nil)
	var users []string
	var regs []roomd.User
	for i := range 8 {
		users = append(users, fmt.Sprintf("u%d", i))
		regs = append(regs, roomd.User{ID: users[i], Name: "n" + users[i]})
	}
	if _, err := svc.RegisterUsers(ctx, 1, regs, false); err != nil {
		t.Fatal(err)
	}
	rooms := []string{"a", "b", "c"}
	for _, r := range rooms {
		if _, _, err := svc.CreateRoom(ctx, roomd.Actor{Admin: true}, roomd.Room{AppID: 1, ID: r, Owner: users[0]}, users[1:]); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			pick := func(s []string) string { return s[rng.IntN(len(s))] }
			admin := roomd.Actor{Admin: true}
			for range 200 {
				room, u := pick(rooms), pick(users)
				switch rng.IntN(7) {
				case 0:
					_ = svc.TransferOwner(ctx, roomd.Actor{ID: pick(users)}, 1, room, u, "")
				case 1:
					_, _ = svc.RemoveMembers(ctx, admin, 1, room, []string{u}, "")
				case 2:
					_, _ = svc.AddMembers(ctx, admin, 1, room, []roomd.MemberAdd{{UserID: u}, {UserID: "ghost"}})
				case 3:
					role := roomd.Role(2 + rng.IntN(2))
					_ = svc.UpdateMember(ctx, roomd.Actor{ID: pick(users)}, 1, room, u, roomd.MemberUpdate{Role: &role})
				case 4:
					_, _ = svc.BanMembers(ctx, admin, 1, room, []string{u}, time.Millisecond, "")
				case 5:
					_, _ = svc.RegisterUsers(ctx, 1, []roomd.User{{ID: u, Name: fmt.Sprint("n", rng.IntN(3))}}, true)
				case 6:
					if _, _, err := svc.CreateRoom(ctx, admin, roomd.Room{AppID: 1, ID: room, Owner: u}, users); err != nil && roomd.ErrorCode(err) != roomd.EEXISTS {
						t.Errorf("CreateRoom: %v", err)
					}
				}
			}
		})
	}
	wg.Wait()
	checkCacheAgrees(t, db, append(users, "ghost"), rooms)
	storetest.CheckRooms(t, ctx, svc, 1, rooms...)
}
