package e2e

import (
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/igconnect/gateway/internal/fakegraph"
	"github.com/igconnect/gateway/internal/redistest"
)

// Redis killed and restarted mid-run: actions answer 503 UNAVAILABLE (none
// passes uncounted), /readyz fails, the process stays up, and everything
// recovers by itself once Redis is back.
func TestRedisKilledAndRestarted(t *testing.T) {
	_, fakeURL := startFake(t)
	rs := redistest.Start(t)
	g := startGateway(t, map[string]string{
		"GATEWAY_REDIS_URL": rs.URL(), "GATEWAY_ENCRYPTION_KEY": newKey(), "GATEWAY_ADMIN_TOKEN": adminToken,
		"GATEWAY_INSTAGRAM_URL": fakeURL, "GATEWAY_RATE_LIMIT": "1000-M",
	})
	_, key := createConnection(t, g, fakegraph.DemoToken)
	if r := call(t, "GET", g.URL+"/instagram/v21.0/me?api_token="+key, nil); r.Status != 200 {
		t.Fatal(r.Raw)
	}

	rs.Stop()
	for i := range 5 {
		start := time.Now()
		r := call(t, "GET", g.URL+"/instagram/v21.0/me?api_token="+key, nil)
		if r.Status != 503 || r.Code() != "UNAVAILABLE" {
			t.Fatalf("call %d with Redis down: %d %s", i, r.Status, r.Raw)
		}
		t.Logf("call with Redis down answered in %v", time.Since(start))
	}
	if r := call(t, "GET", g.URL+"/readyz", nil); r.Status != 503 {
		t.Fatalf("/readyz with Redis down: %d", r.Status)
	}
	if r := call(t, "GET", g.URL+"/healthz", nil); r.Status != 200 {
		t.Fatalf("/healthz with Redis down: %d", r.Status)
	}
	if r := admin(t, "GET", g.URL+"/admin/connections", ""); r.Status != 503 {
		t.Fatalf("admin with Redis down: %d %s", r.Status, r.Raw)
	}

	rs.Restart()
	deadline := time.Now().Add(15 * time.Second)
	var last answer
	for time.Now().Before(deadline) {
		last = call(t, "GET", g.URL+"/instagram/v21.0/me?api_token="+key, nil)
		if last.Status == 200 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if last.Status != 200 {
		t.Fatalf("no recovery after Redis came back: %d %s", last.Status, last.Raw)
	}
	if r := call(t, "GET", g.URL+"/readyz", nil); r.Status != 200 {
		t.Fatalf("/readyz after recovery: %d", r.Status)
	}
	g.stop(t)
	assertNoSecrets(t, []string{key, adminToken, fakegraph.DemoToken}, g)
}

// Upstream slow, hanging, failing and answering garbage: each ends in a
// clear envelope.
func TestUpstreamFaults(t *testing.T) {
	fake, fakeURL := startFake(t)
	g := startGateway(t, map[string]string{
		"GATEWAY_DATA_DIR": t.TempDir(), "GATEWAY_ADMIN_TOKEN": adminToken, "GATEWAY_INSTAGRAM_URL": fakeURL,
		"GATEWAY_UPSTREAM_TIMEOUT": "1s", "GATEWAY_UPSTREAM_HEADER_TIMEOUT": "1s", "GATEWAY_UPSTREAM_RETRIES": "1",
	})
	_, key := createConnection(t, g, fakegraph.DemoToken)
	onlyMe := func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/me") }
	tests := []struct {
		name   string
		fault  http.HandlerFunc
		status int
		code   string
	}{
		{"slow", func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(200 * time.Millisecond)
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"id":"17841400000000001","username":"slow"}`))
		}, 200, ""},
		{"hanging", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }, 504, "UPSTREAM_TIMEOUT"},
		{"failing", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(500)
			w.Write([]byte(`{"error":{"message":"An unknown error occurred","type":"OAuthException","code":1,"is_transient":true,"fbtrace_id":"F"}}`))
		}, 502, "UPSTREAM_ERROR"},
		{"HTML error page", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(502)
			w.Write([]byte(`<!DOCTYPE html><html><body>Bad Gateway</body></html>`))
		}, 502, "UPSTREAM_ERROR"},
		{"garbage 200", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"id":"1","username":`)) }, 502, "UPSTREAM_ERROR"},
		{"connection cut", func(w http.ResponseWriter, r *http.Request) {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}, 502, "UPSTREAM_ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake.SetFault(&fakegraph.Fault{Match: onlyMe, Handle: tt.fault})
			defer fake.SetFault(nil)
			r := call(t, "GET", g.URL+"/instagram/v21.0/me?api_token="+key, nil)
			if r.Status != tt.status || r.Code() != tt.code {
				t.Fatalf("%d %s", r.Status, r.Raw)
			}
			if tt.code != "" && len(r.Data()["error"].(map[string]any)["message"].(string)) < 10 {
				t.Fatalf("unclear message: %s", r.Raw)
			}
		})
	}
	g.stop(t)
	assertNoSecrets(t, []string{key, adminToken, fakegraph.DemoToken}, g)
}

// SIGTERM while a Publish is in flight: the publish finishes (container
// created, finished, published), then the gateway exits 0.
func TestShutdownFinishesPublish(t *testing.T) {
	fake, fakeURL := startFake(t)
	fake.SetProcessingTime(1500 * time.Millisecond)
	g := startGateway(t, map[string]string{
		"GATEWAY_DATA_DIR": t.TempDir(), "GATEWAY_ADMIN_TOKEN": adminToken, "GATEWAY_INSTAGRAM_URL": fakeURL,
		"GATEWAY_SHUTDOWN_GRACE": "20s",
	})
	_, key := createConnection(t, g, fakegraph.DemoToken)
	before := fake.MediaCount(fakegraph.DemoUserID)
	var wg sync.WaitGroup
	var r answer
	var err error
	wg.Add(1)
	go func() {
		defer wg.Done()
		r, err = tryCall("POST", g.URL+"/instagram/v21.0/me/media_publish?api_token="+key, strings.NewReader(`{"image_url":"https://example.com/a.jpg"}`))
	}()
	time.Sleep(400 * time.Millisecond) // the container is being processed
	g.cmd.Process.Signal(syscall.SIGTERM)
	wg.Wait()
	if err != nil || r.Status != 200 || fake.MediaCount(fakegraph.DemoUserID) != before+1 {
		t.Fatalf("publish across SIGTERM: %v %d %s", err, r.Status, r.Raw)
	}
	select {
	case err := <-g.done:
		if err != nil {
			t.Fatalf("exit: %v", err)
		}
		g.done <- nil
	case <-time.After(20 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
	if _, err := tryCall("GET", g.URL+"/healthz", nil); err == nil {
		t.Fatal("still serving after shutdown")
	}
}
