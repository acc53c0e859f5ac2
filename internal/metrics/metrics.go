// Package metrics holds the gateway's Prometheus series. Labels are bounded:
// action, format, status, Graph error code; never an ID, key or token.
package metrics

import (
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/igconnect/gateway/internal/connectors"
)

// Metrics are the gateway's series on their own registry.
type Metrics struct {
	registry *prometheus.Registry

	calls          *prometheus.CounterVec
	latency        *prometheus.HistogramVec
	upstream       *prometheus.HistogramVec
	upstreamErrors *prometheus.CounterVec
	limited        *prometheus.CounterVec
	storeErrors    prometheus.Counter
	publish        *prometheus.HistogramVec
	refreshes      *prometheus.CounterVec
}

// New registers the series, with the Go runtime's and the process's.
func New(version, commit string) *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		registry: r,
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_calls_total", Help: "Action calls by action, path format and HTTP status.",
		}, []string{"action", "format", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "gateway_call_duration_seconds", Help: "Whole action call latency, by action.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"action"}),
		upstream: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "gateway_upstream_duration_seconds", Help: "Instagram Graph API call latency, by HTTP method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"method"}),
		upstreamErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_upstream_errors_total", Help: "Instagram errors by Graph error code (\"network\", \"timeout\" or \"unreadable\" when there is none).",
		}, []string{"graph_code"}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_rate_limited_total", Help: "Calls answered 429, by source: gateway (the connection's limit) or upstream (Instagram throttles).",
		}, []string{"source"}),
		storeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gateway_store_errors_total", Help: "Calls that failed because the store or the limiter's Redis did not answer.",
		}),
		publish: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "gateway_publish_duration_seconds", Help: "Publish calls, container creation to publishing, by result.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 20, 30, 60, 120},
		}, []string{"result"}),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_token_refreshes_total", Help: "Token refreshes by result: ok, error (retried with backoff) or reauthorize (Instagram rejected the token).",
		}, []string{"result"}),
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "gateway_build_info", Help: "The gateway's build: always 1.",
		ConstLabels: prometheus.Labels{"version": version, "commit": commit, "goversion": runtime.Version()},
	})
	build.Set(1)
	r.MustRegister(m.calls, m.latency, m.upstream, m.upstreamErrors, m.limited, m.storeErrors, m.publish, m.refreshes, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// Call records one action call.
func (m *Metrics) Call(action, format string, status int, d time.Duration) {
	m.calls.WithLabelValues(action, format, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(action).Observe(d.Seconds())
}

// Upstream records one Instagram call; code is its Graph error code, or one
// of "network", "timeout", "unreadable", or "" when it succeeded.
func (m *Metrics) Upstream(method string, d time.Duration, code string) {
	m.upstream.WithLabelValues(method).Observe(d.Seconds())
	if code != "" {
		m.upstreamErrors.WithLabelValues(code).Inc()
	}
}

// Limited records a 429, from "gateway" or "upstream".
func (m *Metrics) Limited(source string) { m.limited.WithLabelValues(source).Inc() }

// StoreError records a call failed by the store or the limiter.
func (m *Metrics) StoreError() { m.storeErrors.Inc() }

// Publish records a Publish call's duration and result ("ok" or the error
// code).
func (m *Metrics) Publish(result string, d time.Duration) {
	m.publish.WithLabelValues(result).Observe(d.Seconds())
}

// TokenRefresh counts one token refresh by its result.
func (m *Metrics) TokenRefresh(result string) { m.refreshes.WithLabelValues(result).Inc() }

// knownGraphCodes bound the graph_code label; others count as "other".
var knownGraphCodes = map[int]bool{1: true, 2: true, 4: true, 9: true, 10: true, 17: true, 32: true, 100: true,
	190: true, 200: true, 368: true, 613: true, 803: true, 2500: true, 9004: true, 9007: true}

// UpstreamCode names an upstream call's failure for the graph_code label.
func UpstreamCode(err error) string {
	if err == nil {
		return ""
	}
	e := connectors.AsError(err)
	switch {
	case e.Upstream != nil && knownGraphCodes[e.Upstream.Code]:
		return strconv.Itoa(e.Upstream.Code)
	case e.Upstream != nil:
		return "other"
	case e.Code == connectors.CodeUpstreamTimeout:
		return "timeout"
	case e.Transient:
		return "network"
	}
	return "unreadable"
}
