package main_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/sqlite"
	"github.com/roomd/roomd/storetest"
)

// The crash test's shape: workers, each with its own rooms and users, and
// what they start with.
const (
	crashWorkers    = 4
	crashRooms      = 3  // rooms per worker
	crashFirstUsers = 6  // users each worker registers first; the first 3 are in every room
	crashMaxRoom    = 12 // members a room may reach; then it is kicked, not invited into
	crashMaxBatch   = 3  // users in one invite, kick or registration
)

// crashCycles is how many kill-and-restart cycles TestCrashKeepsAcknowledgedChanges
// runs: $ROOMD_CRASH_CYCLES, 20 when unset.
func crashCycles(tb testing.TB) int {
	tb.Helper()
	s := os.Getenv("ROOMD_CRASH_CYCLES")
	if s == "" {
		return 20
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1000 {
		tb.Fatalf("ROOMD_CRASH_CYCLES=%q: want a number from 1 to 1000", s)
	}
	return n
}

// crashRoom is a worker's model of one of its rooms.
type crashRoom struct {
	id      string
	owner   string
	members map[string]bool
}

// crashModel is the state of a worker's rooms and users: the model holds
// only acknowledged changes; the store's state, read back, is one too.
type crashModel struct {
	users map[string]bool // registered
	rooms []*crashRoom    // nil where the store has no such room
}

func (m *crashModel) clone() *crashModel {
	c := &crashModel{users: maps.Clone(m.users), rooms: make([]*crashRoom, len(m.rooms))}
	for i, r := range m.rooms {
		if r != nil {
			c.rooms[i] = &crashRoom{id: r.id, owner: r.owner, members: maps.Clone(r.members)}
		}
	}
	return c
}

// crashOp is one change a worker asks for.
type crashOp struct {
	kind  string   // dialect.what: zego.transfer, tencent.kick, ...
	room  int      // the room's index in the model; unused by registrations
	users []string // the new owner, or the users invited, kicked or registered
}

func (op crashOp) String() string {
	if strings.HasSuffix(op.kind, ".register") {
		return fmt.Sprintf("%s %v", op.kind, op.users)
	}
	return fmt.Sprintf("%s %v in room %d", op.kind, op.users, op.room)
}

// apply makes op's change to m.
func (m *crashModel) apply(op crashOp) {
	switch kind := op.kind[strings.IndexByte(op.kind, '.')+1:]; kind {
	case "transfer":
		m.rooms[op.room].owner = op.users[0]
	case "invite":
		for _, u := range op.users {
			m.rooms[op.room].members[u] = true
		}
	case "kick":
		for _, u := range op.users {
			delete(m.rooms[op.room].members, u)
		}
	case "register":
		for _, u := range op.users {
			m.users[u] = true
		}
	}
}

// diff lists how got differs from m, the acknowledged state.
func (m *crashModel) diff(got *crashModel) []string {
	var d []string
	for _, u := range sortedKeys(m.users) {
		if !got.users[u] {
			d = append(d, fmt.Sprintf("user %s: acknowledged registration lost", u))
		}
	}
	for _, u := range sortedKeys(got.users) {
		if !m.users[u] {
			d = append(d, fmt.Sprintf("user %s: registered, but no registration of it was acknowledged or in flight", u))
		}
	}
	for i, want := range m.rooms {
		g := got.rooms[i]
		if g == nil {
			d = append(d, fmt.Sprintf("room %s: acknowledged room lost", want.id))
			continue
		}
		if g.owner != want.owner {
			d = append(d, fmt.Sprintf("room %s: got owner %q, want %q (acknowledged)", want.id, g.owner, want.owner))
		}
		for _, u := range sortedKeys(want.members) {
			if !g.members[u] {
				d = append(d, fmt.Sprintf("room %s: acknowledged member %s lost", want.id, u))
			}
		}
		for _, u := range sortedKeys(g.members) {
			if !want.members[u] {
				d = append(d, fmt.Sprintf("room %s: %s is a member, want not (acknowledged kick lost, or never invited)", want.id, u))
			}
		}
	}
	return d
}

func sortedKeys(m map[string]bool) []string { return slices.Sorted(maps.Keys(m)) }

// crashWorker changes its own rooms and users only, one request at a time.
type crashWorker struct {
	n       int
	model   *crashModel
	next    int             // number of the next new user
	keep    map[string]bool // members never kicked nor made owner (watchers); nil for none
	turn    int             // how many requests it has sent: the next goes to base turn mod len(bases)
	pending *crashOp        // the op whose request failed when roomd died
	acked   map[string]int  // acknowledged ops by kind
	byBase  map[string]int  // acknowledged ops by the base URL that answered them
	failure string          // an op refused or failed while roomd was up
}

func (w *crashWorker) user(i int) string { return fmt.Sprintf("w%d-u%d", w.n, i) }

// pick chooses a random op that, if done, changes the model: a transfer to
// a member, an invitation of registered non-members, a kick of members other
// than the owner (leaving at least two), or a registration of new users.
// The members w keeps are neither kicked nor made owner.
func (w *crashWorker) pick(r *rand.Rand) crashOp {
	ri := r.IntN(len(w.model.rooms))
	room := w.model.rooms[ri]
	var others, outside []string
	for _, u := range sortedKeys(room.members) {
		if u != room.owner && !w.keep[u] {
			others = append(others, u)
		}
	}
	for _, u := range sortedKeys(w.model.users) {
		if !room.members[u] {
			outside = append(outside, u)
		}
	}
	sample := func(from []string, most int) []string {
		from = slices.Clone(from)
		r.Shuffle(len(from), func(i, j int) { from[i], from[j] = from[j], from[i] })
		return from[:1+r.IntN(min(most, len(from)))]
	}
	dialect := []string{"zego", "tencent"}[r.IntN(2)]
	canInvite := len(outside) > 0 && len(room.members) < crashMaxRoom
	canKick := len(others) >= 2
	// 2 in 7 transfers, 2 invites, 2 kicks, 1 registration; an invite that
	// cannot be made becomes a kick and the other way round.
	switch k := r.IntN(7); {
	case k < 2:
		return crashOp{kind: dialect + ".transfer", room: ri, users: sample(others, 1)}
	case k < 4 && canInvite, k < 6 && canInvite && !canKick:
		return crashOp{kind: "zego.invite", room: ri, users: sample(outside, crashMaxBatch)}
	case k < 6 && canKick:
		return crashOp{kind: dialect + ".kick", room: ri, users: sample(others, min(crashMaxBatch, len(others)-1))}
	}
	op := crashOp{kind: dialect + ".register"}
	for range 1 + r.IntN(crashMaxBatch) {
		op.users = append(op.users, w.user(w.next))
		w.next++
	}
	return op
}

// send asks roomd for op. It returns an error when the answer did not come
// (the outcome is unknown), and whether the answer acknowledged op whole.
func (w *crashWorker) send(tb testing.TB, base string, op crashOp) (bool, string, error) {
	var room, owner string
	if !strings.HasSuffix(op.kind, ".register") {
		room, owner = w.model.rooms[op.room].id, w.model.rooms[op.room].owner
	}
	var z struct {
		Code                  int
		Message               string
		ErrorList, ErrorUsers []struct{ UserId string }
	}
	var ans tencentAnswer
	var err error
	switch op.kind {
	case "zego.transfer":
		err = zegoCall(tb, base, 777, crashSecret, "TransferGroupOwner", map[string]string{"FromUserId": owner, "GroupId": room, "NewOwner": op.users[0]}, nil, &z)
	case "zego.invite":
		err = zegoCall(tb, base, 777, crashSecret, "InviteUsersIntoGroup", nil, map[string]any{"FromUserId": owner, "GroupId": room, "UserIds": op.users}, &z)
	case "zego.kick":
		err = zegoCall(tb, base, 777, crashSecret, "KickoutGroupUser", nil, map[string]any{"FromUserId": owner, "GroupId": room, "UserId": op.users}, &z)
	case "zego.register":
		var infos []map[string]string
		for _, u := range op.users {
			infos = append(infos, map[string]string{"UserId": u})
		}
		err = zegoCall(tb, base, 777, crashSecret, "UserRegister", nil, map[string]any{"UserInfo": infos}, &z)
	case "tencent.transfer":
		ans, err = tencentCall(tb, base, "change_room_owner", map[string]string{"RoomId": room, "From_Account": owner, "NewOwner_Account": op.users[0]})
	case "tencent.kick":
		ans, err = tencentCall(tb, base, "kick_user_out", map[string]any{"RoomId": room, "MemberList_Account": op.users})
	case "tencent.register":
		var accounts []map[string]string
		for _, u := range op.users {
			accounts = append(accounts, map[string]string{"UserID": u})
		}
		ans, err = tencentCall(tb, base, "multiaccount_import", map[string]any{"AccountList": accounts})
	}
	if err != nil {
		return false, "", err
	}
	if strings.HasPrefix(op.kind, "zego.") {
		return z.Code == 0 && len(z.ErrorList) == 0 && len(z.ErrorUsers) == 0, fmt.Sprintf("%+v", z), nil
	}
	return ans.ErrorCode == 0 && ans.ActionStatus == "OK" && len(ans.FailAccounts) == 0, fmt.Sprintf("%+v", ans), nil
}

// run sends random ops, each to the next of bases in turn, until a request
// gets no answer (its roomd was killed), applying to the model each op that
// was acknowledged.
func (w *crashWorker) run(ctx context.Context, tb testing.TB, bases []string, r *rand.Rand, acks *atomic.Int64) {
	for i := 0; i < 20_000 && ctx.Err() == nil; i++ {
		op := w.pick(r)
		base := bases[w.turn%len(bases)]
		w.turn++
		ok, answer, err := w.send(tb, base, op)
		if err != nil {
			w.pending = &op
			return
		}
		if !ok {
			w.failure = fmt.Sprintf("worker %d: %s through %s: got %s, want it acknowledged whole", w.n, op, base, answer)
			return
		}
		w.model.apply(op)
		w.acked[op.kind]++
		if w.byBase == nil {
			w.byBase = map[string]int{}
		}
		w.byBase[base]++
		acks.Add(1)
	}
}

// crashRig is one data directory that roomd is started over, loaded from
// several workers, killed with SIGKILL and checked, again and again.
type crashRig struct {
	t       *testing.T
	dir     string
	config  string
	store   string
	rng     *rand.Rand
	workers []*crashWorker
	applied int // in-flight ops found applied after the kill
	dropped int // in-flight ops found not applied
}

// newCrashRig makes a rig over a fresh directory; seed draws every random
// choice but the moment of each kill's effect on the requests in flight.
func newCrashRig(t *testing.T, seed uint64) *crashRig {
	dir := t.TempDir()
	c := &crashRig{t: t, dir: dir, config: writeConfig(t, dir), store: filepath.Join(dir, "data", "roomd.db"), rng: rand.New(rand.NewPCG(seed, 7))}
	for n := range crashWorkers {
		c.workers = append(c.workers, &crashWorker{n: n, acked: map[string]int{}})
	}
	return c
}

// seed registers each worker's first users and creates its rooms, owned by
// its first user with its next two as members.
func (c *crashRig) seed(base string) {
	c.t.Helper()
	for _, w := range c.workers {
		w.model = &crashModel{users: map[string]bool{}}
		var infos []map[string]string
		for range crashFirstUsers {
			w.model.users[w.user(w.next)] = true
			infos = append(infos, map[string]string{"UserId": w.user(w.next)})
			w.next++
		}
		MustZEGO(c.t, base, 777, crashSecret, "UserRegister", nil, map[string]any{"UserInfo": infos})
		for i := range crashRooms {
			room := &crashRoom{id: fmt.Sprintf("w%d-r%d", w.n, i), owner: w.user(0), members: map[string]bool{w.user(0): true, w.user(1): true, w.user(2): true}}
			MustZEGO(c.t, base, 777, crashSecret, "CreateGroup", nil, map[string]any{"GroupId": room.id, "GroupOwner": room.owner, "UserId": []string{w.user(1), w.user(2)}})
			w.model.rooms = append(w.model.rooms, room)
		}
	}
}

// cycle starts roomd over the rig's store, checks through the API that it
// has every room's owner, runs the workers until a random moment after they
// got some answers, kills roomd with SIGKILL, deletes the WAL when loseWAL
// is set (to prove the check can fail), and returns the problems
// checkStore finds.
func (c *crashRig) cycle(loseWAL bool) []string {
	t := c.t
	t.Helper()
	p := MustStartRoomd(t, c.dir, "--config", c.config)
	var problems []string
	if c.workers[0].model == nil {
		c.seed(p.addr)
	}
	for _, w := range c.workers {
		for _, room := range w.model.rooms {
			var ans codeAnswer
			err := zegoCall(t, p.addr, 777, crashSecret, "QueryGroupInfo", nil, map[string]string{"FromUserId": room.owner, "GroupId": room.id}, &ans)
			if err != nil || ans.Code != 0 || ans.GroupOwner != room.owner {
				problems = append(problems, fmt.Sprintf("after restart, room %s through the API: got owner %q, code %d (%v), want owner %q", room.id, ans.GroupOwner, ans.Code, err, room.owner))
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var acks atomic.Int64
	var wg sync.WaitGroup
	for _, w := range c.workers {
		r := rand.New(rand.NewPCG(c.rng.Uint64(), uint64(w.n)))
		wg.Go(func() { w.run(ctx, t, []string{p.addr}, r, &acks) })
	}
	// Kill at a random moment once the workers have had some answers.
	for deadline := time.Now().Add(10 * time.Second); acks.Load() < 2*crashWorkers && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(time.Duration(c.rng.IntN(250_000)) * time.Microsecond)
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	_ = p.wait(t)
	for _, w := range c.workers {
		if w.failure != "" {
			problems = append(problems, w.failure)
		} else if w.pending == nil && ctx.Err() == nil {
			problems = append(problems, fmt.Sprintf("worker %d: stopped with no request in flight before the kill", w.n))
		}
	}
	if loseWAL {
		for _, suffix := range []string{"-wal", "-shm"} {
			if err := os.Remove(c.store + suffix); err != nil {
				t.Fatalf("losing the WAL: %v", err)
			}
		}
	}
	return append(problems, c.checkStore()...)
}

// checkStore opens the store the killed roomd left, as a restart does, and
// checks it (check).
func (c *crashRig) checkStore() []string {
	db, err := sqlite.Open(c.store, sqlite.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return []string{fmt.Sprintf("opening the store after the kill: %v", err)}
	}
	defer db.Close()
	return c.check(context.Background(), roomd.NewService(db, nil, nil))
}

// check compares, through svc, each worker's rooms and users with its
// model: every acknowledged change must be there, and the op in flight at
// the kill either wholly or not at all (the model then takes it). Every
// room must have exactly one owner, who is a member, and a gapless event
// log. It returns what is wrong.
func (c *crashRig) check(ctx context.Context, svc *roomd.Service) []string {
	var problems, rooms []string
	for _, w := range c.workers {
		got, err := storedModel(ctx, svc, w)
		if err != nil {
			problems = append(problems, fmt.Sprintf("worker %d: reading the store: %v", w.n, err))
			continue
		}
		diff := w.model.diff(got)
		if op := w.pending; op != nil {
			with := w.model.clone()
			with.apply(*op)
			switch {
			case len(diff) == 0:
				c.dropped++
			case len(with.diff(got)) == 0:
				w.model, diff = with, nil
				c.applied++
			default:
				for i := range diff {
					diff[i] += fmt.Sprintf(" (the op in flight at the kill, %s, does not explain it)", op)
				}
			}
			w.pending = nil
		}
		for _, d := range diff {
			problems = append(problems, fmt.Sprintf("worker %d: %s", w.n, d))
		}
		for _, r := range w.model.rooms {
			rooms = append(rooms, r.id)
		}
	}
	return append(problems, storetest.Invariants(ctx, svc, 777, rooms...)...)
}

// storedModel reads back from the store the state of w's rooms and of every
// user w ever tried to register.
func storedModel(ctx context.Context, svc *roomd.Service, w *crashWorker) (*crashModel, error) {
	m := &crashModel{users: map[string]bool{}}
	var ids []string
	for i := range w.next {
		ids = append(ids, w.user(i))
	}
	users, _, err := svc.Users(ctx, 777, ids)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		m.users[u.ID] = true
	}
	for _, want := range w.model.rooms {
		room, err := svc.Room(ctx, 777, want.id)
		if roomd.ErrorCode(err) == roomd.ENOROOM {
			m.rooms = append(m.rooms, nil)
			continue
		} else if err != nil {
			return nil, err
		}
		members, _, err := svc.Members(ctx, 777, want.id, 0, 1000)
		if err != nil {
			return nil, err
		}
		r := &crashRoom{id: room.ID, owner: room.Owner, members: map[string]bool{}}
		for _, mb := range members {
			r.members[mb.UserID] = true
		}
		m.rooms = append(m.rooms, r)
	}
	return m, nil
}

// crashSeedValue is the seed of a crash test's random choices:
// $ROOMD_CRASH_SEED to replay a run, else a new one (logged).
func crashSeedValue(tb testing.TB) uint64 {
	tb.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("ROOMD_CRASH_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			tb.Fatalf("ROOMD_CRASH_SEED=%q: want a number", s)
		}
	}
	tb.Logf("seed %d (ROOMD_CRASH_SEED=%d replays the random choices)", seed, seed)
	return seed
}

// TestCrashKeepsAcknowledgedChanges kills roomd with SIGKILL at a random
// moment, over and over, while workers make transfers, invitations, kicks
// and registrations through both dialects; after each kill every
// acknowledged change is in the store, each change in flight is wholly
// there or not at all, and every room has one owner, a member, and a
// gapless event log.
func TestCrashKeepsAcknowledgedChanges(t *testing.T) {
	cycles := crashCycles(t)
	c := newCrashRig(t, crashSeedValue(t))
	start := time.Now()
	for i := range cycles {
		if problems := c.cycle(false); len(problems) > 0 {
			t.Fatalf("cycle %d of %d: got %d problems, want none:\n%s", i+1, cycles, len(problems), strings.Join(problems, "\n"))
		}
	}
	acked := map[string]int{}
	total := 0
	for _, w := range c.workers {
		for k, n := range w.acked {
			acked[k] += n
			total += n
		}
	}
	for _, kind := range []string{"zego.transfer", "tencent.transfer", "zego.invite", "zego.kick", "tencent.kick", "zego.register", "tencent.register"} {
		if acked[kind] == 0 {
			t.Errorf("%s: got no acknowledged op in %d cycles, want some: the test exercised nothing for it", kind, cycles)
		}
	}
	if c.applied+c.dropped < cycles {
		t.Errorf("got %d ops in flight at the kills, want at least one per cycle (%d)", c.applied+c.dropped, cycles)
	}
	t.Logf("%d cycles in %s: %d ops acknowledged %v, all kept; of %d in flight at the kills, %d applied whole, %d not at all",
		cycles, time.Since(start).Round(time.Millisecond), total, acked, c.applied+c.dropped, c.applied, c.dropped)
}

// TestCrashCheckDetectsLoss proves the crash check can fail: with the WAL
// deleted after the kill, the acknowledged changes of that cycle are gone,
// and the check must say so.
func TestCrashCheckDetectsLoss(t *testing.T) {
	c := newCrashRig(t, crashSeedValue(t))
	if problems := c.cycle(false); len(problems) > 0 {
		t.Fatalf("cycle with the WAL kept: got %d problems, want none:\n%s", len(problems), strings.Join(problems, "\n"))
	}
	problems := c.cycle(true)
	lost := 0
	for _, p := range problems {
		if strings.Contains(p, "acknowledged") {
			lost++
		}
	}
	if lost == 0 {
		t.Fatalf("cycle with the WAL deleted after the kill: got problems %q, want acknowledged changes reported lost", problems)
	}
	t.Logf("with the WAL deleted the check reported %d problems, %d of them acknowledged changes lost; first: %s", len(problems), lost, problems[0])
}
