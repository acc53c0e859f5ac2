package server

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/ulule/limiter/v3"

	"github.com/igconnect/gateway/internal/connectors/instagram"
	"github.com/igconnect/gateway/internal/limits"
)

// Action and admin answers, errors and 429 included, are never cached;
// definitions keep their no-cache, operational endpoints their own.
func TestCacheControl(t *testing.T) {
	p := newPipeline(t, Options{Limiter: limits.NewMemory(limiter.Rate{Limit: 2, Period: time.Minute})}, nil)
	admin := func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+adminToken) }
	steps := []struct {
		name, method, path string
		setup              func(*http.Request)
		status             int
		want               string
	}{
		{"action", "GET", "/instagram/v21.0/me", withKey(p.key), 200, "no-store"},
		{"graph action", "GET", "/instagram/graph/v21.0/me", withKey(p.key), 200, "no-store"},
		{"bad input", "GET", "/instagram/v21.0/me?fields=nope", withKey(p.key), 400, "no-store"},
		{"no key", "GET", "/instagram/v21.0/me", nil, 401, "no-store"},
		{"unknown action", "GET", "/instagram/v21.0/me/x/y", nil, 404, "no-store"},
		{"wrong method", "DELETE", "/instagram/v21.0/me", nil, 405, "no-store"},
		{"rate limited", "GET", "/instagram/v21.0/me", withKey(p.key), 429, "no-store"},
		{"admin list", "GET", "/admin/connections", admin, 200, "no-store"},
		{"admin get", "GET", "/admin/connections/" + p.id, admin, 200, "no-store"},
		{"admin unknown", "GET", "/admin/connections/nope", admin, 404, "no-store"},
		{"admin refused", "GET", "/admin/connections", nil, 401, "no-store"},
		{"definition", "GET", "/instagram/openapi", nil, 200, "no-cache"},
		{"old definition", "GET", "/instagram/definition", nil, 200, "no-cache"},
		{"swagger", "GET", "/swagger/doc.json", nil, 200, "no-cache"},
		{"healthz", "GET", "/healthz", nil, 200, ""},
	}
	for _, s := range steps {
		var setup []func(*http.Request)
		if s.setup != nil {
			setup = append(setup, s.setup)
		}
		w := p.serve(s.method, s.path, nil, setup...)
		if w.Code != s.status || w.Header().Get("Cache-Control") != s.want {
			t.Errorf("%s: %d Cache-Control %q, want %d %q", s.name, w.Code, w.Header().Get("Cache-Control"), s.status, s.want)
		}
	}
}

// The admin token is compared by digest: equal only when identical,
// whatever the lengths.
func TestAdminTokenCompare(t *testing.T) {
	opts := Options{
		Connector: instagram.New(&instagram.Client{}, "v21.0", time.Second),
		Limiter:   limits.NewMemory(limiter.Rate{Limit: 1, Period: time.Minute}),
	}
	none := New(opts)
	opts.AdminToken = adminToken
	s := New(opts)
	tests := []struct {
		name, token string
		want        bool
	}{
		{"same", adminToken, true},
		{"empty", "", false},
		{"prefix", adminToken[:len(adminToken)-1], false},
		{"longer", adminToken + "0", false},
		{"same length", strings.Repeat("x", len(adminToken)), false},
		{"much longer", strings.Repeat(adminToken, 100), false},
	}
	for _, tt := range tests {
		if got := s.adminToken(tt.token); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	if none.adminToken("") {
		t.Error("with no admin token configured, the empty token matched")
	}
}

// A panic answers 500; the log names the value's type and the request,
// never the value (it may carry request data).
func TestPanicLogsTypeOnly(t *testing.T) {
	const leak = "igw_conn_0123456789abcdef0123.SECRETSECRETSECRET"
	tests := []struct {
		name     string
		value    any
		wantType string
	}{
		{"string", "api_token=" + leak, "string"},
		{"error", &httpError{leak}, "*server.httpError"},
		{"struct", struct{ Key string }{leak}, "struct { Key string }"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			s := &Server{log: slog.New(slog.NewJSONHandler(&logs, nil))}
			e := gin.New()
			e.Use(s.requestID, s.recovery)
			e.GET("/boom", func(*gin.Context) { panic(tt.value) })
			w := httptest.NewRecorder()
			r := httptest.NewRequest("GET", "/boom", nil)
			r.Header.Set("X-Request-ID", "req-panic-1")
			e.ServeHTTP(w, r)
			if w.Code != 500 || strings.Contains(w.Body.String(), "SECRET") {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			out := logs.String()
			if strings.Contains(out, "SECRET") {
				t.Fatalf("the log carries the panic's value: %s", out)
			}
			if !strings.Contains(out, `"request_id":"req-panic-1"`) || !strings.Contains(out, `"panic_type":"`+strings.ReplaceAll(tt.wantType, `"`, `\"`)+`"`) {
				t.Fatalf("the log lacks the request id or the type: %s", out)
			}
		})
	}
}

type httpError struct{ s string }

func (e *httpError) Error() string { return e.s }
