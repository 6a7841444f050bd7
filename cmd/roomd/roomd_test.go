package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/roomd/roomd/zego"
)

// roomdBin is the roomd binary built once for every test of this package.
var roomdBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "roomd-bin-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	roomdBin = filepath.Join(dir, "roomd")
	if out, err := exec.Command("go", "build", "-o", roomdBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building roomd: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// lockedBuffer is a bytes.Buffer that exec's copying goroutine and the test
// can use at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor returns the buffer once re matches it, or after 10s.
func (b *lockedBuffer) waitFor(re *regexp.Regexp) []string {
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := re.FindStringSubmatch(b.String()); m != nil || time.Now().After(deadline) {
			return m
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// proc is a running `roomd serve`.
type proc struct {
	cmd    *exec.Cmd
	addr   string // base URL, e.g. http://127.0.0.1:40123
	stdout *lockedBuffer
	mu     sync.Mutex
	logs   []string
	done   chan error
}

// MustStartRoomd starts `roomd serve args...` in dir and waits until it listens.
func MustStartRoomd(tb testing.TB, dir string, args ...string) *proc {
	tb.Helper()
	p := &proc{stdout: new(lockedBuffer), done: make(chan error, 1)}
	p.cmd = exec.Command(roomdBin, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
	p.cmd.Dir = dir
	p.cmd.Stdout = p.stdout
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.logs = append(p.logs, line)
			p.mu.Unlock()
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" {
				addrc <- "http://" + rec.Addr
			}
		}
		p.done <- p.cmd.Wait()
	}()
	tb.Cleanup(func() { _ = p.cmd.Process.Kill() })
	select {
	case p.addr = <-addrc:
	case err := <-p.done:
		tb.Fatalf("roomd exited before listening: %v\n%s", err, p.logText())
	case <-time.After(60 * time.Second):
		tb.Fatalf("roomd did not listen within 60s\n%s", p.logText())
	}
	return p
}

func (p *proc) logText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.logs, "\n")
}

// wait waits for the process to exit and returns its error.
func (p *proc) wait(tb testing.TB) error {
	tb.Helper()
	select {
	case err := <-p.done:
		return err
	case <-time.After(30 * time.Second):
		tb.Fatalf("roomd did not exit within 30s")
		return nil
	}
}

// testClient is the HTTP client of the tests' API calls: no call waits more
// than 30s.
var testClient = &http.Client{Timeout: 30 * time.Second}

// zegoCall makes one signed ZEGO call and decodes the answer into out.
func zegoCall(tb testing.TB, base string, app uint32, secret, action string, query map[string]string, body any, out any) error {
	tb.Helper()
	req, err := zego.NewRequest(context.Background(), base, app, secret, action, query, body, time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := testClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP status %d", action, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

type codeAnswer struct {
	Code       int
	Message    string
	GroupOwner string
}

// MustZEGO makes a ZEGO call that must succeed.
func MustZEGO(tb testing.TB, base string, app uint32, secret, action string, query map[string]string, body any) codeAnswer {
	tb.Helper()
	var ans codeAnswer
	if err := zegoCall(tb, base, app, secret, action, query, body, &ans); err != nil {
		tb.Fatalf("%s: %v", action, err)
	}
	if ans.Code != 0 {
		tb.Fatalf("%s: got code %d (%s), want 0", action, ans.Code, ans.Message)
	}
	return ans
}

// TestQuickstart follows the README: serve with no config, then run the
// banner's try: line, from another directory, and the curl it prints.
func TestQuickstart(t *testing.T) {
	dir := t.TempDir()
	p := MustStartRoomd(t, dir)
	m := p.stdout.waitFor(regexp.MustCompile(`AppId / SDKAppID:\s+(\d+)[\s\S]*ServerSecret / secret key:\s+([0-9a-f]+)\n[\s\S]*try: (.+)\n`))
	if m == nil {
		t.Fatalf("development app not printed; stdout:\n%s", p.stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "roomd-data", "dev-app.json")); err != nil {
		t.Fatalf("development app not kept in roomd-data: %v", err)
	}
	// The try: line names the running binary and the port roomd really got.
	if want := roomdBin + " sign zego --addr " + p.addr + " "; !strings.HasPrefix(m[3], want) {
		t.Fatalf("try: line: got %q, want it to start with %q", m[3], want)
	}
	sh := exec.Command("sh", "-c", m[3])
	sh.Dir = t.TempDir() // outside the checkout
	out, err := sh.Output()
	if err != nil {
		t.Fatalf("running the try: line %q: %v", m[3], err)
	}
	resp, err := testClient.Do(curlRequest(t, string(out)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans struct {
		Code       int
		RequestId  string
		TotalCount *int
	}
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil {
		t.Fatal(err)
	}
	if ans.Code != 0 || ans.RequestId == "" || ans.TotalCount == nil {
		t.Fatalf("got %+v, want Code 0 with a RequestId and TotalCount", ans)
	}
	if strings.Contains(p.logText(), m[2]) {
		t.Errorf("the app secret appears in the logs")
	}
	// The same development app is kept across restarts.
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.wait(t); err != nil {
		t.Fatalf("exit after SIGTERM: got %v, want success", err)
	}
	p2 := MustStartRoomd(t, dir)
	if p2.stdout.waitFor(regexp.MustCompile(regexp.QuoteMeta(m[1]))) == nil {
		t.Errorf("restart: development app id %s not kept; stdout:\n%s", m[1], p2.stdout)
	}
}

const crashConfig = `listen: 127.0.0.1:0
store: sqlite:%s
apps:
  - id: 777
    secret: "0123456789abcdef0123456789abcdef"
    admins: [administrator]
    rate_limits: off
`

const crashSecret = "0123456789abcdef0123456789abcdef"

func writeConfig(tb testing.TB, dir string) string {
	tb.Helper()
	path := filepath.Join(dir, "roomd.yaml")
	if err := os.WriteFile(path, fmt.Appendf(nil, crashConfig, filepath.Join(dir, "data", "roomd.db")), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// seedGroups registers members users per group and creates the groups.
func seedGroups(tb testing.TB, base string, groups, members int) [][]string {
	tb.Helper()
	var users []map[string]string
	all := make([][]string, groups)
	for g := range groups {
		for m := range members {
			id := fmt.Sprintf("g%d-u%d", g, m)
			all[g] = append(all[g], id)
			users = append(users, map[string]string{"UserId": id})
		}
	}
	MustZEGO(tb, base, 777, crashSecret, "UserRegister", nil, map[string]any{"UserInfo": users})
	for g := range groups {
		MustZEGO(tb, base, 777, crashSecret, "CreateGroup", nil, map[string]any{
			"GroupId": fmt.Sprintf("g%d", g), "GroupOwner": all[g][0], "UserId": all[g][1:],
		})
	}
	return all
}

// TestGracefulShutdown sends SIGTERM while requests are in flight: roomd
// answers them, exits 0 and closes its store.
func TestGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir)
	p := MustStartRoomd(t, dir, "--config", cfg)
	users := seedGroups(t, p.addr, 1, 3)
	var wg sync.WaitGroup
	failures := make(chan error, 64)
	for w := range 4 {
		wg.Go(func() {
			for i := range 50 {
				var ans codeAnswer
				err := zegoCall(t, p.addr, 777, crashSecret, "QueryGroupInfo", nil, map[string]string{"FromUserId": users[0][w%3], "GroupId": "g0"}, &ans)
				if err != nil {
					return // refused after shutdown began: the listener is closed
				}
				if ans.Code != 0 {
					failures <- fmt.Errorf("request %d: got code %d, want 0", i, ans.Code)
					return
				}
			}
		})
	}
	time.Sleep(50 * time.Millisecond) // let some requests be in flight; not an assertion
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(t); err != nil {
		t.Fatalf("exit after SIGTERM: got %v, want success", err)
	}
	wg.Wait()
	close(failures)
	for err := range failures {
		t.Error(err)
	}
	if logs := p.logText(); !strings.Contains(logs, `"msg":"stopped"`) {
		t.Errorf("no clean stop in the logs:\n%s", logs)
	}
}
