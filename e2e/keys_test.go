package e2e

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/igconnect/gateway/internal/fakegraph"
	"github.com/igconnect/gateway/internal/redistest"
)

// wrongKeyLine is the one line a gateway stops with when its key is not the
// store's.
const wrongKeyLine = "gateway: GATEWAY_ENCRYPTION_KEY is not the key this store was written with (the store's canary does not open); use the original key"

// runToExit runs the binary with env and args until it exits, within
// timeout, and returns its exit status and output.
func runToExit(t *testing.T, env map[string]string, timeout time.Duration, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "GATEWAY_ADDR=127.0.0.1:0", "GATEWAY_LOG_LEVEL=debug"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return exitCode(t, err), stdout.String(), stderr.String()
	case <-time.After(timeout):
		cmd.Process.Kill()
		<-done
		t.Fatalf("still running after %v: %s", timeout, stderr)
	}
	return 0, "", ""
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.ExitCode()
	}
	t.Fatal(err)
	return 0
}

// assertWrongKeyStop checks a wrong key's stop: status 1, the one line
// (every other line is a JSON log line, none about the canary), no secret.
func assertWrongKeyStop(t *testing.T, status int, output string, secrets ...string) {
	t.Helper()
	if status != 1 {
		t.Errorf("exit status %d, want 1", status)
	}
	var plain []string
	for _, l := range strings.Split(strings.TrimSpace(output), "\n") {
		if !strings.HasPrefix(l, "{") {
			plain = append(plain, l)
		} else if strings.Contains(l, "canary") {
			t.Errorf("a log line about the canary besides the stop line: %s", l)
		}
	}
	if len(plain) != 1 || plain[0] != wrongKeyLine {
		t.Errorf("output lines %q, want the one line %q", plain, wrongKeyLine)
	}
	for _, s := range secrets {
		if strings.Contains(output, s) {
			t.Errorf("the output carries a secret (%.8s…)", s)
		}
	}
}

// A second gateway on an embedded store with another key stops at start;
// the original key still works.
func TestWrongKeyStopsEmbedded(t *testing.T) {
	_, fakeURL := startFake(t)
	dir := t.TempDir()
	key, wrong := newKey(), newKey()
	env := map[string]string{"GATEWAY_DATA_DIR": dir, "GATEWAY_ENCRYPTION_KEY": key, "GATEWAY_ADMIN_TOKEN": adminToken, "GATEWAY_INSTAGRAM_URL": fakeURL}
	g := startGateway(t, env)
	_, apiKey := createConnection(t, g, fakegraph.DemoToken)
	g.stop(t)

	env["GATEWAY_ENCRYPTION_KEY"] = wrong
	status, stdout, stderr := runToExit(t, env, 20*time.Second)
	assertWrongKeyStop(t, status, stdout+stderr, key, wrong, apiKey, adminToken, fakegraph.DemoToken)

	env["GATEWAY_ENCRYPTION_KEY"] = key
	g = startGateway(t, env)
	if r := call(t, "GET", g.URL+"/instagram/v21.0/me?api_token="+apiKey, nil); r.Status != 200 {
		t.Fatalf("the original key after a refused start: %s", r.Raw)
	}
	g.stop(t)
}

// The CLI checks the key before it acts.
func TestWrongKeyStopsCLI(t *testing.T) {
	_, fakeURL := startFake(t)
	dir := t.TempDir()
	key, wrong := newKey(), newKey()
	env := map[string]string{"GATEWAY_DATA_DIR": dir, "GATEWAY_ENCRYPTION_KEY": key, "GATEWAY_INSTAGRAM_URL": fakeURL}
	if status, _, stderr := runToExit(t, env, 20*time.Second, "connections", "list"); status != 0 {
		t.Fatalf("list: %d %s", status, stderr)
	}
	env["GATEWAY_ENCRYPTION_KEY"] = wrong
	status, _, stderr := runToExit(t, env, 20*time.Second, "connections", "add", "--access-token", fakegraph.DemoToken)
	assertWrongKeyStop(t, status, stderr, key, wrong, fakegraph.DemoToken)
	env["GATEWAY_ENCRYPTION_KEY"] = key
	if status, stdout, _ := runToExit(t, env, 20*time.Second, "connections", "list"); status != 0 || !strings.Contains(stdout, `"data": []`) {
		t.Fatalf("the refused add added: %d %s", status, stdout)
	}
}

// Two gateways on one Redis with different keys: the second stops at start.
func TestWrongKeyStopsRedis(t *testing.T) {
	_, fakeURL := startFake(t)
	rs := redistest.Start(t)
	key, wrong := newKey(), newKey()
	env := map[string]string{"GATEWAY_REDIS_URL": rs.URL(), "GATEWAY_ENCRYPTION_KEY": key, "GATEWAY_ADMIN_TOKEN": adminToken, "GATEWAY_INSTAGRAM_URL": fakeURL}
	g := startGateway(t, env)
	if r := call(t, "GET", g.URL+"/readyz", nil); r.Status != 200 {
		t.Fatalf("/readyz: %s", r.Raw)
	}
	env["GATEWAY_ENCRYPTION_KEY"] = wrong
	status, stdout, stderr := runToExit(t, env, 20*time.Second)
	assertWrongKeyStop(t, status, stdout+stderr, key, wrong, adminToken)
	g.stop(t)
}

// A gateway started while Redis is down serves, never ready, until Redis
// answers; then a wrong key stops it with the same line.
func TestWrongKeyFoundWhenRedisComesBack(t *testing.T) {
	_, fakeURL := startFake(t)
	rs := redistest.Start(t)
	key, wrong := newKey(), newKey()
	env := map[string]string{"GATEWAY_REDIS_URL": rs.URL(), "GATEWAY_ENCRYPTION_KEY": key, "GATEWAY_ADMIN_TOKEN": adminToken, "GATEWAY_INSTAGRAM_URL": fakeURL}
	first := startGateway(t, env)
	first.stop(t) // the store's canary is sealed under key
	rs.Stop()

	env["GATEWAY_ENCRYPTION_KEY"] = wrong
	g := startGateway(t, env)
	for range 3 {
		if r := call(t, "GET", g.URL+"/readyz", nil); r.Status != 503 {
			t.Fatalf("/readyz with Redis down: %d", r.Status)
		}
	}
	rs.Restart()
	var err error
	select {
	case err = <-g.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("still running with a wrong key after Redis came back: %s", g.stderr)
	}
	assertWrongKeyStop(t, exitCode(t, err), g.stdout.String()+g.stderr.String(), key, wrong, adminToken)
}

// With Redis back and the right key, the gateway becomes ready by itself.
func TestRightKeyReadyWhenRedisComesBack(t *testing.T) {
	_, fakeURL := startFake(t)
	rs := redistest.Start(t)
	rs.Stop()
	env := map[string]string{"GATEWAY_REDIS_URL": rs.URL(), "GATEWAY_ENCRYPTION_KEY": newKey(), "GATEWAY_ADMIN_TOKEN": adminToken, "GATEWAY_INSTAGRAM_URL": fakeURL}
	g := startGateway(t, env)
	if r := call(t, "GET", g.URL+"/readyz", nil); r.Status != 503 {
		t.Fatalf("/readyz with Redis down: %d", r.Status)
	}
	rs.Restart()
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := call(t, "GET", g.URL+"/readyz", nil)
		if r.Status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready after Redis came back: %s", r.Raw)
		}
		time.Sleep(100 * time.Millisecond)
	}
	g.stop(t)
}

// GATEWAY_ENCRYPTION_KEY_FILE outside the data folder: the embedded gateway
// writes no key of its own there, and its connections work across a
// restart.
func TestEncryptionKeyFileOutsideDataDir(t *testing.T) {
	_, fakeURL := startFake(t)
	dir := t.TempDir()
	keyFile := filepath.Join(t.TempDir(), "gateway.key")
	key := newKey()
	if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"GATEWAY_DATA_DIR": dir, "GATEWAY_ENCRYPTION_KEY_FILE": keyFile, "GATEWAY_ADMIN_TOKEN": adminToken, "GATEWAY_INSTAGRAM_URL": fakeURL}
	g := startGateway(t, env)
	_, apiKey := createConnection(t, g, fakegraph.DemoToken)
	g.stop(t)
	if _, err := os.Stat(filepath.Join(dir, "encryption.key")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("encryption.key in the data folder: %v", err)
	}

	g2 := startGateway(t, env)
	if r := call(t, "GET", g2.URL+"/instagram/v21.0/me?api_token="+apiKey, nil); r.Status != 200 || r.Data()["username"] != "sandbox_creator" {
		t.Fatalf("after restart: %s", r.Raw)
	}
	g2.stop(t)
	if _, err := os.Stat(filepath.Join(dir, "encryption.key")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("encryption.key in the data folder after a restart: %v", err)
	}
	assertNoSecrets(t, []string{key, apiKey, adminToken, fakegraph.DemoToken}, g, g2)
}
