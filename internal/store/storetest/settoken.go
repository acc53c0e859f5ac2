package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/store"
)

// SetToken replaces the token and username of a keyed record of the same
// Instagram user, keeps the rest, and writes nothing otherwise.
func testSetToken(t *testing.T, s store.Store) {
	ctx := context.Background()
	tests := []struct {
		name     string
		hash     string // the stored key hash
		userID   string // the user SetToken names
		username string
		token    string
		want     error // nil: written
	}{
		{"same user", Hash("s1"), "17841400000000001", "renamed_user", "sealed-new-token", nil},
		{"same user, shorter token and empty username", Hash("s2"), "17841400000000001", "", "t", nil},
		{"same user, longer token", Hash("s3"), "17841400000000001", "user_ünïcode", string(bytes.Repeat([]byte{0, 0xff, 'x'}, 300)), nil},
		{"other user", Hash("s4"), "17841400000000002", "other_user", "sealed-other", store.ErrTokenConflict},
		{"legacy hash", LegacyHash("s5"), "17841400000000001", "renamed_user", "sealed-new-token", store.ErrTokenConflict},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := fmt.Sprintf("conn_set%d", i)
			c := Conn(id, "")
			c.KeyHash = tt.hash
			c.Name = "näme «" + id + "»"
			if err := s.Create(ctx, c); err != nil {
				t.Fatal(err)
			}
			before, err := s.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			life := connectors.Lifecycle{TokenExpiresAt: ms(60 * 24 * time.Hour), RefreshDueAt: ms(30 * 24 * time.Hour)}
			err = s.SetToken(ctx, id, tt.userID, []byte(tt.token), tt.username, life)
			if !errors.Is(err, tt.want) {
				t.Fatalf("SetToken: %v, want %v", err, tt.want)
			}
			got, err := s.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			want := *before
			if tt.want == nil {
				want.EncryptedToken, want.Username, want.Lifecycle = []byte(tt.token), tt.username, life
			} else if connectors.ErrorCode(tt.want) != connectors.CodeConflict {
				t.Fatalf("a refused SetToken answers %v, want a CONFLICT", tt.want)
			}
			if got.ID != want.ID || got.KeyHash != want.KeyHash || got.Name != want.Name || got.InstagramUserID != want.InstagramUserID ||
				got.Username != want.Username || !bytes.Equal(got.EncryptedToken, want.EncryptedToken) || !got.CreatedAt.Equal(want.CreatedAt) || !equalLifecycle(got, &want) {
				t.Fatalf("after SetToken: %+v, want %+v", got, want)
			}
		})
	}
	if err := s.SetToken(ctx, "conn_missing", "17841400000000001", []byte("x"), "x", connectors.Lifecycle{}); !errors.Is(err, connectors.ErrNotFound) {
		t.Fatalf("SetToken of a missing connection: %v", err)
	}
	if list, err := s.List(ctx); err != nil || len(list) != len(tests) {
		t.Fatalf("List = %d connections, %v", len(list), err)
	}
}

// A rotation racing SetToken loses neither: after each race the record
// holds the rotated key hash and the new token.
func testConcurrentSetTokenRotate(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := Conn("conn_sr", "r0")
	if err := s.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	for round := 1; round <= 20; round++ {
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			if err := s.Rotate(ctx, c.ID, Hash(fmt.Sprint("r", round))); err != nil {
				t.Error(err)
			}
		}()
		go func() {
			defer wg.Done()
			if err := s.SetToken(ctx, c.ID, c.InstagramUserID, []byte(fmt.Sprint("token", round)), fmt.Sprint("user", round), connectors.Lifecycle{}); err != nil {
				t.Error(err)
			}
		}()
		wg.Wait()
		got, err := s.Get(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.KeyHash != Hash(fmt.Sprint("r", round)) || string(got.EncryptedToken) != fmt.Sprint("token", round) ||
			got.Username != fmt.Sprint("user", round) || got.Name != c.Name || !got.CreatedAt.Equal(c.CreatedAt) {
			t.Fatalf("round %d: %+v", round, got)
		}
	}
}
