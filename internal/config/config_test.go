package config

import (
	"io"
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
