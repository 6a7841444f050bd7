package main_test

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/roomd/roomd/tencent"
)

// curlRequest turns the curl command `roomd sign` printed into a request.
func curlRequest(tb testing.TB, line string) *http.Request {
	tb.Helper()
	m := regexp.MustCompile(`'(http://[^']+)'(?: -d '([^']*)')?`).FindStringSubmatch(line)
	if m == nil {
		tb.Fatalf("no URL in %q", line)
	}
	method := http.MethodGet
	if strings.Contains(line, "-X POST") {
		method = http.MethodPost
	}
	req, err := http.NewRequest(method, m[1], strings.NewReader(m[2]))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return req
}

// TestSignTencent: the curl printed by `roomd sign tencent` authenticates.
func TestSignTencent(t *testing.T) {
	dir := t.TempDir()
	p := MustStartRoomd(t, dir, "--config", writeConfig(t, dir))
	out, err := exec.Command(roomdBin, "sign", "tencent", "--addr", p.addr, "--app", "777", "--secret", crashSecret,
		"get_room_info", `{"RoomId":"no-such-room"}`).Output()
	if err != nil {
		t.Fatalf("roomd sign tencent: %v", err)
	}
	resp, err := http.DefaultClient.Do(curlRequest(t, string(out)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans tencentAnswer
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil {
		t.Fatal(err)
	}
	// Authenticated, then refused for the room: the signature was good.
	if ans.ErrorCode != 100004 {
		t.Fatalf("got code %d (%s), want 100004 (no such room)", ans.ErrorCode, ans.ErrorInfo)
	}
}

// TestUserSigCommand: `roomd usersig` prints a UserSig that verifies for
// that app, user and key, and not for another user.
func TestUserSigCommand(t *testing.T) {
	out, err := exec.Command(roomdBin, "usersig", "--app", "1400000001", "--secret", "k3y", "--user", "alice", "--expire", "3600").Output()
	if err != nil {
		t.Fatalf("roomd usersig: %v", err)
	}
	sig := strings.TrimSpace(string(out))
	if err := tencent.VerifyUserSig(1400000001, "k3y", "alice", sig, time.Now()); err != nil {
		t.Fatalf("VerifyUserSig: got %v, want nil", err)
	}
	if err := tencent.VerifyUserSig(1400000001, "k3y", "bob", sig, time.Now()); err == nil {
		t.Fatalf("VerifyUserSig for another user: got nil, want an error")
	}
	if err := exec.Command(roomdBin, "usersig", "--app", "1", "--secret", "k").Run(); err == nil {
		t.Fatalf("usersig without --user: got success, want an error exit")
	}
}

// TestVersionAndUsage: `roomd version` names itself; an unknown command fails.
func TestVersionAndUsage(t *testing.T) {
	out, err := exec.Command(roomdBin, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "roomd ") {
		t.Fatalf("roomd version: got %q (%v), want a line starting with \"roomd \"", out, err)
	}
	if out, err := exec.Command(roomdBin, "frobnicate").CombinedOutput(); err == nil || !strings.Contains(string(out), "unknown command") {
		t.Fatalf("unknown command: got %q (%v), want an error naming it", out, err)
	}
}
