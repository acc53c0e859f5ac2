package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

func randomKey() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// Both the CLI and the server refuse a key that is not the store's, with
// one line that carries no key.
func TestWrongKeyRefused(t *testing.T) {
	dir := t.TempDir()
	key, wrong := randomKey(), randomKey()
	env := func(k string) func(string) string {
		return func(name string) string {
			switch name {
			case "GATEWAY_DATA_DIR":
				return dir
			case "GATEWAY_ENCRYPTION_KEY":
				return k
			case "GATEWAY_ADDR":
				return "127.0.0.1:0"
			}
			return ""
		}
	}
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"connections", "list"}, env(key), strings.NewReader(""), &out, &errOut); err != nil {
		t.Fatalf("first use: %v", err)
	}
	const want = "GATEWAY_ENCRYPTION_KEY is not the key this store was written with (the store's canary does not open); use the original key"
	for _, args := range [][]string{{"connections", "list"}, {"connections", "rotate", "conn_x"}, {}} {
		t.Run(strings.Join(append([]string{"gateway"}, args...), " "), func(t *testing.T) {
			out.Reset()
			errOut.Reset()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // a server that starts stops then
			defer cancel()
			err := run(ctx, args, env(wrong), strings.NewReader(""), &out, &errOut)
			if err == nil || err.Error() != want {
				t.Fatalf("err = %v, want %q", err, want)
			}
			if strings.Contains(out.String()+errOut.String(), wrong) || strings.Contains(out.String()+errOut.String(), key) {
				t.Fatal("a key in the output")
			}
		})
	}
}
