package e2e

import (
	"sync"
	"testing"
	"time"

	"github.com/igconnect/gateway/internal/fakegraph"
)

// metric reads one unlabelled series from a gateway's /metrics.
func metric(t *testing.T, g *gateway, name string) float64 {
	t.Helper()
	v, ok := sample(scrape(t, g), name, nil)
	if !ok {
		t.Fatalf("no series %s", name)
	}
	return v
}

// A bounded soak: 20,000 calls over 50 connections on two replicas. Every
// answer is an envelope, every connection gets exactly its limit, and
// goroutines and heap come back to where they started.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak")
	}
	const (
		conns       = 50
		callsPerKey = 400
		workers     = 32
	)
	// Pooled upstream connections idle out after a second, so that what
	// remains after the soak is what leaked.
	_, a, b, secrets, _ := twoReplicasURL(t, "GATEWAY_UPSTREAM_IDLE_TIMEOUT", "1s")
	keys := make([]string, conns)
	for i := range keys {
		_, keys[i] = createConnection(t, a, fakegraph.DemoToken)
		secrets = append(secrets, keys[i])
	}
	// Warm up both replicas, then take the baseline.
	for _, g := range []*gateway{a, b} {
		for range 20 {
			call(t, "GET", g.URL+"/healthz", nil)
		}
	}
	client.CloseIdleConnections()
	time.Sleep(200 * time.Millisecond)
	baseG := []float64{metric(t, a, "go_goroutines"), metric(t, b, "go_goroutines")}
	baseHeap := []float64{metric(t, a, "go_memstats_heap_inuse_bytes"), metric(t, b, "go_memstats_heap_inuse_bytes")}

	type job struct{ key, url string }
	jobs := make(chan job)
	var mu sync.Mutex
	ok := map[string]int{}
	limited := map[string]int{}
	var failures []string
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				r, err := tryCall("GET", j.url, nil, "X-API-Key", j.key)
				mu.Lock()
				switch {
				case err != nil:
					failures = append(failures, err.Error())
				case r.Status == 200:
					ok[j.key]++
				case r.Status == 429 && r.Code() == "RATE_LIMITED" && r.Header.Get("Retry-After") != "":
					limited[j.key]++
				default:
					failures = append(failures, r.Raw)
				}
				mu.Unlock()
			}
		}()
	}
	deadline := time.Now().Add(5 * time.Minute)
	for i := 0; i < conns*callsPerKey && time.Now().Before(deadline); i++ {
		g := a
		if i%2 == 1 {
			g = b
		}
		path := "/instagram/v21.0/me"
		if i%3 == 0 {
			path = "/instagram/v21.0/me/media?limit=2"
		}
		jobs <- job{key: keys[(i/2)%conns], url: g.URL + path}
	}
	close(jobs)
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d failures, first: %s", len(failures), failures[0])
	}
	for i, k := range keys {
		if ok[k] != 100 || limited[k] != callsPerKey-100 {
			t.Fatalf("connection %d: %d ok, %d limited; want 100 and %d", i, ok[k], limited[k], callsPerKey-100)
		}
	}

	// Back to the start level.
	client.CloseIdleConnections()
	for i, g := range []*gateway{a, b} {
		var goroutines float64
		for range 50 {
			if goroutines = metric(t, g, "go_goroutines"); goroutines <= baseG[i]+5 {
				break
			}
			client.CloseIdleConnections()
			time.Sleep(100 * time.Millisecond)
		}
		heap := metric(t, g, "go_memstats_heap_inuse_bytes")
		t.Logf("replica %d: goroutines %v -> %v, heap in use %.1f MB -> %.1f MB", i, baseG[i], goroutines, baseHeap[i]/1e6, heap/1e6)
		if goroutines > baseG[i]+5 {
			t.Errorf("replica %d: %v goroutines after the soak, %v before", i, goroutines, baseG[i])
		}
		if heap > 2*baseHeap[i]+32e6 {
			t.Errorf("replica %d: heap in use %v after the soak, %v before", i, heap, baseHeap[i])
		}
	}
	assertNoSecrets(t, secrets, a, b)
}
