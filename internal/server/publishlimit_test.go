package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/ulule/limiter/v3"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/limits"
	"github.com/igconnect/gateway/internal/redistest"
)

const publishBody = `{"image_url":"https://example.com/a.jpg"}`

// gate holds upstream's container creations until opened.
type gate struct {
	open    chan struct{}
	arrived atomic.Int64
}

func newGate() *gate { return &gate{open: make(chan struct{})} }

func (g *gate) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/media") {
			// Reading the body lets the server see the caller go.
			r.ParseForm()
			g.arrived.Add(1)
			select {
			case <-g.open:
			case <-r.Context().Done():
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// waitArrived waits until n container creations are held.
func (g *gate) waitArrived(t *testing.T, n int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for g.arrived.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d publishes reached upstream, want %d", g.arrived.Load(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (p *pipeline) publish(ctx context.Context) (int, string) {
	r, _ := http.NewRequestWithContext(ctx, "POST", "/instagram/v21.0/me/media_publish", strings.NewReader(publishBody))
	r.Header.Set("X-API-Key", p.key)
	w := httptest.NewRecorder()
	p.h.ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

// The publishes of a connection beyond its cap answer 429 with Retry-After,
// are not counted against the rate limit and never reach upstream; reads go
// on, and a finished publish frees its place.
func TestPublishesInFlightAreCapped(t *testing.T) {
	g := newGate()
	p := newPipeline(t, Options{PublishSlots: limits.NewMemorySlots(2)}, g.wrap)
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _ = p.publish(context.Background())
		}()
	}
	g.waitArrived(t, 2)
	before := p.remaining(t)
	upstream := p.fake.Requests()
	w := p.serve("POST", "/instagram/v21.0/me/media_publish", strings.NewReader(publishBody), withKey(p.key))
	if w.Code != 429 || errorCode(t, w) != connectors.CodeRateLimited || !strings.Contains(w.Body.String(), "in flight") {
		t.Fatalf("third publish: %d %s", w.Code, w.Body)
	}
	if ra, err := strconv.Atoi(w.Header().Get("Retry-After")); err != nil || ra < 1 {
		t.Fatalf("Retry-After %q", w.Header().Get("Retry-After"))
	}
	if g.arrived.Load() != 2 || p.fake.Requests() != upstream {
		t.Fatal("the refused publish reached upstream")
	}
	if after := p.remaining(t); after != before-1 {
		t.Fatalf("remaining %d, then %d: the refused publish was counted", before, after)
	}
	close(g.open)
	wg.Wait()
	if codes[0] != 200 || codes[1] != 200 {
		t.Fatalf("held publishes answered %v", codes)
	}
	if code, body := p.publish(context.Background()); code != 200 {
		t.Fatalf("publish after the others ended: %d %s", code, body)
	}
}

// panicky is a connector whose publishes panic.
type panicky struct{ connectors.Connector }

func (c panicky) Invoke(ctx context.Context, call *connectors.Call) (*connectors.Response, error) {
	if call.Action.Publishes {
		panic("publish exploded")
	}
	return c.Connector.Invoke(ctx, call)
}

// The place is freed however the publish ends: answered, refused by the
// rate limiter, panicking, or its caller gone.
func TestPublishSlotIsFreed(t *testing.T) {
	free := func(t *testing.T, p *pipeline) {
		t.Helper()
		slot, ok, err := p.opts.PublishSlots.Acquire(context.Background(), p.id)
		if err != nil || !ok {
			t.Fatalf("the publish kept its place (%v)", err)
		}
		slot.Release(context.Background())
	}
	t.Run("answered", func(t *testing.T) {
		p := newPipeline(t, Options{PublishSlots: limits.NewMemorySlots(1)}, nil)
		if code, body := p.publish(context.Background()); code != 200 {
			t.Fatalf("%d %s", code, body)
		}
		free(t, p)
	})
	t.Run("rate limited", func(t *testing.T) {
		p := newPipeline(t, Options{
			PublishSlots: limits.NewMemorySlots(1),
			Limiter:      limits.NewMemory(limiter.Rate{Limit: 1, Period: time.Minute}),
		}, nil)
		p.remaining(t)
		if code, body := p.publish(context.Background()); code != 429 || !strings.Contains(body, "rate limit") {
			t.Fatalf("%d %s", code, body)
		}
		free(t, p)
	})
	t.Run("panic", func(t *testing.T) {
		p := newPipeline(t, Options{PublishSlots: limits.NewMemorySlots(1)}, nil,
			func(c connectors.Connector) connectors.Connector { return panicky{c} })
		if code, body := p.publish(context.Background()); code != 500 {
			t.Fatalf("%d %s", code, body)
		}
		free(t, p)
	})
	t.Run("caller gone", func(t *testing.T) {
		g := newGate()
		p := newPipeline(t, Options{PublishSlots: limits.NewMemorySlots(1)}, g.wrap)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			p.publish(ctx)
		}()
		g.waitArrived(t, 1)
		cancel()
		<-done
		free(t, p)
	})
}

// Without Redis, a publish answers 503 and never reaches upstream: it is
// not let through uncounted.
func TestPublishSlotsUnavailable(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	p := newPipeline(t, Options{PublishSlots: limits.NewRedisSlots(rdb, 2, time.Minute)}, nil)
	srv.Stop()
	upstream := p.fake.Requests()
	w := p.serve("POST", "/instagram/v21.0/me/media_publish", strings.NewReader(publishBody), withKey(p.key))
	if w.Code != 503 || errorCode(t, w) != connectors.CodeUnavailable || p.fake.Requests() != upstream {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	// Reads do not need the publish slots.
	if r := p.remaining(t); r <= 0 {
		t.Fatal(r)
	}
}
