package main_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
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
	"github.com/roomd/roomd/zego"
)

// callback is one request a receiver acknowledged.
type callback struct {
	delivery string         // X-Roomd-Delivery
	query    string         // the URL's query (Tencent style)
	body     map[string]any // the JSON body
}

// receiver is a callback receiver on loopback. It answers with the style's
// success answer, after delay, unless fail is set or fails is above 0
// (then HTTP 503). It keeps the callbacks it acknowledged, in arrival
// order, and checks the signature of each ZEGO-style one.
type receiver struct {
	srv    *httptest.Server
	style  string
	secret string // ZEGO style: checks each signature
	fail   atomic.Bool
	fails  atomic.Int64 // how many of the next requests to fail
	delay  atomic.Int64 // ns before answering
	mu     sync.Mutex
	got    []callback
	errs   []string
	hits   atomic.Int64
}

// MustReceiver starts a receiver of style's callbacks; secret, for the ZEGO
// style, is the callback_secret its signatures are checked with.
func MustReceiver(tb testing.TB, style, secret string) *receiver {
	tb.Helper()
	r := &receiver{style: style, secret: secret}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	tb.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	r.hits.Add(1)
	if d := r.delay.Load(); d > 0 {
		time.Sleep(time.Duration(d))
	}
	data, _ := io.ReadAll(req.Body)
	if r.fail.Load() || r.fails.Add(-1) >= 0 {
		http.Error(w, "not now", http.StatusServiceUnavailable)
		return
	}
	var body map[string]any
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := json.Unmarshal(data, &body); err != nil {
		r.errs = append(r.errs, fmt.Sprintf("body %q: %v", data, err))
	}
	if r.style == roomd.HookZEGO {
		ts := fmt.Sprint(body["timestamp"])
		if n, ok := body["timestamp"].(float64); ok {
			ts = strconv.FormatInt(int64(n), 10)
		}
		if want := zego.CallbackSignature(r.secret, ts, fmt.Sprint(body["nonce"])); body["signature"] != want {
			r.errs = append(r.errs, fmt.Sprintf("signature of %s: got %v, want %s", data, body["signature"], want))
		}
	}
	r.got = append(r.got, callback{delivery: req.Header.Get("X-Roomd-Delivery"), query: req.URL.RawQuery, body: body})
	if r.style == roomd.HookTencent {
		fmt.Fprint(w, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`)
	}
}

// unique returns the callbacks acknowledged, each delivery id once (its
// first arrival), and the signature and body errors seen.
func (r *receiver) unique() ([]callback, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[string]bool{}
	var out []callback
	for _, c := range r.got {
		if !seen[c.delivery] {
			seen[c.delivery] = true
			out = append(out, c)
		}
	}
	return out, slices.Clone(r.errs)
}

// waitFor waits up to 60s until the receiver holds n distinct callbacks.
func (r *receiver) waitFor(tb testing.TB, n int) []callback {
	tb.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		got, errs := r.unique()
		for _, e := range errs {
			tb.Error(e)
		}
		if len(got) >= n || time.Now().After(deadline) {
			if len(got) < n {
				tb.Fatalf("receiver: got %d distinct callbacks within 60s, want %d", len(got), n)
			}
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// hookConfig is crashConfig with a ZEGO-style callback for app 777.
const hookConfig = crashConfig + `    callback_url: %s
    callback_secret: hook-secret
`

// writeHookConfig writes hookConfig with callbacks to url ("" for none).
func writeHookConfig(tb testing.TB, dir, url string) string {
	tb.Helper()
	text := fmt.Sprintf(hookConfig, filepath.Join(dir, "data", "roomd.db"), url)
	if url == "" {
		text = fmt.Sprintf(crashConfig, filepath.Join(dir, "data", "roomd.db"))
	}
	path := filepath.Join(dir, "roomd.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// expectedDeliveries reads the store at path once roomd is stopped and
// returns the delivery ids of app 777's events that have a callback of
// style, in log order.
func expectedDeliveries(tb testing.TB, path string, newHook func(*roomd.Service) roomd.Hook) []string {
	tb.Helper()
	db, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	svc := roomd.NewService(db, nil, nil)
	var want []string
	for _, d := range hookDeliveries(tb, svc, newHook(svc), 0) {
		want = append(want, d.id)
	}
	return want
}

// pathEscape escapes a room id as X-Roomd-Delivery does.
func pathEscape(s string) string { return strings.ReplaceAll(s, "/", "%2F") }

// deliveries returns the delivery ids of callbacks.
func deliveries(cbs []callback) []string {
	out := make([]string, len(cbs))
	for i, c := range cbs {
		out[i] = c.delivery
	}
	return out
}

// TestWebhooksSurviveKill: a receiver fails once (retried after 2 s with a
// fresh signature), then callbacks are being delivered to it slowly when
// roomd is SIGKILLed; after a restart every acknowledged change is called
// back, in the app's log order, none lost, each signature valid.
func TestWebhooksSurviveKill(t *testing.T) {
	dir := t.TempDir()
	rcv := MustReceiver(t, roomd.HookZEGO, "hook-secret")
	rcv.delay.Store(int64(20 * time.Millisecond))
	rcv.fails.Store(1)
	cfg := writeHookConfig(t, dir, rcv.srv.URL)
	p := MustStartRoomd(t, dir, "--config", cfg)
	users := seedGroups(t, p.addr, 4, 4)
	owners := []int{0, 0, 0, 0}
	const transfers = 120
	for i := range transfers {
		g := i % 4
		next := (owners[g] + 1) % 4
		MustZEGO(t, p.addr, 777, crashSecret, "TransferGroupOwner", map[string]string{
			"GroupId": fmt.Sprintf("g%d", g), "FromUserId": users[g][owners[g]], "NewOwner": users[g][next],
		}, nil)
		owners[g] = next
	}
	// Kill while the backlog drains: some delivered, the rest not.
	deadline := time.Now().Add(30 * time.Second)
	for rcv.hits.Load() < 21 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.wait(t)
	before, _ := rcv.unique()
	p2 := MustStartRoomd(t, dir, "--config", cfg)
	rcv.delay.Store(0)
	// 4 group_create (their members are in it) and the transfers; the exact
	// list is read from the store once roomd is stopped.
	rcv.waitFor(t, 4+transfers)
	if err := p2.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p2.wait(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	expected := expectedDeliveries(t, filepath.Join(dir, "data", "roomd.db"), func(svc *roomd.Service) roomd.Hook {
		return zego.NewHook(svc, map[uint32]zego.HookConfig{777: {URL: rcv.srv.URL, Secret: "hook-secret"}})
	})
	got, _ := rcv.unique()
	if !slices.Equal(deliveries(got), expected) {
		t.Fatalf("callbacks after the kill and restart:\n got %v\nwant %v", deliveries(got), expected)
	}
	if rcv.fails.Load() >= 0 {
		t.Errorf("the receiver's failure was not reached")
	}
	if len(before) == 0 || len(before) >= len(expected) {
		t.Errorf("delivered before the kill: got %d of %d, want some but not all (the kill must land mid-backlog)", len(before), len(expected))
	}
	t.Logf("%d callbacks; %d before the kill; %d requests in all (%d more: the failed attempt, and callbacks posted again after the restart)", len(expected), len(before), rcv.hits.Load(), rcv.hits.Load()-int64(len(expected)))
}

// waitLog waits up to 10s for a log line of p containing s.
func (p *proc) waitLog(tb testing.TB, s string) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.logText(), s) {
		if time.Now().After(deadline) {
			tb.Fatalf("no log line with %s within 10s:\n%s", s, p.logText())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWebhooksCrossDialect: a group made through ZEGO and transferred
// through Tencent reaches both a ZEGO-style receiver (from the config) and
// a Tencent-style one (set_callback), each in its own format; the Tencent
// command list filters what it gets.
func TestWebhooksCrossDialect(t *testing.T) {
	dir := t.TempDir()
	zr := MustReceiver(t, roomd.HookZEGO, "hook-secret")
	tr := MustReceiver(t, roomd.HookTencent, "")
	p := MustStartRoomd(t, dir, "--config", writeHookConfig(t, dir, zr.srv.URL+"/zego?token=abc"))
	MustTencent(t, p.addr, "set_callback", map[string]any{
		"Url": tr.srv.URL + "/tencent", "CallbackCommandList": []string{"Room.CallbackAfterChangeRoomOwner"},
	})
	users := seedGroups(t, p.addr, 1, 3)
	MustTencent(t, p.addr, "change_room_owner", map[string]any{
		"RoomId": "g0", "From_Account": users[0][0], "NewOwner_Account": users[0][1],
	})
	MustTencent(t, p.addr, "change_room_owner", map[string]any{
		"RoomId": "g0", "From_Account": users[0][1], "NewOwner_Account": users[0][2],
	})

	// ZEGO style: group_create with its members, then the two transfers.
	got := zr.waitFor(t, 3)
	wantBody(t, "group_create", got[0].body, map[string]any{
		"event": "group_create", "appid": "777", "group_id": "g0", "owner_account": users[0][0],
		"user_ids": []any{users[0][0], users[0][1], users[0][2]},
	})
	wantBody(t, "first transfer (ZEGO)", got[1].body, map[string]any{
		"event": "group_owner_transfer", "group_id": "g0", "operator_account": "administrator",
		"old_owner": users[0][0], "new_owner": users[0][1],
	})
	wantBody(t, "second transfer (ZEGO)", got[2].body, map[string]any{"old_owner": users[0][1], "new_owner": users[0][2]})
	if want := []string{"777/g0/1", "777/g0/5", "777/g0/6"}; !slices.Equal(deliveries(got), want) {
		t.Errorf("ZEGO deliveries: got %v, want %v", deliveries(got), want)
	}

	// Tencent style: only the listed command, so the two transfers, back to back.
	got = tr.waitFor(t, 2)
	for i, pair := range [][2]string{{users[0][0], users[0][1]}, {users[0][1], users[0][2]}} {
		wantBody(t, fmt.Sprintf("transfer %d (Tencent)", i+1), got[i].body, map[string]any{
			"CallbackCommand": "Room.CallbackAfterChangeRoomOwner", "RoomId": "g0", "Operator_Account": "administrator",
			"OldOwner_Account": pair[0], "NewOwner_Account": pair[1],
		})
		if !strings.Contains(got[i].query, "SdkAppid=777") || !strings.Contains(got[i].query, "CallbackCommand=Room.CallbackAfterChangeRoomOwner") {
			t.Errorf("transfer %d (Tencent): query %q lacks SdkAppid=777 and the command", i+1, got[i].query)
		}
	}

	// The delivery status, through the CLI.
	out, errOut, code := runRoomd(t, dir, "webhooks", "status", "--addr", p.addr, "--app", "777", "--secret", crashSecret)
	if code != 0 {
		t.Fatalf("roomd webhooks status: exit %d, stderr %s", code, errOut)
	}
	for _, want := range []string{"zego", "tencent", "/zego", "backlog"} {
		if !strings.Contains(out, want) {
			t.Errorf("roomd webhooks status: output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "token=abc") || strings.Contains(p.logText(), "token=abc") || strings.Contains(p.logText(), "hook-secret") {
		t.Errorf("the callback URL's query or the callback secret was shown:\n%s\n%s", out, p.logText())
	}
	_, errOut, code = runRoomd(t, dir, "webhooks", "status", "--addr", p.addr, "--app", "777", "--secret", "wrong")
	if code != 1 || !strings.Contains(errOut, "signature") {
		t.Errorf("roomd webhooks status with a wrong secret: got exit %d, stderr %q; want 1 and a signature error", code, errOut)
	}
}

// wantBody fails the test unless body has each field of want.
func wantBody(tb testing.TB, what string, body, want map[string]any) {
	tb.Helper()
	for k, v := range want {
		g, _ := json.Marshal(body[k])
		w, _ := json.Marshal(v)
		if string(g) != string(w) {
			tb.Errorf("%s: %s: got %s, want %s (body %v)", what, k, g, w, body)
		}
	}
}

// TestWebhooksReload: a SIGHUP re-reads the config's callback settings
// without a restart; a broken config is refused and the old one kept.
func TestWebhooksReload(t *testing.T) {
	dir := t.TempDir()
	rcv := MustReceiver(t, roomd.HookZEGO, "hook-secret")
	cfg := writeHookConfig(t, dir, "")
	p := MustStartRoomd(t, dir, "--config", cfg)
	users := seedGroups(t, p.addr, 1, 3) // before callbacks are configured: never called back

	writeHookConfig(t, dir, rcv.srv.URL)
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	p.waitLog(t, `"msg":"config reloaded"`)
	MustZEGO(t, p.addr, 777, crashSecret, "TransferGroupOwner", map[string]string{"GroupId": "g0", "FromUserId": users[0][0], "NewOwner": users[0][1]}, nil)
	got := rcv.waitFor(t, 1)
	wantBody(t, "first callback", got[0].body, map[string]any{"event": "group_owner_transfer", "new_owner": users[0][1]})

	if err := os.WriteFile(cfg, []byte("apps: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	p.waitLog(t, `"msg":"config reload failed"`)
	MustZEGO(t, p.addr, 777, crashSecret, "TransferGroupOwner", map[string]string{"GroupId": "g0", "FromUserId": users[0][1], "NewOwner": users[0][2]}, nil)
	got = rcv.waitFor(t, 2)
	if len(got) != 2 {
		t.Fatalf("callbacks: got %v, want 2", deliveries(got))
	}
	wantBody(t, "callback after a failed reload", got[1].body, map[string]any{"event": "group_owner_transfer", "new_owner": users[0][2]})
}
