package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/roomd/roomd/console"
	"github.com/roomd/roomd/metrics"
	"github.com/roomd/roomd/webhook"
)

// ConsoleConfig is the config's console setting: `console: off` turns the
// console off; `console: {password: "..."}` sets a password that signs in
// to every app. The password is never logged or printed.
type ConsoleConfig struct {
	Off      bool
	Password string
}

// minConsolePassword is the shortest console password accepted.
const minConsolePassword = 12

// UnmarshalYAML accepts on, off (true, false) or a mapping with password.
func (c *ConsoleConfig) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		switch strings.ToLower(n.Value) {
		case "on", "true", "yes", "":
			*c = ConsoleConfig{}
		case "off", "false", "no":
			*c = ConsoleConfig{Off: true}
		default:
			return fmt.Errorf("line %d: console must be on, off or a mapping with password, not %q", n.Line, n.Value)
		}
		return nil
	case yaml.MappingNode:
		*c = ConsoleConfig{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value != "password" {
				return fmt.Errorf("line %d: unknown key console.%s", k.Line, k.Value)
			}
			if v.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: console.password must be a string", v.Line)
			}
			c.Password = v.Value
		}
		return nil
	}
	return fmt.Errorf("line %d: console must be on, off or a mapping with password", n.Line)
}

// check refuses a console password too short to keep guessers out.
func (c ConsoleConfig) check() error {
	if c.Password != "" && len([]rune(c.Password)) < minConsolePassword {
		return fmt.Errorf("config: console: password must be at least %d characters", minConsolePassword)
	}
	return nil
}

// newConsole returns the operator console of node n, or nil when the
// config turns it off.
func newConsole(cfg *Config, n *node, log *slog.Logger) *console.Console {
	if cfg.Console.Off {
		return nil
	}
	return console.New(n.svc, console.Options{
		Apps:     n.apps,
		Password: cfg.Console.Password,
		Metrics:  metricsReader{n.metrics},
		Webhooks: webhookStatus{n.webhooks.disp},
		Logger:   log,
	})
}

// consoleRoute is the server's console route: nil when it is off.
func consoleRoute(c *console.Console) http.Handler {
	if c == nil {
		return nil
	}
	return c
}

// printConsoleLogin prints the line of the development app's banner that
// signs in to the console once, at addr.
func printConsoleLogin(w io.Writer, c *console.Console, addr string) {
	if c != nil {
		fmt.Fprintf(w, "  console (sign in once):   %s\n", c.LoginURL("http://"+addr))
	}
}

// webhookStatus reads the callback delivery state for the console.
type webhookStatus struct{ d *webhook.Dispatcher }

// Status returns app's delivery state per style.
func (s webhookStatus) Status(ctx context.Context, app uint32) []console.HookStatus {
	var out []console.HookStatus
	for _, h := range s.d.Status(ctx, app) {
		out = append(out, console.HookStatus{
			Style: h.Style, Configured: h.Configured, URL: h.URL, Backlog: h.Backlog,
			Delivered: h.Delivered, Failed: h.Failed, Expired: h.Expired,
			LastError: h.LastError, LastErrorAt: h.LastErrorAt,
			OldestUndelivered: time.Duration(h.OldestUndeliveredAge * float64(time.Second)),
			StatusError:       h.StatusError,
		})
	}
	return out
}

// metricsReader reads roomd's metrics for the console: the commit counts
// from the Metrics, and the request counts and transfer latencies from
// its Prometheus exposition, read in-process.
type metricsReader struct{ m *metrics.Metrics }

// transferActions are the actions, by dialect, whose latency is the
// console's transfer latency.
var transferActions = map[[2]string]bool{
	{"zego", "TransferGroupOwner"}:   true,
	{"tencent", "change_room_owner"}: true,
}

// Read returns the counters now.
func (r metricsReader) Read() console.Reading {
	var out console.Reading
	commits, updates, _ := r.m.Commits()
	out.Commits, out.Updates = commits, updates
	rec := &recorder{header: http.Header{}}
	req, _ := http.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", "text/plain")
	r.m.Handler().ServeHTTP(rec, req)
	buckets := map[float64]uint64{}
	sc := bufio.NewScanner(&rec.body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, labels, v, ok := parseSample(sc.Text())
		if !ok {
			continue
		}
		switch name {
		case "roomd_requests_total":
			out.Requests += uint64(v)
			if labels["code"] != "0" {
				out.Errors += uint64(v)
			}
		case "roomd_request_duration_seconds_bucket":
			if transferActions[[2]string{labels["dialect"], labels["action"]}] {
				le, err := strconv.ParseFloat(labels["le"], 64)
				if err == nil {
					buckets[le] += uint64(v)
				}
			}
		}
	}
	for _, le := range slices.Sorted(maps.Keys(buckets)) {
		out.Transfers = append(out.Transfers, console.Bucket{Le: le, Count: buckets[le]})
	}
	return out
}

// recorder is the http.ResponseWriter that Read reads the exposition into.
type recorder struct {
	header http.Header
	body   bytes.Buffer
}

func (w *recorder) Header() http.Header         { return w.header }
func (w *recorder) Write(p []byte) (int, error) { return w.body.Write(p) }
func (w *recorder) WriteHeader(int)             {}

// parseSample parses one sample line of the Prometheus text format,
// `name{k="v",...} value`; ok is false for comments, blank lines and
// lines that do not parse. Label values are unescaped (\\, \", \n).
func parseSample(line string) (name string, labels map[string]string, v float64, ok bool) {
	if line == "" || line[0] == '#' {
		return "", nil, 0, false
	}
	i := strings.IndexAny(line, "{ ")
	if i < 0 {
		return "", nil, 0, false
	}
	name, rest := line[:i], line[i:]
	labels = map[string]string{}
	if rest[0] == '{' {
		rest = rest[1:]
		for {
			rest = strings.TrimLeft(rest, ",")
			if strings.HasPrefix(rest, "}") {
				rest = rest[1:]
				break
			}
			eq := strings.Index(rest, `="`)
			if eq < 0 {
				return "", nil, 0, false
			}
			key := rest[:eq]
			rest = rest[eq+2:]
			var b strings.Builder
			closed := false
			for j := 0; j < len(rest); j++ {
				c := rest[j]
				if c == '\\' && j+1 < len(rest) {
					j++
					if rest[j] == 'n' {
						b.WriteByte('\n')
					} else {
						b.WriteByte(rest[j])
					}
					continue
				}
				if c == '"' {
					rest, closed = rest[j+1:], true
					break
				}
				b.WriteByte(c)
			}
			if !closed {
				return "", nil, 0, false
			}
			labels[key] = b.String()
		}
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return "", nil, 0, false
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil || math.IsNaN(v) {
		return "", nil, 0, false
	}
	return name, labels, v, true
}
