package secret

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	s, err := NewSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.Seal("conn_a", "IGQ-token")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("IGQ-token")) {
		t.Fatal("plaintext visible in sealed token")
	}
	got, err := s.Open("conn_a", sealed)
	if err != nil || got != "IGQ-token" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	tests := []struct {
		name   string
		id     string
		sealed []byte
	}{
		{"other connection", "conn_b", sealed},
		{"truncated", "conn_a", sealed[:5]},
		{"tampered", "conn_a", append(append([]byte{}, sealed[:len(sealed)-1]...), sealed[len(sealed)-1]^1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.Open(tt.id, tt.sealed); err != ErrOpen {
				t.Fatalf("err = %v, want ErrOpen", err)
			}
		})
	}
	other, _ := NewSealer(bytes.Repeat([]byte{8}, 32))
	if _, err := other.Open("conn_a", sealed); err != ErrOpen {
		t.Fatalf("wrong key: err = %v", err)
	}
	if _, err := NewSealer([]byte("short")); err == nil {
		t.Fatal("short key accepted")
	}
}

func TestAPIKey(t *testing.T) {
	id, _ := NewID()
	a, _ := NewAPIKey(id)
	b, _ := NewAPIKey(id)
	if got, ok := APIKeyID(a); a == b || !ok || got != id || !strings.HasPrefix(a, APIKeyPrefix+id+".") {
		t.Fatalf("keys %q %q: APIKeyID = %q %v", a, b, got, ok)
	}
	if LegacyKeyHash(a) == LegacyKeyHash(b) || !IsLegacyHash(LegacyKeyHash(a)) || strings.Contains(LegacyKeyHash(a), a) {
		t.Fatal("bad hash")
	}
	random := a[len(a)-43:]
	for _, s := range []string{
		"", "igw_", "igw_short", "xyz_" + a[4:], // prefix
		"igw_" + random,                      // no ID
		"igw_." + random,                     // empty ID
		"igw_" + id + random,                 // no dot
		"igw_" + id + "." + random[1:],       // short
		"igw_" + id + "." + random + "A",     // long
		"igw_" + id + "." + random[1:] + "=", // not base64url
		"igw_" + id + "/x." + random,         // ID with a slash
		"igw_" + strings.Repeat("a", 65) + "." + random,
	} {
		if _, ok := APIKeyID(s); ok {
			t.Errorf("APIKeyID(%q) accepted", s)
		}
	}
	if _, err := NewAPIKey("bad id"); err == nil {
		t.Error("NewAPIKey accepted an ID with a space")
	}
}

func TestDecodeKey(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", true},
		{"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", true},
		{"AAAA", false},
		{"not base64 !!", false},
	}
	for _, tt := range tests {
		_, err := DecodeKey(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("DecodeKey(%q) err = %v", tt.in, err)
		}
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "encryption.key")
	k1, err := LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode())
	}
	k2, err := LoadOrCreateKeyFile(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatal("key not kept")
	}
	os.WriteFile(path, []byte("garbage"), 0o600)
	if _, err := LoadOrCreateKeyFile(path); err == nil {
		t.Fatal("garbage key file accepted")
	}
}

func TestEqualDigest(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want bool
	}{{"s3cret", "s3cret", true}, {"s3cret", "s3cre", false}, {"", "", true}, {"", "x", false}, {"a", "b", false}} {
		if got := EqualDigest(tt.a, tt.b); got != tt.want {
			t.Errorf("EqualDigest(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
}
