package redisstore

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/igconnect/gateway/internal/store/storetest"
)

func TestRecordRoundTrip(t *testing.T) {
	c := storetest.Conn("conn_0123456789abcdef0123", "k")
	c.Name = "Ünïcode name ✓"
	raw, err := encodeRecord(c)
	if err != nil {
		t.Fatal(err)
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
	c.KeyHash = "not-hex"
	if _, err := encodeRecord(c); err == nil {
		t.Error("a key hash that is not a hex SHA-256 was encoded")
	}
}

func FuzzDecodeRecord(f *testing.F) {
	raw, _ := encodeRecord(storetest.Conn("conn_f", "k"))
	f.Add(raw)
	f.Add([]byte{recordVersion})
	f.Add(append([]byte{recordVersion}, make([]byte, 40)...))
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
