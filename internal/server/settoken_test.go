package server

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/igconnect/gateway/internal/fakegraph"
)

func TestAdminSetToken(t *testing.T) {
	e := newEnv(t)
	const newToken = "IGAAsandboxDemoTokenNew00000000000009"
	e.fake.AddToken(fakegraph.DemoUserID, newToken)
	auth := []string{"Authorization", "Bearer " + adminToken, "Content-Type", "application/json"}
	path := "/admin/connections/" + e.id + "/token"
	body := func(tok string) *strings.Reader { return strings.NewReader(`{"access_token":"` + tok + `"}`) }
	tests := []struct {
		name, method, path, body string
		header                   []string
		status                   int
		code                     string // the error's, or "" for 200
	}{
		{"no admin token", "PUT", path, `{"access_token":"` + newToken + `"}`, nil, 401, "INVALID_ADMIN_TOKEN"},
		{"API key as admin token", "PUT", path, `{"access_token":"` + newToken + `"}`, []string{"Authorization", "Bearer " + e.key}, 401, "INVALID_ADMIN_TOKEN"},
		{"other user's token", "PUT", path, `{"access_token":"` + fakegraph.OtherToken + `"}`, auth, 409, "CONFLICT"},
		{"rejected token", "PUT", path, `{"access_token":"bogus"}`, auth, 400, "BAD_REQUEST"},
		{"no token", "PUT", path, `{}`, auth, 400, "BAD_REQUEST"},
		{"unknown field", "PUT", path, `{"access_token":"` + newToken + `","name":"x"}`, auth, 400, "BAD_REQUEST"},
		{"malformed", "PUT", path, `{"access_token":`, auth, 400, "BAD_REQUEST"},
		{"unknown connection", "PUT", "/admin/connections/conn_0000000000000000000f/token", `{"access_token":"` + newToken + `"}`, auth, 404, "NOT_FOUND"},
		{"not an ID", "PUT", "/admin/connections/nope/token", `{"access_token":"` + newToken + `"}`, auth, 404, "NOT_FOUND"},
		{"GET", "GET", path, "", auth, 405, "METHOD_NOT_ALLOWED"},
		{"POST", "POST", path, `{"access_token":"` + newToken + `"}`, auth, 405, "METHOD_NOT_ALLOWED"},
		{"DELETE", "DELETE", path, "", auth, 405, "METHOD_NOT_ALLOWED"},
		{"replaced", "PUT", path, `{"access_token":"` + newToken + `"}`, auth, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := e.svc.Store.Get(context.Background(), e.id)
			a := e.do(t, tt.method, tt.path, strings.NewReader(tt.body), tt.header...)
			if a.status != tt.status || a.code() != tt.code {
				t.Fatalf("%d %s", a.status, a.raw)
			}
			if a.header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", a.header.Get("Cache-Control"))
			}
			for _, secret := range []string{newToken, fakegraph.DemoToken, fakegraph.OtherToken, e.key, "api_key", "key_hash", "encrypted"} {
				if strings.Contains(a.raw, secret) {
					t.Fatalf("the answer shows %q: %s", secret, a.raw)
				}
			}
			after, _ := e.svc.Store.Get(context.Background(), e.id)
			if tt.status != 200 {
				if !reflect.DeepEqual(before, after) {
					t.Fatal("a refused call changed the connection")
				}
				return
			}
			data, _ := a.body["data"].(map[string]any)
			if data["id"] != e.id || data["instagram_user_id"] != fakegraph.DemoUserID || data["username"] != "sandbox_creator" || data["name"] != "test" {
				t.Fatalf("answer %s", a.raw)
			}
			if tok, err := e.svc.Token(after); err != nil || tok != newToken || after.KeyHash != before.KeyHash {
				t.Fatalf("not replaced: %v", err)
			}
		})
	}
	if a := e.do(t, "PUT", path, body(fakegraph.OtherToken), auth...); !strings.Contains(a.raw, "belongs to Instagram user "+fakegraph.OtherUserID) {
		t.Fatalf("409 message: %s", a.raw)
	}
	// The same API key calls on, with the new token: the old one is revoked.
	e.fake.RevokeToken(fakegraph.DemoToken)
	if a := e.do(t, "GET", "/instagram/v21.0/me?api_token="+e.key, nil); a.status != 200 || !strings.Contains(a.raw, "sandbox_creator") {
		t.Fatalf("call after set-token: %s", a.raw)
	}
}
