package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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
	resp, err := testClient.Do(curlRequest(t, string(out)))
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

// runRoomd runs `roomd args...` in dir to its end (at most 30s) and returns
// what it printed and its exit code.
func runRoomd(tb testing.TB, dir string, args ...string) (stdout, stderr string, code int) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, roomdBin, args...)
	cmd.Dir = dir
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		tb.Fatalf("roomd %s: still running after 30s", strings.Join(args, " "))
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		tb.Fatalf("roomd %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

// TestUsageAndExitCodes: -h prints a command's usage on stdout and exits 0;
// a mistake in the command line exits 2 with the reason on stderr's last line.
func TestUsageAndExitCodes(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		code   int
		stdout string // contained in stdout
		stderr string // the last line of stderr
	}{
		{"Version", []string{"version"}, 0, "roomd dev ", ""},
		{"Help", []string{"help"}, 0, "usage: roomd COMMAND", ""},
		{"H", []string{"-h"}, 0, "usage: roomd COMMAND", ""},
		{"HelpServe", []string{"help", "serve"}, 0, "usage: roomd serve", ""},
		{"HelpH", []string{"help", "-h"}, 0, "usage: roomd COMMAND", ""},
		{"ServeH", []string{"serve", "-h"}, 0, "usage: roomd serve", ""},
		{"ServeHelp", []string{"serve", "--help"}, 0, "-listen address", ""},
		{"SignH", []string{"sign", "-h"}, 0, "roomd sign zego --app", ""},
		{"SignZEGOH", []string{"sign", "zego", "-h"}, 0, "-secret string", ""},
		{"SignTencentH", []string{"sign", "tencent", "-h"}, 0, "-admin string", ""},
		{"UserSigH", []string{"usersig", "-h"}, 0, "usage: roomd usersig", ""},
		{"BenchH", []string{"bench", "-h"}, 0, "-clients", ""},
		{"VersionH", []string{"version", "-h"}, 0, "usage: roomd version", ""},
		{"NoCommand", nil, 2, "", "roomd: a command is required"},
		{"UnknownCommand", []string{"frobnicate"}, 2, "", `roomd: unknown command "frobnicate"`},
		{"HelpUnknown", []string{"help", "frobnicate"}, 2, "", `roomd: unknown command "frobnicate"`},
		{"ServeBadFlag", []string{"serve", "--bogus"}, 2, "", "roomd: serve: flag provided but not defined: -bogus"},
		{"ServeArgument", []string{"serve", "now"}, 2, "", `roomd: serve: unexpected argument "now"`},
		{"VersionArgument", []string{"version", "now"}, 2, "", `roomd: version: unexpected argument "now"`},
		{"SignNoDialect", []string{"sign"}, 2, "", "roomd: sign: zego or tencent is required"},
		{"SignBadDialect", []string{"sign", "agora"}, 2, "", `roomd: sign: unknown dialect "agora" (zego or tencent)`},
		{"SignNoSecret", []string{"sign", "zego", "--app", "1", "QueryAppGroupList"}, 2, "", "roomd: sign zego: --app (a uint32) and --secret are required"},
		{"SignUnknownAction", []string{"sign", "zego", "--app", "1", "--secret", "s", "Frob"}, 2, "", `roomd: sign zego: unknown ZEGO action "Frob"`},
		{"UserSigNoUser", []string{"usersig", "--app", "1", "--secret", "k"}, 2, "", "roomd: usersig: --app (a uint32), --secret and --user are required"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := runRoomd(t, t.TempDir(), c.args...)
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			if code != c.code || !strings.Contains(stdout, c.stdout) || lines[len(lines)-1] != c.stderr {
				t.Errorf("roomd %s: got exit %d, stdout %q, stderr %q; want exit %d, stdout containing %q, stderr ending %q",
					strings.Join(c.args, " "), code, stdout, stderr, c.code, c.stdout, c.stderr)
			}
			if c.code == 0 && stderr != "" {
				t.Errorf("roomd %s: got stderr %q, want none", strings.Join(c.args, " "), stderr)
			}
		})
	}
}

// TestUserSigExpire: usersig signs validities of 1 s up to 2^31-1 s and
// refuses zero, negative and larger values, which would overflow.
func TestUserSigExpire(t *testing.T) {
	cases := []struct {
		expire string
		code   int
	}{
		{"1", 0}, {"2147483647", 0}, {"0", 2}, {"-5", 2}, {"2147483648", 2},
		{"9223372036854775807", 2},  // overflows time.Duration as seconds
		{"99999999999999999999", 2}, // overflows int64
	}
	for _, c := range cases {
		t.Run(c.expire, func(t *testing.T) {
			stdout, stderr, code := runRoomd(t, t.TempDir(), "usersig", "--app", "1400000001", "--secret", "k3y", "--user", "alice", "--expire", c.expire)
			if code != c.code {
				t.Fatalf("got exit %d (stderr %q), want %d", code, stderr, c.code)
			}
			if c.code != 0 {
				if !strings.Contains(stderr, "-expire") {
					t.Errorf("got stderr %q, want it to name --expire", stderr)
				}
				return
			}
			if err := tencent.VerifyUserSig(1400000001, "k3y", "alice", strings.TrimSpace(stdout), time.Now()); err != nil {
				t.Errorf("VerifyUserSig: got %v, want nil", err)
			}
		})
	}
}
