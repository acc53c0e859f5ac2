package redisstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/redistest"
	"github.com/igconnect/gateway/internal/store"
	"github.com/igconnect/gateway/internal/store/storetest"
)

// clusterClient is a client of c as the gateway makes one: short
// timeouts, one retry.
func clusterClient(t *testing.T, c *redistest.Cluster) *redis.ClusterClient {
	t.Helper()
	rdb := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs: c.Addrs(), DialTimeout: 300 * time.Millisecond, ReadTimeout: 300 * time.Millisecond,
		MaxRetries: 1, DialerRetries: 1, DialerRetryTimeout: 20 * time.Millisecond,
	})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// flushCluster empties every master.
func flushCluster(t *testing.T, rdb *redis.ClusterClient) {
	t.Helper()
	err := rdb.ForEachMaster(context.Background(), func(ctx context.Context, m *redis.Client) error {
		return m.FlushAll(ctx).Err()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The whole store contract holds on a 3-master Redis Cluster: every
// script touches one slot's keys (a CROSSSLOT would fail it), and List
// reads every master.
func TestClusterConformance(t *testing.T) {
	c := redistest.StartCluster(t, 3)
	rdb := clusterClient(t, c)
	storetest.Run(t, func(t *testing.T) store.Store {
		flushCluster(t, rdb)
		return New(rdb)
	})
}

// mastersOf counts, for each master, the record keys it holds.
func mastersOf(t *testing.T, rdb *redis.ClusterClient) map[string]int {
	t.Helper()
	var mu sync.Mutex
	held := map[string]int{}
	err := rdb.ForEachMaster(context.Background(), func(ctx context.Context, m *redis.Client) error {
		keys, err := m.Keys(ctx, recordPattern).Result()
		mu.Lock()
		defer mu.Unlock()
		held[m.Options().Addr] = len(keys)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return held
}

// List on a cluster: every master's records, in batches (more records than
// one batch), oldest first; Each streams them once each; a master that is
// down fails the list (never a partial one) and Ping, and both recover
// when it is back with its records (append-only file).
func TestClusterList(t *testing.T) {
	c := redistest.StartCluster(t, 3)
	rdb := clusterClient(t, c)
	s := New(rdb)
	ctx := context.Background()
	const n = 1234
	base := time.Now().UTC().Truncate(time.Millisecond)
	for i := range n {
		conn := storetest.Conn(fmt.Sprintf("conn_%020x", i), fmt.Sprint(i))
		conn.CreatedAt = base.Add(time.Duration(n-i) * time.Second) // created in reverse
		if err := s.Create(ctx, conn); err != nil {
			t.Fatal(err)
		}
	}
	// A cooldown, a ticket, the canary and the schedule are not records.
	if err := s.Cooldown(ctx, fmt.Sprintf("conn_%020x", 0), time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutTicket(ctx, "link", "abc", []byte("x"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateCanary(ctx, []byte("canary")); err != nil {
		t.Fatal(err)
	}
	if err := s.Schedule(ctx, fmt.Sprintf("conn_%020x", 1), time.Now()); err != nil {
		t.Fatal(err)
	}
	held := mastersOf(t, rdb)
	if len(held) != 3 {
		t.Fatalf("records on %v, want all 3 masters", held)
	}
	for addr, k := range held {
		if k < n/5 {
			t.Fatalf("master %s holds %d of %d records: %v", addr, k, n, held)
		}
	}

	start := time.Now()
	list, err := s.List(ctx)
	if err != nil || len(list) != n {
		t.Fatalf("List: %d connections, %v; want %d", len(list), err, n)
	}
	t.Logf("List of %d connections on 3 masters in %v", n, time.Since(start))
	for i, conn := range list {
		if want := fmt.Sprintf("conn_%020x", n-1-i); conn.ID != want || conn.KeyHash != storetest.Hash(fmt.Sprint(n-1-i)) {
			t.Fatalf("list[%d] = %s, want %s, oldest first", i, conn.ID, want)
		}
	}

	seen := map[string]bool{}
	batches := 0
	err = s.Each(ctx, func(batch []*connectors.Connection) error {
		batches++
		if len(batch) == 0 || len(batch) > listBatch {
			t.Errorf("batch of %d", len(batch))
		}
		for _, conn := range batch {
			if seen[conn.ID] {
				t.Errorf("%s given twice", conn.ID)
			}
			seen[conn.ID] = true
		}
		return nil
	})
	if err != nil || len(seen) != n || batches < 3 {
		t.Fatalf("Each: %d connections in %d batches, %v", len(seen), batches, err)
	}
	stop := errors.New("enough")
	if err := s.Each(ctx, func([]*connectors.Connection) error { return stop }); err != stop {
		t.Fatalf("Each returned %v, want fn's error as it is", err)
	}

	c.StopNode(1)
	if _, err := s.List(ctx); connectors.ErrorCode(err) != connectors.CodeUnavailable {
		t.Fatalf("List with a master down: %v, want UNAVAILABLE", err)
	}
	if err := s.Ping(ctx); connectors.ErrorCode(err) != connectors.CodeUnavailable {
		t.Fatalf("Ping with a master down: %v, want UNAVAILABLE", err)
	}
	c.StartNode(1)
	var last error
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if list, last = s.List(ctx); last == nil && len(list) == n && s.Ping(ctx) == nil {
			return
		}
	}
	t.Fatalf("no recovery after the master came back: %d connections, %v", len(list), last)
}

// On one Redis, List still reads with MGET: more than a batch, oldest
// first, never a key that is not a record.
func TestListSingleNode(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	s := New(rdb)
	ctx := context.Background()
	const n = 1100
	base := time.Now().UTC().Truncate(time.Millisecond)
	for i := range n {
		conn := storetest.Conn(fmt.Sprintf("conn_%020x", i), fmt.Sprint(i))
		conn.CreatedAt = base.Add(-time.Duration(i) * time.Second)
		if err := s.Create(ctx, conn); err != nil {
			t.Fatal(err)
		}
	}
	s.Cooldown(ctx, fmt.Sprintf("conn_%020x", 3), time.Now().Add(time.Minute))
	s.PutTicket(ctx, "link", "abc", []byte("x"), time.Minute)
	list, err := s.List(ctx)
	if err != nil || len(list) != n {
		t.Fatalf("List: %d, %v", len(list), err)
	}
	for i, conn := range list {
		if want := fmt.Sprintf("conn_%020x", n-1-i); conn.ID != want {
			t.Fatalf("list[%d] = %s, want %s", i, conn.ID, want)
		}
	}
}
