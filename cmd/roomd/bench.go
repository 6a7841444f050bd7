package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/roomd/roomd/postgres"
	"github.com/roomd/roomd/tencent"
	"github.com/roomd/roomd/zego"
)

// benchConfig is what `roomd bench` measures.
type benchConfig struct {
	target   string
	app      uint32
	secret   string
	admin    string
	groups   int
	members  int
	clients  int
	duration time.Duration
	warmup   time.Duration
	store    string // a PostgreSQL DSN for the in-process server; "" for SQLite
	nodes    int    // in-process nodes on the store (more than 1 only on PostgreSQL)
	// targets are the nodes' base URLs, target the first: groups are dealt
	// out to them.
	targets []string
	// trips and backgroundTrips, for in-process nodes on PostgreSQL, count
	// the store's round trips to the database on the request path and off
	// it (postgres.DB.RoundTrips, BackgroundRoundTrips).
	trips, backgroundTrips func() uint64
}

const benchUsage = `usage: roomd bench [flags]

measures ZEGO and Tencent reads and ownership transfers against the /healthz
ceiling, over a fresh in-process roomd on 127.0.0.1 (or --target)

"roomd bench realtime" measures the real-time gateway instead, "roomd bench
webhooks" the delivery of callbacks (-h for more)
`

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "realtime" {
		return runBenchRealtime(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "webhooks" {
		return runBenchWebhooks(ctx, args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	target := fs.String("target", "", "base URL of a running roomd (its app must have rate_limits: off); empty starts one in-process on 127.0.0.1 with a fresh SQLite store")
	app := fs.Uint("app", 0, "app id (with --target)")
	secret := fs.String("secret", "", "app secret (with --target)")
	admin := fs.String("admin", "administrator", "Tencent admin identifier of the app")
	c := benchConfig{}
	fs.IntVar(&c.groups, "groups", 256, "groups to seed (at least --clients)")
	fs.IntVar(&c.members, "members", 8, "members per group (at least 2)")
	fs.IntVar(&c.clients, "clients", 64, "concurrent keep-alive clients")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "measured time of each phase")
	fs.DurationVar(&c.warmup, "warmup", time.Second, "unmeasured time before each phase")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the whole run (server included when in-process) to `file`")
	fs.IntVar(&c.nodes, "nodes", 1, "in-process roomd nodes sharing the --store (PostgreSQL only when more than 1), each group's calls going to one")
	fs.StringVar(&c.store, "store", "", "store of the in-process server: empty for a fresh SQLite file, or the postgres:// `URL` of an empty database or schema (migrated first; the data stay)")
	if err := parseFlags(fs, benchUsage, args, stdout, stderr); err != nil {
		return err
	}
	if c.nodes < 1 || c.nodes > 8 || (c.nodes > 1 && (c.store == "" || *target != "")) {
		return usagef("bench: --nodes must be 1 to 8, and above 1 needs --store postgres://... without --target")
	}
	if c.clients < 1 || c.groups < c.clients || c.members < 2 || c.duration <= 0 || c.duration > time.Hour {
		return usagef("bench: need clients ≥ 1, groups ≥ clients, members ≥ 2, 0 < duration ≤ 1h")
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	c.target, c.app, c.secret, c.admin = strings.TrimRight(*target, "/"), uint32(*app), *secret, *admin
	where := c.target
	if c.target == "" {
		stop, nodes, err := startBenchServer(ctx, &c)
		if err != nil {
			return err
		}
		defer stop()
		defer func() {
			var commits, updates uint64
			var sync time.Duration
			for _, n := range nodes {
				c, u, s := n.metrics.Commits()
				commits, updates, sync = commits+c, updates+u, sync+s
			}
			if commits > 0 {
				fmt.Fprintf(stdout, "store: %d commits, %.1f updates per commit on average (group commit), COMMIT with sync %s on average\n",
					commits, float64(updates)/float64(commits), (sync / time.Duration(commits)).Round(time.Microsecond))
			}
		}()
		where = "in-process " + c.target + " (SQLite, WAL, synchronous=FULL)"
		if c.store != "" {
			where = fmt.Sprintf("%d in-process node(s) %s (%s)", c.nodes, strings.Join(c.targets, " "), postgres.Redact(c.store))
		}
	} else if c.app == 0 || c.secret == "" {
		return usagef("bench: --target needs --app and --secret")
	} else {
		c.targets = []string{c.target}
	}
	return bench(ctx, &c, where, stdout)
}

// startBenchServer starts c.nodes nodes on loopback ports over a fresh
// SQLite file in a temporary directory, or over c.store, with an app whose
// rate limits are off.
func startBenchServer(ctx context.Context, c *benchConfig) (stop func(), nodes []*node, err error) {
	dir, err := os.MkdirTemp("", "roomd-bench-*")
	if err != nil {
		return nil, nil, err
	}
	var secret [16]byte
	_, _ = rand.Read(secret[:])
	c.app, c.secret = 1400000001, hex.EncodeToString(secret[:])
	cfg := &Config{Store: "sqlite:" + filepath.Join(dir, "roomd.db"), Apps: []AppConfig{
		{ID: c.app, Secret: c.secret, Admins: []string{c.admin}, RateLimits: Switch{Off: true}},
	}}
	if c.store != "" {
		if err := postgres.Migrate(ctx, c.store); err != nil {
			os.RemoveAll(dir)
			return nil, nil, err
		}
		cfg.Store = c.store
	}
	sctx, cancel := context.WithCancel(ctx)
	var stops []func()
	stop = func() {
		cancel()
		for _, s := range slices.Backward(stops) {
			s()
		}
		os.RemoveAll(dir)
	}
	var trips, background []func() uint64
	for range c.nodes {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			stop()
			return nil, nil, err
		}
		// Request log lines are formatted as in production but discarded.
		n, err := build(cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)), ln.Addr())
		if err != nil {
			ln.Close()
			stop()
			return nil, nil, err
		}
		done := make(chan struct{})
		go func() { _ = n.server.Serve(sctx, ln); close(done) }()
		stopShared := n.startShared(sctx)
		stops = append(stops, func() { <-done; stopShared(); n.close() })
		if pg, ok := n.store.(*postgres.DB); ok {
			trips = append(trips, pg.RoundTrips)
			background = append(background, pg.BackgroundRoundTrips)
		}
		nodes = append(nodes, n)
		c.targets = append(c.targets, "http://"+ln.Addr().String())
	}
	c.target = c.targets[0]
	if len(trips) > 0 {
		c.trips, c.backgroundTrips = sum(trips), sum(background)
	}
	return stop, nodes, nil
}

// sum returns a counter that adds up counters.
func sum(counters []func() uint64) func() uint64 {
	return func() (n uint64) {
		for _, c := range counters {
			n += c()
		}
		return n
	}
}

// benchGroup is a group one client owns for the whole run, so that the
// client always knows the current owner and every transfer really moves it.
type benchGroup struct {
	id      string
	base    string // the node the group's calls go to
	owner   int
	members []string
}

func (g *benchGroup) next() int { return (g.owner + 1) % len(g.members) }

func bench(ctx context.Context, c *benchConfig, where string, out io.Writer) error {
	hc := newBenchHTTPClient(c.clients)
	defer hc.CloseIdleConnections()
	b := &benchClient{c: c, hc: hc}
	groups, err := b.seed(ctx)
	if err != nil {
		return fmt.Errorf("bench: seeding: %w", err)
	}
	fmt.Fprintf(out, "roomd bench: %d clients, %d groups x %d members, %s per phase, target %s\n",
		c.clients, c.groups, c.members, c.duration, where)
	owned := ownGroups(groups, c.clients)
	sig, err := tencent.GenUserSig(c.app, c.secret, c.admin, 24*time.Hour, time.Now())
	if err != nil {
		return err
	}
	phases := []struct {
		name string
		do   func(ctx context.Context, client, i int) error
	}{
		{"/healthz (HTTP ceiling)", func(ctx context.Context, _, _ int) error { return b.healthz(ctx) }},
		{"ZEGO QueryGroupInfo", func(ctx context.Context, client, i int) error {
			gs := owned[client]
			return b.zegoQuery(ctx, gs[i%len(gs)])
		}},
		{"Tencent get_room_info", func(ctx context.Context, client, i int) error {
			gs := owned[client]
			return b.tencentQuery(ctx, sig, gs[i%len(gs)])
		}},
		{"ZEGO TransferGroupOwner", b.transferLoad(owned)},
		{"Tencent change_room_owner", func(ctx context.Context, client, i int) error {
			gs := owned[client]
			return b.tencentTransfer(ctx, sig, gs[i%len(gs)])
		}},
	}
	var ceiling float64
	for i, p := range phases {
		drive(ctx, c.clients, c.warmup, p.do)
		var trips0, bg0 uint64
		if c.trips != nil {
			trips0, bg0 = c.trips(), c.backgroundTrips()
		}
		r := drive(ctx, c.clients, c.duration, p.do)
		if i == 0 {
			ceiling = r.rate()
			fmt.Fprintf(out, "%-28s %9.0f req/s        p50 %-8s p99 %-8s errors %d\n", p.name, r.rate(), r.pct(50), r.pct(99), r.errors)
		} else {
			fmt.Fprintf(out, "%-28s %9.0f calls/s      p50 %-8s p99 %-8s errors %d  ratio %.2f\n", p.name, r.rate(), r.pct(50), r.pct(99), r.errors, r.rate()/ceiling)
		}
		if c.trips != nil && r.ok > 0 {
			fmt.Fprintf(out, "  PostgreSQL round trips per call: %.2f on the request path, %.2f in the background (numbering, following)\n",
				float64(c.trips()-trips0)/float64(r.ok), float64(c.backgroundTrips()-bg0)/float64(r.ok))
		}
		if r.firstErr != nil {
			fmt.Fprintf(out, "  first error: %v\n", r.firstErr)
		}
	}
	return b.verify(ctx, groups, out)
}

// newBenchHTTPClient returns a keep-alive HTTP client for clients
// concurrent callers.
func newBenchHTTPClient(clients int) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		MaxIdleConns: 2 * clients, MaxIdleConnsPerHost: 2 * clients, DisableCompression: true,
	}}
}

// ownGroups deals groups out to clients: client i owns groups[i],
// groups[i+clients], ... (clients ≤ len(groups)).
func ownGroups(groups []*benchGroup, clients int) [][]*benchGroup {
	owned := make([][]*benchGroup, clients)
	for i, g := range groups {
		owned[i%clients] = append(owned[i%clients], g)
	}
	return owned
}

// transferLoad is drive's load of ZEGO TransferGroupOwner calls: each
// client moves the owner of its own groups in turn.
func (b *benchClient) transferLoad(owned [][]*benchGroup) func(ctx context.Context, client, i int) error {
	return func(ctx context.Context, client, i int) error {
		gs := owned[client]
		return b.zegoTransfer(ctx, gs[i%len(gs)])
	}
}

// result is what one phase measured.
type result struct {
	ok, errors int
	elapsed    time.Duration
	lat        []time.Duration
	firstErr   error
}

func (r *result) rate() float64 { return float64(r.ok) / r.elapsed.Seconds() }

func (r *result) pct(p int) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[(len(r.lat)-1)*p/100].Round(10 * time.Microsecond)
}

// maxCallsPerClient bounds every load loop in count as well as in time.
const maxCallsPerClient = 5_000_000

// drive runs do from clients goroutines for d and gathers latencies. Calls
// under way at the deadline are finished, not cut off, so that every
// transfer the server acknowledges is seen by its client.
func drive(ctx context.Context, clients int, d time.Duration, do func(ctx context.Context, client, i int) error) *result {
	var stop atomic.Bool
	timer := time.AfterFunc(d, func() { stop.Store(true) })
	defer timer.Stop()
	var mu sync.Mutex
	r := &result{}
	var wg sync.WaitGroup
	start := time.Now()
	for c := range clients {
		wg.Go(func() {
			lat := make([]time.Duration, 0, 4096)
			var errs int
			var first error
			for i := 0; i < maxCallsPerClient && !stop.Load() && ctx.Err() == nil; i++ {
				t := time.Now()
				if err := do(ctx, c, i); err != nil {
					errs++
					if first == nil {
						first = err
					}
					continue
				}
				lat = append(lat, time.Since(t))
			}
			mu.Lock()
			r.lat = append(r.lat, lat...)
			r.errors += errs
			if r.firstErr == nil {
				r.firstErr = first
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	r.ok = len(r.lat)
	slices.Sort(r.lat)
	return r
}

// benchClient makes the API calls of the benchmark.
type benchClient struct {
	c  *benchConfig
	hc *http.Client
}

func (b *benchClient) healthz(ctx context.Context) error {
	req, _ := http.NewRequestWithContext(ctx, "GET", b.c.target+"/healthz", nil)
	resp, err := b.hc.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthz: status %d", resp.StatusCode)
	}
	return nil
}

// zego calls a ZEGO action: GET with query params, or POST with body.
func (b *benchClient) zego(ctx context.Context, base, action string, params map[string]string, body any) error {
	req, err := zego.NewRequest(ctx, base, b.c.app, b.c.secret, action, params, body, time.Now())
	if err != nil {
		return err
	}
	var ans struct {
		Code    int
		Message string
	}
	if err := b.do(req, &ans); err != nil {
		return err
	}
	if ans.Code != 0 {
		return fmt.Errorf("%s: code %d: %s", action, ans.Code, ans.Message)
	}
	return nil
}

func (b *benchClient) do(req *http.Request, v any) error {
	resp, err := b.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("status %d: %w", resp.StatusCode, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return nil
}

func (b *benchClient) zegoTransfer(ctx context.Context, g *benchGroup) error {
	n := g.next()
	err := b.zego(ctx, g.base, "TransferGroupOwner", map[string]string{
		"FromUserId": g.members[g.owner], "GroupId": g.id, "NewOwner": g.members[n],
	}, nil)
	if err == nil {
		g.owner = n
	}
	return err
}

// zegoQuery reads a group's info (a read-only action: its only write is the
// request's SignatureNonce).
func (b *benchClient) zegoQuery(ctx context.Context, g *benchGroup) error {
	return b.zego(ctx, g.base, "QueryGroupInfo", nil, map[string]string{"FromUserId": g.members[g.owner], "GroupId": g.id})
}

func (b *benchClient) tencentTransfer(ctx context.Context, sig string, g *benchGroup) error {
	n := g.next()
	err := b.tencent(ctx, g.base, sig, "change_room_owner",
		map[string]string{"RoomId": g.id, "From_Account": g.members[g.owner], "NewOwner_Account": g.members[n]})
	if err == nil {
		g.owner = n
	}
	return err
}

// tencentQuery reads a room's info.
func (b *benchClient) tencentQuery(ctx context.Context, sig string, g *benchGroup) error {
	return b.tencent(ctx, g.base, sig, "get_room_info", map[string]string{"RoomId": g.id})
}

// tencent calls a Tencent command as the app's admin.
func (b *benchClient) tencent(ctx context.Context, base, sig, command string, body any) error {
	req, err := tencent.NewRequest(ctx, base, b.c.app, b.c.admin, sig, command, body, mrand.Uint32())
	if err != nil {
		return err
	}
	var ans struct {
		ErrorCode int
		ErrorInfo string
	}
	if err := b.do(req, &ans); err != nil {
		return err
	}
	if ans.ErrorCode != 0 {
		return fmt.Errorf("%s: code %d: %s", command, ans.ErrorCode, ans.ErrorInfo)
	}
	return nil
}

// seed registers groups x members users and creates the groups, with names
// unique to this run so a running server can be targeted again.
func (b *benchClient) seed(ctx context.Context) ([]*benchGroup, error) {
	run := newRunTag()
	groups := make([]*benchGroup, b.c.groups)
	var users []string
	for g := range groups {
		// Groups are dealt out to the nodes: each group's calls go to one.
		bg := &benchGroup{id: fmt.Sprintf("%s-g%d", run, g), base: b.c.targets[g%len(b.c.targets)]}
		for m := range b.c.members {
			bg.members = append(bg.members, fmt.Sprintf("%s-g%d-m%d", run, g, m))
		}
		users = append(users, bg.members...)
		groups[g] = bg
	}
	if err := b.register(ctx, users); err != nil {
		return nil, err
	}
	for _, g := range groups {
		if err := b.zego(ctx, b.c.target, "CreateGroup", nil, map[string]any{
			"GroupId": g.id, "GroupName": g.id, "GroupOwner": g.members[0], "UserId": g.members[1:],
		}); err != nil {
			return nil, err
		}
	}
	return groups, nil
}

// newRunTag returns a random prefix for the ids a run creates.
func newRunTag() string {
	var tag [3]byte
	_, _ = rand.Read(tag[:])
	return "b" + hex.EncodeToString(tag[:])
}

// register registers users (named by their ids) with UserRegister, 100 at
// a time (ZEGO's limit).
func (b *benchClient) register(ctx context.Context, ids []string) error {
	for chunk := range slices.Chunk(ids, 100) {
		users := make([]map[string]string, len(chunk))
		for i, id := range chunk {
			users[i] = map[string]string{"UserId": id, "UserName": id}
		}
		if err := b.zego(ctx, b.c.target, "UserRegister", nil, map[string]any{"UserInfo": users}); err != nil {
			return err
		}
	}
	return nil
}

// verify checks through the API that every group's owner is the one the
// last acknowledged transfer named.
func (b *benchClient) verify(ctx context.Context, groups []*benchGroup, out io.Writer) error {
	bad := 0
	for _, g := range groups {
		req, err := zego.NewRequest(ctx, b.c.target, b.c.app, b.c.secret, "QueryGroupInfo", nil,
			map[string]string{"FromUserId": g.members[0], "GroupId": g.id}, time.Now())
		if err != nil {
			return err
		}
		var ans struct {
			Code       int
			GroupOwner string
		}
		if err := b.do(req, &ans); err != nil || ans.Code != 0 || ans.GroupOwner != g.members[g.owner] {
			bad++
		}
	}
	if bad > 0 {
		return fmt.Errorf("bench: %d of %d groups do not have the owner their last acknowledged transfer named", bad, len(groups))
	}
	fmt.Fprintf(out, "verified: all %d groups have the owner their last acknowledged transfer named\n", len(groups))
	return nil
}
