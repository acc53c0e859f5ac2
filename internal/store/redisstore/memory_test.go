package redisstore

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/redistest"
	"github.com/igconnect/gateway/internal/secret"
)

// realisticConnection is a connection as production stores it: an ID from
// secret.NewID, a 17-digit Instagram user ID, a username and a name, and an
// Instagram user token of 184 characters sealed with AES-GCM.
func realisticConnection(t testing.TB, sealer *secret.Sealer, i int) *connectors.Connection {
	id, err := secret.NewID()
	if err != nil {
		t.Fatal(err)
	}
	key, _ := secret.NewAPIKey(id)
	b := make([]byte, 90)
	rand.Read(b)
	token := ("IGAA" + fmt.Sprintf("%x", b))[:184]
	sealed, err := sealer.Seal(id, token)
	if err != nil {
		t.Fatal(err)
	}
	return &connectors.Connection{
		ID:              id,
		Name:            fmt.Sprintf("Brand account %05d", i),
		InstagramUserID: strconv.Itoa(17841400000000000 + i),
		Username:        fmt.Sprintf("brand_shop_%05d", i),
		CreatedAt:       time.Now().UTC(),
		KeyHash:         sealer.KeyHash(id, key),
		EncryptedToken:  sealed,
	}
}

func usedMemory(t testing.TB, rdb *redis.Client) int64 {
	info, err := rdb.Info(context.Background(), "memory").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(l, "used_memory:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	t.Fatal("no used_memory")
	return 0
}

// Redis memory per stored connection, over 10,000 realistic connections:
// the sum of MEMORY USAGE of every key the store writes, and the growth of
// used_memory (which also counts the keyspace's hash table), each at most
// 512 bytes per connection.
func TestMemoryPerConnection(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 connections")
	}
	const n = 10000
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	ctx := context.Background()
	s := New(rdb)
	sealer, err := secret.NewSealer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	// Warm the keyspace so its fixed overhead is not counted.
	if err := s.Create(ctx, realisticConnection(t, sealer, -1)); err != nil {
		t.Fatal(err)
	}
	before := usedMemory(t, rdb)
	for i := range n {
		if err := s.Create(ctx, realisticConnection(t, sealer, i)); err != nil {
			t.Fatal(err)
		}
	}
	after := usedMemory(t, rdb)

	var keys []string
	iter := rdb.Scan(ctx, 0, "igw:*", 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	cmds, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.MemoryUsage(ctx, k)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, c := range cmds {
		sum += c.(*redis.IntCmd).Val()
	}
	perKeys := float64(sum) / float64(n+1)
	perUsed := float64(after-before) / float64(n)
	t.Logf("%d keys; MEMORY USAGE: %.0f bytes per connection; used_memory growth: %.0f bytes per connection", len(keys), perKeys, perUsed)
	if perKeys > 512 || perUsed > 512 {
		t.Errorf("per connection: MEMORY USAGE %.0f B, used_memory %.0f B; want both ≤ 512 B", perKeys, perUsed)
	}
}
