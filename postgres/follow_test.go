package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/postgres"
	"github.com/roomd/roomd/storetest"
)

// MustFollow runs db.Follow into a Recorder until the test ends.
func MustFollow(tb testing.TB, db *postgres.DB) *storetest.Recorder {
	tb.Helper()
	rec := &storetest.Recorder{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = db.Follow(ctx, rec)
	}()
	tb.Cleanup(func() { cancel(); <-done })
	return rec
}

// waitEvents waits, up to 10 s, until rec has n events.
func waitEvents(tb testing.TB, rec *storetest.Recorder, n int) []roomd.Event {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		evs := rec.Events()
		if len(evs) >= n {
			return evs
		}
		if time.Now().After(deadline) {
			tb.Fatalf("events followed after 10 s: got %d, want %d", len(evs), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestFollowAcrossNodes: writers on two nodes, a follower on a third:
// the follower gets every event once, in the app's log order, each room's
// in seq order without a gap; after its listening connection is cut, it
// reconnects and catches up on what was committed meanwhile.
func TestFollowAcrossNodes(t *testing.T) {
	dsn := freshSchema(t)
	mustMigrate(t, dsn)
	a, b, c := mustOpen(t, dsn), mustOpen(t, dsn), mustOpen(t, dsn)
	ctx := context.Background()
	clock := storetest.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC))
	svcs := []*roomd.Service{roomd.NewService(a, nil, clock.Now), roomd.NewService(b, nil, clock.Now)}
	if _, err := svcs[0].RegisterUsers(ctx, 1, []roomd.User{{ID: "u0"}, {ID: "u1"}, {ID: "u2"}}, false); err != nil {
		t.Fatal(err)
	}
	rec := MustFollow(t, c)
	time.Sleep(200 * time.Millisecond) // the follower listens
	const rooms, writes = 4, 15
	write := func(round int) {
		var wg sync.WaitGroup
		for r := range rooms {
			wg.Go(func() {
				room := fmt.Sprintf("r%d", r)
				svc := svcs[r%2]
				if round == 0 {
					if _, _, err := svc.CreateRoom(ctx, roomd.Actor{Admin: true}, roomd.Room{AppID: 1, ID: room, Owner: "u0"}, []string{"u1", "u2"}); err != nil {
						t.Errorf("CreateRoom %s: %v", room, err)
						return
					}
				}
				for i := range writes {
					if err := svcs[(r+i)%2].TransferOwner(ctx, roomd.Actor{Admin: true}, 1, room, fmt.Sprintf("u%d", (i+1)%3), ""); err != nil {
						t.Errorf("TransferOwner %s: %v", room, err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	write(0)
	perRoom := 4 + writes // room.created, 3 member.joined, the transfers (one a no-op? no: each moves)
	checkFollowed(t, waitEvents(t, rec, rooms*perRoom), rooms*perRoom)

	// Cut the follower's connection: it reconnects and catches up.
	conn := mustConnect(t, dsn)
	var cut int
	if err := conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = 'roomd follow ' || current_setting('search_path')`).Scan(&cut); err != nil || cut != 1 {
		t.Fatalf("cutting the follower's connection: got %d cut, %v; want 1, nil", cut, err)
	}
	write(1)
	checkFollowed(t, waitEvents(t, rec, 2*rooms*perRoom-rooms*4), 2*rooms*perRoom-rooms*4)
}

// checkFollowed fails the test unless evs are want events of app 1 with
// positions 1..want, each room's seqs 1, 2, 3... in order.
func checkFollowed(tb testing.TB, evs []roomd.Event, want int) {
	tb.Helper()
	if len(evs) != want {
		tb.Fatalf("events followed: got %d, want %d", len(evs), want)
	}
	last := map[string]int64{}
	for i, e := range evs {
		if e.Pos != int64(i+1) {
			tb.Fatalf("event %d (%s/%d): got pos %d, want %d", i, e.RoomID, e.Seq, e.Pos, i+1)
		}
		if e.Seq != last[e.RoomID]+1 {
			tb.Fatalf("room %s: seq %d followed seq %d", e.RoomID, e.Seq, last[e.RoomID])
		}
		last[e.RoomID] = e.Seq
	}
}
