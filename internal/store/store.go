// Package store defines where connections are kept. Two implementations:
// boltstore (embedded, a file) and redisstore (shared by replicas).
package store

import (
	"context"
	"time"

	"github.com/igconnect/gateway/internal/connectors"
)

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
	// Delete removes a connection and its key.
	Delete(ctx context.Context, id string) error
	// Cooldown records that upstream throttles the connection until then;
	// Get reports it in CooldownUntil, on every replica.
	Cooldown(ctx context.Context, id string, until time.Time) error
	// Ping tells whether the store answers.
	Ping(ctx context.Context) error
	Close() error
}
