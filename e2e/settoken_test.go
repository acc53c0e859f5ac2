package e2e

import (
	"testing"

	"github.com/igconnect/gateway/internal/fakegraph"
	"github.com/igconnect/gateway/internal/redistest"
)

// TestSetTokenKeepsKey: after Instagram revokes a connection's token, the
// admin replaces it (PUT /admin/connections/{id}/token) and the same API
// key calls on, upstream with the new token; a token of another account is
// refused and changes nothing. On both stores.
func TestSetTokenKeepsKey(t *testing.T) {
	tests := []struct {
		name string
		env  func(t *testing.T) map[string]string
	}{
		{"embedded", func(t *testing.T) map[string]string {
			return map[string]string{"GATEWAY_DATA_DIR": t.TempDir()}
		}},
		{"redis", func(t *testing.T) map[string]string {
			return map[string]string{"GATEWAY_REDIS_URL": redistest.Start(t).URL(), "GATEWAY_ENCRYPTION_KEY": newKey()}
		}},
	}
	const newToken = "IGAAsandboxDemoTokenRenewed000000000009"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, fakeURL := startFake(t)
			fake.AddToken(fakegraph.DemoUserID, newToken)
			env := tt.env(t)
			env["GATEWAY_ADMIN_TOKEN"] = adminToken
			env["GATEWAY_INSTAGRAM_URL"] = fakeURL
			g := startGateway(t, env)
			id, key := createConnection(t, g, fakegraph.DemoToken)
			me := func() answer {
				return call(t, "GET", g.URL+"/instagram/v21.0/me", nil, "X-API-Key", key)
			}
			if a := me(); a.Status != 200 || a.Data()["username"] != "sandbox_creator" {
				t.Fatalf("before: %s", a.Raw)
			}
			tokenPath := g.URL + "/admin/connections/" + id + "/token"
			if a := admin(t, "PUT", tokenPath, `{"access_token":"`+fakegraph.OtherToken+`"}`); a.Status != 409 || a.Code() != "CONFLICT" {
				t.Fatalf("other account's token: %s", a.Raw)
			}
			if a := me(); a.Status != 200 || a.Data()["username"] != "sandbox_creator" {
				t.Fatalf("after a refused set-token: %s", a.Raw)
			}
			fake.RevokeToken(fakegraph.DemoToken)
			if a := me(); a.Code() != "UPSTREAM_TOKEN_INVALID" {
				t.Fatalf("with the revoked token: %s", a.Raw)
			}
			a := admin(t, "PUT", tokenPath, `{"access_token":"`+newToken+`"}`)
			if a.Status != 200 || a.Data()["id"] != id || a.Data()["api_key"] != nil || a.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("set-token: %s", a.Raw)
			}
			if a := me(); a.Status != 200 || a.Data()["username"] != "sandbox_creator" {
				t.Fatalf("after set-token: %s", a.Raw)
			}
			g.stop(t)
			assertNoSecrets(t, []string{key, fakegraph.DemoToken, newToken}, g)
		})
	}
}
