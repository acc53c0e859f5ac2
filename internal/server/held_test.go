package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/igconnect/gateway/internal/fakegraph"
)

// TestHeldCallsCostNothing: while Instagram throttles a connection, the
// gateway answers its calls with 429 itself, before the limiter: they cost
// the connection nothing. Before, each held 429 took a call.
func TestHeldCallsCostNothing(t *testing.T) {
	p := newPipeline(t, Options{}, nil)
	p.fake.Throttle(fakegraph.DemoUserID, 4, time.Minute)
	if w := p.serve("GET", "/instagram/v21.0/me", nil, withKey(p.key)); w.Code != http.StatusTooManyRequests {
		t.Fatalf("throttled call: %d %s", w.Code, w.Body)
	}
	peek := func() int64 {
		lc, err := p.opts.Limiter.Peek(context.Background(), p.id)
		if err != nil {
			t.Fatal(err)
		}
		return lc.Remaining
	}
	before := peek()
	for range 3 {
		w := p.serve("GET", "/instagram/v21.0/me", nil, withKey(p.key))
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
			t.Fatalf("held call: %d %v", w.Code, w.Header())
		}
	}
	if after := peek(); after != before {
		t.Fatalf("held 429s took calls: remaining %d → %d", before, after)
	}
}

// TestInsightsPagingEnds: a follower of nextLink (Power Automate with
// pagination on) reaches the present and stops. Before, Instagram's next
// window was always rebuilt, and the link never ended.
func TestInsightsPagingEnds(t *testing.T) {
	p := newPipeline(t, Options{}, nil)
	target := "/instagram/v21.0/me/insights?metric=reach&period=day&since=" + strconv.FormatInt(time.Now().Add(-10*24*time.Hour).Unix(), 10)
	for hops := 0; ; hops++ {
		if hops > 40 {
			t.Fatal("nextLink still there after 40 pages")
		}
		w := p.serve("GET", target, nil, withKey(p.key))
		if w.Code != http.StatusOK {
			t.Fatalf("hop %d: %d %s", hops, w.Code, w.Body)
		}
		var page struct {
			NextLink string `json:"nextLink"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil {
			t.Fatal(err)
		}
		if page.NextLink == "" {
			return
		}
		u, err := url.Parse(page.NextLink)
		if err != nil {
			t.Fatal(err)
		}
		target = u.RequestURI()
	}
}
