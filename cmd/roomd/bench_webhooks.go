package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/roomd/roomd"
)

const benchWebhooksUsage = `usage: roomd bench webhooks [flags]

measures callback (webhook) delivery over a fresh in-process roomd with a
SQLite store, to a receiver on 127.0.0.1 that answers at once:

  throughput  --backlog ownership transfers are committed while the
              dispatcher is stopped, then it is started: ZEGO-style
              callbacks delivered per second, one app
  latency     transfers at --rate per second for --duration, spread over
              --rooms rooms: the time from a transfer's acknowledgement
              to its callback's arrival, p50 and p99 (target p99 ≤ 100 ms)
`

// targetHookP99 is issue 8's latency target at 500 changes per second.
const targetHookP99 = 100 * time.Millisecond

// hookBench is one `roomd bench webhooks` run.
type hookBench struct {
	backlog  int
	rate     int
	duration time.Duration
	rooms    int
	out      io.Writer

	n     *node
	owner []int   // current owner index of each room, per its driver
	seq   []int64 // last seq of each room, per its driver
	// acked holds, per "room/seq", when the transfer that wrote it returned.
	mu      sync.Mutex
	acked   map[string]time.Time
	arrived map[string]time.Time
	dups    int
	count   atomic.Int64 // distinct callbacks of the current phase
	all     atomic.Int64 // distinct callbacks of the whole run
}

func runBenchWebhooks(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench webhooks", flag.ContinueOnError)
	b := &hookBench{out: stdout}
	fs.IntVar(&b.backlog, "backlog", 20000, "transfers committed before delivery starts (throughput)")
	fs.IntVar(&b.rate, "rate", 500, "transfers per second (latency)")
	fs.DurationVar(&b.duration, "duration", 10*time.Second, "how long transfers are made at --rate (latency)")
	fs.IntVar(&b.rooms, "rooms", 16, "rooms the transfers are spread over")
	if err := parseFlags(fs, benchWebhooksUsage, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("bench webhooks: unexpected argument %q", fs.Arg(0))
	}
	if b.backlog < 1 || b.backlog > 1_000_000 || b.rate < 1 || b.rate > 100_000 || b.duration <= 0 || b.duration > time.Hour || b.rooms < 1 || b.rooms > 10_000 {
		return usagef("bench webhooks: need 1 ≤ backlog ≤ 1e6, 1 ≤ rate ≤ 1e5, 0 < duration ≤ 1h, 1 ≤ rooms ≤ 1e4")
	}
	b.acked, b.arrived = map[string]time.Time{}, map[string]time.Time{}
	rcv := httptest.NewServer(http.HandlerFunc(b.receive))
	defer rcv.Close()
	dir, err := os.MkdirTemp("", "roomd-bench-webhooks-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	const app = 1400000001
	cfg := &Config{Store: "sqlite:" + filepath.Join(dir, "roomd.db"), Apps: []AppConfig{{
		ID: app, Secret: "bench-secret", Admins: []string{"administrator"}, RateLimits: Switch{Off: true},
		CallbackURL: rcv.URL + "/callbacks", CallbackSecret: "bench-callback-secret",
	}}}
	self := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} // no listener: nothing to refuse
	if b.n, err = build(cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)), self); err != nil {
		return err
	}
	defer b.n.close()
	if err := startHooks(ctx, b.n.svc, cfg.zegoHooks()); err != nil {
		return err
	}
	if err := b.seed(ctx, app); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "roomd bench webhooks: ZEGO-style callbacks of one app to a receiver on 127.0.0.1, SQLite store in %s\n", dir)
	if err := b.throughput(ctx, app); err != nil {
		return err
	}
	return b.latency(ctx, app)
}

// receive is the receiver: it notes when each delivery first arrived.
func (b *hookBench) receive(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	now := time.Now()
	id := r.Header.Get("X-Roomd-Delivery")
	b.mu.Lock()
	if _, dup := b.arrived[id]; dup {
		b.dups++
	} else {
		b.arrived[id] = now
		b.count.Add(1)
		b.all.Add(1)
	}
	b.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// seed registers two users per room and creates the rooms, the first
// user owning each.
func (b *hookBench) seed(ctx context.Context, app uint32) error {
	admin := roomd.Actor{ID: "administrator", Admin: true}
	users := make([]roomd.User, 0, 2*b.rooms)
	for r := range b.rooms {
		users = append(users, roomd.User{ID: benchUser(r, 0)}, roomd.User{ID: benchUser(r, 1)})
	}
	for chunk := range slices.Chunk(users, roomd.MaxBatch) {
		if _, err := b.n.svc.RegisterUsers(ctx, app, chunk, false); err != nil {
			return err
		}
	}
	b.owner, b.seq = make([]int, b.rooms), make([]int64, b.rooms)
	for r := range b.rooms {
		b.seq[r] = 3 // room.created and two member.joined
		room := roomd.Room{AppID: app, ID: "room-" + strconv.Itoa(r), Owner: benchUser(r, 0)}
		if _, _, err := b.n.svc.CreateRoom(ctx, admin, room, []string{benchUser(r, 1)}); err != nil {
			return err
		}
	}
	return nil
}

func benchUser(room, i int) string { return fmt.Sprintf("u%d-%d", room, i) }

// transfer moves room r's ownership to its other member and notes when it
// was acknowledged. Only room r's driver calls it for r.
func (b *hookBench) transfer(ctx context.Context, app uint32, r int) error {
	next := 1 - b.owner[r]
	room := "room-" + strconv.Itoa(r)
	if err := b.n.svc.TransferOwner(ctx, roomd.Actor{ID: "administrator", Admin: true}, app, room, benchUser(r, next), ""); err != nil {
		return err
	}
	now := time.Now()
	b.owner[r] = next
	b.seq[r]++ // one owner.changed
	b.mu.Lock()
	b.acked[fmt.Sprintf("%d/%s/%d", app, room, b.seq[r])] = now
	b.mu.Unlock()
	return nil
}

// throughput commits the backlog with the dispatcher stopped, then starts
// it and times the deliveries.
func (b *hookBench) throughput(ctx context.Context, app uint32) error {
	per := (b.backlog + b.rooms - 1) / b.rooms
	start := time.Now()
	if err := parallel(b.rooms, b.rooms, func(r int) error {
		for range per {
			if err := b.transfer(ctx, app, r); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	total := per * b.rooms
	fmt.Fprintf(b.out, "backlog     %d transfers committed in %s (%.0f/s) with delivery stopped\n", total, time.Since(start).Round(time.Millisecond), float64(total)/time.Since(start).Seconds())
	start = time.Now()
	b.n.webhooks.disp.Start(ctx)
	calls := total + b.rooms // and the rooms' group_create
	if err := b.waitFor(ctx, int64(calls), time.Minute); err != nil {
		return err
	}
	d := time.Since(start)
	fmt.Fprintf(b.out, "throughput  %d callbacks delivered in %s: %.0f callbacks/s (one app: one at a time, in order)\n", calls, d.Round(time.Millisecond), float64(calls)/d.Seconds())
	return nil
}

// latency makes transfers at the rate for the duration and reports the
// time from each acknowledgement to its callback's arrival.
func (b *hookBench) latency(ctx context.Context, app uint32) error {
	b.mu.Lock()
	clear(b.acked)
	clear(b.arrived)
	b.count.Store(0)
	b.mu.Unlock()
	total := max(int(b.duration.Seconds()*float64(b.rate)), 1)
	interval := time.Second / time.Duration(b.rate)
	queues := make([]chan struct{}, b.rooms)
	for r := range queues {
		queues[r] = make(chan struct{}, total)
	}
	var late atomic.Int64 // transfers a room's driver was still busy for when due
	start := time.Now()
	err := parallel(b.rooms+1, b.rooms+1, func(i int) error {
		if i == b.rooms { // the pacer
			defer func() {
				for _, q := range queues {
					close(q)
				}
			}()
			for k := range total {
				if d := time.Until(start.Add(time.Duration(k) * interval)); d > 0 {
					time.Sleep(d)
				}
				if len(queues[k%b.rooms]) > 0 {
					late.Add(1)
				}
				queues[k%b.rooms] <- struct{}{}
			}
			return nil
		}
		for range queues[i] {
			if err := b.transfer(ctx, app, i); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	made := time.Since(start)
	lat, err := b.latencies(ctx, time.Minute)
	if err != nil {
		return err
	}
	slices.Sort(lat)
	pct := func(p int) time.Duration { return lat[(len(lat)-1)*p/100].Round(10 * time.Microsecond) }
	verdict := "met"
	if pct(99) > targetHookP99 {
		verdict = "NOT met"
	}
	// The dispatcher counts a callback once its answer is read, a moment
	// after the receiver noted it.
	b.mu.Lock()
	dups := b.dups
	b.mu.Unlock()
	c := b.n.webhooks.disp.Stats().Styles[roomd.HookZEGO]
	for settle := time.Now().Add(time.Second); c.Delivered < uint64(b.all.Load()) && time.Now().Before(settle); {
		time.Sleep(time.Millisecond)
		c = b.n.webhooks.disp.Stats().Styles[roomd.HookZEGO]
	}
	fmt.Fprintf(b.out, "latency     %d transfers at %.0f/s over %d rooms (%d queued behind a busy room): acknowledgement→callback p50 %s p99 %s max %s   target p99 ≤ %s: %s\n",
		total, float64(total)/made.Seconds(), b.rooms, late.Load(), pct(50), pct(99), pct(100), targetHookP99, verdict)
	fmt.Fprintf(b.out, "            whole run: %d delivered, %d failed attempts, %d sent twice\n", c.Delivered, c.Failed, dups)
	return nil
}

// latencies waits, up to limit, until the callback of every acknowledged
// transfer has arrived, and returns the time from each acknowledgement to
// its callback's first arrival.
func (b *hookBench) latencies(ctx context.Context, limit time.Duration) ([]time.Duration, error) {
	deadline := time.Now().Add(limit)
	for {
		b.mu.Lock()
		lat := make([]time.Duration, 0, len(b.acked))
		missing := ""
		for id, at := range b.acked {
			arrived, ok := b.arrived[id]
			if !ok {
				missing = id
				break
			}
			lat = append(lat, max(arrived.Sub(at), 0))
		}
		b.mu.Unlock()
		if missing == "" {
			return lat, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("bench webhooks: no callback arrived for %s within %s", missing, limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitFor waits until the receiver has n distinct callbacks, or fails
// after limit.
func (b *hookBench) waitFor(ctx context.Context, n int64, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for b.count.Load() < n {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("bench webhooks: %d of %d callbacks arrived within %s", b.count.Load(), n, limit)
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}
