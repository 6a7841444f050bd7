package main

import (
	"context"
	"io"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/roomd/roomd/internal/wire"
	"github.com/roomd/roomd/metrics"
)

// consoleClient is a browser as the console tests see it: cookies kept,
// redirects not followed.
func consoleClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// fetch sends a request and returns the status, the body and the Location.
func fetch(t *testing.T, c *http.Client, method, u string, form url.Values) (int, string, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data), resp.Header.Get("Location")
}

// serveDev runs `roomd serve` with no config (the development app) in this
// process, with extra args, until the test ends; it returns the base URL
// and what serve printed and logged.
func serveDev(t *testing.T, args ...string) (base string, stdout, logs *listenWatcher) {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, logs = &listenWatcher{}, &listenWatcher{addr: make(chan string, 1)}
	done := make(chan error, 1)
	args = append([]string{"serve", "--listen", "127.0.0.1:0", "--store", "sqlite:" + filepath.Join(dir, "data", "roomd.db")}, args...)
	go func() { done <- run(ctx, args, stdout, logs) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Errorf("serve did not stop within 30s")
		}
	})
	select {
	case base = <-logs.addr:
	case err := <-done:
		t.Fatalf("serve ended before listening: %v\n%s", err, logs)
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not listen within 30s")
	}
	return base, stdout, logs
}

// loginLine is the banner's console line.
var loginLine = regexp.MustCompile(`(?m)^  console \(sign in once\):   (http://\S+/console/\?login=(\S+))$`)

// TestConsoleDevLogin: with the development app, serve prints a URL that
// signs in to the console once; the secret and the URL's token are not
// logged.
func TestConsoleDevLogin(t *testing.T) {
	base, stdout, logs := serveDev(t)
	m := loginLine.FindStringSubmatch(stdout.String())
	if m == nil || !strings.HasPrefix(m[1], base+"/console/?login=") {
		t.Fatalf("banner: got\n%s\nwant a line `  console (sign in once):   %s/console/?login=…`", stdout, base)
	}
	c := consoleClient()
	if code, _, loc := fetch(t, c, http.MethodGet, m[1], nil); code != http.StatusSeeOther || loc != "/console/" {
		t.Fatalf("the printed URL: got %d to %q, want 303 to /console/", code, loc)
	}
	if code, body, _ := fetch(t, c, http.MethodGet, base+"/console/", nil); code != http.StatusOK || !strings.Contains(body, "Transfer p99") {
		t.Fatalf("the overview: got %d, want 200 with the charts", code)
	}
	if code, _, _ := fetch(t, consoleClient(), http.MethodGet, m[1], nil); code != http.StatusUnauthorized {
		t.Fatalf("the printed URL again: got %d, want 401 (it signs in once)", code)
	}
	secret := regexp.MustCompile(`ServerSecret / secret key: (\S+)`).FindStringSubmatch(stdout.String())
	if secret == nil {
		t.Fatalf("banner without the secret:\n%s", stdout)
	}
	for _, s := range []string{secret[1], m[2]} {
		if strings.Contains(logs.String(), s) {
			t.Fatalf("the log holds a secret (%q):\n%s", s, logs)
		}
	}
}

// TestConsoleTransfer: signed in with the app's id and secret, an operator
// transfers a room made through the ZEGO API; the API sees the new owner.
func TestConsoleTransfer(t *testing.T) {
	base := serveInProcess(t)
	var z zegoAnswer
	callSigned(t, base, "zego", &z, "UserRegister", `UserInfo:=[{"UserId":"ann"},{"UserId":"bob"}]`)
	callSigned(t, base, "zego", &z, "CreateGroup", "GroupId=team", "GroupOwner=ann", "UserId[]=bob")
	if z.Code != 0 {
		t.Fatalf("CreateGroup: %+v", z)
	}
	c := consoleClient()
	_, page, _ := fetch(t, c, http.MethodGet, base+"/console/login", nil)
	tok := regexp.MustCompile(`name="form_token" value="([^"]+)"`).FindStringSubmatch(page)
	if tok == nil {
		t.Fatalf("sign-in page without a form token")
	}
	code, _, _ := fetch(t, c, http.MethodPost, base+"/console/login", url.Values{"form_token": {tok[1]}, "app": {"777"}, "secret": {inProcessSecret}})
	if code != http.StatusSeeOther {
		t.Fatalf("sign in: got %d, want 303", code)
	}
	_, page, _ = fetch(t, c, http.MethodGet, base+"/console/room?app=777&id=team", nil)
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if csrf == nil {
		t.Fatalf("room page without a CSRF token:\n%s", page)
	}
	code, _, _ = fetch(t, c, http.MethodPost, base+"/console/room/transfer",
		url.Values{"csrf": {csrf[1]}, "app": {"777"}, "room": {"team"}, "user": {"bob"}, "confirmed": {"yes"}})
	if code != http.StatusSeeOther {
		t.Fatalf("transfer: got %d, want 303", code)
	}
	var info struct {
		Code       int
		GroupOwner string
	}
	callSigned(t, base, "zego", &info, "QueryGroupInfo", "FromUserId=ann", "GroupId=team")
	if info.Code != 0 || info.GroupOwner != "bob" {
		t.Fatalf("QueryGroupInfo after the console's transfer: got %+v, want owner bob", info)
	}
}

// TestConsoleOff: `console: off` serves no console and prints no URL.
func TestConsoleOff(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "roomd.yaml")
	if err := os.WriteFile(cfg, []byte("console: off\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base, stdout, _ := serveDev(t, "--config", cfg)
	if strings.Contains(stdout.String(), "console") {
		t.Fatalf("banner with the console off:\n%s", stdout)
	}
	code, body, _ := fetch(t, consoleClient(), http.MethodGet, base+"/console/", nil)
	if code != http.StatusNotFound || !strings.Contains(body, `"error":"not_found"`) {
		t.Fatalf("/console/ with the console off: got %d %s, want the JSON 404", code, body)
	}
}

// TestConsoleConfig: the console setting's forms, and what is refused.
func TestConsoleConfig(t *testing.T) {
	for _, c := range []struct {
		name, yaml string
		want       ConsoleConfig
		err        string
	}{
		{"Absent", "", ConsoleConfig{}, ""},
		{"On", "console: on\n", ConsoleConfig{}, ""},
		{"Off", "console: off\n", ConsoleConfig{Off: true}, ""},
		{"False", "console: false\n", ConsoleConfig{Off: true}, ""},
		{"Password", "console:\n  password: \"a long passphrase\"\n", ConsoleConfig{Password: "a long passphrase"}, ""},
		{"Maybe", "console: maybe\n", ConsoleConfig{}, `line 1: console must be on, off or a mapping with password, not "maybe"`},
		{"UnknownKey", "console:\n  pasword: x\n", ConsoleConfig{}, "line 2: unknown key console.pasword"},
		{"List", "console: [a]\n", ConsoleConfig{}, "line 1: console must be on, off or a mapping with password"},
		{"ShortPassword", "console:\n  password: short\n", ConsoleConfig{}, "config: console: password must be at least 12 characters"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "roomd.yaml")
			if err := os.WriteFile(path, []byte(c.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := loadConfig(path)
			if err == nil {
				_, _, err = cfg.check()
			}
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) || strings.Contains(err.Error(), "short\"") {
					t.Fatalf("got error %v, want one containing %q (and not the password)", err, c.err)
				}
				return
			}
			if err != nil || cfg.Console != c.want {
				t.Fatalf("got %+v, %v; want %+v", cfg.Console, err, c.want)
			}
		})
	}
}

// TestMetricsReader: the console reads the request counts, the transfers'
// latency buckets and the commits from roomd's metrics.
func TestMetricsReader(t *testing.T) {
	m := metrics.New()
	m.ObserveRequest(&wire.Outcome{Dialect: "zego", Action: "TransferGroupOwner"}, 3*time.Millisecond)
	m.ObserveRequest(&wire.Outcome{Dialect: "tencent", Action: "change_room_owner"}, 30*time.Millisecond)
	m.ObserveRequest(&wire.Outcome{Dialect: "tencent", Action: "change_room_owner", Code: 100006}, 2*time.Millisecond)
	m.ObserveRequest(&wire.Outcome{Dialect: "zego", Action: `Transfer"GroupOwner\},le="0.0005`, Code: 100000007}, time.Millisecond)
	m.ObserveRequest(&wire.Outcome{Dialect: "none", Action: "not_found", Code: 404}, time.Millisecond)
	m.ObserveCommit(4, time.Millisecond)
	m.ObserveCommit(2, time.Millisecond)
	r := metricsReader{m}.Read()
	if r.Requests != 5 || r.Errors != 3 || r.Commits != 2 || r.Updates != 6 {
		t.Fatalf("got %d requests, %d errors, %d commits of %d updates; want 5, 3, 2 and 6", r.Requests, r.Errors, r.Commits, r.Updates)
	}
	want := map[float64]uint64{.0005: 0, .001: 0, .0025: 1, .005: 2, .01: 2, .025: 2, .05: 3, math.Inf(1): 3}
	got := map[float64]uint64{}
	for i, b := range r.Transfers {
		got[b.Le] = b.Count
		if i > 0 && b.Le <= r.Transfers[i-1].Le {
			t.Fatalf("buckets out of order: %v", r.Transfers)
		}
	}
	for le, n := range want {
		if got[le] != n {
			t.Fatalf("transfer buckets: got %v, want %v (the hostile action not counted)", got, want)
		}
	}
}

func TestParseSample(t *testing.T) {
	for _, c := range []struct {
		line   string
		name   string
		labels map[string]string
		v      float64
		ok     bool
	}{
		{`roomd_requests_total{action="a",code="0",dialect="zego"} 12`, "roomd_requests_total", map[string]string{"action": "a", "code": "0", "dialect": "zego"}, 12, true},
		{`go_goroutines 8`, "go_goroutines", map[string]string{}, 8, true},
		{`x{a="q\"uo\\te\n",b=""} 1.5e+06`, "x", map[string]string{"a": "q\"uo\\te\n", "b": ""}, 1.5e6, true},
		{`x_bucket{le="+Inf"} 3`, "x_bucket", map[string]string{"le": "+Inf"}, 3, true},
		{`# HELP x y`, "", nil, 0, false},
		{``, "", nil, 0, false},
		{`x{a="unterminated} 1`, "", nil, 0, false},
		{`x{a} 1`, "", nil, 0, false},
		{`x NaN`, "", nil, 0, false},
		{`x{a="b"}`, "", nil, 0, false},
	} {
		name, labels, v, ok := parseSample(c.line)
		if ok != c.ok || name != c.name || v != c.v || len(labels) != len(c.labels) {
			t.Fatalf("parseSample(%q): got %q %v %v %v, want %q %v %v %v", c.line, name, labels, v, ok, c.name, c.labels, c.v, c.ok)
		}
		for k, want := range c.labels {
			if labels[k] != want {
				t.Fatalf("parseSample(%q): label %s = %q, want %q", c.line, k, labels[k], want)
			}
		}
	}
}
