// Package limits holds the gateway's limits: the per-connection rate limit
// and the failed authentications per client address (ulule/limiter), and
// the publishes of a connection in flight at once (Slots). Each counts in
// Redis when it is configured, so that every replica shares one count, and
// in process otherwise.
package limits

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
	"github.com/ulule/limiter/v3"
	mgin "github.com/ulule/limiter/v3/drivers/middleware/gin"
	"github.com/ulule/limiter/v3/drivers/store/memory"
	sredis "github.com/ulule/limiter/v3/drivers/store/redis"

	"github.com/igconnect/gateway/internal/connectors"
)

// Prefix of the limiter's keys: igw:rl:{<connection id>}, a rolling
// window (window.go) that expires a period after its last admission.
const Prefix = "igw:rl"

// AuthFailurePrefix is the prefix of the failed authentications' keys:
// igw:af:<client address>. Each key expires with its window.
const AuthFailurePrefix = "igw:af"

// Limiter counts calls per connection.
type Limiter struct {
	l *limiter.Limiter
}

// NewMemory returns an in-process limiter (embedded mode): a rolling
// window.
func NewMemory(rate limiter.Rate) *Limiter {
	return &Limiter{l: limiter.New(NewMemoryWindow(Prefix+":", nil), rate)}
}

func memoryStore(prefix string) limiter.Store {
	return memory.NewStoreWithOptions(limiter.StoreOptions{Prefix: prefix, CleanUpInterval: time.Minute})
}

// NewRedis returns a limiter counting in Redis, shared by every replica: a
// rolling window, one script per call. It starts even while Redis is away:
// calls answer 503 until Redis is back.
func NewRedis(_ context.Context, rdb redis.UniversalClient, rate limiter.Rate) (*Limiter, error) {
	return &Limiter{l: limiter.New(NewRedisWindow(rdb, Prefix), rate)}, nil
}

func redisStore(rdb redis.UniversalClient, prefix string) (limiter.Store, error) {
	return sredis.NewStoreWithOptions(lazyScripts{rdb}, limiter.StoreOptions{Prefix: prefix})
}

// lazyScripts lets the limiter's store start while Redis is away: a failed
// SCRIPT LOAD answers the script's SHA1 (what Redis would answer), and the
// store loads the script for real on the first NOSCRIPT, once Redis is back.
type lazyScripts struct {
	redis.UniversalClient
}

func (l lazyScripts) ScriptLoad(ctx context.Context, script string) *redis.StringCmd {
	cmd := l.UniversalClient.ScriptLoad(ctx, script)
	if cmd.Err() == nil {
		return cmd
	}
	sum := sha1.Sum([]byte(script))
	lazy := redis.NewStringCmd(ctx)
	lazy.SetVal(hex.EncodeToString(sum[:]))
	return lazy
}

// Rate returns the configured rate.
func (l *Limiter) Rate() limiter.Rate { return l.l.Rate }

// Take counts one call for key.
func (l *Limiter) Take(ctx context.Context, key string) (limiter.Context, error) {
	return l.l.Get(ctx, key)
}

// Peek reads key's count without counting a call.
func (l *Limiter) Peek(ctx context.Context, key string) (limiter.Context, error) {
	return l.l.Peek(ctx, key)
}

// Middleware counts one call per request under the key that key returns (the
// connection ID, never the client's IP), sets the X-RateLimit-* headers, and
// answers 429 RATE_LIMITED with Retry-After once the limit is spent. A store
// failure answers 503 UNAVAILABLE: no call passes uncounted.
func (l *Limiter) Middleware(key func(*gin.Context) string, fail func(*gin.Context, error)) gin.HandlerFunc {
	return mgin.NewMiddleware(l.l,
		mgin.WithKeyGetter(key),
		mgin.WithErrorHandler(func(c *gin.Context, err error) {
			fail(c, connectors.Wrap(err, connectors.CodeUnavailable, "rate limiter unavailable"))
		}),
		mgin.WithLimitReachedHandler(func(c *gin.Context) {
			retry := 1
			if reset, err := strconv.ParseInt(c.Writer.Header().Get("X-RateLimit-Reset"), 10, 64); err == nil {
				retry = max(1, int(reset-time.Now().Unix()))
			}
			fail(c, &connectors.Error{
				Code:       connectors.CodeRateLimited,
				Message:    fmt.Sprintf("rate limit of %d calls per %s reached for this connection; retry in %d s", l.l.Rate.Limit, l.l.Rate.Period, retry),
				RetryAfter: retry,
			})
		}),
	)
}
