package e2e

import (
	"encoding/json"
	"net"
	"strings"
	"testing"
)

// With Redis down, every line on stderr is JSON: go-redis's own complaints
// (dozens at start, more per call) come through the gateway's logger,
// rate-limited and without the URL's password.
func TestRedisDownLogsAreJSON(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	const password = "e2e-redis-url-pw"
	g := startGateway(t, map[string]string{
		"GATEWAY_REDIS_URL": "redis://default:" + password + "@" + closed + "/0", "GATEWAY_ENCRYPTION_KEY": newKey(),
		"GATEWAY_ADMIN_TOKEN": adminToken,
	})
	key := "igw_" + strings.Repeat("x", 43)
	for range 5 {
		if r := call(t, "GET", g.URL+"/instagram/v21.0/me?api_token="+key, nil); r.Status != 503 && r.Status != 401 {
			t.Fatalf("with Redis down: %d %s", r.Status, r.Raw)
		}
		if r := admin(t, "GET", g.URL+"/admin/connections", ""); r.Status != 503 {
			t.Fatalf("admin with Redis down: %d %s", r.Status, r.Raw)
		}
		if r := call(t, "GET", g.URL+"/readyz", nil); r.Status != 503 {
			t.Fatalf("/readyz with Redis down: %d", r.Status)
		}
	}
	g.stop(t)
	var redisLines int
	var plain []string
	for _, line := range strings.Split(strings.TrimSpace(g.stderr.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			plain = append(plain, line)
			continue
		}
		if m["msg"] == "redis client" {
			redisLines++
		}
	}
	if len(plain) > 0 {
		t.Errorf("%d lines are not JSON, the first: %q", len(plain), plain[0])
	}
	// One line per 10 s: the test takes a few seconds at most.
	if redisLines == 0 || redisLines > 3 {
		t.Errorf("%d lines from go-redis, want 1 to 3:\n%s", redisLines, g.stderr)
	}
	assertNoSecrets(t, []string{password, adminToken}, g)
}
