package secret

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"hash"
	"strings"
	"sync"
)

// KeyedHashPrefix starts a keyed (v2) API key hash: "v2:" and the hex
// HMAC-SHA256, under a key derived from the encryption key, of the
// connection ID, a zero byte and the API key. Without the encryption key
// nobody can make one, and one made for a connection does not match on
// another.
//
// A legacy hash (written before v2) is the bare hex SHA-256 of the API key:
// anyone can compute one, so it is accepted only as long as the record's
// token is legacy-sealed (see connections.Service.Authenticate).
const KeyedHashPrefix = "v2:"

// hexHashLen is the length of a hex SHA-256 or HMAC-SHA256.
const hexHashLen = 2 * sha256.Size

// IsKeyedHash tells whether h has the shape of a keyed (v2) key hash.
func IsKeyedHash(h string) bool {
	return len(h) == len(KeyedHashPrefix)+hexHashLen && strings.HasPrefix(h, KeyedHashPrefix)
}

// IsLegacyHash tells whether h has the shape of a legacy key hash.
func IsLegacyHash(h string) bool {
	return len(h) == hexHashLen && !strings.HasPrefix(h, KeyedHashPrefix)
}

// LegacyKeyHash returns the legacy hash of an API key: its hex SHA-256.
// The gateway stores none any more; it checks the ones stored before v2.
func LegacyKeyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// KeyHash returns the keyed (v2) hash of the API key of connection id: the
// only form of a key the gateway stores.
func (s *Sealer) KeyHash(id, key string) string {
	var buf [len(KeyedHashPrefix) + hexHashLen]byte
	copy(buf[:], KeyedHashPrefix)
	sum := s.hasher.sum(id, key)
	hex.Encode(buf[len(KeyedHashPrefix):], sum[:])
	return string(buf[:])
}

// VerifyKeyHash tells whether stored is the keyed hash of the API key of
// connection id, in constant time. A legacy hash never verifies here. It
// allocates nothing: it runs on every API call.
func (s *Sealer) VerifyKeyHash(id, key, stored string) bool {
	if !IsKeyedHash(stored) {
		return false
	}
	sum := s.hasher.sum(id, key)
	var want [hexHashLen]byte
	hex.Encode(want[:], sum[:])
	var diff byte
	for i := range want {
		diff |= want[i] ^ stored[len(KeyedHashPrefix)+i]
	}
	return subtle.ConstantTimeByteEq(diff, 0) == 1
}

// hasher computes keyed key hashes, reusing HMAC states: one per concurrent
// caller.
type hasher struct{ pool *sync.Pool }

// mac is a pooled HMAC state with its input and output buffers.
type mac struct {
	h   hash.Hash
	in  []byte
	out [sha256.Size]byte
}

func newHasher(key []byte) hasher {
	return hasher{pool: &sync.Pool{New: func() any { return &mac{h: hmac.New(sha256.New, key)} }}}
}

// sum returns HMAC-SHA256(key, id || 0x00 || apiKey).
func (h hasher) sum(id, apiKey string) [sha256.Size]byte {
	m := h.pool.Get().(*mac)
	m.h.Reset()
	m.in = append(append(append(m.in[:0], id...), 0), apiKey...)
	m.h.Write(m.in)
	m.h.Sum(m.out[:0])
	out := m.out
	h.pool.Put(m)
	return out
}
