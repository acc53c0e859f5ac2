package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
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
}
