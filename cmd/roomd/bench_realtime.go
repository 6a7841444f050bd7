package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/tencent"
)

const benchRealtimeUsage = `usage: roomd bench realtime [flags]

measures the real-time gateway (GET /v1/connect) against its targets, over
a fresh roomd started as a child process ("roomd serve" on 127.0.0.1, SQLite
in a temporary directory, rate limits off). The WebSocket and REST clients
run in this process; all traffic is to 127.0.0.1.

  memory      server VmRSS per idle logged-in connection (--fanout of them)  ≤ 20 KiB
  fan-out     one REST transfer until all --fanout members of a room have it ≤ 500 ms
  throughput  ZEGO TransferGroupOwner calls/s without connections, with
              --idle connections attached, and without again: the drop is
              from the mean of the two runs without                         drop ≤ 10%
  latency     commit-to-delivery p99 for --rooms x --members-per-room
              connected members while --clients transfer those rooms' owners ≤ 50 ms

The memory figure and the file-descriptor check need Linux (/proc).
`

// Targets of the real-time gateway.
const (
	targetLatencyP99 = 50 * time.Millisecond
	targetFanout     = 500 * time.Millisecond
	targetConnBytes  = 20 << 10 // server RSS per idle connection
	targetDrop       = 0.10     // throughput lost to idle connections
)

// Bounds of the benchmark's loops and buffers.
const (
	rtWorkers        = 64               // logins (and closes) at once
	rtDialTimeout    = 15 * time.Second // one connect and login
	rtConnectTimeout = 5 * time.Minute  // all the logins of a phase
	rtRoundTimeout   = 15 * time.Second // one fan-out round
	rtDeliveryWait   = 10 * time.Second // for the last events of the latency phase
	rtDrainWait      = 10 * time.Second // for the server to end closed connections
	rtMaxFrames      = 1 << 24          // frames one connection reads
	rtMaxSamples     = 1 << 16          // latency samples one connection keeps
	rtSettle         = 500 * time.Millisecond
	rtFDSlack        = 256
	rtAdmin          = "administrator"
	rtEventOwner     = "owner.changed"
	rtMaxRounds      = 100
	rtReadLimit      = 1 << 20
	rtCloseReason    = "bench done"
	rtSigValidity    = 24 * time.Hour
	rtMaxDuration    = time.Hour
	rtMaxConns       = 100_000 // connections of the latency phase
)

// rtConfig is what `roomd bench realtime` measures.
type rtConfig struct {
	rooms, perRoom, fanout, idle, clients, rounds int
	duration, warmup                              time.Duration
	skipMemory, skipFanout, skipThroughput        bool
	skipLatency                                   bool
}

// runBenchRealtime runs `roomd bench realtime`.
func runBenchRealtime(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench realtime", flag.ContinueOnError)
	c := rtConfig{}
	fs.IntVar(&c.rooms, "rooms", 100, "rooms of the latency and throughput phases")
	fs.IntVar(&c.perRoom, "members-per-room", 10, "members of each of those rooms, all connected in the latency phase (at least 2)")
	fs.IntVar(&c.fanout, "fanout", 10000, "members of the fan-out room, all connected: the fan-out and memory phases' connections (2 to 10000)")
	fs.IntVar(&c.idle, "idle", 1000, "idle connections attached in the second throughput phase")
	fs.IntVar(&c.clients, "clients", 16, "concurrent REST clients transferring owners (at most --rooms)")
	fs.IntVar(&c.rounds, "rounds", 5, "fan-out transfers")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "measured time of the latency phase and of each throughput phase")
	fs.DurationVar(&c.warmup, "warmup", time.Second, "unmeasured time before each throughput phase")
	fs.BoolVar(&c.skipMemory, "skip-memory", false, "skip the memory phase")
	fs.BoolVar(&c.skipFanout, "skip-fanout", false, "skip the fan-out phase")
	fs.BoolVar(&c.skipThroughput, "skip-throughput", false, "skip the throughput phases")
	fs.BoolVar(&c.skipLatency, "skip-latency", false, "skip the latency phase")
	if err := parseFlags(fs, benchRealtimeUsage, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("bench realtime: unexpected argument %q", fs.Arg(0))
	}
	if c.rooms < 1 || c.rooms > rtMaxConns || c.perRoom < 2 || c.perRoom > rtMaxConns || c.rooms*c.perRoom > rtMaxConns || c.fanout < 2 || c.fanout > roomd.DefaultMaxMember ||
		c.idle < 1 || c.idle > roomd.DefaultMaxMember || c.clients < 1 || c.rounds < 1 || c.rounds > rtMaxRounds ||
		c.duration <= 0 || c.duration > rtMaxDuration || c.warmup < 0 || c.warmup > rtMaxDuration {
		return usagef("bench realtime: need rooms ≥ 1, members-per-room ≥ 2, rooms x members-per-room ≤ %d, 2 ≤ fanout ≤ %d, 1 ≤ idle ≤ %d, clients ≥ 1, 1 ≤ rounds ≤ %d, 0 < duration ≤ 1h, 0 ≤ warmup ≤ 1h",
			rtMaxConns, roomd.DefaultMaxMember, roomd.DefaultMaxMember, rtMaxRounds)
	}
	if c.skipMemory && c.skipFanout && c.skipThroughput && c.skipLatency {
		return usagef("bench realtime: every phase is skipped: nothing to measure")
	}
	c.clients = min(c.clients, c.rooms) // a client owns its rooms
	return benchRealtime(ctx, &c, stdout)
}

// rtBench is one run of `roomd bench realtime`.
type rtBench struct {
	c      *rtConfig
	b      *benchClient
	srv    *childServer
	out    io.Writer
	wsURL  string
	owned  [][]*benchGroup
	met    int // targets met
	judged int // targets measured
}

// benchRealtime starts the server, seeds it, runs the phases c asks for and
// prints the report to out. A target not met is reported, not an error; a
// failed call, a lost event or a server that does not stop cleanly is.
func benchRealtime(ctx context.Context, c *rtConfig, out io.Writer) (err error) {
	if err := checkFDs("this process", "self", c.maxConns()+2*c.clients+rtFDSlack); err != nil {
		return err
	}
	srv, err := startChild(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if serr := srv.stop(); serr != nil && err == nil {
			err = serr
		}
	}()
	if err := checkFDs("the server", fmt.Sprint(srv.pid), c.maxConns()+rtFDSlack); err != nil {
		return err
	}
	hc := newBenchHTTPClient(c.clients)
	defer hc.CloseIdleConnections()
	bc := &benchConfig{target: srv.target, targets: []string{srv.target}, app: srv.app, secret: srv.secret, admin: rtAdmin, groups: c.rooms, members: c.perRoom}
	rb := &rtBench{c: c, b: &benchClient{c: bc, hc: hc}, srv: srv, out: out}
	if rb.wsURL, err = connectURL(srv.target); err != nil {
		return err
	}
	fmt.Fprintf(out, "roomd bench realtime: server pid %d (roomd serve on %s, SQLite WAL synchronous=FULL, rate limits off), %d CPUs shared with the clients\n",
		srv.pid, srv.target, runtime.NumCPU())

	start := time.Now()
	var rooms []*benchGroup
	if !c.skipThroughput || !c.skipLatency {
		if rooms, err = rb.b.seed(ctx); err != nil {
			return fmt.Errorf("bench realtime: seeding rooms: %w", err)
		}
		rb.owned = ownGroups(rooms, c.clients)
	}
	var crowd *benchGroup
	if n := c.crowdSize(); n > 0 {
		if crowd, err = rb.seedCrowd(ctx, n); err != nil {
			return fmt.Errorf("bench realtime: seeding the fan-out room: %w", err)
		}
	}
	fmt.Fprintf(out, "seeded: %d rooms x %d members, 1 room of %d members, in %s\n",
		len(rooms), c.perRoom, len(crowdMembers(crowd)), time.Since(start).Round(time.Millisecond))

	if !c.skipMemory || !c.skipFanout {
		if err := rb.memoryAndFanout(ctx, crowd); err != nil {
			return err
		}
	}
	if !c.skipThroughput {
		if err := rb.throughput(ctx, crowd); err != nil {
			return err
		}
	}
	if !c.skipLatency {
		if err := rb.latency(ctx, rooms); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "targets: %d of %d met\n", rb.met, rb.judged)
	if crowd != nil {
		rooms = append(rooms, crowd)
	}
	return rb.b.verify(ctx, rooms, out)
}

// maxConns is the most connections the run holds open at once.
func (c *rtConfig) maxConns() int {
	if c.skipLatency {
		return c.crowdSize()
	}
	return max(c.crowdSize(), c.rooms*c.perRoom)
}

// crowdSize is how many members the fan-out room needs: the fan-out and
// memory phases connect --fanout of them, the throughput phase --idle.
func (c *rtConfig) crowdSize() int {
	n := 0
	if !c.skipMemory || !c.skipFanout {
		n = c.fanout
	}
	if !c.skipThroughput {
		n = max(n, c.idle)
	}
	return n
}

// crowdMembers returns the members of the crowd room, if there is one.
func crowdMembers(g *benchGroup) []string {
	if g == nil {
		return nil
	}
	return g.members
}

// seedCrowd registers n users and makes them the members of one room:
// CreateGroup, then InviteUsersIntoGroup, 100 users a call (ZEGO's limits).
func (rb *rtBench) seedCrowd(ctx context.Context, n int) (*benchGroup, error) {
	run := newRunTag()
	g := &benchGroup{id: run + "-crowd", base: rb.b.c.target, members: make([]string, n)}
	for i := range g.members {
		g.members[i] = fmt.Sprintf("%s-c%d", run, i)
	}
	if err := rb.b.register(ctx, g.members); err != nil {
		return nil, err
	}
	first := min(n, 100)
	if err := rb.b.zego(ctx, rb.b.c.target, "CreateGroup", nil, map[string]any{
		"GroupId": g.id, "GroupName": g.id, "GroupOwner": g.members[0], "UserId": g.members[1:first],
	}); err != nil {
		return nil, err
	}
	for chunk := range slices.Chunk(g.members[first:], 100) {
		if err := rb.b.zego(ctx, rb.b.c.target, "InviteUsersIntoGroup", nil, map[string]any{
			"FromUserId": g.members[0], "GroupId": g.id, "UserIds": chunk,
		}); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// verdict counts a target and says whether it is met.
func (rb *rtBench) verdict(ok bool) string {
	rb.judged++
	if ok {
		rb.met++
		return "met"
	}
	return "NOT MET"
}

// fanRound is one fan-out transfer on its way to every connection.
type fanRound struct {
	left atomic.Int64  // connections still to receive it
	done chan struct{} // closed by the last one
	last time.Time     // when the last one had it; read after done
}

// memoryAndFanout connects --fanout members of the crowd room, reads the
// server's memory before and after, then times --rounds transfers of the
// room until every connection has its owner.changed.
func (rb *rtBench) memoryAndFanout(ctx context.Context, crowd *benchGroup) error {
	n, c := rb.c.fanout, rb.c
	var before procMem
	if !c.skipMemory {
		var err error
		if before, err = rb.srv.memory(ctx, rb.b.hc); err != nil {
			return err
		}
	}
	var cur atomic.Pointer[fanRound]
	onEvent := func(_ *rtConn, f *rtFrame, _ time.Time) {
		if f.Event != rtEventOwner {
			return
		}
		if r := cur.Load(); r != nil && r.left.Add(-1) == 0 {
			r.last = time.Now()
			close(r.done)
		}
	}
	start := time.Now()
	conns, err := rb.connect(ctx, crowd.members[:n], crowd.id, onEvent)
	if err != nil {
		return err
	}
	fmt.Fprintf(rb.out, "connected and logged in %d members of one room in %s (%d at a time)\n", n, time.Since(start).Round(time.Millisecond), rtWorkers)
	if !c.skipMemory {
		if err := rb.reportMemory(ctx, before, n); err != nil {
			return errors.Join(err, closeAll(conns))
		}
	}
	if !c.skipFanout {
		var send, ack []time.Duration
		srvCPU, srvOK := cpuTime(fmt.Sprint(rb.srv.pid))
		ownCPU, ownOK := cpuTime("self")
		for k := range c.rounds {
			r := &fanRound{done: make(chan struct{})}
			r.left.Store(int64(n))
			cur.Store(r)
			t0 := time.Now()
			err := rb.b.zegoTransfer(ctx, crowd)
			t1 := time.Now()
			if err == nil {
				err = waitRound(ctx, r, n)
			}
			cur.Store(nil)
			if err != nil {
				return errors.Join(fmt.Errorf("bench realtime: fan-out round %d: %w", k+1, err), closeAll(conns))
			}
			send, ack = append(send, r.last.Sub(t0)), append(ack, r.last.Sub(t1))
			time.Sleep(rtSettle / 5) // let the round's writes finish before the next
		}
		med, medAck := median(send).Round(100*time.Microsecond), median(ack).Round(100*time.Microsecond)
		fmt.Fprintf(rb.out, "fan-out     %d connections, %d transfers: REST send→all %s (median %s), REST ack→all median %s   target ≤ %s: %s\n",
			n, c.rounds, durations(send), med, medAck, targetFanout, rb.verdict(med <= targetFanout))
		srvEnd, ok1 := cpuTime(fmt.Sprint(rb.srv.pid))
		ownEnd, ok2 := cpuTime("self")
		if srvOK && ownOK && ok1 && ok2 {
			fmt.Fprintf(rb.out, "            (CPU per transfer: server %s, this process's %d clients %s)\n",
				(srvEnd-srvCPU)/time.Duration(c.rounds), n, (ownEnd-ownCPU)/time.Duration(c.rounds))
		}
	}
	return rb.closeConns(ctx, conns)
}

// waitRound waits until all n connections have the round's event.
func waitRound(ctx context.Context, r *fanRound, n int) error {
	t := time.NewTimer(rtRoundTimeout)
	defer t.Stop()
	select {
	case <-r.done:
		return nil
	case <-t.C:
		return fmt.Errorf("%d of %d connections had no owner.changed within %s", r.left.Load(), n, rtRoundTimeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// reportMemory prints the server's memory per connection, n connections
// after it was before.
func (rb *rtBench) reportMemory(ctx context.Context, before procMem, n int) error {
	time.Sleep(rtSettle) // the last logins' garbage and goroutines settle
	after, err := rb.srv.memory(ctx, rb.b.hc)
	if err != nil {
		return err
	}
	if int(after.conns) != n {
		return fmt.Errorf("bench realtime: the server counts %d gateway connections, not %d", int(after.conns), n)
	}
	if before.rss == 0 { // no /proc
		fmt.Fprintf(rb.out, "memory      %d idle connections: VmRSS not available on this system (%s)\n", n, after.perConn(before, n))
		return nil
	}
	per := float64(after.rss-before.rss) / float64(n)
	fmt.Fprintf(rb.out, "memory      %d idle logged-in connections: VmRSS %.1f → %.1f MiB, %.1f KiB per connection (%s)   target ≤ %d KiB: %s\n",
		n, mib(before.rss), mib(after.rss), per/1024, after.perConn(before, n), targetConnBytes>>10, rb.verdict(per <= targetConnBytes))
	return nil
}

// throughput measures ZEGO TransferGroupOwner on the rooms without any
// connection, then with --idle members of the crowd room connected (they
// receive nothing: that room does not change), then without again: the
// drop is from the mean of the two runs without, so that a drift of the
// machine over the three weighs on both sides.
func (rb *rtBench) throughput(ctx context.Context, crowd *benchGroup) error {
	c := rb.c
	load := rb.b.transferLoad(rb.owned)
	measure := func() *result {
		if c.warmup > 0 {
			drive(ctx, c.clients, c.warmup, load)
		}
		return drive(ctx, c.clients, c.duration, load)
	}
	before := measure()
	var got atomic.Int64
	conns, err := rb.connect(ctx, crowd.members[:c.idle], crowd.id, func(*rtConn, *rtFrame, time.Time) { got.Add(1) })
	if err != nil {
		return err
	}
	with := measure()
	if err := rb.closeConns(ctx, conns); err != nil {
		return err
	}
	after := measure()
	for _, r := range []*result{before, with, after} {
		if r.firstErr != nil {
			return fmt.Errorf("bench realtime: throughput: %d failed transfers, the first: %w", r.errors, r.firstErr)
		}
	}
	if n := got.Load(); n > 0 {
		return fmt.Errorf("bench realtime: throughput: the idle connections received %d events", n)
	}
	drop := 1 - with.rate()/((before.rate()+after.rate())/2)
	fmt.Fprintf(rb.out, "throughput  ZEGO TransferGroupOwner, %d clients on %d rooms: without connections %.0f calls/s (p99 %s), with %d idle connections %.0f calls/s (p99 %s), without again %.0f calls/s (p99 %s); drop %.1f%%   target ≤ %.0f%%: %s\n",
		c.clients, c.rooms, before.rate(), before.pct(99), c.idle, with.rate(), with.pct(99), after.rate(), after.pct(99),
		100*drop, 100*targetDrop, rb.verdict(drop <= targetDrop))
	return nil
}

// latency connects every member of the rooms, drives transfers of their
// owners for --duration, and measures each delivered owner.changed from the
// time in its frame.
func (rb *rtBench) latency(ctx context.Context, rooms []*benchGroup) error {
	c := rb.c
	var users, of []string
	for _, g := range rooms {
		for _, m := range g.members {
			users, of = append(users, m), append(of, g.id)
		}
	}
	var delivered atomic.Int64
	onEvent := func(conn *rtConn, f *rtFrame, at time.Time) {
		if f.Event != rtEventOwner {
			return
		}
		delivered.Add(1)
		if len(conn.lat) < rtMaxSamples {
			// The frame's time is the commit's, in whole milliseconds.
			conn.lat = append(conn.lat, at.Sub(time.UnixMilli(f.Time)))
		}
	}
	conns, err := rb.connectEach(ctx, users, of, onEvent)
	if err != nil {
		return err
	}
	r := drive(ctx, c.clients, c.duration, rb.b.transferLoad(rb.owned))
	want := int64(r.ok * c.perRoom)
	for deadline := time.Now().Add(rtDeliveryWait); delivered.Load() < want && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	got := delivered.Load()
	if err := rb.closeConns(ctx, conns); err != nil {
		return err
	}
	if r.firstErr != nil {
		return fmt.Errorf("bench realtime: latency: %d failed transfers, the first: %w", r.errors, r.firstErr)
	}
	if got < want {
		return fmt.Errorf("bench realtime: latency: %d of %d owner.changed events were not delivered within %s", want-got, want, rtDeliveryWait)
	}
	lat := &result{}
	for _, conn := range conns {
		lat.lat = append(lat.lat, conn.lat...)
	}
	slices.Sort(lat.lat)
	p99 := lat.pct(99)
	fmt.Fprintf(rb.out, "latency     %d connections in %d rooms, %d clients transferring for %s: %d transfers (%.0f/s, REST p50 %s p99 %s), %d events delivered; commit→delivery p50 %s p99 %s max %s   target p99 ≤ %s: %s\n",
		len(conns), len(rooms), c.clients, c.duration, r.ok, r.rate(), r.pct(50), r.pct(99), got,
		lat.pct(50), p99, lat.pct(100), targetLatencyP99, rb.verdict(p99 <= targetLatencyP99))
	fmt.Fprintln(rb.out, "            (an upper bound: from the event's time, taken in the committing transaction in whole ms, to its receipt)")
	return nil
}

// rtFrame is what the bench reads of a gateway frame.
type rtFrame struct {
	Type    string `json:"type"`
	ID      int64  `json:"id"`
	Code    int    `json:"code"`
	Message string `json:"message"`
	Room    string `json:"room"`
	Event   string `json:"event"`
	Time    int64  `json:"time"`
	Data    struct {
		Rooms []rtRoom `json:"rooms"`
	} `json:"data"`
}

// rtRoom is one of the rooms of a login reply.
type rtRoom struct {
	Room string `json:"room"`
}

// rtConn is one logged-in gateway client. Its reader owns lat and err
// until done is closed.
type rtConn struct {
	ws      *websocket.Conn
	user    string
	closing atomic.Bool
	done    chan struct{}
	lat     []time.Duration
	err     error
}

// connect logs users in, each a member of room.
func (rb *rtBench) connect(ctx context.Context, users []string, room string, onEvent func(*rtConn, *rtFrame, time.Time)) ([]*rtConn, error) {
	of := make([]string, len(users))
	for i := range of {
		of[i] = room
	}
	return rb.connectEach(ctx, users, of, onEvent)
}

// connectEach logs users[i] in, a member of rooms[i], rtWorkers at a time,
// and starts a reader per connection that hands every event frame to
// onEvent (on the reader's goroutine). On an error it closes what it opened.
func (rb *rtBench) connectEach(ctx context.Context, users, rooms []string, onEvent func(*rtConn, *rtFrame, time.Time)) ([]*rtConn, error) {
	cctx, cancel := context.WithTimeout(ctx, rtConnectTimeout)
	defer cancel()
	conns := make([]*rtConn, len(users))
	err := parallel(len(users), rtWorkers, func(i int) error {
		c, err := rb.dial(cctx, ctx, users[i], rooms[i], onEvent)
		conns[i] = c
		return err
	})
	if err != nil {
		_ = closeAll(slices.DeleteFunc(conns, func(c *rtConn) bool { return c == nil }))
		return nil, fmt.Errorf("bench realtime: %w", err)
	}
	return conns, nil
}

// dial connects and logs user in within phase (and rtDialTimeout), checks that room is among
// the user's rooms, and starts the reader, which runs within ctx.
func (rb *rtBench) dial(phase, ctx context.Context, user, room string, onEvent func(*rtConn, *rtFrame, time.Time)) (*rtConn, error) {
	dctx, cancel := context.WithTimeout(phase, rtDialTimeout)
	defer cancel()
	sig, err := tencent.GenUserSig(rb.srv.app, rb.srv.secret, user, rtSigValidity, time.Now())
	if err != nil {
		return nil, err
	}
	login, _ := json.Marshal(map[string]any{"id": 1, "op": "login", "app": rb.srv.app, "user": user, "usersig": sig})
	ws, _, err := websocket.Dial(dctx, rb.wsURL, nil)
	if err != nil {
		return nil, fmt.Errorf("connecting %s: %w", user, err)
	}
	ws.SetReadLimit(rtReadLimit)
	var f rtFrame
	err = ws.Write(dctx, websocket.MessageText, login)
	if err == nil {
		var data []byte
		if _, data, err = ws.Read(dctx); err == nil {
			err = json.Unmarshal(data, &f)
		}
	}
	switch {
	case err != nil:
	case f.Type != "reply" || f.ID != 1 || f.Code != 0:
		err = fmt.Errorf("code %d: %s", f.Code, f.Message)
	case !slices.ContainsFunc(f.Data.Rooms, func(r rtRoom) bool { return r.Room == room }):
		err = fmt.Errorf("the login reply does not list room %s", room)
	}
	if err != nil {
		_ = ws.CloseNow()
		return nil, fmt.Errorf("login of %s: %w", user, err)
	}
	c := &rtConn{ws: ws, user: user, done: make(chan struct{})}
	go c.read(ctx, onEvent)
	return c, nil
}

// read hands the event frames to onEvent until the connection ends.
func (c *rtConn) read(ctx context.Context, onEvent func(*rtConn, *rtFrame, time.Time)) {
	defer close(c.done)
	var buf bytes.Buffer // reused: a frame is read into it whole (SetReadLimit bounds it)
	for range rtMaxFrames {
		buf.Reset()
		_, r, err := c.ws.Reader(ctx)
		if err == nil {
			_, err = buf.ReadFrom(r)
		}
		at := time.Now()
		if err != nil {
			if !c.closing.Load() && ctx.Err() == nil {
				c.err = fmt.Errorf("connection of %s: %w", c.user, err)
			}
			return
		}
		var f rtFrame
		if err := json.Unmarshal(buf.Bytes(), &f); err != nil {
			c.err = fmt.Errorf("connection of %s: a frame that is not JSON: %w", c.user, err)
			continue
		}
		if f.Type == "event" {
			onEvent(c, &f, at)
		}
	}
}

// closeAll closes conns with 1000, rtWorkers at a time, waits for their
// readers and returns the first error a reader met.
func closeAll(conns []*rtConn) error {
	_ = parallel(len(conns), rtWorkers, func(i int) error {
		c := conns[i]
		c.closing.Store(true)
		if c.ws.Close(websocket.StatusNormalClosure, rtCloseReason) != nil {
			_ = c.ws.CloseNow()
		}
		return nil
	})
	var errs []error
	for _, c := range conns {
		<-c.done // Close ended the reader's read
		if c.err != nil && len(errs) < 1 {
			errs = append(errs, c.err)
		}
	}
	return errors.Join(errs...)
}

// closeConns closes conns, then waits until the server counts no gateway
// connection, so that the next phase starts without their leftovers.
func (rb *rtBench) closeConns(ctx context.Context, conns []*rtConn) error {
	if err := closeAll(conns); err != nil {
		return err
	}
	deadline := time.Now().Add(rtDrainWait)
	for {
		m, err := rb.srv.memory(ctx, rb.b.hc)
		if err != nil || m.conns == 0 {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench realtime: the server still counts %.0f gateway connections %s after they were closed", m.conns, rtDrainWait)
		}
		time.Sleep(rtSettle / 10)
	}
}

// parallel runs fn(0) … fn(n-1) on up to workers goroutines and returns the
// first error; after one, no further fn is started.
func parallel(n, workers int, fn func(i int) error) error {
	var next atomic.Int64
	var failed atomic.Bool
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					failed.Store(true)
				}
			}
		})
	}
	wg.Wait()
	return first
}

// median returns the median of ds.
func median(ds []time.Duration) time.Duration {
	s := slices.Sorted(slices.Values(ds))
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

// durations lists ds rounded to 0.1 ms.
func durations(ds []time.Duration) string {
	s := ""
	for i, d := range ds {
		if i > 0 {
			s += " "
		}
		s += d.Round(100 * time.Microsecond).String()
	}
	return s
}

// mib returns b bytes in MiB.
func mib(b int64) float64 { return float64(b) / (1 << 20) }
