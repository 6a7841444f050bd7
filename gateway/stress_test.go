package gateway_test

import (
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/storetest"
	"github.com/roomd/roomd/tencent"
	"github.com/roomd/roomd/zego"
)

// TestConcurrentChangesAndRandomDisconnects: while two clients change rooms
// through both REST dialects at once (transfers, kicks, invites), a member
// is cut off at random points and resumes each time. Afterwards, per room,
// what it received is exactly what the log says it is entitled to: in
// order, with no gap and no duplicate.
func TestConcurrentChangesAndRandomDisconnects(t *testing.T) {
	e := MustStartGateway(t, func(c *envConfig) { c.rest = true })
	users := []string{"ann", "bob", "cid", "dan"}
	e.MustRegister(t, users...)
	rooms := []string{"r0", "r1", "r2", "r3"}
	for _, r := range rooms {
		e.MustRoom(t, r, "ann", "bob", "cid", "dan")
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	// The watcher: bob, from the rooms' state at its first login.
	c, login := e.MustDial(t, "bob", nil)
	var data struct {
		Rooms []struct {
			Room string
			Seq  int64
		}
	}
	if err := json.Unmarshal(login.Data, &data); err != nil {
		t.Fatal(err)
	}
	start := map[string]int64{}
	for _, r := range data.Rooms {
		start[r.Room] = r.Seq
	}

	sig, err := tencent.GenUserSig(appID, secret, "administrator", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	call := func(req *http.Request, err error) {
		if err != nil {
			t.Error(err)
			return
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	const opsPerWriter = 150
	var wg sync.WaitGroup
	for w := range 2 {
		wrng := rand.New(rand.NewPCG(seed, uint64(w+2)))
		wg.Go(func() {
			for range opsPerWriter {
				room, who := rooms[wrng.IntN(len(rooms))], users[wrng.IntN(len(users))]
				switch wrng.IntN(4) {
				case 0:
					call(zego.NewRequest(ctx, e.Base, appID, secret, "TransferGroupOwner", map[string]string{"FromUserId": "ann", "GroupId": room, "NewOwner": who}, nil, time.Now()))
				case 1:
					owner := "ann" // the current owner, as far as this writer can tell
					if r, err := e.Svc.Room(ctx, appID, room); err == nil {
						owner = r.Owner
					}
					call(tencent.NewRequest(ctx, e.Base, appID, "administrator", sig, "change_room_owner", map[string]string{"RoomId": room, "From_Account": owner, "NewOwner_Account": who}, wrng.Uint32()))
				case 2:
					call(zego.NewRequest(ctx, e.Base, appID, secret, "KickoutGroupUser", nil, map[string]any{"FromUserId": "ann", "GroupId": room, "UserIds": []string{who}}, time.Now()))
					call(zego.NewRequest(ctx, e.Base, appID, secret, "InviteUsersIntoGroup", nil, map[string]any{"FromUserId": "ann", "GroupId": room, "UserIds": []string{who}}, time.Now()))
				case 3:
					call(tencent.NewRequest(ctx, e.Base, appID, "administrator", sig, "kick_user_out", map[string]any{"RoomId": room, "MemberList_Account": []string{who}}, wrng.Uint32()))
					call(zego.NewRequest(ctx, e.Base, appID, secret, "InviteUsersIntoGroup", nil, map[string]any{"FromUserId": "ann", "GroupId": room, "UserIds": []string{who}}, time.Now()))
				}
			}
		})
	}
	writersDone := make(chan struct{})
	go func() { wg.Wait(); close(writersDone) }()

	// Read a random number of events, drop the connection, resume.
	got := map[string][]int64{}
	last := map[string]int64{}
	for r, s := range start {
		last[r] = s
	}
	take := func(fs []Frame) {
		for _, f := range fs {
			if f.Type == "event" {
				got[f.Room] = append(got[f.Room], f.Seq)
				last[f.Room] = f.Seq
			}
		}
	}
	reconnects := 0
	for done := false; !done && reconnects < 200; {
		select {
		case <-writersDone:
			done = true
		default:
		}
		n := rng.IntN(40)
		for i := 0; i < n; i++ {
			f, err := c.Read(200 * time.Millisecond)
			if err != nil {
				break
			}
			take([]Frame{f})
		}
		_ = c.ws.CloseNow()
		reconnects++
		c, _ = e.MustDial(t, "bob", maps(last))
	}
	// Everything the log entitles bob to since the start.
	want := map[string][]int64{}
	total := 0
	for _, r := range rooms {
		page, err := e.Svc.Feed(ctx, appID, r, "bob", start[r], roomd.MaxFeed)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range page.Events {
			want[r] = append(want[r], ev.Seq)
		}
		total += len(want[r])
	}
	have := 0
	for _, r := range rooms {
		have += len(got[r])
	}
	for i := 0; have < total && i < total+10; i++ {
		f, err := c.Read(10 * time.Second)
		if err != nil {
			t.Fatalf("waiting for the rest: %v (have %d of %d)", err, have, total)
		}
		if f.Type == "event" {
			take([]Frame{f})
			have++
		}
	}
	c.Events = nil
	c.Quiet()
	for _, r := range rooms {
		if !reflect.DeepEqual(got[r], want[r]) {
			t.Errorf("room %s: got %v\nwant %v (the log's entitled events)", r, got[r], want[r])
		}
	}
	storetest.CheckRooms(t, ctx, e.Svc, appID, rooms...)
	t.Logf("%d reconnects, %d events", reconnects, total)
	if total < 100 {
		t.Fatalf("only %d events: the test did too little", total)
	}
}

// maps copies a map.
func maps(m map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
