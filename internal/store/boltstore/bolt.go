// Package boltstore is the embedded connection store: one crash-safe bbolt
// file under the data directory.
package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
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
	"github.com/igconnect/gateway/internal/secret"
	"github.com/igconnect/gateway/internal/store"
)

// bucketConns holds id -> JSON record (its key hash included); bucketMeta
// holds the store's canary. The refresh schedule is two buckets kept
// together: bucketDue holds due time (8 bytes, big-endian Unix
// milliseconds) followed by the ID -> nothing, in time order, and
// bucketDueByID holds id -> its due time.
var (
	bucketConns   = []byte("connections")
	bucketMeta    = []byte("meta")
	bucketDue     = []byte("due")
	bucketDueByID = []byte("due_by_id")
	// bucketTickets holds kind 0x00 key -> expiry (8 bytes, big-endian
	// Unix milliseconds, 0: none) then the value.
	bucketTickets = []byte("tickets")
	keyCanary     = []byte("canary")
)

// record is a connection as stored: its key hash is bare hex in key_hash,
// and key_hash_version tells its kind (absent: legacy, written before v2,
// a SHA-256; 2: keyed, see secret.KeyedHashPrefix).
type record struct {
	connectors.Connection
	KeyHashVersion int `json:"key_hash_version,omitempty"`
}

const keyHashKeyed = 2

func encode(c *connectors.Connection) ([]byte, error) {
	r := record{Connection: *c}
	if secret.IsKeyedHash(c.KeyHash) {
		r.KeyHash, r.KeyHashVersion = c.KeyHash[len(secret.KeyedHashPrefix):], keyHashKeyed
	}
	return json.Marshal(r)
}

func decode(raw []byte) (*connectors.Connection, error) {
	var r record
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("decode connection: %w", err)
	}
	switch r.KeyHashVersion {
	case 0:
	case keyHashKeyed:
		r.KeyHash = secret.KeyedHashPrefix + r.KeyHash
	default:
		return nil, fmt.Errorf("decode connection: key hash version %d is not one this gateway reads", r.KeyHashVersion)
	}
	if r.Status != "" && !r.Status.Valid() {
		return nil, fmt.Errorf("decode connection: status %q is not one this gateway reads", r.Status)
	}
	return &r.Connection, nil
}

// FileName is the store's file in the data directory.
const FileName = "gateway.db"

// Store is a store.Store on a bbolt file.
type Store struct {
	db *bolt.DB

	mu        sync.Mutex
	cooldowns map[string]time.Time // one process: kept in memory
	puts      int                  // PutTicket calls, for pruning
	// records caches decoded records for Get, the lookup behind every
	// call: the file has one writer, this process, so every change goes
	// through a method below, which drops the entry (invalidate). gen
	// counts the changes, so that a read that overlapped one is not
	// cached.
	records map[string]*connectors.Connection
	gen     uint64
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
		for _, b := range [][]byte{bucketConns, bucketMeta, bucketDue, bucketDueByID, bucketTickets} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Store{db: db, cooldowns: map[string]time.Time{}, records: map[string]*connectors.Connection{}}, nil
}

// invalidate drops connection id's cached record after a write of it.
func (s *Store) invalidate(id string) {
	s.mu.Lock()
	s.gen++
	delete(s.records, id)
	s.mu.Unlock()
}

// update runs a write of connection id's record and drops its cached one.
func (s *Store) update(id string, fn func(tx *bolt.Tx) error) error {
	defer s.invalidate(id)
	return s.db.Update(fn)
}

func (s *Store) Create(_ context.Context, c *connectors.Connection) error {
	raw, err := encode(c)
	if err != nil {
		return err
	}
	return s.update(c.ID, func(tx *bolt.Tx) error {
		conns := tx.Bucket(bucketConns)
		if conns.Get([]byte(c.ID)) != nil {
			return fmt.Errorf("connection %s already exists", c.ID)
		}
		return conns.Put([]byte(c.ID), raw)
	})
}

// get reads the record stored under id. A record is bound to its key: one
// whose own ID differs (moved or copied from another connection) is refused.
func get(tx *bolt.Tx, id []byte) (*connectors.Connection, error) {
	raw := tx.Bucket(bucketConns).Get(id)
	if raw == nil {
		return nil, connectors.ErrNotFound
	}
	c, err := decode(raw)
	if err != nil {
		return nil, err
	}
	if c.ID != string(id) {
		return nil, fmt.Errorf("connection %s: %w", id, errMoved)
	}
	return c, nil
}

// errMoved is a record found under another connection's ID.
var errMoved = errors.New("the stored record belongs to another connection (moved or tampered with)")

func (s *Store) Get(_ context.Context, id string) (c *connectors.Connection, err error) {
	s.mu.Lock()
	cached, gen := s.records[id], s.gen
	s.mu.Unlock()
	if cached == nil {
		err = s.db.View(func(tx *bolt.Tx) error {
			cached, err = get(tx, []byte(id))
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	cp := *cached
	c = &cp
	s.mu.Lock()
	if s.gen == gen {
		s.records[id] = cached
	}
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
	return s.update(id, func(tx *bolt.Tx) error {
		c, err := get(tx, []byte(id))
		if err != nil {
			return err
		}
		c.KeyHash = newHash
		return put(tx, c)
	})
}

func put(tx *bolt.Tx, c *connectors.Connection) error {
	raw, err := encode(c)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketConns).Put([]byte(c.ID), raw)
}

func (s *Store) UpgradeKey(_ context.Context, old *connectors.Connection, newHash string, newToken []byte) (upgraded bool, err error) {
	err = s.update(old.ID, func(tx *bolt.Tx) error {
		c, err := get(tx, []byte(old.ID))
		if err != nil {
			return err
		}
		if c.KeyHash != old.KeyHash || !bytes.Equal(c.EncryptedToken, old.EncryptedToken) {
			return nil // changed since it was read
		}
		c.KeyHash, c.EncryptedToken = newHash, newToken
		upgraded = true
		return put(tx, c)
	})
	return upgraded && err == nil, err
}

func (s *Store) SetToken(_ context.Context, id, userID string, sealed []byte, username string, life connectors.Lifecycle) error {
	life, err := stored(life)
	if err != nil {
		return err
	}
	return s.update(id, func(tx *bolt.Tx) error {
		c, err := get(tx, []byte(id))
		if err != nil {
			return err
		}
		if c.InstagramUserID != userID || !secret.IsKeyedHash(c.KeyHash) {
			return store.ErrTokenConflict
		}
		c.EncryptedToken, c.Username, c.Lifecycle = sealed, username, life
		return put(tx, c)
	})
}

// stored returns life as a record holds it: a known status, active as
// none, times in UTC milliseconds.
func stored(life connectors.Lifecycle) (connectors.Lifecycle, error) {
	if life.Status != "" && !life.Status.Valid() {
		return life, fmt.Errorf("unknown connection status %q", life.Status)
	}
	if life.Status == connectors.StatusActive {
		life.Status = "" // as records without a status read
	}
	ms := func(t time.Time) time.Time {
		if t.IsZero() {
			return t
		}
		return t.UTC().Truncate(time.Millisecond)
	}
	if life.LastError != nil {
		e := *life.LastError
		e.At = ms(e.At)
		life.LastError = &e
	}
	life.TokenExpiresAt, life.TokenRefreshedAt, life.RefreshDueAt = ms(life.TokenExpiresAt), ms(life.TokenRefreshedAt), ms(life.RefreshDueAt)
	return life, nil
}

func (s *Store) SetLifecycle(_ context.Context, id string, sealed []byte, life connectors.Lifecycle, next []byte) error {
	life, err := stored(life)
	if err != nil {
		return err
	}
	return s.update(id, func(tx *bolt.Tx) error {
		c, err := get(tx, []byte(id))
		if err != nil {
			return err
		}
		if !bytes.Equal(c.EncryptedToken, sealed) || !secret.IsKeyedHash(c.KeyHash) {
			return store.ErrTokenConflict
		}
		c.Lifecycle = life
		if next != nil {
			c.EncryptedToken = next
		}
		return put(tx, c)
	})
}

// dueKey is id's key in bucketDue at ms.
func dueKey(ms uint64, id string) []byte {
	return append(binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(id)), ms), id...)
}

// scheduleMode says when schedule keeps an entry as it is.
type scheduleMode int

const (
	always   scheduleMode = iota // replace it
	noLater                      // keep it when it is due earlier
	ifAbsent                     // keep it
)

// schedule sets id's due time to at, unless mode keeps the entry there is.
func schedule(tx *bolt.Tx, id string, at time.Time, mode scheduleMode) error {
	due, byID := tx.Bucket(bucketDue), tx.Bucket(bucketDueByID)
	ms := uint64(max(at.UnixMilli(), 0))
	if old := byID.Get([]byte(id)); len(old) == 8 {
		was := binary.BigEndian.Uint64(old)
		if mode == ifAbsent || (mode == noLater && was <= ms) {
			return nil
		}
		if err := due.Delete(dueKey(was, id)); err != nil {
			return err
		}
	}
	if err := due.Put(dueKey(ms, id), nil); err != nil {
		return err
	}
	return byID.Put([]byte(id), binary.BigEndian.AppendUint64(nil, ms))
}

func (s *Store) Schedule(_ context.Context, id string, at time.Time) error {
	return s.db.Update(func(tx *bolt.Tx) error { return schedule(tx, id, at, always) })
}

func (s *Store) ScheduleNoLater(_ context.Context, id string, at time.Time) error {
	return s.db.Update(func(tx *bolt.Tx) error { return schedule(tx, id, at, noLater) })
}

func (s *Store) ScheduleIfAbsent(_ context.Context, id string, at time.Time) error {
	return s.db.Update(func(tx *bolt.Tx) error { return schedule(tx, id, at, ifAbsent) })
}

// unschedule removes id from the schedule.
func unschedule(tx *bolt.Tx, id string) error {
	byID := tx.Bucket(bucketDueByID)
	old := byID.Get([]byte(id))
	if len(old) != 8 {
		return nil
	}
	if err := tx.Bucket(bucketDue).Delete(dueKey(binary.BigEndian.Uint64(old), id)); err != nil {
		return err
	}
	return byID.Delete([]byte(id))
}

func (s *Store) Unschedule(_ context.Context, id string) error {
	return s.db.Update(func(tx *bolt.Tx) error { return unschedule(tx, id) })
}

func (s *Store) Settle(_ context.Context, id string, claim, at time.Time) (settled bool, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		cur := tx.Bucket(bucketDueByID).Get([]byte(id))
		if len(cur) != 8 || binary.BigEndian.Uint64(cur) != uint64(max(claim.UnixMilli(), 0)) {
			return nil
		}
		settled = true
		if at.IsZero() {
			return unschedule(tx, id)
		}
		return schedule(tx, id, at, always)
	})
	return settled, err
}

func (s *Store) ClaimDue(_ context.Context, now time.Time, n int, lease time.Duration) (ids []string, err error) {
	if n <= 0 {
		return nil, nil
	}
	until := uint64(max(now.UnixMilli(), 0))
	err = s.db.Update(func(tx *bolt.Tx) error {
		cur := tx.Bucket(bucketDue).Cursor()
		for k, _ := cur.First(); k != nil && len(ids) < n; k, _ = cur.Next() {
			if len(k) < 8 || binary.BigEndian.Uint64(k) > until {
				break
			}
			ids = append(ids, string(k[8:]))
		}
		for _, id := range ids {
			if err := schedule(tx, id, now.Add(lease), always); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

func (s *Store) Canary(context.Context) (c []byte, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketMeta).Get(keyCanary)
		if v == nil {
			return connectors.ErrNotFound
		}
		c = bytes.Clone(v)
		return nil
	})
	return c, err
}

func (s *Store) CreateCanary(_ context.Context, sealed []byte) (c []byte, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if v := meta.Get(keyCanary); v != nil {
			c = bytes.Clone(v)
			return nil
		}
		c = bytes.Clone(sealed)
		return meta.Put(keyCanary, c)
	})
	return c, err
}

func (s *Store) Delete(_ context.Context, id string) error {
	err := s.update(id, func(tx *bolt.Tx) error {
		conns := tx.Bucket(bucketConns)
		if conns.Get([]byte(id)) == nil {
			return connectors.ErrNotFound
		}
		if err := conns.Delete([]byte(id)); err != nil {
			return err
		}
		return unschedule(tx, id)
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

func ticketKey(kind, key string) []byte { return []byte(kind + "\x00" + key) }

// ticketPruneEvery: one PutTicket in this many also removes expired tickets.
const ticketPruneEvery = 64

func (s *Store) PutTicket(_ context.Context, kind, key string, value []byte, ttl time.Duration) error {
	var exp uint64
	if ttl > 0 {
		exp = uint64(time.Now().Add(ttl).UnixMilli())
	}
	s.mu.Lock()
	s.puts++
	prune := s.puts%ticketPruneEvery == 0
	s.mu.Unlock()
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTickets)
		if prune {
			if err := pruneTickets(b); err != nil {
				return err
			}
		}
		return b.Put(ticketKey(kind, key), append(binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(value)), exp), value...))
	})
}

// pruneTickets removes the expired tickets of b.
func pruneTickets(b *bolt.Bucket) error {
	var expired [][]byte
	now := uint64(time.Now().UnixMilli())
	if err := b.ForEach(func(k, v []byte) error {
		if len(v) < 8 || (binary.BigEndian.Uint64(v) != 0 && binary.BigEndian.Uint64(v) <= now) {
			expired = append(expired, bytes.Clone(k))
		}
		return nil
	}); err != nil {
		return err
	}
	for _, k := range expired {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// liveTicket returns ticket k's value, or ErrNotFound when it is missing or
// expired.
func liveTicket(b *bolt.Bucket, k []byte) ([]byte, error) {
	v := b.Get(k)
	if len(v) < 8 {
		return nil, connectors.ErrNotFound
	}
	if exp := binary.BigEndian.Uint64(v); exp != 0 && exp <= uint64(time.Now().UnixMilli()) {
		return nil, connectors.ErrNotFound
	}
	return v, nil
}

func (s *Store) GetTicket(_ context.Context, kind, key string) (out []byte, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		v, err := liveTicket(tx.Bucket(bucketTickets), ticketKey(kind, key))
		out = bytes.Clone(v[min(8, len(v)):])
		return err
	})
	return out, err
}

func (s *Store) TakeTicket(_ context.Context, kind, key string) (out []byte, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		b, k := tx.Bucket(bucketTickets), ticketKey(kind, key)
		v, err := liveTicket(b, k)
		if err != nil {
			return err
		}
		out = bytes.Clone(v[8:])
		return b.Delete(k)
	})
	return out, err
}

func (s *Store) SwapTicket(_ context.Context, kind, key string, value []byte) (out []byte, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		b, k := tx.Bucket(bucketTickets), ticketKey(kind, key)
		v, err := liveTicket(b, k)
		if err != nil {
			return err
		}
		out = bytes.Clone(v[8:])
		return b.Put(k, append(bytes.Clone(v[:8]), value...))
	})
	return out, err
}

func (s *Store) RenewTicket(_ context.Context, kind, key string, ttl time.Duration) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, k := tx.Bucket(bucketTickets), ticketKey(kind, key)
		v, err := liveTicket(b, k)
		if err != nil {
			return err
		}
		out := binary.BigEndian.AppendUint64(make([]byte, 0, len(v)), uint64(time.Now().Add(ttl).UnixMilli()))
		return b.Put(k, append(out, v[8:]...))
	})
}

func (s *Store) DeleteTicket(_ context.Context, kind, key string) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketTickets).Delete(ticketKey(kind, key)) })
}
