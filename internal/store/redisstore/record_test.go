package redisstore

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/redistest"
	"github.com/igconnect/gateway/internal/store/storetest"
)

func TestRecordRoundTrip(t *testing.T) {
	for _, tt := range []struct {
		name, hash string
		version    byte
	}{
		{"keyed", storetest.Hash("k"), versionKeyed},
		{"legacy", storetest.LegacyHash("k"), versionLegacy},
	} {
		t.Run(tt.name, func(t *testing.T) { testRecordRoundTrip(t, tt.hash, tt.version) })
	}
}

func testRecordRoundTrip(t *testing.T, hash string, version byte) {
	c := storetest.Conn("conn_0123456789abcdef0123", "k")
	c.Name = "Ünïcode name ✓"
	c.KeyHash = hash
	raw, err := encodeRecord(c)
	if err != nil {
		t.Fatal(err)
	}
	if raw[0] != version {
		t.Fatalf("version byte %d, want %d", raw[0], version)
	}
	got, err := decodeRecord(c.ID, raw)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != c.ID || got.Name != c.Name || got.InstagramUserID != c.InstagramUserID || got.Username != c.Username ||
		got.KeyHash != c.KeyHash || !bytes.Equal(got.EncryptedToken, c.EncryptedToken) || !got.CreatedAt.Equal(c.CreatedAt.Truncate(time.Millisecond)) {
		t.Fatalf("round trip: %+v, want %+v", got, c)
	}
	// Every truncation and a wrong version are refused, never a panic.
	for i := range len(raw) - len(c.EncryptedToken) {
		if _, err := decodeRecord(c.ID, raw[:i]); !errors.Is(err, errRecord) {
			t.Errorf("truncated to %d bytes: %v", i, err)
		}
	}
	bad := append([]byte{9}, raw[1:]...)
	if _, err := decodeRecord(c.ID, bad); !errors.Is(err, errRecord) {
		t.Errorf("version 9: %v", err)
	}
	for _, h := range []string{"not-hex", "v2:not-hex", hash[:len(hash)-2], "v3:" + storetest.LegacyHash("k")} {
		c.KeyHash = h
		if _, err := encodeRecord(c); err == nil {
			t.Errorf("key hash %q was encoded", h)
		}
	}
}

func FuzzDecodeRecord(f *testing.F) {
	raw, _ := encodeRecord(storetest.Conn("conn_f", "k"))
	f.Add(raw)
	f.Add([]byte{versionKeyed})
	f.Add(append([]byte{versionKeyed}, make([]byte, 40)...))
	f.Add(append([]byte{versionLegacy}, make([]byte, 40)...))
	f.Add(append([]byte{versionLifecycle}, make([]byte, 45)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decodeRecord("conn_f", b)
		if err != nil {
			return
		}
		again, err := encodeRecord(c)
		if err != nil {
			t.Fatalf("decoded record does not encode: %v", err)
		}
		if _, err := decodeRecord("conn_f", again); err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
	})
}

func TestRecordLifecycle(t *testing.T) {
	at := time.Now().UTC().Truncate(time.Millisecond)
	tests := []struct {
		name    string
		mod     func(c *connectors.Connection)
		version byte
	}{
		{"none", func(*connectors.Connection) {}, versionKeyed},
		{"active", func(c *connectors.Connection) { c.Status = connectors.StatusActive }, versionKeyed},
		{"reauthorize", func(c *connectors.Connection) { c.Status = connectors.StatusReauthorize }, versionRefresh},
		{"last error", func(c *connectors.Connection) {
			c.LastError = &connectors.LastError{Code: "UPSTREAM_TOKEN_INVALID", Message: "Instagram: ✓", At: at}
		}, versionRefresh},
		{"refresh due", func(c *connectors.Connection) { c.RefreshDueAt = at }, versionRefresh},
		{"failures", func(c *connectors.Connection) { c.RefreshFailures = 300 }, versionRefresh},
		{"everything", func(c *connectors.Connection) {
			c.Status, c.TokenExpiresAt, c.TokenRefreshedAt = connectors.StatusRefreshFailing, at.Add(time.Hour), at
			c.LastError = &connectors.LastError{Code: "UPSTREAM_ERROR", Message: "refresh failed", At: at}
			c.RefreshDueAt, c.RefreshFailures = at.Add(time.Minute), 4
		}, versionRefresh},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := storetest.Conn("conn_0123456789abcdef0123", "k")
			plain, _ := encodeRecord(c)
			tt.mod(c)
			raw, err := encodeRecord(c)
			if err != nil || raw[0] != tt.version {
				t.Fatalf("encode: version %d, %v", raw[0], err)
			}
			if tt.version == versionKeyed && !bytes.Equal(raw, plain) {
				t.Fatal("an empty lifecycle costs bytes")
			}
			got, err := decodeRecord(c.ID, raw)
			if err != nil {
				t.Fatal(err)
			}
			if got.StatusOrActive() != c.StatusOrActive() || !reflect.DeepEqual(got.LastError, c.LastError) || !got.TokenExpiresAt.Equal(c.TokenExpiresAt) ||
				!got.TokenRefreshedAt.Equal(c.TokenRefreshedAt) || !got.RefreshDueAt.Equal(c.RefreshDueAt) || got.RefreshFailures != c.RefreshFailures || got.KeyHash != c.KeyHash || got.Username != c.Username || !bytes.Equal(got.EncryptedToken, c.EncryptedToken) {
				t.Fatalf("round trip: %+v, want %+v", got, c)
			}
			for i := range len(raw) - len(c.EncryptedToken) {
				if _, err := decodeRecord(c.ID, raw[:i]); !errors.Is(err, errRecord) {
					t.Errorf("truncated to %d bytes: %v", i, err)
				}
			}
			if tt.version == versionRefresh {
				c.KeyHash = storetest.LegacyHash("k")
				if _, err := encodeRecord(c); err == nil {
					t.Error("a legacy hash was encoded with a lifecycle")
				}
			}
		})
	}
}

// A record the release before wrote with a lifecycle (versionLifecycle:
// no refresh fields) reads, and the scripts rewrite it.
func TestReadsLifecycleRecord(t *testing.T) {
	at := time.Now().UTC().Truncate(time.Millisecond)
	c := storetest.Conn("conn_v3", "k")
	c.Status, c.TokenExpiresAt = connectors.StatusReauthorize, at
	c.LastError = &connectors.LastError{Code: "UPSTREAM_TOKEN_INVALID", Message: "expired", At: at}
	v4, err := encodeRecord(c)
	if err != nil {
		t.Fatal(err)
	}
	// The same record as versionLifecycle: without its last two bytes
	// before the token (refresh due 0, failures 0).
	head := len(v4) - len(c.EncryptedToken) - 2
	v3 := append(append([]byte{versionLifecycle}, v4[1:head]...), c.EncryptedToken...)
	got, err := decodeRecord(c.ID, v3)
	if err != nil || got.Status != c.Status || !reflect.DeepEqual(got.LastError, c.LastError) || !got.TokenExpiresAt.Equal(at) ||
		!bytes.Equal(got.EncryptedToken, c.EncryptedToken) || !got.RefreshDueAt.IsZero() {
		t.Fatalf("v3 record: %+v, %v", got, err)
	}

	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	s := New(rdb)
	ctx := context.Background()
	if err := rdb.Set(ctx, recordKey(c.ID), v3, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.Rotate(ctx, c.ID, storetest.Hash("k2")); err != nil {
		t.Fatal(err)
	}
	life := connectors.Lifecycle{TokenExpiresAt: at.Add(time.Hour), RefreshDueAt: at}
	if err := s.SetLifecycle(ctx, c.ID, c.EncryptedToken, life, []byte("sealed-next")); err != nil {
		t.Fatal(err)
	}
	got, err = s.Get(ctx, c.ID)
	if err != nil || got.KeyHash != storetest.Hash("k2") || got.Status != "" || got.LastError != nil || !got.RefreshDueAt.Equal(at) ||
		string(got.EncryptedToken) != "sealed-next" || got.Username != c.Username {
		t.Fatalf("after Rotate and SetLifecycle: %+v, %v", got, err)
	}
}

// The scripts keep each record's version: Rotate keeps a lifecycle's,
// SetLifecycle and SetToken write it, and drop it when it is empty.
func TestScriptVersions(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	s := New(rdb)
	ctx := context.Background()
	version := func(id string) byte {
		raw, err := rdb.Get(ctx, recordKey(id)).Bytes()
		if err != nil {
			t.Fatal(err)
		}
		return raw[0]
	}
	c := storetest.Conn("conn_v", "k")
	reauth := connectors.Lifecycle{Status: connectors.StatusReauthorize}
	if err := s.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		do   func() error
		want byte
	}{
		{"reauthorize", func() error { return s.SetLifecycle(ctx, c.ID, c.EncryptedToken, reauth, nil) }, versionRefresh},
		{"rotate", func() error { return s.Rotate(ctx, c.ID, storetest.Hash("k2")) }, versionRefresh},
		{"rotate to a legacy hash refused", func() error {
			if err := s.Rotate(ctx, c.ID, storetest.LegacyHash("k3")); err == nil {
				return errors.New("accepted")
			}
			return nil
		}, versionRefresh},
		{"active", func() error { return s.SetLifecycle(ctx, c.ID, c.EncryptedToken, connectors.Lifecycle{}, nil) }, versionKeyed},
		{"reauthorize again", func() error { return s.SetLifecycle(ctx, c.ID, c.EncryptedToken, reauth, nil) }, versionRefresh},
		{"set-token", func() error {
			return s.SetToken(ctx, c.ID, c.InstagramUserID, []byte("sealed-new"), "u", connectors.Lifecycle{RefreshDueAt: time.Now()})
		}, versionRefresh},
		{"set-token, nothing known", func() error {
			return s.SetToken(ctx, c.ID, c.InstagramUserID, []byte("sealed-new"), "u", connectors.Lifecycle{})
		}, versionKeyed},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if v := version(c.ID); v != st.want {
			t.Fatalf("%s: version %d, want %d", st.name, v, st.want)
		}
	}
	if got, _ := s.Get(ctx, c.ID); got.KeyHash != storetest.Hash("k2") || got.Status != "" || string(got.EncryptedToken) != "sealed-new" {
		t.Fatalf("at the end: %+v", got)
	}
}
