package limits

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/ulule/limiter/v3"
)

// A rolling window (contract §11): in any span of the rate's period at most
// Limit calls of a key are admitted. Each key keeps a log of its admission
// times, oldest first: a call is admitted when fewer than Limit of them lie
// within the last period, and is then appended. A refused call records
// nothing, so a caller retrying early is never locked out past the window.
// Times that left the window are dropped when they are half of the log,
// or the log holds twice the limit: a log holds at most twice the limit's
// times, and at most twice those still in the window (8 bytes each in
// Redis), whatever the limit, and a drop is paid for by as many appends.
// A key idle for a period is dropped: all its times have left the window.
//
// ulule/limiter's own stores count a fixed window that starts at a key's
// first hit, which admits up to twice the limit across a window's end;
// these stores keep its Limiter, gin middleware and headers.

// windowAnswer is one decision: whether the call is refused (for a peek:
// whether a call would be), how many calls the window holds after it, and
// when the next call will be admitted.
type windowAnswer struct {
	refused bool
	count   int64
	next    time.Time
}

// context returns the answer as ulule's Context for rate: Reset is when the
// next call will be admitted (Unix seconds, rounded up so that a call at
// Reset passes).
func (a windowAnswer) context(rate limiter.Rate) limiter.Context {
	reset := a.next.Unix()
	if a.next.Nanosecond() > 0 {
		reset++
	}
	return limiter.Context{
		Limit:     rate.Limit,
		Remaining: max(rate.Limit-a.count, 0),
		Reset:     reset,
		Reached:   a.refused,
	}
}

// timeLog is one key's window in process: its admission times, oldest
// first.
type timeLog struct {
	times []time.Time
}

// decide counts the admissions in the window ending at now and, when take
// is set and the window has room, admits a call at now.
func (l *timeLog) decide(now time.Time, limit int64, period time.Duration, take bool) windowAnswer {
	since := now.Add(-period)
	// The first admission still in the window: times are in order.
	lo, hi := 0, len(l.times)
	for lo < hi {
		mid := (lo + hi) / 2
		if l.times[mid].After(since) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	m := len(l.times)
	count := int64(m - lo)
	if count >= limit {
		return windowAnswer{refused: true, count: count, next: l.times[m-int(limit)].Add(period)}
	}
	if !take {
		return windowAnswer{count: count, next: now}
	}
	if lo > 0 && (lo >= m/2 || int64(m) >= 2*limit) {
		l.times = append(l.times[:0], l.times[lo:]...)
		m = len(l.times)
	}
	l.times = append(l.times, now)
	count++
	next := now
	if count >= limit {
		next = l.times[m+1-int(limit)].Add(period)
	}
	return windowAnswer{count: count, next: next}
}

// MemoryWindow is the rolling window in process (embedded mode).
type MemoryWindow struct {
	prefix string
	now    func() time.Time

	mu   sync.Mutex
	logs map[string]*timeLog
	ops  int
}

var _ limiter.Store = (*MemoryWindow)(nil)

// memoryWindowSweep: one decision in this many drops the idle keys.
const memoryWindowSweep = 4096

// NewMemoryWindow returns an in-process rolling window; now is its clock
// (time.Now when nil).
func NewMemoryWindow(prefix string, now func() time.Time) *MemoryWindow {
	if now == nil {
		now = time.Now
	}
	return &MemoryWindow{prefix: prefix, now: now, logs: map[string]*timeLog{}}
}

func (m *MemoryWindow) decide(key string, rate limiter.Rate, take bool) (limiter.Context, error) {
	if rate.Limit <= 0 || rate.Period <= 0 {
		return limiter.Context{}, errors.New("rate limit and period must be positive")
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ops++
	if m.ops%memoryWindowSweep == 0 {
		m.sweep(now, rate.Period)
	}
	l := m.logs[m.prefix+key]
	if l == nil {
		if !take {
			return windowAnswer{next: now}.context(rate), nil
		}
		l = &timeLog{}
		m.logs[m.prefix+key] = l
	}
	return l.decide(now, rate.Limit, rate.Period, take).context(rate), nil
}

// sweep drops the keys whose newest admission has left the window.
func (m *MemoryWindow) sweep(now time.Time, period time.Duration) {
	for k, l := range m.logs {
		if len(l.times) == 0 || !l.times[len(l.times)-1].After(now.Add(-period)) {
			delete(m.logs, k)
		}
	}
}

// Len is how many keys the window holds.
func (m *MemoryWindow) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.logs)
}

// Get admits a call of key if the window has room.
func (m *MemoryWindow) Get(_ context.Context, key string, rate limiter.Rate) (limiter.Context, error) {
	return m.decide(key, rate, true)
}

// Peek reads key's window without admitting a call.
func (m *MemoryWindow) Peek(_ context.Context, key string, rate limiter.Rate) (limiter.Context, error) {
	return m.decide(key, rate, false)
}

// Reset empties key's window.
func (m *MemoryWindow) Reset(_ context.Context, key string, rate limiter.Rate) (limiter.Context, error) {
	m.mu.Lock()
	delete(m.logs, m.prefix+key)
	m.mu.Unlock()
	return windowAnswer{next: m.now()}.context(rate), nil
}

// Increment admits count calls of key, as far as the window has room.
func (m *MemoryWindow) Increment(ctx context.Context, key string, count int64, rate limiter.Rate) (limiter.Context, error) {
	return increment(ctx, m, key, count, rate)
}

// increment admits count calls of key in w one by one, as far as it has
// room: a rolling window has no cheaper way, and no caller of this
// gateway's asks for more than one.
func increment(ctx context.Context, w limiter.Store, key string, count int64, rate limiter.Rate) (limiter.Context, error) {
	c, err := w.Peek(ctx, key, rate)
	for range count {
		if c, err = w.Get(ctx, key, rate); err != nil || c.Reached {
			break
		}
	}
	return c, err
}

// windowScript decides one call of the rolling window in Redis, at Redis's
// own clock (TIME: one clock for every replica). KEYS[1] is the key's log:
// admission times in Unix milliseconds, 8-byte doubles, oldest first.
// ARGV[1] is the limit, ARGV[2] the period in milliseconds, ARGV[3] "1" to
// admit a call when there is room. The log is read a slot at a time (a
// binary search) and appended to; it is rewritten only when half of it has
// left the window or it holds twice the limit, so a call costs O(log n)
// and a rewrite is paid for by as many appends. It answers {refused 0|1
// (for a peek: would be), calls in the window, next admission in ms}.
// ARGV[4], given by tests only, is the time instead of Redis's.
var windowScript = redis.NewScript(`
local limit, period, take = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3] == "1"
local now = tonumber(ARGV[4])
if not now then
  local t = redis.call("TIME")
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local m = math.floor(redis.call("STRLEN", KEYS[1]) / 8)
local function at(i)
  return (struct.unpack(">d", redis.call("GETRANGE", KEYS[1], 8 * i, 8 * i + 7)))
end
local lo, hi = 0, m
while lo < hi do
  local mid = math.floor((lo + hi) / 2)
  if at(mid) > now - period then hi = mid else lo = mid + 1 end
end
local count = m - lo
if count >= limit then return {1, count, at(m - limit) + period} end
if not take then return {0, count, now} end
local stamp = struct.pack(">d", now)
if lo > 0 and (lo >= m / 2 or m >= 2 * limit) then
  redis.call("SET", KEYS[1], redis.call("GETRANGE", KEYS[1], 8 * lo, -1) .. stamp, "PX", period)
  m = m - lo
else
  redis.call("APPEND", KEYS[1], stamp)
  redis.call("PEXPIRE", KEYS[1], period)
end
count = count + 1
local next = now
if count >= limit then next = at(m + 1 - limit) + period end
return {0, count, next}
`)

// RedisWindow is the rolling window in Redis, shared by every replica: one
// script per decision, exact. A key is igw:rl:{<key>} (hash-tagged for
// Redis Cluster) and expires a period after its last admission.
type RedisWindow struct {
	rdb    redis.UniversalClient
	prefix string
	// now, set by tests only, replaces Redis's clock.
	now func() time.Time
}

var _ limiter.Store = (*RedisWindow)(nil)

// NewRedisWindow returns the rolling window on rdb, its keys under prefix.
func NewRedisWindow(rdb redis.UniversalClient, prefix string) *RedisWindow {
	return &RedisWindow{rdb: rdb, prefix: prefix}
}

func (w *RedisWindow) key(k string) string { return w.prefix + ":{" + k + "}" }

func (w *RedisWindow) decide(ctx context.Context, key string, rate limiter.Rate, take bool) (limiter.Context, error) {
	if rate.Limit <= 0 || rate.Period < time.Millisecond {
		return limiter.Context{}, errors.New("rate limit and period must be positive")
	}
	flag := "0"
	if take {
		flag = "1"
	}
	args := []any{rate.Limit, rate.Period.Milliseconds(), flag}
	if w.now != nil {
		args = append(args, w.now().UnixMilli())
	}
	res, err := windowScript.Run(ctx, w.rdb, []string{w.key(key)}, args...).Int64Slice()
	if err != nil {
		return limiter.Context{}, err
	}
	if len(res) != 3 {
		return limiter.Context{}, errors.New("rolling window: unexpected answer")
	}
	return windowAnswer{refused: res[0] == 1, count: res[1], next: time.UnixMilli(res[2])}.context(rate), nil
}

// Get admits a call of key if the window has room.
func (w *RedisWindow) Get(ctx context.Context, key string, rate limiter.Rate) (limiter.Context, error) {
	return w.decide(ctx, key, rate, true)
}

// Peek reads key's window without admitting a call.
func (w *RedisWindow) Peek(ctx context.Context, key string, rate limiter.Rate) (limiter.Context, error) {
	return w.decide(ctx, key, rate, false)
}

// Reset empties key's window.
func (w *RedisWindow) Reset(ctx context.Context, key string, rate limiter.Rate) (limiter.Context, error) {
	if err := w.rdb.Del(ctx, w.key(key)).Err(); err != nil {
		return limiter.Context{}, err
	}
	return windowAnswer{next: time.Now()}.context(rate), nil
}

// Increment admits count calls of key, as far as the window has room.
func (w *RedisWindow) Increment(ctx context.Context, key string, count int64, rate limiter.Rate) (limiter.Context, error) {
	return increment(ctx, w, key, count, rate)
}
