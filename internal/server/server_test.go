package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ulule/limiter/v3"

	"github.com/igconnect/gateway/internal/connections"
	"github.com/igconnect/gateway/internal/connectors/instagram"
	"github.com/igconnect/gateway/internal/fakegraph"
	"github.com/igconnect/gateway/internal/fakegraph/fakegraphtest"
	"github.com/igconnect/gateway/internal/limits"
	"github.com/igconnect/gateway/internal/secret"
	"github.com/igconnect/gateway/internal/store/boltstore"
)

const adminToken = "admin-token-for-tests-0123456789"

type env struct {
	url  string
	fake *fakegraph.Server
	svc  *connections.Service
	key  string
	id   string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	fake, upURL := fakegraphtest.Start(t, 20*time.Millisecond)
	st, err := boltstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sealer, _ := secret.NewSealer(bytes.Repeat([]byte{1}, 32))
	conn := instagram.New(&instagram.Client{BaseURL: upURL, HTTP: instagram.NewHTTPClient(5 * time.Second)}, "v21.0", 2*time.Second)
	conn.PollInterval = 10 * time.Millisecond
	svc := connections.New(st, sealer, conn)
	srv := New(Options{
		Connections: svc, Connector: conn, AdminToken: adminToken,
		Limiter: limits.NewMemory(limiter.Rate{Limit: 1000, Period: time.Minute, Formatted: "1000-M"}),
		Ready:   st.Ping,
	})
	gw := httptest.NewServer(srv)
	t.Cleanup(gw.Close)
	v, err := svc.Create(context.Background(), fakegraph.DemoToken, "test")
	if err != nil {
		t.Fatal(err)
	}
	return &env{url: gw.URL, fake: fake, svc: svc, key: v.APIKey, id: v.ID}
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (e *env) do(t *testing.T, method, path string, body io.Reader, header ...string) answer {
	t.Helper()
	req, _ := http.NewRequest(method, e.url+path, body)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		t.Fatalf("%s %s: not JSON: %q", method, path, raw)
	}
	if _, ok := a.body["data"]; !ok {
		t.Fatalf("%s %s: no envelope: %s", method, path, raw)
	}
	return a
}

func (a answer) code() string {
	d, _ := a.body["data"].(map[string]any)
	e, _ := d["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func TestAuthWays(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name   string
		path   string
		header []string
		status int
	}{
		{"query", "/instagram/v21.0/me?api_token=" + e.key, nil, 200},
		{"x-api-key", "/instagram/v21.0/me", []string{"X-API-Key", e.key}, 200},
		{"bearer", "/instagram/v21.0/me", []string{"Authorization", "Bearer " + e.key}, 200},
		{"none", "/instagram/v21.0/me", nil, 401},
		{"wrong", "/instagram/v21.0/me?api_token=igw_" + strings.Repeat("A", 43), nil, 401},
		{"garbage", "/instagram/v21.0/me", []string{"X-API-Key", "nope"}, 401},
		{"admin token is no key", "/instagram/v21.0/me", []string{"Authorization", "Bearer " + adminToken}, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := e.do(t, "GET", tt.path, nil, tt.header...)
			if a.status != tt.status {
				t.Fatalf("%d %s", a.status, a.raw)
			}
			if tt.status == 200 && (a.header.Get("X-RateLimit-Limit") != "1000" || a.header.Get("X-RateLimit-Remaining") == "" || a.header.Get("X-RateLimit-Reset") == "") {
				t.Fatalf("rate limit headers: %v", a.header)
			}
			if tt.status == 401 && a.code() != "INVALID_API_TOKEN" {
				t.Fatal(a.raw)
			}
			if a.header.Get("X-Request-ID") == "" {
				t.Fatal("no X-Request-ID")
			}
		})
	}
	a := e.do(t, "GET", "/healthz", nil, "X-Request-ID", "caller-id-1")
	if a.header.Get("X-Request-ID") != "caller-id-1" {
		t.Fatal("caller's request id not kept")
	}
}

func TestBadInputNeverReachesUpstream(t *testing.T) {
	e := newEnv(t)
	k := "&api_token=" + e.key
	big := strings.NewReader(`{"caption":"` + strings.Repeat("a", MaxBody) + `"}`)
	tests := []struct {
		name, method, path string
		body               io.Reader
		status             int
		code               string
	}{
		{"non-numeric id", "GET", "/instagram/v21.0/abc?" + k, nil, 400, "BAD_REQUEST"},
		{"dotted id", "GET", "/instagram/v21.0/1.2?" + k, nil, 400, "BAD_REQUEST"},
		{"encoded slash", "GET", "/instagram/v21.0/12%2F34?" + k, nil, 400, "BAD_REQUEST"},
		{"encoded dot dot", "GET", "/instagram/v21.0/%2E%2E?" + k, nil, 400, "BAD_REQUEST"},
		{"space", "GET", "/instagram/v21.0/12%2034?" + k, nil, 400, "BAD_REQUEST"},
		{"old format slash", "GET", "/instagram/v21.0/ig_media_id?IG_MEDIA_ID=1%2F2" + k, nil, 400, "BAD_REQUEST"},
		{"old format missing", "GET", "/instagram/v21.0/ig_media_id?" + k, nil, 400, "BAD_REQUEST"},
		{"unknown field", "GET", "/instagram/v21.0/me?fields=id,secret" + k, nil, 400, "BAD_REQUEST"},
		{"media field on user", "GET", "/instagram/v21.0/me?fields=caption" + k, nil, 400, "BAD_REQUEST"},
		{"bad limit", "GET", "/instagram/v21.0/me/media?limit=0" + k, nil, 400, "BAD_REQUEST"},
		{"bad cursor", "GET", "/instagram/v21.0/me/media?after=a%01b" + k, nil, 400, "BAD_REQUEST"},
		{"unknown route", "GET", "/instagram/v21.0/me/media/x/y?" + k, nil, 404, "NOT_FOUND"},
		{"unknown top route", "GET", "/elsewhere", nil, 404, "NOT_FOUND"},
		{"wrong method", "PUT", "/instagram/v21.0/me?" + k, nil, 405, "METHOD_NOT_ALLOWED"},
		{"malformed json", "POST", "/instagram/v21.0/me/media_publish?" + k, strings.NewReader(`{"image_url":`), 400, "BAD_REQUEST"},
		{"unknown body field", "POST", "/instagram/v21.0/me/media_publish?" + k, strings.NewReader(`{"image_url":"https://e.com/a.jpg","x":1}`), 400, "BAD_REQUEST"},
		{"long caption", "POST", "/instagram/v21.0/me/media_publish?" + k, strings.NewReader(`{"image_url":"https://e.com/a.jpg","caption":"` + strings.Repeat("x", 2201) + `"}`), 400, "BAD_REQUEST"},
		{"eleven children", "POST", "/instagram/v21.0/me/media_publish?" + k, strings.NewReader(`{"children":["https://e.com/1.jpg","https://e.com/2.jpg","https://e.com/3.jpg","https://e.com/4.jpg","https://e.com/5.jpg","https://e.com/6.jpg","https://e.com/7.jpg","https://e.com/8.jpg","https://e.com/9.jpg","https://e.com/10.jpg","https://e.com/11.jpg"]}`), 400, "BAD_REQUEST"},
		{"missing media url", "POST", "/instagram/v21.0/me/media_publish?" + k, strings.NewReader(`{"caption":"x"}`), 400, "BAD_REQUEST"},
		{"empty body", "POST", "/instagram/v21.0/me/media_publish?" + k, nil, 400, "BAD_REQUEST"},
		{"oversized body", "POST", "/instagram/v21.0/me/media_publish?" + k, big, 413, "PAYLOAD_TOO_LARGE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.fake.Requests()
			a := e.do(t, tt.method, tt.path, tt.body)
			if a.status != tt.status || a.code() != tt.code {
				t.Fatalf("%d %s, want %d %s", a.status, a.raw, tt.status, tt.code)
			}
			if e.fake.Requests() != before {
				t.Fatal("bad input reached upstream")
			}
		})
	}
	if a := e.do(t, "PUT", "/instagram/v21.0/me?api_token="+e.key, nil); a.header.Get("Allow") != "GET" {
		t.Fatalf("Allow = %q", a.header.Get("Allow"))
	}
}

func TestUpstreamErrorMapping(t *testing.T) {
	e := newEnv(t)
	other := e.fake.AddMedia(fakegraph.OtherUserID, 1)[0]
	a := e.do(t, "GET", "/instagram/v21.0/"+other+"?api_token="+e.key, nil)
	up, _ := a.body["data"].(map[string]any)["error"].(map[string]any)["upstream"].(map[string]any)
	if a.status != 404 || a.code() != "NOT_FOUND" || up["code"] != 100.0 || up["error_subcode"] != 33.0 || up["fbtrace_id"] == "" {
		t.Fatalf("foreign media: %s", a.raw)
	}
	e.fake.Throttle(fakegraph.DemoUserID, 613, 2*time.Minute)
	a = e.do(t, "GET", "/instagram/v21.0/me?api_token="+e.key, nil)
	if a.status != 429 || a.code() != "RATE_LIMITED" || a.header.Get("Retry-After") != "120" {
		t.Fatalf("throttled: %d %v %s", a.status, a.header, a.raw)
	}
	// The gateway now holds this connection's calls: upstream is not called.
	before := e.fake.Requests()
	a = e.do(t, "GET", "/instagram/v21.0/me?api_token="+e.key, nil)
	if ra, _ := strconv.Atoi(a.header.Get("Retry-After")); a.status != 429 || ra < 118 || ra > 120 || e.fake.Requests() != before {
		t.Fatalf("held: %d %v %s (upstream called: %v)", a.status, a.header, a.raw, e.fake.Requests() != before)
	}

	otherConn, err := e.svc.Create(context.Background(), fakegraph.OtherToken, "other")
	if err != nil {
		t.Fatal(err)
	}
	e.fake.ExpireToken(fakegraph.OtherToken)
	a = e.do(t, "GET", "/instagram/v21.0/me?api_token="+otherConn.APIKey, nil)
	if a.status != 401 || a.code() != "UPSTREAM_TOKEN_INVALID" || strings.Contains(a.raw, fakegraph.OtherToken) {
		t.Fatalf("expired: %s", a.raw)
	}
}

// Usage headers at 100%: the answer is delivered, then the connection's calls
// are held without reaching upstream.
func TestUsageAtFullHoldsCalls(t *testing.T) {
	e := newEnv(t)
	e.fake.SetUsageBudget(3) // the connection's creation made one call
	for i := range 2 {
		if a := e.do(t, "GET", "/instagram/v21.0/me?api_token="+e.key, nil); a.status != 200 {
			t.Fatalf("call %d: %s", i, a.raw)
		}
	}
	before := e.fake.Requests()
	a := e.do(t, "GET", "/instagram/v21.0/me?api_token="+e.key, nil)
	if a.status != 429 || a.code() != "RATE_LIMITED" || a.header.Get("Retry-After") != "60" || e.fake.Requests() != before {
		t.Fatalf("after usage reached 100%%: %d %v %s", a.status, a.header, a.raw)
	}
}

func TestAdmin(t *testing.T) {
	e := newEnv(t)
	auth := []string{"Authorization", "Bearer " + adminToken, "Content-Type", "application/json"}
	// Refused without the token.
	for _, h := range [][]string{nil, {"Authorization", "Bearer wrong"}, {"Authorization", "Bearer " + e.key}} {
		if a := e.do(t, "GET", "/admin/connections", nil, h...); a.status != 401 || a.code() != "INVALID_ADMIN_TOKEN" {
			t.Fatalf("%v: %s", h, a.raw)
		}
	}
	a := e.do(t, "POST", "/admin/connections", strings.NewReader(`{"access_token":"`+fakegraph.OtherToken+`","name":"other"}`), auth...)
	data, _ := a.body["data"].(map[string]any)
	key, _ := data["api_key"].(string)
	id, _ := data["id"].(string)
	if a.status != 201 || func() bool { kid, ok := secret.APIKeyID(key); return !ok || kid != id }() || data["instagram_user_id"] != fakegraph.OtherUserID || data["username"] != "sandbox_other" || data["created_at"] == nil || data["name"] != "other" {
		t.Fatalf("create: %s", a.raw)
	}
	for _, tt := range []struct{ name, body string }{
		{"rejected token", `{"access_token":"bogus"}`},
		{"expired token", `{"access_token":"` + fakegraph.ExpiredToken + `"}`},
		{"no token", `{}`},
		{"malformed", `{"access_token":`},
		{"unknown field", `{"access_token":"x","scope":"all"}`},
		{"spaces", `{"access_token":"a b"}`},
	} {
		before, _ := e.svc.List(context.Background())
		if a := e.do(t, "POST", "/admin/connections", strings.NewReader(tt.body), auth...); a.status != 400 || a.code() != "BAD_REQUEST" {
			t.Fatalf("%s: %s", tt.name, a.raw)
		}
		after, _ := e.svc.List(context.Background())
		if len(after) != len(before) {
			t.Fatalf("%s stored a connection", tt.name)
		}
	}
	if a := e.do(t, "POST", "/admin/connections", strings.NewReader(`{"access_token":"bogus"}`), auth...); !strings.Contains(a.raw, `"upstream":{"code":190`) {
		t.Fatalf("no upstream detail: %s", a.raw)
	}
	list := e.do(t, "GET", "/admin/connections", nil, auth...)
	if n := len(list.body["data"].([]any)); n != 2 || strings.Contains(list.raw, "key_hash") || strings.Contains(list.raw, "api_key") || strings.Contains(list.raw, "encrypted") {
		t.Fatalf("list: %s", list.raw)
	}
	if a := e.do(t, "GET", "/admin/connections/"+id, nil, auth...); a.status != 200 || strings.Contains(a.raw, key) {
		t.Fatalf("get: %s", a.raw)
	}
	for _, bad := range []string{"conn_0000000000000000000f", "nope", "..%2F.."} {
		if a := e.do(t, "GET", "/admin/connections/"+bad, nil, auth...); a.status != 404 {
			t.Fatalf("get %s: %s", bad, a.raw)
		}
	}
	rot := e.do(t, "POST", "/admin/connections/"+id+"/rotate", nil, auth...)
	newKey, _ := rot.body["data"].(map[string]any)["api_key"].(string)
	if rot.status != 200 || newKey == "" || newKey == key {
		t.Fatalf("rotate: %s", rot.raw)
	}
	if a := e.do(t, "GET", "/instagram/v21.0/me?api_token="+key, nil); a.status != 401 {
		t.Fatal("old key still works")
	}
	if a := e.do(t, "GET", "/instagram/v21.0/me?api_token="+newKey, nil); a.status != 200 || !strings.Contains(a.raw, "sandbox_other") {
		t.Fatalf("new key: %s", a.raw)
	}
	if a := e.do(t, "DELETE", "/admin/connections/"+id, nil, auth...); a.status != 200 {
		t.Fatalf("delete: %s", a.raw)
	}
	if a := e.do(t, "GET", "/instagram/v21.0/me?api_token="+newKey, nil); a.status != 401 {
		t.Fatal("deleted key still works")
	}
	if a := e.do(t, "DELETE", "/admin/connections/"+id, nil, auth...); a.status != 404 {
		t.Fatalf("delete twice: %s", a.raw)
	}
}

func TestNoAdminTokenRefusesAll(t *testing.T) {
	e := newEnv(t)
	srv := New(Options{Connections: e.svc, Connector: e.svc.Connector, Limiter: limits.NewMemory(limiter.Rate{Limit: 1, Period: time.Minute})})
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/admin/connections", nil)
	r.Header.Set("Authorization", "Bearer ")
	srv.ServeHTTP(w, r)
	if w.Code != 401 {
		t.Fatal(w.Code)
	}
}

func TestPagingLinksFollowFormatAndHost(t *testing.T) {
	e := newEnv(t)
	next := "/instagram/v21.0/me/media?limit=7&fields=id&api_token=" + e.key
	seen := 0
	for pages := 0; next != "" && pages < 10; pages++ {
		a := e.do(t, "GET", next, nil, "X-API-Key", e.key)
		if strings.Contains(a.raw, fakegraph.DemoToken) || strings.Contains(a.raw, e.key) || strings.Contains(a.raw, "access_token") {
			t.Fatalf("answer carries a secret: %s", a.raw)
		}
		d := a.body["data"].(map[string]any)
		seen += len(d["data"].([]any))
		link, _ := a.body["nextLink"].(string)
		if link == "" {
			break
		}
		if !strings.HasPrefix(link, e.url+"/instagram/v21.0/me/media?") {
			t.Fatalf("link %s", link)
		}
		next = strings.TrimPrefix(link, e.url)
	}
	if seen != 30 {
		t.Fatalf("saw %d media", seen)
	}
}

func TestReadyz(t *testing.T) {
	e := newEnv(t)
	if a := e.do(t, "GET", "/readyz", nil); a.status != 200 {
		t.Fatal(a.raw)
	}
	if a := e.do(t, "GET", "/healthz", nil); a.status != 200 {
		t.Fatal(a.raw)
	}
}

// doRaw returns a non-envelope body (a definition).
func (e *env) doRaw(t *testing.T, method, path string) []byte {
	t.Helper()
	req, _ := http.NewRequest(method, e.url+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	return raw
}
