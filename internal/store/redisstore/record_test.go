package redisstore

import (
	"bytes"
	"errors"
	"testing"
	"time"

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
