package main_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// limitsConfig is one app with the vendors' rate limits on, on the store %s.
const limitsConfig = `listen: 127.0.0.1:0
store: %s
apps:
  - id: 777
    secret: "0123456789abcdef0123456789abcdef"
    admins: [administrator]
`

// TestRateLimitsAcrossNodes: two `roomd serve` nodes on one PostgreSQL
// database, each offered 95 multiaccount_import calls a second (the
// command's documented limit is 100 a second, burst 100), so that neither
// node alone would refuse any: together they admit what one bucket of 100
// a second and a burst of 100 would of the same calls, within ±10%, and
// refuse the rest with 60007, through both nodes, once the burst is spent.
func TestRateLimitsAcrossNodes(t *testing.T) {
	dsn := MustPostgresSchema(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "roomd.yaml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, limitsConfig, dsn), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runRoomd(t, dir, "migrate", "--config", cfg); code != 0 {
		t.Fatalf("roomd migrate: got exit %d, stderr %q; want 0", code, errOut)
	}
	nodes := []*proc{MustStartRoomd(t, dir, "--config", cfg), MustStartRoomd(t, dir, "--config", cfg)}

	const (
		limit, burst = 100.0, 100 // multiaccount_import's limit
		perNode      = 95         // calls a second offered to each node
		workers      = 10         // concurrent clients per node
		d            = 4 * time.Second
	)
	type result struct {
		at       time.Time
		node     int
		admitted bool
	}
	var mu sync.Mutex
	var results []result
	start := time.Now()
	end := start.Add(d)
	every := time.Second * workers / perNode
	var wg sync.WaitGroup
	for i, p := range nodes {
		for w := range workers {
			wg.Go(func() {
				time.Sleep(every * time.Duration(w) / workers) // the workers take turns
				tick := time.NewTicker(every)
				defer tick.Stop()
				for range 1000 { // bounded in count as in time
					at := time.Now()
					if !at.Before(end) {
						return
					}
					ans, err := tencentCall(t, p.addr, "multiaccount_import", map[string]any{"Accounts": []string{fmt.Sprintf("n%d-w%d", i, w)}})
					if err != nil || (ans.ErrorCode != 0 && ans.ErrorCode != 60007) {
						t.Errorf("node %d: multiaccount_import: got %d %q, %v; want 0 or 60007", i, ans.ErrorCode, ans.ErrorInfo, err)
						return
					}
					mu.Lock()
					results = append(results, result{at, i, ans.ErrorCode == 0})
					mu.Unlock()
					<-tick.C
				}
			})
		}
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	elapsed := time.Since(start)
	var admitted, before int
	refused := make([]int, len(nodes))
	firstRefusal := end
	for _, r := range results {
		if r.admitted {
			admitted++
		} else {
			refused[r.node]++
			if r.at.Before(firstRefusal) {
				firstRefusal = r.at
			}
		}
	}
	for _, r := range results {
		if r.admitted && r.at.Before(firstRefusal) {
			before++
		}
	}
	// The measure: what one token bucket would admit of the same calls at
	// the times they were sent (rate*t + burst if the machine kept up).
	slices.SortFunc(results, func(a, b result) int { return a.at.Compare(b.at) })
	one := rate.NewLimiter(limit, burst)
	ideal := 0
	for _, r := range results {
		if one.AllowN(r.at, 1) {
			ideal++
		}
	}
	nominal := limit*elapsed.Seconds() + burst
	ratio := float64(admitted) / float64(ideal)
	t.Logf("%d calls through 2 nodes in %v: %d admitted; one bucket would admit %d: ratio %.3f; rate*t+burst = %.0f: ratio %.3f; refused %v (60007) per node; %d admitted before the first refusal, at +%v",
		len(results), elapsed.Round(time.Millisecond), admitted, ideal, ratio, nominal, float64(admitted)/nominal, refused, before, firstRefusal.Sub(start).Round(time.Millisecond))
	if ratio < 0.9 || ratio > 1.1 {
		t.Errorf("admitted %d, want %d ±10%% (ratio %.3f)", admitted, ideal, ratio)
	}
	if float64(admitted) > 1.1*nominal {
		t.Errorf("admitted %d, want at most rate*t+burst = %.0f +10%%", admitted, nominal)
	}
	if refusedIdeal := len(results) - ideal; refusedIdeal < len(results)/20 {
		t.Skipf("the machine offered %d calls in %v, too few to exceed the limit (one bucket would refuse %d): nothing to judge the refusals by", len(results), elapsed.Round(time.Millisecond), refusedIdeal)
	}
	for i, n := range refused {
		if n == 0 {
			t.Errorf("node %d refused no call at %d/s, want some 60007 once the deployment's %.0f/s was exceeded", i, perNode, limit)
		}
	}
	if before < burst {
		t.Errorf("%d calls admitted before the first 60007, want at least the burst, %d", before, burst)
	}
}
