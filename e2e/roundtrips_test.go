package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/igconnect/gateway/internal/fakegraph"
	"github.com/igconnect/gateway/internal/redistest"
)

// monitor runs MONITOR on its own connection and sends each line it shows.
func monitor(t *testing.T, addr string) <-chan string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprint(c, "MONITOR\r\n")
	r := bufio.NewReader(c)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if l, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(l, "+OK") {
		t.Fatalf("MONITOR: %q %v", l, err)
	}
	c.SetReadDeadline(time.Time{})
	lines := make(chan string, 10000)
	go func() {
		defer close(lines)
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return
			}
			lines <- strings.TrimSpace(l)
		}
	}()
	return lines
}

// An action call costs at most 2 Redis round trips: the connection's record
// with its cooldown, and the limit. Counted with Redis's MONITOR (commands
// the clients send; those scripts run inside Redis show as "lua" and are
// not round trips) over 200 calls of every kind of read, on the built
// binary. The limiter's
// keys expire with their window.
func TestRedisRoundTripsPerCall(t *testing.T) {
	fake, fakeURL := startFake(t)
	rs := redistest.Start(t)
	g := startGateway(t, map[string]string{
		"GATEWAY_REDIS_URL":      rs.URL(),
		"GATEWAY_ENCRYPTION_KEY": newKey(),
		"GATEWAY_ADMIN_TOKEN":    adminToken,
		"GATEWAY_INSTAGRAM_URL":  fakeURL,
		"GATEWAY_RATE_LIMIT":     "100000-M",
	})
	id, key := createConnection(t, g, fakegraph.DemoToken)
	media := fake.AddMedia(fakegraph.DemoUserID, 3)[0]
	paths := []string{
		"/instagram/v21.0/me",
		"/instagram/v21.0/me/media?limit=2",
		"/instagram/v21.0/" + media,
		"/instagram/v21.0/ig_media_id?IG_MEDIA_ID=" + media,
	}
	// Warm up: scripts loaded, pools filled.
	for _, p := range paths {
		if r := call(t, "GET", g.URL+p, nil, "X-API-Key", key); r.Status != 200 {
			t.Fatalf("%s: %d %s", p, r.Status, r.Raw)
		}
	}
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr})
	defer rdb.Close()
	ctx := context.Background()
	if err := rdb.Ping(ctx).Err(); err != nil { // connected (HELLO sent) before MONITOR starts
		t.Fatal(err)
	}
	lines := monitor(t, rs.Addr)
	const calls = 200
	for i := range calls {
		p := paths[i%len(paths)]
		if r := call(t, "GET", g.URL+p, nil, "X-API-Key", key); r.Status != 200 {
			t.Fatalf("%s: %d %s", p, r.Status, r.Raw)
		}
	}
	// A marker that MONITOR shows after everything the calls sent.
	marker := "igw-test-marker-" + strconv.FormatInt(time.Now().UnixNano(), 10)
	rdb.Echo(ctx, marker)
	stats := map[string]int{}
	total := 0
	deadline := time.After(10 * time.Second)
read:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("MONITOR's connection closed")
			}
			if strings.Contains(l, marker) {
				break read
			}
			if strings.Contains(l, " lua]") {
				continue // run by a script inside Redis: no round trip
			}
			fields := strings.Fields(l)
			if len(fields) < 4 {
				continue
			}
			stats[strings.Trim(strings.ToLower(fields[3]), `"`)]++
			total++
		case <-deadline:
			t.Fatal("MONITOR never showed the marker")
		}
	}
	perCall := float64(total) / calls
	t.Logf("%d calls: Redis commands sent %v, %.2f per call", calls, stats, perCall)
	if perCall > 2 {
		t.Errorf("%.2f Redis round trips per call (%v), want at most 2", perCall, stats)
	}

	// The limiter's key for this connection expires with its window.
	var keys []string
	iter := rdb.Scan(ctx, 0, "igw:rl:*", 100).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if len(keys) != 1 || !strings.Contains(keys[0], id) {
		t.Fatalf("limiter keys %v, want one for %s", keys, id)
	}
	ttl, err := rdb.PTTL(ctx, keys[0]).Result()
	if err != nil || ttl <= 0 || ttl > time.Minute {
		t.Errorf("limiter key TTL %v (%v), want within the 1-minute window", ttl, err)
	}
}
