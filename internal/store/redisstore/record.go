package redisstore

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/igconnect/gateway/internal/connectors"
)

// A record is a connection in the fewest bytes Redis will hold for it (the
// ID is in the key's name):
//
//	version   1 byte (recordVersion)
//	key hash  32 bytes, the API key's SHA-256 (at a fixed offset: Rotate
//	          rewrites it in place with SETRANGE)
//	created   uvarint, Unix milliseconds
//	name, Instagram user ID, username: uvarint length, then the bytes
//	token     the rest: the sealed upstream token
const (
	recordVersion = 1
	hashOffset    = 1
	hashSize      = 32
)

var errRecord = errors.New("stored connection record is not one this gateway reads")

// encodeRecord returns c's record.
func encodeRecord(c *connectors.Connection) ([]byte, error) {
	hash, err := keyHash(c.KeyHash)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, 1+hashSize+binary.MaxVarintLen64+3*binary.MaxVarintLen16+len(c.Name)+len(c.InstagramUserID)+len(c.Username)+len(c.EncryptedToken))
	b = append(b, recordVersion)
	b = append(b, hash...)
	b = binary.AppendUvarint(b, uint64(c.CreatedAt.UnixMilli()))
	for _, s := range []string{c.Name, c.InstagramUserID, c.Username} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return append(b, c.EncryptedToken...), nil
}

// keyHash decodes a hex SHA-256 key hash.
func keyHash(h string) ([]byte, error) {
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != hashSize {
		return nil, fmt.Errorf("key hash must be a hex SHA-256, got %d characters", len(h))
	}
	return b, nil
}

// decodeRecord reads the record of connection id. The connection keeps b's
// tail as its sealed token: b must be the caller's own copy.
func decodeRecord(id string, b []byte) (*connectors.Connection, error) {
	if len(b) < 1+hashSize || b[0] != recordVersion {
		return nil, errRecord
	}
	c := &connectors.Connection{ID: id, KeyHash: hex.EncodeToString(b[hashOffset : hashOffset+hashSize])}
	b = b[1+hashSize:]
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
