package server

import (
	"strings"
	"testing"

	"github.com/igconnect/gateway/internal/connections"
	"github.com/igconnect/gateway/internal/fakegraph"
)

// TestReauthorizeLifecycle: Instagram rejects a connection's token (Graph
// code 190): the call answers 401 naming the fix, and the connection shows
// reauthorize with its last error; a new token of the same user makes it
// active again, and the same key calls on.
func TestReauthorizeLifecycle(t *testing.T) {
	e := newEnv(t)
	admin := []string{"Authorization", "Bearer " + adminToken, "Content-Type", "application/json"}
	conn := func(t *testing.T) map[string]any {
		t.Helper()
		a := e.do(t, "GET", "/admin/connections/"+e.id, nil, admin...)
		if a.status != 200 {
			t.Fatalf("get: %s", a.raw)
		}
		for _, secret := range []string{fakegraph.DemoToken, e.key, "encrypted", "key_hash"} {
			if strings.Contains(a.raw, secret) {
				t.Fatalf("the answer shows %q: %s", secret, a.raw)
			}
		}
		data, _ := a.body["data"].(map[string]any)
		return data
	}
	listed := func(t *testing.T) map[string]any {
		t.Helper()
		a := e.do(t, "GET", "/admin/connections", nil, admin...)
		list, _ := a.body["data"].([]any)
		if len(list) != 1 {
			t.Fatalf("list: %s", a.raw)
		}
		data, _ := list[0].(map[string]any)
		return data
	}
	if c := conn(t); c["status"] != "active" || c["last_error"] != nil || c["token_expires_at"] != nil || c["token_refreshed_at"] != nil {
		t.Fatalf("new connection: %v", c)
	}

	const newToken = "IGAAsandboxDemoTokenNew00000000000009"
	e.fake.AddToken(fakegraph.DemoUserID, newToken)
	steps := []struct {
		name      string
		do        func()
		status    int
		msg       string // in the call's answer
		connState string
		lastError bool
	}{
		{"token works", func() {}, 200, "", "active", false},
		{"token expired", func() { e.fake.ExpireToken(fakegraph.DemoToken) }, 401, connections.NeedsNewToken(e.id), "reauthorize", true},
		{"still expired: calls go on upstream", func() {}, 401, connections.NeedsNewToken(e.id), "reauthorize", true},
		{"new token", func() {
			if a := e.do(t, "PUT", "/admin/connections/"+e.id+"/token", strings.NewReader(`{"access_token":"`+newToken+`"}`), admin...); a.status != 200 {
				t.Fatalf("set-token: %s", a.raw)
			} else if d, _ := a.body["data"].(map[string]any); d["status"] != "active" || d["last_error"] != nil {
				t.Fatalf("set-token answer: %s", a.raw)
			}
		}, 200, "", "active", false},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.do()
			a := e.do(t, "GET", "/instagram/v21.0/me?api_token="+e.key, nil)
			if a.status != st.status || !strings.Contains(a.raw, st.msg) {
				t.Fatalf("call: %d %s", a.status, a.raw)
			}
			if st.status == 401 && (a.code() != "UPSTREAM_TOKEN_INVALID" || !strings.Contains(a.raw, "Session has expired")) {
				t.Fatalf("401 answer: %s", a.raw)
			}
			for _, c := range []map[string]any{conn(t), listed(t)} {
				last, _ := c["last_error"].(map[string]any)
				if c["status"] != st.connState || (last != nil) != st.lastError {
					t.Fatalf("connection: %v", c)
				}
				if last != nil && (last["code"] != "UPSTREAM_TOKEN_INVALID" || !strings.Contains(last["message"].(string), "Session has expired") || last["at"] == "") {
					t.Fatalf("last_error: %v", last)
				}
			}
		})
	}
}
