package secret

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"testing"
)

// The trigger state key is derived apart from the sealing and key hash
// keys: its own HKDF label, the same for every replica with the same
// encryption key, another for another encryption key.
func TestTriggerStateKey(t *testing.T) {
	key := bytes.Repeat([]byte{7}, KeySize)
	got, err := TriggerStateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := TriggerStateKey(bytes.Clone(key))
	other, _ := TriggerStateKey(bytes.Repeat([]byte{8}, KeySize))
	sealKey, _ := hkdf.Key(sha256.New, key, nil, infoSealKey, KeySize)
	hashKey, _ := hkdf.Key(sha256.New, key, nil, infoHashKey, KeySize)
	tests := []struct {
		name  string
		other []byte
		same  bool
	}{
		{"same encryption key", again, true},
		{"another encryption key", other, false},
		{"the encryption key itself", key, false},
		{"the sealing key", sealKey, false},
		{"the key hash key", hashKey, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if bytes.Equal(got, tt.other) != tt.same {
				t.Fatalf("equal = %v, want %v", !tt.same, tt.same)
			}
		})
	}
	if len(got) != KeySize {
		t.Fatalf("%d bytes", len(got))
	}
	for _, bad := range [][]byte{nil, key[:31], append(bytes.Clone(key), 0)} {
		if _, err := TriggerStateKey(bad); err == nil {
			t.Errorf("a %d-byte key derives", len(bad))
		}
	}
}
