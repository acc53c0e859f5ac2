package instagram

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/igconnect/gateway/internal/connectors"
)

func TestClientFaults(t *testing.T) {
	graphErr := func(code int, transient bool) string {
		tr := ""
		if transient {
			tr = `,"is_transient":true`
		}
		return `{"error":{"message":"boom","type":"OAuthException","code":` + itoa(code) + tr + `,"fbtrace_id":"T"}}`
	}
	tests := []struct {
		name   string
		method string
		// answers are served in turn; the last repeats.
		answers []func(w http.ResponseWriter, r *http.Request)
		code    string
		calls   int64
	}{
		{"5xx HTML then ok: retried", "GET", []func(http.ResponseWriter, *http.Request){
			status(502, "<html>Bad Gateway</html>"), status(500, "<html>oops</html>"), status(200, `{"id":"1"}`)}, "", 3},
		{"transient graph error then ok: retried", "GET", []func(http.ResponseWriter, *http.Request){
			status(500, graphErr(2, true)), status(200, `{"id":"1"}`)}, "", 2},
		{"5xx forever: retries end", "GET", []func(http.ResponseWriter, *http.Request){
			status(503, "<html>down</html>")}, connectors.CodeUpstreamError, 3},
		{"throttle: never retried", "GET", []func(http.ResponseWriter, *http.Request){
			status(403, graphErr(4, true))}, connectors.CodeRateLimited, 1},
		{"bad request: never retried", "GET", []func(http.ResponseWriter, *http.Request){
			status(400, graphErr(100, false))}, connectors.CodeBadRequest, 1},
		{"POST 5xx: never retried", "POST", []func(http.ResponseWriter, *http.Request){
			status(500, graphErr(1, true))}, connectors.CodeUpstreamError, 1},
		{"garbage 200", "GET", []func(http.ResponseWriter, *http.Request){
			status(200, "<html>hello</html>")}, connectors.CodeUpstreamError, 1},
		// An object that does not end is the reader's to refuse (normalize's
		// writers, decoders): the client does not scan a body twice.
		{"truncated JSON 200", "GET", []func(http.ResponseWriter, *http.Request){
			status(200, `{"id":"1","username":`)}, "", 1},
		{"array 200", "GET", []func(http.ResponseWriter, *http.Request){
			status(200, `[1,2]`)}, connectors.CodeUpstreamError, 1},
		{"truncated body", "GET", []func(http.ResponseWriter, *http.Request){
			func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", "100")
				w.WriteHeader(200)
				w.Write([]byte(`{"id":`))
			}}, connectors.CodeUpstreamError, 3},
		{"hang", "GET", []func(http.ResponseWriter, *http.Request){
			func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }}, connectors.CodeUpstreamTimeout, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := calls.Add(1)
				if r.Header.Get("Authorization") != "Bearer tok" || strings.Contains(r.URL.RawQuery, "tok") {
					t.Error("token not in the Authorization header only")
				}
				tt.answers[min(int(n), len(tt.answers))-1](w, r)
			}))
			defer srv.Close()
			c := &Client{BaseURL: srv.URL, HTTP: NewHTTPClientWithTimeouts(Timeouts{Dial: time.Second, TLS: time.Second, Header: 300 * time.Millisecond, Total: time.Second}),
				Retries: 2, RetryBackoff: time.Millisecond}
			var err error
			if tt.method == "GET" {
				_, err = c.Get(context.Background(), "/v21.0/me", url.Values{"fields": {"id"}}, "tok")
			} else {
				_, err = c.Post(context.Background(), "/v21.0/me/media", url.Values{"image_url": {"u"}}, "tok")
			}
			if got := connectors.ErrorCode(err); (tt.code == "" && err != nil) || (tt.code != "" && got != tt.code) {
				t.Fatalf("err = %v, want %q", err, tt.code)
			}
			if err != nil && (strings.Contains(err.Error(), "tok") || strings.Contains(connectors.ErrorMessage(err), srv.URL)) {
				t.Fatalf("error leaks: %v", err)
			}
			if calls.Load() != tt.calls {
				t.Fatalf("%d calls, want %d", calls.Load(), tt.calls)
			}
		})
	}
}

func status(code int, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(code)
		w.Write([]byte(body))
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestThrottled(t *testing.T) {
	tests := []struct {
		app, buc string
		wait     time.Duration
		full     bool
	}{
		{`{"call_count":5,"total_cputime":1,"total_time":1}`, `{"1":[{"call_count":5,"estimated_time_to_regain_access":0}]}`, 0, false},
		{`{"call_count":100,"total_cputime":1,"total_time":1}`, ``, time.Minute, true},
		{``, `{"1":[{"type":"instagram","call_count":100,"total_time":3,"estimated_time_to_regain_access":7}]}`, 7 * time.Minute, true},
		{``, `{"1":[{"call_count":10,"estimated_time_to_regain_access":3}]}`, 3 * time.Minute, true},
		{`garbage 100`, `not json`, 0, false},
		// A huge regain time overflowed into a negative wait (found by FuzzUpstreamError).
		{``, `{"1":[{"call_count":100,"estimated_time_to_regain_access":9223372036854775807}]}`, 24 * time.Hour, true},
		{``, ``, 0, false},
	}
	for _, tt := range tests {
		h := http.Header{}
		h.Set("X-App-Usage", tt.app)
		h.Set("X-Business-Use-Case-Usage", tt.buc)
		wait, full := Throttled(h)
		if wait != tt.wait || full != tt.full {
			t.Errorf("Throttled(%s, %s) = %v %v", tt.app, tt.buc, wait, full)
		}
	}
}

func BenchmarkThrottledCommonCase(b *testing.B) {
	h := http.Header{}
	h.Set("X-App-Usage", `{"call_count":3,"total_cputime":1,"total_time":1}`)
	h.Set("X-Business-Use-Case-Usage", `{"17841400000000001":[{"type":"instagram","call_count":3,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":0}]}`)
	b.ReportAllocs()
	for b.Loop() {
		Throttled(h)
	}
}
