// Package e2e drives the built gateway binary end to end: real processes,
// a real redis-server, and the fake Graph API on loopback.
package e2e

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/igconnect/gateway/internal/fakegraph"
	"github.com/igconnect/gateway/internal/fakegraph/fakegraphtest"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gateway-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "gateway")
	build := exec.Command("go", "build", "-o", binary, "../cmd/gateway")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the gateway:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const adminToken = "e2e-admin-token-0123456789abcdef"

func newKey() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// syncBuffer is a goroutine-safe buffer for a process's output.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// gateway is a running gateway process.
type gateway struct {
	URL    string
	cmd    *exec.Cmd
	stdout *syncBuffer
	stderr *syncBuffer
	done   chan error
}

// startGateway runs the binary with env (GATEWAY_ADDR defaults to a free
// loopback port) and waits until it listens.
func startGateway(t *testing.T, env map[string]string, args ...string) *gateway {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "GATEWAY_ADDR=127.0.0.1:0", "GATEWAY_LOG_LEVEL=debug"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	g := &gateway{cmd: cmd, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stdout = g.stdout
	cmd.Stderr = g.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { g.done <- cmd.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, line := range g.logLines() {
			if line["msg"] == "listening" {
				g.URL = "http://" + line["addr"].(string)
			}
		}
		if g.URL != "" {
			break
		}
		select {
		case err := <-g.done:
			t.Fatalf("gateway exited early (%v): %s", err, g.stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
	if g.URL == "" {
		cmd.Process.Kill()
		t.Fatalf("gateway did not listen: %s", g.stderr)
	}
	t.Cleanup(func() { g.kill() })
	return g
}

func (g *gateway) logLines() []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(g.stderr.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// stop sends SIGTERM and expects a clean exit.
func (g *gateway) stop(t *testing.T) {
	t.Helper()
	g.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-g.done:
		if err != nil {
			t.Fatalf("gateway exited with %v after SIGTERM: %s", err, g.stderr)
		}
		g.done <- nil
	case <-time.After(30 * time.Second):
		t.Fatal("gateway did not stop after SIGTERM")
	}
}

func (g *gateway) kill() {
	if g.cmd.ProcessState == nil {
		g.cmd.Process.Kill()
	}
}

// startFake serves the fake Graph API on loopback.
func startFake(t *testing.T) (*fakegraph.Server, string) {
	t.Helper()
	return fakegraphtest.Start(t, 50*time.Millisecond)
}

// sandboxKey waits for a sandbox gateway to print its demo key.
func sandboxKey(t *testing.T, g *gateway) string {
	t.Helper()
	re := regexp.MustCompile(`export KEY=(\S+)`)
	for range 200 {
		if m := re.FindStringSubmatch(g.stdout.String()); m != nil {
			return m[1]
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no key printed: %s", g.stdout)
	return ""
}

type answer struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    string
}

func (a answer) Data() map[string]any {
	d, _ := a.Body["data"].(map[string]any)
	return d
}

func (a answer) Code() string {
	e, _ := a.Data()["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

var client = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 200}}

func call(t *testing.T, method, url string, body io.Reader, header ...string) answer {
	t.Helper()
	a, err := tryCall(method, url, body, header...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func tryCall(method, url string, body io.Reader, header ...string) (answer, error) {
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		return answer{}, err
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{Status: resp.StatusCode, Header: resp.Header, Raw: string(raw)}
	if err := json.Unmarshal(raw, &a.Body); err != nil {
		return a, fmt.Errorf("%s %s: answer is not JSON: %q", method, url, raw)
	}
	if _, ok := a.Body["data"]; !ok {
		return a, fmt.Errorf("%s %s: answer has no data envelope: %s", method, url, raw)
	}
	return a, nil
}

func admin(t *testing.T, method, url string, body string) answer {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	return call(t, method, url, r, "Authorization", "Bearer "+adminToken, "Content-Type", "application/json")
}

// createConnection creates a connection through the admin API and returns
// its ID and key.
func createConnection(t *testing.T, g *gateway, token string) (string, string) {
	t.Helper()
	a := admin(t, "POST", g.URL+"/admin/connections", `{"access_token":"`+token+`","name":"e2e"}`)
	if a.Status != 201 {
		t.Fatalf("create connection: %s", a.Raw)
	}
	return a.Data()["id"].(string), a.Data()["api_key"].(string)
}

// assertNoSecrets fails if any captured output of gws carries a secret.
func assertNoSecrets(t *testing.T, secrets []string, gws ...*gateway) {
	t.Helper()
	for i, g := range gws {
		logs := g.stderr.String()
		if len(logs) == 0 {
			t.Fatalf("gateway %d logged nothing", i)
		}
		for _, s := range secrets {
			if s != "" && strings.Contains(logs, s) {
				t.Errorf("gateway %d's log carries a secret (%.8s…)", i, s)
			}
		}
	}
}
