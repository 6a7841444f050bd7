package metrics_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/roomd/roomd/internal/wire"
	"github.com/roomd/roomd/metrics"
)

func TestMetrics(t *testing.T) {
	m := metrics.New()
	m.ObserveRequest(&wire.Outcome{Dialect: "zego", Action: "TransferGroupOwner", Code: 0}, 2*time.Millisecond)
	m.ObserveRequest(&wire.Outcome{Dialect: "zego", Action: "TransferGroupOwner", Code: 660600024}, time.Millisecond)
	m.ObserveRequest(&wire.Outcome{}, time.Millisecond) // not a dialect request: not counted
	m.ObserveCommit(16, 500*time.Microsecond)
	m.ObserveCommit(4, 300*time.Microsecond)

	commits, updates, sync := m.Commits()
	if commits != 2 || updates != 20 || sync != 800*time.Microsecond {
		t.Errorf("Commits: got %d, %d, %s; want 2, 20, 800µs", commits, updates, sync)
	}
	m.AddGauge("roomd_test_gauge", "A test gauge.", func() float64 { return 42 })
	m.AddFuncs("roomd_test_total", "A test counter family.", metrics.Counter, []string{"style"}, func(emit func(float64, ...string)) {
		emit(3, "zego")
		emit(5, "tencent")
	})
	m.AddFuncs("roomd_test_age_seconds", "A test gauge family.", metrics.Gauge, []string{"app", "style"}, func(emit func(float64, ...string)) {
		emit(1.5, "7", "zego")
	})
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`roomd_requests_total{action="TransferGroupOwner",code="0",dialect="zego"} 1`,
		`roomd_requests_total{action="TransferGroupOwner",code="660600024",dialect="zego"} 1`,
		`roomd_request_duration_seconds_count{action="TransferGroupOwner",dialect="zego"} 2`,
		`roomd_store_commit_batch_size_sum 20`,
		`roomd_store_commit_seconds_count 2`,
		`go_goroutines`,
		`roomd_test_gauge 42`,
		"# TYPE roomd_test_total counter",
		`roomd_test_total{style="zego"} 3`,
		`roomd_test_total{style="tencent"} 5`,
		"# TYPE roomd_test_age_seconds gauge",
		`roomd_test_age_seconds{app="7",style="zego"} 1.5`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(string(body), `dialect=""`) {
		t.Errorf("a request with no dialect was counted")
	}
}
