// Package boltstore is the embedded connection store: one crash-safe bbolt
// file under the data directory.
package boltstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/store"
)

// bucketConns holds id -> JSON connection (its key hash included).
var bucketConns = []byte("connections")

// FileName is the store's file in the data directory.
const FileName = "gateway.db"

// Store is a store.Store on a bbolt file.
type Store struct {
	db *bolt.DB

	mu        sync.Mutex
	cooldowns map[string]time.Time // one process: kept in memory
}

var _ store.Store = (*Store)(nil)

// Open opens (or creates) the store in dir. It fails after a second if
// another process holds the file (a running gateway).
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("%s is in use by another process (a running gateway?): use the admin API, or stop it", path)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketConns)
		return err
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Store{db: db, cooldowns: map[string]time.Time{}}, nil
}

func (s *Store) Create(_ context.Context, c *connectors.Connection) error {
	raw, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		conns := tx.Bucket(bucketConns)
		if conns.Get([]byte(c.ID)) != nil {
			return fmt.Errorf("connection %s already exists", c.ID)
		}
		return conns.Put([]byte(c.ID), raw)
	})
}

func get(tx *bolt.Tx, id []byte) (*connectors.Connection, error) {
	raw := tx.Bucket(bucketConns).Get(id)
	if raw == nil {
		return nil, connectors.ErrNotFound
	}
	var c connectors.Connection
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("decode connection: %w", err)
	}
	return &c, nil
}

func (s *Store) Get(_ context.Context, id string) (c *connectors.Connection, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		c, err = get(tx, []byte(id))
		return err
	})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if until, ok := s.cooldowns[c.ID]; ok {
		if time.Now().Before(until) {
			c.CooldownUntil = until
		} else {
			delete(s.cooldowns, c.ID)
		}
	}
	s.mu.Unlock()
	return c, nil
}

func (s *Store) List(_ context.Context) ([]*connectors.Connection, error) {
	var out []*connectors.Connection
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketConns).ForEach(func(k, _ []byte) error {
			c, err := get(tx, k)
			if err != nil {
				return err
			}
			out = append(out, c)
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, err
}

func (s *Store) Cooldown(_ context.Context, id string, until time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if until.After(s.cooldowns[id]) {
		s.cooldowns[id] = until
	}
	return nil
}

func (s *Store) Rotate(_ context.Context, id, newHash string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		c, err := get(tx, []byte(id))
		if err != nil {
			return err
		}
		c.KeyHash = newHash
		raw, err := json.Marshal(c)
		if err != nil {
			return err
		}
		return tx.Bucket(bucketConns).Put([]byte(id), raw)
	})
}

func (s *Store) Delete(_ context.Context, id string) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		conns := tx.Bucket(bucketConns)
		if conns.Get([]byte(id)) == nil {
			return connectors.ErrNotFound
		}
		return conns.Delete([]byte(id))
	})
	if err == nil {
		s.mu.Lock()
		delete(s.cooldowns, id)
		s.mu.Unlock()
	}
	return err
}

func (s *Store) Ping(context.Context) error {
	return s.db.View(func(*bolt.Tx) error { return nil })
}

func (s *Store) Close() error { return s.db.Close() }
