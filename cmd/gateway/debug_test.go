package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// With GATEWAY_DEBUG_ADDR, a running gateway serves net/http/pprof on that
// address, never on its main listener, and stops it with the main server.
func TestDebugListener(t *testing.T) {
	env := map[string]string{
		"GATEWAY_ADDR":       "127.0.0.1:0",
		"GATEWAY_DEBUG_ADDR": "127.0.0.1:0",
		"GATEWAY_DATA_DIR":   t.TempDir(),
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var errOut syncWriter
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, nil, func(k string) string { return env[k] }, io.Discard, &errOut)
	}()

	// The two addresses, from the log lines "listening" and "debug
	// listening".
	var mainAddr, debugAddr string
	deadline := time.Now().Add(20 * time.Second)
	for mainAddr == "" || debugAddr == "" {
		select {
		case err := <-done:
			t.Fatalf("serve returned early: %v\n%s", err, errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no listening lines after 20s:\n%s", errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
		out := errOut.String()
		for _, line := range strings.Split(out[:strings.LastIndexByte(out, '\n')+1], "\n") {
			var m struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &m) != nil {
				continue
			}
			switch m.Msg {
			case "listening":
				mainAddr = m.Addr
			case "debug listening":
				debugAddr = m.Addr
			}
		}
	}
	if mainAddr == debugAddr {
		t.Fatalf("one address for both: %s", mainAddr)
	}

	client := &http.Client{Timeout: 10 * time.Second}
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := client.Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	debug := "http://" + debugAddr
	if code, body := get(debug + "/debug/pprof/"); code != http.StatusOK || !strings.Contains(body, "goroutine") || !strings.Contains(body, "allocs") {
		t.Fatalf("debug index: %d %.300s", code, body)
	}
	for _, path := range []string{"/debug/pprof/heap", "/debug/pprof/allocs", "/debug/pprof/goroutine", "/debug/pprof/profile?seconds=1", "/debug/pprof/trace?seconds=0.2", "/debug/pprof/symbol"} {
		if code, body := get(debug + path); code != http.StatusOK || body == "" {
			t.Errorf("GET %s: %d, %d bytes", path, code, len(body))
		}
	}
	// Not the command line, which may carry a secret given as a flag.
	if code, body := get(debug + "/debug/pprof/cmdline"); code == http.StatusOK || strings.Contains(body, "gateway") {
		t.Errorf("debug listener serves the command line: %d %.200s", code, body)
	}
	// The API's listener serves the API, and none of it.
	if code, _ := get("http://" + mainAddr + "/healthz"); code != http.StatusOK {
		t.Fatalf("main listener's /healthz: %d", code)
	}
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/cmdline"} {
		if code, body := get("http://" + mainAddr + path); code == http.StatusOK || strings.Contains(body, "goroutine") {
			t.Errorf("main listener serves %s: %d %.200s", path, code, body)
		}
	}
	// Nor does the debug listener serve the API.
	if code, _ := get(debug + "/healthz"); code == http.StatusOK {
		t.Errorf("debug listener serves /healthz")
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop within 20s")
	}
	if c, err := net.DialTimeout("tcp", debugAddr, time.Second); err == nil {
		c.Close()
		t.Fatal("the debug listener outlived the gateway")
	}
}
