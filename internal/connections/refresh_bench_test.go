package connections

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/igconnect/gateway/internal/clocktest"
	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/connectors/instagram"
	"github.com/igconnect/gateway/internal/fakegraph"
	"github.com/igconnect/gateway/internal/redistest"
	"github.com/igconnect/gateway/internal/secret"
	"github.com/igconnect/gateway/internal/store/redisstore"
)

// BenchmarkSweep measures one sweep on Redis among 100,000 connections:
// with 1% of them due (each refreshed against the fake Graph API on
// loopback), and with none due. The sweep reads the schedule, not the
// connections: its cost follows what is due.
//
//	go test -run '^$' -bench BenchmarkSweep -benchtime 5x ./internal/connections/
func BenchmarkSweep(b *testing.B) {
	const total, due = 100_000, 1_000
	ctx := context.Background()
	srv := redistest.Start(b, "--appendfsync", "everysec")
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: 64})
	defer rdb.Close()
	st := redisstore.New(rdb)

	clk := clocktest.New(epoch)
	f := fakegraph.New()
	f.Now = clk.Now
	up := httptest.NewServer(f)
	defer up.Close()
	sealer, err := secret.NewSealer(testKey)
	if err != nil {
		b.Fatal(err)
	}
	conn := instagram.New(&instagram.Client{BaseURL: up.URL, HTTP: instagram.NewHTTPClient(5 * time.Second)}, "v21.0", time.Second)
	s := New(st, sealer, conn)
	s.Now = clk.Now
	r := NewRefresher(s, slog.New(slog.NewJSONHandler(io.Discard, nil)), nil)
	r.MaxPerSweep = total

	// total connections written straight to the store (pipelined), the
	// first due of them with a token the fake knows, the rest due in a
	// year.
	dueIDs := make([]string, 0, due)
	for start := 0; start < total; start += 1000 {
		conns := make([]*connectors.Connection, 0, 1000)
		for i := start; i < start+1000; i++ {
			id, _ := secret.NewID()
			tok := fmt.Sprintf("IGAAbenchToken%026d", i)
			if i < due {
				f.AddUser(fakegraph.User{ID: fmt.Sprintf("178414%011d", i), Username: fmt.Sprint("bench", i)}, tok)
				dueIDs = append(dueIDs, id)
			}
			sealed, err := sealer.Seal(id, tok)
			if err != nil {
				b.Fatal(err)
			}
			c := &connectors.Connection{ID: id, InstagramUserID: fmt.Sprintf("178414%011d", i), CreatedAt: epoch,
				KeyHash: sealer.KeyHash(id, "k"), EncryptedToken: sealed}
			c.RefreshDueAt = epoch.Add(365 * day)
			if i < due {
				c.RefreshDueAt = epoch
			}
			conns = append(conns, c)
		}
		if err := createAll(ctx, st, conns); err != nil {
			b.Fatal(err)
		}
	}
	b.Run(fmt.Sprintf("connections=%d/due=%d", total, due), func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			b.StopTimer()
			clk.Add(31 * day) // the fake's tokens are old enough, the records due
			for _, id := range dueIDs {
				if err := st.Schedule(ctx, id, clk.Now()); err != nil {
					b.Fatal(err)
				}
			}
			b.StartTimer()
			n, err := r.Sweep(ctx)
			if err != nil || n != due {
				b.Fatalf("swept %d, %v", n, err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*due), "µs/refresh")
	})
	b.Run(fmt.Sprintf("connections=%d/due=0", total), func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if n, err := r.Sweep(ctx); err != nil || n != 0 {
				b.Fatalf("swept %d, %v", n, err)
			}
		}
	})
}

// createAll stores conns and schedules them at their due times, in
// parallel batches (the benchmark's setup, not what it measures).
func createAll(ctx context.Context, st *redisstore.Store, conns []*connectors.Connection) error {
	errs := make(chan error, len(conns))
	sem := make(chan struct{}, 32)
	for _, c := range conns {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			err := st.Schedule(ctx, c.ID, c.RefreshDueAt)
			if err == nil {
				err = st.Create(ctx, c)
			}
			errs <- err
		}()
	}
	for range conns {
		if err := <-errs; err != nil {
			return err
		}
	}
	return nil
}
