package secret

import "errors"

// The canary is a fixed text sealed (v2) into the store when it is first
// used: a gateway whose key does not open it has not the store's key.
const (
	canaryText = "igw canary: this store's GATEWAY_ENCRYPTION_KEY"
	// canaryAAD cannot be the additional data of a token: "/" is in no
	// connection ID.
	canaryAAD = "igw/canary/v2"
)

// ErrCanary is returned when a canary does not open: it was sealed under
// another key (or tampered with).
var ErrCanary = errors.New("the store's canary does not open under this encryption key")

// SealCanary returns a new canary sealed under this key.
func (s *Sealer) SealCanary() ([]byte, error) {
	return seal(s.aead, []byte(canaryAAD), canaryText)
}

// OpenCanary tells whether sealed is a canary sealed under this key.
func (s *Sealer) OpenCanary(sealed []byte) error {
	pt, err := open(s.aead, []byte(canaryAAD), sealed)
	if err != nil || pt != canaryText {
		return ErrCanary
	}
	return nil
}
