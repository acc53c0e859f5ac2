// Package storetest is the conformance suite every store.Store passes.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/secret"
	"github.com/igconnect/gateway/internal/store"
)

// Hash returns the key hash of a fixture key named seed, shaped as the
// gateway's keyed hashes (secret.KeyedHashPrefix and 64 hex digits).
func Hash(seed string) string { return secret.KeyedHashPrefix + secret.LegacyKeyHash(seed) }

// LegacyHash returns the key hash of a fixture key named seed, shaped as
// the hashes stored before v2 (64 hex digits).
func LegacyHash(seed string) string { return secret.LegacyKeyHash(seed) }

// Conn returns a connection fixture whose key hash is Hash(seed).
func Conn(id, seed string) *connectors.Connection {
	return &connectors.Connection{
		ID:              id,
		Name:            "name " + id,
		InstagramUserID: "17841400000000001",
		Username:        "user_" + id,
		CreatedAt:       time.Now().UTC().Truncate(time.Millisecond),
		KeyHash:         Hash(seed),
		EncryptedToken:  []byte("sealed-" + id),
	}
}

// Run runs the suite against stores made by open.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()

	t.Run("CreateGetList", func(t *testing.T) {
		s := open(t)
		a, b := Conn("conn_a", "hash_a"), Conn("conn_b", "hash_b")
		b.CreatedAt = a.CreatedAt.Add(time.Second)
		for _, c := range []*connectors.Connection{b, a} {
			if err := s.Create(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Get(ctx, "conn_a")
		if err != nil || got.ID != "conn_a" || got.Name != a.Name || got.InstagramUserID != a.InstagramUserID || got.Username != a.Username ||
			got.KeyHash != Hash("hash_a") || string(got.EncryptedToken) != "sealed-conn_a" || !got.CreatedAt.Equal(a.CreatedAt) || !got.CooldownUntil.IsZero() {
			t.Fatalf("Get = %+v, %v", got, err)
		}
		list, err := s.List(ctx)
		if err != nil || len(list) != 2 || list[0].ID != "conn_a" || list[1].ID != "conn_b" {
			t.Fatalf("List = %v, %v", list, err)
		}
		if err := s.Create(ctx, Conn("conn_a", "hash_x")); err == nil {
			t.Fatal("duplicate ID accepted")
		}
		if got, _ := s.Get(ctx, "conn_a"); got.KeyHash != Hash("hash_a") {
			t.Fatalf("a refused create changed the stored key: %+v", got)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		s := open(t)
		if _, err := s.Get(ctx, "conn_missing"); !errors.Is(err, connectors.ErrNotFound) {
			t.Errorf("Get: %v", err)
		}
		if err := s.Rotate(ctx, "conn_missing", Hash("h")); !errors.Is(err, connectors.ErrNotFound) {
			t.Errorf("Rotate: %v", err)
		}
		if err := s.Delete(ctx, "conn_missing"); !errors.Is(err, connectors.ErrNotFound) {
			t.Errorf("Delete: %v", err)
		}
		if list, err := s.List(ctx); err != nil || len(list) != 0 {
			t.Errorf("List = %v, %v", list, err)
		}
	})

	t.Run("RotateDelete", func(t *testing.T) {
		s := open(t)
		if err := s.Create(ctx, Conn("conn_r", "old")); err != nil {
			t.Fatal(err)
		}
		before, _ := s.Get(ctx, "conn_r")
		if err := s.Rotate(ctx, "conn_r", Hash("new")); err != nil {
			t.Fatal(err)
		}
		c, err := s.Get(ctx, "conn_r")
		if err != nil || c.KeyHash != Hash("new") {
			t.Fatalf("after rotate: %+v %v", c, err)
		}
		// Nothing else changes.
		if c.Name != before.Name || c.Username != before.Username || string(c.EncryptedToken) != string(before.EncryptedToken) || !c.CreatedAt.Equal(before.CreatedAt) {
			t.Fatalf("rotate changed more than the key: %+v, was %+v", c, before)
		}
		if err := s.Delete(ctx, "conn_r"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, "conn_r"); !errors.Is(err, connectors.ErrNotFound) {
			t.Fatalf("deleted connection still there: %v", err)
		}
		if err := s.Delete(ctx, "conn_r"); !errors.Is(err, connectors.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
		// The ID can be used again, with nothing left of the old one.
		if err := s.Create(ctx, Conn("conn_r", "again")); err != nil {
			t.Fatal(err)
		}
		if c, _ := s.Get(ctx, "conn_r"); c.KeyHash != Hash("again") {
			t.Fatalf("re-created: %+v", c)
		}
	})

	t.Run("ConcurrentRotate", func(t *testing.T) {
		s := open(t)
		if err := s.Create(ctx, Conn("conn_c", "h0")); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for i := 1; i <= 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.Rotate(ctx, "conn_c", Hash(fmt.Sprintf("h%d", i))); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		c, err := s.Get(ctx, "conn_c")
		if err != nil {
			t.Fatal(err)
		}
		won := 0
		for i := 1; i <= 8; i++ {
			if c.KeyHash == Hash(fmt.Sprintf("h%d", i)) {
				won++
			}
		}
		if won != 1 || c.Username != "user_conn_c" {
			t.Fatalf("after concurrent rotations: %+v", c)
		}
	})

	t.Run("KeyHashKinds", func(t *testing.T) { testKeyHashKinds(t, open(t)) })
	t.Run("UpgradeKey", func(t *testing.T) { testUpgradeKey(t, open(t)) })
	t.Run("ConcurrentUpgradeKey", func(t *testing.T) { testConcurrentUpgradeKey(t, open(t)) })
	t.Run("SetToken", func(t *testing.T) { testSetToken(t, open(t)) })
	t.Run("ConcurrentSetTokenRotate", func(t *testing.T) { testConcurrentSetTokenRotate(t, open(t)) })
	t.Run("SetLifecycle", func(t *testing.T) { testSetLifecycle(t, open(t)) })
	t.Run("LifecycleWrites", func(t *testing.T) { testLifecycleWrites(t, open(t)) })
	t.Run("ConcurrentSetLifecycleRotate", func(t *testing.T) { testConcurrentSetLifecycleRotate(t, open(t)) })
	t.Run("Schedule", func(t *testing.T) { testSchedule(t, open(t)) })
	t.Run("Tickets", func(t *testing.T) { testTickets(t, open(t)) })
	t.Run("ConcurrentClaimDue", func(t *testing.T) { testConcurrentClaimDue(t, open(t)) })
	t.Run("Canary", func(t *testing.T) { testCanary(t, open(t)) })
	t.Run("ConcurrentCreateCanary", func(t *testing.T) { testConcurrentCreateCanary(t, open(t)) })

	t.Run("Cooldown", func(t *testing.T) {
		s := open(t)
		if err := s.Create(ctx, Conn("conn_t", "ht")); err != nil {
			t.Fatal(err)
		}
		if c, _ := s.Get(ctx, "conn_t"); !c.CooldownUntil.IsZero() {
			t.Fatal("cooldown before any")
		}
		until := time.Now().Add(2 * time.Second)
		if err := s.Cooldown(ctx, "conn_t", until); err != nil {
			t.Fatal(err)
		}
		s.Cooldown(ctx, "conn_t", time.Now().Add(time.Second)) // never shortened
		c, _ := s.Get(ctx, "conn_t")
		if d := c.CooldownUntil.Sub(until); d < -100*time.Millisecond || d > 100*time.Millisecond {
			t.Fatalf("CooldownUntil %v, want about %v", c.CooldownUntil, until)
		}
		if err := s.Cooldown(ctx, "conn_t", time.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		// Deleting a connection ends its cooldown: a new one with its ID starts free.
		if err := s.Delete(ctx, "conn_t"); err != nil {
			t.Fatal(err)
		}
		if err := s.Create(ctx, Conn("conn_t", "ht2")); err != nil {
			t.Fatal(err)
		}
		if c, _ := s.Get(ctx, "conn_t"); !c.CooldownUntil.IsZero() {
			t.Fatal("a deleted connection's cooldown outlived it")
		}
	})

	t.Run("Ping", func(t *testing.T) {
		if err := open(t).Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
