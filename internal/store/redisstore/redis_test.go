package redisstore

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/redistest"
	"github.com/igconnect/gateway/internal/store"
	"github.com/igconnect/gateway/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	srv := redistest.Start(t, "--databases", "64")
	db := 0
	storetest.Run(t, func(t *testing.T) store.Store {
		db++ // a fresh database per subtest
		rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, DB: db})
		t.Cleanup(func() { rdb.Close() })
		return New(rdb)
	})
}

func TestUnavailable(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer rdb.Close()
	s := New(rdb)
	srv.Stop()
	ctx := context.Background()
	for name, err := range map[string]error{
		"Get":          func() error { _, err := s.Get(ctx, "conn_u"); return err }(),
		"Ping":         s.Ping(ctx),
		"Create":       s.Create(ctx, storetest.Conn("conn_u", "hu")),
		"Rotate":       s.Rotate(ctx, "conn_u", storetest.Hash("h2")),
		"SetToken":     s.SetToken(ctx, "conn_u", "17841400000000001", []byte("t"), "u", connectors.Lifecycle{}),
		"SetLifecycle": s.SetLifecycle(ctx, "conn_u", []byte("t"), connectors.Lifecycle{}, nil),
		"Schedule":     s.Schedule(ctx, "conn_u", time.Now()),
		"ClaimDue":     func() error { _, err := s.ClaimDue(ctx, time.Now(), 1, time.Second); return err }(),
	} {
		if connectors.ErrorCode(err) != connectors.CodeUnavailable {
			t.Errorf("%s: %v, want UNAVAILABLE", name, err)
		}
	}
}
