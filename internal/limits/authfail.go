package limits

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/ulule/limiter/v3"
)

// sweepAt is the number of remembered addresses from which remembering one
// more first forgets those whose block has ended.
const sweepAt = 1024

// AuthFailures limits the failed authentications of each client address
// with ulule/limiter (in Redis when it is configured, so that replicas share
// the count). An address that reached the limit is remembered in process
// until its window ends: it is refused before any store read, and a
// successful call costs no store command here. Each replica learns of a
// block on its own next failure from that address.
type AuthFailures struct {
	l   *limiter.Limiter
	now func() time.Time

	mu      sync.Mutex
	blocked map[string]time.Time
	// n is len(blocked), read without the lock.
	n atomic.Int64
}

// NewMemoryAuthFailures counts failures in process (embedded mode).
func NewMemoryAuthFailures(rate limiter.Rate) *AuthFailures {
	return newAuthFailures(memoryStore(AuthFailurePrefix), rate)
}

// NewRedisAuthFailures counts failures in Redis, shared by every replica.
// Like the rate limiter, it starts while Redis is away.
func NewRedisAuthFailures(rdb redis.UniversalClient, rate limiter.Rate) (*AuthFailures, error) {
	store, err := redisStore(rdb, AuthFailurePrefix)
	if err != nil {
		return nil, fmt.Errorf("authentication failure limiter store: %w", err)
	}
	return newAuthFailures(store, rate), nil
}

func newAuthFailures(store limiter.Store, rate limiter.Rate) *AuthFailures {
	return &AuthFailures{l: limiter.New(store, rate), now: time.Now, blocked: map[string]time.Time{}}
}

// Rate returns the configured rate.
func (a *AuthFailures) Rate() limiter.Rate { return a.l.Rate }

// Blocking tells whether any address may be refused: while none is, a
// caller need not even work out its client's address.
func (a *AuthFailures) Blocking() bool { return a.n.Load() > 0 }

// Blocked tells how long addr stays refused, 0 when it is not. It reads
// only what this process remembers: no store call.
func (a *AuthFailures) Blocked(addr string) time.Duration {
	addr = clientKey(addr)
	a.mu.Lock()
	defer a.mu.Unlock()
	until, ok := a.blocked[addr]
	if !ok {
		return 0
	}
	wait := until.Sub(a.now())
	if wait <= 0 {
		a.forget(addr)
		return 0
	}
	return wait
}

// Fail counts one failed authentication of addr. It answers how long addr
// is refused, 0 when this failure is still within the limit: the failure
// that reaches the limit gets its own answer, the next ones are refused.
func (a *AuthFailures) Fail(ctx context.Context, addr string) (time.Duration, error) {
	addr = clientKey(addr)
	lc, err := a.l.Get(ctx, addr)
	if err != nil {
		return 0, err
	}
	if lc.Remaining > 0 {
		return 0, nil
	}
	until := time.Unix(lc.Reset, 0)
	a.remember(addr, until)
	if !lc.Reached {
		return 0, nil
	}
	return max(time.Second, until.Sub(a.now())), nil
}

// remember refuses addr until then, in this process.
func (a *AuthFailures) remember(addr string, until time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.blocked) >= sweepAt {
		now := a.now()
		for k, t := range a.blocked {
			if !t.After(now) {
				a.forget(k)
			}
		}
	}
	a.blocked[addr] = until
	a.n.Store(int64(len(a.blocked)))
}

// forget drops addr; the caller holds the lock.
func (a *AuthFailures) forget(addr string) {
	delete(a.blocked, addr)
	a.n.Store(int64(len(a.blocked)))
}

// clientKey is what failures are counted under: an IPv4 address, or the /64
// of an IPv6 address (one subscriber's usual allocation, which an attacker
// could otherwise walk through address by address).
func clientKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	if ip = ip.Unmap(); ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}
