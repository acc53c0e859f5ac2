package config

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaults(t *testing.T) {
	c, err := Parse(nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.DataDir != "./data" || c.RateLimit.Limit != 100 || c.RateLimit.Period != time.Minute ||
		c.InstagramURL != "https://graph.instagram.com" || c.InstagramVersion != "v21.0" || c.PublishTimeout != time.Minute ||
		!c.Embedded() || c.Sandbox {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestFlagsOverrideEnv(t *testing.T) {
	c, err := Parse([]string{"--addr", "127.0.0.1:0", "--sandbox"}, env(map[string]string{"GATEWAY_ADDR": ":9999", "GATEWAY_RATE_LIMIT": "5-S"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:0" || !c.Sandbox || c.RateLimit.Limit != 5 || c.RateLimit.Period != time.Second {
		t.Fatalf("%+v", c)
	}
}

func TestInvalid(t *testing.T) {
	key := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"GATEWAY_ADDR": "nope"}, "GATEWAY_ADDR"},
		{map[string]string{"GATEWAY_REDIS_URL": "http://x"}, "GATEWAY_REDIS_URL"},
		{map[string]string{"GATEWAY_REDIS_URL": "redis://127.0.0.1:6379"}, "GATEWAY_ENCRYPTION_KEY"},
		{map[string]string{"GATEWAY_ENCRYPTION_KEY": "c2hvcnQ="}, "GATEWAY_ENCRYPTION_KEY"},
		{map[string]string{"GATEWAY_RATE_LIMIT": "100"}, "GATEWAY_RATE_LIMIT"},
		{map[string]string{"GATEWAY_RATE_LIMIT": "0-M"}, "GATEWAY_RATE_LIMIT"},
		{map[string]string{"GATEWAY_RATE_LIMIT": "10-Y"}, "GATEWAY_RATE_LIMIT"},
		{map[string]string{"GATEWAY_INSTAGRAM_URL": "ftp://x"}, "GATEWAY_INSTAGRAM_URL"},
		{map[string]string{"GATEWAY_INSTAGRAM_VERSION": "21"}, "GATEWAY_INSTAGRAM_VERSION"},
		{map[string]string{"GATEWAY_PUBLISH_TIMEOUT": "soon"}, "GATEWAY_PUBLISH_TIMEOUT"},
		{map[string]string{"GATEWAY_PUBLISH_TIMEOUT": "-1s"}, "GATEWAY_PUBLISH_TIMEOUT"},
		{map[string]string{"GATEWAY_ADMIN_TOKEN": "short"}, "GATEWAY_ADMIN_TOKEN"},
		{map[string]string{"GATEWAY_SANDBOX": "maybe"}, "GATEWAY_SANDBOX"},
		{map[string]string{"GATEWAY_LOG_LEVEL": "loud"}, "GATEWAY_LOG_LEVEL"},
		{map[string]string{"GATEWAY_PUBLIC_URL": "example.com"}, "GATEWAY_PUBLIC_URL"},
		{map[string]string{"GATEWAY_UPSTREAM_TIMEOUT": "0s"}, "GATEWAY_UPSTREAM_TIMEOUT"},
		{map[string]string{"GATEWAY_UPSTREAM_RETRIES": "9"}, "GATEWAY_UPSTREAM_RETRIES"},
		{map[string]string{"GATEWAY_SHUTDOWN_GRACE": "forever"}, "GATEWAY_SHUTDOWN_GRACE"},
		{map[string]string{"GATEWAY_DATA_DIR": ""}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := Parse(nil, env(tt.env), io.Discard)
			if tt.want == "" {
				return // empty env var means default
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v, want one line naming %s", err, tt.want)
			}
		})
	}
	// A valid Redis configuration.
	if _, err := Parse(nil, env(map[string]string{"GATEWAY_REDIS_URL": "redis://:pw@127.0.0.1:6379/0", "GATEWAY_ENCRYPTION_KEY": key}), io.Discard); err != nil {
		t.Fatal(err)
	}
}

func TestSecretsHidden(t *testing.T) {
	_, err := Parse(nil, env(map[string]string{"GATEWAY_ADMIN_TOKEN": "sh0rt"}), io.Discard)
	if err == nil || strings.Contains(err.Error(), "sh0rt") {
		t.Fatalf("err = %v", err)
	}
	c, _ := Parse(nil, env(map[string]string{"GATEWAY_ADMIN_TOKEN": "admin-secret-123456", "GATEWAY_REDIS_URL": "redis://:redispw@127.0.0.1:1/0", "GATEWAY_REDIS_PASSWORD": "separate-redis-pw", "GATEWAY_ENCRYPTION_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}), io.Discard)
	s := c.LogValue().String()
	for _, secret := range []string{"admin-secret-123456", "redispw", "separate-redis-pw", "AAAAAAAA"} {
		if strings.Contains(s, secret) {
			t.Errorf("log value carries %q: %s", secret, s)
		}
	}
}

// validKey is base64 of 32 bytes.
const validKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// withSecrets is an environment holding a secret in every variable that can
// hold one.
var withSecrets = map[string]string{
	"GATEWAY_REDIS_URL":            "redis://user:redis-url-pw@127.0.0.1:6379/0",
	"GATEWAY_REDIS_PASSWORD":       "separate-redis-pw",
	"GATEWAY_ADMIN_TOKEN":          "admin-secret-0123456789",
	"GATEWAY_ENCRYPTION_KEY":       validKey,
	"GATEWAY_INSTAGRAM_URL":        "https://ig-user:ig-url-pw@graph.example.com",
	"GATEWAY_INSTAGRAM_APP_SECRET": "app-secret-0123456789abcdef",
}

var secretValues = []string{"redis-url-pw", "separate-redis-pw", "admin-secret-0123456789", validKey, "MDEyMzQ1", "ig-user", "ig-url-pw", "app-secret-0123456789abcdef"}

func assertNoSecret(t *testing.T, where, s string) {
	t.Helper()
	for _, v := range secretValues {
		if strings.Contains(s, v) {
			t.Errorf("%s carries %q: %s", where, v, s)
		}
	}
}

// -h shows each flag's default from the environment, never a secret nor a
// URL's credentials.
func TestHelpHidesSecrets(t *testing.T) {
	var out strings.Builder
	fs := FlagSet("gateway", env(withSecrets), &out)
	fs.PrintDefaults()
	assertNoSecret(t, "-h", out.String())
	tests := []struct{ flag, def string }{
		{"redis-url", "redis://127.0.0.1:6379/0"},
		{"instagram-url", "https://graph.example.com"},
		{"admin-token", ""},
		{"redis-password", ""},
		{"encryption-key", ""},
		{"instagram-app-secret", ""},
	}
	for _, tt := range tests {
		if got := fs.Lookup(tt.flag).DefValue; got != tt.def {
			t.Errorf("--%s default shown as %q, want %q", tt.flag, got, tt.def)
		}
	}
	// The values themselves still reach Load.
	c, err := Load(fs)
	if err != nil || c.AdminToken != withSecrets["GATEWAY_ADMIN_TOKEN"] || c.RedisURL != withSecrets["GATEWAY_REDIS_URL"] ||
		c.InstagramAppSecret != withSecrets["GATEWAY_INSTAGRAM_APP_SECRET"] {
		t.Fatalf("%+v %v", c, err)
	}
}

// The startup line's configuration names every variable and carries no
// secret.
func TestLogValue(t *testing.T) {
	c, err := Parse(nil, env(withSecrets), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	group := c.LogValue().Group()
	shown := map[string]string{}
	for _, a := range group {
		shown[a.Key] = a.Value.String()
	}
	assertNoSecret(t, "the startup line", c.LogValue().String())
	for _, name := range Names() {
		if _, ok := shown[strings.ToLower(strings.TrimPrefix(name, "GATEWAY_"))]; !ok {
			t.Errorf("%s is not in the startup line: %v", name, shown)
		}
	}
	if len(group) != len(Names()) {
		t.Errorf("%d attributes for %d variables", len(group), len(Names()))
	}
	want := map[string]string{
		"redis_url": "redis://127.0.0.1:6379/0", "instagram_url": "https://graph.example.com",
		"admin_token": "set", "redis_password": "set", "encryption_key": "set",
	}
	for k, v := range want {
		if shown[k] != v {
			t.Errorf("%s shown as %q, want %q", k, shown[k], v)
		}
	}
}

// A configuration error names the variable but never shows a secret.
func TestErrorsHideSecrets(t *testing.T) {
	dir := t.TempDir()
	badKeyFile := filepath.Join(dir, "bad.key")
	if err := os.WriteFile(badKeyFile, []byte("redis-url-pw-in-a-file"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"GATEWAY_REDIS_URL": "http://:redis-url-pw@127.0.0.1:6379"}, "GATEWAY_REDIS_URL"},
		{map[string]string{"GATEWAY_REDIS_URL": "redis://:redis-url-pw@"}, "GATEWAY_REDIS_URL"},
		{map[string]string{"GATEWAY_REDIS_URL": "redis://:redis-url-pw@127.0.0.1:port"}, "GATEWAY_REDIS_URL"},
		{map[string]string{"GATEWAY_REDIS_URL": "redis://:redis-url-pw@127.0.0.1:6379"}, "GATEWAY_ENCRYPTION_KEY"},
		{map[string]string{"GATEWAY_INSTAGRAM_URL": "ftp://ig-user:ig-url-pw@graph.example.com"}, "GATEWAY_INSTAGRAM_URL"},
		{map[string]string{"GATEWAY_PUBLIC_URL": "https://ig-user:ig-url-pw@gateway.example.com"}, "GATEWAY_PUBLIC_URL"},
		{map[string]string{"GATEWAY_ADMIN_TOKEN": "ig-url-pw"}, "GATEWAY_ADMIN_TOKEN"},
		{map[string]string{"GATEWAY_ENCRYPTION_KEY": "redis-url-pw-not-base64"}, "GATEWAY_ENCRYPTION_KEY"},
		{map[string]string{"GATEWAY_ENCRYPTION_KEY": "c2VwYXJhdGUtcmVkaXMtcHc="}, "GATEWAY_ENCRYPTION_KEY"},
		{map[string]string{"GATEWAY_ENCRYPTION_KEY_FILE": badKeyFile}, "GATEWAY_ENCRYPTION_KEY_FILE"},
		{map[string]string{"GATEWAY_INSTAGRAM_APP_SECRET": "ig-url-pw with a space"}, "GATEWAY_INSTAGRAM_APP_SECRET"},
		{map[string]string{"GATEWAY_SANDBOX": "true", "GATEWAY_REDIS_URL": "redis://:redis-url-pw@127.0.0.1:6379", "GATEWAY_ENCRYPTION_KEY": validKey}, "GATEWAY_SANDBOX"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := Parse(nil, env(tt.env), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one naming %s", err, tt.want)
			}
			assertNoSecret(t, "the error", err.Error())
			if strings.Contains(err.Error(), "c2VwYXJhdGUtcmVkaXMtcHc") {
				t.Errorf("the error shows the key: %v", err)
			}
		})
	}
}

func TestTrustedProxies(t *testing.T) {
	tests := []struct {
		value   string
		want    []string // prefixes, masked
		wantErr bool
	}{
		{"", nil, false},
		{"10.0.0.7", []string{"10.0.0.7/32"}, false},
		{"10.0.0.0/8, 192.168.1.0/24", []string{"10.0.0.0/8", "192.168.1.0/24"}, false},
		{"10.1.2.3/8", []string{"10.0.0.0/8"}, false},
		{"::1", []string{"::1/128"}, false},
		{"2001:db8::/32,fd00::1", []string{"2001:db8::/32", "fd00::1/128"}, false},
		{"::ffff:10.0.0.7", []string{"10.0.0.7/32"}, false},
		{" 127.0.0.1 , , ", []string{"127.0.0.1/32"}, false},
		{"proxy.example.com", nil, true},
		{"10.0.0.0/33", nil, true},
		{"10.0.0.1:80", nil, true},
		{"10.0.0.1,nope", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			c, err := Parse(nil, env(map[string]string{"GATEWAY_TRUSTED_PROXIES": tt.value}), io.Discard)
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "GATEWAY_TRUSTED_PROXIES") {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range c.TrustedProxies {
				got = append(got, p.String())
			}
			if !slices.Equal(got, tt.want) || len(c.TrustedProxies) != len(tt.want) {
				t.Fatalf("prefixes %v (from %v), want %v", got, c.TrustedProxies, tt.want)
			}
		})
	}
}

func TestPublishConcurrency(t *testing.T) {
	tests := []struct {
		value string
		want  int // 0: refused
	}{
		{"", 2}, {"1", 1}, {"50", 50}, {"0", 0}, {"51", 0}, {"-1", 0}, {"two", 0}, {"2.5", 0},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			c, err := Parse(nil, env(map[string]string{"GATEWAY_PUBLISH_CONCURRENCY": tt.value}), io.Discard)
			if tt.want == 0 {
				if err == nil || !strings.Contains(err.Error(), "GATEWAY_PUBLISH_CONCURRENCY") {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil || c.PublishConcurrency != tt.want {
				t.Fatalf("%v %v, want %d", c, err, tt.want)
			}
		})
	}
}

// The token refresh policy: its defaults, and each variable within its
// bounds.
func TestTokenPolicy(t *testing.T) {
	tests := []struct {
		env        string
		value      string
		minAge     time.Duration
		before     time.Duration
		check      time.Duration
		refusedMsg string // non-empty: refused, the message names the bounds
	}{
		{"GATEWAY_TOKEN_MIN_AGE", "", 24 * time.Hour, 720 * time.Hour, time.Hour, ""},
		{"GATEWAY_TOKEN_MIN_AGE", "1s", time.Second, 720 * time.Hour, time.Hour, ""},
		{"GATEWAY_TOKEN_MIN_AGE", "720h", 720 * time.Hour, 720 * time.Hour, time.Hour, ""},
		{"GATEWAY_TOKEN_MIN_AGE", "721h", 0, 0, 0, "from 1s to 720h, for example 24h"},
		{"GATEWAY_TOKEN_MIN_AGE", "500ms", 0, 0, 0, "from 1s to 720h"},
		{"GATEWAY_TOKEN_REFRESH_BEFORE", "48h", 24 * time.Hour, 48 * time.Hour, time.Hour, ""},
		{"GATEWAY_TOKEN_REFRESH_BEFORE", "1417h", 0, 0, 0, "from 1s to 1416h"},
		{"GATEWAY_TOKEN_REFRESH_BEFORE", "soon", 0, 0, 0, "from 1s to 1416h"},
		{"GATEWAY_TOKEN_CHECK_INTERVAL", "100ms", 24 * time.Hour, 720 * time.Hour, 100 * time.Millisecond, ""},
		{"GATEWAY_TOKEN_CHECK_INTERVAL", "25h", 0, 0, 0, "from 100ms to 24h, for example 1h"},
		{"GATEWAY_TOKEN_CHECK_INTERVAL", "0", 0, 0, 0, "from 100ms to 24h"},
		{"GATEWAY_TOKEN_REFRESH_BEFORE", "2h", 0, 0, 0, "at least three times GATEWAY_TOKEN_CHECK_INTERVAL (1h0m0s)"},
		{"GATEWAY_TOKEN_REFRESH_BEFORE", "3h", 24 * time.Hour, 3 * time.Hour, time.Hour, ""},
	}
	for _, tt := range tests {
		t.Run(tt.env+"="+tt.value, func(t *testing.T) {
			c, err := Parse(nil, env(map[string]string{tt.env: tt.value}), io.Discard)
			if tt.refusedMsg != "" {
				if err == nil || !strings.Contains(err.Error(), tt.env) || !strings.Contains(err.Error(), tt.refusedMsg) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil || c.TokenMinAge != tt.minAge || c.TokenRefreshBefore != tt.before || c.TokenCheckInterval != tt.check {
				t.Fatalf("%+v %v", c, err)
			}
		})
	}
}

func TestAuthFailureLimit(t *testing.T) {
	tests := []struct {
		value  string
		limit  int64 // 0: refused
		period time.Duration
	}{
		{"", 30, time.Minute}, {"5-S", 5, time.Second}, {"100-H", 100, time.Hour}, {"1-D", 1, 24 * time.Hour},
		{"30", 0, 0}, {"0-M", 0, 0}, {"30-Y", 0, 0}, {"many-M", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			c, err := Parse(nil, env(map[string]string{"GATEWAY_AUTH_FAILURE_LIMIT": tt.value}), io.Discard)
			if tt.limit == 0 {
				if err == nil || !strings.Contains(err.Error(), "GATEWAY_AUTH_FAILURE_LIMIT") {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil || c.AuthFailureLimit.Limit != tt.limit || c.AuthFailureLimit.Period != tt.period {
				t.Fatalf("%+v %v", c, err)
			}
		})
	}
}

func TestEncryptionKeyFile(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := file("good.key", validKey+"\n")
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string // "": valid
	}{
		{"readable valid file", map[string]string{"GATEWAY_ENCRYPTION_KEY_FILE": good}, ""},
		{"with Redis", map[string]string{"GATEWAY_ENCRYPTION_KEY_FILE": good, "GATEWAY_REDIS_URL": "redis://127.0.0.1:6379"}, ""},
		{"missing file", map[string]string{"GATEWAY_ENCRYPTION_KEY_FILE": filepath.Join(dir, "missing.key")}, "cannot be read"},
		{"a folder", map[string]string{"GATEWAY_ENCRYPTION_KEY_FILE": dir}, "cannot be read"},
		{"bad content", map[string]string{"GATEWAY_ENCRYPTION_KEY_FILE": file("bad.key", "not a key")}, "file content"},
		{"short key", map[string]string{"GATEWAY_ENCRYPTION_KEY_FILE": file("short.key", "c2hvcnQ=")}, "file content"},
		{"both set", map[string]string{"GATEWAY_ENCRYPTION_KEY_FILE": good, "GATEWAY_ENCRYPTION_KEY": validKey}, "choose one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(nil, env(tt.env), io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), "GATEWAY_ENCRYPTION_KEY_FILE") || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				assertNoSecret(t, "the error", err.Error())
				return
			}
			if err != nil || len(c.EncryptionKey) != 32 || c.EncryptionKeyFile != good {
				t.Fatalf("%+v %v", c, err)
			}
		})
	}
}

// The sandbox runs on its own embedded store: never on Redis.
func TestSandboxRefusesRedis(t *testing.T) {
	_, err := Parse([]string{"--sandbox"}, env(map[string]string{"GATEWAY_REDIS_URL": "redis://127.0.0.1:6379", "GATEWAY_ENCRYPTION_KEY": validKey}), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "GATEWAY_SANDBOX") {
		t.Fatalf("err = %v", err)
	}
	if c, err := Parse([]string{"--sandbox"}, env(nil), io.Discard); err != nil || !c.Sandbox || !c.Embedded() {
		t.Fatalf("%+v %v", c, err)
	}
}

// TestRedisURLQueryHidden: a secret in the Redis URL's query (go-redis
// refuses such options) reaches neither -h, nor the error, nor the startup
// line.
func TestRedisURLQueryHidden(t *testing.T) {
	e := env(map[string]string{"GATEWAY_REDIS_URL": "redis://127.0.0.1:6379/0?password=hunter2", "GATEWAY_ENCRYPTION_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="})
	if _, err := Parse(nil, e, io.Discard); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("err = %v", err)
	}
	if s := RedactURL("redis://u:p@h:1/0?dial_timeout=hunter2"); strings.Contains(s, "hunter2") || strings.Contains(s, ":p@") {
		t.Fatalf("RedactURL = %s", s)
	}
	var help strings.Builder
	fs := FlagSet("gateway", e, &help)
	fs.PrintDefaults()
	if strings.Contains(help.String(), "hunter2") {
		t.Fatalf("-h shows the password:\n%s", help.String())
	}
	if _, err := Parse(nil, env(map[string]string{"GATEWAY_REDIS_URL": "redis://127.0.0.1:6379/0?bogus=hunter2", "GATEWAY_ENCRYPTION_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}), io.Discard); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("unknown option: err = %v", err)
	}
}

// GATEWAY_REDIS_URL names a Redis Cluster by its scheme, redis+cluster://
// (rediss+cluster:// for TLS): the host and every addr= are seeds.
func TestRedisClusterURL(t *testing.T) {
	valid := []struct {
		url   string
		addrs []string
		tls   bool
	}{
		{"redis+cluster://10.0.0.1:7000", []string{"10.0.0.1:7000"}, false},
		{"redis+cluster://10.0.0.1", []string{"10.0.0.1:6379"}, false},
		{"redis+cluster://10.0.0.1:7000/0", []string{"10.0.0.1:7000"}, false},
		{"redis+cluster://:pw@h1:7000?addr=h2:7001&addr=h3:7002", []string{"h1:7000", "h2:7001", "h3:7002"}, false},
		{"REDIS+CLUSTER://h1:7000?addr=[::1]:7001", []string{"h1:7000", "[::1]:7001"}, false},
		{"rediss+cluster://user:pw@clustercfg.example.cache.amazonaws.com:6379?dial_timeout=2s", []string{"clustercfg.example.cache.amazonaws.com:6379"}, true},
	}
	for _, tt := range valid {
		t.Run(tt.url, func(t *testing.T) {
			c, err := Parse(nil, env(map[string]string{"GATEWAY_REDIS_URL": tt.url, "GATEWAY_ENCRYPTION_KEY": validKey}), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if !c.RedisCluster() || c.Embedded() || c.RedisURL != tt.url {
				t.Fatalf("cluster %v embedded %v url %q", c.RedisCluster(), c.Embedded(), c.RedisURL)
			}
			o, err := ParseClusterURL(c.RedisURL)
			if err != nil || !slices.Equal(o.Addrs, tt.addrs) || (o.TLSConfig != nil) != tt.tls {
				t.Fatalf("%+v %v, want seeds %v", o, err, tt.addrs)
			}
		})
	}
	// A single node's URL is never a cluster's, nor the other way round.
	for _, u := range []string{"redis://127.0.0.1:6379/0", "rediss://h:6380", ""} {
		c, err := Parse(nil, env(map[string]string{"GATEWAY_REDIS_URL": u, "GATEWAY_ENCRYPTION_KEY": validKey}), io.Discard)
		if err != nil || c.RedisCluster() {
			t.Fatalf("%q: cluster %v, %v", u, c.RedisCluster(), err)
		}
	}
	if _, err := ParseClusterURL("redis://h1:7000"); err == nil {
		t.Fatal("ParseClusterURL took a single node's URL")
	}
	invalid := []string{
		"redis+cluster://",                           // no seed
		"redis+cluster://:redis-url-pw@",             // no seed
		"redis+cluster://h1:7000/3",                  // a cluster has database 0 only
		"redis+cluster://h1:port",                    // bad port
		"redis+cluster://h1:7000?addr=h2",            // a seed without a port
		"redis+cluster://h1:7000?addr=redis-url-pw@", // not host:port
		"redis+cluster://h1:7000?db=1",               // not a cluster option
		"redis+cluster://h1:7000?password=redis-url-pw",
		"redis+sentinel://h1:26379",
		"cluster://h1:7000",
	}
	for _, u := range invalid {
		t.Run(u, func(t *testing.T) {
			_, err := Parse(nil, env(map[string]string{"GATEWAY_REDIS_URL": u, "GATEWAY_ENCRYPTION_KEY": validKey}), io.Discard)
			if err == nil || !strings.Contains(err.Error(), "GATEWAY_REDIS_URL") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v, want one line naming GATEWAY_REDIS_URL", err)
			}
			assertNoSecret(t, "the error", err.Error())
		})
	}
}

// A cluster's URL shows its seeds, never its credentials nor its other
// options: in -h, in the startup line, in an error.
func TestRedisClusterURLHidesSecrets(t *testing.T) {
	e := map[string]string{
		"GATEWAY_REDIS_URL":      "rediss+cluster://user:redis-url-pw@h1:7000?addr=h2:7001&addr=h3:7002&client_name=redis-url-pw",
		"GATEWAY_REDIS_PASSWORD": "separate-redis-pw",
		"GATEWAY_ENCRYPTION_KEY": validKey,
	}
	const want = "rediss+cluster://h1:7000?addr=h2:7001&addr=h3:7002&(redacted)"
	var help strings.Builder
	fs := FlagSet("gateway", env(e), &help)
	fs.PrintDefaults()
	assertNoSecret(t, "-h", help.String())
	if got := fs.Lookup("redis-url").DefValue; got != want {
		t.Errorf("-h shows %q, want %q", got, want)
	}
	c, err := Parse(nil, env(e), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	assertNoSecret(t, "the startup line", c.LogValue().String())
	if !strings.Contains(c.LogValue().String(), want) {
		t.Errorf("the startup line does not show the seeds: %s", c.LogValue())
	}
	e["GATEWAY_REDIS_URL"] = "redis+cluster://user:redis-url-pw@h1:7000/5?addr=h2:7001"
	if _, err := Parse(nil, env(e), io.Discard); err == nil || !strings.Contains(err.Error(), "redis+cluster://h1:7000/5?addr=h2:7001") {
		t.Fatalf("err = %v, want the URL without its credentials", err)
	} else {
		assertNoSecret(t, "the error", err.Error())
	}
	for raw, want := range map[string]string{
		"redis+cluster://h1:7000?addr=h2:7001&addr=h3:7002": "redis+cluster://h1:7000?addr=h2:7001&addr=h3:7002",
		"redis+cluster://h1:7000?addr=pw@h2:7001":           "redis+cluster://h1:7000?(redacted)",
		"redis+cluster://h1:7000?addr=h2:7001;x=pw":         "redis+cluster://h1:7000?(redacted)",
		"redis://h1:7000/0?addr=h2:7001":                    "redis://h1:7000/0?(redacted)",
	} {
		if got := RedactURL(raw); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", raw, got, want)
		}
	}
}

// GATEWAY_DEBUG_ADDR serves profiles on a loopback address only: unset by
// default, refused on any other host and on the API's own address.
func TestDebugAddr(t *testing.T) {
	tests := []struct {
		value   string
		refused string // non-empty: refused, the message says this
	}{
		{"", ""},
		{"127.0.0.1:0", ""},
		{"127.0.0.1:6060", ""},
		{"[::1]:6060", ""},
		{"localhost:6060", ""},
		{"0.0.0.0:6060", "loopback"},
		{":6060", "loopback"},
		{"[::]:6060", "loopback"},
		{"10.0.0.7:6060", "loopback"},
		{"gateway.example.com:6060", "loopback"},
		{"garbage", "host:port"},
		{"127.0.0.1", "host:port"},
		{"127.0.0.1:pprof", "port number"},
		{"127.0.0.1:70000", "port number"},
		{"127.0.0.1:8080", "must differ from GATEWAY_ADDR"},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			c, err := Parse(nil, env(map[string]string{"GATEWAY_ADDR": "127.0.0.1:8080", "GATEWAY_DEBUG_ADDR": tt.value}), io.Discard)
			if tt.refused != "" {
				if err == nil || !strings.Contains(err.Error(), "GATEWAY_DEBUG_ADDR") || !strings.Contains(err.Error(), tt.refused) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("err = %v, want one line naming GATEWAY_DEBUG_ADDR and %q", err, tt.refused)
				}
				return
			}
			if err != nil || c.DebugAddr != tt.value {
				t.Fatalf("%+v %v", c, err)
			}
		})
	}
	// The flag, and the startup line.
	c, err := Parse([]string{"--debug-addr", "127.0.0.1:0"}, env(nil), io.Discard)
	if err != nil || c.DebugAddr != "127.0.0.1:0" || !strings.Contains(c.LogValue().String(), "debug_addr=127.0.0.1:0") {
		t.Fatalf("%+v %v", c, err)
	}
	// Both on port 0 pick two ports: allowed.
	if _, err := Parse([]string{"--addr", "127.0.0.1:0", "--debug-addr", "127.0.0.1:0"}, env(nil), io.Discard); err != nil {
		t.Fatal(err)
	}
}
