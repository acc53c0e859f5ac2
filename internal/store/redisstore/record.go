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
//	version   1 byte: versionLegacy, versionKeyed, versionLifecycle or
//	          versionRefresh
//	key hash  32 bytes: the API key's SHA-256 (versionLegacy) or its keyed
//	          HMAC-SHA256 (the others; see secret.KeyedHashPrefix)
//	created   uvarint, Unix milliseconds
//	name, Instagram user ID, username: uvarint length, then the bytes
//	lifecycle versionLifecycle and versionRefresh only:
//	          status         1 byte (statusCodes)
//	          token expires, token refreshed, last error at: uvarint, Unix
//	                         milliseconds, 0 when unknown
//	          last error code, message: uvarint length, then the bytes
//	          versionRefresh only:
//	          refresh due    uvarint, Unix milliseconds, 0 when none
//	          failures       uvarint
//	token     the rest: the sealed upstream token
//
// This gateway writes versionRefresh for every lifecycle, and reads
// versionLifecycle (written by the release before it) too.
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
	versionRefresh   = 4
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

// appendLifecycle appends the lifecycle fields of a versionRefresh record.
func appendLifecycle(b []byte, l *connectors.Lifecycle) ([]byte, error) {
	status, ok := statusByte(l.Status)
	if !ok {
		return nil, fmt.Errorf("unknown connection status %q", l.Status)
	}
	if l.RefreshFailures < 0 {
		return nil, errors.New("refresh failures cannot be negative")
	}
	e := l.LastError
	if e == nil {
		e = &connectors.LastError{}
	}
	b = append(b, status)
	for _, t := range []time.Time{l.TokenExpiresAt, l.TokenRefreshedAt, e.At} {
		b = binary.AppendUvarint(b, unixMilli(t))
	}
	for _, s := range []string{e.Code, e.Message} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendUvarint(b, unixMilli(l.RefreshDueAt))
	return binary.AppendUvarint(b, uint64(l.RefreshFailures)), nil
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
	if !c.Lifecycle.Empty() {
		if b[0] != versionKeyed {
			return nil, errors.New("only a connection with a keyed key hash can hold a lifecycle")
		}
		b[0] = versionRefresh
		if b, err = appendLifecycle(b, &c.Lifecycle); err != nil {
			return nil, err
		}
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
	case versionKeyed, versionLifecycle, versionRefresh:
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
	if version == versionLifecycle || version == versionRefresh {
		var err error
		if b, err = decodeLifecycle(c, b, version == versionRefresh); err != nil {
			return nil, err
		}
	}
	c.EncryptedToken = b
	return c, nil
}

// decodeLifecycle reads a record's lifecycle into c (with its refresh
// fields when refresh is set: versionRefresh) and returns the rest of b.
func decodeLifecycle(c *connectors.Connection, b []byte, refresh bool) ([]byte, error) {
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
	if !refresh {
		return b, nil
	}
	var due, failures uint64
	for _, v := range []*uint64{&due, &failures} {
		n := 0
		if *v, n = binary.Uvarint(b); n <= 0 {
			return nil, errRecord
		}
		b = b[n:]
	}
	if failures > 1<<20 {
		return nil, errRecord
	}
	c.RefreshDueAt, c.RefreshFailures = timeOf(due), int(failures)
	return b, nil
}
