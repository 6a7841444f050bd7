// Package metrics exposes roomd's Prometheus metrics: requests by dialect,
// action and result code, request latency, and the store's group commits.
package metrics

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/roomd/roomd/internal/wire"
)

// Metrics holds roomd's collectors in a registry of their own.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	batch    prometheus.Histogram
	sync     prometheus.Histogram
	commits  atomic.Uint64
	updates  atomic.Uint64
	syncNS   atomic.Int64
}

// New returns Metrics registered in a fresh registry, with the Go runtime
// and process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roomd_requests_total",
			Help: "API requests by dialect, action and the vendor result code answered (0 = success).",
		}, []string{"dialect", "action", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "roomd_request_duration_seconds",
			Help:    "API request latency by dialect and action.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"dialect", "action"}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "roomd_store_commit_batch_size",
			Help:    "Updates committed together in one store transaction (group commit).",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128},
		}),
		sync: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "roomd_store_commit_seconds",
			Help:    "Time a store commit took, including the sync to disk.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1},
		}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.batch, m.sync,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveRequest records one finished API request.
func (m *Metrics) ObserveRequest(o *wire.Outcome, d time.Duration) {
	if o.Dialect == "" {
		return
	}
	m.requests.WithLabelValues(o.Dialect, o.Action, strconv.Itoa(o.Code)).Inc()
	m.latency.WithLabelValues(o.Dialect, o.Action).Observe(d.Seconds())
}

// ObserveCommit records one store commit of batch updates that took d.
func (m *Metrics) ObserveCommit(batch int, d time.Duration) {
	m.commits.Add(1)
	m.updates.Add(uint64(batch))
	m.syncNS.Add(int64(d))
	m.batch.Observe(float64(batch))
	m.sync.Observe(d.Seconds())
}

// AddGauge registers a gauge whose value fn reads at each scrape, such as
// the number of open gateway connections.
func (m *Metrics) AddGauge(name, help string, fn func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, fn))
}

// Kind is the Prometheus type of the values an AddFuncs collector reports.
type Kind int

// Kinds of value.
const (
	Counter Kind = iota // a total that only grows
	Gauge               // a value that goes up and down
)

// AddFuncs registers a family of values with labels that fn reports at each
// scrape, calling emit once per value with its label values in the order
// of labels (for example webhook deliveries by style, read from counters
// the webhook dispatcher keeps).
func (m *Metrics) AddFuncs(name, help string, kind Kind, labels []string, fn func(emit func(v float64, labelValues ...string))) {
	t := prometheus.CounterValue
	if kind == Gauge {
		t = prometheus.GaugeValue
	}
	m.reg.MustRegister(&funcs{desc: prometheus.NewDesc(name, help, labels, nil), kind: t, fn: fn})
}

// funcs is the collector of AddFuncs.
type funcs struct {
	desc *prometheus.Desc
	kind prometheus.ValueType
	fn   func(emit func(v float64, labelValues ...string))
}

// Describe sends the family's one descriptor.
func (f *funcs) Describe(ch chan<- *prometheus.Desc) { ch <- f.desc }

// Collect sends the values fn reports.
func (f *funcs) Collect(ch chan<- prometheus.Metric) {
	f.fn(func(v float64, labelValues ...string) {
		ch <- prometheus.MustNewConstMetric(f.desc, f.kind, v, labelValues...)
	})
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Commits returns how many store commits were observed, how many updates
// they carried in all, and the time their COMMITs (with the sync) took in all.
func (m *Metrics) Commits() (commits, updates uint64, sync time.Duration) {
	return m.commits.Load(), m.updates.Load(), time.Duration(m.syncNS.Load())
}
