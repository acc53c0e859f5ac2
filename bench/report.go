package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// report is one run: its settings, each target's figures, and the targets
// the gateway must meet.
type report struct {
	Options options   `json:"-"`
	Started time.Time `json:"started"`
	// Commit is the commit measured (git rev-parse), "+dirty" when the
	// work tree had changes.
	Commit    string   `json:"commit"`
	GoVersion string   `json:"go_version"`
	CPUs      int      `json:"cpus"`
	Settings  settings `json:"settings"`
	Rows      []row    `json:"rows"`
	Checks    []check  `json:"checks"`
	Passed    bool     `json:"passed"`
}

type settings struct {
	Concurrency int    `json:"concurrency"`
	Duration    string `json:"duration"`
	Warmup      string `json:"warmup"`
	Connections int    `json:"connections"`
	// Profiled: the gateway targets were profiled (-profile) while
	// measured.
	Profiled bool `json:"profiled,omitempty"`
}

// check is one target of the issue, with the figures beside it.
type check struct {
	What   string  `json:"what"`
	Got    float64 `json:"got"`
	Want   string  `json:"want"`
	Passed bool    `json:"passed"`
}

func (r *report) row(target string) row {
	for _, x := range r.Rows {
		if x.Target == target {
			return x
		}
	}
	return row{}
}

// check evaluates the targets (issue 15): the gateway against the bare
// proxy, at the same concurrency in the same run.
func (r *report) check() {
	r.Settings = settings{r.Options.concurrency, r.Options.duration.String(), r.Options.warmup.String(), r.Options.connections, r.Options.profile != ""}
	rb, rc, rd := r.row("b"), r.row("c"), r.row("d")
	b, c, d := rb.Result, rc.Result, rd.Result
	rps := d.RPS / b.RPS
	p99 := float64(d.P99) / float64(b.P99)
	r.Checks = []check{
		{"(d) requests/s ÷ (b) requests/s", rps, "≥ 0.80", rps >= 0.8},
		{"(d) p99 ÷ (b) p99", p99, "≤ 1.30", p99 <= 1.3},
		{"(c) requests/s ÷ (b) requests/s", c.RPS / b.RPS, "≥ 0.95", c.RPS/b.RPS >= 0.95},
		{"(d) CPU per call ÷ (b) CPU per call", rd.CPUPer1000 / rb.CPUPer1000, "≤ 1.50", rd.CPUPer1000/rb.CPUPer1000 <= 1.5},
		{"(d) allocations per call", rd.AllocsPerCall, "≤ 120", rd.AllocsPerCall <= 120},
	}
	r.Passed = true
	for _, c := range r.Checks {
		r.Passed = r.Passed && c.Passed
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func ratio(a, b float64) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func (r *report) markdown() string {
	var w strings.Builder
	a, b := r.row("a"), r.row("b")
	fmt.Fprintf(&w, "### Load benchmark, %s, commit %s\n\n", r.Started.Format("2006-01-02 15:04 UTC"), r.Commit)
	fmt.Fprintf(&w, "%s, %d CPUs; %d concurrent callers, %s measured after %s of warm-up per target; gateway calls spread over %d connections; half `/me`, half `/me/media`.\n\n",
		r.GoVersion, r.CPUs, r.Settings.Concurrency, r.Settings.Duration, r.Settings.Warmup, r.Settings.Connections)
	fmt.Fprintln(&w, "| target | requests/s | p50 | p99 | p99.9 | CPU s / 1000 calls | allocs / call | req/s vs (a) | req/s vs (b) | p99 vs (a) | p99 vs (b) |")
	fmt.Fprintln(&w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, x := range r.Rows {
		res := x.Result
		fmt.Fprintf(&w, "| (%s) %s | %.0f | %s | %s | %s | %.3f | %.0f | %s | %s | %s | %s |\n",
			x.Target, x.Name, res.RPS, ms(res.P50), ms(res.P99), ms(res.P999), x.CPUPer1000, x.AllocsPerCall,
			ratio(res.RPS, a.Result.RPS), ratio(res.RPS, b.Result.RPS),
			ratio(float64(res.P99), float64(a.Result.P99)), ratio(float64(res.P99), float64(b.Result.P99)))
	}
	fmt.Fprintln(&w)
	fmt.Fprintln(&w, "CPU and allocations are the measured server process's own (for (b) the proxy's, without the upstream's); the load generator shares the machine with every target.")
	if r.Settings.Profiled {
		fmt.Fprintln(&w)
		fmt.Fprintln(&w, "Profiled (`-profile`): (c) and (d) ran under the CPU profiler, whose cost their figures include.")
	}
	fmt.Fprintln(&w)
	fmt.Fprintln(&w, "| target | figure | wanted | met |")
	fmt.Fprintln(&w, "|---|---:|---|---|")
	for _, c := range r.Checks {
		met := "yes"
		if !c.Passed {
			met = "**no**"
		}
		fmt.Fprintf(&w, "| %s | %.2f | %s | %s |\n", c.What, c.Got, c.Want, met)
	}
	return w.String()
}

// Markers of the README's copy of the latest report.
const (
	readmeStart = "<!-- bench:latest:start (written by go run ./bench) -->"
	readmeEnd   = "<!-- bench:latest:end -->"
)

// spliceReadme returns readme with md between its markers.
func spliceReadme(readme, md string) (string, error) {
	i := strings.Index(readme, readmeStart)
	j := strings.Index(readme, readmeEnd)
	if i < 0 || j < i {
		return "", fmt.Errorf("the README has no %q … %q block", readmeStart, readmeEnd)
	}
	return readme[:i+len(readmeStart)] + "\n" + md + readme[j:], nil
}

// writeReadme copies md into the README at path, between its markers.
func writeReadme(path, md string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := spliceReadme(string(raw), md)
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(out), 0o644)
}

// write stores the report as Markdown and JSON, under a name of its time
// and as latest.*.
func (r *report) write(dir, md string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	stamp := r.Started.Format("20060102-150405")
	for name, content := range map[string][]byte{
		stamp + ".md": []byte(md), stamp + ".json": js,
		"latest.md": []byte(md), "latest.json": js,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "bench: wrote %s/{%s,latest}.{md,json}\n", dir, stamp)
	return nil
}
