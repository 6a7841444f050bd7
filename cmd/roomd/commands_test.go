package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomd/roomd/tencent"
)

// The commands' tests call run in this process: only the tests of a
// crash, a signal or the serving process itself (roomd_test.go and the
// other package main_test files) start the binary.

// CurlRequest turns the curl command `roomd sign` printed into a request.
// It is exported for the package's external tests (TestQuickstart).
func CurlRequest(tb testing.TB, line string) *http.Request {
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

// inProcessApp and inProcessSecret are the app of serveInProcess.
const (
	inProcessApp    = 777
	inProcessSecret = "0123456789abcdef0123456789abcdef"
)

// listenWatcher is the stderr of an in-process serve: it keeps the log and
// hands over the address of the "listening" record.
type listenWatcher struct {
	mu   sync.Mutex
	log  bytes.Buffer
	addr chan string
}

func (w *listenWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.log.Write(p)
	for _, line := range bytes.Split(p, []byte("\n")) {
		var rec struct{ Msg, Addr string }
		if json.Unmarshal(line, &rec) == nil && rec.Msg == "listening" {
			select {
			case w.addr <- "http://" + rec.Addr:
			default:
			}
		}
	}
	return len(p), nil
}

func (w *listenWatcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.log.String()
}

// serveInProcess runs `roomd serve` in this process, with app 777 and its
// store in a temporary directory, until the test ends (it must then stop
// cleanly), and returns its base URL once it listens.
func serveInProcess(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "roomd.yaml")
	yaml := fmt.Sprintf("listen: 127.0.0.1:0\nstore: sqlite:%s\napps:\n  - id: %d\n    secret: %q\n    rate_limits: off\n",
		filepath.Join(dir, "data", "roomd.db"), inProcessApp, inProcessSecret)
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	logs := &listenWatcher{addr: make(chan string, 1)}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "--config", cfg}, io.Discard, logs) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: got %v, want a clean stop", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("serve did not stop within 30s of its cancellation")
		}
	})
	select {
	case addr := <-logs.addr:
		return addr
	case err := <-done:
		done <- err // for the cleanup
		t.Fatalf("serve ended before listening: %v\n%s", err, logs)
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not listen within 30s\n%s", logs)
	}
	return ""
}

// callSigned runs `roomd sign DIALECT --addr base --app 777 --secret ...
// args...` in this process, makes the call it printed and decodes the
// answer into out.
func callSigned(t *testing.T, base, dialect string, out any, args ...string) {
	t.Helper()
	stdout, stderr, code := runInProcess(t, append([]string{"sign", dialect, "--addr", base, "--app", "777", "--secret", inProcessSecret}, args...)...)
	if code != 0 || stderr != "" {
		t.Fatalf("roomd sign %s %v: got exit %d, stderr %q; want 0 and none", dialect, args, code, stderr)
	}
	resp, err := http.DefaultClient.Do(CurlRequest(t, stdout))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

// zegoAnswer holds the fields of the ZEGO answers these tests read.
type zegoAnswer struct {
	Code       int
	Message    string
	TotalCount *int
	Result     []struct{ UserId, Status string }
}

// TestSignCommands: the curl commands `roomd sign zego` (GET and POST
// actions) and `roomd sign tencent` print authenticate against a roomd.
func TestSignCommands(t *testing.T) {
	base := serveInProcess(t)
	var z zegoAnswer
	callSigned(t, base, "zego", &z, "QueryAppGroupList", "Limit=10")
	if z.Code != 0 || z.TotalCount == nil {
		t.Fatalf("QueryAppGroupList: got %+v, want Code 0 with a TotalCount", z)
	}
	callSigned(t, base, "zego", &z, "UserRegister", `UserInfo:=[{"UserId":"ann"}]`)
	if z.Code != 0 {
		t.Fatalf("UserRegister: got %+v, want Code 0", z)
	}
	var tc struct {
		ErrorCode int
		ErrorInfo string
	}
	callSigned(t, base, "tencent", &tc, "get_room_info", `{"RoomId":"no-such-room"}`)
	// Authenticated, then refused for the room: the signature was good.
	if tc.ErrorCode != 100004 {
		t.Fatalf("get_room_info: got code %d (%s), want 100004 (no such room)", tc.ErrorCode, tc.ErrorInfo)
	}
}

// TestOnlineStateServed: in the roomd serve assembles, ZEGO's
// QueryUserOnlineState sees the real-time gateway's logins: a user is
// Online while `roomd watch` is logged in as it, and Offline before and
// after.
func TestOnlineStateServed(t *testing.T) {
	base := serveInProcess(t)
	var z zegoAnswer
	callSigned(t, base, "zego", &z, "UserRegister", `UserInfo:=[{"UserId":"ann"}]`)
	status := func() string {
		t.Helper()
		var z zegoAnswer
		callSigned(t, base, "zego", &z, "QueryUserOnlineState", "UserId[]=ann")
		if z.Code != 0 || len(z.Result) != 1 {
			t.Fatalf("QueryUserOnlineState: got %+v, want Code 0 and ann's state", z)
		}
		return z.Result[0].Status
	}
	waitStatus := func(want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for got := status(); got != want; got = status() {
			if time.Now().After(deadline) {
				t.Fatalf("ann's state: got %s for 10s, want %s", got, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if got := status(); got != "Offline" {
		t.Fatalf("before any login: got %s, want Offline", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	output := &listenWatcher{addr: make(chan string, 1)}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"watch", "--addr", base, "--app", "777", "--secret", inProcessSecret, "--user", "ann"}, output, output)
	}()
	waitStatus("Online")
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("watch: got %v, want nil when interrupted\n%s", err, output)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("watch did not end when interrupted")
	}
	waitStatus("Offline")
}

// TestUserSigCommand: `roomd usersig` prints a UserSig that verifies for
// that app, user and key, and not for another user.
func TestUserSigCommand(t *testing.T) {
	stdout, stderr, code := runInProcess(t, "usersig", "--app", "1400000001", "--secret", "k3y", "--user", "alice", "--expire", "3600")
	if code != 0 || stderr != "" {
		t.Fatalf("roomd usersig: got exit %d, stderr %q; want 0 and none", code, stderr)
	}
	sig := strings.TrimSpace(stdout)
	if err := tencent.VerifyUserSig(1400000001, "k3y", "alice", sig, time.Now()); err != nil {
		t.Fatalf("VerifyUserSig: got %v, want nil", err)
	}
	if err := tencent.VerifyUserSig(1400000001, "k3y", "bob", sig, time.Now()); err == nil {
		t.Fatalf("VerifyUserSig for another user: got nil, want an error")
	}
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
		{"WatchH", []string{"watch", "-h"}, 0, "usage: roomd watch", ""},
		{"WebhooksH", []string{"webhooks", "-h"}, 0, "usage: roomd webhooks status", ""},
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
		{"WebhooksNoSubcommand", []string{"webhooks"}, 2, "", "roomd: webhooks: the subcommand must be status"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := runInProcess(t, c.args...)
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
			stdout, stderr, code := runInProcess(t, "usersig", "--app", "1400000001", "--secret", "k3y", "--user", "alice", "--expire", c.expire)
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

// TestExitCode: exitCode maps run's error to the exit code and prints it
// as one line: nothing and 0 for success or asked-for help, 2 for a usage
// error (also wrapped), 1 for any other failure.
func TestExitCode(t *testing.T) {
	cases := []struct {
		name string
		err  error
		code int
		line string
	}{
		{"Success", nil, 0, ""},
		{"Help", flag.ErrHelp, 0, ""},
		{"WrappedHelp", fmt.Errorf("serve: %w", flag.ErrHelp), 0, ""},
		{"Usage", usagef("sign: unknown dialect %q", "x"), 2, "roomd: sign: unknown dialect \"x\"\n"},
		{"WrappedUsage", fmt.Errorf("outer: %w", usagef("inner")), 2, "roomd: outer: inner\n"},
		{"Failure", errors.New("cannot listen on :1: permission denied"), 1, "roomd: cannot listen on :1: permission denied\n"},
		{"MultiLine", errors.New("config: yaml: line 2:\n  did not find\n\n expected key "), 1, "roomd: config: yaml: line 2: did not find expected key\n"},
		{"Context", context.Canceled, 1, "roomd: context canceled\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var line bytes.Buffer
			if code := exitCode(c.err, &line); code != c.code || line.String() != c.line {
				t.Errorf("exitCode(%v): got %d and %q, want %d and %q", c.err, code, line.String(), c.code, c.line)
			}
		})
	}
}
