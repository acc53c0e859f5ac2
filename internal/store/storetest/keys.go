package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/store"
)

// Both kinds of key hash are kept as given, and a rotation may turn a
// legacy one into a keyed one.
func testKeyHashKinds(t *testing.T, s store.Store) {
	ctx := context.Background()
	tests := []struct {
		name, id, hash, rotated string
	}{
		{"legacy", "conn_l", LegacyHash("l"), Hash("l2")},
		{"keyed", "conn_k", Hash("k"), Hash("k2")},
		{"keyed to legacy", "conn_kl", Hash("kl"), LegacyHash("kl2")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Conn(tt.id, "")
			c.KeyHash = tt.hash
			if err := s.Create(ctx, c); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Get(ctx, tt.id); err != nil || got.KeyHash != tt.hash {
				t.Fatalf("Get = %+v, %v; want key hash %s", got, err, tt.hash)
			}
			if err := s.Rotate(ctx, tt.id, tt.rotated); err != nil {
				t.Fatal(err)
			}
			got, err := s.Get(ctx, tt.id)
			if err != nil || got.KeyHash != tt.rotated || !bytes.Equal(got.EncryptedToken, c.EncryptedToken) || got.Username != c.Username {
				t.Fatalf("after rotate: %+v, %v; want key hash %s", got, err, tt.rotated)
			}
		})
	}
}

// UpgradeKey writes the new hash and token together, and only over the
// record as read.
func testUpgradeKey(t *testing.T, s store.Store) {
	ctx := context.Background()
	old := Conn("conn_u", "")
	old.KeyHash = LegacyHash("u")
	if err := s.Create(ctx, old); err != nil {
		t.Fatal(err)
	}
	read, err := s.Get(ctx, "conn_u")
	if err != nil {
		t.Fatal(err)
	}
	ok, err := s.UpgradeKey(ctx, read, Hash("u"), []byte("resealed"))
	if err != nil || !ok {
		t.Fatalf("UpgradeKey = %v, %v", ok, err)
	}
	got, err := s.Get(ctx, "conn_u")
	if err != nil || got.KeyHash != Hash("u") || string(got.EncryptedToken) != "resealed" ||
		got.Name != old.Name || got.Username != old.Username || got.InstagramUserID != old.InstagramUserID || !got.CreatedAt.Equal(old.CreatedAt) {
		t.Fatalf("after upgrade: %+v, %v", got, err)
	}
	// The record read before is stale now: a second upgrade from it writes nothing.
	if ok, err := s.UpgradeKey(ctx, read, Hash("other"), []byte("other")); err != nil || ok {
		t.Fatalf("stale UpgradeKey = %v, %v", ok, err)
	}
	// A rotation in between wins too.
	current, _ := s.Get(ctx, "conn_u")
	if err := s.Rotate(ctx, "conn_u", Hash("rotated")); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.UpgradeKey(ctx, current, Hash("late"), []byte("late")); err != nil || ok {
		t.Fatalf("UpgradeKey after a rotation = %v, %v", ok, err)
	}
	if got, _ := s.Get(ctx, "conn_u"); got.KeyHash != Hash("rotated") || string(got.EncryptedToken) != "resealed" {
		t.Fatalf("a stale upgrade wrote: %+v", got)
	}
	if _, err := s.UpgradeKey(ctx, Conn("conn_missing", "m"), Hash("n"), []byte("n")); !errors.Is(err, connectors.ErrNotFound) {
		t.Fatalf("UpgradeKey of a missing connection: %v", err)
	}
}

// Of concurrent upgrades from one read, exactly one writes.
func testConcurrentUpgradeKey(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := Conn("conn_cu", "")
	c.KeyHash = LegacyHash("cu")
	if err := s.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	read, err := s.Get(ctx, "conn_cu")
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins []int
	)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.UpgradeKey(ctx, read, Hash(fmt.Sprint(i)), []byte(fmt.Sprint("token", i)))
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				wins = append(wins, i)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(wins) != 1 {
		t.Fatalf("%d upgrades wrote, want 1", len(wins))
	}
	got, err := s.Get(ctx, "conn_cu")
	if err != nil || got.KeyHash != Hash(fmt.Sprint(wins[0])) || string(got.EncryptedToken) != fmt.Sprint("token", wins[0]) {
		t.Fatalf("after concurrent upgrades: %+v, %v (winner %d)", got, err, wins[0])
	}
}

// The canary is created once, kept apart from connections, and read back.
func testCanary(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.Canary(ctx); !errors.Is(err, connectors.ErrNotFound) {
		t.Fatalf("Canary before any: %v", err)
	}
	got, err := s.CreateCanary(ctx, []byte("first"))
	if err != nil || string(got) != "first" {
		t.Fatalf("CreateCanary = %q, %v", got, err)
	}
	got, err = s.CreateCanary(ctx, []byte("second"))
	if err != nil || string(got) != "first" {
		t.Fatalf("second CreateCanary = %q, %v; want the first kept", got, err)
	}
	if got, err := s.Canary(ctx); err != nil || string(got) != "first" {
		t.Fatalf("Canary = %q, %v", got, err)
	}
	if list, err := s.List(ctx); err != nil || len(list) != 0 {
		t.Fatalf("the canary shows in List: %v, %v", list, err)
	}
}

// Of concurrent creators, one canary wins and every creator reads it.
func testConcurrentCreateCanary(t *testing.T, s store.Store) {
	ctx := context.Background()
	got := make([]string, 8)
	var wg sync.WaitGroup
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := s.CreateCanary(ctx, []byte(fmt.Sprint("canary", i)))
			if err != nil {
				t.Error(err)
			}
			got[i] = string(c)
		}()
	}
	wg.Wait()
	stored, err := s.Canary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range got {
		if c != string(stored) {
			t.Fatalf("creator %d read %q, stored %q", i, c, stored)
		}
	}
}
