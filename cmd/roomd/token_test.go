package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/roomd/roomd/zego"
)

const tokenTestSecret = "fa94dd0f974cf2e293728a526b028271"

// runInProcess runs `roomd args...` in process and returns its output and exit code.
func runInProcess(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut, line bytes.Buffer
	code = exitCode(run(context.Background(), args, &out, &errOut), &line)
	return out.String(), errOut.String() + line.String(), code
}

// TestTokenCommand: `roomd token zego` prints a Token04 that verifies for
// that app, user and secret for --expire seconds, and not for another user
// or app or after it expired.
func TestTokenCommand(t *testing.T) {
	before := time.Now()
	stdout, stderr, code := runInProcess(t, "token", "zego", "--app", "1596372415", "--secret", tokenTestSecret, "--user", "alice", "--expire", "600")
	if code != 0 || stderr != "" {
		t.Fatalf("got exit %d and stderr %q, want 0 and none", code, stderr)
	}
	if strings.Count(stdout, "\n") != 1 || !strings.HasPrefix(stdout, "04") {
		t.Fatalf("got stdout %q, want one line holding a token starting 04", stdout)
	}
	tok := strings.TrimSpace(stdout)
	checks := []struct {
		name string
		app  uint32
		user string
		at   time.Time
		want error
	}{
		{"Now", 1596372415, "alice", before, nil},
		{"NearExpiry", 1596372415, "alice", before.Add(598 * time.Second), nil},
		{"Expired", 1596372415, "alice", time.Now().Add(601 * time.Second), zego.ErrTokenExpired},
		{"OtherUser", 1596372415, "bob", before, zego.ErrTokenUserID},
		{"OtherApp", 1596372416, "alice", before, zego.ErrTokenAppID},
	}
	for _, c := range checks {
		err := zego.VerifyToken04(c.app, tokenTestSecret, c.user, tok, c.at)
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: VerifyToken04 = %v, want %v", c.name, err, c.want)
		}
	}
	if err := zego.VerifyToken04(1596372415, "0123456789abcdef0123456789abcdef", "alice", tok, before); !errors.Is(err, zego.ErrTokenDecrypt) {
		t.Errorf("another secret: VerifyToken04 = %v, want ErrTokenDecrypt", err)
	}

	// The default validity is a day; a payload makes the token longer.
	stdout, _, code = runInProcess(t, "token", "zego", "--app", "7", "--secret", "0123456789abcdef", "--user", "u", "--payload", strings.Repeat("p", 200))
	if code != 0 {
		t.Fatalf("with a payload and a 16-byte secret: exit %d, want 0", code)
	}
	long := strings.TrimSpace(stdout)
	if err := zego.VerifyToken04(7, "0123456789abcdef", "u", long, time.Now().Add(24*time.Hour-time.Minute)); err != nil {
		t.Errorf("a day less a minute later: VerifyToken04 = %v, want nil", err)
	}
	if err := zego.VerifyToken04(7, "0123456789abcdef", "u", long, time.Now().Add(24*time.Hour+time.Minute)); !errors.Is(err, zego.ErrTokenExpired) {
		t.Errorf("a day and a minute later: VerifyToken04 = %v, want ErrTokenExpired", err)
	}
	if len(long) < len(tok)+200 {
		t.Errorf("token with a 200-byte payload is %d chars, one without %d; want the payload in it", len(long), len(tok))
	}
}

// TestTokenCommandUsage: -h prints the usage and exits 0; mistakes exit 2
// with one line naming them.
func TestTokenCommandUsage(t *testing.T) {
	ok := []string{"--app", "1", "--secret", tokenTestSecret, "--user", "alice"}
	cases := []struct {
		name   string
		args   []string
		code   int
		stdout string // contained in stdout
		stderr string // contained in stderr's last line
	}{
		{"H", []string{"token", "-h"}, 0, "usage: roomd token zego", ""},
		{"ZEGOH", []string{"token", "zego", "-h"}, 0, "-payload string", ""},
		{"ZEGOHelp", []string{"token", "zego", "--help"}, 0, "-expire seconds", ""},
		{"Help", []string{"help", "token"}, 0, "usage: roomd token zego", ""},
		{"InCommandList", []string{"help"}, 0, "  token     print a ZEGO Token04", ""},
		{"NoDialect", []string{"token"}, 2, "", "roomd: token: zego is required"},
		{"Tencent", []string{"token", "tencent"}, 2, "", `roomd: token: unknown dialect "tencent"`},
		{"BadFlag", []string{"token", "zego", "--bogus"}, 2, "", "roomd: token zego: flag provided but not defined: -bogus"},
		{"NoUser", []string{"token", "zego", "--app", "1", "--secret", tokenTestSecret}, 2, "", "--app (a uint32), --secret and --user are required"},
		{"NoSecret", []string{"token", "zego", "--app", "1", "--user", "u"}, 2, "", "--secret and --user are required"},
		{"AppTooBig", append([]string{"token", "zego"}, append(ok, "--app", "4294967296")...), 2, "", "--app (a uint32)"},
		{"AppNotNumber", []string{"token", "zego", "--app", "x"}, 2, "", `invalid value "x" for flag -app`},
		{"ShortSecret", []string{"token", "zego", "--app", "1", "--secret", "app-one-secret-key", "--user", "u"}, 2, "", "--secret must be 16, 24 or 32 bytes long"},
		{"ZeroExpire", append([]string{"token", "zego"}, append(ok, "--expire", "0")...), 2, "", "--expire 0: want 1 to 2147483647 seconds"},
		{"HugeExpire", append([]string{"token", "zego"}, append(ok, "--expire", "2147483648")...), 2, "", "--expire 2147483648"},
		{"Argument", append([]string{"token", "zego"}, append(ok, "extra")...), 2, "", `roomd: token zego: unexpected argument "extra"`},
		{"PayloadTooLong", append([]string{"token", "zego"}, append(ok, "--payload", strings.Repeat("p", 70000))...), 2, "", "payload too long"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := runInProcess(t, c.args...)
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			if code != c.code || !strings.Contains(stdout, c.stdout) || !strings.Contains(lines[len(lines)-1], c.stderr) {
				t.Errorf("roomd %.80s: got exit %d, stdout %.200q, stderr %.300q; want exit %d, stdout containing %q, stderr ending in a line containing %q",
					strings.Join(c.args, " "), code, stdout, stderr, c.code, c.stdout, c.stderr)
			}
			if c.code == 0 && stderr != "" {
				t.Errorf("got stderr %q, want none", stderr)
			}
			if c.code != 0 && strings.Contains(stderr, tokenTestSecret) {
				t.Errorf("stderr %q holds the secret", stderr)
			}
		})
	}
}
