package e2e

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/igconnect/gateway/internal/fakegraph"
	"github.com/igconnect/gateway/internal/redistest"
)

// scrape reads a gateway's /metrics as metric families.
func scrape(t *testing.T, g *gateway) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := client.Get(g.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics is not Prometheus text: %v", err)
	}
	return families
}

// sample finds the series of family name whose labels include want, and
// returns its counter or gauge value, or its histogram's count.
func sample(families map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f, ok := families[name]
	if !ok {
		return 0, false
	}
	total, found := 0.0, false
next:
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		found = true
		switch {
		case m.Counter != nil:
			total += m.Counter.GetValue()
		case m.Gauge != nil:
			total += m.Gauge.GetValue()
		case m.Histogram != nil:
			total += float64(m.Histogram.GetSampleCount())
		}
	}
	return total, found
}

// Every series the operators' dashboards need is served at /metrics after
// real traffic, with bounded labels; every request is one JSON log line with
// its request id, connection id, action, format, status, latency and
// upstream call count; the startup line carries version, commit and the
// configuration with its secrets masked.
func TestMetricsAndLogs(t *testing.T) {
	fake, fakeURL := startFake(t)
	rs := redistest.Start(t)
	key := newKey()
	g := startGateway(t, map[string]string{
		"GATEWAY_REDIS_URL":       rs.URL(),
		"GATEWAY_ENCRYPTION_KEY":  key,
		"GATEWAY_ADMIN_TOKEN":     adminToken,
		"GATEWAY_INSTAGRAM_URL":   fakeURL,
		"GATEWAY_RATE_LIMIT":      "7-M",
		"GATEWAY_PUBLISH_TIMEOUT": "5s",
	})
	idA, keyA := createConnection(t, g, fakegraph.DemoToken)
	idB, keyB := createConnection(t, g, fakegraph.OtherToken)
	media := fake.AddMedia(fakegraph.DemoUserID, 1)[0]
	v := "/instagram/v21.0"

	steps := []struct {
		method, path, body, key string
		status                  int
		action, format          string
		upstreamCalls           int // -1: at least 3 (Publish: create, poll, publish)
	}{
		{"GET", v + "/me", "", keyA, 200, "GetMyDetails", "new", 1},
		{"GET", v + "/" + media, "", keyA, 200, "GetMediaDetails", "new", 1},
		{"GET", v + "/ig_media_id?IG_MEDIA_ID=" + media, "", keyA, 200, "GetMediaDetails", "old", 1},
		{"GET", "/instagram/graph/v21.0/me", "", keyA, 200, "GetMyDetails", "graph", 1},
		{"GET", v + "/17999999999999999", "", keyA, 404, "GetMediaDetails", "new", 1},
		{"POST", v + "/" + fakegraph.DemoUserID + "/media_publish", `{"image_url":"https://example.com/a.jpg","caption":"metrics"}`, keyA, 200, "Publish", "new", -1},
		{"GET", v + "/me/media?limit=2", "", keyA, 200, "GetMyMedia", "new", 1},
		{"GET", v + "/me?fields=id,nope", "", keyA, 400, "GetMyDetails", "new", 0},
		// The eighth admitted call of a connection limited to 7 per minute: the 400 before it was refused before the limiter and cost nothing.
		{"GET", v + "/me", "", keyA, 429, "GetMyDetails", "new", 0},
	}
	for i, s := range steps {
		body := strings.NewReader(s.body)
		req, err := http.NewRequest(s.method, g.URL+s.path, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-API-Key", s.key)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Request-ID", fmt.Sprintf("step-%d", i))
		resp, err := client.Do(req) // the graph format answers without the envelope
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != s.status {
			t.Fatalf("step %d %s %s: %d %s, want %d", i, s.method, s.path, resp.StatusCode, raw, s.status)
		}
	}
	// Instagram throttles B (code 4): the upstream limit, not the gateway's.
	fake.Throttle(fakegraph.OtherUserID, 4, time.Minute)
	if r := call(t, "GET", g.URL+v+"/me", nil, "X-API-Key", keyB, "X-Request-ID", "throttled"); r.Status != 429 {
		t.Fatalf("throttled: %d %s", r.Status, r.Raw)
	}
	// Redis goes away: the store error is counted.
	rs.Stop()
	if r := call(t, "GET", g.URL+v+"/me", nil, "X-API-Key", keyB, "X-Request-ID", "no-store"); r.Status != 503 {
		t.Fatalf("without Redis: %d %s", r.Status, r.Raw)
	}

	families := scrape(t, g)
	type series struct {
		name   string
		labels map[string]string
		min    float64
	}
	want := []series{
		{"gateway_calls_total", map[string]string{"action": "GetMyDetails", "format": "new", "status": "200"}, 1},
		{"gateway_calls_total", map[string]string{"action": "GetMediaDetails", "format": "old", "status": "200"}, 1},
		{"gateway_calls_total", map[string]string{"action": "GetMyDetails", "format": "graph", "status": "200"}, 1},
		{"gateway_calls_total", map[string]string{"action": "GetMediaDetails", "format": "new", "status": "404"}, 1},
		{"gateway_calls_total", map[string]string{"action": "Publish", "format": "new", "status": "200"}, 1},
		{"gateway_calls_total", map[string]string{"action": "GetMyMedia", "format": "new", "status": "200"}, 1},
		{"gateway_calls_total", map[string]string{"action": "GetMyDetails", "format": "new", "status": "400"}, 1},
		{"gateway_calls_total", map[string]string{"action": "GetMyDetails", "format": "new", "status": "429"}, 2},
		{"gateway_calls_total", map[string]string{"action": "GetMyDetails", "format": "new", "status": "503"}, 1},
		{"gateway_call_duration_seconds", map[string]string{"action": "GetMyDetails"}, 5},
		{"gateway_call_duration_seconds", map[string]string{"action": "Publish"}, 1},
		{"gateway_upstream_duration_seconds", map[string]string{"method": "GET"}, 6},
		{"gateway_upstream_duration_seconds", map[string]string{"method": "POST"}, 2},
		{"gateway_upstream_errors_total", map[string]string{"graph_code": "100"}, 1},
		{"gateway_upstream_errors_total", map[string]string{"graph_code": "4"}, 1},
		{"gateway_rate_limited_total", map[string]string{"source": "gateway"}, 1},
		{"gateway_rate_limited_total", map[string]string{"source": "upstream"}, 1},
		{"gateway_store_errors_total", nil, 1},
		{"gateway_publish_duration_seconds", map[string]string{"result": "ok"}, 1},
		{"gateway_build_info", map[string]string{"version": "dev", "commit": "unknown"}, 1},
		{"go_goroutines", nil, 1},
		{"process_cpu_seconds_total", nil, 0},
	}
	for _, w := range want {
		got, ok := sample(families, w.name, w.labels)
		if !ok || got < w.min {
			t.Errorf("%s%v = %v (present %v), want at least %v", w.name, w.labels, got, ok, w.min)
		}
	}
	// Bounded labels: no ID, key or token in any label value.
	secrets := []string{idA, idB, keyA, keyB, key, adminToken, fakegraph.DemoToken, fakegraph.OtherToken, media, fakegraph.DemoUserID, fakegraph.OtherUserID}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				for _, s := range secrets {
					if strings.Contains(l.GetValue(), s) {
						t.Errorf("%s label %s carries an ID, key or token (%.6s…)", name, l.GetName(), s)
					}
				}
			}
		}
	}

	// Logs.
	lines := g.logLines()
	var start map[string]any
	requests := map[string]map[string]any{}
	for _, l := range lines {
		for _, k := range []string{"time", "level", "msg"} {
			if _, ok := l[k]; !ok {
				t.Errorf("log line without %q: %v", k, l)
			}
		}
		switch l["msg"] {
		case "starting":
			start = l
		case "request":
			if id, _ := l["request_id"].(string); id != "" {
				requests[id] = l
			}
		}
	}
	if start == nil || start["version"] != "dev" || start["commit"] != "unknown" {
		t.Fatalf("startup line: %v", start)
	}
	cfg, _ := start["config"].(map[string]any)
	if cfg["admin_token"] != "set" || cfg["encryption_key"] != "set" || cfg["rate_limit"] != "7-M" || cfg["redis_url"] == "" {
		t.Errorf("startup configuration: %v", cfg)
	}
	for i, s := range steps {
		l, ok := requests[fmt.Sprintf("step-%d", i)]
		if !ok {
			t.Errorf("step %d: no request log line", i)
			continue
		}
		// Bad input is refused before authentication: no connection to name.
		var wantConn any = idA
		if s.status == 400 {
			wantConn = nil
		}
		if l["connection_id"] != wantConn || l["action"] != s.action || l["format"] != s.format || l["status"] != float64(s.status) || l["method"] != s.method {
			t.Errorf("step %d log line: %v", i, l)
		}
		if _, ok := l["latency_ms"].(float64); !ok {
			t.Errorf("step %d: no latency_ms: %v", i, l)
		}
		calls, ok := l["upstream_calls"].(float64)
		switch {
		case !ok:
			t.Errorf("step %d: no upstream_calls: %v", i, l)
		case s.upstreamCalls == -1 && calls < 3:
			t.Errorf("step %d (Publish): upstream_calls = %v, want at least 3", i, calls)
		case s.upstreamCalls >= 0 && int(calls) != s.upstreamCalls:
			t.Errorf("step %d: upstream_calls = %v, want %d", i, calls, s.upstreamCalls)
		}
	}
	if l := requests["throttled"]; l == nil || l["connection_id"] != idB || l["error_code"] != "RATE_LIMITED" || l["upstream_code"] != float64(4) {
		t.Errorf("throttled call's log line: %v", l)
	}
	if l := requests["no-store"]; l == nil || l["error_code"] != "UNAVAILABLE" || l["level"] != "WARN" {
		t.Errorf("store failure's log line: %v", l)
	}
	assertNoSecrets(t, []string{keyA, keyB, key, adminToken, fakegraph.DemoToken, fakegraph.OtherToken}, g)
}
