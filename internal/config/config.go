// Package config reads and validates the gateway's configuration once, from
// flags and GATEWAY_* environment variables. No other package reads the
// environment.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/ulule/limiter/v3"

	"github.com/igconnect/gateway/internal/connectors"
	keyring "github.com/igconnect/gateway/internal/secret"
)

// Config is the gateway's whole configuration.
type Config struct {
	Addr          string
	DebugAddr     string // serves net/http/pprof on loopback, apart from Addr; "": off
	RedisURL      string
	RedisPassword string // overrides the URL's password when set
	DataDir       string
	AdminToken    string
	// EncryptionKey is nil in embedded mode until the key file in the data
	// directory is read; GATEWAY_ENCRYPTION_KEY or GATEWAY_ENCRYPTION_KEY_FILE
	// set it at start.
	EncryptionKey     []byte
	EncryptionKeyFile string
	RateLimit         limiter.Rate
	InstagramURL      string
	InstagramVersion  string
	PublishTimeout    time.Duration
	PublicURL         string
	Sandbox           bool
	LogLevel          slog.Level

	// TrustedProxies are the peers whose X-Forwarded-For and
	// X-Forwarded-Proto are believed (an address is a full-length prefix).
	TrustedProxies []netip.Prefix
	// PublishConcurrency caps the publishes of one connection in flight at
	// once, across replicas.
	PublishConcurrency int
	// AuthFailureLimit caps failed authentications per client address.
	AuthFailureLimit limiter.Rate

	// InstagramAppSecret, when set, exchanges the short-lived tokens given
	// to create and set-token for long-lived ones.
	InstagramAppSecret string
	// InstagramAppID, with the app secret and PublicURL, enables Instagram
	// Login: connect links and the OAuth server (contract §9).
	InstagramAppID        string
	InstagramAuthorizeURL string
	InstagramTokenURL     string
	InstagramScopes       []string
	// OAuthClients are the gateway's own OAuth clients (Power Automate).
	OAuthClients []OAuthClient
	// TokenMinAge, TokenRefreshBefore and TokenCheckInterval say when
	// tokens are refreshed (contract §8).
	TokenMinAge        time.Duration
	TokenRefreshBefore time.Duration
	TokenCheckInterval time.Duration

	UpstreamTimeout       time.Duration
	UpstreamDialTimeout   time.Duration
	UpstreamTLSTimeout    time.Duration
	UpstreamHeaderTimeout time.Duration
	UpstreamIdleTimeout   time.Duration
	UpstreamRetries       int
	ShutdownGrace         time.Duration

	// shown is each variable's value as it may be printed (secrets masked),
	// in the table's order, for LogValue.
	shown []slog.Attr
}

// OAuthClient is one client of the gateway's OAuth server.
type OAuthClient struct {
	ClientID string `json:"client_id"`
	// ClientSecret is empty for a public client (which must use PKCE).
	ClientSecret string   `json:"client_secret"`
	RedirectURIs []string `json:"redirect_uris"`
}

// Login tells whether Instagram Login is configured (contract §9).
func (c *Config) Login() bool { return c.InstagramAppID != "" }

// Embedded tells whether the gateway runs without Redis.
func (c *Config) Embedded() bool { return c.RedisURL == "" }

// RedisCluster tells whether GATEWAY_REDIS_URL names a Redis Cluster
// (redis+cluster:// or rediss+cluster://) rather than one Redis.
func (c *Config) RedisCluster() bool { return IsClusterURL(c.RedisURL) }

// The schemes of a Redis Cluster's URL: explicit, so that a single node's
// redis:// URL is never read as a cluster's, nor the other way round.
const (
	clusterScheme    = "redis+cluster"
	clusterTLSScheme = "rediss+cluster"
)

// IsClusterURL tells whether raw has a Redis Cluster's scheme.
func IsClusterURL(raw string) bool {
	scheme, _, ok := strings.Cut(raw, "://")
	return ok && (strings.EqualFold(scheme, clusterScheme) || strings.EqualFold(scheme, clusterTLSScheme))
}

// ParseClusterURL reads a Redis Cluster's URL into go-redis's options:
//
//	redis+cluster://[user:password@]host:port[/0][?addr=host:port&addr=…&option=value]
//
// (rediss+cluster:// for TLS, verified against the first host's name). The
// host and every addr are seeds: the client learns the cluster's nodes and
// slots from whichever answers, so one seed is enough (a managed cluster's
// configuration endpoint) and more survive a seed being down. The other
// options are go-redis's (redis.ParseClusterURL: dial_timeout, …). A
// cluster has only database 0: another is refused.
func ParseClusterURL(raw string) (*redis.ClusterOptions, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("not a URL")
	}
	switch strings.ToLower(u.Scheme) {
	case clusterScheme:
		u.Scheme = "redis"
	case clusterTLSScheme:
		u.Scheme = "rediss"
	default:
		return nil, errors.New("not a redis+cluster:// or rediss+cluster:// URL")
	}
	if u.Hostname() == "" {
		return nil, errors.New("the first seed must be host[:port]")
	}
	if db := strings.Trim(u.Path, "/"); db != "" && db != "0" {
		return nil, errors.New("a Redis Cluster has only database 0")
	}
	u.Path, u.RawPath = "", ""
	return redis.ParseClusterURL(u.String())
}

// LogValue is the configuration as it may be logged: every variable of the
// table, secrets masked by their kind (see kind).
func (c *Config) LogValue() slog.Value { return slog.GroupValue(c.shown...) }

// kind tells how a variable's value may be shown: in -h, in the startup
// line, in an error.
type kind int

const (
	// plain values are shown as they are.
	plain kind = iota
	// secret values are never shown: "set" or "unset".
	secret
	// url values are shown without their credentials (user, password).
	urlWithCredentials
)

// show returns v as a variable of kind k may be printed.
func (k kind) show(v string) string {
	switch k {
	case secret:
		if v == "" {
			return "unset"
		}
		return "set"
	case urlWithCredentials:
		return RedactURL(v)
	}
	return v
}

// RedactURL returns raw with any user name and password removed, and its
// query too (go-redis reads a password= option there); a value that does
// not parse as a URL is not shown at all. A Redis Cluster's URL keeps its
// seeds (addr=host:port) that are plainly a host and port.
func RedactURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "(not a URL)"
	}
	u.User = nil
	if u.RawQuery != "" || u.ForceQuery {
		var shown []string
		if IsClusterURL(raw) {
			q, _ := url.ParseQuery(u.RawQuery)
			for _, a := range q["addr"] {
				if seedAddr.MatchString(a) {
					shown = append(shown, "addr="+a)
				}
			}
		}
		if len(shown) == 0 || strings.Count(u.RawQuery, "&")+1 > len(shown) {
			shown = append(shown, "(redacted)")
		}
		u.RawQuery, u.ForceQuery = strings.Join(shown, "&"), false
	}
	return u.String()
}

// seedAddr is a seed's host:port as it may be shown: a name or an IP
// address, and a port.
var seedAddr = regexp.MustCompile(`^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$`)

// variable describes one setting: its environment variable, flag, default,
// and how it may be shown.
type variable struct {
	env, flag, def, usage string
	kind                  kind
	set                   func(c *Config, v string) error
}

var variables = []variable{
	{"GATEWAY_ADDR", "addr", ":8080", "listen address", plain, func(c *Config, v string) error {
		if _, _, err := net.SplitHostPort(v); err != nil {
			return errors.New("must be host:port, for example :8080")
		}
		c.Addr = v
		return nil
	}},
	{"GATEWAY_DEBUG_ADDR", "debug-addr", "", "loopback host:port serving Go's net/http/pprof profiles (/debug/pprof/), apart from the API; keep it on loopback: it exposes internals; unset: off", plain, func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		host, port, err := net.SplitHostPort(v)
		if err != nil {
			return errors.New("must be a loopback host:port, for example 127.0.0.1:6060")
		}
		if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			return errors.New("must be a loopback host:port with a port number, for example 127.0.0.1:6060")
		}
		if !isLoopback(host) {
			return errors.New("must be on a loopback host (127.0.0.1, ::1 or localhost), for example 127.0.0.1:6060: it exposes the process's internals (profiles, goroutine stacks)")
		}
		c.DebugAddr = v
		return nil
	}},
	{"GATEWAY_REDIS_URL", "redis-url", "", "redis:// or rediss:// URL of one Redis, or redis+cluster:// (rediss+cluster:// for TLS) naming a Redis Cluster's seeds: redis+cluster://host:port?addr=host:port&addr=…; unset: embedded store and in-process limits", urlWithCredentials, func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		if IsClusterURL(v) {
			if _, err := ParseClusterURL(v); err != nil {
				return errors.New("must be a redis+cluster:// or rediss+cluster:// URL that go-redis accepts: host:port, more seeds as addr=host:port, known options, no database but 0")
			}
			c.RedisURL = v
			return nil
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			return errors.New("must be a redis:// or rediss:// URL (redis+cluster:// or rediss+cluster:// for a Redis Cluster)")
		}
		if _, err := redis.ParseURL(v); err != nil {
			return errors.New("must be a redis:// or rediss:// URL that go-redis accepts (host, port, database number, known options)")
		}
		c.RedisURL = v
		return nil
	}},
	{"GATEWAY_REDIS_PASSWORD", "redis-password", "", "Redis password; overrides the one in GATEWAY_REDIS_URL (lets the URL live in a ConfigMap and the password in a Secret)", secret, func(c *Config, v string) error {
		c.RedisPassword = v
		return nil
	}},
	{"GATEWAY_DATA_DIR", "data-dir", "./data", "embedded store's folder", plain, func(c *Config, v string) error {
		if v == "" {
			return errors.New("must not be empty")
		}
		c.DataDir = v
		return nil
	}},
	{"GATEWAY_ADMIN_TOKEN", "admin-token", "", "bearer token of the admin API; unset: admin API refuses everyone", secret, func(c *Config, v string) error {
		if v != "" && len(v) < 16 {
			return errors.New("must be at least 16 characters")
		}
		c.AdminToken = v
		return nil
	}},
	{"GATEWAY_ENCRYPTION_KEY", "encryption-key", "", "base64 of 32 bytes; encrypts stored upstream tokens and keys API key hashes (required with Redis, or GATEWAY_ENCRYPTION_KEY_FILE)", secret, func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		k, err := keyring.DecodeKey(v)
		if err != nil {
			return err
		}
		c.EncryptionKey = k
		return nil
	}},
	{"GATEWAY_ENCRYPTION_KEY_FILE", "encryption-key-file", "", "file holding GATEWAY_ENCRYPTION_KEY (base64 of 32 bytes), kept outside the data directory", plain, func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		b, err := os.ReadFile(v)
		if err != nil {
			return errors.New("cannot be read: " + pathError(err))
		}
		k, err := keyring.DecodeKey(string(b))
		if err != nil {
			return fmt.Errorf("file content %w", err)
		}
		c.EncryptionKeyFile = v
		c.EncryptionKey = k
		return nil
	}},
	{"GATEWAY_RATE_LIMIT", "rate-limit", "100-M", "per-connection limit in ulule/limiter's format (100-M = 100 per minute)", plain, rate(func(c *Config) *limiter.Rate { return &c.RateLimit })},
	{"GATEWAY_INSTAGRAM_URL", "instagram-url", "https://graph.instagram.com", "upstream base URL", urlWithCredentials, func(c *Config, v string) error {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			return errors.New("must be an http(s) URL with no query")
		}
		c.InstagramURL = strings.TrimRight(v, "/")
		return nil
	}},
	{"GATEWAY_INSTAGRAM_VERSION", "instagram-version", "v21.0", "Graph API version used when a route names none", plain, func(c *Config, v string) error {
		if !connectors.ValidVersion(v) {
			return errors.New("must look like v21.0")
		}
		c.InstagramVersion = v
		return nil
	}},
	duration("GATEWAY_PUBLISH_TIMEOUT", "publish-timeout", "60s", "longest wait for a media container to finish", func(c *Config) *time.Duration { return &c.PublishTimeout }),
	{"GATEWAY_PUBLIC_URL", "public-url", "", "external base URL of every link the gateway writes (paging, definitions); unset: the Host the caller reached", urlWithCredentials, func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return errors.New("must be an http(s) URL with no credentials, query or fragment")
		}
		c.PublicURL = strings.TrimRight(v, "/")
		return nil
	}},
	{"GATEWAY_SANDBOX", "sandbox", "false", "serve a built-in fake Instagram Graph API and create a demo connection (its own store, apart from real data)", plain, func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errors.New("must be true or false")
		}
		c.Sandbox = b
		return nil
	}},
	{"GATEWAY_LOG_LEVEL", "log-level", "info", "debug, info, warn or error", plain, func(c *Config, v string) error {
		return c.LogLevel.UnmarshalText([]byte(v))
	}},
	{"GATEWAY_TRUSTED_PROXIES", "trusted-proxies", "", "comma-separated addresses or CIDRs of proxies whose X-Forwarded-For and X-Forwarded-Proto are believed; unset: none", plain, func(c *Config, v string) error {
		c.TrustedProxies = nil
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			p, err := netip.ParsePrefix(part)
			if err != nil {
				a, aerr := netip.ParseAddr(part)
				if aerr != nil {
					return fmt.Errorf("%q is not an IP address or CIDR", part)
				}
				p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
			}
			c.TrustedProxies = append(c.TrustedProxies, p.Masked())
		}
		return nil
	}},
	{"GATEWAY_PUBLISH_CONCURRENCY", "publish-concurrency", "2", "publishes of one connection in flight at once, across replicas (1 to 50)", plain, func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 50 {
			return errors.New("must be an integer from 1 to 50")
		}
		c.PublishConcurrency = n
		return nil
	}},
	{"GATEWAY_AUTH_FAILURE_LIMIT", "auth-failure-limit", "30-M", "failed authentications allowed per client address, in GATEWAY_RATE_LIMIT's format", plain, rate(func(c *Config) *limiter.Rate { return &c.AuthFailureLimit })},
	{"GATEWAY_INSTAGRAM_APP_SECRET", "instagram-app-secret", "", "the Instagram app's secret: short-lived tokens given to create and set-token are exchanged for long-lived ones", secret, func(c *Config, v string) error {
		if strings.IndexFunc(v, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
			return errors.New("must be printable ASCII without spaces")
		}
		c.InstagramAppSecret = v
		return nil
	}},
	{"GATEWAY_INSTAGRAM_APP_ID", "instagram-app-id", "", "the Instagram app's ID: enables Instagram Login (connect links, the OAuth server); needs GATEWAY_INSTAGRAM_APP_SECRET and GATEWAY_PUBLIC_URL", plain, func(c *Config, v string) error {
		if strings.IndexFunc(v, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
			return errors.New("must be printable ASCII without spaces")
		}
		c.InstagramAppID = v
		return nil
	}},
	{"GATEWAY_INSTAGRAM_AUTHORIZE_URL", "instagram-authorize-url", "https://www.instagram.com/oauth/authorize", "Instagram's consent page", plain, httpURL(func(c *Config) *string { return &c.InstagramAuthorizeURL })},
	{"GATEWAY_INSTAGRAM_TOKEN_URL", "instagram-token-url", "https://api.instagram.com/oauth/access_token", "Instagram's code exchange", plain, httpURL(func(c *Config) *string { return &c.InstagramTokenURL })},
	{"GATEWAY_INSTAGRAM_SCOPES", "instagram-scopes", "instagram_business_basic,instagram_business_content_publish,instagram_business_manage_comments,instagram_business_manage_insights", "comma-separated scopes asked at Instagram's consent", plain, func(c *Config, v string) error {
		c.InstagramScopes = nil
		for _, s := range strings.Split(v, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			if strings.IndexFunc(s, func(r rune) bool {
				return !(r == '_' || r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
			}) >= 0 {
				return fmt.Errorf("%q is not a scope name", s)
			}
			c.InstagramScopes = append(c.InstagramScopes, s)
		}
		if len(c.InstagramScopes) == 0 {
			return errors.New("must name at least one scope")
		}
		return nil
	}},
	{"GATEWAY_OAUTH_CLIENTS", "oauth-clients", "", `the gateway's OAuth clients: a JSON list of {"client_id","client_secret","redirect_uris":[…]}, or @/path/to/file holding it`, secret, func(c *Config, v string) error {
		clients, err := parseOAuthClients(v)
		if err != nil {
			return err
		}
		c.OAuthClients = clients
		return nil
	}},
	durationIn("GATEWAY_TOKEN_MIN_AGE", "token-min-age", "24h", "Instagram refreshes only tokens at least this old", time.Second, 30*24*time.Hour, func(c *Config) *time.Duration { return &c.TokenMinAge }),
	durationIn("GATEWAY_TOKEN_REFRESH_BEFORE", "token-refresh-before", "720h", "refresh a token once it expires within this", time.Second, 59*24*time.Hour, func(c *Config) *time.Duration { return &c.TokenRefreshBefore }),
	durationIn("GATEWAY_TOKEN_CHECK_INTERVAL", "token-check-interval", "1h", "how often the gateway looks for tokens to refresh", 100*time.Millisecond, 24*time.Hour, func(c *Config) *time.Duration { return &c.TokenCheckInterval }),
	duration("GATEWAY_UPSTREAM_TIMEOUT", "upstream-timeout", "30s", "longest upstream call, body included", func(c *Config) *time.Duration { return &c.UpstreamTimeout }),
	duration("GATEWAY_UPSTREAM_DIAL_TIMEOUT", "upstream-dial-timeout", "5s", "longest TCP connect to upstream", func(c *Config) *time.Duration { return &c.UpstreamDialTimeout }),
	duration("GATEWAY_UPSTREAM_TLS_TIMEOUT", "upstream-tls-timeout", "5s", "longest TLS handshake with upstream", func(c *Config) *time.Duration { return &c.UpstreamTLSTimeout }),
	duration("GATEWAY_UPSTREAM_HEADER_TIMEOUT", "upstream-header-timeout", "20s", "longest wait for upstream's response headers", func(c *Config) *time.Duration { return &c.UpstreamHeaderTimeout }),
	duration("GATEWAY_UPSTREAM_IDLE_TIMEOUT", "upstream-idle-timeout", "90s", "how long a pooled upstream connection may stay idle", func(c *Config) *time.Duration { return &c.UpstreamIdleTimeout }),
	{"GATEWAY_UPSTREAM_RETRIES", "upstream-retries", "2", "retries of a failed read (never of a write), 0 to 5", plain, func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 5 {
			return errors.New("must be an integer from 0 to 5")
		}
		c.UpstreamRetries = n
		return nil
	}},
	duration("GATEWAY_SHUTDOWN_GRACE", "shutdown-grace", "30s", "how long requests in flight may finish after SIGTERM", func(c *Config) *time.Duration { return &c.ShutdownGrace }),
}

// isLoopback tells whether host (of host:port) is a loopback address or
// localhost; an empty host (every interface) is not.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// rate is a variable in ulule/limiter's format with a positive limit.
func rate(field func(*Config) *limiter.Rate) func(c *Config, v string) error {
	return func(c *Config, v string) error {
		r, err := limiter.NewRateFromFormatted(v)
		if err != nil || r.Limit <= 0 {
			return errors.New("must be LIMIT-PERIOD with a positive limit and a period of S, M, H or D, for example 100-M")
		}
		*field(c) = r
		return nil
	}
}

// pathError is an os error without the operation's noise.
func pathError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// duration is a variable holding a duration from 1ms to 30m.
func duration(env, flag, def, usage string, field func(*Config) *time.Duration) variable {
	return variable{env, flag, def, usage, plain, func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Millisecond || d > 30*time.Minute {
			return errors.New("must be a duration from 1ms to 30m, for example 30s")
		}
		*field(c) = d
		return nil
	}}
}

// httpURL is a variable holding an absolute http(s) URL without a fragment.
func httpURL(field func(*Config) *string) func(c *Config, v string) error {
	return func(c *Config, v string) error {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" || u.User != nil {
			return errors.New("must be an http(s) URL with no credentials or fragment")
		}
		*field(c) = v
		return nil
	}
}

// parseOAuthClients reads GATEWAY_OAUTH_CLIENTS: a JSON list, or @file.
// Every client has an ID of its own and at least one redirect URI, each an
// absolute URL without a fragment (https, or http on a loopback host).
func parseOAuthClients(v string) ([]OAuthClient, error) {
	if v == "" {
		return nil, nil
	}
	raw := []byte(v)
	if path, ok := strings.CutPrefix(v, "@"); ok {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, errors.New("file cannot be read: " + pathError(err))
		}
		raw = b
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var clients []OAuthClient
	if err := dec.Decode(&clients); err != nil || dec.More() {
		return nil, errors.New(`must be a JSON list of {"client_id","client_secret","redirect_uris":[…]}`)
	}
	seen := map[string]bool{}
	for i, cl := range clients {
		if cl.ClientID == "" || len(cl.ClientID) > 200 || strings.IndexFunc(cl.ClientID, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
			return nil, fmt.Errorf("client %d: client_id must be 1 to 200 printable ASCII characters without spaces", i+1)
		}
		if seen[cl.ClientID] {
			return nil, fmt.Errorf("client %q is listed twice", cl.ClientID)
		}
		seen[cl.ClientID] = true
		if cl.ClientSecret != "" && len(cl.ClientSecret) < 16 {
			return nil, fmt.Errorf("client %q: client_secret must be at least 16 characters (or absent: a public client, which must use PKCE)", cl.ClientID)
		}
		if len(cl.RedirectURIs) == 0 {
			return nil, fmt.Errorf("client %q: redirect_uris must name at least one URI", cl.ClientID)
		}
		for _, r := range cl.RedirectURIs {
			u, err := url.Parse(r)
			loopback := err == nil && (u.Hostname() == "localhost" || net.ParseIP(u.Hostname()).IsLoopback())
			if err != nil || u.Host == "" || u.Fragment != "" || u.User != nil || !(u.Scheme == "https" || u.Scheme == "http" && loopback) {
				return nil, fmt.Errorf("client %q: redirect URI %q must be an absolute https URL (http only on a loopback host) without a fragment", cl.ClientID, r)
			}
		}
	}
	return clients, nil
}

// durationIn is a variable holding a duration from lo to hi.
func durationIn(env, flag, def, usage string, lo, hi time.Duration, field func(*Config) *time.Duration) variable {
	return variable{env, flag, def, usage, plain, func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < lo || d > hi {
			return fmt.Errorf("must be a duration from %s to %s, for example %s", short(lo), short(hi), def)
		}
		*field(c) = d
		return nil
	}}
}

// short writes d without zero minutes and seconds (24h, not 24h0m0s).
func short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// Error is a configuration error: one line naming the variable.
type Error struct {
	Env, Flag string
	// Value is the value as it may be shown (a secret's is never kept).
	Value string
	Err   error
}

func (e *Error) Error() string {
	return fmt.Sprintf("invalid %s (--%s) %q: %v", e.Env, e.Flag, e.Value, e.Err)
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
		fs.String(v.flag, def, usage)
		// -h prints DefValue: the environment's value only as it may be shown.
		switch v.kind {
		case secret:
			fs.Lookup(v.flag).DefValue = v.def
		case urlWithCredentials:
			fs.Lookup(v.flag).DefValue = RedactURL(def)
		}
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
			shown := v.kind.show(val)
			if v.kind == secret {
				shown = "(hidden)"
			}
			return nil, &Error{Env: v.env, Flag: v.flag, Value: shown, Err: err}
		}
		c.shown = append(c.shown, slog.String(strings.ToLower(strings.TrimPrefix(v.env, "GATEWAY_")), v.kind.show(val)))
	}
	if c.DebugAddr != "" && c.DebugAddr == c.Addr && !strings.HasSuffix(c.Addr, ":0") {
		return nil, &Error{Env: "GATEWAY_DEBUG_ADDR", Flag: "debug-addr", Value: c.DebugAddr, Err: errors.New("must differ from GATEWAY_ADDR: profiles are never served on the API's listener")}
	}
	if fs.Lookup("encryption-key").Value.String() != "" && c.EncryptionKeyFile != "" {
		return nil, &Error{Env: "GATEWAY_ENCRYPTION_KEY_FILE", Flag: "encryption-key-file", Value: c.EncryptionKeyFile, Err: errors.New("cannot be set together with GATEWAY_ENCRYPTION_KEY: choose one")}
	}
	if !c.Embedded() && c.EncryptionKey == nil {
		return nil, &Error{Env: "GATEWAY_ENCRYPTION_KEY", Flag: "encryption-key", Err: errors.New("is required when GATEWAY_REDIS_URL is set, or GATEWAY_ENCRYPTION_KEY_FILE (all replicas must share it)")}
	}
	if c.TokenRefreshBefore < 3*c.TokenCheckInterval {
		return nil, &Error{Env: "GATEWAY_TOKEN_REFRESH_BEFORE", Flag: "token-refresh-before", Value: c.TokenRefreshBefore.String(),
			Err: fmt.Errorf("must be at least three times GATEWAY_TOKEN_CHECK_INTERVAL (%s), so that a token is checked several times before it expires", c.TokenCheckInterval)}
	}
	if c.Login() && c.InstagramAppSecret == "" {
		return nil, &Error{Env: "GATEWAY_INSTAGRAM_APP_ID", Flag: "instagram-app-id", Value: c.InstagramAppID, Err: errors.New("needs GATEWAY_INSTAGRAM_APP_SECRET: Instagram Login exchanges codes with the app's secret")}
	}
	if c.Login() && c.PublicURL == "" && !c.Sandbox {
		return nil, &Error{Env: "GATEWAY_INSTAGRAM_APP_ID", Flag: "instagram-app-id", Value: c.InstagramAppID, Err: errors.New("needs GATEWAY_PUBLIC_URL: Instagram Login's redirect URI is built on it")}
	}
	if len(c.OAuthClients) > 0 && !c.Login() && !c.Sandbox {
		return nil, &Error{Env: "GATEWAY_OAUTH_CLIENTS", Flag: "oauth-clients", Value: "set", Err: errors.New("needs Instagram Login (GATEWAY_INSTAGRAM_APP_ID): the OAuth server signs people in with it")}
	}
	if c.Sandbox && !c.Embedded() {
		return nil, &Error{Env: "GATEWAY_SANDBOX", Flag: "sandbox", Value: "true", Err: errors.New("runs on its own embedded store, apart from real data: unset GATEWAY_REDIS_URL")}
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
