package limits

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/ulule/limiter/v3"

	"github.com/igconnect/gateway/internal/clocktest"
	"github.com/igconnect/gateway/internal/redistest"
)

// model is the reference: the set of admission times; a call at t is
// admitted when fewer than limit admissions lie in (t-period, t].
type model struct {
	limit  int
	period time.Duration
	times  []time.Time
}

func (m *model) inWindow(t time.Time) int {
	n := 0
	for _, a := range m.times {
		if a.After(t.Add(-m.period)) && !a.After(t) {
			n++
		}
	}
	return n
}

func (m *model) admit(t time.Time) bool {
	if m.inWindow(t) >= m.limit {
		return false
	}
	m.times = append(m.times, t)
	return true
}

// The in-process window agrees with the reference model on every call of
// random schedules (bursts, gaps, calls on and beside every boundary), its
// Remaining and Reset included, and no span of a period ever holds more
// than the limit.
func TestWindowMatchesModel(t *testing.T) {
	srv := redistest.Start(t)
	rw, _ := redisWindow(t, srv)
	for name, store := range map[string]func(clk *clocktest.Clock, seed uint64) limiter.Store{
		// The Redis window's own script, on the test's clock (ARGV[4]).
		"memory": func(clk *clocktest.Clock, _ uint64) limiter.Store { return NewMemoryWindow("t:", clk.Now) },
		"redis": func(clk *clocktest.Clock, seed uint64) limiter.Store {
			w := *rw
			w.now, w.prefix = clk.Now, fmt.Sprint("model", seed)
			return &w
		},
	} {
		seeds := uint64(40)
		if name == "redis" {
			seeds = 12 // a round trip per decision
		}
		t.Run(name, func(t *testing.T) { testWindowMatchesModel(t, store, seeds) })
	}
}

func testWindowMatchesModel(t *testing.T, open func(clk *clocktest.Clock, seed uint64) limiter.Store, seeds uint64) {
	ctx := context.Background()
	for seed := range seeds {
		rng := rand.New(rand.NewPCG(seed, 7))
		limit := 1 + rng.IntN(12)
		period := time.Duration(1+rng.IntN(5)) * time.Second
		rate := limiter.Rate{Limit: int64(limit), Period: period}
		clk := clocktest.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		w := open(clk, seed)
		m := &model{limit: limit, period: period}
		now := clk.Now()
		for i := range 400 {
			switch rng.IntN(6) {
			case 0: // a gap
				now = now.Add(time.Duration(rng.IntN(int(2*period/time.Millisecond))) * time.Millisecond)
			case 1: // right on, just before or just after the oldest admission's exit
				if len(m.times) >= limit {
					exit := m.times[len(m.times)-limit].Add(period)
					now = maxTime(now, exit.Add(time.Duration(rng.IntN(3)-1)*time.Millisecond))
				}
			default: // a burst: the same or the next millisecond
				now = now.Add(time.Duration(rng.IntN(2)) * time.Millisecond)
			}
			clk.Set(now)
			peek, err := w.Peek(ctx, "k", rate)
			if err != nil {
				t.Fatal(err)
			}
			want := m.admit(now)
			got, err := w.Get(ctx, "k", rate)
			if err != nil {
				t.Fatal(err)
			}
			if got.Reached == want || peek.Reached == want {
				t.Fatalf("seed %d call %d at %v: admitted %v (peek said %v), model %v", seed, i, now, !got.Reached, !peek.Reached, want)
			}
			if got.Remaining != int64(limit-m.inWindow(now)) {
				t.Fatalf("seed %d call %d: Remaining %d, model %d", seed, i, got.Remaining, limit-m.inWindow(now))
			}
			// Reset is when a call passes: at it the model admits.
			at := time.Unix(got.Reset, 0)
			if at.Before(now) && got.Reached {
				t.Fatalf("seed %d call %d: refused, yet Reset %v is past", seed, i, at)
			}
			probe := &model{limit: limit, period: period, times: append([]time.Time(nil), m.times...)}
			if !probe.admit(maxTime(at, now)) {
				t.Fatalf("seed %d call %d: a call at Reset %v would be refused", seed, i, at)
			}
		}
		// No span of a period holds more than the limit.
		for i, a := range m.times {
			if n := m.inWindow(a); n > limit {
				t.Fatalf("seed %d: %d admissions in the period ending at admission %d", seed, n, i)
			}
		}
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// A refused call is not counted: a caller that keeps retrying is admitted
// as soon as the oldest admission leaves the window.
func TestRefusalsNotCounted(t *testing.T) {
	ctx := context.Background()
	rate := limiter.Rate{Limit: 3, Period: time.Minute}
	clk := clocktest.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	w := NewMemoryWindow("t:", clk.Now)
	start := clk.Now()
	for i := range 3 {
		clk.Set(start.Add(time.Duration(i) * time.Second))
		if c, _ := w.Get(ctx, "k", rate); c.Reached {
			t.Fatalf("call %d refused", i)
		}
	}
	for s := 3; s < 60; s++ {
		clk.Set(start.Add(time.Duration(s) * time.Second))
		c, _ := w.Get(ctx, "k", rate)
		if !c.Reached || c.Reset != start.Add(time.Minute).Unix() {
			t.Fatalf("retry at %ds: %+v", s, c)
		}
	}
	clk.Set(start.Add(time.Minute))
	if c, _ := w.Get(ctx, "k", rate); c.Reached {
		t.Fatalf("refused once the first call left the window: %+v", c)
	}
}

// Idle keys are dropped: memory follows the connections active in the
// last period.
func TestMemoryWindowDropsIdleKeys(t *testing.T) {
	ctx := context.Background()
	rate := limiter.Rate{Limit: 2, Period: time.Second}
	clk := clocktest.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	w := NewMemoryWindow("t:", clk.Now)
	for i := range memoryWindowSweep - 1 {
		w.Get(ctx, fmt.Sprint("k", i), rate)
	}
	if w.Len() != memoryWindowSweep-1 {
		t.Fatalf("%d keys", w.Len())
	}
	clk.Set(clk.Now().Add(time.Second))
	w.Get(ctx, "fresh", rate) // the sweep's turn
	if w.Len() != 1 {
		t.Fatalf("%d keys after a period idle, want 1", w.Len())
	}
}

func redisWindow(t *testing.T, srv *redistest.Server) (*RedisWindow, *redis.Client) {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { rdb.Close() })
	return NewRedisWindow(rdb, Prefix), rdb
}

// Two replicas on one Redis, bursts on both sides of the window's
// boundaries: at most the limit in any span of the period, and calls pass
// again as the oldest admissions leave it. (ulule's fixed window admitted
// up to twice the limit across a window's end.)
func TestRedisWindowBoundaries(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	a, _ := redisWindow(t, srv)
	b, _ := redisWindow(t, srv)
	rate := limiter.Rate{Limit: 10, Period: 2 * time.Second}
	burst := func(n int) (admitted int) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w := a
				if i%2 == 1 {
					w = b
				}
				c, err := w.Get(ctx, "conn", rate)
				if err != nil {
					t.Error(err)
					return
				}
				if !c.Reached {
					mu.Lock()
					admitted++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		return admitted
	}
	start := time.Now()
	at := func(d time.Duration) { time.Sleep(time.Until(start.Add(d))) }
	steps := []struct {
		at       time.Duration
		calls    int
		admitted int
	}{
		{0, 6, 6},                        // 6 at 0 s
		{1 * time.Second, 10, 4},         // 4 more at 1 s: 10 in the window
		{1800 * time.Millisecond, 10, 0}, // a fixed window restarting here would admit 10
		{2300 * time.Millisecond, 10, 6}, // the 6 of 0 s have left
		{2700 * time.Millisecond, 10, 0},
		{3300 * time.Millisecond, 10, 4}, // the 4 of 1 s have left
	}
	for _, st := range steps {
		at(st.at)
		if got := burst(st.calls); got != st.admitted {
			t.Fatalf("at %v: %d admitted of %d, want %d", st.at, got, st.calls, st.admitted)
		}
	}
}

// A Redis window's memory is its log: at most 16 bytes per admission of
// the limit (8 a time, up to twice the limit before a rewrite), and it
// expires a period after the last admission.
func TestRedisWindowMemory(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	w, rdb := redisWindow(t, srv)
	for _, limit := range []int64{100, 1000} {
		rate := limiter.Rate{Limit: limit, Period: time.Minute}
		key := fmt.Sprint("mem", limit)
		for range 2*limit + 5 {
			if _, err := w.Get(ctx, key, rate); err != nil {
				t.Fatal(err)
			}
		}
		used, err := rdb.MemoryUsage(ctx, w.key(key)).Result()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("limit %d: %d bytes", limit, used)
		if used > 17*limit+256 {
			t.Fatalf("limit %d: %d bytes of Redis, want at most %d (16 a call of the limit, allocator rounding aside)", limit, used, 17*limit+256)
		}
		if ttl := rdb.PTTL(ctx, w.key(key)).Val(); ttl <= 0 || ttl > time.Minute {
			t.Fatalf("TTL %v", ttl)
		}
	}
}

// Redis restarted mid-window (append-only file, as the chart's bundled
// Redis): the window survives, so the restart admits nothing extra.
func TestRedisWindowSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	w, _ := redisWindow(t, srv)
	rate := limiter.Rate{Limit: 3, Period: time.Minute}
	for range 3 {
		if c, err := w.Get(ctx, "conn", rate); err != nil || c.Reached {
			t.Fatalf("%+v %v", c, err)
		}
	}
	srv.Restart()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := w.Get(ctx, "conn", rate)
		if err == nil {
			if !c.Reached {
				t.Fatal("a restart of Redis admitted a call over the limit")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Redis did not come back: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A changed limit applies to the window as it is, and a peek of a missing
// key admits nothing and stores nothing.
func TestRedisWindowLimitChange(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	w, rdb := redisWindow(t, srv)
	if c, err := w.Peek(ctx, "conn", limiter.Rate{Limit: 2, Period: time.Minute}); err != nil || c.Reached || c.Remaining != 2 {
		t.Fatalf("peek: %+v %v", c, err)
	}
	if n := rdb.Exists(ctx, w.key("conn")).Val(); n != 0 {
		t.Fatal("a peek stored a window")
	}
	for range 2 {
		w.Get(ctx, "conn", limiter.Rate{Limit: 2, Period: time.Minute})
	}
	if c, _ := w.Get(ctx, "conn", limiter.Rate{Limit: 2, Period: time.Minute}); !c.Reached {
		t.Fatal("not limited")
	}
	if c, _ := w.Get(ctx, "conn", limiter.Rate{Limit: 3, Period: time.Minute}); c.Reached || c.Remaining != 0 {
		t.Fatalf("after the limit grew: %+v", c)
	}
	if c, _ := w.Get(ctx, "conn", limiter.Rate{Limit: 3, Period: time.Minute}); !c.Reached {
		t.Fatalf("over the new limit: %+v", c)
	}
}

// A limit that never trips costs what the window holds, not the limit: the
// log keeps at most twice the admissions still in the window (a window
// sized by the limit ran a test binary out of memory).
func TestWindowHugeLimit(t *testing.T) {
	ctx := context.Background()
	rate := limiter.Rate{Limit: 1 << 40, Period: time.Second}
	clk := clocktest.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	w := NewMemoryWindow("t:", clk.Now)
	for i := range 5000 {
		clk.Set(clk.Now().Add(time.Millisecond))
		if c, _ := w.Get(ctx, "k", rate); c.Reached {
			t.Fatalf("call %d refused", i)
		}
		if l := len(w.logs["t:k"].times); l > 2*1000+1 {
			t.Fatalf("call %d: the log holds %d times for a window of 1000", i, l)
		}
	}
	srv := redistest.Start(t)
	rw, rdb := redisWindow(t, srv)
	for range 3000 {
		if _, err := rw.Get(ctx, "huge", rate); err != nil {
			t.Fatal(err)
		}
	}
	if n := rdb.StrLen(ctx, rw.key("huge")).Val(); n > 8*3000 {
		t.Fatalf("%d bytes", n)
	}
}
