package secret

import (
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
)

// infoTriggerStateKey is the HKDF-SHA256 info string of the key that signs
// polling triggers' states: a use of the encryption key apart from sealing
// and key hashes.
const infoTriggerStateKey = "igw/v2 trigger state signing key"

// TriggerStateKey derives, from the encryption key, the key that signs the
// states of polling triggers (HMAC-SHA256). Replicas that share the
// encryption key share it, so any of them answers a poll another began.
func TriggerStateKey(key []byte) ([]byte, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("encryption key must be %d bytes, got %d", KeySize, len(key))
	}
	k, err := hkdf.Key(sha256.New, key, nil, infoTriggerStateKey, KeySize)
	if err != nil {
		return nil, fmt.Errorf("derive the trigger state key: %w", err)
	}
	return k, nil
}
