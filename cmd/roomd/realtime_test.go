package main_test

import (
	"context"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/roomd/roomd/roomdclient"
	"github.com/roomd/roomd/zego"
)

// freePort returns a loopback port that was free a moment ago, so that a
// restarted roomd listens where its clients reconnect.
func freePort(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestRealtimeAcrossRestart: a member logged in with a ZEGO Token04 through
// roomdclient keeps every acknowledged event, in order and once, across a
// restart of roomd by SIGTERM (the client is told 1001) or SIGKILL; the
// client reconnects and resumes by itself.
func TestRealtimeAcrossRestart(t *testing.T) {
	for name, sig := range map[string]syscall.Signal{"SIGTERM": syscall.SIGTERM, "SIGKILL": syscall.SIGKILL} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := writeConfig(t, dir)
			addr := freePort(t)
			p := MustStartRoomd(t, dir, "--config", cfg, "--listen", addr)
			members := seedGroups(t, p.addr, 1, 3)[0] // g0: 1 created, 2-4 joined
			token, err := zego.GenerateToken04(777, crashSecret, members[1], time.Hour, time.Now(), "")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			c, err := roomdclient.Dial(ctx, "ws://"+addr+"/v1/connect", roomdclient.Credentials{App: 777, User: members[1], Token: token},
				roomdclient.WithBackoff(50*time.Millisecond, 500*time.Millisecond))
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			defer c.Close()
			owner := 0
			transfer := func(base string, n int) {
				for range n {
					next := (owner + 1) % len(members)
					MustZEGO(t, base, 777, crashSecret, "TransferGroupOwner", map[string]string{
						"FromUserId": members[owner], "GroupId": "g0", "NewOwner": members[next]}, nil)
					owner = next
				}
			}
			var got []int64
			read := func(n int) {
				for range n {
					e, err := c.Next(ctx)
					if err != nil {
						t.Fatalf("Next after %v: %v", got, err)
					}
					if e.Resync || e.Room != "g0" {
						t.Fatalf("got %+v, want an event of g0", e)
					}
					got = append(got, e.Seq)
				}
			}
			transfer(p.addr, 10) // 5-14, acknowledged
			read(4)
			_ = p.cmd.Process.Signal(sig)
			_ = p.wait(t)
			p = MustStartRoomd(t, dir, "--config", cfg, "--listen", addr)
			transfer(p.addr, 5) // 15-19
			read(15 - 4)
			for i, s := range got {
				if want := int64(5 + i); s != want {
					t.Fatalf("events: got seqs %v, want 5..19 in order, once each", got)
				}
			}
			rctx, rcancel := context.WithTimeout(ctx, 300*time.Millisecond)
			defer rcancel()
			if e, err := c.Next(rctx); err == nil {
				t.Fatalf("an extra event after seq 19: %+v", e)
			}
			t.Logf("%s: seqs %s..%s delivered once each across the restart", name, strconv.FormatInt(got[0], 10), strconv.FormatInt(got[len(got)-1], 10))
		})
	}
}
