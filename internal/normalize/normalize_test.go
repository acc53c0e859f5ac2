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
	"time"

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

// TestStatusTable: the contract's literal status of every code, and no
// code in the table without one here.
func TestStatusTable(t *testing.T) {
	want := map[string]int{
		"BAD_REQUEST":            400,
		"INVALID_API_TOKEN":      401,
		"INVALID_ADMIN_TOKEN":    401,
		"UPSTREAM_TOKEN_INVALID": 401,
		"FORBIDDEN":              403,
		"NOT_FOUND":              404,
		"METHOD_NOT_ALLOWED":     405,
		"CONFLICT":               409,
		"PAYLOAD_TOO_LARGE":      413,
		"PUBLISH_FAILED":         422,
		"RATE_LIMITED":           429,
		"UPSTREAM_ERROR":         502,
		"UNAVAILABLE":            503,
		"UPSTREAM_TIMEOUT":       504,
		"PUBLISH_TIMEOUT":        504,
		"INTERNAL":               500,
		"NOPE":                   500,
	}
	for code, status := range want {
		if got := Status(code); got != status {
			t.Errorf("Status(%s) = %d, want %d", code, got, status)
		}
	}
	for code := range statuses {
		if _, ok := want[code]; !ok {
			t.Errorf("code %s has no literal status in this test", code)
		}
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

func TestWritePagedRewritesLinks(t *testing.T) {
	l := &Linker{Base: "https://gw.example.com", Path: "/instagram/v21.0/me/media",
		Query: url.Values{"limit": {"1"}, "fields": {"id"}}}
	w := httptest.NewRecorder()
	if err := WritePaged(w, 200, []byte(upstreamPage), l, true); err != nil {
		t.Fatal(err)
	}
	body := w.Body.String()
	for _, secret := range []string{"IGAAsecret", "access_token", "graph.instagram.com"} {
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

// Standard base64 cursors ("+", "/", "=") are carried, URL-encoded, in next,
// previous and nextLink, whether read from the link or from paging.cursors.
func TestWritePagedKeepsBase64Cursors(t *testing.T) {
	const after, before = "QU+/ZQ==", "+/8="
	tests := []struct {
		name   string
		paging string
	}{
		{"from the links", `{"next":"https://graph.instagram.com/v21.0/1/media?access_token=IGAAsecret&after=QU%2B%2FZQ%3D%3D",` +
			`"previous":"https://graph.instagram.com/v21.0/1/media?access_token=IGAAsecret&before=%2B%2F8%3D"}`},
		{"from the cursors", `{"cursors":{"after":"QU+/ZQ==","before":"+/8="},` +
			`"next":"https://graph.instagram.com/v21.0/1/media?access_token=IGAAsecret","previous":"https://graph.instagram.com/v21.0/1/media"}`},
	}
	l := &Linker{Base: "http://gw", Path: "/instagram/v21.0/me/media", Query: url.Values{"limit": {"2"}}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			if err := WritePaged(w, 200, []byte(`{"data":[],"paging":`+tt.paging+`}`), l, true); err != nil {
				t.Fatal(err)
			}
			var env struct {
				Data struct {
					Paging struct{ Next, Previous string }
				}
				NextLink string
			}
			json.Unmarshal(w.Body.Bytes(), &env)
			wantNext := "http://gw/instagram/v21.0/me/media?after=" + url.QueryEscape(after) + "&limit=2"
			wantPrev := "http://gw/instagram/v21.0/me/media?before=" + url.QueryEscape(before) + "&limit=2"
			if env.NextLink != wantNext || env.Data.Paging.Next != wantNext || env.Data.Paging.Previous != wantPrev {
				t.Fatalf("%s", w.Body)
			}
		})
	}
}

// Every paged answer is decoded and re-encoded: a paging key spelled with an
// escape, or given twice, is sanitized as Go's decoder reads it.
func TestWritePagedSanitizesEveryBody(t *testing.T) {
	const link = `"https://graph.instagram.com/x?access_token=IGAAsecret&after=QUZU"`
	tests := []struct {
		name, body, next string
	}{
		{"escaped key", `{"data":[],"pag\u0069ng":{"next":` + link + `}}`, "http://gw/p?after=QUZU"},
		{"spaced key", `{ "data" : [ ] , "paging" : { "next" : ` + link + ` } }`, "http://gw/p?after=QUZU"},
		{"duplicate paging, object last", `{"paging":"x","paging":{"next":` + link + `}}`, "http://gw/p?after=QUZU"},
		{"duplicate paging, empty last", `{"paging":{"next":` + link + `},"paging":{}}`, ""},
		{"duplicate next", `{"paging":{"next":` + link + `,"next":5}}`, ""},
		{"no paging", `{"data":[{"id":"1"}]}`, ""},
	}
	l := &Linker{Base: "http://gw", Path: "/p"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, wrapped := range []bool{true, false} {
				w := httptest.NewRecorder()
				if err := WritePaged(w, 200, []byte(tt.body), l, wrapped); err != nil {
					t.Fatal(err)
				}
				if strings.Contains(w.Body.String(), "IGAAsecret") || strings.Count(w.Body.String(), `"paging"`) > 1 {
					t.Fatalf("%s", w.Body)
				}
				if got := linksOf(t, w.Body.Bytes(), wrapped)["after"]; got != tt.next {
					t.Fatalf("next %q, want %q: %s", got, tt.next, w.Body)
				}
			}
		})
	}
}

// A page the gateway cannot read is never passed on: nothing is written and
// the error is UPSTREAM_ERROR.
func TestWritePagedRefusesUnreadable(t *testing.T) {
	const link = `"https://graph.instagram.com/x?access_token=IGAAsecret&after=QUZU"`
	for _, body := range []string{
		`{"paging":` + link + `}`,
		`{"paging":[` + link + `]}`,
		`{"paging":null,"next":` + link + `}`,
		`{"paging":{"next":` + link + `},"paging":"x"}`,
		`[{"paging":{"next":` + link + `}}]`,
		`null`, `"text"`, ``, `{"data":[]`, `{"data":[]} {}`,
		`{"data":[{"id":"1"}],"paging":"x"}`, `{"data":[{"id":"1"},]}`, `{"data":[{"id":"1"}]`,
	} {
		t.Run(body, func(t *testing.T) {
			for _, wrapped := range []bool{true, false} {
				w := httptest.NewRecorder()
				err := WritePaged(w, 200, []byte(body), &Linker{Base: "http://gw", Path: "/p"}, wrapped)
				e := connectors.AsError(err)
				if err == nil || e.Code != connectors.CodeUpstreamError || e.Message != "Instagram answered a page the gateway cannot read" ||
					w.Body.Len() > 0 || len(w.Header()) > 0 {
					t.Fatalf("err %v, wrote %v %q", err, w.Header(), w.Body)
				}
			}
		})
	}
}

// In the envelope, value is Instagram's list, data.data, byte for byte (an
// empty list too), beside data and nextLink; without a data array there is
// no value. The Graph-compatible shape is Instagram's: no value, no nextLink.
func TestWritePagedValue(t *testing.T) {
	const next = `"https://graph.instagram.com/x?access_token=IGAAsecret&after=QUZU"`
	tests := []struct {
		name, body string
		// value is the envelope's value, "" when absent.
		value string
		// graph is the Graph-compatible answer.
		graph string
	}{
		{"items and a next page", `{"data":[{"id":"1"},{"id":"2"}],"paging":{"cursors":{"after":"QUZU"},"next":` + next + `}}`,
			`[{"id":"1"},{"id":"2"}]`,
			`{"data":[{"id":"1"},{"id":"2"}],"paging":{"cursors":{"after":"QUZU"},"next":"http://gw/p?after=QUZU&limit=2"}}`},
		{"last page", `{"data":[{"id":"1"}],"paging":{"cursors":{"before":"QkVG"}}}`,
			`[{"id":"1"}]`, `{"data":[{"id":"1"}],"paging":{"cursors":{"before":"QkVG"}}}`},
		{"empty list", `{"data":[]}`, `[]`, `{"data":[]}`},
		{"spaces, escapes and markup", "{ \"data\" : [ {\"caption\" : \"<b>&amp; caf\\u00e9\\n\"} ]\n}",
			`[{"caption":"<b>&amp; caf\u00e9\n"}]`, `{"data":[{"caption":"<b>&amp; caf\u00e9\n"}]}`},
		{"duplicate data, the last read", `{"data":[{"id":"1"}],"data":[{"id":"2"}]}`, `[{"id":"2"}]`, `{"data":[{"id":"2"}]}`},
		{"upstream's own value stays in data", `{"data":[],"value":[1]}`, `[]`, `{"data":[],"value":[1]}`},
		{"no data", `{"paging":{"cursors":{}}}`, "", `{"paging":{"cursors":{}}}`},
		{"data is an object", `{"data":{"id":"1"}}`, "", `{"data":{"id":"1"}}`},
		{"data is null", `{"data":null}`, "", `{"data":null}`},
	}
	l := &Linker{Base: "http://gw", Path: "/p", Query: url.Values{"limit": {"2"}}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			if err := WritePaged(w, 200, []byte(tt.body), l, true); err != nil {
				t.Fatal(err)
			}
			var env map[string]json.RawMessage
			if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil {
				t.Fatal(err)
			}
			var data map[string]json.RawMessage
			if err := json.Unmarshal(env["data"], &data); err != nil {
				t.Fatal(err)
			}
			value, ok := env["value"]
			if string(value) != tt.value || ok != (tt.value != "") || ok && !bytes.Equal(value, data["data"]) {
				t.Fatalf("value %s, want %s, data.data %s: %s", value, tt.value, data["data"], w.Body)
			}
			if !bytes.Equal(env["data"], []byte(tt.graph)) {
				t.Fatalf("data %s, want %s", env["data"], tt.graph)
			}
			for k := range env {
				if k != "data" && k != "value" && k != "nextLink" {
					t.Fatalf("the envelope holds %q: %s", k, w.Body)
				}
			}
			g := httptest.NewRecorder()
			if err := WritePaged(g, 200, []byte(tt.body), l, false); err != nil {
				t.Fatal(err)
			}
			if g.Body.String() != tt.graph {
				t.Fatalf("graph %s, want %s", g.Body, tt.graph)
			}
		})
	}
}

// A link whose cursor cannot be read is dropped, never passed on.
func TestWritePagedDropsUnreadableLinks(t *testing.T) {
	for _, paging := range []string{
		`{"next":"https://graph.instagram.com/x?access_token=IGAAsecret"}`,
		`{"next":"https://graph.instagram.com/x?access_token=IGAAsecret&after=a%00b"}`,
		`{"next":"https://graph.instagram.com/x?access_token=IGAAsecret&after=` + strings.Repeat("a", connectors.MaxCursor+1) + `"}`,
		`{"next":"::::?access_token=IGAAsecret","cursors":{"after":5}}`,
		`{"next":"https://graph.instagram.com/x?access_token=IGAAsecret","cursors":{"after":""}}`,
		`{"next":{"url":"https://graph.instagram.com/x?access_token=IGAAsecret&after=QUZU"}}`,
	} {
		t.Run(paging, func(t *testing.T) {
			w := httptest.NewRecorder()
			err := WritePaged(w, 200, []byte(`{"data":[],"paging":`+paging+`}`), &Linker{Base: "http://h", Path: "/p"}, true)
			if out := w.Body.String(); err != nil || strings.Contains(out, "IGAAsecret") || strings.Contains(out, "next") {
				t.Fatalf("%s %v", out, err)
			}
		})
	}
}

// Link carries the Linker's parameters and its cursor, never a credential or
// the other cursor.
func TestLinkDropsCredentialsAndOtherCursor(t *testing.T) {
	l := &Linker{Base: "http://gw", Path: "/instagram/v21.0/me/media", Query: url.Values{
		"api_token": {"igw_key"}, "access_token": {"IGAAsecret"}, "after": {"old"}, "before": {"older"}, "limit": {"5"},
	}}
	tests := []struct{ param, cursor, want string }{
		{"after", "QU+/ZQ==", "http://gw/instagram/v21.0/me/media?after=QU%2B%2FZQ%3D%3D&limit=5"},
		{"before", "QkVG", "http://gw/instagram/v21.0/me/media?before=QkVG&limit=5"},
	}
	for _, tt := range tests {
		t.Run(tt.param, func(t *testing.T) {
			if got := l.Link(tt.param, tt.cursor); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
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

func BenchmarkWritePagedRecorder(b *testing.B) {
	l := &Linker{Base: "http://127.0.0.1:8080", Path: "/instagram/v21.0/me/media", Query: url.Values{"limit": {"1"}}}
	b.ReportAllocs()
	for b.Loop() {
		WritePaged(httptest.NewRecorder(), 200, []byte(upstreamPage), l, true)
	}
}

func TestWritePagedUnwrapped(t *testing.T) {
	w := httptest.NewRecorder()
	if err := WritePaged(w, 200, []byte(upstreamPage), &Linker{Base: "http://gw", Path: "/instagram/graph/v21.0/me/media"}, false); err != nil {
		t.Fatal(err)
	}
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

// TestWritePagedWindows: insights page by time; Instagram's next and
// previous links carry since and until (and the token), and the gateway's
// carry the same window on its own URL. Before, they were dropped.
func TestWritePagedWindows(t *testing.T) {
	body := []byte(`{"data":[{"name":"reach","period":"day","values":[{"value":5,"end_time":"2026-11-25T08:00:00+0000"}]}],` +
		`"paging":{"previous":"https://graph.instagram.com/v21.0/1/insights?access_token=IGAAsecret&metric=reach&period=day&since=1763800000&until=1763972800",` +
		`"next":"https://graph.instagram.com/v21.0/1/insights?access_token=IGAAsecret&metric=reach&period=day&since=1764145600&until=1764318400"}}`)
	for _, windowed := range []bool{true, false} {
		l := &Linker{Base: "https://gw.example", Path: "/instagram/v21.0/me/insights", Query: url.Values{"metric": {"reach"}, "period": {"day"}, "since": {"1"}}, Windowed: windowed}
		rec := httptest.NewRecorder()
		if err := WritePaged(rec, http.StatusOK, body, l, true); err != nil {
			t.Fatal(err)
		}
		out := rec.Body.String()
		if strings.Contains(out, "IGAAsecret") || strings.Contains(out, "graph.instagram.com") {
			t.Fatalf("upstream link passed on: %s", out)
		}
		next := "https://gw.example/instagram/v21.0/me/insights?metric=reach&period=day&since=1764145600&until=1764318400"
		if got := strings.Contains(out, `"nextLink":"`+next+`"`); got != windowed {
			t.Fatalf("windowed=%v: nextLink present %v: %s", windowed, got, out)
		}
		if got := strings.Contains(out, `"previous":"https://gw.example/instagram/v21.0/me/insights?metric=reach&period=day&since=1763800000&until=1763972800"`); got != windowed {
			t.Fatalf("windowed=%v: previous present %v: %s", windowed, got, out)
		}
	}
	// A window that is not two Unix times is dropped.
	bad := []byte(`{"data":[],"paging":{"next":"https://graph.instagram.com/x?since=abc&until=1"}}`)
	rec := httptest.NewRecorder()
	if err := WritePaged(rec, 200, bad, &Linker{Base: "https://gw", Path: "/p", Windowed: true}, true); err != nil || strings.Contains(rec.Body.String(), "next") {
		t.Fatalf("%v %s", err, rec.Body.String())
	}
}

// TestWritePagedWindowsEndAtNow: Instagram always offers a next window, so
// a follower of nextLink would never stop (found following the sandbox's
// insights: windows ran past today); a window that starts after Now is
// dropped.
func TestWritePagedWindowsEndAtNow(t *testing.T) {
	body := []byte(`{"data":[],"paging":{"previous":"https://graph.instagram.com/x?since=1000&until=2000","next":"https://graph.instagram.com/x?since=3000&until=4000"}}`)
	for _, tt := range []struct {
		now  int64
		next bool
	}{{2999, false}, {3000, false}, {3001, true}} {
		l := &Linker{Base: "https://gw", Path: "/p", Windowed: true, Now: time.Unix(tt.now, 0)}
		rec := httptest.NewRecorder()
		if err := WritePaged(rec, 200, body, l, true); err != nil {
			t.Fatal(err)
		}
		out := rec.Body.String()
		if strings.Contains(out, `"nextLink"`) != tt.next || !strings.Contains(out, `"previous":"https://gw/p?since=1000&until=2000"`) {
			t.Errorf("now=%d: %s", tt.now, out)
		}
	}
}

func TestNextCursor(t *testing.T) {
	for _, tt := range []struct {
		paging, cursor string
		hasNext        bool
	}{
		{`{"cursors":{"after":"QUF+/b=="},"next":"https://graph.instagram.com/x?after=QUF%2B%2Fb%3D%3D&access_token=T"}`, "QUF+/b==", true},
		{`{"cursors":{"after":"QUF+/b=="},"next":"https://graph.instagram.com/x?access_token=T"}`, "QUF+/b==", true}, // from cursors
		{`{"next":"https://graph.instagram.com/x?after=abc"}`, "abc", true},                                          // from the link
		{`{"next":"https://graph.instagram.com/x"}`, "", true},                                                       // a next page without a cursor
		{`{"cursors":{"after":"abc"}}`, "", false},
		{`null`, "", false}, {``, "", false}, {`"x"`, "", false},
	} {
		c, ok := NextCursor(json.RawMessage(tt.paging))
		if c != tt.cursor || ok != tt.hasNext {
			t.Errorf("NextCursor(%s) = %q %v", tt.paging, c, ok)
		}
	}
}
