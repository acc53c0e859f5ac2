package limits

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/ulule/limiter/v3"

	"github.com/igconnect/gateway/internal/redistest"
)

// The limiter check of every call, over 1,000 connections, in process and
// in Redis.
func BenchmarkTake(b *testing.B) {
	rate := limiter.Rate{Limit: 1 << 40, Period: time.Minute, Formatted: "huge-M"}
	ctx := context.Background()
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = "conn_" + strconv.Itoa(i)
	}
	for _, bc := range []struct {
		name string
		open func(b *testing.B) *Limiter
	}{
		{"memory", func(*testing.B) *Limiter { return NewMemory(rate) }},
		{"redis", func(b *testing.B) *Limiter {
			rdb := redis.NewClient(&redis.Options{Addr: redistest.Start(b, "--appendfsync", "everysec").Addr})
			b.Cleanup(func() { rdb.Close() })
			l, err := NewRedis(ctx, rdb, rate)
			if err != nil {
				b.Fatal(err)
			}
			return l
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			l := bc.open(b)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := l.Take(ctx, ids[i%len(ids)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
