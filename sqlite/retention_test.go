package sqlite_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/sqlite"
)

// appendLog writes n events to room with seqs from+1.., the i-th at at(i),
// in Updates of at most 10,000 events.
func appendLog(tb testing.TB, db *sqlite.DB, room string, from int64, n int, at func(i int) time.Time) {
	tb.Helper()
	for start := 0; start < n; start += 10_000 {
		evs := make([]roomd.Event, min(10_000, n-start))
		for j := range evs {
			i := start + j
			evs[j] = roomd.Event{AppID: 1, RoomID: room, Seq: from + int64(i) + 1, Type: roomd.EventRoomUpdated, Actor: "ann",
				Payload: json.RawMessage(`{"name":"a room with a name","owner":"ann"}`), Time: at(i)}
		}
		if err := db.Update(context.Background(), func(tx roomd.Tx) error { return tx.AppendEvents(context.Background(), evs) }); err != nil {
			tb.Fatalf("AppendEvents: got error %v, want nil", err)
		}
	}
}

// TestCompactBigLog compacts a log of 120,000 events (one room of 100,000,
// 1,000 rooms of 20) in chunks of 1,000, while another goroutine keeps
// committing small Updates, and logs what a chunk costs: the time of a
// CompactEvents call and the longest an Update waited meanwhile.
func TestCompactBigLog(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 120,000 events")
	}
	ctx := context.Background()
	db := mustOpen(t, filepath.Join(t.TempDir(), "roomd.db"), sqlite.Options{})
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const bigN, smallRooms, smallN = 100_000, 1000, 20
	start := time.Now()
	appendLog(t, db, "big", 0, bigN, func(i int) time.Time { return base.Add(time.Duration(i) * time.Second) })
	for r := range smallRooms {
		appendLog(t, db, fmt.Sprintf("small%04d", r), 0, smallN, func(i int) time.Time { return base.Add(time.Duration(i) * time.Minute) })
	}
	t.Logf("wrote %d events in %v", bigN+smallRooms*smallN, time.Since(start))

	// Old: everything before the big room's last 5,000 events.
	now := base.Add((bigN - 1) * time.Second)
	r := roomd.Retention{MaxAge: 5000 * time.Second, MinEvents: 10}
	wantDeleted := bigN - 5000 + smallRooms*(smallN-r.MinEvents)

	// A probe commits small Updates back to back while compaction runs.
	probeCtx, stopProbe := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var waits []time.Duration
	wg.Go(func() {
		for probeCtx.Err() == nil {
			t0 := time.Now()
			if err := db.Update(ctx, func(roomd.Tx) error { return nil }); err != nil {
				t.Errorf("probe Update: got error %v, want nil", err)
				return
			}
			waits = append(waits, time.Since(t0))
		}
	})
	var took []time.Duration
	deleted := 0
	for range wantDeleted/roomd.CompactChunk + 2 {
		t0 := time.Now()
		n, err := db.CompactEvents(ctx, r, now, roomd.CompactChunk)
		took = append(took, time.Since(t0))
		if err != nil {
			t.Fatalf("CompactEvents: got error %v, want nil", err)
		}
		deleted += n
		if n < roomd.CompactChunk {
			break
		}
	}
	stopProbe()
	wg.Wait()
	if deleted != wantDeleted {
		t.Fatalf("deleted: got %d, want %d", deleted, wantDeleted)
	}
	slices.Sort(took)
	slices.Sort(waits)
	var sum time.Duration
	for _, d := range took {
		sum += d
	}
	t.Logf("deleted %d events in %d chunks of %d: a chunk took %v on average, median %v, max %v; probe Updates: %d, median wait %v, max %v",
		deleted, len(took), roomd.CompactChunk, sum/time.Duration(len(took)), took[len(took)/2], took[len(took)-1],
		len(waits), waits[len(waits)/2], waits[len(waits)-1])

	var big []roomd.Event
	err := db.View(ctx, func(tx roomd.Tx) error {
		var err error
		big, err = tx.Events(ctx, 1, "big", 0, bigN)
		return err
	})
	if err != nil || len(big) != 5000 || big[0].Seq != bigN-4999 || big[len(big)-1].Seq != bigN {
		t.Fatalf("big room after compaction: got %d events (error %v), want seqs %d..%d", len(big), err, bigN-4999, bigN)
	}
}
