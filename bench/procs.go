package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// proc is a child process the benchmark measures.
type proc struct {
	name string
	cmd  *exec.Cmd
	url  string
}

// start runs a child and waits until addr answers TCP.
func start(name, addr string, cmd *exec.Cmd) (*proc, error) {
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, url: "http://" + addr}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			c.Close()
			return p, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.stop()
	return nil, fmt.Errorf("%s did not listen on %s", name, addr)
}

func (p *proc) stop() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	p.cmd.Process.Kill()
	p.cmd.Wait()
}

// cpu returns the process's user+system CPU time so far, from
// /proc/<pid>/stat (Linux).
func (p *proc) cpu() (time.Duration, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses.
	s := string(raw)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(fields) < 13 {
		return 0, errors.New("short /proc stat")
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticks, nil
}

// freeAddr returns a free loopback address.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// self runs this benchmark binary in one of its server modes.
func self(mode, addr string, args ...string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, append([]string{mode, "-addr", addr}, args...)...)
	cmd.Stderr = os.Stderr
	return cmd, nil
}

// mallocsHandler answers the process's allocation count (heap objects
// allocated so far).
func mallocsHandler(w http.ResponseWriter, _ *http.Request) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	json.NewEncoder(w).Encode(m.Mallocs)
}

// mallocs reads a child's allocation count: /debug/mallocs for the
// benchmark's own servers, go_memstats_mallocs_total from the gateway's
// /metrics.
func mallocs(p *proc, gateway bool) (uint64, error) {
	path := "/debug/mallocs"
	if gateway {
		path = "/metrics"
	}
	resp, err := http.Get(p.url + path)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if !gateway {
		var n uint64
		err := json.NewDecoder(resp.Body).Decode(&n)
		return n, err
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_memstats_mallocs_total "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return uint64(f), err
		}
	}
	return 0, errors.New("no go_memstats_mallocs_total in /metrics")
}

// buildGateway builds the gateway's binary into dir, as the Dockerfile does.
func buildGateway(dir string) (string, error) {
	out := filepath.Join(dir, "gateway")
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(gomod)) == "" {
		return "", fmt.Errorf("finding the module's root: %v", err)
	}
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, "./cmd/gateway")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building the gateway (run from the repository's root): %w", err)
	}
	return out, nil
}

// startRedis starts a redis-server on a free loopback port, persisting as
// the chart's bundled Redis does (append-only file).
func startRedis(dir string) (*proc, error) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return nil, errors.New("redis-server is not installed (apt-get install -y redis-server)")
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command("redis-server", "--bind", "127.0.0.1", "--port", port, "--save", "",
		"--appendonly", "yes", "--dir", dir, "--logfile", filepath.Join(dir, "redis.log"))
	p, err := start("redis-server", addr, cmd)
	if p != nil {
		p.url = "redis://" + addr + "/0"
	}
	return p, err
}

// cluster is a running Redis Cluster of masters on loopback.
type cluster struct {
	nodes []*proc
	url   string
}

func (c *cluster) stop() {
	for _, n := range c.nodes {
		n.stop()
	}
}

// startCluster starts masters redis-server nodes with --cluster-enabled
// yes (append-only, as the chart's bundled Redis), joins them with
// redis-cli --cluster create, and waits, at most 30 s, until every node
// says cluster_state:ok. Its url is the gateway's redis+cluster:// form.
func startCluster(ctx context.Context, dir string, masters int) (*cluster, error) {
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		return nil, errors.New("redis-cli is not installed (apt-get install -y redis-tools)")
	}
	c := &cluster{}
	var addrs []string
	for i := range masters {
		addr, err := freeAddr()
		if err != nil {
			c.stop()
			return nil, err
		}
		_, port, _ := net.SplitHostPort(addr)
		nodeDir := filepath.Join(dir, fmt.Sprint("node", i))
		if err := os.MkdirAll(nodeDir, 0o755); err != nil {
			c.stop()
			return nil, err
		}
		cmd := exec.Command("redis-server", "--bind", "127.0.0.1", "--port", port, "--save", "",
			"--appendonly", "yes", "--dir", nodeDir, "--logfile", filepath.Join(nodeDir, "redis.log"),
			"--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(nodeDir, "nodes.conf"))
		p, err := start("redis-server", addr, cmd)
		if err != nil {
			c.stop()
			return nil, err
		}
		c.nodes = append(c.nodes, p)
		addrs = append(addrs, addr)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	create := exec.CommandContext(ctx, cli, append(append([]string{"--cluster", "create"}, addrs...), "--cluster-yes")...)
	if out, err := create.CombinedOutput(); err != nil {
		c.stop()
		return nil, fmt.Errorf("redis-cli --cluster create: %v: %s", err, out)
	}
	for _, addr := range addrs {
		host, port, _ := net.SplitHostPort(addr)
		for {
			out, _ := exec.CommandContext(ctx, cli, "-h", host, "-p", port, "cluster", "info").Output()
			if strings.Contains(string(out), "cluster_state:ok") {
				break
			}
			if ctx.Err() != nil {
				c.stop()
				return nil, fmt.Errorf("the cluster at %s did not reach cluster_state:ok", addr)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	c.url = "redis+cluster://" + addrs[0] + "?addr=" + strings.Join(addrs[1:], "&addr=")
	return c, nil
}

// createConnections creates n connections through the gateway's admin API
// and returns their API keys.
func createConnections(ctx context.Context, gw, adminToken string, n int) ([]string, error) {
	keys := make([]string, 0, n)
	client := &http.Client{Timeout: 10 * time.Second}
	for i := range n {
		body := fmt.Sprintf(`{"access_token":"IGAAbenchToken%08d0000000000000000","name":"bench %d"}`, i, i)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, gw+"/admin/connections", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+adminToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		var a struct {
			Data struct {
				APIKey string `json:"api_key"`
			} `json:"data"`
		}
		err = json.NewDecoder(resp.Body).Decode(&a)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusCreated || a.Data.APIKey == "" {
			return nil, fmt.Errorf("creating connection %d: %d %v", i, resp.StatusCode, err)
		}
		keys = append(keys, a.Data.APIKey)
	}
	return keys, nil
}
