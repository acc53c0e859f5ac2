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
	return derive(key, infoTriggerStateKey, "trigger state key")
}

// infoTicketKey is the HKDF-SHA256 info string of the key that hashes the
// secrets the gateway's sign-ins hand out (links, states, codes, tokens).
const infoTicketKey = "igw/v2 ticket hash key"

// TicketKey derives, from the encryption key, the key under which sign-in
// secrets are hashed (HMAC-SHA256) before they are stored: whoever can
// write the store but lacks the encryption key cannot make a ticket for a
// secret of their own.
func TicketKey(key []byte) ([]byte, error) {
	return derive(key, infoTicketKey, "ticket hash key")
}

// derive derives from the encryption key the key of one use, info its
// HKDF-SHA256 label and what its name in errors.
func derive(key []byte, info, what string) ([]byte, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("encryption key must be %d bytes, got %d", KeySize, len(key))
	}
	k, err := hkdf.Key(sha256.New, key, nil, info, KeySize)
	if err != nil {
		return nil, fmt.Errorf("derive the %s: %w", what, err)
	}
	return k, nil
}
