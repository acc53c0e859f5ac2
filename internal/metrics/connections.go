package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/igconnect/gateway/internal/connectors"
)

// countTimeout bounds one count of the connections, during a scrape.
const countTimeout = 10 * time.Second

// CountConnections counts connections by status.
type CountConnections func(ctx context.Context) (map[connectors.Status]int, error)

// WatchConnections adds gateway_connections{status}, the connections in
// each status, counted by count during a scrape at most once per every (a
// count reads every connection); between counts scrapes see the last one.
// Until a count succeeds the series are absent.
func (m *Metrics) WatchConnections(count CountConnections, every time.Duration) {
	m.registry.MustRegister(newConnectionsCollector(count, every, time.Now))
}

type connectionsCollector struct {
	desc  *prometheus.Desc
	count CountConnections
	every time.Duration
	now   func() time.Time

	mu     sync.Mutex
	at     time.Time // of the last count, successful or not
	counts map[connectors.Status]int
}

func newConnectionsCollector(count CountConnections, every time.Duration, now func() time.Time) *connectionsCollector {
	return &connectionsCollector{
		desc: prometheus.NewDesc("gateway_connections",
			"Connections by lifecycle status (active, refresh_failing, reauthorize), counted at most once a minute.", []string{"status"}, nil),
		count: count, every: every, now: now,
	}
}

func (c *connectionsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *connectionsCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.now(); c.at.IsZero() || now.Sub(c.at) >= c.every {
		ctx, cancel := context.WithTimeout(context.Background(), countTimeout)
		counts, err := c.count(ctx)
		cancel()
		c.at = now // a failed count too waits its turn: the store is not hammered
		if err == nil {
			c.counts = counts
		}
	}
	if c.counts == nil {
		return
	}
	for _, st := range connectors.Statuses {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(c.counts[st]), string(st))
	}
}
