package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ulule/limiter/v3"

	"github.com/igconnect/gateway/internal/connections"
	"github.com/igconnect/gateway/internal/connectors/instagram"
	"github.com/igconnect/gateway/internal/limits"
	"github.com/igconnect/gateway/internal/store/boltstore"
)

// hostServer is a server on an empty store: enough for the routes that
// need no key (definitions) and for the Host rules.
func hostServer(t *testing.T, opts Options) *Server {
	t.Helper()
	st, err := boltstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	conn := instagram.New(&instagram.Client{BaseURL: "http://127.0.0.1:1", HTTP: instagram.NewHTTPClient(time.Second)}, "v21.0", time.Second)
	opts.Connections = connections.New(st, nil, conn)
	opts.Connector = conn
	opts.Limiter = limits.NewMemory(limiter.Rate{Limit: 10, Period: time.Minute, Formatted: "10-M"})
	return New(opts)
}

// TestMalformedHost: a Host that is not host[:port] answers 400 in the
// envelope on every route that writes URLs; before, /swagger/doc.json,
// /instagram/openapi and /instagram/definition panicked on a nil
// url.Parse result and answered 500.
func TestMalformedHost(t *testing.T) {
	s := hostServer(t, Options{})
	routes := []string{"/swagger/doc.json", "/instagram/openapi", "/instagram/definition"}
	bad := []string{"%zz", "[::1", "a:b:c", "exa mple.com", "host:0", "host:99999", "host:", "-bad.com", "a..b", "[fe80::1%25eth0]", "user@host", "host/path", strings.Repeat("a", 64) + ".com"}
	for _, route := range routes {
		for _, host := range bad {
			req := httptest.NewRequest(http.MethodGet, route, nil)
			req.Host = host
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			var env struct {
				Data struct {
					Error struct{ Code string } `json:"error"`
				} `json:"data"`
			}
			if rec.Code != http.StatusBadRequest || json.Unmarshal(rec.Body.Bytes(), &env) != nil || env.Data.Error.Code != "BAD_REQUEST" {
				t.Errorf("%s Host %q: %d %s", route, host, rec.Code, rec.Body.String())
			}
		}
	}
	good := map[string]string{
		"gateway.example.com": "gateway.example.com", "localhost:8080": "localhost:8080",
		"127.0.0.1:9": "127.0.0.1:9", "[::1]:8080": "[::1]:8080", "[2001:db8::1]": "[2001:db8::1]", "Gateway.Example.COM": "gateway.example.com",
	}
	for _, route := range routes {
		for host, want := range good {
			req := httptest.NewRequest(http.MethodGet, route, nil)
			req.Host = host
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			got, _, _, err := servedBase(rec.Body.Bytes())
			if rec.Code != http.StatusOK || err != nil || got != want {
				t.Errorf("%s Host %q: %d host=%q", route, host, rec.Code, got)
			}
		}
	}
}

// TestForwardedProtoTrust: X-Forwarded-Proto sets the links' scheme only
// when the peer is one of the trusted proxies; before, any caller could
// switch it.
func TestForwardedProtoTrust(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	tests := []struct {
		name    string
		proxies []netip.Prefix
		peer    string
		proto   string
		want    string
	}{
		{"no proxies configured", nil, "10.1.2.3:5000", "https", "http"},
		{"untrusted peer", trusted, "192.0.2.7:5000", "https", "http"},
		{"trusted peer", trusted, "10.1.2.3:5000", "https", "https"},
		{"trusted IPv6 peer", trusted, "[::1]:5000", "https", "https"},
		{"trusted peer, list", trusted, "10.1.2.3:5000", "HTTPS, http", "https"},
		{"trusted peer, junk", trusted, "10.1.2.3:5000", "gopher", "http"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := hostServer(t, Options{TrustedProxies: tt.proxies})
			req := httptest.NewRequest(http.MethodGet, "/swagger/doc.json", nil)
			req.Host = "gw.example.com"
			req.RemoteAddr = tt.peer
			req.Header.Set("X-Forwarded-Proto", tt.proto)
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			var doc struct{ Schemes []string }
			if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &doc) != nil || len(doc.Schemes) != 1 || doc.Schemes[0] != tt.want {
				t.Fatalf("%d schemes=%v, want %s", rec.Code, doc.Schemes, tt.want)
			}
		})
	}
}

// TestPublicURLWins: with GATEWAY_PUBLIC_URL set, neither Host nor
// X-Forwarded-Proto matters, and a malformed Host is harmless.
func TestPublicURLWins(t *testing.T) {
	s := hostServer(t, Options{PublicURL: "https://api.example.com/gw"})
	req := httptest.NewRequest(http.MethodGet, "/instagram/openapi", nil)
	req.Host = "a:b:c"
	req.Header.Set("X-Forwarded-Proto", "http")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	host, basePath, scheme, err := servedBase(rec.Body.Bytes())
	if rec.Code != 200 || err != nil || host != "api.example.com" || scheme != "https" || basePath != "/gw/instagram/v21.0" {
		t.Fatalf("%d %s %s %s %v", rec.Code, host, basePath, scheme, err)
	}
}

func TestValidHost(t *testing.T) {
	for h, want := range map[string]bool{
		"a": true, "a.b": true, "svc_name:8080": true, "a-b.c:1": true, "1.2.3.4:65535": true, "[::]:1": true,
		"": false, ":80": false, "a:": false, "a:01": false, "a.-b": false, "[::1]x": false, "[1.2.3.4]": false,
	} {
		if validHost(h) != want {
			t.Errorf("validHost(%q) = %v", h, !want)
		}
	}
}
