package redistest

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// StartCluster gives a 3-master cluster whose slots are all served, a
// redis+cluster:// URL naming every node, and nodes that keep their data
// and slots across a restart.
func TestStartCluster(t *testing.T) {
	start := time.Now()
	c := StartCluster(t, 3)
	t.Logf("3-master cluster up in %v", time.Since(start))
	u, err := url.Parse(c.URL())
	if err != nil || u.Scheme != "redis+cluster" || u.Host != c.Addrs()[0] || strings.Join(u.Query()["addr"], ",") != strings.Join(c.Addrs()[1:], ",") {
		t.Fatalf("URL %s: %v", c.URL(), err)
	}
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	defer rdb.Close()
	ctx := context.Background()
	slots, err := rdb.ClusterSlots(ctx).Result()
	if err != nil || len(slots) != 3 {
		t.Fatalf("slots %v, %v", slots, err)
	}
	// Keys of many slots, so that every master holds some.
	for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"} {
		if err := rdb.Set(ctx, k, k, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for i := range c.Addrs() {
		node := redis.NewClient(&redis.Options{Addr: c.Node(i).Addr})
		n, err := node.DBSize(ctx).Result()
		node.Close()
		if err != nil || n == 0 {
			t.Fatalf("node %d holds %d keys, %v", i, n, err)
		}
	}
	start = time.Now()
	c.RestartNode(0)
	t.Logf("node restarted and the cluster ok in %v", time.Since(start))
	deadline := time.Now().Add(10 * time.Second)
	for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"} {
		for {
			v, err := rdb.Get(ctx, k).Result()
			if err == nil && v == k {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s after the restart: %q, %v", k, v, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}
