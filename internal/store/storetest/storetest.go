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
	"github.com/igconnect/gateway/internal/store"
)

// Conn returns a connection fixture.
func Conn(id, hash string) *connectors.Connection {
	return &connectors.Connection{
		ID:              id,
		Name:            "name " + id,
		InstagramUserID: "17841400000000001",
		Username:        "user_" + id,
		CreatedAt:       time.Now().UTC().Truncate(time.Millisecond),
		KeyHash:         hash,
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
		if err != nil || got.Username != a.Username || got.KeyHash != "hash_a" || string(got.EncryptedToken) != "sealed-conn_a" || !got.CreatedAt.Equal(a.CreatedAt) {
			t.Fatalf("Get = %+v, %v", got, err)
		}
		list, err := s.List(ctx)
		if err != nil || len(list) != 2 || list[0].ID != "conn_a" || list[1].ID != "conn_b" {
			t.Fatalf("List = %v, %v", list, err)
		}
		byKey, err := s.ByKeyHash(ctx, "hash_b")
		if err != nil || byKey.ID != "conn_b" {
			t.Fatalf("ByKeyHash = %+v, %v", byKey, err)
		}
		if err := s.Create(ctx, Conn("conn_a", "hash_x")); err == nil {
			t.Fatal("duplicate ID accepted")
		}
		if _, err := s.ByKeyHash(ctx, "hash_x"); !errors.Is(err, connectors.ErrNotFound) {
			t.Fatalf("failed create left its key: %v", err)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		s := open(t)
		if _, err := s.Get(ctx, "conn_missing"); !errors.Is(err, connectors.ErrNotFound) {
			t.Errorf("Get: %v", err)
		}
		if _, err := s.ByKeyHash(ctx, "nohash"); !errors.Is(err, connectors.ErrNotFound) {
			t.Errorf("ByKeyHash: %v", err)
		}
		if err := s.Rotate(ctx, "conn_missing", "h"); !errors.Is(err, connectors.ErrNotFound) {
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
		if err := s.Rotate(ctx, "conn_r", "new"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ByKeyHash(ctx, "old"); !errors.Is(err, connectors.ErrNotFound) {
			t.Fatalf("old key still works: %v", err)
		}
		c, err := s.ByKeyHash(ctx, "new")
		if err != nil || c.ID != "conn_r" || c.KeyHash != "new" {
			t.Fatalf("new key: %+v %v", c, err)
		}
		if got, _ := s.Get(ctx, "conn_r"); got.KeyHash != "new" {
			t.Fatalf("Get after rotate: %+v", got)
		}
		if err := s.Delete(ctx, "conn_r"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ByKeyHash(ctx, "new"); !errors.Is(err, connectors.ErrNotFound) {
			t.Fatalf("deleted key still works: %v", err)
		}
		if _, err := s.Get(ctx, "conn_r"); !errors.Is(err, connectors.ErrNotFound) {
			t.Fatalf("deleted connection still there: %v", err)
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
				if err := s.Rotate(ctx, "conn_c", fmt.Sprintf("h%d", i)); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		c, _ := s.Get(ctx, "conn_c")
		live := 0
		for i := 0; i <= 8; i++ {
			if _, err := s.ByKeyHash(ctx, fmt.Sprintf("h%d", i)); err == nil {
				live++
			}
		}
		if live != 1 {
			t.Fatalf("%d keys match after concurrent rotations, want 1", live)
		}
		if got, err := s.ByKeyHash(ctx, c.KeyHash); err != nil || got.ID != "conn_c" {
			t.Fatalf("current key %q does not match: %v", c.KeyHash, err)
		}
	})

	t.Run("Cooldown", func(t *testing.T) {
		s := open(t)
		if err := s.Create(ctx, Conn("conn_t", "ht")); err != nil {
			t.Fatal(err)
		}
		if c, _ := s.ByKeyHash(ctx, "ht"); !c.CooldownUntil.IsZero() {
			t.Fatal("cooldown before any")
		}
		until := time.Now().Add(2 * time.Second)
		if err := s.Cooldown(ctx, "conn_t", until); err != nil {
			t.Fatal(err)
		}
		s.Cooldown(ctx, "conn_t", time.Now().Add(time.Second)) // never shortened
		c, _ := s.ByKeyHash(ctx, "ht")
		if d := c.CooldownUntil.Sub(until); d < -100*time.Millisecond || d > 100*time.Millisecond {
			t.Fatalf("CooldownUntil %v, want about %v", c.CooldownUntil, until)
		}
		if err := s.Cooldown(ctx, "conn_t", time.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("Ping", func(t *testing.T) {
		if err := open(t).Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
