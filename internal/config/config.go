// Package config reads and validates the gateway's configuration once, from
// flags and GATEWAY_* environment variables. No other package reads the
// environment.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ulule/limiter/v3"

	"github.com/igconnect/gateway/internal/secret"
)

// Config is the gateway's whole configuration.
type Config struct {
	Addr             string
	RedisURL         string
	RedisPassword    string // overrides the URL's password when set
	DataDir          string
	AdminToken       string
	EncryptionKey    []byte // nil in embedded mode until the key file is read
	RateLimit        limiter.Rate
	InstagramURL     string
	InstagramVersion string
	PublishTimeout   time.Duration
	PublicURL        string
	Sandbox          bool
	LogLevel         slog.Level

	UpstreamTimeout       time.Duration
	UpstreamDialTimeout   time.Duration
	UpstreamTLSTimeout    time.Duration
	UpstreamHeaderTimeout time.Duration
	UpstreamIdleTimeout   time.Duration
	UpstreamRetries       int
	ShutdownGrace         time.Duration
}

// Embedded tells whether the gateway runs without Redis.
func (c *Config) Embedded() bool { return c.RedisURL == "" }

// LogValue masks secrets when the configuration is logged.
func (c *Config) LogValue() slog.Value {
	mask := func(s string) string {
		if s == "" {
			return "unset"
		}
		return "set"
	}
	redis := "unset (embedded)"
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL); err == nil {
			redis = u.Redacted()
		}
	}
	return slog.GroupValue(
		slog.String("addr", c.Addr),
		slog.String("redis_url", redis),
		slog.String("redis_password", mask(c.RedisPassword)),
		slog.String("data_dir", c.DataDir),
		slog.String("admin_token", mask(c.AdminToken)),
		slog.String("encryption_key", mask(string(c.EncryptionKey))),
		slog.String("rate_limit", c.RateLimit.Formatted),
		slog.String("instagram_url", c.InstagramURL),
		slog.String("instagram_version", c.InstagramVersion),
		slog.String("publish_timeout", c.PublishTimeout.String()),
		slog.String("public_url", c.PublicURL),
		slog.Bool("sandbox", c.Sandbox),
		slog.String("log_level", c.LogLevel.String()),
		slog.String("upstream_timeout", c.UpstreamTimeout.String()),
		slog.String("upstream_dial_timeout", c.UpstreamDialTimeout.String()),
		slog.String("upstream_tls_timeout", c.UpstreamTLSTimeout.String()),
		slog.String("upstream_header_timeout", c.UpstreamHeaderTimeout.String()),
		slog.String("upstream_idle_timeout", c.UpstreamIdleTimeout.String()),
		slog.Int("upstream_retries", c.UpstreamRetries),
		slog.String("shutdown_grace", c.ShutdownGrace.String()),
	)
}

// variable describes one setting: its environment variable, flag, default.
type variable struct {
	env, flag, def, usage string
	set                   func(c *Config, v string) error
}

var variables = []variable{
	{"GATEWAY_ADDR", "addr", ":8080", "listen address", func(c *Config, v string) error {
		if _, _, err := net.SplitHostPort(v); err != nil {
			return errors.New("must be host:port, for example :8080")
		}
		c.Addr = v
		return nil
	}},
	{"GATEWAY_REDIS_URL", "redis-url", "", "redis:// or rediss:// URL; unset: embedded store and in-process limits", func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			return errors.New("must be a redis:// or rediss:// URL")
		}
		c.RedisURL = v
		return nil
	}},
	{"GATEWAY_REDIS_PASSWORD", "redis-password", "", "Redis password; overrides the one in GATEWAY_REDIS_URL (lets the URL live in a ConfigMap and the password in a Secret)", func(c *Config, v string) error {
		c.RedisPassword = v
		return nil
	}},
	{"GATEWAY_DATA_DIR", "data-dir", "./data", "embedded store's folder", func(c *Config, v string) error {
		if v == "" {
			return errors.New("must not be empty")
		}
		c.DataDir = v
		return nil
	}},
	{"GATEWAY_ADMIN_TOKEN", "admin-token", "", "bearer token of the admin API; unset: admin API refuses everyone", func(c *Config, v string) error {
		if v != "" && len(v) < 16 {
			return errors.New("must be at least 16 characters")
		}
		c.AdminToken = v
		return nil
	}},
	{"GATEWAY_ENCRYPTION_KEY", "encryption-key", "", "base64 of 32 bytes; encrypts stored upstream tokens (required with Redis)", func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		k, err := secret.DecodeKey(v)
		if err != nil {
			return err
		}
		c.EncryptionKey = k
		return nil
	}},
	{"GATEWAY_RATE_LIMIT", "rate-limit", "100-M", "per-connection limit in ulule/limiter's format (100-M = 100 per minute)", func(c *Config, v string) error {
		r, err := limiter.NewRateFromFormatted(v)
		if err != nil || r.Limit <= 0 {
			return errors.New("must be LIMIT-PERIOD with a positive limit and a period of S, M, H or D, for example 100-M")
		}
		c.RateLimit = r
		return nil
	}},
	{"GATEWAY_INSTAGRAM_URL", "instagram-url", "https://graph.instagram.com", "upstream base URL", func(c *Config, v string) error {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			return errors.New("must be an http(s) URL with no query")
		}
		c.InstagramURL = strings.TrimRight(v, "/")
		return nil
	}},
	{"GATEWAY_INSTAGRAM_VERSION", "instagram-version", "v21.0", "Graph API version used when a route names none", func(c *Config, v string) error {
		if !versionOK(v) {
			return errors.New("must look like v21.0")
		}
		c.InstagramVersion = v
		return nil
	}},
	duration("GATEWAY_PUBLISH_TIMEOUT", "publish-timeout", "60s", "longest wait for a media container to finish", func(c *Config) *time.Duration { return &c.PublishTimeout }),
	{"GATEWAY_PUBLIC_URL", "public-url", "", "external base URL for paging links behind a proxy; unset: the URL the caller reached", func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			return errors.New("must be an http(s) URL with no query")
		}
		c.PublicURL = strings.TrimRight(v, "/")
		return nil
	}},
	{"GATEWAY_SANDBOX", "sandbox", "false", "serve a built-in fake Instagram Graph API and create a demo connection", func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errors.New("must be true or false")
		}
		c.Sandbox = b
		return nil
	}},
	{"GATEWAY_LOG_LEVEL", "log-level", "info", "debug, info, warn or error", func(c *Config, v string) error {
		return c.LogLevel.UnmarshalText([]byte(v))
	}},
	duration("GATEWAY_UPSTREAM_TIMEOUT", "upstream-timeout", "30s", "longest upstream call, body included", func(c *Config) *time.Duration { return &c.UpstreamTimeout }),
	duration("GATEWAY_UPSTREAM_DIAL_TIMEOUT", "upstream-dial-timeout", "5s", "longest TCP connect to upstream", func(c *Config) *time.Duration { return &c.UpstreamDialTimeout }),
	duration("GATEWAY_UPSTREAM_TLS_TIMEOUT", "upstream-tls-timeout", "5s", "longest TLS handshake with upstream", func(c *Config) *time.Duration { return &c.UpstreamTLSTimeout }),
	duration("GATEWAY_UPSTREAM_HEADER_TIMEOUT", "upstream-header-timeout", "20s", "longest wait for upstream's response headers", func(c *Config) *time.Duration { return &c.UpstreamHeaderTimeout }),
	duration("GATEWAY_UPSTREAM_IDLE_TIMEOUT", "upstream-idle-timeout", "90s", "how long a pooled upstream connection may stay idle", func(c *Config) *time.Duration { return &c.UpstreamIdleTimeout }),
	{"GATEWAY_UPSTREAM_RETRIES", "upstream-retries", "2", "retries of a failed read (never of a write), 0 to 5", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 5 {
			return errors.New("must be an integer from 0 to 5")
		}
		c.UpstreamRetries = n
		return nil
	}},
	duration("GATEWAY_SHUTDOWN_GRACE", "shutdown-grace", "30s", "how long requests in flight may finish after SIGTERM", func(c *Config) *time.Duration { return &c.ShutdownGrace }),
}

// duration is a variable holding a duration from 1ms to 30m.
func duration(env, flag, def, usage string, field func(*Config) *time.Duration) variable {
	return variable{env, flag, def, usage, func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Millisecond || d > 30*time.Minute {
			return errors.New("must be a duration from 1ms to 30m, for example 30s")
		}
		*field(c) = d
		return nil
	}}
}

func versionOK(v string) bool {
	if len(v) < 4 || v[0] != 'v' {
		return false
	}
	major, minor, ok := strings.Cut(v[1:], ".")
	if !ok {
		return false
	}
	_, e1 := strconv.ParseUint(major, 10, 16)
	_, e2 := strconv.ParseUint(minor, 10, 16)
	return e1 == nil && e2 == nil
}

// Error is a configuration error: one line naming the variable.
type Error struct {
	Env, Flag, Value string
	Err              error
}

func (e *Error) Error() string {
	v := e.Value
	if strings.Contains(e.Env, "TOKEN") || strings.Contains(e.Env, "KEY") || strings.Contains(e.Env, "REDIS_") {
		v = "(hidden)"
	}
	return fmt.Sprintf("invalid %s (--%s) %q: %v", e.Env, e.Flag, v, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// FlagSet returns a flag set whose flags default to the environment's values.
// Parse it, then call Load with it.
func FlagSet(name string, getenv func(string) string, output io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(output)
	for _, v := range variables {
		def := v.def
		if e := getenv(v.env); e != "" {
			def = e
		}
		usage := fmt.Sprintf("%s (%s)", v.usage, v.env)
		if v.flag == "sandbox" {
			b := boolString(def)
			fs.Var(&b, v.flag, usage)
			continue
		}
		if strings.Contains(v.env, "TOKEN") || strings.Contains(v.env, "KEY") || strings.Contains(v.env, "PASSWORD") {
			fs.String(v.flag, def, usage) // default shown by flag package: keep env secrets out of -h
			fs.Lookup(v.flag).DefValue = v.def
			continue
		}
		fs.String(v.flag, def, usage)
	}
	return fs
}

// Load validates the parsed flag set into a Config.
func Load(fs *flag.FlagSet) (*Config, error) {
	c := &Config{}
	for _, v := range variables {
		f := fs.Lookup(v.flag)
		val := f.Value.String()
		if err := v.set(c, val); err != nil {
			return nil, &Error{Env: v.env, Flag: v.flag, Value: val, Err: err}
		}
	}
	if !c.Embedded() && c.EncryptionKey == nil {
		return nil, &Error{Env: "GATEWAY_ENCRYPTION_KEY", Flag: "encryption-key", Err: errors.New("is required when GATEWAY_REDIS_URL is set (all replicas must share it)")}
	}
	return c, nil
}

// Parse parses args and the environment into a Config.
func Parse(args []string, getenv func(string) string, output io.Writer) (*Config, error) {
	fs := FlagSet("gateway", getenv, output)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return Load(fs)
}

// boolString is a boolean flag that keeps its raw text, so that a bad
// environment value reaches validation instead of turning into false.
type boolString string

func (b *boolString) String() string     { return string(*b) }
func (b *boolString) Set(s string) error { *b = boolString(s); return nil }
func (b *boolString) IsBoolFlag() bool   { return true }

// Names lists every environment variable the gateway reads, in order.
func Names() []string {
	names := make([]string, len(variables))
	for i, v := range variables {
		names[i] = v.env
	}
	return names
}
