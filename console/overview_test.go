package console_test

import (
	"context"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomd/roomd/console"
	"github.com/roomd/roomd/storetest"
)

// fakeMetrics counts up by the same amounts at each read and moves the
// clock on by 10 s, as if it were read every 10 s.
type fakeMetrics struct {
	mu    sync.Mutex
	clock *storetest.Clock
	r     console.Reading
	reads int
}

func (m *fakeMetrics) Read() console.Reading {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.clock.Advance(10 * time.Second)
	m.reads++
	m.r.Requests += 500
	m.r.Errors += 5
	m.r.Commits += 20
	m.r.Updates += 80
	if m.r.Transfers == nil {
		m.r.Transfers = []console.Bucket{{Le: 0.005, Count: 0}, {Le: 0.01, Count: 0}, {Le: math.Inf(1), Count: 0}}
	}
	m.r.Transfers[1].Count += 100
	m.r.Transfers[2].Count += 100
	out := m.r
	out.Transfers = slices.Clone(m.r.Transfers)
	return out
}

func (m *fakeMetrics) Reads() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reads
}

// TestOverview: the overview charts the rates between readings of the
// metrics.
func TestOverview(t *testing.T) {
	var m *fakeMetrics
	e := MustStartConsole(t, func(o *console.Options) {
		m = &fakeMetrics{clock: storetest.NewClock(t0)}
		o.Clock, o.Metrics, o.SampleEvery = m.clock.Now, m, 5*time.Millisecond
	})
	deadline := time.Now().Add(5 * time.Second)
	for m.Reads() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	b := e.NewBrowser(t)
	b.MustSignIn()
	r := b.Get("/console/")
	wantContains(t, "overview", r.Body, "Requests", "Errors", "Transfer p99", "Updates per commit",
		`<span class="now">50/s</span>`, `<span class="now">1.0%</span>`, `<span class="now">10.0 ms</span>`, `<span class="now">4.0</span>`,
		"<polyline points=", `aria-label="Requests over the last 15 minutes: now 50/s, highest 50/s."`)
}

// TestOverviewWithoutMetrics: without metrics the overview says so.
func TestOverviewWithoutMetrics(t *testing.T) {
	e := MustStartConsole(t)
	b := e.NewBrowser(t)
	b.MustSignIn()
	wantContains(t, "overview", b.Get("/console/").Body, "roomd's metrics are not available to the console.", "nothing measured in the last 15 minutes")
}

// fakeWebhooks reports a fixed delivery state.
type fakeWebhooks struct{}

func (fakeWebhooks) Status(_ context.Context, app uint32) []console.HookStatus {
	return []console.HookStatus{
		{Style: "tencent", Configured: true, URL: "http://hooks.example/<b>", Backlog: 1234, Delivered: 7, Failed: 2,
			LastError: "<script>alert(1)</script> answered 500", LastErrorAt: t0, OldestUndelivered: 95 * time.Second},
		{Style: "zego"},
	}
}

func TestWebhooksPage(t *testing.T) {
	e := MustStartConsole(t, func(o *console.Options) { o.Webhooks = fakeWebhooks{} })
	b := e.NewBrowser(t)
	b.MustSignIn()
	r := b.Get("/console/webhooks?app=1400000001")
	wantStatus(t, "callbacks", r, 200)
	wantContains(t, "callbacks", r.Body, "<td>tencent</td>", "<code>http://hooks.example/&lt;b&gt;</code>", `<td class="num">1,234</td>`,
		"<td>1m35s</td>", "&lt;script&gt;alert(1)&lt;/script&gt; answered 500", "2026-03-04 05:06:07 UTC", "<td>zego</td>", "not configured")
	if strings.Contains(r.Body, "<script>alert") {
		t.Fatalf("the last error is not escaped")
	}
}
