// Command bench measures the gateway's overhead against the physical limit,
// side by side in one run, on loopback only:
//
//	(a) a fixed-response upstream, called directly
//	(b) a bare httputil.ReverseProxy in front of it
//	(c) the gateway in embedded mode
//	(d) the gateway with a real redis-server
//	(e) the gateway on a real 3-master Redis Cluster (redis-server
//	    --cluster-enabled yes, joined with redis-cli --cluster create)
//
// The gateway targets use -connections connections (1,000 by default), with
// a limit high enough never to trip, so that key lookups and the limiter
// work as in production. The upstream answers like the fake Graph API's /me
// and /me/media, recorded from it, with no delay. The report (requests/s,
// p50/p99/p99.9 latency, CPU seconds per 1,000 calls and allocations per
// call of the measured server process, and ratios to (a) and (b)) is
// printed and written as Markdown and JSON under bench/results/.
//
// With -profile DIR, the gateway targets also serve net/http/pprof on a
// loopback GATEWAY_DEBUG_ADDR, and their CPU and allocation profiles over
// the measured window are written under DIR with their top functions
// (profile.go); the figures then include the profiler's own small cost.
//
// Run it from the repository's root: go run ./bench
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"os"
	"time"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("bench: ")
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "serve-upstream", "serve-proxy":
			serveMode(os.Args[1], os.Args[2:])
			return
		}
	}
	opts := options{}
	flag.IntVar(&opts.concurrency, "concurrency", 32, "concurrent callers")
	flag.DurationVar(&opts.duration, "duration", 8*time.Second, "measured time per target")
	flag.DurationVar(&opts.warmup, "warmup", 2*time.Second, "unmeasured warm-up per target")
	flag.IntVar(&opts.connections, "connections", 1000, "gateway connections the calls spread over")
	flag.StringVar(&opts.out, "out", "bench/results", "folder of the Markdown and JSON reports")
	flag.StringVar(&opts.profile, "profile", "", "folder of the gateway targets' CPU and allocation profiles over the measured window, <target>-{cpu,allocs}.pprof, and their top functions, <target>-top.txt (empty: none)")
	readme := flag.String("readme", "README.md", "README whose latest-report block is rewritten (empty: none)")
	flag.Parse()
	if opts.duration > 2*time.Minute || opts.warmup > time.Minute || opts.concurrency < 1 || opts.concurrency > 512 || opts.connections < 1 || opts.connections > 20000 {
		log.Fatal("bounds: duration ≤ 2m, warmup ≤ 1m, 1 ≤ concurrency ≤ 512, 1 ≤ connections ≤ 20000")
	}
	rep, err := benchmark(context.Background(), opts)
	if err != nil {
		log.Fatal(err)
	}
	md := rep.markdown()
	fmt.Print(md)
	if err := rep.write(opts.out, md); err != nil {
		log.Fatal(err)
	}
	if *readme != "" {
		if err := writeReadme(*readme, md); err != nil {
			log.Fatal(err)
		}
	}
	if !rep.Passed {
		os.Exit(1)
	}
}

// serveMode runs one of the benchmark's own servers in this process: the
// fixed upstream, or the bare reverse proxy.
func serveMode(mode string, args []string) {
	fs := flag.NewFlagSet(mode, flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address (loopback)")
	upstream := fs.String("upstream", "", "upstream URL (serve-proxy)")
	fs.Parse(args)
	var h http.Handler
	switch mode {
	case "serve-upstream":
		answers, err := recordAnswers()
		if err != nil {
			log.Fatal(err)
		}
		h = fixedUpstream(answers)
	case "serve-proxy":
		u, err := url.Parse(*upstream)
		if err != nil || u.Host == "" {
			log.Fatalf("serve-proxy: bad -upstream %q", *upstream)
		}
		h = bareProxy(u)
	}
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
