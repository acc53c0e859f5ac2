package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/igconnect/gateway/internal/connectors/instagram"
)

type options struct {
	concurrency, connections int
	duration, warmup         time.Duration
	out                      string
	// profile, when set, is the folder of the gateway targets' CPU and
	// allocation profiles (profile.go).
	profile string
}

// row is one target's figures.
type row struct {
	Target        string  `json:"target"`
	Name          string  `json:"name"`
	Result        result  `json:"result"`
	CPUPer1000    float64 `json:"cpu_seconds_per_1000_calls"`
	AllocsPerCall float64 `json:"allocs_per_call"`
}

const benchAdminToken = "bench-admin-token-0123456789abcdef"

// benchmark runs the four targets in turn.
func benchmark(ctx context.Context, o options) (*report, error) {
	dir, err := os.MkdirTemp("", "gateway-bench")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if o.profile != "" {
		if err := os.MkdirAll(o.profile, 0o755); err != nil {
			return nil, err
		}
	}
	gatewayBin, err := buildGateway(dir)
	if err != nil {
		return nil, err
	}

	upAddr, _ := freeAddr()
	cmd, err := self("serve-upstream", upAddr)
	if err != nil {
		return nil, err
	}
	upstream, err := start("upstream", upAddr, cmd)
	if err != nil {
		return nil, err
	}
	defer upstream.stop()

	client := newClient(o.concurrency)
	rep := &report{Options: o, Started: time.Now().UTC(), GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), Commit: commit()}
	direct := []request{
		{url: "/v21.0/me?fields=" + instagram.DefaultUserFields + "&access_token=IGAAbenchDirect"},
		{url: "/v21.0/me/media?fields=" + instagram.DefaultMediaFields + "&limit=10&access_token=IGAAbenchDirect"},
	}

	// (a) the upstream alone.
	log.Printf("(a) upstream direct")
	r, err := measure(ctx, client, "a", "upstream, direct", upstream, false, prefixed(upstream.url, direct, nil), o, nil)
	if err != nil {
		return nil, err
	}
	rep.Rows = append(rep.Rows, r)

	// (b) a bare reverse proxy.
	log.Printf("(b) httputil.ReverseProxy")
	pxAddr, _ := freeAddr()
	cmd, err = self("serve-proxy", pxAddr, "-upstream", upstream.url)
	if err != nil {
		return nil, err
	}
	proxy, err := start("proxy", pxAddr, cmd)
	if err != nil {
		return nil, err
	}
	r, err = measure(ctx, client, "b", "httputil.ReverseProxy", proxy, false, prefixed(proxy.url, direct, nil), o, nil)
	proxy.stop()
	if err != nil {
		return nil, err
	}
	rep.Rows = append(rep.Rows, r)

	// (c) the gateway, embedded; (d) the gateway on Redis; (e) the gateway
	// on a 3-master Redis Cluster.
	for _, t := range []struct {
		target, name string
		redis        string
	}{{"c", "gateway, embedded", ""}, {"d", "gateway + Redis", "single"}, {"e", "gateway + Redis Cluster (3 masters)", "cluster"}} {
		log.Printf("(%s) %s, %d connections", t.target, t.name, o.connections)
		r, err := measureGateway(ctx, client, gatewayBin, dir, upstream.url, t.target, t.name, t.redis, o)
		if err != nil {
			return nil, err
		}
		rep.Rows = append(rep.Rows, r)
	}
	rep.check()
	return rep, nil
}

func prefixed(base string, reqs []request, header http.Header) []request {
	out := make([]request, len(reqs))
	for i, r := range reqs {
		out[i] = request{url: base + r.url, header: header}
	}
	return out
}

// measureGateway measures the gateway embedded (redisKind ""), on one
// redis-server ("single") or on a Redis Cluster ("cluster").
func measureGateway(ctx context.Context, client *http.Client, bin, dir, upstream, target, name string, redisKind string, o options) (row, error) {
	data := filepath.Join(dir, "data-"+target)
	addr, _ := freeAddr()
	env := append(os.Environ(),
		"GATEWAY_ADDR="+addr,
		"GATEWAY_DATA_DIR="+data,
		"GATEWAY_ADMIN_TOKEN="+benchAdminToken,
		"GATEWAY_INSTAGRAM_URL="+upstream,
		"GATEWAY_RATE_LIMIT=1000000000-M",
		"GATEWAY_LOG_LEVEL=info",
	)
	var prof *profiler
	if o.profile != "" {
		debugAddr, err := freeAddr()
		if err != nil {
			return row{}, err
		}
		env = append(env, "GATEWAY_DEBUG_ADDR="+debugAddr)
		prof = newProfiler(o.profile, target, name, bin, debugAddr, o.duration)
	}
	if redisKind != "" {
		var redisURL string
		switch redisKind {
		case "single":
			rs, err := startRedis(dir)
			if err != nil {
				return row{}, err
			}
			defer rs.stop()
			redisURL = rs.url
		case "cluster":
			cl, err := startCluster(ctx, filepath.Join(dir, "cluster-"+target), 3)
			if err != nil {
				return row{}, err
			}
			defer cl.stop()
			redisURL = cl.url
		}
		key := make([]byte, 32)
		rand.Read(key)
		env = append(env, "GATEWAY_REDIS_URL="+redisURL, "GATEWAY_ENCRYPTION_KEY="+base64.StdEncoding.EncodeToString(key))
	}
	logFile, err := os.Create(filepath.Join(dir, "gateway-"+target+".log"))
	if err != nil {
		return row{}, err
	}
	defer logFile.Close()
	cmd := exec.Command(bin)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logFile, logFile // one access log line per call, as in production
	gw, err := start("gateway", addr, cmd)
	if err != nil {
		return row{}, err
	}
	defer gw.stop()
	keys, err := createConnections(ctx, gw.url, benchAdminToken, o.connections)
	if err != nil {
		return row{}, err
	}
	paths := []string{
		"/instagram/v21.0/me",
		"/instagram/v21.0/me/media?limit=10",
	}
	reqs := make([]request, 0, 2*len(keys))
	for i, k := range keys {
		reqs = append(reqs, request{url: gw.url + paths[i%2], header: http.Header{"X-Api-Key": {k}}})
		reqs = append(reqs, request{url: gw.url + paths[(i+1)%2], header: http.Header{"X-Api-Key": {k}}})
	}
	r, err := measure(ctx, client, target, name, gw, true, reqs, o, prof)
	if err == nil && prof != nil {
		err = prof.top(ctx)
	}
	return r, err
}

// measure loads p with reqs and reads its CPU time and allocations around
// the measured window; prof, unless nil, profiles that window (the load
// goes on until its profiles are in, after the figures are read).
func measure(ctx context.Context, client *http.Client, target, name string, p *proc, gateway bool, reqs []request, o options, prof *profiler) (row, error) {
	// A first call of each kind must succeed.
	for _, r := range reqs[:min(2, len(reqs))] {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
		req.Header = r.header
		resp, err := client.Do(req)
		if err != nil {
			return row{}, fmt.Errorf("%s: %w", name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return row{}, fmt.Errorf("%s: %s answered %d", name, r.url, resp.StatusCode)
		}
	}
	var cpu0, cpu1 time.Duration
	var m0, m1 uint64
	var merr, perr error
	res := run(ctx, client, reqs, o.concurrency, o.warmup, o.duration, func() {
		cpu0, _ = p.cpu()
		m0, merr = mallocs(p, gateway)
		if prof != nil {
			prof.start()
		}
	}, func() {
		cpu1, _ = p.cpu()
		m1, _ = mallocs(p, gateway)
		if prof != nil {
			perr = prof.wait()
		}
	})
	if merr != nil {
		return row{}, fmt.Errorf("%s: allocations: %w", name, merr)
	}
	if perr != nil {
		return row{}, fmt.Errorf("%s: profiles: %w", name, perr)
	}
	if res.Errors > 0 {
		return row{}, fmt.Errorf("%s: %d of %d calls failed", name, res.Errors, res.Calls)
	}
	r := row{Target: target, Name: name, Result: res}
	if res.Calls > 0 {
		r.CPUPer1000 = (cpu1 - cpu0).Seconds() / float64(res.Calls) * 1000
		r.AllocsPerCall = float64(m1-m0) / float64(res.Calls)
	}
	return r, nil
}

// commit names the commit measured: git rev-parse, "+dirty" when the work
// tree has changes, "unknown" outside a git work tree.
func commit() string {
	out, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		c += "+dirty"
	}
	return c
}
