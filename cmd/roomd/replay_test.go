package main_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/roomd/roomd/zego"
)

// sendQuery sends a GET with the raw query to a roomd and returns the ZEGO answer's Code.
func sendQuery(tb testing.TB, base string, q url.Values) int {
	tb.Helper()
	resp, err := http.Get(base + "/?" + q.Encode())
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var ans codeAnswer
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil {
		tb.Fatalf("decoding the answer: %v", err)
	}
	return ans.Code
}

// TestReplayAfterRestart: a signed ZEGO URL used once is refused by a roomd
// restarted on the same store, after SIGTERM or SIGKILL, also with another
// Action (the vendor's signature does not cover the action).
func TestReplayAfterRestart(t *testing.T) {
	for name, sig := range map[string]syscall.Signal{"SIGTERM": syscall.SIGTERM, "SIGKILL": syscall.SIGKILL} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := writeConfig(t, dir)
			p := MustStartRoomd(t, dir, "--config", cfg)
			seedGroups(t, p.addr, 1, 2)
			used := zego.SignedQuery(777, crashSecret, "QueryGroupInfo", time.Now())
			used.Set("GroupId", "g0")
			used.Set("FromUserId", "g0-u0")
			if got := sendQuery(t, p.addr, used); got != 0 {
				t.Fatalf("first use: got Code %d, want 0", got)
			}
			_ = p.cmd.Process.Signal(sig)
			_ = p.wait(t)

			p = MustStartRoomd(t, dir, "--config", cfg)
			if got := sendQuery(t, p.addr, used); got != 100000005 {
				t.Errorf("same URL after restart: got Code %d, want 100000005", got)
			}
			used.Set("Action", "DismissGroup")
			if got := sendQuery(t, p.addr, used); got != 100000005 {
				t.Errorf("same signature as DismissGroup after restart: got Code %d, want 100000005", got)
			}
			ans := MustZEGO(t, p.addr, 777, crashSecret, "QueryGroupInfo", nil, map[string]string{"GroupId": "g0", "FromUserId": "g0-u0"})
			if ans.GroupOwner != "g0-u0" {
				t.Errorf("group g0 after the replays: got owner %q, want g0-u0 (still there)", ans.GroupOwner)
			}
		})
	}
}

// TestSecondServeRefused: a second roomd on a store that one is serving
// refuses to start, naming the store and the process that holds it, and the
// first keeps serving.
func TestSecondServeRefused(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir)
	p := MustStartRoomd(t, dir, "--config", cfg)
	cmd := exec.Command(roomdBin, "serve", "--config", cfg, "--listen", "127.0.0.1:0")
	cmd.Dir = dir
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("the second roomd did not exit within 30s")
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == 0 {
		t.Fatalf("second roomd: got %v, want a non-zero exit\n%s", err, out)
	}
	msg := string(out)
	for _, want := range []string{"roomd.db", "in use", "pid " + strconv.Itoa(p.cmd.Process.Pid)} {
		if !strings.Contains(msg, want) {
			t.Errorf("second roomd's message %q does not contain %q", msg, want)
		}
	}
	MustZEGO(t, p.addr, 777, crashSecret, "QueryAppGroupList", map[string]string{"Limit": "1"}, nil)
}
