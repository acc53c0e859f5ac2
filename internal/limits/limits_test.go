package limits

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
	"github.com/ulule/limiter/v3"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/normalize"
	"github.com/igconnect/gateway/internal/redistest"
)

func router(l *Limiter) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.GET("/:conn", l.Middleware(func(c *gin.Context) string { return c.Param("conn") }, func(c *gin.Context, err error) {
		normalize.WriteError(c.Writer, err)
		c.Abort()
	}), func(c *gin.Context) { c.String(200, "ok") })
	return r
}

func hit(r http.Handler, conn string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("GET", "/"+conn, nil))
	return w
}

func TestLimits(t *testing.T) {
	rate := limiter.Rate{Limit: 5, Period: time.Minute, Formatted: "5-M"}
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { rdb.Close() })
	red, err := NewRedis(context.Background(), rdb, rate)
	if err != nil {
		t.Fatal(err)
	}
	for name, l := range map[string]*Limiter{"memory": NewMemory(rate), "redis": red} {
		t.Run(name, func(t *testing.T) {
			r := router(l)
			for i := 1; i <= 5; i++ {
				w := hit(r, "conn_a_"+name)
				if w.Code != 200 || w.Header().Get("X-RateLimit-Remaining") != strconv.Itoa(5-i) || w.Header().Get("X-RateLimit-Limit") != "5" {
					t.Fatalf("call %d: %d %v", i, w.Code, w.Header())
				}
			}
			w := hit(r, "conn_a_"+name)
			if w.Code != 429 || w.Header().Get("Retry-After") == "" || w.Header().Get("X-RateLimit-Reset") == "" {
				t.Fatalf("6th: %d %v %s", w.Code, w.Header(), w.Body)
			}
			// Whole seconds until X-RateLimit-Reset, itself rounded up.
			if ra, _ := strconv.Atoi(w.Header().Get("Retry-After")); ra < 1 || ra > 61 {
				t.Fatalf("Retry-After %d", ra)
			}
			if hit(r, "conn_b_"+name).Code != 200 {
				t.Fatal("another connection was limited")
			}
		})
	}
	// The limiter key expires with its window.
	ttl := rdb.PTTL(context.Background(), Prefix+":{conn_a_redis}").Val()
	if ttl <= 0 || ttl > time.Minute {
		t.Fatalf("limiter key TTL %v", ttl)
	}
}

// Two limiters on one Redis (two replicas) admit exactly the limit together.
func TestSharedAcrossReplicas(t *testing.T) {
	srv := redistest.Start(t)
	rate := limiter.Rate{Limit: 100, Period: time.Minute, Formatted: "100-M"}
	var routers []http.Handler
	for range 2 {
		rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
		t.Cleanup(func() { rdb.Close() })
		l, err := NewRedis(context.Background(), rdb, rate)
		if err != nil {
			t.Fatal(err)
		}
		routers = append(routers, router(l))
	}
	var ok, limited atomic.Int64
	var wg sync.WaitGroup
	for i := range 130 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch hit(routers[i%2], "conn_shared").Code {
			case 200:
				ok.Add(1)
			case 429:
				limited.Add(1)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 100 || limited.Load() != 30 {
		t.Fatalf("%d ok, %d limited; want 100 and 30", ok.Load(), limited.Load())
	}
}

// A limiter made while Redis is away counts once Redis is there.
func TestStartsWithoutRedis(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	srv.Stop()
	l, err := NewRedis(context.Background(), rdb, limiter.Rate{Limit: 2, Period: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	r := router(l)
	if w := hit(r, "conn_z"); w.Code != 503 {
		t.Fatalf("while away: %d", w.Code)
	}
	srv.Restart()
	codes := []int{hit(r, "conn_z").Code, hit(r, "conn_z").Code, hit(r, "conn_z").Code}
	if codes[0] != 200 || codes[1] != 200 || codes[2] != 429 {
		t.Fatalf("after Redis came: %v", codes)
	}
}

func TestStoreFailureIs503(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	l, err := NewRedis(context.Background(), rdb, limiter.Rate{Limit: 5, Period: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	w := hit(router(l), "conn_x")
	if w.Code != 503 || connectors.CodeUnavailable != "UNAVAILABLE" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}
