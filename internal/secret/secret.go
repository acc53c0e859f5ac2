// Package secret seals upstream tokens at rest (AES-256-GCM), makes API keys
// and keys their stored hashes (HMAC-SHA256), all under one encryption key.
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

// HKDF-SHA256 info strings: one derived key per use of the encryption key.
const (
	infoSealKey = "igw/v2 token sealing key"
	infoHashKey = "igw/v2 API key hash key"
)

// v2AAD prefixes the connection ID in the additional data of v2 seals.
const v2AAD = "igw/v2/"

// Sealer encrypts and decrypts upstream tokens with AES-256-GCM, and keys
// API key hashes, under one encryption key.
//
// v2 seals use a key derived with HKDF and "igw/v2/"+id as additional data.
// Legacy seals (written before v2) use the encryption key itself and the ID
// as additional data; they still open, with OpenLegacy. Either way the
// connection ID is bound to each ciphertext, so a sealed token copied to
// another connection does not open, and a token opens as v2 or as legacy,
// never both.
type Sealer struct {
	aead   cipher.AEAD // v2
	legacy cipher.AEAD
	hasher hasher
}

// NewSealer returns a Sealer for a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("encryption key must be %d bytes, got %d", KeySize, len(key))
	}
	legacy, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	sealKey, err := derive(key, infoSealKey, "sealing key")
	if err != nil {
		return nil, err
	}
	aead, err := newGCM(sealKey)
	if err != nil {
		return nil, err
	}
	hashKey, err := derive(key, infoHashKey, "key hash key")
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead, legacy: legacy, hasher: newHasher(hashKey)}, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Seal encrypts plaintext for the connection id (v2): nonce || ciphertext.
func (s *Sealer) Seal(id, plaintext string) ([]byte, error) {
	return seal(s.aead, []byte(v2AAD+id), plaintext)
}

func seal(aead cipher.AEAD, ad []byte, plaintext string) ([]byte, error) {
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, []byte(plaintext), ad), nil
}

// ErrOpen is returned when a sealed token does not open: a wrong key or a
// tampered record. It says nothing of the token.
var ErrOpen = errors.New("stored token cannot be decrypted (wrong GATEWAY_ENCRYPTION_KEY or tampered record)")

// Open decrypts a token sealed (v2) for the connection id.
func (s *Sealer) Open(id string, sealed []byte) (string, error) {
	return open(s.aead, []byte(v2AAD+id), sealed)
}

// OpenLegacy decrypts a token sealed for the connection id before v2. A v2
// seal does not open here.
func (s *Sealer) OpenLegacy(id string, sealed []byte) (string, error) {
	return open(s.legacy, []byte(id), sealed)
}

func open(aead cipher.AEAD, ad, sealed []byte) (string, error) {
	n := aead.NonceSize()
	if len(sealed) < n+aead.Overhead() {
		return "", ErrOpen
	}
	pt, err := aead.Open(nil, sealed[:n], sealed[n:], ad)
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

// EqualDigest compares two secrets by their SHA-256 digests in constant
// time: unlike Equal, the time tells nothing of either's length.
func EqualDigest(a, b string) bool {
	da, db := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(da[:], db[:]) == 1
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
