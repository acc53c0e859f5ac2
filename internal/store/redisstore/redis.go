// Package redisstore is the shared connection store: every replica on one
// Redis sees the same connections and keys at once.
//
// Layout (prefix "igw:"):
//
//	igw:k:<key hash>  the connection record (JSON): one GET per API call
//	igw:c:<id>        the connection's current key hash
//	igw:cool:<id>     set while upstream throttles the connection; expires with it
package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/store"
)

const (
	prefixKey      = "igw:k:"
	prefixConn     = "igw:c:"
	prefixCooldown = "igw:cool:"
	maxRetries     = 20
)

// Store is a store.Store on Redis.
type Store struct {
	rdb redis.UniversalClient
}

var _ store.Store = (*Store)(nil)

// New returns a store on rdb. The caller owns rdb.
func New(rdb redis.UniversalClient) *Store { return &Store{rdb: rdb} }

func unavailable(err error) error {
	if err == nil || errors.Is(err, connectors.ErrNotFound) {
		return err
	}
	var ce *connectors.Error
	if errors.As(err, &ce) {
		return err
	}
	return connectors.Wrap(err, connectors.CodeUnavailable, "connection store unavailable")
}

// createScript stores both keys, or neither when the ID or key exists.
var createScript = redis.NewScript(`
if redis.call("EXISTS", KEYS[1]) == 1 or redis.call("EXISTS", KEYS[2]) == 1 then
  return 0
end
redis.call("SET", KEYS[1], ARGV[1])
redis.call("SET", KEYS[2], ARGV[2])
return 1
`)

func (s *Store) Create(ctx context.Context, c *connectors.Connection) error {
	raw, err := json.Marshal(c)
	if err != nil {
		return err
	}
	n, err := createScript.Run(ctx, s.rdb, []string{prefixConn + c.ID, prefixKey + c.KeyHash}, c.KeyHash, raw).Int()
	if err != nil {
		return unavailable(err)
	}
	if n == 0 {
		return fmt.Errorf("connection %s already exists", c.ID)
	}
	return nil
}

func decode(raw string) (*connectors.Connection, error) {
	var c connectors.Connection
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return nil, fmt.Errorf("decode connection: %w", err)
	}
	return &c, nil
}

// lookupScript reads a key's record and its connection's cooldown (PTTL of
// igw:cool:<id>) in one round trip.
var lookupScript = redis.NewScript(`
local rec = redis.call("GET", KEYS[1])
if not rec then return false end
local ok, c = pcall(cjson.decode, rec)
local ttl = -2
if ok and type(c) == "table" and type(c.id) == "string" then
  ttl = redis.call("PTTL", ARGV[1] .. c.id)
end
return {rec, ttl}
`)

func (s *Store) ByKeyHash(ctx context.Context, hash string) (*connectors.Connection, error) {
	res, err := lookupScript.Run(ctx, s.rdb, []string{prefixKey + hash}, prefixCooldown).Slice()
	if errors.Is(err, redis.Nil) {
		return nil, connectors.ErrNotFound
	}
	if err != nil {
		return nil, unavailable(err)
	}
	raw, _ := res[0].(string)
	c, err := decode(raw)
	if err != nil {
		return nil, err
	}
	if ttl, _ := res[1].(int64); ttl > 0 {
		c.CooldownUntil = time.Now().Add(time.Duration(ttl) * time.Millisecond)
	}
	return c, nil
}

// Cooldown sets igw:cool:<id> to expire when upstream lets the connection
// call again (never shortening a longer one).
func (s *Store) Cooldown(ctx context.Context, id string, until time.Time) error {
	d := time.Until(until)
	if d <= 0 {
		return nil
	}
	return unavailable(cooldownScript.Run(ctx, s.rdb, []string{prefixCooldown + id}, d.Milliseconds()).Err())
}

// cooldownScript sets the cooldown key to expire in ARGV[1] ms unless it
// already lives longer.
var cooldownScript = redis.NewScript(`
if redis.call("PTTL", KEYS[1]) < tonumber(ARGV[1]) then
  redis.call("SET", KEYS[1], "1", "PX", ARGV[1])
end
return 1
`)

func (s *Store) Get(ctx context.Context, id string) (*connectors.Connection, error) {
	for range maxRetries {
		hash, err := s.rdb.Get(ctx, prefixConn+id).Result()
		if errors.Is(err, redis.Nil) {
			return nil, connectors.ErrNotFound
		}
		if err != nil {
			return nil, unavailable(err)
		}
		c, err := s.ByKeyHash(ctx, hash)
		if !errors.Is(err, connectors.ErrNotFound) {
			return c, err
		}
		// The key was rotated between the two reads: read the new hash.
	}
	return nil, connectors.ErrNotFound
}

func (s *Store) List(ctx context.Context) ([]*connectors.Connection, error) {
	var ids []string
	iter := s.rdb.Scan(ctx, 0, prefixConn+"*", 1000).Iterator()
	for iter.Next(ctx) {
		ids = append(ids, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return nil, unavailable(err)
	}
	out := make([]*connectors.Connection, 0, len(ids))
	for start := 0; start < len(ids); start += 500 {
		batch := ids[start:min(start+500, len(ids))]
		hashes, err := s.rdb.MGet(ctx, batch...).Result()
		if err != nil {
			return nil, unavailable(err)
		}
		keys := make([]string, 0, len(hashes))
		for _, h := range hashes {
			if h, ok := h.(string); ok {
				keys = append(keys, prefixKey+h)
			}
		}
		if len(keys) == 0 {
			continue
		}
		recs, err := s.rdb.MGet(ctx, keys...).Result()
		if err != nil {
			return nil, unavailable(err)
		}
		for _, r := range recs {
			if r, ok := r.(string); ok {
				c, err := decode(r)
				if err != nil {
					return nil, err
				}
				out = append(out, c)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, nil
}

// update runs fn on the connection id under WATCH, so concurrent rotations
// and deletions never leave two live keys or an orphan record.
func (s *Store) update(ctx context.Context, id string, fn func(p redis.Pipeliner, c *connectors.Connection) error) error {
	connKey := prefixConn + id
	for range maxRetries {
		err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			hash, err := tx.Get(ctx, connKey).Result()
			if errors.Is(err, redis.Nil) {
				return connectors.ErrNotFound
			}
			if err != nil {
				return err
			}
			raw, err := tx.Get(ctx, prefixKey+hash).Result()
			if errors.Is(err, redis.Nil) {
				// Rotated or deleted since we read the hash: look again.
				return redis.TxFailedErr
			}
			if err != nil {
				return err
			}
			c, err := decode(raw)
			if err != nil {
				return err
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error { return fn(p, c) })
			return err
		}, connKey)
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		return unavailable(err)
	}
	return connectors.Errorf(connectors.CodeUnavailable, "connection %s is being changed concurrently; try again", id)
}

func (s *Store) Rotate(ctx context.Context, id, newHash string) error {
	return s.update(ctx, id, func(p redis.Pipeliner, c *connectors.Connection) error {
		old := c.KeyHash
		c.KeyHash = newHash
		raw, err := json.Marshal(c)
		if err != nil {
			return err
		}
		p.Del(ctx, prefixKey+old)
		p.Set(ctx, prefixKey+newHash, raw, 0)
		p.Set(ctx, prefixConn+id, newHash, 0)
		return nil
	})
}

func (s *Store) Delete(ctx context.Context, id string) error {
	return s.update(ctx, id, func(p redis.Pipeliner, c *connectors.Connection) error {
		p.Del(ctx, prefixKey+c.KeyHash, prefixConn+id)
		return nil
	})
}

func (s *Store) Ping(ctx context.Context) error {
	return unavailable(s.rdb.Ping(ctx).Err())
}

// Close does nothing: the caller owns the client.
func (s *Store) Close() error { return nil }
