package console

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The overview charts four rates over the last Window from readings of
// roomd's metrics taken every SampleEvery into a ring of fixed size: each
// point is the change between two readings.

// sample is one reading of the metrics and when it was taken.
type sample struct {
	at time.Time
	Reading
}

// ring keeps the last samples, a fixed number of them.
type ring struct {
	mu   sync.Mutex
	buf  []sample
	next int // where the next sample goes
	full bool
}

func newRing(size int) *ring { return &ring{buf: make([]sample, max(size, 2))} }

// add keeps s, dropping the oldest sample when the ring is full.
func (r *ring) add(s sample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf[r.next] = s
	r.next = (r.next + 1) % len(r.buf)
	r.full = r.full || r.next == 0
}

// all returns the samples kept, oldest first.
func (r *ring) all() []sample {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.full {
		return append([]sample(nil), r.buf[:r.next]...)
	}
	return append(append([]sample(nil), r.buf[r.next:]...), r.buf[:r.next]...)
}

// Chart geometry, in the SVG's own units; CSS stretches it to the width.
const (
	chartW = 300.0
	chartH = 80.0
)

// chart is one small chart of the overview.
type chart struct {
	ID, Title string
	// Now and Peak are the last and the highest value, with their unit;
	// "-" when there is none.
	Now, Peak string
	// Lines are the SVG polylines' points: a gap where there was nothing
	// to measure (no transfer, no commit) splits the line.
	Lines []string
	// Desc says in words what the chart shows, for screen readers.
	Desc string
}

// point is one value of a series at a time; ok is false where there was
// nothing to measure.
type point struct {
	at time.Time
	v  float64
	ok bool
}

// series are the overview's four series, each computed from two readings
// a and b taken dt seconds apart.
var series = []struct {
	id, title string
	format    func(float64) string
	value     func(a, b Reading, dt float64) (float64, bool)
}{
	{"requests", "Requests", func(v float64) string { return num(v) + "/s" }, func(a, b Reading, dt float64) (float64, bool) {
		return float64(b.Requests-a.Requests) / dt, true
	}},
	{"errors", "Errors", func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + "%" }, func(a, b Reading, _ float64) (float64, bool) {
		if b.Requests == a.Requests {
			return 0, true
		}
		return 100 * float64(b.Errors-a.Errors) / float64(b.Requests-a.Requests), true
	}},
	{"transfer-p99", "Transfer p99", func(v float64) string { return num(v) + " ms" }, func(a, b Reading, _ float64) (float64, bool) {
		q, ok := quantile(0.99, a.Transfers, b.Transfers)
		return q * 1000, ok
	}},
	{"batch", "Updates per commit", num, func(a, b Reading, _ float64) (float64, bool) {
		if b.Commits == a.Commits {
			return 0, false
		}
		return float64(b.Updates-a.Updates) / float64(b.Commits-a.Commits), true
	}},
}

// num shows v with one decimal below 10 and as a whole number above.
func num(v float64) string {
	if v < 10 {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return count(int64(math.Round(v)))
}

// quantile estimates the q-quantile of the observations made between the
// cumulative histograms a and b (b later), interpolating linearly within
// the bucket it falls in, as Prometheus's histogram_quantile does; ok is
// false when there was no observation.
func quantile(q float64, a, b []Bucket) (float64, bool) {
	if len(b) == 0 || (len(a) != 0 && len(a) != len(b)) {
		return 0, false
	}
	delta := func(i int) float64 {
		if len(a) == 0 {
			return float64(b[i].Count)
		}
		return float64(b[i].Count - a[i].Count)
	}
	total := delta(len(b) - 1)
	if total <= 0 {
		return 0, false
	}
	rank := q * total
	lower, below := 0.0, 0.0
	for i := range b {
		n := delta(i)
		if n >= rank {
			if math.IsInf(b[i].Le, 1) {
				return lower, true // beyond the last bound: the last bound
			}
			return lower + (b[i].Le-lower)*(rank-below)/(n-below), true
		}
		lower, below = b[i].Le, n
	}
	return lower, true
}

// charts computes the overview's charts from the samples, over the
// window that ends at the last sample.
func charts(samples []sample) []chart {
	out := make([]chart, len(series))
	for k, s := range series {
		var pts []point
		for i := 1; i < len(samples); i++ {
			a, b := samples[i-1], samples[i]
			dt := b.at.Sub(a.at).Seconds()
			if dt <= 0 || b.Requests < a.Requests || b.Errors < a.Errors || b.Commits < a.Commits {
				continue // not a later reading of the same counters
			}
			v, ok := s.value(a.Reading, b.Reading, dt)
			pts = append(pts, point{at: b.at, v: v, ok: ok})
		}
		out[k] = draw(s.id, s.title, s.format, pts)
	}
	return out
}

// draw makes the chart of pts, the last Window of them.
func draw(id, title string, format func(float64) string, pts []point) chart {
	c := chart{ID: id, Title: title, Now: "-", Peak: "-"}
	peak, last := 0.0, -1
	if len(pts) > 0 {
		end := pts[len(pts)-1].at
		pts = slices.DeleteFunc(pts, func(p point) bool { return end.Sub(p.at) > Window })
	}
	for i, p := range pts {
		if p.ok {
			peak = max(peak, p.v)
			last = i
		}
	}
	if last < 0 {
		c.Desc = title + ": nothing measured in the last 15 minutes."
		return c
	}
	c.Now, c.Peak = format(pts[last].v), format(peak)
	c.Desc = fmt.Sprintf("%s over the last 15 minutes: now %s, highest %s.", title, c.Now, c.Peak)
	top := niceCeil(peak)
	end := pts[len(pts)-1].at
	var line []string
	for _, p := range pts {
		if !p.ok {
			c.Lines, line = appendLine(c.Lines, line), nil
			continue
		}
		x := chartW * (1 - end.Sub(p.at).Seconds()/Window.Seconds())
		y := chartH * (1 - p.v/top)
		line = append(line, strconv.FormatFloat(max(x, 0), 'f', 1, 64)+","+strconv.FormatFloat(y, 'f', 1, 64))
	}
	c.Lines = appendLine(c.Lines, line)
	return c
}

// appendLine adds a polyline's points to lines; a single point is drawn
// as a short flat line, so that it shows.
func appendLine(lines, pts []string) []string {
	switch len(pts) {
	case 0:
		return lines
	case 1:
		x, y, _ := strings.Cut(pts[0], ",")
		xf, _ := strconv.ParseFloat(x, 64)
		pts = append([]string{strconv.FormatFloat(max(xf-2, 0), 'f', 1, 64) + "," + y}, pts...)
	}
	return append(lines, strings.Join(pts, " "))
}

// niceCeil returns the top of a chart's scale for peak: 1, 2 or 5 times
// a power of ten, at least peak (and at least 1).
func niceCeil(peak float64) float64 {
	if peak <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(peak)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= peak {
			return m * p
		}
	}
	return 10 * p
}

// overviewView is the overview page.
type overviewView struct {
	base
	Charts   []chart
	Sampling bool // the console reads metrics
	Every    time.Duration
	AllApps  []uint32 // when the user may see several apps
}

// overview shows the charts and, when the user may see several apps, the
// apps.
func (c *Console) overview(w http.ResponseWriter, r *http.Request, s *session) {
	v := &overviewView{base: c.page(s, "Overview", "overview", c.firstApp(s)), Sampling: c.opts.Metrics != nil, Every: c.opts.SampleEvery}
	v.Charts = charts(c.samples.all())
	if apps := s.apps(c.appIDs); len(apps) > 1 {
		v.AllApps = apps
	}
	c.render(w, r, http.StatusOK, "overview", v)
}
