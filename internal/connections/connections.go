// Package connections manages connections: creating one checks its token
// upstream, seals it and issues an API key; authenticating finds a
// connection by its key. The admin API and the CLI both use it.
package connections

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/secret"
	"github.com/igconnect/gateway/internal/store"
)

// Limits on what a connection may be created with.
const (
	MaxTokenLength = connectors.MaxTokenLength
	MaxNameLength  = 100
)

// Service manages connections of one connector.
type Service struct {
	Store     store.Store
	Sealer    *secret.Sealer
	Connector connectors.Connector
	// Policy says when tokens are refreshed.
	Policy Policy
	Now    func() time.Time
}

// New returns a service with the default refresh policy.
func New(st store.Store, sealer *secret.Sealer, c connectors.Connector) *Service {
	return &Service{Store: st, Sealer: sealer, Connector: c, Policy: DefaultPolicy, Now: time.Now}
}

func validToken(t string) error {
	if p := connectors.TokenProblem(t); p != "" {
		return connectors.Errorf(connectors.CodeBadRequest, "access_token %s", p)
	}
	return nil
}

// ValidName checks a connection name: at most MaxNameLength characters,
// none a control character.
func ValidName(n string) error {
	if len([]rune(n)) > MaxNameLength {
		return connectors.Errorf(connectors.CodeBadRequest, "name is longer than %d characters", MaxNameLength)
	}
	if strings.IndexFunc(n, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return connectors.Errorf(connectors.CodeBadRequest, "name contains control characters")
	}
	return nil
}

// Create checks token upstream and stores a new connection. The answer holds
// the API key, shown this once. A token upstream rejects stores nothing. A
// short-lived token is exchanged for a long-lived one first, when the
// connector can (its app secret is configured); the connection is put on
// the refresh schedule.
func (s *Service) Create(ctx context.Context, token, name string) (connectors.ConnectionView, error) {
	if err := validToken(token); err != nil {
		return connectors.ConnectionView{}, err
	}
	name = strings.TrimSpace(name)
	if err := ValidName(name); err != nil {
		return connectors.ConnectionView{}, err
	}
	grant, who, err := s.obtain(ctx, token)
	if err != nil {
		return connectors.ConnectionView{}, err
	}
	return s.create(ctx, grant, who, name)
}

// create stores a new connection of user who with grant's token.
func (s *Service) create(ctx context.Context, grant connectors.Grant, who connectors.Identity, name string) (connectors.ConnectionView, error) {
	id, err := secret.NewID()
	if err != nil {
		return connectors.ConnectionView{}, err
	}
	key, err := secret.NewAPIKey(id)
	if err != nil {
		return connectors.ConnectionView{}, err
	}
	sealed, err := s.Sealer.Seal(id, grant.Token)
	if err != nil {
		return connectors.ConnectionView{}, err
	}
	now := s.Now().UTC().Truncate(time.Millisecond)
	c := &connectors.Connection{
		ID: id, Name: name, InstagramUserID: who.UserID, Username: who.Username,
		CreatedAt: now, KeyHash: s.Sealer.KeyHash(id, key), EncryptedToken: sealed,
		Lifecycle: s.Policy.fresh(now, grant),
	}
	// Scheduled first: an entry without its record is dropped by the
	// sweep, a record without its entry would never be refreshed.
	if err := s.Store.ScheduleNoLater(ctx, id, c.RefreshDueAt); err != nil {
		return connectors.ConnectionView{}, err
	}
	if err := s.Store.Create(ctx, c); err != nil {
		return connectors.ConnectionView{}, err
	}
	// The user's latest connection, for Connect; a failed write leaves
	// the previous one (or none), and Connect then creates another.
	_ = s.Store.PutTicket(ctx, ticketUser, who.UserID, []byte(id), 0)
	v := c.View()
	v.APIKey = key
	return v, nil
}

// ticketUser is the ticket kind that names, by Instagram user ID, the
// connection the user made last.
const ticketUser = "user"

// lastOf returns the connection Instagram user userID made last, or nil:
// the one the index names, or else (stored before the index, or deleted
// since) the newest of the user's connections, which the index then names.
// A connection whose key was never upgraded (legacy hash) is left alone.
func (s *Service) lastOf(ctx context.Context, userID string) (*connectors.Connection, error) {
	if id, err := s.Store.GetTicket(ctx, ticketUser, userID); err == nil {
		c, err := s.Store.Get(ctx, string(id))
		if err == nil && c.InstagramUserID == userID && !secret.IsLegacyHash(c.KeyHash) {
			return c, nil
		}
	}
	list, err := s.Store.List(ctx)
	if err != nil {
		return nil, err
	}
	var last *connectors.Connection
	for _, c := range list { // oldest first
		if c.InstagramUserID == userID && !secret.IsLegacyHash(c.KeyHash) {
			last = c
		}
	}
	if last != nil {
		_ = s.Store.PutTicket(ctx, ticketUser, userID, []byte(last.ID), 0)
	}
	return last, nil
}

// Connect stores the token of someone who signed in with Instagram: the
// connection their Instagram user made last gets the token (its ID, key
// and name kept: created is false), or else a new connection named name is
// made (created: its key is in the answer, this once).
func (s *Service) Connect(ctx context.Context, grant connectors.Grant, name string) (v connectors.ConnectionView, created bool, err error) {
	if err := ValidName(name); err != nil {
		return v, false, err
	}
	who, err := s.Connector.Identify(ctx, grant.Token)
	if err != nil {
		return v, false, rejected(err)
	}
	if c, err := s.lastOf(ctx, who.UserID); err != nil {
		return v, false, err
	} else if c != nil {
		v, err := s.replace(ctx, c.ID, grant, who)
		return v, false, err
	}
	v, err = s.create(ctx, grant, who, strings.TrimSpace(name))
	return v, err == nil, err
}

// obtain turns the token an admin gives into the one to store (exchanged
// for a long-lived one when the connector can) and asks upstream whose it
// is. A token upstream rejects is the caller's mistake: BAD_REQUEST, with
// upstream's detail.
func (s *Service) obtain(ctx context.Context, token string) (connectors.Grant, connectors.Identity, error) {
	grant, err := s.Connector.LongLived(ctx, token)
	if err != nil {
		return grant, connectors.Identity{}, rejected(err)
	}
	who, err := s.Connector.Identify(ctx, grant.Token)
	if err != nil {
		return grant, who, rejected(err)
	}
	return grant, who, nil
}

// rejected returns err, upstream's answer about a token an admin gave, as
// the admin's mistake (BAD_REQUEST) when upstream rejected the token.
func rejected(err error) error {
	var e *connectors.Error
	if errors.As(err, &e) && (e.Code == connectors.CodeUpstreamTokenInvalid || e.Code == connectors.CodeBadRequest || e.Code == connectors.CodeForbidden || e.Code == connectors.CodeNotFound) {
		return &connectors.Error{
			Code: connectors.CodeBadRequest, Message: "Instagram rejected the access token: " + strings.TrimPrefix(e.Message, "Instagram: "),
			Upstream: e.Upstream, Err: e,
		}
	}
	return err
}

// SetToken replaces the upstream token of connection id with token, checked
// upstream first: it must belong to the connection's Instagram user. The
// connection keeps its ID, API key, name and creation time; its username
// follows Instagram's. A token upstream rejects, or one of another user,
// changes nothing. The connection becomes active again, its last error
// cleared, its refresh scheduled for the new token (exchanged for a
// long-lived one first, as in Create).
//
// A connection stored before v2 whose key still has its legacy hash is
// refused: Authenticate accepts that hash only beside a legacy-sealed
// token, so a v2-sealed one would lock its key out. Calling the API once
// with its key, or rotating it, upgrades it first.
func (s *Service) SetToken(ctx context.Context, id, token string) (connectors.ConnectionView, error) {
	if err := validToken(token); err != nil {
		return connectors.ConnectionView{}, err
	}
	c, err := s.Store.Get(ctx, id)
	if err != nil {
		return connectors.ConnectionView{}, err
	}
	if secret.IsLegacyHash(c.KeyHash) {
		return connectors.ConnectionView{}, connectors.Errorf(connectors.CodeConflict,
			"connection %s was stored by an older gateway and its API key is not upgraded yet: call the API once with its key, or rotate its key, then replace its token", id)
	}
	grant, who, err := s.obtain(ctx, token)
	if err != nil {
		return connectors.ConnectionView{}, err
	}
	if who.UserID != c.InstagramUserID {
		return connectors.ConnectionView{}, connectors.Errorf(connectors.CodeConflict,
			"this token belongs to Instagram user %s, not to the connection's user %s; create a new connection for it", who.UserID, c.InstagramUserID)
	}
	return s.replace(ctx, id, grant, who)
}

// replace stores grant's token, of user who, in connection id.
func (s *Service) replace(ctx context.Context, id string, grant connectors.Grant, who connectors.Identity) (connectors.ConnectionView, error) {
	sealed, err := s.Sealer.Seal(id, grant.Token)
	if err != nil {
		return connectors.ConnectionView{}, err
	}
	life := s.Policy.fresh(s.Now().UTC().Truncate(time.Millisecond), grant)
	if err := s.Store.ScheduleNoLater(ctx, id, life.RefreshDueAt); err != nil {
		return connectors.ConnectionView{}, err
	}
	if err := s.Store.SetToken(ctx, id, who.UserID, sealed, who.Username, life); err != nil {
		return connectors.ConnectionView{}, err
	}
	// Due at once for the sweep, which reads the new record and schedules
	// it exactly: this write also ends any claim a refresh of the old
	// token holds, so that refresh cannot schedule it after the old one.
	if err := s.Store.Schedule(ctx, id, s.Now()); err != nil {
		return connectors.ConnectionView{}, err
	}
	return s.Get(ctx, id)
}

// List returns every connection's view.
func (s *Service) List(ctx context.Context) ([]connectors.ConnectionView, error) {
	list, err := s.Store.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]connectors.ConnectionView, 0, len(list))
	for _, c := range list {
		out = append(out, c.View())
	}
	return out, nil
}

// Get returns one connection's view.
func (s *Service) Get(ctx context.Context, id string) (connectors.ConnectionView, error) {
	c, err := s.Store.Get(ctx, id)
	if err != nil {
		return connectors.ConnectionView{}, err
	}
	return c.View(), nil
}

// Rotate issues a new API key; the old one stops working at once. A
// connection stored before v2 gets its token re-sealed (v2) with its new
// key's hash, in one write.
func (s *Service) Rotate(ctx context.Context, id string) (connectors.ConnectionView, error) {
	key, err := secret.NewAPIKey(id)
	if err != nil {
		return connectors.ConnectionView{}, connectors.ErrNotFound // not an ID this gateway makes
	}
	if err := s.rotate(ctx, id, s.Sealer.KeyHash(id, key)); err != nil {
		return connectors.ConnectionView{}, err
	}
	v, err := s.Get(ctx, id)
	if err != nil {
		return connectors.ConnectionView{}, err
	}
	v.APIKey = key
	return v, nil
}

// rotateAttempts bounds Rotate's retries when concurrent writes change a
// legacy record between its read and its upgrade.
const rotateAttempts = 3

func (s *Service) rotate(ctx context.Context, id, hash string) error {
	for range rotateAttempts {
		c, err := s.Store.Get(ctx, id)
		if err != nil {
			return err
		}
		token, err := s.Sealer.OpenLegacy(id, c.EncryptedToken)
		if err != nil { // v2-sealed (or unreadable): the hash alone changes
			return s.Store.Rotate(ctx, id, hash)
		}
		sealed, err := s.Sealer.Seal(id, token)
		if err != nil {
			return err
		}
		if ok, err := s.Store.UpgradeKey(ctx, c, hash, sealed); ok || err != nil {
			return err
		}
	}
	return connectors.Errorf(connectors.CodeUnavailable, "the connection changed while its key was rotated: try again")
}

// Delete removes a connection.
func (s *Service) Delete(ctx context.Context, id string) error {
	return s.Store.Delete(ctx, id)
}

// ErrInvalidKey answers a missing, unknown, rotated or revoked key.
var ErrInvalidKey = connectors.Errorf(connectors.CodeInvalidAPIToken, "missing or invalid API key: pass it as api_token, X-API-Key or Authorization: Bearer")

// Authenticate finds the connection of an API key: one store read of the
// connection the key names, then its keyed hash checked in constant time
// (one HMAC, no decryption).
//
// A connection stored before v2 holds the bare SHA-256 of its key, which
// anyone who can write to the store could compute for a key of their own.
// Such a hash is accepted only while the record's token is sealed the
// legacy way, which nobody without the encryption key can produce; on that
// first success the record is upgraded (keyed hash, token re-sealed v2), so
// the legacy hash is never accepted for it again.
func (s *Service) Authenticate(ctx context.Context, key string) (*connectors.Connection, error) {
	id, ok := secret.APIKeyID(key)
	if !ok {
		return nil, ErrInvalidKey
	}
	c, err := s.Store.Get(ctx, id)
	if errors.Is(err, connectors.ErrNotFound) {
		return nil, ErrInvalidKey
	}
	if err != nil {
		return nil, err
	}
	if c.ID != id {
		return nil, ErrInvalidKey // a store must answer the record it was asked for
	}
	if s.Sealer.VerifyKeyHash(id, key, c.KeyHash) {
		return c, nil
	}
	if secret.IsLegacyHash(c.KeyHash) {
		return s.authenticateLegacy(ctx, c, key)
	}
	return nil, ErrInvalidKey // rotated, or a guess
}

// authenticateLegacy checks key against a legacy record c, and upgrades c
// on success.
func (s *Service) authenticateLegacy(ctx context.Context, c *connectors.Connection, key string) (*connectors.Connection, error) {
	if !secret.Equal(c.KeyHash, secret.LegacyKeyHash(key)) {
		return nil, ErrInvalidKey
	}
	token, err := s.Sealer.OpenLegacy(c.ID, c.EncryptedToken)
	if err != nil {
		return nil, ErrInvalidKey // a legacy hash beside a v2 (or forged) token: written by hand
	}
	s.upgrade(ctx, c, key, token)
	return c, nil
}

// upgrade rewrites legacy record c with key's keyed hash and its token
// re-sealed (v2), unless the record changed since it was read. On success
// c holds what was written. A failed write does not fail the call that
// upgrades: the key was checked, the token opens either way, and the next
// call tries again.
func (s *Service) upgrade(ctx context.Context, c *connectors.Connection, key, token string) {
	sealed, err := s.Sealer.Seal(c.ID, token)
	if err != nil {
		return
	}
	hash := s.Sealer.KeyHash(c.ID, key)
	if ok, err := s.Store.UpgradeKey(ctx, c, hash, sealed); ok && err == nil {
		c.KeyHash, c.EncryptedToken = hash, sealed
	}
}

// Cooldown records that upstream throttles c until then (shared by
// replicas through the store).
func (s *Service) Cooldown(ctx context.Context, c *connectors.Connection, until time.Time) error {
	return s.Store.Cooldown(ctx, c.ID, until)
}

// NeedsNewToken is the fix the answer of a rejected token names: the one
// place its wording lives.
func NeedsNewToken(id string) string {
	return "the connection needs a new Instagram token: PUT /admin/connections/" + id + "/token or `gateway connections set-token " + id + "`"
}

// TokenRejected handles Instagram's rejection e (UPSTREAM_TOKEN_INVALID,
// Graph code 190) of c's token: it returns the caller's answer, e with the
// fix named, and records the connection as needing reauthorization with e
// as its last error (one store write; not when the token was replaced since
// c was read). A failed write does not change the answer: it is returned
// apart, to be logged.
func (s *Service) TokenRejected(ctx context.Context, c *connectors.Connection, e *connectors.Error) (answer, storeErr error) {
	out := *e
	out.Message = strings.TrimSuffix(e.Message, ".") + "; " + NeedsNewToken(c.ID)
	life := c.Lifecycle
	life.Status = connectors.StatusReauthorize
	life.LastError = &connectors.LastError{Code: e.Code, Message: e.Message, At: s.Now().UTC().Truncate(time.Millisecond)}
	life.RefreshDueAt, life.RefreshFailures = time.Time{}, 0
	// Its schedule entry stays: the sweep takes it off when it finds the
	// status (a set-token meanwhile may need it).
	err := s.Store.SetLifecycle(ctx, c.ID, c.EncryptedToken, life, nil)
	if errors.Is(err, store.ErrTokenConflict) || errors.Is(err, connectors.ErrNotFound) {
		err = nil // a newer token is not the one rejected
	}
	return &out, err
}

// CountByStatus returns how many connections are in each status, every
// status included.
func (s *Service) CountByStatus(ctx context.Context) (map[connectors.Status]int, error) {
	list, err := s.Store.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[connectors.Status]int, len(connectors.Statuses))
	for _, st := range connectors.Statuses {
		out[st] = 0
	}
	for _, c := range list {
		out[c.StatusOrActive()]++
	}
	return out, nil
}

// Token opens a connection's upstream token: sealed v2, or else the legacy
// way (a record whose upgrade did not write yet).
func (s *Service) Token(c *connectors.Connection) (string, error) {
	t, err := s.Sealer.Open(c.ID, c.EncryptedToken)
	if err != nil {
		t, err = s.Sealer.OpenLegacy(c.ID, c.EncryptedToken)
	}
	if err != nil {
		return "", connectors.Wrap(err, connectors.CodeInternal, "stored token cannot be decrypted")
	}
	return t, nil
}
