package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The test binary serves the benchmark's child modes too, as the benchmark
// re-executes itself.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && strings.HasPrefix(os.Args[1], "serve-") {
		serveMode(os.Args[1], os.Args[2:])
		return
	}
	os.Exit(m.Run())
}

// The benchmark runs end to end from a fresh clone, briefly: every target
// answers, every figure is filled in, and both reports are written. (Its
// speed targets are checked by running it, never by a test.)
func TestBenchmarkRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the gateway")
	}
	out := t.TempDir()
	o := options{concurrency: 4, duration: 300 * time.Millisecond, warmup: 100 * time.Millisecond, connections: 20, out: out}
	rep, err := benchmark(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 5 || len(rep.Checks) != 5 || rep.Commit == "" {
		t.Fatalf("report: %+v", rep)
	}
	for _, r := range rep.Rows {
		if r.Result.Calls == 0 || r.Result.RPS <= 0 || r.Result.P50 <= 0 || r.Result.P99 < r.Result.P50 || r.Result.P999 < r.Result.P99 || r.CPUPer1000 < 0 || r.AllocsPerCall <= 0 {
			t.Errorf("row %s: %+v", r.Target, r)
		}
	}
	md := rep.markdown()
	if err := rep.write(out, md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"(a) upstream, direct", "(b) httputil.ReverseProxy", "(c) gateway, embedded", "(d) gateway + Redis", "(e) gateway + Redis Cluster", "requests/s ÷ (b)"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	raw, err := os.ReadFile(filepath.Join(out, "latest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back report
	if err := json.Unmarshal(raw, &back); err != nil || len(back.Rows) != 5 || back.Settings.Connections != 20 {
		t.Fatalf("latest.json: %v %+v", err, back)
	}
}

// The README's copy of the latest report is the committed latest.md: the
// benchmark writes both, so the README's figures cannot go stale.
func TestReadmeHoldsLatestReport(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	latest, err := os.ReadFile("results/latest.md")
	if err != nil {
		t.Fatal(err)
	}
	want, err := spliceReadme(string(readme), string(latest))
	if err != nil {
		t.Fatal(err)
	}
	if want != string(readme) {
		t.Fatal("README.md's latest-report block differs from bench/results/latest.md: run go run ./bench (it writes both)")
	}
}

// With -profile, the gateway targets' CPU and allocation profiles over the
// measured window are written, with top functions naming the gateway's
// own packages.
func TestBenchmarkProfiles(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the gateway")
	}
	prof := filepath.Join(t.TempDir(), "prof")
	o := options{concurrency: 4, duration: 300 * time.Millisecond, warmup: 100 * time.Millisecond, connections: 20, out: t.TempDir(), profile: prof}
	rep, err := benchmark(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 5 || !rep.Settings.Profiled || !strings.Contains(rep.markdown(), "Profiled") {
		t.Fatalf("report: %+v", rep)
	}
	for _, target := range []string{"c", "d", "e"} {
		for _, kind := range []string{"cpu.pprof", "allocs.pprof"} {
			if st, err := os.Stat(filepath.Join(prof, target+"-"+kind)); err != nil || st.Size() == 0 {
				t.Errorf("%s-%s: %v", target, kind, err)
			}
		}
		top, err := os.ReadFile(filepath.Join(prof, target+"-top.txt"))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"CPU, flat", "allocated objects, flat", "allocated objects, cumulative, under the handler", "Type: cpu", "Type: alloc_objects", "flat%", "igconnect/gateway/internal/server.(*Server).ServeHTTP"} {
			if !strings.Contains(string(top), want) {
				t.Errorf("%s-top.txt lacks %q:\n%s", target, want, top)
			}
		}
	}
	// Nothing for the other targets.
	if m, _ := filepath.Glob(filepath.Join(prof, "[ab]-*")); len(m) > 0 {
		t.Errorf("profiles of the non-gateway targets: %v", m)
	}
}
