// Package store defines where connections are kept. Two implementations:
// boltstore (embedded, a file) and redisstore (shared by replicas).
package store

import (
	"context"
	"time"

	"github.com/igconnect/gateway/internal/connectors"
)

// ErrTokenConflict is SetToken's answer when the stored connection no
// longer is the one its token was checked against.
var ErrTokenConflict = connectors.Errorf(connectors.CodeConflict, "the connection changed while its token was replaced: try again")

// Store keeps connections. Every method returns connectors.ErrNotFound for an
// unknown ID, and an UNAVAILABLE *connectors.Error when the backing store
// cannot be reached.
type Store interface {
	// Create stores a new connection, its KeyHash included.
	Create(ctx context.Context, c *connectors.Connection) error
	// Get returns one connection by ID, with its CooldownUntil, in one read:
	// it is the lookup behind every API call (the key names its connection).
	Get(ctx context.Context, id string) (*connectors.Connection, error)
	// List returns every connection, oldest first.
	List(ctx context.Context) ([]*connectors.Connection, error)
	// Rotate replaces a connection's key hash; the old key stops matching
	// at once.
	Rotate(ctx context.Context, id, newHash string) error
	// UpgradeKey replaces the key hash and the sealed token of connection
	// old.ID together, in one atomic step, only if the stored record still
	// is old (its key hash and token as read), and reports whether it did:
	// of two replicas upgrading at once one writes, and a rotation or a
	// re-creation in between wins. It returns connectors.ErrNotFound when
	// the connection is gone.
	UpgradeKey(ctx context.Context, old *connectors.Connection, newHash string, newToken []byte) (bool, error)
	// SetToken replaces the sealed token, the username and the lifecycle
	// of connection id together, in one atomic step, only if the stored
	// connection still belongs to Instagram user userID and holds a keyed
	// hash (see secret.KeyedHashPrefix); everything else (its key hash, a
	// rotation racing this included, its name, user ID and creation time)
	// is kept. It returns connectors.ErrNotFound when the connection is
	// gone, and ErrTokenConflict, writing nothing, when a condition does not
	// hold.
	SetToken(ctx context.Context, id, userID string, sealed []byte, username string, life connectors.Lifecycle) error
	// SetLifecycle replaces the lifecycle of connection id, and its sealed
	// token by next unless next is nil, together, in one atomic step, only
	// if the stored connection still holds the sealed token (what was
	// learned about one token is never recorded against another) and a
	// keyed hash; everything else is kept. It returns connectors.ErrNotFound
	// when the connection is gone, and ErrTokenConflict, writing nothing,
	// when a condition does not hold.
	SetLifecycle(ctx context.Context, id string, sealed []byte, life connectors.Lifecycle, next []byte) error

	// The refresh schedule: connection IDs by the time their token is due
	// for a refresh. It is an index beside the records, written apart
	// from them: a record's RefreshDueAt is the truth, and an entry is
	// never later than it, except while a sweep holds it (ClaimDue). So
	// writers other than the sweep only lower entries or add them
	// (ScheduleNoLater, ScheduleIfAbsent, or Schedule to a time before the
	// record's), and the sweep raises or removes the entries it claimed
	// only while its claim holds (Settle): a write since wins.

	// Schedule sets when connection id is next due.
	Schedule(ctx context.Context, id string, at time.Time) error
	// ScheduleNoLater sets when connection id is next due, unless it is
	// due earlier already.
	ScheduleNoLater(ctx context.Context, id string, at time.Time) error
	// ScheduleIfAbsent sets when connection id is next due, unless it is on
	// the schedule already (due, or claimed: a claim is never cut short).
	ScheduleIfAbsent(ctx context.Context, id string, at time.Time) error
	// Unschedule removes connection id from the schedule.
	Unschedule(ctx context.Context, id string) error
	// ClaimDue returns up to n connections due at now, earliest first, and
	// reschedules each at now+lease (the claim) in the same atomic step:
	// the caller holds them until then; after it, a caller that crashed has
	// lost them to the next claim.
	ClaimDue(ctx context.Context, now time.Time, n int, lease time.Duration) ([]string, error)
	// Settle sets connection id's entry to at (zero: removes it) only if
	// it still is claim, as ClaimDue left it, and reports whether it did.
	Settle(ctx context.Context, id string, claim, at time.Time) (bool, error)

	// Delete removes a connection and its key.
	Delete(ctx context.Context, id string) error
	// Cooldown records that upstream throttles the connection until then;
	// Get reports it in CooldownUntil, on every replica.
	Cooldown(ctx context.Context, id string, until time.Time) error
	// Canary returns the store's canary: the sealed text that tells whether
	// a gateway has the key this store was written with. It returns
	// connectors.ErrNotFound when there is none yet.
	Canary(ctx context.Context) ([]byte, error)
	// CreateCanary stores sealed as the canary unless there is one already,
	// atomically, and returns the one stored: sealed, or the earlier one.
	CreateCanary(ctx context.Context, sealed []byte) ([]byte, error)
	Tickets

	// Ping tells whether the store answers.
	Ping(ctx context.Context) error
	Close() error
}

// Tickets are small records that expire, shared by every replica: connect
// links, sign-in states, OAuth codes, grants and tokens. A ticket that
// stands for a secret is kept under the secret's hash, never the secret.
// Every method that reads a ticket returns connectors.ErrNotFound for one
// that is missing or expired.
type Tickets interface {
	// PutTicket stores value as ticket kind/key for ttl (0: no expiry),
	// replacing any.
	PutTicket(ctx context.Context, kind, key string, value []byte, ttl time.Duration) error
	// GetTicket returns ticket kind/key.
	GetTicket(ctx context.Context, kind, key string) ([]byte, error)
	// TakeTicket returns ticket kind/key and removes it, atomically: of two
	// takers, one gets it.
	TakeTicket(ctx context.Context, kind, key string) ([]byte, error)
	// SwapTicket replaces ticket kind/key's value, keeping its expiry, and
	// returns the value it replaced, atomically.
	SwapTicket(ctx context.Context, kind, key string, value []byte) ([]byte, error)
	// RenewTicket makes ticket kind/key expire ttl from now, if it exists:
	// it never brings back a ticket removed or expired.
	RenewTicket(ctx context.Context, kind, key string, ttl time.Duration) error
	// DeleteTicket removes ticket kind/key (none: no error).
	DeleteTicket(ctx context.Context, kind, key string) error
}
