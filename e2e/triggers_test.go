package e2e

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/igconnect/gateway/internal/fakegraph"
)

const newMediaTrigger = "/instagram/v21.0/triggers/new-media"

// paPoller polls the new-media trigger as Power Automate does: it follows
// each answer's Location after its Retry-After (scaled down to a
// millisecond a second), with the connection's key in a header, each poll
// on the other replica, and collects the items of the 200s.
type paPoller struct {
	t         *testing.T
	replicas  []*gateway
	key       string
	next      string
	polls     int
	got       []string
	remaining int // X-RateLimit-Remaining of the last poll (-1: none yet)
}

// poll polls once, checks the protocol and that the poll cost one call of
// the rate limit the replicas share.
func (p *paPoller) poll() answer {
	t := p.t
	t.Helper()
	g := p.replicas[p.polls%len(p.replicas)]
	p.polls++
	u := g.URL + newMediaTrigger
	if p.next != "" {
		loc, _ := url.Parse(p.next)
		u = g.URL + loc.RequestURI()
	}
	a := call(t, "GET", u, nil, "X-API-Key", p.key)
	if a.Status != 200 && a.Status != 202 {
		t.Fatalf("poll %d on %s: %d %s", p.polls, g.URL, a.Status, a.Raw)
	}
	loc, err := url.Parse(a.Header.Get("Location"))
	if err != nil || "http://"+loc.Host != g.URL || loc.Path != newMediaTrigger || loc.Query().Get("state") == "" ||
		strings.Contains(loc.RawQuery, p.key) || strings.Contains(loc.RawQuery, "api_token") {
		t.Fatalf("poll %d: Location %q", p.polls, a.Header.Get("Location"))
	}
	retry, err := strconv.Atoi(a.Header.Get("Retry-After"))
	if err != nil || retry < 1 {
		t.Fatalf("poll %d: Retry-After %q", p.polls, a.Header.Get("Retry-After"))
	}
	remaining, err := strconv.Atoi(a.Header.Get("X-RateLimit-Remaining"))
	if err != nil || p.remaining >= 0 && remaining != p.remaining-1 {
		t.Fatalf("poll %d: X-RateLimit-Remaining %q after %d: a poll is one call, on every replica", p.polls, a.Header.Get("X-RateLimit-Remaining"), p.remaining)
	}
	p.remaining = remaining
	if a.Status == 200 {
		items, _ := a.Body["value"].([]any)
		if len(items) == 0 {
			t.Fatalf("poll %d: 200 without value: %s", p.polls, a.Raw)
		}
		for _, it := range items {
			p.got = append(p.got, it.(map[string]any)["id"].(string))
		}
	}
	p.next = loc.String()
	time.Sleep(time.Duration(retry) * time.Millisecond)
	return a
}

// idle polls until a 202 asks to come back after the whole interval.
func (p *paPoller) idle() {
	p.t.Helper()
	for range 100 {
		if a := p.poll(); a.Status == 202 && a.Header.Get("Retry-After") == "60" {
			return
		}
	}
	p.t.Fatal("still polling after 100 polls")
}

// Two replicas of the binary on one redis-server answer one trigger's
// polls in turn: every media posted after the start comes once, oldest
// first, bursts over a page included, and each poll costs one call of the
// limit they share. A state tampered with, or sent with another
// connection's key, is refused.
func TestTriggerAcrossReplicas(t *testing.T) {
	fake, a, b, secrets := twoReplicas(t)
	_, key := createConnection(t, a, fakegraph.DemoToken)
	_, otherKey := createConnection(t, b, fakegraph.OtherToken)
	secrets = append(secrets, key, otherKey)
	p := &paPoller{t: t, replicas: []*gateway{a, b}, key: key, remaining: -1}
	if r := p.poll(); r.Status != 202 {
		t.Fatalf("first poll: %d %s", r.Status, r.Raw)
	}
	var want []string
	for _, n := range []int{1, 150, 3, 101} {
		ids := fake.AddMedia(fakegraph.DemoUserID, n)
		slices.Reverse(ids)
		want = append(want, ids...)
		p.idle()
	}
	if !slices.Equal(p.got, want) {
		t.Fatalf("delivered %d media, want %d, once each and oldest first", len(p.got), len(want))
	}

	loc, _ := url.Parse(p.next)
	state := loc.Query().Get("state")
	tampered := state[:len(state)/2] + strings.Map(func(r rune) rune {
		if r == 'A' {
			return 'B'
		}
		return 'A'
	}, state[len(state)/2:len(state)/2+1]) + state[len(state)/2+1:]
	tests := []struct {
		name, state, key string
	}{
		{"tampered", tampered, key},
		{"another connection's", state, otherKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, g := range []*gateway{a, b} {
				r := call(t, "GET", g.URL+newMediaTrigger+"?state="+url.QueryEscape(tt.state), nil, "X-API-Key", tt.key)
				if r.Status != 400 || r.Code() != "BAD_REQUEST" || r.Header.Get("X-RateLimit-Remaining") != "" {
					t.Fatalf("%d %v %s", r.Status, r.Header, r.Raw)
				}
			}
		})
	}
	assertNoSecrets(t, secrets, a, b)
}
