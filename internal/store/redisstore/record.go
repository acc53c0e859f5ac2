package redisstore

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/secret"
)

// A record is a connection in the fewest bytes Redis will hold for it (the
// ID is in the key's name):
//
//	version   1 byte: versionLegacy or versionKeyed, the key hash's kind
//	key hash  32 bytes: the API key's SHA-256 (versionLegacy) or its keyed
//	          HMAC-SHA256 (versionKeyed, see secret.KeyedHashPrefix)
//	created   uvarint, Unix milliseconds
//	name, Instagram user ID, username: uvarint length, then the bytes
//	token     the rest: the sealed upstream token
//
// Version and key hash sit together at offset 0, so that Rotate rewrites
// both in place with one SETRANGE.
const (
	versionLegacy = 1
	versionKeyed  = 2
	hashSize      = 32
	headerSize    = 1 + hashSize
)

var errRecord = errors.New("stored connection record is not one this gateway reads")

// encodeRecord returns c's record.
func encodeRecord(c *connectors.Connection) ([]byte, error) {
	b := make([]byte, 0, headerSize+binary.MaxVarintLen64+3*binary.MaxVarintLen16+len(c.Name)+len(c.InstagramUserID)+len(c.Username)+len(c.EncryptedToken))
	b, err := appendHeader(b, c.KeyHash)
	if err != nil {
		return nil, err
	}
	b = binary.AppendUvarint(b, uint64(c.CreatedAt.UnixMilli()))
	for _, s := range []string{c.Name, c.InstagramUserID, c.Username} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return append(b, c.EncryptedToken...), nil
}

// appendHeader appends the version byte and the raw key hash of h, a keyed
// or a legacy key hash.
func appendHeader(b []byte, h string) ([]byte, error) {
	version, hexHash := byte(versionLegacy), h
	if secret.IsKeyedHash(h) {
		version, hexHash = versionKeyed, h[len(secret.KeyedHashPrefix):]
	}
	raw, err := hex.DecodeString(hexHash)
	if err != nil || len(raw) != hashSize {
		return nil, fmt.Errorf("key hash must be a hex SHA-256 or a keyed hash, got %d characters", len(h))
	}
	return append(append(b, version), raw...), nil
}

// header returns the version byte and raw key hash of h.
func header(h string) ([]byte, error) {
	return appendHeader(make([]byte, 0, headerSize), h)
}

// keyHashOf returns the key hash of a record's header as Connection.KeyHash
// holds it.
func keyHashOf(version byte, raw []byte) (string, bool) {
	var buf [len(secret.KeyedHashPrefix) + 2*hashSize]byte
	switch version {
	case versionLegacy:
		hex.Encode(buf[:], raw)
		return string(buf[:2*hashSize]), true
	case versionKeyed:
		n := copy(buf[:], secret.KeyedHashPrefix)
		hex.Encode(buf[n:], raw)
		return string(buf[:]), true
	}
	return "", false
}

// decodeRecord reads the record of connection id. The connection keeps b's
// tail as its sealed token: b must be the caller's own copy.
func decodeRecord(id string, b []byte) (*connectors.Connection, error) {
	if len(b) < headerSize {
		return nil, errRecord
	}
	h, ok := keyHashOf(b[0], b[1:headerSize])
	if !ok {
		return nil, errRecord
	}
	c := &connectors.Connection{ID: id, KeyHash: h}
	b = b[headerSize:]
	ms, n := binary.Uvarint(b)
	if n <= 0 {
		return nil, errRecord
	}
	c.CreatedAt = time.UnixMilli(int64(ms)).UTC()
	b = b[n:]
	for _, field := range []*string{&c.Name, &c.InstagramUserID, &c.Username} {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return nil, errRecord
		}
		*field = string(b[n : n+int(l)])
		b = b[n+int(l):]
	}
	c.EncryptedToken = b
	return c, nil
}
