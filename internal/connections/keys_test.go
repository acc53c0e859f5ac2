package connections

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	bolt "go.etcd.io/bbolt"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/fakegraph"
	"github.com/igconnect/gateway/internal/redistest"
	"github.com/igconnect/gateway/internal/secret"
	"github.com/igconnect/gateway/internal/store"
	"github.com/igconnect/gateway/internal/store/boltstore"
	"github.com/igconnect/gateway/internal/store/redisstore"
)

// eachStore runs f on a fresh embedded store and a fresh store on a real
// redis-server.
func eachStore(t *testing.T, f func(t *testing.T, open func(t *testing.T) store.Store)) {
	t.Run("bolt", func(t *testing.T) { f(t, openBolt) })
	t.Run("redis", func(t *testing.T) { f(t, openRedis) })
}

func openRedis(t *testing.T) store.Store {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: redistest.Start(t).Addr})
	t.Cleanup(func() { rdb.Close() })
	return redisstore.New(rdb)
}

// legacyRecord builds connection id as the gateway stored it before v2:
// the bare SHA-256 of its API key, and its token sealed with AES-256-GCM
// under the encryption key itself, the ID as additional data.
func legacyRecord(t *testing.T, key []byte, id, apiKey, token string) *connectors.Connection {
	t.Helper()
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	sum := sha256.Sum256([]byte(apiKey))
	return &connectors.Connection{
		ID: id, Name: "legacy", InstagramUserID: fakegraph.DemoUserID, Username: "sandbox_creator",
		CreatedAt:      time.Now().UTC().Truncate(time.Millisecond),
		KeyHash:        hex.EncodeToString(sum[:]),
		EncryptedToken: aead.Seal(nonce, nonce, []byte(token), []byte(id)),
	}
}

// newLegacy stores a legacy connection and returns its API key.
func newLegacy(t *testing.T, st store.Store, key []byte) (id, apiKey string) {
	t.Helper()
	id, _ = secret.NewID()
	apiKey, _ = secret.NewAPIKey(id)
	if err := st.Create(context.Background(), legacyRecord(t, key, id, apiKey, fakegraph.DemoToken)); err != nil {
		t.Fatal(err)
	}
	return id, apiKey
}

// overwrite replaces connection c.ID's record with c, as anyone with write
// access to the store can.
func overwrite(t *testing.T, st store.Store, c *connectors.Connection) {
	t.Helper()
	ctx := context.Background()
	if err := st.Delete(ctx, c.ID); err != nil && !errors.Is(err, connectors.ErrNotFound) {
		t.Fatal(err)
	}
	if err := st.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, st store.Store, id string) *connectors.Connection {
	t.Helper()
	c, err := st.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Write access to the store, without the encryption key, takes over no
// connection: whatever hash or record is written, a key of the writer's
// choosing is refused, and the connection's own key still works once the
// record is put back.
func TestStoreWriteCannotTakeOver(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ctx := context.Background()
		st := open(t)
		s, _ := newServiceOn(t, st, testKey)
		v, err := s.Create(ctx, fakegraph.DemoToken, "victim")
		if err != nil {
			t.Fatal(err)
		}
		other, err := s.Create(ctx, fakegraph.OtherToken, "attacker's own")
		if err != nil {
			t.Fatal(err)
		}
		victim, mine := get(t, st, v.ID), get(t, st, other.ID)
		attackerKey, _ := secret.NewAPIKey(v.ID)
		otherSealer, _ := secret.NewSealer(bytes.Repeat([]byte{9}, secret.KeySize))
		resealed, _ := otherSealer.Seal(v.ID, "IGAAattackerToken")
		tests := []struct {
			name   string
			record func() *connectors.Connection
			key    string
		}{
			{"legacy SHA-256 of the attacker's key", func() *connectors.Connection {
				c := *victim
				c.KeyHash = secret.LegacyKeyHash(attackerKey)
				c.Lifecycle = connectors.Lifecycle{} // a legacy record holds none
				return &c
			}, attackerKey},
			{"keyed hash under another encryption key", func() *connectors.Connection {
				c := *victim
				c.KeyHash = otherSealer.KeyHash(v.ID, attackerKey)
				return &c
			}, attackerKey},
			{"keyed hash and token both under another encryption key", func() *connectors.Connection {
				c := *victim
				c.KeyHash, c.EncryptedToken = otherSealer.KeyHash(v.ID, attackerKey), resealed
				return &c
			}, attackerKey},
			{"the attacker's own connection's hash", func() *connectors.Connection {
				c := *victim
				c.KeyHash = mine.KeyHash
				return &c
			}, "igw_" + v.ID + "." + other.APIKey[len(other.APIKey)-43:]},
			{"the attacker's own record copied to the victim's ID", func() *connectors.Connection {
				c := *mine
				c.ID = v.ID
				return &c
			}, "igw_" + v.ID + "." + other.APIKey[len(other.APIKey)-43:]},
			{"a legacy record whose token is another connection's", func() *connectors.Connection {
				c := legacyRecord(t, testKey, other.ID, attackerKey, fakegraph.OtherToken)
				c.ID = v.ID
				return c
			}, attackerKey},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				overwrite(t, st, tt.record())
				if c, err := s.Authenticate(ctx, tt.key); !errors.Is(err, ErrInvalidKey) {
					t.Fatalf("the forged record let a key in: %+v, %v", c, err)
				}
				overwrite(t, st, victim)
				if c, err := s.Authenticate(ctx, v.APIKey); err != nil || c.ID != v.ID {
					t.Fatalf("the victim's key after the record was put back: %v", err)
				}
				if _, err := s.Authenticate(ctx, tt.key); !errors.Is(err, ErrInvalidKey) {
					t.Fatalf("the forged record left a key in: %v", err)
				}
			})
		}
	})
}

// A record stored before v2 is accepted, and upgraded on that first
// success: keyed hash, token re-sealed v2. Its legacy hash is never
// accepted again.
func TestLegacyRecordUpgraded(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ctx := context.Background()
		st := open(t)
		s, _ := newServiceOn(t, st, testKey)
		id, apiKey := newLegacy(t, st, testKey)
		legacy := get(t, st, id)

		c, err := s.Authenticate(ctx, apiKey)
		if err != nil || c.ID != id {
			t.Fatalf("legacy key refused: %v", err)
		}
		if tok, err := s.Token(c); err != nil || tok != fakegraph.DemoToken {
			t.Fatalf("Token = %v", err)
		}
		stored := get(t, st, id)
		if !secret.IsKeyedHash(stored.KeyHash) || stored.KeyHash != s.Sealer.KeyHash(id, apiKey) || stored.KeyHash != c.KeyHash {
			t.Fatalf("stored key hash not upgraded: %q", stored.KeyHash)
		}
		if tok, err := s.Sealer.Open(id, stored.EncryptedToken); err != nil || tok != fakegraph.DemoToken {
			t.Fatalf("stored token not re-sealed v2: %v", err)
		}
		if _, err := s.Sealer.OpenLegacy(id, stored.EncryptedToken); err == nil {
			t.Fatal("the upgraded token still opens as legacy")
		}
		if stored.Name != legacy.Name || stored.Username != legacy.Username || !stored.CreatedAt.Equal(legacy.CreatedAt) {
			t.Fatalf("upgrade changed more than key and token: %+v", stored)
		}
		if c, err := s.Authenticate(ctx, apiKey); err != nil || c.ID != id {
			t.Fatalf("upgraded key refused: %v", err)
		}
		// The legacy hash written back beside the v2 token: refused.
		back := *stored
		back.KeyHash = legacy.KeyHash
		overwrite(t, st, &back)
		if _, err := s.Authenticate(ctx, apiKey); !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("a legacy hash beside a v2 token: %v", err)
		}
	})
}

// failingUpgrades is a store whose upgrades fail.
type failingUpgrades struct{ store.Store }

func (failingUpgrades) UpgradeKey(context.Context, *connectors.Connection, string, []byte) (bool, error) {
	return false, connectors.Errorf(connectors.CodeUnavailable, "connection store unavailable")
}

// A failed upgrade write does not fail the call; a later call upgrades.
func TestLegacyUpgradeWriteFails(t *testing.T) {
	ctx := context.Background()
	st := openBolt(t)
	s, _ := newServiceOn(t, failingUpgrades{st}, testKey)
	id, apiKey := newLegacy(t, st, testKey)
	c, err := s.Authenticate(ctx, apiKey)
	if err != nil {
		t.Fatalf("the call failed with its upgrade: %v", err)
	}
	if tok, err := s.Token(c); err != nil || tok != fakegraph.DemoToken {
		t.Fatalf("Token of a legacy record = %v", err)
	}
	if secret.IsKeyedHash(get(t, st, id).KeyHash) {
		t.Fatal("upgraded through a failing store")
	}
	s.Store = st
	if _, err := s.Authenticate(ctx, apiKey); err != nil || !secret.IsKeyedHash(get(t, st, id).KeyHash) {
		t.Fatalf("second call: %v, %q", err, get(t, st, id).KeyHash)
	}
}

// Replicas authenticating a legacy key at once all succeed; one upgrade
// writes.
func TestLegacyUpgradeConcurrent(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ctx := context.Background()
		st := open(t)
		a, _ := newServiceOn(t, st, testKey)
		b, _ := newServiceOn(t, st, testKey)
		id, apiKey := newLegacy(t, st, testKey)
		var wg sync.WaitGroup
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := []*Service{a, b}[i%2]
				c, err := s.Authenticate(ctx, apiKey)
				if err != nil {
					t.Error(err)
					return
				}
				if tok, err := s.Token(c); err != nil || tok != fakegraph.DemoToken {
					t.Errorf("Token = %v", err)
				}
			}()
		}
		wg.Wait()
		stored := get(t, st, id)
		if stored.KeyHash != a.Sealer.KeyHash(id, apiKey) {
			t.Fatalf("not upgraded: %q", stored.KeyHash)
		}
		if tok, err := a.Sealer.Open(id, stored.EncryptedToken); err != nil || tok != fakegraph.DemoToken {
			t.Fatalf("token: %v", err)
		}
	})
}

// Rotating a legacy connection re-seals its token with the new key's hash.
func TestRotateLegacy(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ctx := context.Background()
		st := open(t)
		s, _ := newServiceOn(t, st, testKey)
		id, apiKey := newLegacy(t, st, testKey)
		r, err := s.Rotate(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		stored := get(t, st, id)
		if stored.KeyHash != s.Sealer.KeyHash(id, r.APIKey) {
			t.Fatalf("key hash %q", stored.KeyHash)
		}
		if tok, err := s.Sealer.Open(id, stored.EncryptedToken); err != nil || tok != fakegraph.DemoToken {
			t.Fatalf("token not re-sealed v2: %v", err)
		}
		if _, err := s.Authenticate(ctx, apiKey); !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("old key: %v", err)
		}
		if _, err := s.Authenticate(ctx, r.APIKey); err != nil {
			t.Fatalf("new key: %v", err)
		}
	})
}

// countingStore counts the store calls.
type countingStore struct {
	store.Store
	mu    sync.Mutex
	calls map[string]int
}

func (c *countingStore) count(name string) {
	c.mu.Lock()
	c.calls[name]++
	c.mu.Unlock()
}

func (c *countingStore) Get(ctx context.Context, id string) (*connectors.Connection, error) {
	c.count("Get")
	return c.Store.Get(ctx, id)
}

func (c *countingStore) UpgradeKey(ctx context.Context, old *connectors.Connection, h string, tok []byte) (bool, error) {
	c.count("UpgradeKey")
	return c.Store.UpgradeKey(ctx, old, h, tok)
}

// Authenticating a v2 key costs one store read, and writes nothing.
func TestAuthenticateOneRead(t *testing.T) {
	ctx := context.Background()
	st := &countingStore{Store: openBolt(t), calls: map[string]int{}}
	s, _ := newServiceOn(t, st, testKey)
	v, err := s.Create(ctx, fakegraph.DemoToken, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, v.APIKey); err != nil {
		t.Fatal(err)
	}
	if len(st.calls) != 1 || st.calls["Get"] != 1 {
		t.Fatalf("store calls %v, want one Get", st.calls)
	}
}

// CheckKey accepts the key a store was first used with, and no other.
func TestCheckKey(t *testing.T) {
	otherKey := bytes.Repeat([]byte{4}, secret.KeySize)
	eachStore(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		ctx := context.Background()
		tests := []struct {
			name    string
			prepare func(t *testing.T, st store.Store) // before the first check, with testKey
			key     []byte
			want    error
			canary  bool // a canary stored after the check
		}{
			{"new store", nil, testKey, nil, true},
			{"same key again", checked, testKey, nil, true},
			{"other key", checked, otherKey, ErrWrongKey, true},
			{"legacy store, its key", legacyOnly, testKey, nil, true},
			{"legacy store, other key", legacyOnly, otherKey, ErrWrongKey, false},
			{"v2 connections without a canary, other key", v2Only, otherKey, ErrWrongKey, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				st := open(t)
				if tt.prepare != nil {
					tt.prepare(t, st)
				}
				s, _ := newServiceOn(t, st, tt.key)
				if err := s.CheckKey(ctx); err != tt.want {
					t.Fatalf("CheckKey = %v, want %v", err, tt.want)
				}
				if _, err := st.Canary(ctx); (err == nil) != tt.canary {
					t.Fatalf("canary stored: %v, want %v", err == nil, tt.canary)
				}
			})
		}
	})
}

func checked(t *testing.T, st store.Store) {
	t.Helper()
	s, _ := newServiceOn(t, st, testKey)
	if err := s.CheckKey(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func legacyOnly(t *testing.T, st store.Store) {
	t.Helper()
	newLegacy(t, st, testKey)
}

func v2Only(t *testing.T, st store.Store) {
	t.Helper()
	s, _ := newServiceOn(t, st, testKey)
	if _, err := s.Create(context.Background(), fakegraph.DemoToken, ""); err != nil {
		t.Fatal(err)
	}
}

// Two gateways with different keys starting at once on a new store: one
// key wins the canary, the other is refused.
func TestCheckKeyRace(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		st := open(t)
		a, _ := newServiceOn(t, st, testKey)
		b, _ := newServiceOn(t, st, bytes.Repeat([]byte{4}, secret.KeySize))
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, s := range []*Service{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.CheckKey(context.Background())
			}()
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) || (errs[0] != nil && errs[0] != ErrWrongKey) || (errs[1] != nil && errs[1] != ErrWrongKey) {
			t.Fatalf("CheckKey = %v, %v; want one nil and one ErrWrongKey", errs[0], errs[1])
		}
	})
}

// A store that does not answer is not a wrong key.
func TestCheckKeyUnavailable(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer rdb.Close()
	s, _ := newServiceOn(t, redisstore.New(rdb), testKey)
	srv.Stop()
	if err := s.CheckKey(context.Background()); connectors.ErrorCode(err) != connectors.CodeUnavailable {
		t.Fatalf("CheckKey = %v, want UNAVAILABLE", err)
	}
}

// TestBoltRecordMovedIsRefused: a store writer who owns one connection (A) puts, under A's bucket key, a
// record whose JSON "id" is the victim's (B), with A's own keyed hash and
// B's sealed token. A's key then authenticates and B's token opens.
func TestBoltRecordMovedIsRefused(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := boltstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := newServiceOn(t, st, testKey)
	victim, _ := s.Create(ctx, fakegraph.DemoToken, "victim")
	mine, _ := s.Create(ctx, fakegraph.OtherToken, "attacker")
	vrec, _ := st.Get(ctx, victim.ID)
	mrec, _ := st.Get(ctx, mine.ID)
	st.Close()

	db, err := bolt.Open(dir+"/"+boltstore.FileName, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	forged := map[string]any{
		"id": victim.ID, "instagram_user_id": vrec.InstagramUserID, "username": vrec.Username,
		"created_at": vrec.CreatedAt, "key_hash": mrec.KeyHash[3:], "key_hash_version": 2,
		"encrypted_token": vrec.EncryptedToken,
	}
	raw, _ := json.Marshal(forged)
	db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("connections")).Put([]byte(mine.ID), raw) })
	db.Close()

	st2, err := boltstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	s.Store = st2
	// Before the fix, A's key authenticated and opened B's token.
	if c, err := s.Authenticate(ctx, mine.APIKey); err == nil {
		tok, _ := s.Token(c)
		t.Fatalf("a record moved under another ID let a key in: conn %s, victim's token opened: %v", c.ID, tok == fakegraph.DemoToken)
	}
	if c, err := s.Authenticate(ctx, victim.APIKey); err != nil || c.ID != victim.ID {
		t.Fatalf("the victim's own key: %v", err)
	}
}
