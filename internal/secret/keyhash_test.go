package secret

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
)

// sealLegacy seals as the gateway did before v2: AES-256-GCM under the
// encryption key itself, the connection ID as additional data.
func sealLegacy(t *testing.T, key []byte, id, plaintext string) []byte {
	t.Helper()
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	return aead.Seal(nonce, nonce, []byte(plaintext), []byte(id))
}

func TestKeyHash(t *testing.T) {
	key := bytes.Repeat([]byte{7}, KeySize)
	s, _ := NewSealer(key)
	other, _ := NewSealer(bytes.Repeat([]byte{8}, KeySize))
	id, otherID := "conn_a", "conn_b"
	apiKey, _ := NewAPIKey(id)
	h := s.KeyHash(id, apiKey)
	if !IsKeyedHash(h) || IsLegacyHash(h) || strings.Contains(h, apiKey) || h != s.KeyHash(id, apiKey) {
		t.Fatalf("KeyHash = %q", h)
	}
	if !s.VerifyKeyHash(id, apiKey, h) {
		t.Fatal("the key's own hash does not verify")
	}
	flipped := []byte(h)
	flipped[len(flipped)-1] ^= 1
	tests := []struct {
		name, id, key, stored string
	}{
		{"other connection", otherID, apiKey, h},
		{"hash made for another connection", id, apiKey, s.KeyHash(otherID, apiKey)},
		{"other key", id, apiKey + "x", h},
		{"other encryption key", id, apiKey, other.KeyHash(id, apiKey)},
		{"legacy hash", id, apiKey, LegacyKeyHash(apiKey)},
		{"legacy hash behind the prefix", id, apiKey, KeyedHashPrefix + LegacyKeyHash(apiKey)},
		{"unkeyed SHA-256 of the same input", id, apiKey, KeyedHashPrefix + LegacyKeyHash(id+"\x00"+apiKey)},
		{"tampered", id, apiKey, string(flipped)},
		{"truncated", id, apiKey, h[:len(h)-1]},
		{"empty", id, apiKey, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s.VerifyKeyHash(tt.id, tt.key, tt.stored) {
				t.Fatal("verified")
			}
		})
	}
}

// The sealing key and the key hash key are derived apart (distinct HKDF
// info strings): neither is the encryption key, and they differ.
func TestDerivedKeysDiffer(t *testing.T) {
	key := bytes.Repeat([]byte{7}, KeySize)
	sealKey, _ := hkdf.Key(sha256.New, key, nil, infoSealKey, KeySize)
	hashKey, _ := hkdf.Key(sha256.New, key, nil, infoHashKey, KeySize)
	if infoSealKey == infoHashKey || bytes.Equal(sealKey, hashKey) || bytes.Equal(sealKey, key) || bytes.Equal(hashKey, key) {
		t.Fatal("derived keys are not apart")
	}
	s, _ := NewSealer(key)
	id := "conn_a"
	// A v2 seal does not open as legacy (under the encryption key itself),
	// a legacy seal does not open as v2, nor for another connection.
	v2, _ := s.Seal(id, "IGQ-token")
	if _, err := s.OpenLegacy(id, v2); !errors.Is(err, ErrOpen) {
		t.Fatalf("a v2 seal opens as legacy: %v", err)
	}
	legacy := sealLegacy(t, key, id, "IGQ-token")
	if got, err := s.OpenLegacy(id, legacy); err != nil || got != "IGQ-token" {
		t.Fatalf("OpenLegacy = %q, %v", got, err)
	}
	if _, err := s.Open(id, legacy); !errors.Is(err, ErrOpen) {
		t.Fatalf("a legacy seal opens as v2: %v", err)
	}
	if _, err := s.OpenLegacy("conn_b", legacy); !errors.Is(err, ErrOpen) {
		t.Fatalf("a legacy seal opens for another connection: %v", err)
	}
}

func TestCanary(t *testing.T) {
	s, _ := NewSealer(bytes.Repeat([]byte{7}, KeySize))
	other, _ := NewSealer(bytes.Repeat([]byte{8}, KeySize))
	c, err := s.SealCanary()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.OpenCanary(c); err != nil {
		t.Fatal(err)
	}
	token, _ := s.Seal("canary", canaryText)
	for name, sealed := range map[string][]byte{
		"other key":          mustSealCanary(t, other),
		"a token":            token,
		"truncated":          c[:len(c)-1],
		"empty":              nil,
		"legacy-sealed text": sealLegacy(t, bytes.Repeat([]byte{7}, KeySize), canaryAAD, canaryText),
	} {
		if err := s.OpenCanary(sealed); !errors.Is(err, ErrCanary) {
			t.Errorf("%s: %v, want ErrCanary", name, err)
		}
	}
}

func mustSealCanary(t *testing.T, s *Sealer) []byte {
	t.Helper()
	c, err := s.SealCanary()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Verifying a key runs on every API call: it allocates nothing.
func TestVerifyKeyHashAllocationsBounded(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	s, _ := NewSealer(bytes.Repeat([]byte{7}, KeySize))
	id, _ := NewID()
	apiKey, _ := NewAPIKey(id)
	h := s.KeyHash(id, apiKey)
	if got := testing.AllocsPerRun(1000, func() {
		if !s.VerifyKeyHash(id, apiKey, h) {
			t.Fatal("does not verify")
		}
	}); got != 0 {
		t.Fatalf("%.1f allocations per verification, want 0", got)
	}
}

func BenchmarkVerifyKeyHash(b *testing.B) {
	s, _ := NewSealer(bytes.Repeat([]byte{7}, KeySize))
	id, _ := NewID()
	apiKey, _ := NewAPIKey(id)
	h := s.KeyHash(id, apiKey)
	b.ReportAllocs()
	for b.Loop() {
		s.VerifyKeyHash(id, apiKey, h)
	}
}
