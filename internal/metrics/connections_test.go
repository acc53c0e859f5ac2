package metrics

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/igconnect/gateway/internal/connectors"
)

func TestConnectionsGauge(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	counted := 0
	var answer map[connectors.Status]int
	var fail error
	col := newConnectionsCollector(func(context.Context) (map[connectors.Status]int, error) {
		counted++
		return answer, fail
	}, time.Minute, func() time.Time { return now })
	reg := prometheus.NewRegistry()
	reg.MustRegister(col)
	steps := []struct {
		name    string
		advance time.Duration
		answer  map[connectors.Status]int
		fail    error
		counted int
		want    string // the exposition, "" for no series
	}{
		{"count fails at first: no series", 0, nil, errors.New("store down"), 1, ""},
		{"within the minute: no count", 30 * time.Second, map[connectors.Status]int{connectors.StatusActive: 1}, nil, 1, ""},
		{"a minute on: counted", 30 * time.Second, map[connectors.Status]int{connectors.StatusActive: 3, connectors.StatusReauthorize: 1}, nil, 2,
			"gateway_connections{status=\"active\"} 3\ngateway_connections{status=\"reauthorize\"} 1\ngateway_connections{status=\"refresh_failing\"} 0\n"},
		{"cached", 59 * time.Second, map[connectors.Status]int{connectors.StatusActive: 9}, nil, 2,
			"gateway_connections{status=\"active\"} 3\ngateway_connections{status=\"reauthorize\"} 1\ngateway_connections{status=\"refresh_failing\"} 0\n"},
		{"failed recount keeps the last", time.Second, nil, errors.New("store down"), 3,
			"gateway_connections{status=\"active\"} 3\ngateway_connections{status=\"reauthorize\"} 1\ngateway_connections{status=\"refresh_failing\"} 0\n"},
		{"recounted", time.Minute, map[connectors.Status]int{connectors.StatusActive: 4}, nil, 4,
			"gateway_connections{status=\"active\"} 4\ngateway_connections{status=\"reauthorize\"} 0\ngateway_connections{status=\"refresh_failing\"} 0\n"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			now = now.Add(st.advance)
			answer, fail = st.answer, st.fail
			for scrape := range 2 { // a second scrape at once reads the cache
				if got := gather(t, reg); got != st.want {
					t.Fatalf("scrape %d: %q, want %q", scrape, got, st.want)
				}
				if counted != st.counted {
					t.Fatalf("scrape %d: counted %d times, want %d", scrape, counted, st.counted)
				}
			}
		})
	}
}

// gather returns the gateway_connections series of reg, one a line.
func gather(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, f := range families {
		if f.GetName() != "gateway_connections" {
			continue
		}
		for _, m := range f.GetMetric() {
			fmt.Fprintf(&b, "gateway_connections{status=%q} %g\n", m.GetLabel()[0].GetValue(), m.GetGauge().GetValue())
		}
	}
	return b.String()
}

func TestWatchConnectionsServed(t *testing.T) {
	m := New("v", "c")
	m.WatchConnections(func(context.Context) (map[connectors.Status]int, error) {
		return map[connectors.Status]int{connectors.StatusReauthorize: 2}, nil
	}, time.Minute)
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(w.Body.String(), `gateway_connections{status="reauthorize"} 2`) {
		t.Fatalf("metrics: %s", w.Body)
	}
}
