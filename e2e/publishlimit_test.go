package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/igconnect/gateway/internal/fakegraph"
	"github.com/igconnect/gateway/internal/redistest"
)

// Two replicas on one Redis share a connection's publish cap and an
// address's failed authentications; the refused publish costs no call.
func TestReplicasSharePublishAndAuthLimits(t *testing.T) {
	fake, fakeURL := startFake(t)
	fake.SetProcessingTime(1500 * time.Millisecond)
	rs := redistest.Start(t)
	env := map[string]string{
		"GATEWAY_REDIS_URL":           rs.URL(),
		"GATEWAY_ENCRYPTION_KEY":      newKey(),
		"GATEWAY_ADMIN_TOKEN":         adminToken,
		"GATEWAY_INSTAGRAM_URL":       fakeURL,
		"GATEWAY_PUBLISH_TIMEOUT":     "10s",
		"GATEWAY_UPSTREAM_TIMEOUT":    "5s",
		"GATEWAY_PUBLISH_CONCURRENCY": "1",
		"GATEWAY_AUTH_FAILURE_LIMIT":  "3-M",
	}
	a := startGateway(t, env)
	b := startGateway(t, env)
	id, key := createConnection(t, a, fakegraph.DemoToken)
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr})
	defer rdb.Close()
	ctx := context.Background()
	publish := "/instagram/v21.0/me/media_publish"
	body := `{"image_url":"https://example.com/a.jpg"}`
	remaining := func(g *gateway) int {
		t.Helper()
		r := call(t, "GET", g.URL+"/instagram/v21.0/me", nil, "X-API-Key", key)
		n, err := strconv.Atoi(r.Header.Get("X-RateLimit-Remaining"))
		if r.Status != 200 || err != nil {
			t.Fatalf("probe: %d %s", r.Status, r.Raw)
		}
		return n
	}

	t.Run("publishes in flight", func(t *testing.T) {
		upstream := fake.Requests()
		done := make(chan answer, 1)
		go func() {
			r, _ := tryCall("POST", a.URL+publish, strings.NewReader(body), "X-API-Key", key)
			done <- r
		}()
		for deadline := time.Now().Add(10 * time.Second); fake.Requests() == upstream; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the publish never reached upstream")
			}
		}
		slots := "igw:pub:{" + id + "}"
		if ttl := rdb.PTTL(ctx, slots).Val(); ttl <= 10*time.Second || ttl > 45*time.Second {
			t.Fatalf("slot key %s TTL %v, want publish timeout + upstream timeout + margin", slots, ttl)
		}
		before := remaining(b)
		r := call(t, "POST", b.URL+publish, strings.NewReader(body), "X-API-Key", key)
		if r.Status != 429 || r.Code() != "RATE_LIMITED" || r.Header.Get("Retry-After") == "" || !strings.Contains(r.Raw, "in flight") {
			t.Fatalf("second publish on the other replica: %d %v %s", r.Status, r.Header, r.Raw)
		}
		if after := remaining(b); after != before-1 {
			t.Fatalf("remaining %d, then %d: the refused publish was counted", before, after)
		}
		if r := <-done; r.Status != 200 {
			t.Fatalf("first publish: %d %s", r.Status, r.Raw)
		}
		if n := rdb.Exists(ctx, slots).Val(); n != 0 {
			t.Fatal("the slot outlived its publish")
		}
	})

	t.Run("failed authentications", func(t *testing.T) {
		bad := "igw_" + id + "." + strings.Repeat("A", 43)
		for i, g := range []*gateway{a, b, a} {
			if r := call(t, "GET", g.URL+"/instagram/v21.0/me", nil, "X-API-Key", bad); r.Status != 401 {
				t.Fatalf("failure %d: %d %s", i+1, r.Status, r.Raw)
			}
		}
		r := call(t, "GET", b.URL+"/instagram/v21.0/me", nil, "X-API-Key", bad)
		if r.Status != 429 || r.Code() != "RATE_LIMITED" || r.Header.Get("Retry-After") == "" {
			t.Fatalf("fourth failure, on the other replica: %d %v %s", r.Status, r.Header, r.Raw)
		}
		if r := call(t, "GET", b.URL+"/instagram/v21.0/me", nil, "X-API-Key", key); r.Status != 429 {
			t.Fatalf("a blocked address with a good key: %d %s", r.Status, r.Raw)
		}
		ttl := rdb.PTTL(ctx, "igw:af:127.0.0.1").Val()
		if ttl <= 0 || ttl > time.Minute {
			t.Fatalf("failure count key TTL %v", ttl)
		}
	})
	assertNoSecrets(t, []string{key, adminToken, fakegraph.DemoToken}, a, b)
}
