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
//	igw:due          the refresh schedule: IDs by due time
//	igw:t:{<kind>:<key>}  a ticket (store.Tickets), expiring with it
package redisstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
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

// List returns every connection, oldest first (ties by ID). It reads them
// as Each does: on a Redis Cluster, from every master.
func (s *Store) List(ctx context.Context) ([]*connectors.Connection, error) {
	var out []*connectors.Connection
	err := s.Each(ctx, func(batch []*connectors.Connection) error {
		out = append(out, batch...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// recordPattern matches the records' keys, igw:{<id>}, and no other of the
// store's keys (igw:{<id>}:cool, igw:t:{…}, igw:canary, igw:due).
const recordPattern = "igw:{*}"

// scanCount is SCAN's COUNT: about how many keys one SCAN visits.
const scanCount = 1000

// listBatch is the most records one read fetches (one MGET on one Redis;
// on a cluster, one pipeline of GETs, which go-redis sends per node).
const listBatch = 500

// Each calls fn with every connection, in batches of at most listBatch
// records and in no particular order, never with the same connection
// twice: a caller can page through a store of any size without holding it
// all. The records are found by SCAN, a cursor at a time (never KEYS): on
// one Redis with one SCAN and MGET per batch; on a Redis Cluster
// (*redis.ClusterClient) every master is scanned, concurrently (SCAN sees
// only the node it is sent to, and MGET cannot span slots), and each batch
// is read with one pipeline of GETs. fn is never called concurrently; an
// error from fn stops the walk and is returned as it is. A record deleted
// during the walk may be left out, one created during it may be too; a
// master that does not answer fails the whole walk (UNAVAILABLE): a
// partial list is never returned as a whole one.
func (s *Store) Each(ctx context.Context, fn func(batch []*connectors.Connection) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := &walk{fn: fn, seen: map[string]struct{}{}}
	cc, ok := s.rdb.(*redis.ClusterClient)
	if !ok {
		return w.run(ctx, s.rdb, func(ctx context.Context, keys []string) ([]any, error) {
			return s.rdb.MGet(ctx, keys...).Result()
		})
	}
	err := cc.ForEachMaster(ctx, func(ctx context.Context, master *redis.Client) error {
		err := w.run(ctx, master, func(ctx context.Context, keys []string) ([]any, error) {
			return getEach(ctx, cc, keys)
		})
		if err != nil {
			w.stop(err)
			cancel() // the other masters' walks stop too
		}
		return err
	})
	if w.err != nil {
		return w.err // the first error, rather than a canceled walk's
	}
	return unavailable(err)
}

// getEach reads keys, of any slots, through the cluster client: one
// pipeline of GETs (go-redis splits it by node and follows redirects). A
// key that is gone reads as nil, as MGET's would.
func getEach(ctx context.Context, cc *redis.ClusterClient, keys []string) ([]any, error) {
	cmds := make([]*redis.StringCmd, len(keys))
	_, err := cc.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.Get(ctx, k)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	vals := make([]any, len(keys))
	for i, c := range cmds {
		switch v, err := c.Result(); {
		case err == nil:
			vals[i] = v
		case !errors.Is(err, redis.Nil):
			return nil, err
		}
	}
	return vals, nil
}

// walk is one Each: its callback, the IDs given to it so far (SCAN may
// return a key twice, and a slot migrating during a cluster walk may show
// it on two masters), and the first error, which stops it.
type walk struct {
	mu   sync.Mutex
	fn   func([]*connectors.Connection) error
	seen map[string]struct{}
	err  error
}

// scanner is the SCAN of one Redis: a *redis.Client, or a single-node
// UniversalClient.
type scanner interface {
	Scan(ctx context.Context, cursor uint64, match string, count int64) *redis.ScanCmd
}

// run scans one Redis's record keys and reads them, a batch at a time,
// with read. A Redis error is returned as UNAVAILABLE; a record's or fn's
// error as it is, and kept in w.err.
func (w *walk) run(ctx context.Context, node scanner, read func(context.Context, []string) ([]any, error)) error {
	var cursor uint64
	for {
		keys, next, err := node.Scan(ctx, cursor, recordPattern, scanCount).Result()
		if err != nil {
			return unavailable(err)
		}
		for start := 0; start < len(keys); start += listBatch {
			batch := keys[start:min(start+listBatch, len(keys))]
			recs, err := read(ctx, batch)
			if err != nil {
				return unavailable(err)
			}
			if err := w.give(batch, recs); err != nil {
				return err
			}
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}

// stop records err as the walk's error unless it has one.
func (w *walk) stop(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
	}
}

// give decodes a batch's records and passes the new ones to fn.
func (w *walk) give(keys []string, recs []any) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	out := make([]*connectors.Connection, 0, len(recs))
	for i, r := range recs {
		raw, ok := r.(string)
		id, named := idOf(keys[i])
		if !ok || !named {
			continue // deleted since the scan
		}
		if _, dup := w.seen[id]; dup {
			continue
		}
		c, err := decodeRecord(id, []byte(raw))
		if err != nil {
			w.err = fmt.Errorf("connection %s: %w", id, err)
			return w.err
		}
		w.seen[id] = struct{}{}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil
	}
	if err := w.fn(out); err != nil {
		w.err = err
		return err
	}
	return nil
}

// rotateScript rewrites the version byte and key hash in place with
// ARGV[1]: one atomic command, so concurrent rotations leave exactly one
// key, and the old key stops matching on every replica at once. A record
// with a lifecycle (version ARGV[4] or ARGV[5]) keeps its version byte,
// and takes a keyed hash (ARGV[3]) only. 1 when it wrote, 0 when the record is gone, -1
// when it is not a record this gateway reads, -2 for a legacy hash on a
// record with a lifecycle.
var rotateScript = redis.NewScript(`
local v = redis.call("GETRANGE", KEYS[1], 0, 0)
if v == "" then return 0 end
local b = string.byte(v)
local h = ARGV[1]
if b == tonumber(ARGV[4]) or b == tonumber(ARGV[5]) then
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
	n, err := rotateScript.Run(ctx, s.rdb, []string{recordKey(id)}, h, versionLegacy, versionKeyed, versionLifecycle, versionRefresh).Int()
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

// keyedVersion tells (in Lua) whether version byte v is a keyed hash's,
// without or with a lifecycle: ARGV[1], ARGV[2] or ARGV[3].
const luaKeyedVersion = `
local function keyedVersion(v)
  return v == tonumber(ARGV[1]) or v == tonumber(ARGV[2]) or v == tonumber(ARGV[3])
end
`

// keyedVersions are the ARGV[1..3] of luaKeyedVersion.
var keyedVersions = []any{versionKeyed, versionLifecycle, versionRefresh}

// setTokenScript rewrites a record's username, lifecycle and token, the
// tail that follows its Instagram user ID, with ARGV[6], and its version
// byte with ARGV[5]: only if the record's version is keyed
// (luaKeyedVersion) and its Instagram user ID is ARGV[4]. Its key hash is
// kept as it is when the script runs, so a rotation before or after it is
// never lost. 1 when it wrote, 0 when a condition does not hold, -1 when
// the record is gone, -2 when it is not a record this gateway reads.
var setTokenScript = redis.NewScript(luaRecord + luaKeyedVersion + `
if #rec < 33 or not uvarint() or not field() then return -2 end
local user = field()
if not user then return -2 end
if not keyedVersion(string.byte(rec, 1)) or user ~= ARGV[4] then return 0 end
redis.call("SET", KEYS[1], ARGV[5] .. string.sub(rec, 2, pos - 1) .. ARGV[6])
return 1
`)

// lifecycleBytes appends the lifecycle life to b as a keyed record holds
// it, and returns the version byte the record then has: versionRefresh,
// or versionKeyed (and no bytes) for an empty lifecycle.
func lifecycleBytes(b []byte, life *connectors.Lifecycle) (version []byte, _ []byte, err error) {
	if life.Empty() {
		return []byte{versionKeyed}, b, nil
	}
	b, err = appendLifecycle(b, life)
	return []byte{versionRefresh}, b, err
}

// runWrite runs a conditional write script and maps its answer: 1 wrote,
// 0 a condition failed, -1 the record is gone, -2 not a record this
// gateway reads.
func (s *Store) runWrite(ctx context.Context, script *redis.Script, id string, args ...any) error {
	n, err := script.Run(ctx, s.rdb, []string{recordKey(id)}, args...).Int()
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

func (s *Store) SetToken(ctx context.Context, id, userID string, sealed []byte, username string, life connectors.Lifecycle) error {
	tail := make([]byte, 0, binary.MaxVarintLen16+len(username)+64+len(sealed))
	tail = binary.AppendUvarint(tail, uint64(len(username)))
	version, tail, err := lifecycleBytes(append(tail, username...), &life)
	if err != nil {
		return err
	}
	return s.runWrite(ctx, setTokenScript, id, append(keyedVersions, userID, version, append(tail, sealed...))...)
}

// setLifecycleScript rewrites what lies between a record's username and
// its token (its lifecycle, if any) with ARGV[6], its token with ARGV[7],
// and its version byte with ARGV[5]: only if its version is keyed
// (luaKeyedVersion) and its token is ARGV[4]. The token is the record's
// tail: a sealed token is random bytes with an authentication tag, so the
// record ends with ARGV[4] only if it is its token, and the lifecycle
// needs no parsing here. Its key hash is kept as it is when the script
// runs. Answers as setTokenScript's.
var setLifecycleScript = redis.NewScript(luaRecord + luaKeyedVersion + `
if #rec < 33 or not uvarint() or not field() or not field() or not field() then return -2 end
if not keyedVersion(string.byte(rec, 1)) then return 0 end
local from = #rec - #ARGV[4] + 1
if from < pos or string.sub(rec, from) ~= ARGV[4] then return 0 end
redis.call("SET", KEYS[1], ARGV[5] .. string.sub(rec, 2, pos - 1) .. ARGV[6] .. ARGV[7])
return 1
`)

func (s *Store) SetLifecycle(ctx context.Context, id string, sealed []byte, life connectors.Lifecycle, next []byte) error {
	if len(sealed) == 0 {
		return store.ErrTokenConflict
	}
	version, body, err := lifecycleBytes(nil, &life)
	if err != nil {
		return err
	}
	if next == nil {
		next = sealed
	}
	return s.runWrite(ctx, setLifecycleScript, id, append(keyedVersions, sealed, version, body, next)...)
}

// dueKey is the refresh schedule: a sorted set of connection IDs scored by
// their due time in Unix milliseconds. One key: a claim is one atomic
// command on one Redis Cluster slot.
const dueKey = "igw:due"

func score(t time.Time) float64 { return float64(max(t.UnixMilli(), 0)) }

func (s *Store) Schedule(ctx context.Context, id string, at time.Time) error {
	return unavailable(s.rdb.ZAdd(ctx, dueKey, redis.Z{Score: score(at), Member: id}).Err())
}

func (s *Store) ScheduleNoLater(ctx context.Context, id string, at time.Time) error {
	return unavailable(s.rdb.ZAddLT(ctx, dueKey, redis.Z{Score: score(at), Member: id}).Err())
}

func (s *Store) ScheduleIfAbsent(ctx context.Context, id string, at time.Time) error {
	return unavailable(s.rdb.ZAddNX(ctx, dueKey, redis.Z{Score: score(at), Member: id}).Err())
}

func (s *Store) Unschedule(ctx context.Context, id string) error {
	return unavailable(s.rdb.ZRem(ctx, dueKey, id).Err())
}

// claimScript returns up to ARGV[2] members of KEYS[1] scored at most
// ARGV[1], lowest first, and rescores each ARGV[3].
var claimScript = redis.NewScript(`
local ids = redis.call("ZRANGE", KEYS[1], "-inf", ARGV[1], "BYSCORE", "LIMIT", 0, ARGV[2])
for _, id in ipairs(ids) do
  redis.call("ZADD", KEYS[1], ARGV[3], id)
end
return ids
`)

// settleScript sets (ARGV[2] not empty) or removes member ARGV[3] of
// KEYS[1] only if its score is ARGV[1]: 1 when it did.
var settleScript = redis.NewScript(`
local cur = redis.call("ZSCORE", KEYS[1], ARGV[3])
if not cur or tonumber(cur) ~= tonumber(ARGV[1]) then return 0 end
if ARGV[2] == "" then
  redis.call("ZREM", KEYS[1], ARGV[3])
else
  redis.call("ZADD", KEYS[1], ARGV[2], ARGV[3])
end
return 1
`)

func (s *Store) Settle(ctx context.Context, id string, claim, at time.Time) (bool, error) {
	var to any = ""
	if !at.IsZero() {
		to = score(at)
	}
	n, err := settleScript.Run(ctx, s.rdb, []string{dueKey}, score(claim), to, id).Int()
	if err != nil {
		return false, unavailable(err)
	}
	return n == 1, nil
}

func (s *Store) ClaimDue(ctx context.Context, now time.Time, n int, lease time.Duration) ([]string, error) {
	if n <= 0 {
		return nil, nil
	}
	ids, err := claimScript.Run(ctx, s.rdb, []string{dueKey}, score(now), n, score(now.Add(lease))).StringSlice()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, unavailable(err)
	}
	return ids, nil
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
	// Its schedule entry, in another slot, goes apart; if this fails the
	// sweep drops the entry when it finds no connection.
	_ = s.Unschedule(ctx, id)
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

// Ping checks that Redis answers: on a Redis Cluster, every master (a
// PING on the cluster client reaches one node picked at random, which
// would make readiness flap while one master is down).
func (s *Store) Ping(ctx context.Context) error {
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		return unavailable(cc.ForEachMaster(ctx, func(ctx context.Context, master *redis.Client) error {
			return master.Ping(ctx).Err()
		}))
	}
	return unavailable(s.rdb.Ping(ctx).Err())
}

// Close does nothing: the caller owns the client.
func (s *Store) Close() error { return nil }

func ticketKey(kind, key string) string { return "igw:t:{" + kind + ":" + key + "}" }

func (s *Store) PutTicket(ctx context.Context, kind, key string, value []byte, ttl time.Duration) error {
	return unavailable(s.rdb.Set(ctx, ticketKey(kind, key), value, ttl).Err())
}

// ticketResult maps a ticket command's answer.
func ticketResult(b []byte, err error) ([]byte, error) {
	if errors.Is(err, redis.Nil) {
		return nil, connectors.ErrNotFound
	}
	if err != nil {
		return nil, unavailable(err)
	}
	return b, nil
}

func (s *Store) GetTicket(ctx context.Context, kind, key string) ([]byte, error) {
	return ticketResult(s.rdb.Get(ctx, ticketKey(kind, key)).Bytes())
}

func (s *Store) TakeTicket(ctx context.Context, kind, key string) ([]byte, error) {
	return ticketResult(s.rdb.GetDel(ctx, ticketKey(kind, key)).Bytes())
}

// swapScript replaces an existing key's value, keeping its expiry, and
// returns the value it had.
var swapScript = redis.NewScript(`
local v = redis.call("GET", KEYS[1])
if not v then return false end
redis.call("SET", KEYS[1], ARGV[1], "KEEPTTL")
return v
`)

func (s *Store) SwapTicket(ctx context.Context, kind, key string, value []byte) ([]byte, error) {
	b, err := swapScript.Run(ctx, s.rdb, []string{ticketKey(kind, key)}, value).Text()
	return ticketResult([]byte(b), err)
}

func (s *Store) RenewTicket(ctx context.Context, kind, key string, ttl time.Duration) error {
	ok, err := s.rdb.PExpire(ctx, ticketKey(kind, key), ttl).Result()
	if err != nil {
		return unavailable(err)
	}
	if !ok {
		return connectors.ErrNotFound
	}
	return nil
}

func (s *Store) DeleteTicket(ctx context.Context, kind, key string) error {
	return unavailable(s.rdb.Del(ctx, ticketKey(kind, key)).Err())
}
