package limits

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/ulule/limiter/v3"

	"github.com/igconnect/gateway/internal/redistest"
)

func fail(t *testing.T, a *AuthFailures, addr string) time.Duration {
	t.Helper()
	wait, err := a.Fail(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	return wait
}

// The failure that reaches the limit is answered; from then on the address
// is refused in process, other addresses are not.
func TestAuthFailures(t *testing.T) {
	rate := limiter.Rate{Limit: 3, Period: time.Minute, Formatted: "3-M"}
	srv := redistest.Start(t)
	red, err := NewRedisAuthFailures(redisClient(t, srv.Addr), rate)
	if err != nil {
		t.Fatal(err)
	}
	for name, a := range map[string]*AuthFailures{"memory": NewMemoryAuthFailures(rate), "redis": red} {
		t.Run(name, func(t *testing.T) {
			if a.Blocking() {
				t.Fatal("blocking before any failure")
			}
			for i := 1; i <= 3; i++ {
				if wait := fail(t, a, "192.0.2.1"); wait != 0 {
					t.Fatalf("failure %d refused for %v", i, wait)
				}
				if blocked := a.Blocked("192.0.2.1") > 0; blocked != (i == 3) {
					t.Fatalf("after failure %d: blocked %v", i, blocked)
				}
			}
			if wait := a.Blocked("192.0.2.1"); wait <= 0 || wait > time.Minute {
				t.Fatalf("blocked for %v", wait)
			}
			if wait := fail(t, a, "192.0.2.1"); wait < time.Second || wait > time.Minute {
				t.Fatalf("failure over the limit: refused for %v", wait)
			}
			if a.Blocked("2001:db8::1") != 0 || fail(t, a, "2001:db8::1") != 0 {
				t.Fatal("another address was refused")
			}
		})
	}
}

// Replicas share the count; each learns of a block on its own next failure.
func TestAuthFailuresAcrossReplicas(t *testing.T) {
	rate := limiter.Rate{Limit: 2, Period: time.Minute, Formatted: "2-M"}
	srv := redistest.Start(t)
	var replicas [2]*AuthFailures
	for i := range replicas {
		a, err := NewRedisAuthFailures(redisClient(t, srv.Addr), rate)
		if err != nil {
			t.Fatal(err)
		}
		replicas[i] = a
	}
	fail(t, replicas[0], "198.51.100.7")
	fail(t, replicas[0], "198.51.100.7")
	if replicas[0].Blocked("198.51.100.7") == 0 {
		t.Fatal("the replica that counted the last failure does not block")
	}
	if replicas[1].Blocked("198.51.100.7") != 0 {
		t.Fatal("the other replica blocks before any failure of its own")
	}
	if wait := fail(t, replicas[1], "198.51.100.7"); wait == 0 || replicas[1].Blocked("198.51.100.7") == 0 {
		t.Fatal("the other replica let a failure over the shared limit through")
	}
}

// A block ends with its window, and remembered addresses are forgotten once
// their block is over.
func TestAuthFailuresForget(t *testing.T) {
	a := NewMemoryAuthFailures(limiter.Rate{Limit: 1, Period: time.Minute})
	now := time.Now()
	a.now = func() time.Time { return now }
	for i := range sweepAt {
		a.remember("addr-"+strconv.Itoa(i), now.Add(-time.Second))
	}
	a.remember("192.0.2.9", now.Add(time.Minute))
	if len(a.blocked) != 1 {
		t.Fatalf("%d addresses remembered, want the one still blocked", len(a.blocked))
	}
	if a.Blocked("192.0.2.9") != time.Minute || !a.Blocking() {
		t.Fatal("not blocked")
	}
	now = now.Add(time.Minute)
	if a.Blocked("192.0.2.9") != 0 || len(a.blocked) != 0 || a.Blocking() {
		t.Fatal("a block outlived its window")
	}
}

// Without Redis, a failure cannot be counted: Fail errs.
func TestAuthFailuresRedisDown(t *testing.T) {
	srv := redistest.Start(t)
	a, err := NewRedisAuthFailures(redisClient(t, srv.Addr), limiter.Rate{Limit: 5, Period: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	if _, err := a.Fail(context.Background(), "192.0.2.1"); err == nil {
		t.Fatal("a failure passed uncounted")
	}
}

// TestAuthFailuresIPv6Prefix: failures from one IPv6 /64 count together, so
// walking through a subscriber's addresses does not escape the limit.
func TestAuthFailuresIPv6Prefix(t *testing.T) {
	a := NewMemoryAuthFailures(limiter.Rate{Limit: 3, Period: time.Minute, Formatted: "3-M"})
	ctx := context.Background()
	var wait time.Duration
	for i := range 4 {
		w, err := a.Fail(ctx, fmt.Sprintf("2001:db8:1:2::%x", i+1))
		if err != nil {
			t.Fatal(err)
		}
		wait = w
	}
	if wait <= 0 || a.Blocked("2001:db8:1:2:ffff::1") <= 0 {
		t.Fatal("four failures from one /64 were not limited together")
	}
	if a.Blocked("2001:db8:1:3::1") > 0 || a.Blocked("192.0.2.1") > 0 {
		t.Fatal("another /64 or an IPv4 address is blocked")
	}
	for in, want := range map[string]string{"192.0.2.1": "192.0.2.1", "::ffff:192.0.2.1": "192.0.2.1", "2001:db8::1": "2001:db8::/64", "junk": "junk"} {
		if got := clientKey(in); got != want {
			t.Errorf("clientKey(%q) = %q, want %q", in, got, want)
		}
	}
}
