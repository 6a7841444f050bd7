package console

import (
	"math"
	"testing"
	"time"
)

func TestRing(t *testing.T) {
	r := newRing(3)
	if got := r.all(); len(got) != 0 {
		t.Fatalf("empty ring: got %d samples", len(got))
	}
	t0 := time.Unix(0, 0)
	for i := range 5 {
		r.add(sample{at: t0.Add(time.Duration(i) * time.Second)})
	}
	got := r.all()
	if len(got) != 3 || got[0].at.Unix() != 2 || got[2].at.Unix() != 4 {
		t.Fatalf("after 5 adds to a ring of 3: got %v, want seconds 2, 3, 4 (oldest first)", got)
	}
}

func TestQuantile(t *testing.T) {
	inf := math.Inf(1)
	b := func(counts ...uint64) []Bucket {
		les := []float64{0.001, 0.01, 0.1, inf}
		out := make([]Bucket, len(counts))
		for i, c := range counts {
			out[i] = Bucket{Le: les[i], Count: c}
		}
		return out
	}
	for _, c := range []struct {
		name string
		a, b []Bucket
		q    float64
		want float64
		ok   bool
	}{
		{"NoObservations", b(5, 5, 5, 5), b(5, 5, 5, 5), 0.99, 0, false},
		{"AllInFirst", nil, b(100, 100, 100, 100), 0.99, 0.00099, true},
		{"Interpolated", b(0, 0, 0, 0), b(0, 50, 100, 100), 0.99, 0.01 + 0.09*(99-50)/50, true},
		{"Delta", b(10, 10, 10, 10), b(10, 10, 110, 110), 0.5, 0.01 + 0.09*0.5, true},
		{"BeyondLastBound", nil, b(0, 0, 0, 10), 0.99, 0.1, true},
		{"Mismatch", b(1, 1), b(1, 1, 1, 1), 0.99, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := quantile(c.q, c.a, c.b)
			if ok != c.ok || math.Abs(got-c.want) > 1e-9 {
				t.Fatalf("quantile: got %v, %v; want %v, %v", got, ok, c.want, c.ok)
			}
		})
	}
}

func TestCharts(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	samples := []sample{
		{at(0), Reading{Requests: 0, Errors: 0, Commits: 0, Updates: 0}},
		{at(10), Reading{Requests: 100, Errors: 10, Commits: 10, Updates: 40, Transfers: []Bucket{{0.01, 10}, {math.Inf(1), 10}}}},
		{at(20), Reading{Requests: 300, Errors: 10, Commits: 10, Updates: 40, Transfers: []Bucket{{0.01, 10}, {math.Inf(1), 10}}}},
	}
	got := charts(samples)
	want := []struct{ now, peak string }{
		{"20/s", "20/s"},     // 100 then 200 requests in 10 s
		{"0.0%", "10.0%"},    // 10 of 100, then none of 200
		{"9.9 ms", "9.9 ms"}, // no transfer in the second interval: the last is the first's
		{"4.0", "4.0"},       // 40 updates in 10 commits, then no commit
	}
	for i, w := range want {
		if got[i].Now != w.now || got[i].Peak != w.peak {
			t.Errorf("%s: got now %q peak %q, want %q and %q", got[i].Title, got[i].Now, got[i].Peak, w.now, w.peak)
		}
	}
	// Requests: two points, the last at the right edge; the peak at the top.
	if len(got[0].Lines) != 1 || got[0].Lines[0] != "296.7,40.0 300.0,0.0" {
		t.Errorf("requests line: got %q", got[0].Lines)
	}
	// Transfers: a gap where nothing was measured; a lone point drawn short.
	if len(got[2].Lines) != 1 || got[2].Lines[0] != "294.7,0.8 296.7,0.8" {
		t.Errorf("transfer line: got %q", got[2].Lines)
	}
	if c := charts(samples[:1])[0]; c.Now != "-" || len(c.Lines) != 0 || c.Desc == "" {
		t.Errorf("one sample: got %+v, want no value and a description", c)
	}
	// A counter that went back (another process's metrics) is skipped.
	back := append(samples, sample{at(30), Reading{Requests: 5}})
	if c := charts(back)[0]; c.Now != "20/s" {
		t.Errorf("after a reset: got now %q, want the last good value", c.Now)
	}
}

func TestNiceCeil(t *testing.T) {
	for in, want := range map[float64]float64{0: 1, 0.5: 1, 1: 1, 1.5: 2, 3: 5, 7: 10, 10: 10, 11: 20, 240: 500, 999: 1000} {
		if got := niceCeil(in); got != want {
			t.Errorf("niceCeil(%v): got %v, want %v", in, got, want)
		}
	}
}
