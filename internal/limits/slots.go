package limits

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// SlotPrefix is the prefix of the slots' keys: igw:pub:{<connection id>},
// one sorted set per connection of slot tokens scored by their expiry (the
// braces keep a connection's set on one Redis Cluster slot).
const SlotPrefix = "igw:pub"

// Slots caps how many calls of one key (a connection's publishes) run at
// once: in process, or in Redis, shared by every replica.
type Slots struct {
	limit int
	store slotStore
}

// slotStore takes and frees the places of one key.
type slotStore interface {
	// acquire takes a place when fewer than limit are taken; ok is false
	// otherwise. release frees it.
	acquire(ctx context.Context, key string, limit int) (release func(context.Context) error, ok bool, err error)
}

// Slot is one taken place.
type Slot struct {
	once    sync.Once
	release func(context.Context) error
}

// Release frees the place; later calls do nothing.
func (s *Slot) Release(ctx context.Context) error {
	var err error
	s.once.Do(func() { err = s.release(ctx) })
	return err
}

// NewMemorySlots caps the calls in flight of each key in process.
func NewMemorySlots(limit int) *Slots {
	return &Slots{limit: limit, store: &memorySlots{held: map[string]int{}}}
}

// NewRedisSlots caps the calls in flight of each key in Redis, shared by
// every replica. A place expires after ttl even when nobody frees it (a
// replica that crashed): ttl must outlast the longest call.
func NewRedisSlots(rdb redis.UniversalClient, limit int, ttl time.Duration) *Slots {
	return &Slots{limit: limit, store: &redisSlots{rdb: rdb, ttl: ttl}}
}

// Limit returns how many calls of one key may run at once.
func (s *Slots) Limit() int { return s.limit }

// Acquire takes a place for key; ok is false when all are taken. An error
// means the count could not be read: the caller must not go on.
func (s *Slots) Acquire(ctx context.Context, key string) (slot *Slot, ok bool, err error) {
	release, ok, err := s.store.acquire(ctx, key, s.limit)
	if err != nil || !ok {
		return nil, false, err
	}
	return &Slot{release: release}, true, nil
}

// memorySlots counts places in process.
type memorySlots struct {
	mu   sync.Mutex
	held map[string]int
}

func (m *memorySlots) acquire(_ context.Context, key string, limit int) (func(context.Context) error, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.held[key] >= limit {
		return nil, false, nil
	}
	m.held[key]++
	return func(context.Context) error { m.free(key); return nil }, true, nil
}

func (m *memorySlots) free(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.held[key]--; m.held[key] <= 0 {
		delete(m.held, key)
	}
}

// redisSlots counts places in a sorted set per key, in one script: expired
// places are dropped, a place is added while fewer than the limit remain,
// and the set expires with its newest place. Expiries are Redis's clock, so
// that replicas' clocks do not matter.
type redisSlots struct {
	rdb redis.UniversalClient
	ttl time.Duration
}

// acquireScript: KEYS[1] the set; ARGV[1] the limit, ARGV[2] the ttl in
// milliseconds, ARGV[3] the new place's token. It answers 1 when the place
// is taken, 0 when all are.
var acquireScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
	return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], top[2])
return 1
`)

// renewScript pushes a held place's expiry to now + ttl (nothing when the
// place is gone), and the set's expiry to its latest place's: a replica with
// a shorter ttl never shortens the places of another.
var renewScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[1]), ARGV[2]) == 0 and not redis.call('ZSCORE', KEYS[1], ARGV[2]) then
	return 0
end
local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], top[2])
return 1
`)

func (r *redisSlots) acquire(ctx context.Context, key string, limit int) (func(context.Context) error, bool, error) {
	k := SlotPrefix + ":{" + key + "}"
	token := newToken()
	n, err := acquireScript.Run(ctx, r.rdb, []string{k}, limit, r.ttl.Milliseconds(), token).Int()
	if err != nil || n != 1 {
		return nil, false, err
	}
	stop := r.keepAlive(k, token)
	return func(ctx context.Context) error {
		stop()
		return r.rdb.ZRem(ctx, k, token).Err()
	}, true, nil
}

// keepAlive renews a held place every third of its ttl until stop is
// called, so that a place outlives a call slower than its ttl; a replica
// that dies stops renewing, and its places expire.
func (r *redisSlots) keepAlive(key, token string) (stop func()) {
	done := make(chan struct{})
	var once sync.Once
	go func() {
		tick := time.NewTicker(r.ttl / 3)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				ctx, cancel := context.WithTimeout(context.Background(), r.ttl/3)
				renewScript.Run(ctx, r.rdb, []string{key}, r.ttl.Milliseconds(), token) // a failure: the next tick tries again
				cancel()
			}
		}
	}()
	return func() { once.Do(func() { close(done) }) }
}

// newToken names one place: random, so that each replica frees its own.
func newToken() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}
