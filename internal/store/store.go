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
	// SetToken replaces the sealed token and the username of connection id
	// together, in one atomic step, only if the stored connection still
	// belongs to Instagram user userID and holds a keyed hash (see
	// secret.KeyedHashPrefix); everything else (its key hash, a rotation
	// racing this included, its name, user ID and creation time) is kept.
	// It returns connectors.ErrNotFound when the connection is gone, and
	// ErrTokenConflict, writing nothing, when a condition does not hold.
	// The new token starts the connection's lifecycle afresh: status
	// active, no last error, token times unknown.
	SetToken(ctx context.Context, id, userID string, sealed []byte, username string) error
	// SetStatus records the status and the last error (nil: none) of
	// connection id together, in one atomic step, only if the stored
	// connection still holds the sealed token (what was learned about one
	// token is never recorded against its replacement) and a keyed hash;
	// everything else, its token times included, is kept. It returns
	// connectors.ErrNotFound when the connection is gone, and
	// ErrTokenConflict, writing nothing, when a condition does not hold.
	SetStatus(ctx context.Context, id string, sealed []byte, status connectors.Status, lastErr *connectors.LastError) error
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
	// Ping tells whether the store answers.
	Ping(ctx context.Context) error
	Close() error
}
