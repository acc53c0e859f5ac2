package e2e

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/igconnect/gateway/internal/fakegraph"
	"github.com/igconnect/gateway/internal/redistest"
)

// clusterPassword is the test cluster's requirepass: it reaches the
// gateways as GATEWAY_REDIS_PASSWORD only, overriding the URL's.
const (
	clusterPassword = "cluster-redis-pw-0123456789"
	clusterURLPass  = "url-redis-pw-overridden"
)

// Two replicas on a real 3-master Redis Cluster (GATEWAY_REDIS_URL
// redis+cluster://…): connections spread over every master; the exact
// limit holds across the replicas; a throttle's cooldown and a rotation
// reach the other replica at once; the admin list reads every master; a
// master down fails only its own connections' calls (503, none uncounted)
// and the list (503, never a partial one), and once it is restarted (its
// append-only file) everything answers again on both replicas, its
// windows intact; failed authentications are counted across replicas.
func TestClusterEndToEnd(t *testing.T) {
	fake, fakeURL := startFake(t)
	start := time.Now()
	cl := redistest.StartCluster(t, 3, "--requirepass", clusterPassword)
	t.Logf("3-master cluster up in %v", time.Since(start))
	encKey := newKey()
	env := map[string]string{
		// A wrong password in the URL: GATEWAY_REDIS_PASSWORD must win.
		"GATEWAY_REDIS_URL":          strings.Replace(cl.URL(), "redis+cluster://", "redis+cluster://:"+clusterURLPass+"@", 1),
		"GATEWAY_REDIS_PASSWORD":     clusterPassword,
		"GATEWAY_ENCRYPTION_KEY":     encKey,
		"GATEWAY_ADMIN_TOKEN":        adminToken,
		"GATEWAY_INSTAGRAM_URL":      fakeURL,
		"GATEWAY_RATE_LIMIT":         "20-M",
		"GATEWAY_AUTH_FAILURE_LIMIT": "10-M",
	}
	a := startGateway(t, env)
	b := startGateway(t, env)
	gws := []*gateway{a, b}
	secrets := []string{encKey, adminToken, clusterPassword, clusterURLPass, fakegraph.DemoToken, fakegraph.OtherToken}
	for _, g := range gws {
		if !strings.Contains(g.stderr.String(), "redis+cluster://"+cl.Addrs()[0]+"?addr=") {
			t.Fatalf("the startup line does not show the cluster's seeds: %s", g.stderr)
		}
	}

	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cl.Addrs(), Password: clusterPassword})
	defer rdb.Close()
	ctx := context.Background()
	// onMaster maps each master's index in cl.Addrs() to the connection IDs
	// whose records it holds.
	onMaster := func() map[int][]string {
		t.Helper()
		var mu sync.Mutex
		held := map[int][]string{}
		err := rdb.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
			keys, err := m.Keys(ctx, "igw:{*}").Result()
			i := slices.Index(cl.Addrs(), m.Options().Addr)
			mu.Lock()
			defer mu.Unlock()
			for _, k := range keys {
				held[i] = append(held[i], strings.TrimSuffix(strings.TrimPrefix(k, "igw:{"), "}"))
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return held
	}

	// Connections, created on either replica, until every master holds
	// some (IDs are random: their slots fall anywhere); with six or more,
	// one master holds two at least.
	keys := map[string]string{}
	var held map[int][]string
	for i := 0; len(held) < 3 || len(keys) < 6; i++ {
		if i == 40 {
			t.Fatalf("40 connections and still a master without any: %v", held)
		}
		id, key := createConnection(t, gws[i%2], fakegraph.DemoToken)
		keys[id] = key
		secrets = append(secrets, key)
		held = onMaster()
	}
	otherID, otherKey := createConnection(t, b, fakegraph.OtherToken)
	keys[otherID] = otherKey
	secrets = append(secrets, otherKey)
	t.Logf("%d connections over the masters: %d, %d, %d", len(keys), len(held[0]), len(held[1]), len(held[2]))

	me := func(g *gateway, key string) answer {
		t.Helper()
		return call(t, "GET", g.URL+"/instagram/v21.0/me", nil, "X-API-Key", key)
	}
	listed := func(g *gateway) (int, []string) {
		t.Helper()
		r := admin(t, "GET", g.URL+"/admin/connections", "")
		var ids []string
		list, _ := r.Body["data"].([]any)
		for _, c := range list {
			id, _ := c.(map[string]any)["id"].(string)
			ids = append(ids, id)
		}
		slices.Sort(ids)
		return r.Status, ids
	}
	var all []string
	for id := range keys {
		all = append(all, id)
	}
	slices.Sort(all)

	t.Run("admin list reads every master", func(t *testing.T) {
		for i, g := range gws {
			if status, ids := listed(g); status != 200 || !slices.Equal(ids, all) {
				t.Fatalf("replica %d lists %d: %v, want %v", i, status, ids, all)
			}
		}
	})

	// The restarted master is one that holds two connections or more: the
	// limited one, and spare, never called before the master goes down;
	// elsewhere is a connection of another master.
	restarted := 0
	for i := range held {
		if len(held[i]) > len(held[restarted]) {
			restarted = i
		}
	}
	limited, spare := held[restarted][0], held[restarted][1]
	elsewhere := held[(restarted+1)%3][0]

	t.Run("exact limit across replicas", func(t *testing.T) {
		var mu sync.Mutex
		counts := map[int]int{}
		var failures []string
		var wg sync.WaitGroup
		for i := range 30 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := tryCall(http.MethodGet, gws[i%2].URL+"/instagram/v21.0/me?api_token="+keys[limited], nil)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					failures = append(failures, err.Error())
					return
				}
				counts[r.Status]++
				if r.Status == 429 && (r.Header.Get("Retry-After") == "" || r.Code() != "RATE_LIMITED" || r.Header.Get("X-RateLimit-Remaining") != "0") {
					failures = append(failures, "429 without Retry-After: "+r.Raw)
				}
			}()
		}
		wg.Wait()
		if len(failures) > 0 {
			t.Fatal(failures[0])
		}
		if counts[200] != 20 || counts[429] != 10 {
			t.Fatalf("statuses %v, want 20×200 and 10×429", counts)
		}
		// Another master's connection has its own window.
		if r := me(b, keys[elsewhere]); r.Status != 200 || r.Header.Get("X-RateLimit-Remaining") != "19" {
			t.Fatalf("a connection on another master: %d %v", r.Status, r.Header)
		}
	})

	t.Run("cooldown reaches the other replica", func(t *testing.T) {
		fake.Throttle(fakegraph.OtherUserID, 4, time.Minute)
		if r := me(a, otherKey); r.Status != 429 || r.Code() != "RATE_LIMITED" {
			t.Fatalf("throttled upstream: %d %s", r.Status, r.Raw)
		}
		upstream := fake.Requests()
		if r := me(b, otherKey); r.Status != 429 || r.Header.Get("Retry-After") == "" {
			t.Fatalf("the other replica during the cooldown: %d %s", r.Status, r.Raw)
		}
		if fake.Requests() != upstream {
			t.Fatal("the other replica called upstream during the cooldown")
		}
	})

	t.Run("rotation reaches the other replica at once", func(t *testing.T) {
		rotated := elsewhere
		rot := admin(t, "POST", a.URL+"/admin/connections/"+rotated+"/rotate", "")
		newKey, _ := rot.Data()["api_key"].(string)
		if rot.Status != 200 || newKey == "" {
			t.Fatalf("rotate: %d %s", rot.Status, rot.Raw)
		}
		secrets = append(secrets, newKey)
		if r := me(b, keys[rotated]); r.Status != 401 {
			t.Fatalf("the old key on the other replica: %d %s", r.Status, r.Raw)
		}
		keys[rotated] = newKey
		if r := me(b, newKey); r.Status != 200 || r.Header.Get("X-RateLimit-Remaining") != "18" {
			t.Fatalf("the new key on the other replica: %d %v %s", r.Status, r.Header, r.Raw)
		}
	})

	t.Run("a master down, then restarted", func(t *testing.T) {
		cl.StopNode(restarted)
		for i, g := range gws {
			if r := me(g, keys[spare]); r.Status != 503 || r.Code() != "UNAVAILABLE" {
				t.Fatalf("replica %d, a connection of the master that is down: %d %s", i, r.Status, r.Raw)
			}
			if r := me(g, keys[elsewhere]); r.Status != 200 {
				t.Fatalf("replica %d, a connection of a master that is up: %d %s", i, r.Status, r.Raw)
			}
			if status, _ := listed(g); status != 503 {
				t.Fatalf("replica %d lists with a master down: %d, want 503 (never a partial list)", i, status)
			}
			if r := call(t, "GET", g.URL+"/readyz", nil); r.Status != 503 {
				t.Fatalf("replica %d /readyz with a master down: %d", i, r.Status)
			}
		}
		down := time.Now()
		cl.StartNode(restarted)
		t.Logf("master %d back and the cluster ok in %v", restarted, time.Since(down))
		for i, g := range gws {
			var last answer
			for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				if last = me(g, keys[spare]); last.Status == 200 {
					break
				}
			}
			if last.Status != 200 {
				t.Fatalf("replica %d: no recovery after the master came back: %d %s", i, last.Status, last.Raw)
			}
			if status, ids := listed(g); status != 200 || !slices.Equal(ids, all) {
				t.Fatalf("replica %d lists after the restart %d: %v, want %v", i, status, ids, all)
			}
			if r := call(t, "GET", g.URL+"/readyz", nil); r.Status != 200 {
				t.Fatalf("replica %d /readyz after the restart: %d", i, r.Status)
			}
			// The window of the limited connection survived (append-only).
			if r := me(g, keys[limited]); r.Status != 429 {
				t.Fatalf("replica %d: the limited connection after the restart: %d %s", i, r.Status, r.Raw)
			}
		}
		t.Logf("both replicas whole again %v after the master came back", time.Since(down))
		for id, key := range keys {
			if id == limited || id == otherID {
				continue
			}
			if r := me(a, key); r.Status != 200 {
				t.Fatalf("%s after the restart: %d %s", id, r.Status, r.Raw)
			}
		}
	})

	t.Run("failed authentications counted across replicas", func(t *testing.T) {
		// One failure so far: the rotated key. The limit is 10.
		bad := "igw_" + elsewhere + "." + strings.Repeat("A", 43)
		for i := range 9 {
			if r := me(gws[i%2], bad); r.Status != 401 {
				t.Fatalf("failure %d: %d %s", i+2, r.Status, r.Raw)
			}
		}
		if r := me(b, bad); r.Status != 429 || r.Code() != "RATE_LIMITED" {
			t.Fatalf("the 11th failure: %d %s", r.Status, r.Raw)
		}
		if r := me(a, keys[spare]); r.Status != 429 {
			t.Fatalf("a blocked address with a good key on the other replica: %d %s", r.Status, r.Raw)
		}
	})

	for _, g := range gws {
		g.stop(t)
	}
	assertNoSecrets(t, secrets, gws...)
}
