package connections

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/redistest"
	"github.com/igconnect/gateway/internal/secret"
	"github.com/igconnect/gateway/internal/store"
	"github.com/igconnect/gateway/internal/store/boltstore"
	"github.com/igconnect/gateway/internal/store/redisstore"
)

// Key lookup: from an API key to its connection, as every call does, over
// 1,000 stored connections, on each store.
func BenchmarkAuthenticate(b *testing.B) {
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		open func(b *testing.B) store.Store
	}{
		{"bolt", func(b *testing.B) store.Store {
			s, err := boltstore.Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			return s
		}},
		{"redis", func(b *testing.B) store.Store {
			rdb := redis.NewClient(&redis.Options{Addr: redistest.Start(b, "--appendfsync", "everysec").Addr})
			b.Cleanup(func() { rdb.Close() })
			return redisstore.New(rdb)
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			st := bc.open(b)
			sealer, _ := secret.NewSealer(make([]byte, 32))
			svc := New(st, sealer, nil)
			keys := make([]string, 1000)
			for i := range keys {
				id, _ := secret.NewID()
				keys[i], _ = secret.NewAPIKey(id)
				sealed, _ := sealer.Seal(id, "IGAAbenchmarkToken")
				if err := st.Create(ctx, &connectors.Connection{ID: id, Name: "bench", InstagramUserID: "17841400000000001",
					Username: "bench", CreatedAt: time.Now(), KeyHash: sealer.KeyHash(id, keys[i]), EncryptedToken: sealed}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := svc.Authenticate(ctx, keys[i%len(keys)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
