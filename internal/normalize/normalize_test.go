package normalize

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/igconnect/gateway/internal/connectors"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		os.WriteFile(path, got, 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s:\n got %s\nwant %s", name, got, want)
	}
}

func TestErrorEnvelopes(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
	}{
		{"bad_request", connectors.Errorf(connectors.CodeBadRequest, "IG_MEDIA_ID must be a numeric Instagram ID"), 400},
		{"upstream_token", &connectors.Error{Code: connectors.CodeUpstreamTokenInvalid, Message: "Instagram: Error validating access token: Session has expired.",
			Upstream: &connectors.UpstreamDetail{Code: 190, Type: "OAuthException", ErrorSubcode: 463, FBTraceID: "AbCdEf"}}, 401},
		{"rate_limited", &connectors.Error{Code: connectors.CodeRateLimited, Message: "rate limit of 100 calls per 1m0s reached", RetryAfter: 42}, 429},
		{"internal", errors.New("secret detail that must not leak"), 500},
		{"wrapped", connectors.Wrap(errors.New("dial tcp: refused"), connectors.CodeUnavailable, "connection store unavailable"), 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			WriteError(w, tt.err)
			if w.Code != tt.status {
				t.Fatalf("status %d", w.Code)
			}
			if tt.name == "rate_limited" && w.Header().Get("Retry-After") != "42" {
				t.Fatal("no Retry-After")
			}
			golden(t, "error_"+tt.name, w.Body.Bytes())
		})
	}
}

func TestStatusTable(t *testing.T) {
	for code, status := range statuses {
		if Status(code) != status {
			t.Fatal(code)
		}
	}
	if Status("NOPE") != 500 {
		t.Fatal("unknown code")
	}
}

func TestWriteDataCopiesThrough(t *testing.T) {
	w := httptest.NewRecorder()
	WriteData(w, 200, []byte(`{"id":"1","username":"a"}`+"\n"))
	if w.Body.String() != `{"data":{"id":"1","username":"a"}}` || w.Header().Get("Content-Length") != "34" {
		t.Fatalf("%q %s", w.Body.String(), w.Header())
	}
}

const upstreamPage = `{"data":[{"id":"1"}],"paging":{"cursors":{"before":"QkVG","after":"QUZU"},` +
	`"next":"https://graph.instagram.com/v21.0/178/media?access_token=IGAAsecret&limit=1&after=QUZU",` +
	`"previous":"https://graph.instagram.com/v21.0/178/media?access_token=IGAAsecret&limit=1&before=QkVG"}}`

func TestRewritePaging(t *testing.T) {
	l := &Linker{Base: "https://gw.example.com", Path: "/instagram/v21.0/me/media",
		Query: url.Values{"api_token": {"igw_key"}, "limit": {"1"}, "fields": {"id"}, "after": {"old"}}}
	w := httptest.NewRecorder()
	WritePaged(w, 200, []byte(upstreamPage), l, true)
	body := w.Body.String()
	for _, secret := range []string{"IGAAsecret", "igw_key", "access_token", "api_token", "graph.instagram.com"} {
		if strings.Contains(body, secret) {
			t.Fatalf("answer carries %q: %s", secret, body)
		}
	}
	golden(t, "paging", w.Body.Bytes())
	var env struct {
		Data struct {
			Paging struct {
				Cursors  map[string]string
				Next     string
				Previous string
			}
		}
		NextLink string
	}
	json.Unmarshal(w.Body.Bytes(), &env)
	if env.NextLink != env.Data.Paging.Next || env.Data.Paging.Cursors["after"] != "QUZU" ||
		env.Data.Paging.Next != "https://gw.example.com/instagram/v21.0/me/media?after=QUZU&fields=id&limit=1" ||
		!strings.Contains(env.Data.Paging.Previous, "before=QkVG") {
		t.Fatalf("%+v", env)
	}
}

func TestRewritePagingDropsUnreadableLinks(t *testing.T) {
	body := `{"data":[],"paging":{"next":"https://graph.instagram.com/x?access_token=IGAAsecret&after=a%2Fb"}}`
	out, err := RewritePaging([]byte(body), &Linker{Base: "http://h", Path: "/p"})
	if err != nil || strings.Contains(string(out), "IGAAsecret") || strings.Contains(string(out), "nextLink") {
		t.Fatalf("%s %v", out, err)
	}
}

func BenchmarkWriteData(b *testing.B) {
	body := []byte(`{"id":"17841400000000001","username":"sandbox_creator","account_type":"MEDIA_CREATOR","media_count":30}`)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		w.Body.Reset()
		WriteData(w, 200, body)
	}
}

func BenchmarkRewritePaging(b *testing.B) {
	l := &Linker{Base: "http://127.0.0.1:8080", Path: "/instagram/v21.0/me/media", Query: url.Values{"limit": {"1"}}}
	b.ReportAllocs()
	for b.Loop() {
		RewritePaging([]byte(upstreamPage), l)
	}
}

func TestWritePagedUnwrapped(t *testing.T) {
	w := httptest.NewRecorder()
	WritePaged(w, 200, []byte(upstreamPage), &Linker{Base: "http://gw", Path: "/instagram/graph/v21.0/me/media"}, false)
	var doc struct {
		Data   []any
		Paging struct{ Next string }
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || len(doc.Data) != 1 || doc.Paging.Next != "http://gw/instagram/graph/v21.0/me/media?after=QUZU" || strings.Contains(w.Body.String(), "IGAAsecret") {
		t.Fatalf("%s", w.Body)
	}
}

// discard is a ResponseWriter that keeps nothing, so that allocation counts
// are the writer's under test alone.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

// A body that needs no rewrite is copied into the envelope, never decoded:
// wrapping 256 KiB allocates no more than wrapping 100 bytes, and at most a
// handful of times (the headers).
func TestWriteDataAllocationsBounded(t *testing.T) {
	small := []byte(`{"id":"17841400000000001","username":"sandbox_creator","account_type":"MEDIA_CREATOR","media_count":30}`)
	large := []byte(`{"id":"1","caption":"` + strings.Repeat("x", 256<<10) + `"}`)
	w := &discard{h: http.Header{}}
	allocs := func(body []byte) float64 {
		return testing.AllocsPerRun(200, func() {
			clear(w.h)
			WriteData(w, 200, body)
		})
	}
	a, b := allocs(small), allocs(large)
	if a != b || a > 4 {
		t.Fatalf("allocations: %v for 100 B, %v for 256 KiB; want equal and at most 4", a, b)
	}
}

func BenchmarkWritePaged(b *testing.B) {
	l := &Linker{Base: "http://127.0.0.1:8080", Path: "/instagram/v21.0/me/media", Query: url.Values{"limit": {"1"}}}
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		WritePaged(w, 200, []byte(upstreamPage), l, true)
	}
}
