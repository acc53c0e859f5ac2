package main

import (
	"context"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// request is one call the load generator makes.
type request struct {
	url    string
	header http.Header
}

// result is what one measured run saw.
type result struct {
	Calls    int64         `json:"calls"`
	Errors   int64         `json:"errors"`
	Duration time.Duration `json:"duration_ns"`
	RPS      float64       `json:"rps"`
	P50      time.Duration `json:"p50_ns"`
	P99      time.Duration `json:"p99_ns"`
	P999     time.Duration `json:"p999_ns"`
}

// newClient is the load generator's client: keep-alive connections, one
// per worker.
func newClient(concurrency int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = concurrency * 2
	t.MaxIdleConnsPerHost = concurrency * 2
	t.DisableCompression = true
	return &http.Client{Transport: t, Timeout: 10 * time.Second}
}

// run sends requests from concurrency workers, each in turn, for warmup
// (not measured) and then for d, and measures every call's latency.
// onStart and onStop run as the measured window opens and closes.
func run(ctx context.Context, client *http.Client, reqs []request, concurrency int, warmup, d time.Duration, onStart, onStop func()) result {
	var (
		measuring atomic.Bool
		stop      atomic.Bool
		errs      atomic.Int64
		wg        sync.WaitGroup
		lat       = make([][]time.Duration, concurrency)
	)
	for w := range concurrency {
		lat[w] = make([]time.Duration, 0, 1<<16)
		wg.Add(1)
		go func() {
			defer wg.Done()
			prepared := make([]*http.Request, len(reqs))
			for i, r := range reqs {
				prepared[i], _ = http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
				prepared[i].Header = r.header
			}
			for i := w; !stop.Load(); i++ {
				req := prepared[i%len(prepared)]
				start := time.Now()
				resp, err := client.Do(req)
				ok := err == nil && resp.StatusCode == http.StatusOK
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				if measuring.Load() {
					lat[w] = append(lat[w], time.Since(start))
					if !ok {
						errs.Add(1)
					}
				}
			}
		}()
	}
	time.Sleep(warmup)
	onStart()
	measuring.Store(true)
	start := time.Now()
	time.Sleep(d)
	measuring.Store(false)
	elapsed := time.Since(start)
	onStop()
	stop.Store(true)
	wg.Wait()

	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	pct := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[min(len(all)-1, int(p*float64(len(all))))]
	}
	return result{
		Calls: int64(len(all)), Errors: errs.Load(), Duration: elapsed,
		RPS: float64(len(all)) / elapsed.Seconds(),
		P50: pct(0.50), P99: pct(0.99), P999: pct(0.999),
	}
}
