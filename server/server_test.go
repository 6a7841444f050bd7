package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomd/roomd/internal/wire"
	"github.com/roomd/roomd/server"
)

// recorder is an Observer that keeps what it saw.
type recorder struct {
	mu   sync.Mutex
	seen []wire.Outcome
}

func (r *recorder) ObserveRequest(o *wire.Outcome, _ time.Duration) {
	r.mu.Lock()
	r.seen = append(r.seen, *o)
	r.mu.Unlock()
}

// syncBuffer is a log sink safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// MustServe starts s on a loopback port; the returned cancel stops it and
// waits for Serve to return.
func MustServe(tb testing.TB, s *server.Server) (base string, stop func()) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				tb.Errorf("Serve returned %v, want nil", err)
			}
		})
	}
	tb.Cleanup(stop)
	return "http://" + ln.Addr().String(), stop
}

func get(tb testing.TB, url string) (int, string) {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestServer(t *testing.T) {
	logs := &syncBuffer{}
	rec := &recorder{}
	dialect := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o := wire.OutcomeFrom(r.Context())
		o.Dialect, o.Action, o.RequestID, o.Code = "test", r.URL.Query().Get("Action"), "rid-1", 7
		if o.Action == "Panic" {
			panic("boom")
		}
		wire.WriteJSON(w, map[string]int{"Code": 7})
	})
	s := server.New(slog.New(slog.NewJSONHandler(logs, nil)), rec, server.Routes{ZEGO: dialect, Tencent: dialect})
	base, stop := MustServe(t, s)

	t.Run("Healthz", func(t *testing.T) {
		if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
			t.Fatalf("got %d %q, want 200 \"ok\\n\"", code, body)
		}
	})
	t.Run("RequestLogHasNoQuery", func(t *testing.T) {
		code, _ := get(t, base+"/?Action=Echo&Signature=s3cr3t-signature")
		if code != 200 {
			t.Fatalf("got status %d, want 200", code)
		}
		found := false
		for l := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
			var rec map[string]any
			if json.Unmarshal([]byte(l), &rec) == nil && rec["msg"] == "request" && rec["action"] == "Echo" {
				found = true
				if rec["request_id"] != "rid-1" || rec["code"] != float64(7) || rec["path"] != "/" {
					t.Errorf("got log line %v, want request_id rid-1, code 7, path /", rec)
				}
			}
		}
		if !found {
			t.Fatalf("no request log line for Echo in:\n%s", logs)
		}
		if strings.Contains(logs.String(), "s3cr3t-signature") {
			t.Errorf("the query string (with its signature) was logged")
		}
	})
	t.Run("PanicIsRecovered", func(t *testing.T) {
		if code, _ := get(t, base+"/?Action=Panic"); code != http.StatusInternalServerError {
			t.Fatalf("got status %d, want 500", code)
		}
		if code, _ := get(t, base+"/healthz"); code != 200 {
			t.Fatalf("after a panic: got status %d, want 200", code)
		}
		if !strings.Contains(logs.String(), "panic in handler") {
			t.Errorf("the panic was not logged")
		}
	})
	t.Run("Observed", func(t *testing.T) {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if len(rec.seen) < 2 || rec.seen[0].Dialect != "test" || rec.seen[0].Code != 7 {
			t.Fatalf("got observations %+v, want the dialect's outcomes", rec.seen)
		}
	})
	t.Run("TencentPrefix", func(t *testing.T) {
		if code, _ := get(t, base+"/v4/x/y?Action=Echo"); code != 200 {
			t.Fatalf("got %d, want 200 from the dialect under /v4/", code)
		}
	})
	t.Run("RefusesAfterShutdown", func(t *testing.T) {
		stop()
		if _, err := http.Get(base + "/healthz"); err == nil {
			t.Fatalf("got an answer after shutdown, want a refused connection")
		}
	})
}

// TestShutdownWaitsForInFlight: Serve does not return while a request is
// in flight after cancellation, and that request is answered.
func TestShutdownWaitsForInFlight(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		wire.WriteJSON(w, map[string]int{"Code": 0})
	})
	s := server.New(slog.New(slog.NewTextHandler(io.Discard, nil)), nil, server.Routes{ZEGO: slow})
	base, stop := MustServe(t, s)
	result := make(chan int, 1)
	go func() {
		resp, err := http.Get(base + "/?Action=Slow")
		if err != nil {
			result <- -1
			return
		}
		resp.Body.Close()
		result <- resp.StatusCode
	}()
	<-entered
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	select {
	case <-stopped:
		t.Fatal("Serve returned while a request was in flight")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if got := <-result; got != 200 {
		t.Fatalf("in-flight request: got %d, want 200", got)
	}
	<-stopped
}
