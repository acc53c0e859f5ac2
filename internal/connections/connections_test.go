package connections

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/connectors/instagram"
	"github.com/igconnect/gateway/internal/fakegraph"
	"github.com/igconnect/gateway/internal/fakegraph/fakegraphtest"
	"github.com/igconnect/gateway/internal/secret"
	"github.com/igconnect/gateway/internal/store"
	"github.com/igconnect/gateway/internal/store/boltstore"
)

func newService(t *testing.T) (*Service, *fakegraph.Server) {
	t.Helper()
	return newServiceOn(t, openBolt(t), testKey)
}

// testKey is the encryption key of the tests' services.
var testKey = bytes.Repeat([]byte{3}, secret.KeySize)

// newServiceOn returns a service on st with encryption key key, in front of
// a fake Graph API.
func newServiceOn(t *testing.T, st store.Store, key []byte) (*Service, *fakegraph.Server) {
	t.Helper()
	f, upURL := fakegraphtest.Start(t, 10*time.Millisecond)
	sealer, err := secret.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	c := instagram.New(&instagram.Client{BaseURL: upURL, HTTP: instagram.NewHTTPClient(5 * time.Second)}, "v21.0", time.Second)
	return New(st, sealer, c), f
}

func openBolt(t *testing.T) store.Store {
	t.Helper()
	st, err := boltstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// otherLastChar returns key with its last character replaced by another
// one: always a different key.
func otherLastChar(key string) string {
	last := key[len(key)-1]
	repl := byte('A')
	if last == 'A' {
		repl = 'B'
	}
	return key[:len(key)-1] + string(repl)
}

func TestOtherLastChar(t *testing.T) {
	for _, k := range []string{"igw_conn_a.xyzA", "igw_conn_a.xyzB", "igw_conn_a.xyz_", "A"} {
		if got := otherLastChar(k); got == k || len(got) != len(k) || got[:len(k)-1] != k[:len(k)-1] {
			t.Errorf("otherLastChar(%q) = %q", k, got)
		}
	}
}

func TestCreateAuthenticate(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	v, err := s.Create(ctx, fakegraph.DemoToken, "  shop  ")
	if err != nil {
		t.Fatal(err)
	}
	if v.Name != "shop" || v.InstagramUserID != fakegraph.DemoUserID || v.Username != "sandbox_creator" || func() bool { id, ok := secret.APIKeyID(v.APIKey); return !ok || id != v.ID }() {
		t.Fatalf("%+v", v)
	}
	c, err := s.Authenticate(ctx, v.APIKey)
	if err != nil || c.ID != v.ID {
		t.Fatalf("%+v %v", c, err)
	}
	if bytes.Contains(c.EncryptedToken, []byte(fakegraph.DemoToken)) || c.KeyHash == v.APIKey {
		t.Fatal("secret stored in clear")
	}
	tok, err := s.Token(c)
	if err != nil || tok != fakegraph.DemoToken {
		t.Fatalf("Token = %v", err)
	}
	other, err := s.Create(ctx, fakegraph.OtherToken, "other")
	if err != nil {
		t.Fatal(err)
	}
	forged, _ := secret.NewAPIKey(v.ID) // the right ID, a random secret
	for _, k := range []string{
		"", "igw_x", otherLastChar(v.APIKey), strings.ToUpper(v.APIKey), forged,
		"igw_conn_00000000000000000000." + v.APIKey[len(v.APIKey)-43:], // an unknown ID with a real secret
		"igw_" + other.ID + "." + v.APIKey[len(v.APIKey)-43:],          // another connection's ID with v's secret
	} {
		if _, err := s.Authenticate(ctx, k); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Authenticate(%q) = %v", k, err)
		}
	}
}

func TestCreateRejects(t *testing.T) {
	s, f := newService(t)
	ctx := context.Background()
	tests := []struct {
		name, token, conn string
		upstream          bool
	}{
		{"empty", "", "", false},
		{"too long", strings.Repeat("a", MaxTokenLength+1), "", false},
		{"whitespace", "IGAA abc", "", false},
		{"control", "IGAA\x00", "", false},
		{"long name", fakegraph.DemoToken, strings.Repeat("n", MaxNameLength+1), false},
		{"unknown token", "IGAAunknown", "", true},
		{"expired token", fakegraph.ExpiredToken, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.Requests()
			_, err := s.Create(ctx, tt.token, tt.conn)
			if connectors.ErrorCode(err) != connectors.CodeBadRequest {
				t.Fatalf("err = %v", err)
			}
			if (f.Requests() != before) != tt.upstream {
				t.Fatalf("upstream called: %v", f.Requests() != before)
			}
			if strings.Contains(err.Error(), tt.token) && tt.token != "" {
				t.Fatal("token in error")
			}
			if list, _ := s.List(ctx); len(list) != 0 {
				t.Fatal("a connection was stored")
			}
		})
	}
}

func TestRotateDelete(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	v, _ := s.Create(ctx, fakegraph.DemoToken, "")
	r, err := s.Rotate(ctx, v.ID)
	if err != nil || r.APIKey == v.APIKey {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, v.APIKey); !errors.Is(err, ErrInvalidKey) {
		t.Fatal("old key works")
	}
	if err := s.Delete(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, r.APIKey); !errors.Is(err, ErrInvalidKey) {
		t.Fatal("deleted key works")
	}
	if _, err := s.Rotate(ctx, v.ID); !errors.Is(err, connectors.ErrNotFound) {
		t.Fatal(err)
	}
}
