package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/roomd/roomd/roomdclient"
	"github.com/roomd/roomd/tencent"
)

// hostile is an id with ESC, BEL, CR and newline: printed raw, it would
// drive the terminal.
const hostile = "r\x1b[31m\a\r\nX"

// controlFree fails the test if line holds a byte that is a control
// character, or a character that is not printable.
func controlFree(tb testing.TB, line string) {
	tb.Helper()
	if !printable(line) {
		tb.Fatalf("line %q holds characters that are not printable", line)
	}
}

// TestWatchFormat: watch's lines, for plain and for hostile events.
func TestWatchFormat(t *testing.T) {
	at := time.Date(2026, 11, 25, 10, 0, 0, 123e6, time.UTC)
	cases := []struct {
		name string
		ev   roomdclient.Event
		want string
	}{
		{"Plain", roomdclient.Event{Room: "team", Seq: 42, Type: "owner.changed", Actor: "alice", Time: at,
			Data: json.RawMessage(`{"from":"alice","to":"bob"}`)},
			`2026-11-25T10:00:00.123Z team #42 owner.changed by alice {"from":"alice","to":"bob"}`},
		{"LocalTimeShownInUTC", roomdclient.Event{Room: "team", Seq: 1, Type: "room.created", Actor: "administrator",
			Time: at.In(time.FixedZone("X", 3600)), Data: json.RawMessage("{\r\n \"name\" : \"T\",\t\"owner\":\"alice\"}")},
			`2026-11-25T10:00:00.123Z team #1 room.created by administrator {"name":"T","owner":"alice"}`},
		{"HostileIDs", roomdclient.Event{Room: hostile, Seq: 7, Type: "member.left\x07", Actor: "a\x1b]0;pwned\a", Time: at},
			`2026-11-25T10:00:00.123Z "r\x1b[31m\a\r\nX" #7 "member.left\a" by "a\x1b]0;pwned\a"`},
		{"SpacesAndQuotes", roomdclient.Event{Room: "a b", Seq: 1, Type: "x", Actor: `q"`, Time: at},
			`2026-11-25T10:00:00.123Z "a b" #1 x by "q\""`},
		{"EmptyActor", roomdclient.Event{Room: "r", Seq: 1, Type: "x", Time: at}, `2026-11-25T10:00:00.123Z r #1 x by ""`},
		{"HostileData", roomdclient.Event{Room: "r", Seq: 2, Type: "member.updated", Actor: "bob", Time: at,
			Data: json.RawMessage("{\"user_id\":\"\\u001b[2J\",\"m\":\"\u0085\u202e\x7f\xff\U000E0001\"}")},
			`2026-11-25T10:00:00.123Z r #2 member.updated by bob {"user_id":"\u001b[2J","m":"\u0085\u202e\u007f\ufffd\udb40\udc01"}`},
		{"NotJSON", roomdclient.Event{Room: "r", Seq: 3, Type: "x", Actor: "y", Time: at, Data: json.RawMessage("{\x1b")},
			`2026-11-25T10:00:00.123Z r #3 x by y "{\x1b"`},
		{"Resync", roomdclient.Event{Room: hostile, Seq: 42, Resync: true},
			`"r\x1b[31m\a\r\nX" #42 resync: the events before are no longer kept; reload the room`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := formatEvent(c.ev)
			if got != c.want {
				t.Fatalf("formatEvent:\n got %s\nwant %s", got, c.want)
			}
			controlFree(t, got)
		})
	}
	st := formatStatus(roomdclient.Status{Err: errors.New("closed: " + hostile), Retry: 200 * time.Millisecond})
	if want := `roomd watch: connection lost ("closed: r\x1b[31m\a\r\nX"); reconnecting in 200ms`; st != want {
		t.Fatalf("formatStatus:\n got %s\nwant %s", st, want)
	}
}

// TestWatchArgs: --addr and --resume parse, and mistakes are usage errors.
func TestWatchArgs(t *testing.T) {
	for addr, want := range map[string]string{
		"http://127.0.0.1:8080":      "ws://127.0.0.1:8080/v1/connect",
		"https://rooms.example/api/": "wss://rooms.example/api/v1/connect",
		"127.0.0.1:9":                "ws://127.0.0.1:9/v1/connect",
	} {
		if got, err := connectURL(addr); err != nil || got != want {
			t.Errorf("connectURL(%q): got %q, %v; want %q", addr, got, err, want)
		}
	}
	if got, err := parseResume("team=41,a=b=7,g2=0"); err != nil || !maps.Equal(got, map[string]int64{"team": 41, "a=b": 7, "g2": 0}) {
		t.Errorf("parseResume: got %v, %v; want team=41, a=b=7, g2=0", got, err)
	}
	base := []string{"watch", "--app", "5", "--secret", "s", "--user", "u"}
	for _, args := range [][]string{
		{"watch", "--app", "5", "--secret", "s"},
		append(base, "--resume", "team"),
		append(base, "--resume", "team=-1"),
		append(base, "--resume", "t=1,t=2"),
		append(base, "--resume", "=1"),
		append(base, "--addr", "ftp://x"),
		append(base, "extra"),
		{"watch", "--bogus"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), args, &stdout, &stderr)
		if code := exitCode(err, &stderr); code != 2 {
			t.Errorf("roomd %s: got exit %d (%v), want 2", strings.Join(args, " "), code, err)
		}
	}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"watch", "-h"}, &stdout, &stderr)
	if !errors.Is(err, flag.ErrHelp) || exitCode(err, &stderr) != 0 || !strings.Contains(stdout.String(), "usage: roomd watch") || !strings.Contains(stdout.String(), "-resume") {
		t.Fatalf("roomd watch -h: got %v, stdout %q; want the usage with the flags, exit 0", err, stdout.String())
	}
}

// watchLogin is the login a fake gateway read.
type watchLogin struct {
	ID      int64            `json:"id"`
	Op      string           `json:"op"`
	App     uint32           `json:"app"`
	User    string           `json:"user"`
	UserSig string           `json:"usersig"`
	Resume  map[string]int64 `json:"resume"`
}

// The app and secret key the fake gateway of watchFake accepts.
const watchApp, watchSecret = 1400000001, "k3y"

// watchFake starts a fake gateway for watch, stopped at the end of the
// test. It hands each login to logins and accepts UserSigs of watchApp
// signed with watchSecret; others it refuses with a hostile message and
// 4001. After a login it sends the event of room hostile after the one
// resumed from; the connection resuming from 4 then drops.
func watchFake(t testing.TB, logins chan<- watchLogin) string {
	t.Helper()
	var conns sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/connect" {
			http.NotFound(w, r)
			return
		}
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		conns.Add(1)
		defer conns.Done()
		defer ws.CloseNow()
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		var login watchLogin
		if _, b, err := ws.Read(ctx); err != nil || json.Unmarshal(b, &login) != nil {
			return
		}
		logins <- login
		send := func(v any) bool {
			b, _ := json.Marshal(v)
			return ws.Write(ctx, websocket.MessageText, b) == nil
		}
		if tencent.VerifyUserSig(watchApp, watchSecret, login.User, login.UserSig, time.Now()) != nil || login.App != watchApp || login.Op != "login" {
			send(map[string]any{"type": "reply", "id": login.ID, "code": 40101, "message": "login failed\x1b[2J"})
			ws.Close(4001, "login failed")
			return
		}
		send(map[string]any{"type": "reply", "id": login.ID, "code": 0, "message": "", "data": map[string]any{"user": login.User, "rooms": []any{}}})
		seq := login.Resume[hostile] + 1
		if !send(map[string]any{"type": "event", "app": watchApp, "room": hostile, "seq": seq, "event": "member.joined",
			"actor": "a\x1b]0;x\a", "time": int64(1795461251812), "data": map[string]any{"user_id": "\x1b[2J", "role": 3}}) {
			return
		}
		if seq == 5 {
			return // the first connection drops after one event
		}
		ws.Read(ctx) // until the client closes
	}))
	t.Cleanup(func() {
		srv.Close()
		conns.Wait()
	})
	return srv.URL
}

// TestWatchCommand: roomd watch logs in with a UserSig of the user, resumes
// from --resume, prints each event as one line with hostile ids escaped,
// reports a drop on stderr, resumes from the last event printed, and ends
// without error when interrupted.
func TestWatchCommand(t *testing.T) {
	logins := make(chan watchLogin, 16)
	addr := watchFake(t, logins)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// stderr is read once run has returned; stdout line by line.
	var stderr bytes.Buffer
	outR, outW := io.Pipe()
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		for sc := bufio.NewScanner(outR); sc.Scan(); {
			lines <- sc.Text()
		}
	}()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"watch", "--addr", addr, "--app", "1400000001", "--secret", watchSecret, "--user", "carol",
			"--resume", hostile + "=4"}, outW, &stderr)
		outW.Close()
	}()
	// The first login resumes from --resume, the next from the event
	// printed (or, if the drop came before watch printed it, from
	// --resume again).
	for i, resumed := 0, int64(0); resumed != 5; i++ {
		if i == 10 {
			t.Fatal("10 logins, none resuming from 5")
		}
		select {
		case l := <-logins:
			resumed = l.Resume[hostile]
			if l.User != "carol" || len(l.Resume) != 1 || (i == 0 && resumed != 4) || (resumed != 4 && resumed != 5) {
				t.Fatalf("login %d: got user %q, resume %v; want carol, %q=4 (or 5 after the first)", i+1, l.User, l.Resume, hostile)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no login %d", i+1)
		}
	}
	for seq := 5; seq <= 6; seq++ {
		want := fmt.Sprintf(`2026-11-23T19:14:11.812Z "r\x1b[31m\a\r\nX" #%d member.joined by "a\x1b]0;x\a" {"role":3,"user_id":"\u001b[2J"}`, seq)
		select {
		case got := <-lines:
			if got != want {
				t.Fatalf("line %d:\n got %s\nwant %s", seq-4, got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no line %d", seq-4)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("watch interrupted: got %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("watch did not end when interrupted")
	}
	if extra, ok := <-lines; ok {
		t.Fatalf("after the two events, got the line %q, want none", extra)
	}
	errOut := stderr.String()
	controlFree(t, strings.ReplaceAll(errOut, "\n", " "))
	if !strings.Contains(errOut, "roomd watch: connection lost") || !strings.Contains(errOut, "roomd watch: reconnected") {
		t.Fatalf("stderr: got %q, want a drop and a reconnect reported", errOut)
	}
}

// TestWatchLoginRefused: a refused login ends watch at once with exit 1,
// naming the reply's code, its hostile message escaped.
func TestWatchLoginRefused(t *testing.T) {
	logins := make(chan watchLogin, 16)
	addr := watchFake(t, logins)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	err := run(ctx, []string{"watch", "--addr", addr, "--app", "1400000001", "--secret", "wrong", "--user", "carol"}, &stdout, &stderr)
	if code := exitCode(err, &stderr); code != 1 || !strings.Contains(stderr.String(), "40101") || !printable(strings.TrimSuffix(stderr.String(), "\n")) {
		t.Fatalf("watch with a refused login: got exit %d, stderr %q; want exit 1 naming 40101, escaped", code, stderr.String())
	}
	if n := len(logins); n != 1 {
		t.Fatalf("logins: got %d, want 1 (no retry)", n)
	}
}
