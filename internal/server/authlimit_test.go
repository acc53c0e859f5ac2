package server

import (
	"net/http"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/ulule/limiter/v3"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/limits"
	"github.com/igconnect/gateway/internal/redistest"
)

// from sets the peer's address and, when given, X-Forwarded-For.
func from(peer string, forwarded ...string) func(*http.Request) {
	return func(r *http.Request) {
		r.RemoteAddr = peer
		for _, f := range forwarded {
			r.Header.Set("X-Forwarded-For", f)
		}
	}
}

// wrongKey is key with its last character changed: the shape of a key of
// the same connection, so that checking it reads the store.
func wrongKey(key string) string {
	last := "A"
	if key[len(key)-1] == 'A' {
		last = "B"
	}
	return key[:len(key)-1] + last
}

// Failed authentications are limited per client address: the failures
// within the limit answer 401, then the address is refused with 429 without
// a store read, whatever key it sends; other addresses go on. The address
// is X-Forwarded-For only from a trusted proxy.
func TestAuthFailuresAreLimited(t *testing.T) {
	rate := limiter.Rate{Limit: 3, Period: time.Minute, Formatted: "3-M"}
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { rdb.Close() })
	red, err := limits.NewRedisAuthFailures(rdb, rate)
	if err != nil {
		t.Fatal(err)
	}
	proxy := netip.MustParsePrefix("10.0.0.0/8")
	for name, af := range map[string]*limits.AuthFailures{"memory": limits.NewMemoryAuthFailures(rate), "redis": red} {
		t.Run(name, func(t *testing.T) {
			p := newPipeline(t, Options{AuthFailures: af, TrustedProxies: []netip.Prefix{proxy}}, nil)
			steps := []struct {
				name   string
				key    string
				client func(*http.Request)
				status int
				read   bool // the store was read
			}{
				{"failure 1", wrongKey(p.key), from("192.0.2.10:5000"), 401, true},
				{"failure 2", wrongKey(p.key), from("192.0.2.10:5001"), 401, true},
				{"failure 3 reaches the limit", wrongKey(p.key), from("192.0.2.10:5002"), 401, true},
				{"over the limit", wrongKey(p.key), from("192.0.2.10:5003"), 429, false},
				{"good key over the limit", p.key, from("192.0.2.10:5004"), 429, false},
				{"untrusted peer's X-Forwarded-For ignored", p.key, from("192.0.2.10:5005", "203.0.113.99"), 429, false},
				{"another address", p.key, from("192.0.2.11:5000"), 200, true},
				{"through the proxy 1", wrongKey(p.key), from("10.0.0.1:80", "203.0.113.5"), 401, true},
				{"through the proxy 2", wrongKey(p.key), from("10.0.0.1:80", "203.0.113.5"), 401, true},
				{"through the proxy 3", wrongKey(p.key), from("10.0.0.2:80", "203.0.113.5"), 401, true},
				{"the forwarded client refused", p.key, from("10.0.0.1:80", "203.0.113.5"), 429, false},
				{"another client of the proxy", p.key, from("10.0.0.1:80", "203.0.113.6"), 200, true},
				{"the proxy itself", p.key, from("10.0.0.1:80"), 200, true},
				{"untrusted peer claiming the refused client", p.key, from("198.51.100.1:80", "203.0.113.5"), 200, true},
			}
			for _, s := range steps {
				gets := p.store.gets.Load()
				w := p.serve("GET", "/instagram/v21.0/me", nil, withKey(s.key), s.client)
				if w.Code != s.status {
					t.Fatalf("%s: %d %s, want %d", s.name, w.Code, w.Body, s.status)
				}
				if read := p.store.gets.Load() != gets; read != s.read {
					t.Fatalf("%s: store read %v, want %v", s.name, read, s.read)
				}
				switch s.status {
				case 401:
					if errorCode(t, w) != connectors.CodeInvalidAPIToken {
						t.Fatalf("%s: %s", s.name, w.Body)
					}
				case 429:
					ra, err := strconv.Atoi(w.Header().Get("Retry-After"))
					if errorCode(t, w) != connectors.CodeRateLimited || err != nil || ra < 1 || ra > 60 {
						t.Fatalf("%s: Retry-After %q %s", s.name, w.Header().Get("Retry-After"), w.Body)
					}
				}
			}
		})
	}
}

// Replicas share the count: a replica that never saw the address refuses
// it on its first failure over the limit.
func TestAuthFailuresSharedByReplicas(t *testing.T) {
	rate := limiter.Rate{Limit: 2, Period: time.Minute, Formatted: "2-M"}
	srv := redistest.Start(t)
	var ps [2]*pipeline
	for i := range ps {
		rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
		t.Cleanup(func() { rdb.Close() })
		af, err := limits.NewRedisAuthFailures(rdb, rate)
		if err != nil {
			t.Fatal(err)
		}
		ps[i] = newPipeline(t, Options{AuthFailures: af}, nil)
	}
	client := from("192.0.2.20:4000")
	for i, want := range []int{401, 401} {
		if w := ps[0].serve("GET", "/instagram/v21.0/me", nil, withKey(wrongKey(ps[0].key)), client); w.Code != want {
			t.Fatalf("failure %d on replica 0: %d", i+1, w.Code)
		}
	}
	if w := ps[1].serve("GET", "/instagram/v21.0/me", nil, withKey(wrongKey(ps[1].key)), client); w.Code != 429 {
		t.Fatalf("third failure, on replica 1: %d %s", w.Code, w.Body)
	}
}

// A failure that cannot be counted answers 503, never an uncounted 401.
func TestAuthFailuresUnavailable(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	af, err := limits.NewRedisAuthFailures(rdb, limiter.Rate{Limit: 3, Period: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	p := newPipeline(t, Options{AuthFailures: af}, nil)
	srv.Stop()
	w := p.serve("GET", "/instagram/v21.0/me", nil, withKey(wrongKey(p.key)))
	if w.Code != 503 || errorCode(t, w) != connectors.CodeUnavailable {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if w := p.serve("GET", "/instagram/v21.0/me", nil, withKey(p.key)); w.Code != 200 {
		t.Fatalf("a good key needs no failure count: %d %s", w.Code, w.Body)
	}
}
