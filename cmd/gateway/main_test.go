package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/igconnect/gateway/internal/config"
	"github.com/igconnect/gateway/internal/fakegraph"
)

func TestRun(t *testing.T) {
	env := func(string) string { return "" }
	tests := []struct {
		args    []string
		wantErr string
		wantOut string
	}{
		{[]string{"version"}, "", "gateway dev"},
		{[]string{"connections"}, "a subcommand is required", ""},
		{[]string{"connections", "frobnicate", "--data-dir", t.TempDir()}, "unknown subcommand", ""},
		{[]string{"connections", "rotate", "--data-dir", t.TempDir()}, "a connection ID is required", ""},
		{[]string{"--rate-limit", "many"}, "GATEWAY_RATE_LIMIT", ""},
		{[]string{"stray"}, "unexpected argument", ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), tt.args, env, strings.NewReader(""), &out, &errOut)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Fatalf("out = %q", out.String())
			}
		})
	}
}

func TestRedisOptions(t *testing.T) {
	o, err := redisOptions("redis://:pw@127.0.0.1:6379/2", "")
	if err != nil || o.DB != 2 || o.Password != "pw" || o.ReadTimeout >= 1e9 || o.DialTimeout >= 1e9 || o.DialerRetries != 1 {
		t.Fatalf("%+v %v", o, err)
	}
	// GATEWAY_REDIS_PASSWORD (from the chart's Secret) wins over the URL's.
	if o, err := redisOptions("redis://:pw@127.0.0.1:6379/2", "from-secret"); err != nil || o.Password != "from-secret" {
		t.Fatalf("password override: %+v %v", o, err)
	}
	if redactedURL("redis://:pw@127.0.0.1:6379/2") != "127.0.0.1:6379" {
		t.Fatal("password not redacted")
	}

	// A Redis Cluster: redis+cluster://, seeds in the host and addr=, the
	// same timeouts, and GATEWAY_REDIS_PASSWORD wins there too.
	const cluster = "redis+cluster://:pw@127.0.0.1:7000?addr=127.0.0.1:7001&addr=127.0.0.1:7002"
	co, err := redisClusterOptions(cluster, "")
	if err != nil || len(co.Addrs) != 3 || co.Addrs[2] != "127.0.0.1:7002" || co.Password != "pw" || co.TLSConfig != nil ||
		co.ReadTimeout >= time.Second || co.DialTimeout >= time.Second || co.DialerRetries != 1 || co.MaxRetries != 1 || co.PoolSize != 64 {
		t.Fatalf("%+v %v", co, err)
	}
	if co, err := redisClusterOptions(cluster, "from-secret"); err != nil || co.Password != "from-secret" {
		t.Fatalf("cluster password override: %+v %v", co, err)
	}
	if co, err := redisClusterOptions("rediss+cluster://clustercfg.example.com:6379", "from-secret"); err != nil || co.TLSConfig == nil ||
		co.TLSConfig.ServerName != "clustercfg.example.com" || co.Password != "from-secret" {
		t.Fatalf("TLS cluster: %+v %v", co, err)
	}
	if _, err := redisClusterOptions("redis+cluster://:pw@127.0.0.1:7000/1", ""); err == nil || strings.Contains(err.Error(), "pw") {
		t.Fatalf("database 1 on a cluster: %v", err)
	}
	if got := redactedURL(cluster); got != "cluster 127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002" {
		t.Fatalf("redactedURL = %q", got)
	}
	// newRedis picks the client by the scheme, never by guessing.
	for u, want := range map[string]string{cluster: "*redis.ClusterClient", "redis://:pw@127.0.0.1:6379/2": "*redis.Client"} {
		rdb, err := newRedis(u, "")
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%T", rdb); got != want {
			t.Errorf("%s: %s, want %s", u, got, want)
		}
		rdb.Close()
	}
}

// secretEnv holds a secret in every variable that can hold one.
var secretEnv = map[string]string{
	"GATEWAY_REDIS_URL":      "redis://:redis-url-pw@127.0.0.1:1/0",
	"GATEWAY_INSTAGRAM_URL":  "https://ig-user:ig-url-pw@127.0.0.1:1",
	"GATEWAY_ADMIN_TOKEN":    "admin-secret-0123456789",
	"GATEWAY_REDIS_PASSWORD": "separate-redis-pw",
	"GATEWAY_ENCRYPTION_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
}

func assertNoSecrets(t *testing.T, where, s string) {
	t.Helper()
	for _, v := range []string{"redis-url-pw", "ig-user", "ig-url-pw", "admin-secret-0123456789", "separate-redis-pw", "MDEyMzQ1"} {
		if strings.Contains(s, v) {
			t.Errorf("%s carries %q:\n%s", where, v, s)
		}
	}
}

// Help lists the subcommands, then the flags, and never a secret from the
// environment; it opens no store.
func TestHelp(t *testing.T) {
	serveHelp := []string{"gateway [flags]", "gateway --sandbox", "gateway connections add|list|rotate|set-token|delete", "gateway version", "-redis-url", "-sandbox", "(default \"redis://127.0.0.1:1/0\")"}
	connectionsHelp := []string{"gateway connections add --access-token", "gateway connections rotate ID", "gateway connections set-token ID --access-token", "-data-dir", "-redis-url"}
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"-h"}, serveHelp},
		{[]string{"--help"}, serveHelp},
		{[]string{"help"}, serveHelp},
		{[]string{"--addr", "127.0.0.1:0", "-help"}, serveHelp},
		{[]string{"connections", "--help"}, connectionsHelp},
		{[]string{"connections", "help"}, connectionsHelp},
		{[]string{"connections", "add", "--help"}, connectionsHelp},
		{[]string{"connections", "rotate", "ID", "-h"}, connectionsHelp},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			dataDir := filepath.Join(t.TempDir(), "data")
			env := map[string]string{"GATEWAY_DATA_DIR": dataDir}
			for k, v := range secretEnv {
				env[k] = v
			}
			var out, errOut bytes.Buffer
			err := run(context.Background(), tt.args, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut)
			if err != nil && !errors.Is(err, flag.ErrHelp) {
				t.Fatal(err)
			}
			all := out.String() + errOut.String()
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("help lacks %q:\n%s", w, all)
				}
			}
			assertNoSecrets(t, "help", all)
			if _, err := os.Stat(dataDir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("help touched the data folder: %v", err)
			}
		})
	}
}

// The startup line names every variable and shows no secret; go-redis's
// complaints about a dead Redis are JSON lines too.
func TestStartupLine(t *testing.T) {
	env := map[string]string{"GATEWAY_ADDR": "127.0.0.1:0", "GATEWAY_DATA_DIR": t.TempDir()}
	for k, v := range secretEnv {
		env[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // start, then stop at once
	var out bytes.Buffer
	var errOut syncWriter // go-redis's goroutines log too
	run(ctx, nil, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut)
	assertNoSecrets(t, "the log", errOut.String())
	var starting map[string]any
	for _, line := range jsonLines(t, errOut.String()) {
		if line["msg"] == "starting" {
			starting = line
		}
	}
	cfg, _ := starting["config"].(map[string]any)
	for _, name := range config.Names() {
		if _, ok := cfg[strings.ToLower(strings.TrimPrefix(name, "GATEWAY_"))]; !ok {
			t.Errorf("%s is not in the startup line: %v", name, starting)
		}
	}
}

func TestStoreDir(t *testing.T) {
	tests := []struct {
		cfg  config.Config
		want string
	}{
		{config.Config{DataDir: "/var/lib/gateway"}, "/var/lib/gateway"},
		{config.Config{DataDir: "/var/lib/gateway", Sandbox: true}, "/var/lib/gateway/sandbox"},
		{config.Config{DataDir: "./data", Sandbox: true}, "data/sandbox"},
	}
	for _, tt := range tests {
		if got := storeDir(&tt.cfg); got != tt.want {
			t.Errorf("storeDir(%+v) = %q, want %q", tt.cfg, got, tt.want)
		}
	}
}

// TestConnectionsSandbox: the CLI works offline with --sandbox, on the
// sandbox's own store, never the real one.
func TestConnectionsSandbox(t *testing.T) {
	dir := t.TempDir()
	env := func(string) string { return "" }
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"connections", "add", "--sandbox", "--data-dir", dir, "--access-token", fakegraph.OtherToken, "--name", "cli"}, env, strings.NewReader(""), &out, &errOut)
	if err != nil || !strings.Contains(out.String(), `"username": "sandbox_other"`) || !strings.Contains(out.String(), `"api_key": "igw_`) {
		t.Fatalf("add: %v\n%s\n%s", err, out.String(), errOut.String())
	}
	list := func(args ...string) string {
		var out bytes.Buffer
		if err := run(context.Background(), append([]string{"connections", "list", "--data-dir", dir}, args...), env, strings.NewReader(""), &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	if l := list("--sandbox"); !strings.Contains(l, `"name": "cli"`) {
		t.Fatalf("sandbox list: %s", l)
	}
	if l := list(); strings.Contains(l, `"name": "cli"`) {
		t.Fatalf("the real store lists a sandbox connection: %s", l)
	}
}
