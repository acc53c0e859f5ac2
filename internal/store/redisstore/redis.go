// Package redisstore is the shared connection store: every replica on one
// Redis sees the same connections and keys at once.
//
// Layout: one key per connection, in a compact binary record (record.go).
// Hash tags keep a connection's keys in one Redis Cluster slot.
//
//	igw:{<id>}       the connection's record: read with its cooldown in one
//	                 EVALSHA per API call (the API key names the ID)
//	igw:{<id>}:cool  set while upstream throttles the connection; expires with it
//	igw:canary       the store's canary (sealed under the encryption key)
package redisstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/store"
)

// Store is a store.Store on Redis.
type Store struct {
	rdb redis.UniversalClient
}

var _ store.Store = (*Store)(nil)

// New returns a store on rdb. The caller owns rdb.
func New(rdb redis.UniversalClient) *Store { return &Store{rdb: rdb} }

func recordKey(id string) string   { return "igw:{" + id + "}" }
func cooldownKey(id string) string { return "igw:{" + id + "}:cool" }

// idOf returns the ID in a record key's name.
func idOf(key string) (string, bool) {
	id, ok := strings.CutPrefix(key, "igw:{")
	if !ok {
		return "", false
	}
	return strings.CutSuffix(id, "}")
}

func unavailable(err error) error {
	if err == nil || errors.Is(err, connectors.ErrNotFound) {
		return err
	}
	var ce *connectors.Error
	if errors.As(err, &ce) {
		return err
	}
	return connectors.Wrap(err, connectors.CodeUnavailable, "connection store unavailable")
}

func (s *Store) Create(ctx context.Context, c *connectors.Connection) error {
	raw, err := encodeRecord(c)
	if err != nil {
		return err
	}
	ok, err := s.rdb.SetNX(ctx, recordKey(c.ID), raw, 0).Result()
	if err != nil {
		return unavailable(err)
	}
	if !ok {
		return fmt.Errorf("connection %s already exists", c.ID)
	}
	return nil
}

// getScript reads a record and its cooldown's PTTL in one round trip.
var getScript = redis.NewScript(`
local rec = redis.call("GET", KEYS[1])
if not rec then return false end
return {rec, redis.call("PTTL", KEYS[2])}
`)

func (s *Store) Get(ctx context.Context, id string) (*connectors.Connection, error) {
	res, err := getScript.Run(ctx, s.rdb, []string{recordKey(id), cooldownKey(id)}).Slice()
	if errors.Is(err, redis.Nil) {
		return nil, connectors.ErrNotFound
	}
	if err != nil {
		return nil, unavailable(err)
	}
	raw, _ := res[0].(string)
	c, err := decodeRecord(id, []byte(raw))
	if err != nil {
		return nil, err
	}
	if ttl, _ := res[1].(int64); ttl > 0 {
		c.CooldownUntil = time.Now().Add(time.Duration(ttl) * time.Millisecond)
	}
	return c, nil
}

// Cooldown sets igw:{<id>}:cool to expire when upstream lets the connection
// call again (never shortening a longer one).
func (s *Store) Cooldown(ctx context.Context, id string, until time.Time) error {
	d := time.Until(until)
	if d <= 0 {
		return nil
	}
	return unavailable(cooldownScript.Run(ctx, s.rdb, []string{cooldownKey(id)}, d.Milliseconds()).Err())
}

// cooldownScript sets the cooldown key to expire in ARGV[1] ms unless it
// already lives longer.
var cooldownScript = redis.NewScript(`
if redis.call("PTTL", KEYS[1]) < tonumber(ARGV[1]) then
  redis.call("SET", KEYS[1], "1", "PX", ARGV[1])
end
return 1
`)

func (s *Store) List(ctx context.Context) ([]*connectors.Connection, error) {
	var keys []string
	iter := s.rdb.Scan(ctx, 0, "igw:{*}", 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return nil, unavailable(err)
	}
	out := make([]*connectors.Connection, 0, len(keys))
	for start := 0; start < len(keys); start += 500 {
		batch := keys[start:min(start+500, len(keys))]
		recs, err := s.rdb.MGet(ctx, batch...).Result()
		if err != nil {
			return nil, unavailable(err)
		}
		for i, r := range recs {
			raw, ok := r.(string)
			id, named := idOf(batch[i])
			if !ok || !named {
				continue // deleted since the scan
			}
			c, err := decodeRecord(id, []byte(raw))
			if err != nil {
				return nil, fmt.Errorf("connection %s: %w", id, err)
			}
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, nil
}

// rotateScript rewrites the version byte and key hash in place with
// ARGV[1]: one atomic command, so concurrent rotations leave exactly one
// key, and the old key stops matching on every replica at once. A record
// with a lifecycle (version ARGV[4]) keeps its version byte, and takes a
// keyed hash (ARGV[3]) only. 1 when it wrote, 0 when the record is gone, -1
// when it is not a record this gateway reads, -2 for a legacy hash on a
// record with a lifecycle.
var rotateScript = redis.NewScript(`
local v = redis.call("GETRANGE", KEYS[1], 0, 0)
if v == "" then return 0 end
local b = string.byte(v)
local h = ARGV[1]
if b == tonumber(ARGV[4]) then
  if string.byte(h, 1) ~= tonumber(ARGV[3]) then return -2 end
  h = v .. string.sub(h, 2)
elseif b ~= tonumber(ARGV[2]) and b ~= tonumber(ARGV[3]) then
  return -1
end
redis.call("SETRANGE", KEYS[1], 0, h)
return 1
`)

func (s *Store) Rotate(ctx context.Context, id, newHash string) error {
	h, err := header(newHash)
	if err != nil {
		return err
	}
	n, err := rotateScript.Run(ctx, s.rdb, []string{recordKey(id)}, h, versionLegacy, versionKeyed, versionLifecycle).Int()
	switch {
	case err != nil:
		return unavailable(err)
	case n == 0:
		return connectors.ErrNotFound
	case n == -2:
		return fmt.Errorf("connection %s holds a status: its key hash must be a keyed one", id)
	case n < 0:
		return fmt.Errorf("connection %s: %w", id, errRecord)
	}
	return nil
}

// upgradeScript replaces a record by ARGV[2] only if it still is ARGV[1]:
// 1 when it did, 0 when it changed since, -1 when it is gone.
var upgradeScript = redis.NewScript(`
local rec = redis.call("GET", KEYS[1])
if not rec then return -1 end
if rec ~= ARGV[1] then return 0 end
redis.call("SET", KEYS[1], ARGV[2])
return 1
`)

func (s *Store) UpgradeKey(ctx context.Context, old *connectors.Connection, newHash string, newToken []byte) (bool, error) {
	was, err := encodeRecord(old)
	if err != nil {
		return false, err
	}
	upgraded := *old
	upgraded.KeyHash, upgraded.EncryptedToken = newHash, newToken
	now, err := encodeRecord(&upgraded)
	if err != nil {
		return false, err
	}
	n, err := upgradeScript.Run(ctx, s.rdb, []string{recordKey(old.ID)}, was, now).Int()
	switch {
	case err != nil:
		return false, unavailable(err)
	case n < 0:
		return false, connectors.ErrNotFound
	}
	return n == 1, nil
}

// luaRecord reads a record, KEYS[1], in rec: pos then is at its created
// time; uvarint() and field() read the next uvarint and length-prefixed
// string from pos on, and nil when the record ends first.
const luaRecord = `
local rec = redis.call("GET", KEYS[1])
if not rec then return -1 end
local pos = 34
local function uvarint()
  local v, mul = 0, 1
  for _ = 1, 10 do
    local b = string.byte(rec, pos)
    if not b then return nil end
    pos = pos + 1
    v = v + (b % 128) * mul
    if b < 128 then return v end
    mul = mul * 128
  end
  return nil
end
local function field()
  local n = uvarint()
  if not n or pos + n - 1 > #rec then return nil end
  local f = string.sub(rec, pos, pos + n - 1)
  pos = pos + n
  return f
end
`

// setTokenScript rewrites a record's username and token, the tail that
// follows its Instagram user ID, with ARGV[2], in place of the old one
// (dropping a lifecycle: the record becomes version ARGV[3]): only if the
// record's version byte is ARGV[3] or ARGV[4] (a keyed hash, without or
// with a lifecycle) and its Instagram user ID is ARGV[1]. Its key hash is
// kept as it is when the script runs, so a rotation before or after it is
// never lost. 1 when it wrote, 0 when a condition does not hold, -1 when
// the record is gone, -2 when it is not a record this gateway reads.
var setTokenScript = redis.NewScript(luaRecord + `
if #rec < 33 or not uvarint() or not field() then return -2 end
local user = field()
if not user then return -2 end
local v = string.byte(rec, 1)
if (v ~= tonumber(ARGV[3]) and v ~= tonumber(ARGV[4])) or user ~= ARGV[1] then return 0 end
redis.call("SET", KEYS[1], string.char(tonumber(ARGV[3])) .. string.sub(rec, 2, pos - 1) .. ARGV[2])
return 1
`)

func (s *Store) SetToken(ctx context.Context, id, userID string, sealed []byte, username string) error {
	tail := make([]byte, 0, binary.MaxVarintLen16+len(username)+len(sealed))
	tail = binary.AppendUvarint(tail, uint64(len(username)))
	tail = append(append(tail, username...), sealed...)
	n, err := setTokenScript.Run(ctx, s.rdb, []string{recordKey(id)}, userID, tail, versionKeyed, versionLifecycle).Int()
	switch {
	case err != nil:
		return unavailable(err)
	case n == -1:
		return connectors.ErrNotFound
	case n == 0:
		return store.ErrTokenConflict
	case n < 0:
		return fmt.Errorf("connection %s: %w", id, errRecord)
	}
	return nil
}

// setStatusScript rewrites a record's lifecycle, between its username and
// its token: status byte ARGV[2], its token times as they are (zeros when
// it has no lifecycle), then the last error ARGV[3]; only if its version
// byte is ARGV[4] or ARGV[5] (a keyed hash, without or with a lifecycle)
// and its token is ARGV[1]. With ARGV[6] = "1" (active, no last error) and
// no token times, the lifecycle is dropped: the record becomes version
// ARGV[4]. Its key hash is kept as it is when the script runs. 1 when it
// wrote, 0 when a condition does not hold, -1 when the record is gone, -2
// when it is not a record this gateway reads.
var setStatusScript = redis.NewScript(luaRecord + `
if #rec < 33 or not uvarint() or not field() or not field() or not field() then return -2 end
local head = pos - 1
local v = string.byte(rec, 1)
local keyed, lifecycle = tonumber(ARGV[4]), tonumber(ARGV[5])
local times = string.char(0, 0)
if v == lifecycle then
  local status = string.byte(rec, pos)
  if not status or status > 2 then return -2 end
  pos = pos + 1
  local from = pos
  if not uvarint() or not uvarint() then return -2 end
  times = string.sub(rec, from, pos - 1)
  if not uvarint() or not field() or not field() then return -2 end
elseif v ~= keyed then
  return 0
end
if string.sub(rec, pos) ~= ARGV[1] then return 0 end
local body = string.sub(rec, 2, head)
if ARGV[6] == "1" and times == string.char(0, 0) then
  redis.call("SET", KEYS[1], string.char(keyed) .. body .. ARGV[1])
else
  redis.call("SET", KEYS[1], string.char(lifecycle) .. body .. ARGV[2] .. times .. ARGV[3] .. ARGV[1])
end
return 1
`)

func (s *Store) SetStatus(ctx context.Context, id string, sealed []byte, status connectors.Status, lastErr *connectors.LastError) error {
	b, ok := statusByte(status)
	if !ok {
		return fmt.Errorf("unknown connection status %q", status)
	}
	plain := "0"
	if b == 0 && lastErr == nil {
		plain = "1"
	}
	n, err := setStatusScript.Run(ctx, s.rdb, []string{recordKey(id)},
		sealed, []byte{b}, appendLastError(nil, lastErr), versionKeyed, versionLifecycle, plain).Int()
	switch {
	case err != nil:
		return unavailable(err)
	case n == -1:
		return connectors.ErrNotFound
	case n == 0:
		return store.ErrTokenConflict
	case n < 0:
		return fmt.Errorf("connection %s: %w", id, errRecord)
	}
	return nil
}

// deleteScript removes the record and its cooldown; 0 when there was no
// record.
var deleteScript = redis.NewScript(`
local n = redis.call("DEL", KEYS[1])
redis.call("DEL", KEYS[2])
return n
`)

func (s *Store) Delete(ctx context.Context, id string) error {
	n, err := deleteScript.Run(ctx, s.rdb, []string{recordKey(id), cooldownKey(id)}).Int()
	if err != nil {
		return unavailable(err)
	}
	if n == 0 {
		return connectors.ErrNotFound
	}
	return nil
}

// canaryKey holds the store's canary, outside the igw:{*} records List
// scans.
const canaryKey = "igw:canary"

func (s *Store) Canary(ctx context.Context) ([]byte, error) {
	b, err := s.rdb.Get(ctx, canaryKey).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, connectors.ErrNotFound
	}
	if err != nil {
		return nil, unavailable(err)
	}
	return b, nil
}

// createCanaryScript sets the canary unless there is one, and returns the
// one stored.
var createCanaryScript = redis.NewScript(`
local c = redis.call("GET", KEYS[1])
if c then return c end
redis.call("SET", KEYS[1], ARGV[1])
return ARGV[1]
`)

func (s *Store) CreateCanary(ctx context.Context, sealed []byte) ([]byte, error) {
	c, err := createCanaryScript.Run(ctx, s.rdb, []string{canaryKey}, sealed).Text()
	if err != nil {
		return nil, unavailable(err)
	}
	return []byte(c), nil
}

func (s *Store) Ping(ctx context.Context) error {
	return unavailable(s.rdb.Ping(ctx).Err())
}

// Close does nothing: the caller owns the client.
func (s *Store) Close() error { return nil }
