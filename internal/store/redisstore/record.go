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
//	version   1 byte: versionLegacy, versionKeyed or versionLifecycle
//	key hash  32 bytes: the API key's SHA-256 (versionLegacy) or its keyed
//	          HMAC-SHA256 (versionKeyed, versionLifecycle; see
//	          secret.KeyedHashPrefix)
//	created   uvarint, Unix milliseconds
//	name, Instagram user ID, username: uvarint length, then the bytes
//	lifecycle versionLifecycle only:
//	          status         1 byte (statusCodes)
//	          token expires, token refreshed, last error at: uvarint, Unix
//	                         milliseconds, 0 when unknown
//	          last error code, message: uvarint length, then the bytes
//	token     the rest: the sealed upstream token
//
// A connection with nothing in its lifecycle (active, no last error, token
// times unknown) is stored as versionLegacy or versionKeyed: the lifecycle
// costs bytes only when it holds something. Version and key hash sit
// together at offset 0, so that Rotate rewrites both in place with one
// SETRANGE.
const (
	versionLegacy    = 1
	versionKeyed     = 2
	versionLifecycle = 3
	hashSize         = 32
	headerSize       = 1 + hashSize
)

// statusCodes are the status bytes of a versionLifecycle record, by index.
var statusCodes = [...]connectors.Status{"", connectors.StatusRefreshFailing, connectors.StatusReauthorize}

// statusByte returns the byte of status s.
func statusByte(s connectors.Status) (byte, bool) {
	if s == connectors.StatusActive {
		s = ""
	}
	for i, c := range statusCodes {
		if c == s {
			return byte(i), true
		}
	}
	return 0, false
}

// hasLifecycle tells whether c has anything in its lifecycle to store.
func hasLifecycle(c *connectors.Connection) bool {
	return (c.Status != "" && c.Status != connectors.StatusActive) || c.LastError != nil ||
		!c.TokenExpiresAt.IsZero() || !c.TokenRefreshedAt.IsZero()
}

// unixMilli is t's uvarint field: 0 when t is zero (or before 1970).
func unixMilli(t time.Time) uint64 {
	if t.IsZero() || t.UnixMilli() <= 0 {
		return 0
	}
	return uint64(t.UnixMilli())
}

// timeOf reads a uvarint time field.
func timeOf(ms uint64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(int64(ms)).UTC()
}

// appendLastError appends the last error fields of a lifecycle: its time,
// code and message; zeros for none.
func appendLastError(b []byte, e *connectors.LastError) []byte {
	if e == nil {
		e = &connectors.LastError{}
	}
	b = binary.AppendUvarint(b, unixMilli(e.At))
	for _, s := range []string{e.Code, e.Message} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

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
	if hasLifecycle(c) {
		if b[0] != versionKeyed {
			return nil, errors.New("only a connection with a keyed key hash can hold a status")
		}
		status, ok := statusByte(c.Status)
		if !ok {
			return nil, fmt.Errorf("unknown connection status %q", c.Status)
		}
		b[0] = versionLifecycle
		b = append(b, status)
		b = binary.AppendUvarint(b, unixMilli(c.TokenExpiresAt))
		b = binary.AppendUvarint(b, unixMilli(c.TokenRefreshedAt))
		b = appendLastError(b, c.LastError)
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
	case versionKeyed, versionLifecycle:
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
	version := b[0]
	h, ok := keyHashOf(version, b[1:headerSize])
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
	if version == versionLifecycle {
		var err error
		if b, err = decodeLifecycle(c, b); err != nil {
			return nil, err
		}
	}
	c.EncryptedToken = b
	return c, nil
}

// decodeLifecycle reads a versionLifecycle record's lifecycle into c and
// returns the rest of b.
func decodeLifecycle(c *connectors.Connection, b []byte) ([]byte, error) {
	if len(b) < 1 || int(b[0]) >= len(statusCodes) {
		return nil, errRecord
	}
	c.Status = statusCodes[b[0]]
	b = b[1:]
	var times [3]time.Time
	for i := range times {
		ms, n := binary.Uvarint(b)
		if n <= 0 {
			return nil, errRecord
		}
		times[i] = timeOf(ms)
		b = b[n:]
	}
	var e connectors.LastError
	for _, field := range []*string{&e.Code, &e.Message} {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return nil, errRecord
		}
		*field = string(b[n : n+int(l)])
		b = b[n+int(l):]
	}
	c.TokenExpiresAt, c.TokenRefreshedAt, e.At = times[0], times[1], times[2]
	if e != (connectors.LastError{}) {
		c.LastError = &e
	}
	return b, nil
}
