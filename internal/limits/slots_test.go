package limits

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/igconnect/gateway/internal/redistest"
)

func redisClient(t *testing.T, addr string) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

func acquire(t *testing.T, s *Slots, key string) (*Slot, bool) {
	t.Helper()
	slot, ok, err := s.Acquire(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return slot, ok
}

// Each key has its own places; a freed place is taken again, and freeing
// twice frees once.
func TestSlots(t *testing.T) {
	srv := redistest.Start(t)
	for name, s := range map[string]*Slots{
		"memory": NewMemorySlots(2),
		"redis":  NewRedisSlots(redisClient(t, srv.Addr), 2, time.Minute),
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			first, ok1 := acquire(t, s, "conn_a")
			_, ok2 := acquire(t, s, "conn_a")
			if _, ok3 := acquire(t, s, "conn_a"); !ok1 || !ok2 || ok3 {
				t.Fatalf("places taken: %v %v %v, want true true false", ok1, ok2, ok3)
			}
			if _, ok := acquire(t, s, "conn_b"); !ok {
				t.Fatal("another key was refused")
			}
			if err := first.Release(ctx); err != nil {
				t.Fatal(err)
			}
			if err := first.Release(ctx); err != nil {
				t.Fatal(err)
			}
			if _, ok := acquire(t, s, "conn_a"); !ok {
				t.Fatal("a freed place was not taken again")
			}
			if _, ok := acquire(t, s, "conn_a"); ok {
				t.Fatal("freeing twice freed two places")
			}
		})
	}
}

// Two replicas (two clients) share the places of a key.
func TestSlotsSharedAcrossReplicas(t *testing.T) {
	srv := redistest.Start(t)
	replicas := []*Slots{
		NewRedisSlots(redisClient(t, srv.Addr), 3, time.Minute),
		NewRedisSlots(redisClient(t, srv.Addr), 3, time.Minute),
	}
	var taken atomic.Int64
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, ok, err := replicas[i%2].Acquire(context.Background(), "conn_shared"); err == nil && ok {
				taken.Add(1)
			}
		}()
	}
	wg.Wait()
	if taken.Load() != 3 {
		t.Fatalf("%d places taken across replicas, want 3", taken.Load())
	}
}

// A place nobody frees (its replica crashed) frees itself after the ttl,
// and the key vanishes with its places.
func TestSlotExpires(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redisClient(t, srv.Addr)
	const ttl = 300 * time.Millisecond
	s := NewRedisSlots(rdb, 1, ttl)
	key := SlotPrefix + ":{conn_crash}"
	// A replica that took the place and died: nobody renews or frees it.
	if n, err := acquireScript.Run(context.Background(), rdb, []string{key}, 1, ttl.Milliseconds(), "dead-replica").Int(); err != nil || n != 1 {
		t.Fatalf("first place refused: %v", err)
	}
	if pttl := rdb.PTTL(context.Background(), key).Val(); pttl <= 0 || pttl > ttl {
		t.Fatalf("slot key TTL %v, want within %v", pttl, ttl)
	}
	if _, ok := acquire(t, s, "conn_crash"); ok {
		t.Fatal("second place taken while the first is held")
	}
	time.Sleep(ttl + 100*time.Millisecond)
	slot, ok := acquire(t, s, "conn_crash")
	if !ok {
		t.Fatal("an expired place did not free itself")
	}
	if err := slot.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := rdb.Exists(context.Background(), key).Val(); n != 0 {
		t.Fatal("the key outlived its places")
	}
}

// Without Redis, Acquire fails: a publish never passes uncounted.
func TestSlotsRedisDown(t *testing.T) {
	srv := redistest.Start(t)
	s := NewRedisSlots(redisClient(t, srv.Addr), 2, time.Minute)
	srv.Stop()
	slot, ok, err := s.Acquire(context.Background(), "conn_x")
	if err == nil || ok || slot != nil {
		t.Fatalf("Acquire without Redis: %v %v %v", slot, ok, err)
	}
}

// TestSlotRenewedWhileHeld: a place held longer than its ttl (a publish
// slower than expected) is renewed, so the cap holds for its whole call.
func TestSlotRenewedWhileHeld(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redisClient(t, srv.Addr)
	const ttl = 300 * time.Millisecond
	s := NewRedisSlots(rdb, 1, ttl)
	slot, ok := acquire(t, s, "conn_slow")
	if !ok {
		t.Fatal("first place refused")
	}
	time.Sleep(3 * ttl)
	if _, ok := acquire(t, s, "conn_slow"); ok {
		t.Fatal("a held place expired while its call was still running")
	}
	if err := slot.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, ok := acquire(t, s, "conn_slow"); !ok {
		t.Fatal("a freed place was not taken again")
	}
}

// TestSlotExpiryNotShortened: a replica configured with a shorter ttl (a
// rollout) never shortens another replica's places: the set expires with
// its latest place.
func TestSlotExpiryNotShortened(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redisClient(t, srv.Addr)
	ctx := context.Background()
	key := SlotPrefix + ":{conn_mixed}"
	// A replica with a long ttl that took a place and died.
	if n, err := acquireScript.Run(ctx, rdb, []string{key}, 2, (5 * time.Second).Milliseconds(), "long").Int(); err != nil || n != 1 {
		t.Fatalf("long place: %v", err)
	}
	short := NewRedisSlots(rdb, 2, 100*time.Millisecond)
	slot, ok := acquire(t, short, "conn_mixed")
	if !ok {
		t.Fatal("second place refused")
	}
	slot.Release(ctx)
	time.Sleep(300 * time.Millisecond)
	if _, err := rdb.ZScore(ctx, key, "long").Result(); err != nil {
		t.Fatalf("the long place was dropped by a shorter ttl: %v", err)
	}
}
