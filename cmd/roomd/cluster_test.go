package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/roomd/roomd"
	"github.com/roomd/roomd/postgres"
	"github.com/roomd/roomd/roomdclient"
	"github.com/roomd/roomd/zego"
)

// The shape of TestCluster.
const (
	clusterNodes     = 3   // roomd processes on one PostgreSQL schema
	clusterWorkers   = 6   // crash workers, each with its own rooms and a watcher on a WebSocket
	clusterKillAfter = 300 // acknowledged ops before the kill
	clusterTakeover  = 10 * time.Second
)

// clusterNode is one roomd process of a cluster.
type clusterNode struct {
	n    int
	app  string // its application_name on PostgreSQL, to tell its connections apart
	p    *proc
	dead atomic.Bool
}

// host is the node's host:port.
func (n *clusterNode) host() string { return strings.TrimPrefix(n.p.addr, "http://") }

// cluster is several `roomd serve` processes on one PostgreSQL schema, and
// a Service of the test's own on that schema to check the store through.
type cluster struct {
	nodes []*clusterNode
	dsn   string
	svc   *roomd.Service
}

// MustStartCluster migrates a fresh schema (MustPostgresSchema, so the test
// is skipped without ROOMD_TEST_POSTGRES) and starts n nodes on it, each in
// a directory of its own, with callbacks to callbackURL unless it is "".
func MustStartCluster(tb testing.TB, n int, callbackURL string) *cluster {
	tb.Helper()
	c := &cluster{dsn: MustPostgresSchema(tb)}
	var configs []string
	for i := range n {
		node := &clusterNode{n: i, app: fmt.Sprintf("roomd-node-%d", i)}
		u, err := url.Parse(c.dsn)
		if err != nil {
			tb.Fatal(err)
		}
		q := u.Query()
		q.Set("application_name", node.app)
		u.RawQuery = q.Encode()
		configs = append(configs, writePostgresConfig(tb, tb.TempDir(), u.String(), callbackURL))
		c.nodes = append(c.nodes, node)
	}
	if _, errOut, code := runRoomd(tb, filepath.Dir(configs[0]), "migrate", "--config", configs[0]); code != 0 {
		tb.Fatalf("roomd migrate: got exit %d, stderr %q; want 0", code, errOut)
	}
	for i, node := range c.nodes {
		node.p = MustStartRoomd(tb, filepath.Dir(configs[i]), "--config", configs[i])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := postgres.Open(ctx, c.dsn, postgres.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxConns: 4})
	if err != nil {
		tb.Fatalf("opening the cluster's store: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	c.svc = roomd.NewService(db, nil, nil)
	return c
}

// live returns the base URLs of the nodes not killed.
func (c *cluster) live() []string {
	var out []string
	for _, n := range c.nodes {
		if !n.dead.Load() {
			out = append(out, n.p.addr)
		}
	}
	return out
}

// kill SIGKILLs node and returns once it has exited and PostgreSQL has
// ended its connections: whatever it had in flight has then committed or
// rolled back for good. It returns when the process had exited.
func (c *cluster) kill(tb testing.TB, node *clusterNode) time.Time {
	tb.Helper()
	node.dead.Store(true)
	if err := node.p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		tb.Fatal(err)
	}
	_ = node.p.wait(tb)
	exited := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.dsn)
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background())
	for {
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, node.app).Scan(&n); err != nil {
			tb.Fatalf("after killing node %d, counting its connections: %v", node.n, err)
		}
		if n == 0 {
			return exited
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// route returns the host:port a client of home reaches: home's while it
// lives, else the next live node's, as a load balancer would.
func (c *cluster) route(home *clusterNode) string {
	for i := range c.nodes {
		if n := c.nodes[(home.n+i)%len(c.nodes)]; !n.dead.Load() {
			return n.host()
		}
	}
	return home.host()
}

// httpClient is the HTTP client of a WebSocket client of home: it dials
// c.route(home), only ever on 127.0.0.1.
func (c *cluster) httpClient(home *clusterNode) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, c.route(home))
	}}}
}

// deliverer waits up to 15 s for a node to log that it took the callback
// lease, and returns it with the ZEGO-style delivery cursor (serve starts
// it at the end of the log): the callbacks of the events after it are due.
func (c *cluster) deliverer(tb testing.TB) (*clusterNode, int64) {
	tb.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, n := range c.nodes {
			if !strings.Contains(n.p.logText(), "(lease taken)") {
				continue
			}
			cursor, err := c.svc.HookCursor(ctx, 777, roomd.HookZEGO)
			if err != nil || cursor == nil {
				tb.Fatalf("the ZEGO-style delivery cursor: got %v, %v; want one (serve starts it)", cursor, err)
			}
			return n, cursor.Pos
		}
		time.Sleep(20 * time.Millisecond)
	}
	tb.Fatalf("no node took the callback lease within 15s")
	return nil, 0
}

// agentReceiver is a ZEGO-style receiver (receiver) that drops requests
// whose body did not arrive whole (their sender died mid-request) and
// counts those whose User-Agent is not roomd's.
type agentReceiver struct {
	*receiver
	badAgents atomic.Int64
	hitTimes  struct {
		sync.Mutex
		at []time.Time // when each whole request arrived
	}
}

// MustAgentReceiver starts an agentReceiver on 127.0.0.1.
func MustAgentReceiver(tb testing.TB) *agentReceiver {
	tb.Helper()
	r := &agentReceiver{receiver: &receiver{style: roomd.HookZEGO, secret: "hook-secret"}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		data, err := io.ReadAll(req.Body)
		if err != nil {
			return // the sender died mid-request: not acknowledged
		}
		if !strings.HasPrefix(req.UserAgent(), "roomd/") {
			r.badAgents.Add(1)
		}
		r.hitTimes.Lock()
		r.hitTimes.at = append(r.hitTimes.at, time.Now())
		r.hitTimes.Unlock()
		req.Body = io.NopCloser(bytes.NewReader(data))
		r.serve(w, req)
	}))
	tb.Cleanup(r.srv.Close)
	return r
}

// firstAfter returns when the first request after t arrived, false if none has.
func (r *agentReceiver) firstAfter(t time.Time) (time.Time, bool) {
	r.hitTimes.Lock()
	defer r.hitTimes.Unlock()
	for _, at := range r.hitTimes.at {
		if at.After(t) {
			return at, true
		}
	}
	return time.Time{}, false
}

// check waits up to 60 s for the receiver to hold every callback of due,
// and checks that they came in due's order (the app's log order; per room
// it says which room is out of order), with roomd's User-Agent, at most
// one of them twice (the one in flight when its sender died). It returns
// how many requests the receiver acknowledged.
func (r *agentReceiver) check(tb testing.TB, due []delivery) int {
	tb.Helper()
	want := make([]string, len(due))
	for i, d := range due {
		want[i] = d.id
	}
	got := deliveries(r.waitFor(tb, len(want)))
	if !slices.Equal(got, want) {
		gotRooms, wantRooms := roomOrder(got), roomOrder(want)
		for room, seqs := range wantRooms {
			if !slices.Equal(gotRooms[room], seqs) {
				tb.Errorf("callbacks of %s: got seqs %v, want %v", room, gotRooms[room], seqs)
			}
		}
		tb.Fatalf("callbacks: got %d distinct, want %d, in the app's log order:\n got %v\nwant %v", len(got), len(want), got, want)
	}
	r.mu.Lock()
	posted := len(r.got)
	r.mu.Unlock()
	if posted-len(want) > 1 {
		tb.Errorf("callbacks: got %d acknowledged requests for %d callbacks, want at most one twice (the one in flight at the kill)", posted, len(want))
	}
	if n := r.badAgents.Load(); n > 0 {
		tb.Errorf("got %d callbacks without a roomd/ User-Agent", n)
	}
	return posted
}

// watcher is a member, on a WebSocket (roomdclient), of every room of one
// crash worker; its client connects to its home node, and to another when
// that one is killed. It keeps each room's events in the order Next gave
// them.
type watcher struct {
	user       string
	home       *clusterNode
	start      map[string]int64 // each room's seq when it connected
	client     *roomdclient.Client
	reconnects atomic.Int64
	done       chan struct{}

	mu       sync.Mutex
	got      map[string][]roomdclient.Event
	problems []string
}

// watch connects user to its home node with a ZEGO Token04, resuming each
// of rooms from its current seq, and reads its events until ctx ends.
func (c *cluster) watch(ctx context.Context, tb testing.TB, user string, home *clusterNode, rooms []string) *watcher {
	tb.Helper()
	w := &watcher{user: user, home: home, start: map[string]int64{}, got: map[string][]roomdclient.Event{}, done: make(chan struct{})}
	for _, id := range rooms {
		room, err := c.svc.Room(ctx, 777, id)
		if err != nil {
			tb.Fatalf("room %s: %v", id, err)
		}
		w.start[id] = room.Seq
	}
	token, err := zego.GenerateToken04(777, crashSecret, user, time.Hour, time.Now(), "")
	if err != nil {
		tb.Fatal(err)
	}
	w.client, err = roomdclient.Dial(ctx, "ws://"+home.host()+"/v1/connect", roomdclient.Credentials{App: 777, User: user, Token: token},
		roomdclient.WithResume(maps.Clone(w.start)), roomdclient.WithBackoff(50*time.Millisecond, 500*time.Millisecond),
		roomdclient.WithHTTPClient(c.httpClient(home)),
		roomdclient.WithStatus(func(s roomdclient.Status) {
			if s.Connected {
				w.reconnects.Add(1)
			}
		}))
	if err != nil {
		tb.Fatalf("%s: Dial: %v", user, err)
	}
	tb.Cleanup(func() { w.client.Close() })
	go w.read(ctx)
	return w
}

// read keeps the events Next returns, noting any that is not the next of
// its room, until ctx ends.
func (w *watcher) read(ctx context.Context) {
	defer close(w.done)
	last := map[string]int64{}
	for room, seq := range w.start {
		last[room] = seq
	}
	for {
		e, err := w.client.Next(ctx)
		if err != nil {
			return
		}
		w.mu.Lock()
		switch {
		case e.Resync:
			w.problems = append(w.problems, fmt.Sprintf("%s: room %s: got a resync at seq %d, want events", w.user, e.Room, e.Seq))
		case e.Seq != last[e.Room]+1:
			w.problems = append(w.problems, fmt.Sprintf("%s: room %s: got seq %d after %d, want %d", w.user, e.Room, e.Seq, last[e.Room], last[e.Room]+1))
		}
		last[e.Room] = e.Seq
		w.got[e.Room] = append(w.got[e.Room], e)
		w.mu.Unlock()
	}
}

// check waits until deadline for w to have every event of its rooms that
// the store holds, then compares them with the store's log, seq by seq. It
// returns what is wrong and how many events w got.
func (w *watcher) check(ctx context.Context, svc *roomd.Service, deadline time.Time) ([]string, int) {
	want := map[string][]roomd.Event{}
	for room, from := range w.start {
		events, err := roomLog(ctx, svc, room, from)
		if err != nil {
			return []string{fmt.Sprintf("%s: room %s: reading the log: %v", w.user, room, err)}, 0
		}
		want[room] = events
	}
	complete := func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		for room, events := range want {
			if len(w.got[room]) < len(events) {
				return false
			}
		}
		return true
	}
	for !complete() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	problems := slices.Clone(w.problems)
	total := 0
	for room, events := range want {
		got := w.got[room]
		total += len(got)
		if len(got) != len(events) {
			problems = append(problems, fmt.Sprintf("%s (home node %d): room %s: got %d events in time, want the %d after seq %d that the store holds", w.user, w.home.n, room, len(got), len(events), w.start[room]))
		}
		for i := range min(len(got), len(events)) {
			g, e := got[i], events[i]
			if g.Seq != e.Seq || g.Type != string(e.Type) || g.Actor != e.Actor || !sameJSON(g.Data, e.Payload) {
				problems = append(problems, fmt.Sprintf("%s: room %s: event %d: got seq %d %s by %s %s, want seq %d %s by %s %s", w.user, room, i, g.Seq, g.Type, g.Actor, g.Data, e.Seq, e.Type, e.Actor, e.Payload))
				break
			}
		}
	}
	return problems, total
}

// roomLog returns the events of app 777's room after seq after, every page of them.
func roomLog(ctx context.Context, svc *roomd.Service, room string, after int64) ([]roomd.Event, error) {
	var out []roomd.Event
	for range 1000 { // bounded: a page of up to MaxFeed each time
		page, err := svc.Events(ctx, 777, room, after, roomd.MaxFeed)
		if err != nil || len(page) == 0 {
			return out, err
		}
		out = append(out, page...)
		after = page[len(page)-1].Seq
	}
	return out, nil
}

// sameJSON reports whether a and b are the same JSON value.
func sameJSON(a, b []byte) bool {
	var x, y any
	if len(b) == 0 {
		b = []byte("{}")
	}
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

// waitNumbered waits up to 15 s for every event of rooms to have its
// position in the app's log (the sequencers number them after commit).
func (c *cluster) waitNumbered(tb testing.TB, rooms []string) {
	tb.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		unnumbered := 0
		for _, id := range rooms {
			events, err := roomLog(context.Background(), c.svc, id, 0)
			if err != nil {
				tb.Fatal(err)
			}
			for _, e := range events {
				if e.Pos == 0 {
					unnumbered++
				}
			}
		}
		if unnumbered == 0 {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%d events still have no position in the app's log after 15s", unnumbered)
		}
	}
}

// delivery is a callback due: its X-Roomd-Delivery id, and its event's
// position in the app's log.
type delivery struct {
	id  string
	pos int64
}

// hookDeliveries returns the callbacks hook makes of app 777's events
// after pos, in the log's order.
func hookDeliveries(tb testing.TB, svc *roomd.Service, hook roomd.Hook, pos int64) []delivery {
	tb.Helper()
	ctx := context.Background()
	target, err := hook.Target(ctx, 777)
	if err != nil || target == nil {
		tb.Fatalf("%s target: got %v, %v", hook.Style(), target, err)
	}
	var due []delivery
	for {
		events, err := svc.AppEvents(ctx, 777, pos, roomd.MaxAppEvents)
		if err != nil {
			tb.Fatal(err)
		}
		if len(events) == 0 {
			return due
		}
		for i := range events {
			e := &events[i]
			pos = e.Pos
			if req, err := hook.Request(ctx, target, e, time.Now()); err != nil {
				tb.Fatal(err)
			} else if req != nil {
				due = append(due, delivery{fmt.Sprintf("777/%s/%d", pathEscape(e.RoomID), e.Seq), e.Pos})
			}
		}
	}
}

// roomOrder returns, for each room, the seqs of the delivery ids in ids,
// in their order there.
func roomOrder(ids []string) map[string][]string {
	out := map[string][]string{}
	for _, id := range ids {
		i := strings.LastIndexByte(id, '/')
		out[id[:i]] = append(out[id[:i]], id[i+1:])
	}
	return out
}

// TestCluster runs three roomd nodes on one PostgreSQL schema. Crash
// workers make random transfers, invitations, kicks and registrations
// through both dialects, each sending to the nodes in turn, while a watcher
// per worker, a member of its rooms on a WebSocket, reads their events
// from one node (two watchers per node). Mid-run the node that delivers
// the callbacks is SIGKILLed. Then: no acknowledged change is lost and the
// change in flight is wholly there or not at all; every room keeps one
// owner, a member, and a gapless log; every watcher, those of the killed
// node included (their client reconnects to another node and resumes),
// got every event of its rooms, seq by seq, as the store has them, events
// of changes made through the other nodes included; another node took the
// callback lease within 10 s; and every callback arrived, in the app's log
// order, at most one of them twice (the one in flight at the kill).
func TestCluster(t *testing.T) {
	began := time.Now()
	seed := crashSeedValue(t)
	rcv := MustAgentReceiver(t)
	cl := MustStartCluster(t, clusterNodes, rcv.srv.URL)
	holder, cursor := cl.deliverer(t)
	t.Logf("node %d delivers the callbacks, from position %d", holder.n, cursor)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	rig := &crashRig{t: t, rng: rand.New(rand.NewPCG(seed, 7))}
	for n := range clusterWorkers {
		rig.workers = append(rig.workers, &crashWorker{n: n, acked: map[string]int{}})
	}
	rig.seed(cl.nodes[0].p.addr)
	var rooms []string
	var watchers []*watcher
	for _, w := range rig.workers {
		var ids []string
		for _, r := range w.model.rooms {
			ids = append(ids, r.id)
		}
		rooms = append(rooms, ids...)
		w.keep = map[string]bool{w.user(2): true} // a member of each of w's rooms since its creation
		watchers = append(watchers, cl.watch(ctx, t, w.user(2), cl.nodes[w.n%clusterNodes], ids))
	}

	// Phase 1: through every node, until the kill.
	var acks atomic.Int64
	var killed time.Time
	phase := func(d time.Duration) {
		pctx, pcancel := context.WithTimeout(ctx, d)
		defer pcancel()
		bases := cl.live()
		var wg sync.WaitGroup
		for _, w := range rig.workers {
			r := rand.New(rand.NewPCG(rig.rng.Uint64(), uint64(w.n)))
			wg.Go(func() { w.run(pctx, t, bases, r, &acks) })
		}
		if !holder.dead.Load() {
			for deadline := time.Now().Add(15 * time.Second); acks.Load() < clusterKillAfter && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
			time.Sleep(time.Duration(rig.rng.IntN(250_000)) * time.Microsecond)
			killed = cl.kill(t, holder)
		}
		wg.Wait()
		for _, w := range rig.workers {
			if w.failure != "" {
				t.Fatal(w.failure)
			}
		}
	}
	phase(30 * time.Second)
	ackedBefore := acks.Load()
	inFlight := 0
	for _, w := range rig.workers {
		if w.pending != nil {
			inFlight++
		}
	}
	if problems := rig.check(ctx, cl.svc); len(problems) > 0 {
		t.Fatalf("after the kill: got %d problems, want none:\n%s", len(problems), strings.Join(problems, "\n"))
	}
	hitsAtKill := rcv.hits.Load()
	deliveredAtKill, _ := rcv.unique()
	posAtKill, err := cl.svc.LastPos(ctx, 777)
	if err != nil {
		t.Fatal(err)
	}

	// Phase 2: through the nodes left, while the lease moves.
	var takeover time.Duration
	var tookOver *clusterNode
	var wg sync.WaitGroup
	wg.Go(func() {
		for deadline := time.Now().Add(20 * time.Second); tookOver == nil && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			for _, n := range cl.nodes {
				if !n.dead.Load() && strings.Contains(n.p.logText(), "(lease taken)") {
					takeover, tookOver = time.Since(killed), n
				}
			}
		}
	})
	phase(12 * time.Second)
	wg.Wait()
	for _, w := range rig.workers {
		if w.pending != nil {
			t.Fatalf("worker %d: %s got no answer from a live node", w.n, w.pending)
		}
	}
	if problems := rig.check(ctx, cl.svc); len(problems) > 0 {
		t.Fatalf("at the end: got %d problems, want none:\n%s", len(problems), strings.Join(problems, "\n"))
	}

	// The lease moved within 10 s, and callbacks came again.
	if tookOver == nil {
		t.Fatalf("no other node took the callback lease within 20s of the kill of node %d", holder.n)
	}
	if takeover > clusterTakeover {
		t.Errorf("node %d took the callback lease %s after the kill, want within %s", tookOver.n, takeover, clusterTakeover)
	}
	first, ok := rcv.firstAfter(killed)
	if !ok {
		t.Fatalf("no callback arrived after the kill (%d requests before it)", hitsAtKill)
	}
	if d := first.Sub(killed); d > clusterTakeover {
		t.Errorf("the first callback after the kill came %s after it, want within %s", d, clusterTakeover)
	}

	// Every watcher got every event of its rooms, those of changes made
	// through the other nodes included.
	events := 0
	deadline := time.Now().Add(30 * time.Second)
	for i, w := range watchers {
		problems, n := w.check(ctx, cl.svc, deadline)
		for _, p := range problems {
			t.Error(p)
		}
		events += n
		if w.home == holder && w.reconnects.Load() == 0 {
			t.Errorf("%s, on the killed node %d: its client never reconnected", w.user, holder.n)
		}
		through := 0 // changes to w's rooms acknowledged by nodes other than w's
		for base, n := range rig.workers[i].byBase {
			if base != w.home.p.addr {
				through += n
			}
		}
		if through == 0 {
			t.Errorf("%s on node %d: no change to its rooms went through another node, want some", w.user, w.home.n)
		}
	}

	// Every callback arrived, in the log's order, at most one twice.
	cl.waitNumbered(t, rooms)
	due := hookDeliveries(t, cl.svc, zego.NewHook(cl.svc, map[uint32]zego.HookConfig{777: {URL: rcv.srv.URL, Secret: "hook-secret"}}), cursor)
	posted := rcv.check(t, due)
	backlog := -len(deliveredAtKill) // callbacks due at the kill and not delivered by then
	for _, d := range due {
		if d.pos <= posAtKill {
			backlog++
		}
	}

	acked := map[string]int{}
	byNode := map[string]int{}
	for _, w := range rig.workers {
		for k, n := range w.acked {
			acked[k] += n
		}
		for b, n := range w.byBase {
			byNode[b] += n
		}
	}
	perNode := make([]string, len(cl.nodes))
	for i, n := range cl.nodes {
		perNode[i] = fmt.Sprintf("node %d %d", i, byNode[n.p.addr])
	}
	t.Logf("%d ops acknowledged (%d before the kill of node %d, %s; %v), all kept; %d in flight at the kill (%d applied whole, %d not at all)",
		acks.Load(), ackedBefore, holder.n, strings.Join(perNode, ", "), acked, inFlight, rig.applied, rig.dropped)
	t.Logf("watchers got %d events, each room's in order without a gap; node %d took the lease %s after the kill, the first callback after it came %s after it; %d callbacks (%d delivered before the kill, %d due then and not yet delivered), %d requests acknowledged; %s in all",
		events, tookOver.n, takeover.Round(time.Millisecond), first.Sub(killed).Round(time.Millisecond), len(due), len(deliveredAtKill), backlog, posted, time.Since(began).Round(time.Millisecond))
}
