package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/sqlite"
)

// benchRooms is how many rooms the transfer benchmarks spread over: at least
// one per goroutine of BenchmarkTransferOwner (64 per CPU), so that each
// goroutine alternates the owner of its own room and every transfer is real.
const benchRooms = 256

// transferSetup makes benchRooms rooms, each with members a and b (a owning),
// and returns a Service over a store in a real file. It reports the mean number of Updates per commit.
func transferSetup(b *testing.B) *roomd.Service {
	b.Helper()
	ctx := context.Background()
	var commits, updates atomic.Int64
	db := mustOpen(b, filepath.Join(b.TempDir(), "roomd.db"), sqlite.Options{OnCommit: func(n int, _ time.Duration) {
		commits.Add(1)
		updates.Add(int64(n))
	}})
	b.Cleanup(func() {
		if c := commits.Load(); c > 0 {
			b.ReportMetric(float64(updates.Load())/float64(c), "updates/commit")
		}
	})
	svc := roomd.NewService(db, nil, nil)
	if _, err := svc.RegisterUsers(ctx, 1, []roomd.User{{ID: "a"}, {ID: "b"}}, false); err != nil {
		b.Fatalf("RegisterUsers: %v", err)
	}
	for i := range benchRooms {
		r := roomd.Room{AppID: 1, ID: fmt.Sprintf("room%03d", i), Owner: "a"}
		if _, _, err := svc.CreateRoom(ctx, roomd.Actor{ID: "a"}, r, []string{"b"}); err != nil {
			b.Fatalf("CreateRoom: %v", err)
		}
	}
	return svc
}

// transfer moves room i's ownership to a or b by the parity of n.
// The context is cancelable, as a server request's is.
func transfer(b *testing.B, svc *roomd.Service, i, n int) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	next := []string{"a", "b"}[n%2]
	if err := svc.TransferOwner(ctx, roomd.Actor{ID: "admin", Admin: true}, 1, fmt.Sprintf("room%03d", i%benchRooms), next, ""); err != nil {
		b.Errorf("TransferOwner: %v", err)
	}
}

// BenchmarkTransferOwner transfers ownership from 64 goroutines per CPU at
// once, so group commit batches them.
func BenchmarkTransferOwner(b *testing.B) {
	svc := transferSetup(b)
	var seq atomic.Int64
	b.SetParallelism(64)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		g := int(seq.Add(1))
		for n := 0; pb.Next(); n++ {
			transfer(b, svc, g, n+1)
		}
	})
}

// BenchmarkTransferOwnerWithNonce is BenchmarkTransferOwner as a signed ZEGO
// request does it: it claims a fresh signature nonce first, transfers, and
// waits for the nonce to be durable (by then it already is: it was committed
// with the transfer or before it).
func BenchmarkTransferOwnerWithNonce(b *testing.B) {
	svc := transferSetup(b)
	var seq, nonces atomic.Int64
	b.SetParallelism(64)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		g := int(seq.Add(1))
		for n := 0; pb.Next(); n++ {
			now := time.Now()
			wait, err := svc.UseNonce(context.Background(), 1, strconv.FormatInt(nonces.Add(1), 16), now, now.Add(10*time.Minute))
			if err != nil {
				b.Fatalf("UseNonce: %v", err)
			}
			transfer(b, svc, g, n+1)
			if err := wait(); err != nil {
				b.Fatalf("nonce wait: %v", err)
			}
		}
	})
}

// BenchmarkTransferOwnerSerial transfers ownership from one goroutine: every
// Update is its own commit and fsync.
func BenchmarkTransferOwnerSerial(b *testing.B) {
	svc := transferSetup(b)
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		transfer(b, svc, n, n/benchRooms+1)
	}
}
