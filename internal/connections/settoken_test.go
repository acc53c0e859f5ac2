package connections

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/fakegraph"
	"github.com/igconnect/gateway/internal/secret"
	"github.com/igconnect/gateway/internal/store"
)

// newDemoToken is a second token of the demo user, the one set-token
// replaces DemoToken with.
const newDemoToken = "IGAAsandboxDemoTokenNew00000000000009"

func TestSetToken(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		tests := []struct {
			name string
			// setup stores the connection to replace the token of, and
			// returns its ID and API key.
			setup    func(t *testing.T, s *Service, st store.Store) (id, apiKey string)
			token    string
			code     string // "": replaced
			message  string // in the error's message
			upstream bool   // whether upstream is asked
		}{
			{name: "same user", setup: created, token: newDemoToken, upstream: true},
			{name: "same token again", setup: created, token: fakegraph.DemoToken, upstream: true},
			{name: "legacy record upgraded by a call", setup: legacyCalled, token: newDemoToken, upstream: true},
			{name: "other user", setup: created, token: fakegraph.OtherToken, code: connectors.CodeConflict, upstream: true,
				message: "this token belongs to Instagram user " + fakegraph.OtherUserID + ", not to the connection's user " + fakegraph.DemoUserID + "; create a new connection for it"},
			{name: "rejected token", setup: created, token: "IGAAunknown", code: connectors.CodeBadRequest, message: "Instagram rejected the access token", upstream: true},
			{name: "expired token", setup: created, token: fakegraph.ExpiredToken, code: connectors.CodeBadRequest, message: "Instagram rejected the access token", upstream: true},
			{name: "empty token", setup: created, token: "", code: connectors.CodeBadRequest, message: "access_token is required"},
			{name: "token with spaces", setup: created, token: "IGAA abc", code: connectors.CodeBadRequest, message: "spaces"},
			{name: "unknown connection", setup: missing, token: newDemoToken, code: connectors.CodeNotFound},
			{name: "legacy record", setup: legacy, token: newDemoToken, code: connectors.CodeConflict, message: "call the API once with its key, or rotate its key"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx := context.Background()
				st := open(t)
				s, f := newServiceOn(t, st, testKey)
				f.AddToken(fakegraph.DemoUserID, newDemoToken)
				id, apiKey := tt.setup(t, s, st)
				before, _ := st.Get(ctx, id)
				requests := f.Requests()

				v, err := s.SetToken(ctx, id, tt.token)
				if (f.Requests() != requests) != tt.upstream {
					t.Errorf("upstream asked: %v, want %v", f.Requests() != requests, tt.upstream)
				}
				after, _ := st.Get(ctx, id)
				if tt.code != "" {
					if connectors.ErrorCode(err) != tt.code || !strings.Contains(connectors.ErrorMessage(err), tt.message) {
						t.Fatalf("SetToken = %v, want %s with %q", err, tt.code, tt.message)
					}
					if tt.token != "" && strings.Contains(err.Error(), tt.token) {
						t.Fatal("the token is in the error")
					}
					if !reflect.DeepEqual(before, after) {
						t.Fatalf("a refused SetToken changed the record:\n%+v\n%+v", before, after)
					}
					if before != nil {
						if c, err := s.Authenticate(ctx, apiKey); err != nil || c.ID != id {
							t.Fatalf("key refused after a refused SetToken: %v", err)
						}
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if v.ID != id || v.APIKey != "" || v.InstagramUserID != fakegraph.DemoUserID || v.Username != "sandbox_creator" || v.Name != before.Name || !v.CreatedAt.Equal(before.CreatedAt) {
					t.Fatalf("view %+v, was %+v", v, before)
				}
				if after.KeyHash != before.KeyHash || after.Name != before.Name || !after.CreatedAt.Equal(before.CreatedAt) || after.InstagramUserID != before.InstagramUserID {
					t.Fatalf("SetToken changed more than the token: %+v, was %+v", after, before)
				}
				if tok, err := s.Sealer.Open(id, after.EncryptedToken); err != nil || tok != tt.token {
					t.Fatalf("stored token not sealed v2: %v", err)
				}
				// The same API key works, and calls carry the new token.
				c, err := s.Authenticate(ctx, apiKey)
				if err != nil || c.ID != id {
					t.Fatalf("key refused after SetToken: %v", err)
				}
				if tok, err := s.Token(c); err != nil || tok != tt.token {
					t.Fatalf("Token = %v, want the new token", err)
				}
			})
		}
	})
}

// created stores a connection of the demo user.
func created(t *testing.T, s *Service, _ store.Store) (string, string) {
	t.Helper()
	v, err := s.Create(context.Background(), fakegraph.DemoToken, "shop")
	if err != nil {
		t.Fatal(err)
	}
	return v.ID, v.APIKey
}

// missing returns an ID no connection has.
func missing(*testing.T, *Service, store.Store) (string, string) {
	id, _ := secret.NewID()
	key, _ := secret.NewAPIKey(id)
	return id, key
}

// legacy stores a connection as the gateway did before v2.
func legacy(t *testing.T, _ *Service, st store.Store) (string, string) {
	t.Helper()
	return newLegacy(t, st, testKey)
}

// legacyCalled stores a legacy connection and calls once with its key,
// which upgrades it.
func legacyCalled(t *testing.T, s *Service, st store.Store) (string, string) {
	t.Helper()
	id, apiKey := newLegacy(t, st, testKey)
	if _, err := s.Authenticate(context.Background(), apiKey); err != nil {
		t.Fatal(err)
	}
	return id, apiKey
}

// renamed is a connector whose Identify answers another username, as
// after the account was renamed on Instagram.
type renamed struct {
	connectors.Connector
	username string
}

func (r renamed) Identify(ctx context.Context, token string) (connectors.Identity, error) {
	who, err := r.Connector.Identify(ctx, token)
	who.Username = r.username
	return who, err
}

// SetToken follows a rename on Instagram.
func TestSetTokenRefreshesUsername(t *testing.T) {
	ctx := context.Background()
	s, f := newService(t)
	f.AddToken(fakegraph.DemoUserID, newDemoToken)
	v, err := s.Create(ctx, fakegraph.DemoToken, "")
	if err != nil {
		t.Fatal(err)
	}
	s.Connector = renamed{s.Connector, "creator_renamed"}
	got, err := s.SetToken(ctx, v.ID, newDemoToken)
	if err != nil || got.Username != "creator_renamed" {
		t.Fatalf("SetToken = %+v, %v", got, err)
	}
	if g, _ := s.Get(ctx, v.ID); g.Username != "creator_renamed" {
		t.Fatalf("stored username %q", g.Username)
	}
}

// racingRename is a store whose connection changes Instagram user between
// the service's read and its write.
type racingRename struct{ store.Store }

func (r racingRename) SetToken(ctx context.Context, id, userID string, sealed []byte, username string, life connectors.Lifecycle) error {
	c, err := r.Store.Get(ctx, id)
	if err != nil {
		return err
	}
	c.InstagramUserID = fakegraph.OtherUserID
	if err := r.Store.Delete(ctx, id); err != nil {
		return err
	}
	if err := r.Store.Create(ctx, c); err != nil {
		return err
	}
	return r.Store.SetToken(ctx, id, userID, sealed, username, life)
}

// A connection that changed between the check and the write is not
// written: CONFLICT.
func TestSetTokenConditional(t *testing.T) {
	ctx := context.Background()
	st := openBolt(t)
	s, f := newServiceOn(t, racingRename{st}, testKey)
	f.AddToken(fakegraph.DemoUserID, newDemoToken)
	v, err := s.Create(ctx, fakegraph.DemoToken, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetToken(ctx, v.ID, newDemoToken); !errors.Is(err, store.ErrTokenConflict) {
		t.Fatalf("SetToken = %v", err)
	}
	c, _ := st.Get(ctx, v.ID)
	if tok, err := s.Token(c); err != nil || tok != fakegraph.DemoToken {
		t.Fatalf("token replaced: %v", err)
	}
}

// Connect finds the user's connection without the index: one stored before
// it existed, or the older one when the newer was deleted.
func TestConnectFindsConnectionWithoutIndex(t *testing.T) {
	ctx := context.Background()
	st := openBolt(t)
	s, f := newServiceOn(t, st, testKey)
	older, err := s.Create(ctx, fakegraph.DemoToken, "older")
	if err != nil {
		t.Fatal(err)
	}
	newer, err := s.Create(ctx, fakegraph.DemoToken, "newer")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, newer.ID); err != nil {
		t.Fatal(err)
	}
	f.AddToken(fakegraph.DemoUserID, newDemoToken)
	v, created, err := s.Connect(ctx, connectors.Grant{Token: newDemoToken}, "link")
	if err != nil || created || v.ID != older.ID {
		t.Fatalf("Connect after the newer was deleted: %+v created=%v %v", v, created, err)
	}
	// No index at all (stored before it): the newest of the user's.
	if err := st.DeleteTicket(ctx, ticketUser, fakegraph.DemoUserID); err != nil {
		t.Fatal(err)
	}
	v, created, err = s.Connect(ctx, connectors.Grant{Token: newDemoToken}, "link")
	if err != nil || created || v.ID != older.ID {
		t.Fatalf("Connect without an index: %+v created=%v %v", v, created, err)
	}
}
