package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// rtLogTail is how many of the server's last log lines an error quotes.
const rtLogTail = 20

// childServer is the `roomd serve` the benchmark measures: this executable,
// run as a child process over a fresh store in a temporary directory.
type childServer struct {
	cmd     *exec.Cmd
	pid     int
	target  string // http://127.0.0.1:PORT
	app     uint32
	secret  string
	dir     string
	exited  chan struct{}
	waitErr error // set before exited is closed

	mu   sync.Mutex
	tail []string // its last rtLogTail log lines
}

// startChild starts the server and waits until it listens.
func startChild(ctx context.Context) (*childServer, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "roomd-bench-realtime-*")
	if err != nil {
		return nil, err
	}
	s := &childServer{app: 1400000001, secret: newRunTag() + newRunTag() + newRunTag(), dir: dir, exited: make(chan struct{})}
	store, _ := json.Marshal("sqlite:" + filepath.Join(dir, "roomd.db")) // JSON strings are YAML strings
	cfg := fmt.Sprintf("store: %s\napps:\n  - id: %d\n    secret: %s\n    admins: [%s]\n    rate_limits: off\n", store, s.app, s.secret, rtAdmin)
	path := filepath.Join(dir, "roomd.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s.cmd = exec.Command(exe, "serve", "--config", path, "--listen", "127.0.0.1:0")
	s.cmd.Dir = dir
	stderr, err := s.cmd.StderrPipe()
	if err == nil {
		err = s.cmd.Start()
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("bench realtime: starting roomd serve: %w", err)
	}
	s.pid = s.cmd.Process.Pid
	addrc := make(chan string, 1)
	go s.readLog(stderr, addrc)
	t := time.NewTimer(time.Minute)
	defer t.Stop()
	select {
	case addr := <-addrc:
		s.target = "http://" + addr
		return s, nil
	case <-s.exited:
		err = fmt.Errorf("bench realtime: roomd serve exited before listening (%v): %s", s.waitErr, s.logTail())
	case <-t.C:
		err = fmt.Errorf("bench realtime: roomd serve did not listen within a minute: %s", s.logTail())
	case <-ctx.Done():
		err = ctx.Err()
	}
	_ = s.stop()
	return nil, err
}

// readLog keeps the server's last log lines and sends the address of its
// "listening" line, until the server exits; then it reaps the server.
func (s *childServer) readLog(stderr io.Reader, addrc chan<- string) {
	sc := bufio.NewScanner(stderr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() { // ends with the server's stderr
		var rec struct{ Msg, Addr string }
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "listening" {
			select {
			case addrc <- rec.Addr:
			default:
			}
		}
		s.mu.Lock()
		s.tail = append(s.tail, sc.Text())
		if len(s.tail) > rtLogTail {
			s.tail = slices.Delete(s.tail, 0, len(s.tail)-rtLogTail)
		}
		s.mu.Unlock()
	}
	_, _ = io.Copy(io.Discard, stderr) // after a line too long: never block the server
	s.waitErr = s.cmd.Wait()
	close(s.exited)
}

// logTail returns the server's last log lines, joined into one.
func (s *childServer) logTail() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.tail, " | ")
}

// stop stops the server with SIGTERM (SIGKILL after 30s), and removes its
// directory.
func (s *childServer) stop() error {
	defer os.RemoveAll(s.dir)
	if s.cmd.Process.Signal(syscall.SIGTERM) != nil {
		_ = s.cmd.Process.Kill()
	}
	t := time.NewTimer(30 * time.Second)
	defer t.Stop()
	select {
	case <-s.exited:
	case <-t.C:
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	if s.waitErr != nil {
		return fmt.Errorf("bench realtime: roomd serve (pid %d) did not stop cleanly: %v: %s", s.pid, s.waitErr, s.logTail())
	}
	return nil
}

// procMem is what the server says of its memory.
type procMem struct {
	rss                             int64   // VmRSS in bytes; 0 without /proc
	heap, stacks, goroutines, conns float64 // from /metrics
}

// perConn says what the Go runtime added per connection from before to m.
func (m procMem) perConn(before procMem, n int) string {
	return fmt.Sprintf("Go heap in use %+.1f KiB, goroutine stacks %+.1f KiB, %+.2f goroutines per connection",
		(m.heap-before.heap)/float64(n)/1024, (m.stacks-before.stacks)/float64(n)/1024, (m.goroutines-before.goroutines)/float64(n))
}

// memory reads the server's VmRSS from /proc, then its Go heap in use,
// goroutines and gateway connections from /metrics.
func (s *childServer) memory(ctx context.Context, hc *http.Client) (procMem, error) {
	var m procMem
	if v, ok := procField(fmt.Sprint(s.pid), "status", "VmRSS:"); ok && len(v) == 2 && v[1] == "kB" {
		kb, err := strconv.ParseInt(v[0], 10, 64)
		if err != nil {
			return m, fmt.Errorf("bench realtime: VmRSS %q: %w", v[0], err)
		}
		m.rss = kb << 10
	}
	req, err := http.NewRequestWithContext(ctx, "GET", s.target+"/metrics", nil)
	if err != nil {
		return m, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return m, fmt.Errorf("bench realtime: reading /metrics: %w", err)
	}
	defer resp.Body.Close()
	want := map[string]*float64{"go_memstats_heap_inuse_bytes": &m.heap, "go_memstats_stack_inuse_bytes": &m.stacks,
		"go_goroutines": &m.goroutines, "roomd_gateway_connections": &m.conns}
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 16<<20))
	for sc.Scan() {
		if name, val, ok := strings.Cut(sc.Text(), " "); ok && want[name] != nil {
			*want[name], _ = strconv.ParseFloat(val, 64)
		}
	}
	return m, sc.Err()
}

// checkFDs fails when the process pid ("self" for this one) may open fewer
// than need files. Without /proc it checks nothing.
func checkFDs(who, pid string, need int) error {
	v, ok := procField(pid, "limits", "Max open files")
	if !ok || len(v) < 1 || v[0] == "unlimited" {
		return nil
	}
	soft, err := strconv.Atoi(v[0])
	if err != nil || soft >= need {
		return nil
	}
	return fmt.Errorf("bench realtime: %s may open %d files (RLIMIT_NOFILE), and the connections asked for need about %d: raise the limit (ulimit -n) or lower --fanout, --idle or --rooms x --members-per-room", who, soft, need)
}

// procField returns the words after prefix on the line of /proc/PID/file
// that starts with it.
func procField(pid, file, prefix string) ([]string, bool) {
	data, err := os.ReadFile(filepath.Join("/proc", pid, file))
	if err != nil {
		return nil, false
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, prefix); ok {
			return strings.Fields(rest), true
		}
	}
	return nil, false
}

// userHZ is the unit of the CPU times in /proc/PID/stat (USER_HZ, 100 on
// every Linux platform Go supports).
const userHZ = 100

// cpuTime returns the user and system CPU time process pid ("self" for
// this one) has used; false without /proc.
func cpuTime(pid string) (time.Duration, bool) {
	data, err := os.ReadFile(filepath.Join("/proc", pid, "stat"))
	if err != nil {
		return 0, false
	}
	// The fields after the command name, which is in parentheses (and may
	// hold some): state, ppid, ..., utime (the 12th), stime (the 13th).
	i := strings.LastIndexByte(string(data), ')')
	f := strings.Fields(string(data[i+1:]))
	if i < 0 || len(f) < 13 {
		return 0, false
	}
	user, err1 := strconv.ParseInt(f[11], 10, 64)
	sys, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(user+sys) * time.Second / userHZ, true
}
