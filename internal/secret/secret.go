// Package secret seals upstream tokens at rest (AES-256-GCM) and makes and
// hashes API keys.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the size of an encryption key: AES-256.
const KeySize = 32

// APIKeyPrefix starts every API key, so that a leaked key is recognisable
// (secret scanners, logs).
const APIKeyPrefix = "igw_"

// Sealer encrypts and decrypts upstream tokens with AES-256-GCM. The
// connection ID is bound to each ciphertext as additional data, so a sealed
// token copied to another connection does not open.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a Sealer for a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("encryption key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext for the connection id: nonce || ciphertext.
func (s *Sealer) Seal(id, plaintext string) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return s.aead.Seal(nonce, nonce, []byte(plaintext), []byte(id)), nil
}

// ErrOpen is returned when a sealed token does not open: a wrong key or a
// tampered record. It says nothing of the token.
var ErrOpen = errors.New("stored token cannot be decrypted (wrong GATEWAY_ENCRYPTION_KEY or tampered record)")

// Open decrypts a token sealed for the connection id.
func (s *Sealer) Open(id string, sealed []byte) (string, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return "", ErrOpen
	}
	pt, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(id))
	if err != nil {
		return "", ErrOpen
	}
	return string(pt), nil
}

// NewAPIKey returns a new API key for the connection id:
// igw_<id>.<32 random bytes, base64url>. The ID in the key lets a lookup be
// one read of the connection's record, whose stored hash is then compared;
// the random part is the secret.
func NewAPIKey(id string) (string, error) {
	if !validID(id) {
		return "", fmt.Errorf("invalid connection ID %q", id)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return APIKeyPrefix + id + "." + base64.RawURLEncoding.EncodeToString(b), nil
}

// HashAPIKey returns the hex SHA-256 of an API key: the only form stored.
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// APIKeyID returns the connection ID an API key names, and whether s has
// the shape of an API key at all, so that obviously wrong keys cost no
// store read. The key is genuine only if its hash matches the stored one.
func APIKeyID(s string) (string, bool) {
	rest, ok := strings.CutPrefix(s, APIKeyPrefix)
	if !ok {
		return "", false
	}
	id, random, ok := strings.Cut(rest, ".")
	if !ok || len(random) != 43 || !validID(id) {
		return "", false
	}
	for i := 0; i < len(random); i++ {
		if !isBase64URL(random[i]) {
			return "", false
		}
	}
	return id, true
}

// validID tells whether id can be a connection ID: 1 to 64 of [A-Za-z0-9_-].
func validID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !isBase64URL(c) {
			return false
		}
	}
	return true
}

func isBase64URL(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// NewID returns a random connection ID.
func NewID() (string, error) {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "conn_" + hex.EncodeToString(b), nil
}

// Equal compares two secrets in constant time.
func Equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// DecodeKey decodes a base64 (standard or URL, padded or not) 32-byte key.
func DecodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != KeySize {
				return nil, fmt.Errorf("must decode to %d bytes, got %d", KeySize, len(k))
			}
			return k, nil
		}
	}
	return nil, errors.New("must be base64 of 32 bytes")
}

// LoadOrCreateKeyFile reads the base64 key in path, or creates it (mode
// 0600) with a new random key. The embedded store keeps its key this way.
func LoadOrCreateKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		k, err := DecodeKey(string(b))
		if err != nil {
			return nil, fmt.Errorf("key file %s: %w", path, err)
		}
		return k, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) { // created concurrently: read it
			return LoadOrCreateKeyFile(path)
		}
		return nil, err
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(k) + "\n"); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	return k, f.Close()
}
