package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// clock is a settable time for the rate limit.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// jsonLines decodes every line of out, failing on one that is not JSON.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not a JSON line: %q", l)
		}
		lines = append(lines, m)
	}
	return lines
}

func TestRedisLoggerRateLimit(t *testing.T) {
	const every = 10 * time.Second
	tests := []struct {
		name  string
		steps []time.Duration // time before each Printf
		want  []float64       // "suppressed" of each line written (0: none)
	}{
		{"one line", []time.Duration{0}, []float64{0}},
		{"a burst is one line", []time.Duration{0, time.Millisecond, time.Second, 8 * time.Second}, []float64{0}},
		{"the next line counts the burst", []time.Duration{0, time.Second, time.Second, 8 * time.Second}, []float64{0, 2}},
		{"spaced lines all pass", []time.Duration{0, every, every}, []float64{0, 0, 0}},
		{"counts restart", []time.Duration{0, 0, every, 0, 0, 0, every}, []float64{0, 1, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			c := &clock{t: time.Unix(1e9, 0)}
			l := newRedisLogger(newLogger(&out, slog.LevelInfo), every, c.now)
			for _, d := range tt.steps {
				c.add(d)
				l.Printf(context.Background(), "redis: connection pool: failed to dial after %d attempts: %v", 1, "dial tcp 127.0.0.1:1: connect: connection refused")
			}
			lines := jsonLines(t, out.String())
			if len(lines) != len(tt.want) {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), len(tt.want), out.String())
			}
			for i, line := range lines {
				got, _ := line["suppressed"].(float64)
				if got != tt.want[i] || line["level"] != "WARN" || line["msg"] != "redis client" ||
					line["detail"] != "connection pool: failed to dial after 1 attempts: dial tcp 127.0.0.1:1: connect: connection refused" {
					t.Errorf("line %d: %v, want suppressed %v", i, line, tt.want[i])
				}
			}
		})
	}
}

func TestRedactSecrets(t *testing.T) {
	tests := []struct{ in, want string }{
		{"dial tcp 127.0.0.1:6379: connect: connection refused", "dial tcp 127.0.0.1:6379: connect: connection refused"},
		{"bad redis://user:hunter2@redis:6379/0 here", "bad redis://redis:6379/0 here"},
		{"rediss://:hunter2@redis:6380", "rediss://redis:6380"},
		{"redis://:hun@ter2@redis:6379", "redis://redis:6379"},
		{"REDIS://default:hunter2@Redis", "REDIS://Redis"},
		{"auth with password=hunter2 failed", "auth with password=(hidden) failed"},
		{`Password: "hunter 2"`, `Password: (hidden)`},
		{"token:hunter2", "token:(hidden)"},
		{"WRONGPASS invalid username-password pair", "WRONGPASS invalid username-password pair"},
	}
	for _, tt := range tests {
		if got := redactSecrets(tt.in); got != tt.want {
			t.Errorf("redactSecrets(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// setRedisLogger replaces go-redis's plain-text lines with JSON ones.
func TestSetRedisLogger(t *testing.T) {
	var out syncWriter
	setRedisLogger(newLogger(&out, slog.LevelInfo))
	opts, err := redisOptions("redis://:hunter2@127.0.0.1:1/0", "")
	if err != nil {
		t.Fatal(err)
	}
	opts.MinIdleConns = 0
	c := redis.NewClient(opts)
	defer c.Close()
	for range 5 {
		if c.Ping(context.Background()).Err() == nil {
			t.Fatal("a closed port answered")
		}
	}
	lines := jsonLines(t, out.String())
	if len(lines) != 1 || lines[0]["msg"] != "redis client" || strings.Contains(out.String(), "hunter2") {
		t.Fatalf("log:\n%s", out.String())
	}
}

// syncWriter is a buffer that go-redis's goroutines may write to.
type syncWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
