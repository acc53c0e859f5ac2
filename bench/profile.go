package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// profiler fetches a gateway's CPU and allocation profiles over the
// measured window (-profile DIR), from its GATEWAY_DEBUG_ADDR listener, and
// writes them with their top functions under dir:
//
//	<target>-cpu.pprof     /debug/pprof/profile?seconds=N
//	<target>-allocs.pprof  /debug/pprof/allocs?seconds=N: the allocations of
//	                       the same N seconds (a delta profile), not those
//	                       since the process started (creating the
//	                       connections, the warm-up)
//	<target>-top.txt       go tool pprof -top of each
//
// N is the measured duration in whole seconds, at least 1: with a shorter
// -duration the load runs on until the profiles are in.
type profiler struct {
	dir, target, name string
	// bin is the gateway's binary, pprof's binary argument.
	bin      string
	debugURL string
	seconds  int
	done     chan error
}

// newProfiler returns nil when dir is empty (profiling off).
func newProfiler(dir, target, name, bin, debugAddr string, d time.Duration) *profiler {
	if dir == "" {
		return nil
	}
	return &profiler{dir: dir, target: target, name: name, bin: bin, debugURL: "http://" + debugAddr,
		seconds: max(1, int(math.Ceil(d.Seconds())))}
}

func (p *profiler) path(kind string) string {
	return filepath.Join(p.dir, p.target+"-"+kind)
}

// timeout bounds each fetch: the profile's seconds, and a margin.
func (p *profiler) timeout() time.Duration {
	return time.Duration(p.seconds)*time.Second + 30*time.Second
}

// start fetches both profiles in the background, as the measured window
// opens.
func (p *profiler) start() {
	client := &http.Client{Timeout: p.timeout()}
	n := strconv.Itoa(p.seconds)
	p.done = make(chan error, 2)
	go func() { p.done <- fetch(client, p.debugURL+"/debug/pprof/profile?seconds="+n, p.path("cpu.pprof")) }()
	go func() { p.done <- fetch(client, p.debugURL+"/debug/pprof/allocs?seconds="+n, p.path("allocs.pprof")) }()
}

// wait waits for both profiles, as the measured window closes.
func (p *profiler) wait() error {
	if p.done == nil {
		return errors.New("profiles never started")
	}
	timer := time.NewTimer(p.timeout() + 5*time.Second)
	defer timer.Stop()
	var errs []error
	for range 2 {
		select {
		case err := <-p.done:
			errs = append(errs, err)
		case <-timer.C:
			return fmt.Errorf("profiles of (%s): not in after %s", p.target, p.timeout())
		}
	}
	return errors.Join(errs...)
}

// fetch writes url's answer, which must be a 200, to path.
func fetch(client *http.Client, url, path string) error {
	resp, err := client.Get(url)
	if err != nil {
		return fmt.Errorf("fetching %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("fetching %s: %d %s", url, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("fetching %s: %w", url, err)
	}
	return f.Close()
}

// focusHandler keeps the samples under the gateway's own handler
// (internal/server.(*Server).ServeHTTP), leaving out net/http's connection
// handling, the runtime's background work and the like.
const focusHandler = `Server..ServeHTTP`

// topViews are the views of <target>-top.txt: each profile's top 25
// functions by their own cost, then by their cost with their callees',
// under the gateway's handler.
var topViews = []struct {
	title, file string
	args        []string
}{
	{"CPU, flat", "cpu.pprof", nil},
	{"CPU, cumulative, under the handler", "cpu.pprof", []string{"-cum", "-focus", focusHandler}},
	{"allocated objects, flat", "allocs.pprof", []string{"-sample_index=alloc_objects"}},
	{"allocated objects, cumulative, under the handler", "allocs.pprof", []string{"-sample_index=alloc_objects", "-cum", "-focus", focusHandler}},
}

// top writes <target>-top.txt from go tool pprof -top, and prints it.
func (p *profiler) top(ctx context.Context) error {
	var out strings.Builder
	for _, v := range topViews {
		args := append([]string{"tool", "pprof", "-top", "-nodecount", "25"}, v.args...)
		args = append(args, p.bin, p.path(v.file))
		shown := strings.ReplaceAll(strings.Join(args, " "), focusHandler, "'"+focusHandler+"'")
		shown = strings.Replace(shown, p.bin, "<gateway binary>", 1)
		fmt.Fprintf(&out, "==== (%s) %s: %s\n==== go %s\n", p.target, p.name, v.title, shown)
		tctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		text, err := exec.CommandContext(tctx, "go", args...).CombinedOutput()
		cancel()
		if err != nil {
			return fmt.Errorf("go tool pprof %s: %w\n%s", p.path(v.file), err, text)
		}
		out.Write(text)
		out.WriteString("\n")
	}
	if err := os.WriteFile(p.path("top.txt"), []byte(out.String()), 0o644); err != nil {
		return err
	}
	fmt.Fprint(os.Stderr, out.String())
	return nil
}
