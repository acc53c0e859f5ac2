package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ulule/limiter/v3"

	"github.com/igconnect/gateway/internal/connections"
	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/connectors/instagram"
	"github.com/igconnect/gateway/internal/fakegraph"
	"github.com/igconnect/gateway/internal/limits"
	"github.com/igconnect/gateway/internal/secret"
	"github.com/igconnect/gateway/internal/store"
	"github.com/igconnect/gateway/internal/store/boltstore"
)

// countingStore counts the store reads behind authentication.
type countingStore struct {
	store.Store
	gets atomic.Int64
}

func (s *countingStore) Get(ctx context.Context, id string) (*connectors.Connection, error) {
	s.gets.Add(1)
	return s.Store.Get(ctx, id)
}

// pipeline is the gateway's handler in process, embedded store, in front of
// the fake Graph API (wrapped by upstream when set), called directly.
type pipeline struct {
	h     http.Handler
	fake  *fakegraph.Server
	store *countingStore
	opts  Options
	key   string
	id    string
}

// newPipeline serves opts, its Connections, Connector and Limiter (1000 a
// minute) filled in; wrap, when given, wraps the connector.
func newPipeline(t *testing.T, opts Options, upstream func(http.Handler) http.Handler, wrap ...func(connectors.Connector) connectors.Connector) *pipeline {
	t.Helper()
	fake := fakegraph.New()
	fake.ProcessingTime = 10 * time.Millisecond
	fake.Seed()
	var up http.Handler = fake
	if upstream != nil {
		up = upstream(fake)
	}
	upSrv := httptest.NewServer(up)
	t.Cleanup(upSrv.Close)
	bolt, err := boltstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bolt.Close() })
	st := &countingStore{Store: bolt}
	sealer, _ := secret.NewSealer(bytes.Repeat([]byte{1}, 32))
	conn := instagram.New(&instagram.Client{BaseURL: upSrv.URL, HTTP: instagram.NewHTTPClient(5 * time.Second)}, "v21.0", 5*time.Second)
	conn.PollInterval = 10 * time.Millisecond
	opts.Connector = conn
	for _, w := range wrap {
		opts.Connector = w(opts.Connector)
	}
	svc := connections.New(st, sealer, opts.Connector)
	opts.Connections = svc
	opts.AdminToken = adminToken
	if opts.Limiter == nil {
		opts.Limiter = limits.NewMemory(limiter.Rate{Limit: 1000, Period: time.Minute, Formatted: "1000-M"})
	}
	v, err := svc.Create(context.Background(), fakegraph.DemoToken, "test")
	if err != nil {
		t.Fatal(err)
	}
	return &pipeline{h: New(opts), fake: fake, store: st, opts: opts, key: v.APIKey, id: v.ID}
}

// serve answers one request; setup may change it (Host, RemoteAddr,
// headers) before it is served.
func (p *pipeline) serve(method, target string, body io.Reader, setup ...func(*http.Request)) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, body)
	for _, f := range setup {
		f(r)
	}
	w := httptest.NewRecorder()
	p.h.ServeHTTP(w, r)
	return w
}

func withKey(key string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("X-API-Key", key) }
}

func withHost(host string) func(*http.Request) {
	return func(r *http.Request) { r.Host = host }
}

// remaining makes a good call and returns its X-RateLimit-Remaining.
func (p *pipeline) remaining(t *testing.T) int {
	t.Helper()
	w := p.serve("GET", "/instagram/v21.0/me", nil, withKey(p.key))
	n, err := strconv.Atoi(w.Header().Get("X-RateLimit-Remaining"))
	if w.Code != 200 || err != nil {
		t.Fatalf("probe: %d %v %s", w.Code, w.Header(), w.Body)
	}
	return n
}

func errorCode(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var env struct {
		Data struct {
			Error struct{ Code, Message string }
		}
	}
	if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil {
		t.Fatalf("not JSON: %s", w.Body)
	}
	return env.Data.Error.Code
}

// Input refused as bad (400, 404, 405, 413) with a valid key is decided
// before the limiter: the connection's count does not move.
func TestBadInputIsNotCounted(t *testing.T) {
	p := newPipeline(t, Options{}, nil)
	big := `{"caption":"` + strings.Repeat("a", MaxBody) + `"}`
	tests := []struct {
		name, method, path, body string
		setup                    func(*http.Request)
		status                   int
	}{
		{"bad ID", "GET", "/instagram/v21.0/abc", "", nil, 400},
		{"old format bad ID", "GET", "/instagram/v21.0/ig_media_id?IG_MEDIA_ID=x", "", nil, 400},
		{"unknown field", "GET", "/instagram/v21.0/me?fields=id,secret", "", nil, 400},
		{"bad limit", "GET", "/instagram/v21.0/me/media?limit=0", "", nil, 400},
		{"bad cursor", "GET", "/instagram/v21.0/me/media?after=a%01b", "", nil, 400},
		{"limit twice", "GET", "/instagram/v21.0/me/media?limit=1&limit=2", "", nil, 400},
		{"bad JSON body", "POST", "/instagram/v21.0/me/media_publish", `{"image_url":`, nil, 400},
		{"invalid body", "POST", "/instagram/v21.0/me/media_publish", `{"caption":"no media"}`, nil, 400},
		{"body over 1 MiB", "POST", "/instagram/v21.0/me/media_publish", big, nil, 413},
		{"wrong method", "PUT", "/instagram/v21.0/me", "", nil, 405},
		{"unknown path", "GET", "/instagram/v21.0/me/media/x/y", "", nil, 404},
		{"malformed Host on a paged action", "GET", "/instagram/v21.0/me/media", "", withHost("-bad.example"), 400},
		{"Host with port 0 on a paged action", "GET", "/instagram/v21.0/me/media", "", withHost("example.com:0"), 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := p.remaining(t)
			upstream := p.fake.Requests()
			setup := []func(*http.Request){withKey(p.key)}
			if tt.setup != nil {
				setup = append(setup, tt.setup)
			}
			w := p.serve(tt.method, tt.path, strings.NewReader(tt.body), setup...)
			if w.Code != tt.status {
				t.Fatalf("%d %s, want %d", w.Code, w.Body, tt.status)
			}
			if p.fake.Requests() != upstream {
				t.Fatal("bad input reached upstream")
			}
			if after := p.remaining(t); after != before-1 {
				t.Fatalf("remaining %d, then %d after the bad call: it was counted", before, after)
			}
		})
	}
}

// linkQuery returns the query of a link the gateway wrote.
func linkQuery(t *testing.T, link string) url.Values {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || link == "" {
		t.Fatalf("link %q: %v", link, err)
	}
	return u.Query()
}

func nextLink(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var env struct{ NextLink string }
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &env) != nil {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	return env.NextLink
}

// carousel returns the ID of one of the demo account's albums.
func (p *pipeline) carousel(t *testing.T) string {
	t.Helper()
	for _, id := range p.fake.AddMedia(fakegraph.DemoUserID, 5) {
		w := p.serve("GET", "/instagram/v21.0/"+id+"?fields=media_type", nil, withKey(p.key))
		if strings.Contains(w.Body.String(), "CAROUSEL_ALBUM") {
			return id
		}
	}
	t.Fatal("no album")
	return ""
}

// Links carry the action's own validated parameters and the cursor, plus the
// IDs in the old format: never the caller's other parameters nor its key.
func TestLinksCarryOnlyTheActionsParameters(t *testing.T) {
	p := newPipeline(t, Options{}, nil)
	junk := "&junk=" + strings.Repeat("j", 40<<10) + "&api_token=" + p.key
	album := p.carousel(t)
	tests := []struct {
		name, path string
		want       url.Values // besides after
	}{
		{"new format", "/instagram/v21.0/me/media?limit=2&fields=id,caption" + junk,
			url.Values{"limit": {"2"}, "fields": {"id,caption"}}},
		{"default fields", "/instagram/v21.0/me/media?limit=2" + junk,
			url.Values{"limit": {"2"}, "fields": {instagram.DefaultMediaFields}}},
		{"graph path", "/instagram/graph/v21.0/me/media?limit=2" + junk,
			url.Values{"limit": {"2"}, "fields": {instagram.DefaultMediaFields}}},
		{"old format children", "/instagram/v21.0/ig_media_id/children?IG_MEDIA_ID=" + album + "&limit=1&fields=id" + junk,
			url.Values{"limit": {"1"}, "fields": {"id"}, "IG_MEDIA_ID": {album}}},
		{"new format children", "/instagram/v21.0/" + album + "/children?limit=1&fields=id" + junk,
			url.Values{"limit": {"1"}, "fields": {"id"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := p.serve("GET", tt.path, nil)
			var link string
			if strings.Contains(tt.path, "/graph/") {
				var page struct{ Paging struct{ Next string } }
				json.Unmarshal(w.Body.Bytes(), &page)
				link = page.Paging.Next
			} else {
				link = nextLink(t, w)
			}
			q := linkQuery(t, link)
			if q.Get("after") == "" {
				t.Fatalf("no cursor in %s", link)
			}
			q.Del("after")
			if q.Encode() != tt.want.Encode() {
				t.Fatalf("link query %v, want %v", q, tt.want)
			}
			if strings.Contains(link, "junk") || strings.Contains(link, p.key) {
				t.Fatalf("link carries the caller's query: %.200s", link)
			}
			// The link leads to the next page.
			u, _ := url.Parse(link)
			if w := p.serve("GET", u.RequestURI(), nil, withKey(p.key)); w.Code != 200 {
				t.Fatalf("following the link: %d %s", w.Code, w.Body)
			}
		})
	}
}
