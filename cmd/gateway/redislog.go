package main

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisLogEvery is the least time between two of go-redis's lines: with
// Redis down it reports every failed dial, dozens a second.
const redisLogEvery = 10 * time.Second

// setRedisLogger routes go-redis's own logger (process-wide) through log, as
// rate-limited, redacted warn lines, instead of its plain-text lines on
// stderr.
func setRedisLogger(log *slog.Logger) {
	redis.SetLogger(newRedisLogger(log, redisLogEvery, time.Now))
}

// redisLogger is go-redis's Logging interface on slog: at most one line per
// interval, the next one counting the lines left out meanwhile.
type redisLogger struct {
	log   *slog.Logger
	every time.Duration
	now   func() time.Time

	mu         sync.Mutex
	next       time.Time // no line before then
	suppressed int       // lines left out since the last one
}

func newRedisLogger(log *slog.Logger, every time.Duration, now func() time.Time) *redisLogger {
	return &redisLogger{log: log, every: every, now: now}
}

// Printf implements go-redis's internal.Logging.
func (l *redisLogger) Printf(ctx context.Context, format string, v ...any) {
	suppressed, ok := l.admit()
	if !ok {
		return
	}
	attrs := []slog.Attr{slog.String("detail", redactSecrets(strings.TrimPrefix(fmt.Sprintf(format, v...), "redis: ")))}
	if suppressed > 0 {
		attrs = append(attrs, slog.Int("suppressed", suppressed))
	}
	if ctx == nil {
		ctx = context.Background()
	}
	l.log.LogAttrs(ctx, slog.LevelWarn, "redis client", attrs...)
}

// admit tells whether a line may be written now and, if so, how many were
// left out before it.
func (l *redisLogger) admit() (suppressed int, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Before(l.next) {
		l.suppressed++
		return 0, false
	}
	suppressed, l.suppressed = l.suppressed, 0
	l.next = now.Add(l.every)
	return suppressed, true
}

var (
	// urlCredentials is a URL's user information, up to its last "@" (a
	// password may hold one unescaped).
	urlCredentials = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]*://)\S*@`)
	// namedSecret is a password-looking assignment: password=…, token: ….
	namedSecret = regexp.MustCompile(`(?i)\b(password|passwd|pwd|secret|token)(\s*[=:]\s*)("[^"]*"|\S+)`)
)

// redactSecrets removes URL credentials and password-looking assignments
// from s.
func redactSecrets(s string) string {
	s = urlCredentials.ReplaceAllString(s, "${1}")
	return namedSecret.ReplaceAllString(s, "${1}${2}(hidden)")
}
