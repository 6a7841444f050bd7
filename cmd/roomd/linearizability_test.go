package main_test

import (
	"cmp"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// The shape of TestLinearizability.
const (
	linOps      = 10_000 // operations in a full run (CI runs it; -short runs linShortOps)
	linShortOps = 2_000
	linRooms    = 8  // rooms the operations share
	linUsers    = 10 // users each room's operations name: lz{room}-u0 .. u9
	linClients  = 12 // concurrent clients, each sending to the nodes in turn
	// linJoinBase is the EnterGroupTime (Unix ms) of user i invited, plus i:
	// before any room's creation, so that who succeeds a kicked owner (the
	// longest-standing member, then the smallest id) follows from the model.
	linJoinBase = 946684800000 // 2000-01-01
	linOperator = "lz-op"      // the FromUserId of the ZEGO calls: registered, in no room
)

// linKind is what an operation does.
type linKind uint8

const (
	linTransfer linKind = iota // make user the owner
	linInvite                  // add user as a member
	linKick                    // remove user
	linRead                    // read the owner and the members
)

func (k linKind) String() string { return [...]string{"transfer", "invite", "kick", "read"}[k] }

// linCode is how an operation was answered.
type linCode uint8

const (
	linOK        linCode = iota
	linNotMember         // ZEGO 660600024 or 660600008, Tencent 100005
	linForbidden         // Tencent 100006: From_Account is not the owner
	linNoRoom            // ZEGO 660600001, Tencent 100004: the room was dismissed
)

func (c linCode) String() string { return [...]string{"ok", "not a member", "forbidden", "no room"}[c] }

// linInput is one operation on one room.
type linInput struct {
	room    int
	kind    linKind
	user    int  // whom a transfer, invite or kick names
	from    int  // a Tencent transfer's From_Account (the client's last known owner); -1 for ZEGO's, which names none
	node    int  // the node it was sent to
	tencent bool // sent through the Tencent dialect, else ZEGO
}

// linOutput is an operation's answer; a read's also the owner and members.
type linOutput struct {
	code    linCode
	owner   int8   // a read's owner: -2 when the answer had not exactly one owner among the room's users
	members uint16 // a read's members, bit i for user i
}

// linState is the sequential model of one room.
type linState struct {
	owner   int8   // -1 once the room is dismissed (its last member was kicked)
	members uint16 // bit i: user i is a member
	orig    bool   // user 0 is still in by the creation of the room, so joined after every invited member
}

// successor is who owns the room once its owner is removed from st: the
// longest-standing member (invited users joined at linJoinBase+i, before
// user 0 created the room), -1 when none is left.
func (st linState) successor() int8 {
	if st.members == 0 {
		return -1
	}
	for i := range linUsers {
		if st.members&(1<<i) != 0 && (i != 0 || !st.orig) {
			return int8(i)
		}
	}
	return 0
}

// linStep is the model's step: whether a room in st could answer in with
// out, and the room after it.
func linStep(st linState, in linInput, out linOutput) (bool, linState) {
	if st.owner < 0 {
		return out.code == linNoRoom, st
	}
	bit := uint16(1) << in.user
	switch in.kind {
	case linTransfer:
		switch {
		case st.members&bit == 0:
			return out.code == linNotMember, st
		case int(st.owner) == in.user:
			return out.code == linOK, st // a transfer to the owner changes nothing
		case in.from >= 0 && in.from != int(st.owner):
			return out.code == linForbidden, st
		}
		st.owner = int8(in.user)
	case linInvite:
		st.members |= bit // a member stays as it is
	case linKick:
		if st.members&bit == 0 {
			return out.code == linNotMember, st
		}
		st.members &^= bit
		if in.user == 0 {
			st.orig = false
		}
		if int(st.owner) == in.user {
			st.owner = st.successor()
		}
	case linRead:
		return out.code == linOK && out.owner == st.owner && out.members == st.members, st
	}
	return out.code == linOK, st
}

// linModel is the porcupine model: one room's owner and members, each room
// a partition of its own.
var linModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byRoom := make([][]porcupine.Operation, linRooms)
		for _, op := range history {
			r := op.Input.(linInput).room
			byRoom[r] = append(byRoom[r], op)
		}
		return byRoom
	},
	Init: func() any { return linState{owner: 0, members: 0b111, orig: true} },
	Step: func(state, input, output any) (bool, any) {
		return linStep(state.(linState), input.(linInput), output.(linOutput))
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(linInput), output.(linOutput)
		if in.kind == linRead {
			return fmt.Sprintf("read -> %s, owner %d, members %010b", out.code, out.owner, out.members)
		}
		return fmt.Sprintf("%s u%d (from %d) -> %s", in.kind, in.user, in.from, out.code)
	},
	DescribeState: func(state any) string {
		st := state.(linState)
		return fmt.Sprintf("owner %d, members %010b", st.owner, st.members)
	},
}

// linUser is the id of user i of room r.
func linUser(r, i int) string { return fmt.Sprintf("lz%d-u%d", r, i) }

// linSetup registers the users and creates the rooms: each owned by user 0,
// with users 1 and 2 invited (the model's initial state).
func linSetup(tb testing.TB, base string) {
	tb.Helper()
	infos := []map[string]string{{"UserId": linOperator}}
	for r := range linRooms {
		for i := range linUsers {
			infos = append(infos, map[string]string{"UserId": linUser(r, i)})
		}
	}
	MustZEGO(tb, base, 777, crashSecret, "UserRegister", nil, map[string]any{"UserInfo": infos})
	for r := range linRooms {
		room := fmt.Sprintf("lz%d", r)
		MustZEGO(tb, base, 777, crashSecret, "CreateGroup", nil, map[string]any{"GroupId": room, "GroupOwner": linUser(r, 0)})
		for i := 1; i <= 2; i++ {
			MustZEGO(tb, base, 777, crashSecret, "InviteUsersIntoGroup", nil, map[string]any{"FromUserId": linOperator, "GroupId": room,
				"GroupMemberInfos": []map[string]any{{"UserId": linUser(r, i), "EnterGroupTime": linJoinBase + i}}})
		}
	}
}

// linClient sends random operations on the rooms, each to the next node in
// turn, and records each with the times it was called and answered.
type linClient struct {
	id      int
	r       *rand.Rand
	bases   []string
	t0      time.Time
	guess   [linRooms]int // the owner of each room this client last read
	ops     []porcupine.Operation
	failure string
}

// pick chooses a random operation: 3 in 10 reads, 3 invites, 3 transfers,
// 1 kick (so that a room seldom loses every member, which dismisses it);
// the dialect at random where both have the operation.
func (c *linClient) pick() linInput {
	in := linInput{room: c.r.IntN(linRooms), user: c.r.IntN(linUsers), from: -1, node: len(c.ops) % len(c.bases), tencent: c.r.IntN(2) == 0}
	switch k := c.r.IntN(10); {
	case k < 3:
		in.kind = linRead
	case k < 6:
		in.kind, in.tencent = linInvite, false // ZEGO only: Tencent's room API has no invitation
	case k < 9:
		in.kind = linTransfer
		if in.tencent {
			in.from = c.guess[in.room]
		}
	default:
		in.kind = linKick
	}
	return in
}

// zegoAnswer is the part of a ZEGO answer the operations read.
type zegoAnswer struct {
	Code       int
	Message    string
	ErrorList  []struct{ SubCode int }
	MemberList []struct {
		UserId string
		Role   int
	}
}

// do sends in and returns its answer; an error when the answer did not
// come or is not one the model knows.
func (c *linClient) do(tb testing.TB, in linInput) (linOutput, error) {
	base, room, user := c.bases[in.node], fmt.Sprintf("lz%d", in.room), linUser(in.room, in.user)
	var z zegoAnswer
	var ans tencentAnswer
	var err error
	switch {
	case in.kind == linRead && in.tencent:
		ans, err = tencentCall(tb, base, "get_room_member_list", map[string]any{"RoomId": room, "Count": 100})
	case in.kind == linRead:
		err = zegoCall(tb, base, 777, crashSecret, "QueryGroupMemberList", nil, map[string]any{"GroupId": room, "Limit": 100}, &z)
	case in.kind == linInvite:
		err = zegoCall(tb, base, 777, crashSecret, "InviteUsersIntoGroup", nil, map[string]any{"FromUserId": linOperator, "GroupId": room,
			"GroupMemberInfos": []map[string]any{{"UserId": user, "EnterGroupTime": linJoinBase + in.user}}}, &z)
	case in.kind == linTransfer && in.tencent:
		ans, err = tencentCall(tb, base, "change_room_owner", map[string]string{"RoomId": room, "From_Account": linUser(in.room, in.from), "NewOwner_Account": user})
	case in.kind == linTransfer:
		err = zegoCall(tb, base, 777, crashSecret, "TransferGroupOwner", map[string]string{"FromUserId": linOperator, "GroupId": room, "NewOwner": user}, nil, &z)
	case in.kind == linKick && in.tencent:
		ans, err = tencentCall(tb, base, "kick_user_out", map[string]any{"RoomId": room, "MemberList_Account": []string{user}})
	default:
		err = zegoCall(tb, base, 777, crashSecret, "KickoutGroupUser", nil, map[string]any{"FromUserId": linOperator, "GroupId": room, "UserId": []string{user}}, &z)
	}
	if err != nil {
		return linOutput{}, err
	}
	out := linOutput{owner: -2}
	var owners []string
	members := map[string]bool{}
	if in.tencent {
		switch ans.ErrorCode {
		case 0:
			out.code = linOK
		case 100004:
			out.code = linNoRoom
		case 100005:
			out.code = linNotMember
		case 100006:
			out.code = linForbidden
		default:
			return out, fmt.Errorf("got %d %s (%s)", ans.ErrorCode, ans.ActionStatus, ans.ErrorInfo)
		}
		for _, m := range ans.Response.MemberList {
			members[m.Member_Account] = true
			if m.Role == "Owner" {
				owners = append(owners, m.Member_Account)
			}
		}
	} else {
		switch {
		case z.Code == 0 && len(z.ErrorList) == 0:
			out.code = linOK
		case z.Code == 660600001:
			out.code = linNoRoom
		case z.Code == 660600024, z.Code == 660600008, len(z.ErrorList) == 1 && z.ErrorList[0].SubCode == 660600008:
			out.code = linNotMember
		default:
			return out, fmt.Errorf("got code %d (%s), errors %v", z.Code, z.Message, z.ErrorList)
		}
		for _, m := range z.MemberList {
			members[m.UserId] = true
			if m.Role == 1 {
				owners = append(owners, m.UserId)
			}
		}
	}
	if in.kind != linRead || out.code != linOK {
		return linOutput{code: out.code}, nil
	}
	for i := range linUsers {
		if members[linUser(in.room, i)] {
			out.members |= 1 << i
			delete(members, linUser(in.room, i))
		}
		if len(owners) == 1 && owners[0] == linUser(in.room, i) {
			out.owner = int8(i)
		}
	}
	if len(members) > 0 {
		return out, fmt.Errorf("read members %v, who are not users of the room", slices.Sorted(maps.Keys(members)))
	}
	return out, nil
}

// run sends n operations, stopping at the first that gets no answer the
// model knows.
func (c *linClient) run(tb testing.TB, n int) {
	for range n {
		in := c.pick()
		call := time.Since(c.t0).Nanoseconds()
		out, err := c.do(tb, in)
		ret := time.Since(c.t0).Nanoseconds()
		if err != nil {
			c.failure = fmt.Sprintf("client %d: %s in room %d through node %d: %v", c.id, in.kind, in.room, in.node, err)
			return
		}
		if in.kind == linRead && out.code == linOK && out.owner >= 0 {
			c.guess[in.room] = int(out.owner)
		}
		c.ops = append(c.ops, porcupine.Operation{ClientId: c.id, Input: in, Call: call, Output: out, Return: ret})
	}
}

// staleRead looks in ops (one room's history, linearizable) for a read R
// that can be given an older owner: a read R2 answered before R began
// saw owner B, a read R0 answered before R2 began saw owner A != B, and
// no kick, nor any transfer to A, overlaps [R2's call, R's return], so no
// order of the operations makes A the owner when R reads. It returns ops
// with R answering R0's answer, and which read it changed; false if it
// found none.
func staleRead(ops []porcupine.Operation) ([]porcupine.Operation, int, bool) {
	isRead := func(op porcupine.Operation) bool {
		out := op.Output.(linOutput)
		return op.Input.(linInput).kind == linRead && out.code == linOK && out.owner >= 0
	}
	quiet := func(from, to int64, a int8) bool {
		for _, op := range ops {
			in := op.Input.(linInput)
			overlaps := op.Call <= to && op.Return >= from
			if overlaps && (in.kind == linKick || in.kind == linTransfer && in.user == int(a)) {
				return false
			}
		}
		return true
	}
	for i, r := range ops {
		if !isRead(r) {
			continue
		}
		for _, r2 := range ops {
			if !isRead(r2) || r2.Return >= r.Call {
				continue
			}
			b := r2.Output.(linOutput).owner
			for _, r0 := range ops {
				a := r0.Output.(linOutput).owner
				if !isRead(r0) || r0.Return >= r2.Call || a == b || !quiet(r2.Call, r.Return, a) {
					continue
				}
				stale := slices.Clone(ops)
				stale[i].Output = r0.Output
				return stale, i, true
			}
		}
	}
	return nil, 0, false
}

// overlapping returns how many of ops (one room's) ran at the same time as
// another of them.
func overlapping(ops []porcupine.Operation) int {
	ops = slices.SortedFunc(slices.Values(ops), func(a, b porcupine.Operation) int { return cmp.Compare(a.Call, b.Call) })
	n, latest := 0, int64(-1) // latest: the last return of the ops called before op
	for i, op := range ops {
		if latest >= op.Call || i+1 < len(ops) && ops[i+1].Call <= op.Return {
			n++
		}
		latest = max(latest, op.Return)
	}
	return n
}

// TestLinearizability: linClients clients send linOps operations
// (transfers, invites, kicks through both dialects, reads of the owner and
// members through both) on linRooms rooms, spread over three roomd nodes on
// one PostgreSQL schema; porcupine finds each room's history linearizable
// against a sequential model of one room. A stale read, made from the run's
// own history by giving one read an owner replaced before it began, is
// reported not linearizable.
func TestLinearizability(t *testing.T) {
	ops := linOps
	if testing.Short() {
		ops = linShortOps
	}
	cl := MustStartCluster(t, clusterNodes, "")
	linSetup(t, cl.nodes[0].p.addr)
	bases := cl.live()
	seed := crashSeedValue(t)
	t0 := time.Now()
	clients := make([]*linClient, linClients)
	var wg sync.WaitGroup
	for i := range clients {
		c := &linClient{id: i, r: rand.New(rand.NewPCG(seed, uint64(i))), bases: bases, t0: t0}
		clients[i] = c
		n := ops / linClients
		if i < ops%linClients {
			n++
		}
		wg.Go(func() { c.run(t, n) })
	}
	wg.Wait()
	ran := time.Since(t0)
	var history []porcupine.Operation
	perNode := make([]int, len(bases))
	kinds := map[string]int{}
	for _, c := range clients {
		if c.failure != "" {
			t.Fatal(c.failure)
		}
		history = append(history, c.ops...)
		for _, op := range c.ops {
			in, out := op.Input.(linInput), op.Output.(linOutput)
			perNode[in.node]++
			kinds[in.kind.String()+" "+out.code.String()]++
		}
	}
	if len(history) != ops {
		t.Fatalf("got %d operations recorded, want %d", len(history), ops)
	}

	start := time.Now()
	result, info := porcupine.CheckOperationsVerbose(linModel, history, time.Minute)
	checked := time.Since(start)
	if result != porcupine.Ok {
		path := t.TempDir() + "/history.html"
		if err := porcupine.VisualizePath(linModel, info, path); err != nil {
			t.Log(err)
		}
		t.Fatalf("porcupine: got %s, want Ok: a room's owner and members history is not linearizable (visualization: %s)", result, path)
	}
	var nodes []string
	for i, n := range perNode {
		nodes = append(nodes, fmt.Sprintf("node %d %d", i, n))
	}
	concurrent := 0
	for _, room := range linModel.Partition(history) {
		concurrent += overlapping(room)
	}
	t.Logf("%d operations in %s (%.0f/s) by %d clients on %d rooms, %d of them concurrent with another on their room: %s; %v",
		len(history), ran.Round(time.Millisecond), float64(len(history))/ran.Seconds(), linClients, linRooms, concurrent, strings.Join(nodes, ", "), kinds)
	t.Logf("porcupine: linearizable, checked in %s", checked.Round(time.Millisecond))

	t.Run("StaleReadCaught", func(t *testing.T) {
		for _, room := range linModel.Partition(history) {
			stale, i, ok := staleRead(room)
			if !ok {
				continue
			}
			if porcupine.CheckOperations(linModel, stale) {
				t.Fatalf("porcupine: the history with read %d of room %d given an owner replaced before it began (%s) is linearizable, want not",
					i, room[i].Input.(linInput).room, linModel.DescribeOperation(stale[i].Input, stale[i].Output))
			}
			t.Logf("room %d: read %d given owner %d instead of %d (replaced before the read began): not linearizable, as it must be",
				room[i].Input.(linInput).room, i, stale[i].Output.(linOutput).owner, room[i].Output.(linOutput).owner)
			return
		}
		t.Fatalf("no read in the history could be made stale: want a read, a later one that saw another owner, and a quiet window")
	})
}

// TestLinearizabilityModel checks the model on short histories written by
// hand: what a room answers in order is accepted, a read of an owner
// replaced before it began is not.
func TestLinearizabilityModel(t *testing.T) {
	op := func(call, ret int64, in linInput, out linOutput) porcupine.Operation {
		return porcupine.Operation{Input: in, Call: call, Output: out, Return: ret}
	}
	transfer := func(call, ret int64, to int) porcupine.Operation {
		return op(call, ret, linInput{kind: linTransfer, user: to, from: -1}, linOutput{code: linOK})
	}
	read := func(call, ret int64, owner int8, members uint16) porcupine.Operation {
		return op(call, ret, linInput{kind: linRead}, linOutput{code: linOK, owner: owner, members: members})
	}
	kick := func(call, ret int64, user int) porcupine.Operation {
		return op(call, ret, linInput{kind: linKick, user: user}, linOutput{code: linOK})
	}
	for _, tc := range []struct {
		name    string
		history []porcupine.Operation
		want    bool
	}{
		{"transfer then read", []porcupine.Operation{transfer(0, 1, 1), read(2, 3, 1, 0b111)}, true},
		{"stale read after a transfer", []porcupine.Operation{transfer(0, 1, 1), read(2, 3, 0, 0b111)}, false},
		{"read concurrent with a transfer", []porcupine.Operation{transfer(0, 3, 1), read(1, 2, 0, 0b111)}, true},
		{"kicked owner succeeded by an invited member", []porcupine.Operation{kick(0, 1, 0), read(2, 3, 1, 0b110)}, true},
		{"kicked owner succeeded by the wrong member", []porcupine.Operation{kick(0, 1, 0), read(2, 3, 2, 0b110)}, false},
		{"last member kicked dismisses", []porcupine.Operation{kick(0, 1, 1), kick(2, 3, 2), kick(4, 5, 0),
			op(6, 7, linInput{kind: linRead}, linOutput{code: linNoRoom})}, true},
		{"Tencent transfer from a stale owner", []porcupine.Operation{transfer(0, 1, 1),
			op(2, 3, linInput{kind: linTransfer, user: 2, from: 0}, linOutput{code: linForbidden})}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := porcupine.CheckOperations(linModel, tc.history); got != tc.want {
				t.Errorf("linearizable: got %v, want %v", got, tc.want)
			}
		})
	}
}
