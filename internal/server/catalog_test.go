package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ulule/limiter/v3"

	"github.com/igconnect/gateway/internal/connections"
	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/connectors/instagram"
	"github.com/igconnect/gateway/internal/limits"
	"github.com/igconnect/gateway/internal/secret"
	"github.com/igconnect/gateway/internal/store/boltstore"
)

// updateCatalog rewrites TestCatalog's golden answers:
//
//	go test ./internal/server -run TestCatalog -update
var updateCatalog = flag.Bool("update", false, "rewrite the golden answers of TestCatalog (testdata/catalog/*.golden)")

const (
	catalogDir = "testdata/catalog"
	// The connection's account and Instagram token. Case files write the
	// token as tokenMark: the stub puts the token there (paging.next URLs
	// carry it, as Instagram's do), and the answers must not.
	catalogUserID   = "17841405822304914"
	catalogUsername = "harbor.coffee"
	catalogToken    = "IGAAQx7ZcRm9VdBZAFNtT2h0S0lZAN3FxX0JvbmRaa1pYZAlRkeHZA5TmVrT3hUQmF5WDRuYlFtVktPYk5BQ3FiQzZAwTkZAjS2F1ZAGx0"
	tokenMark       = "{{ACCESS_TOKEN}}"
	// gatewayMark replaces the gateway's scheme://host in golden answers.
	gatewayMark = "{{GATEWAY}}"
)

// catalogCase is one case file: one action of the catalog.
type catalogCase struct {
	// Name is the action's human name, as its row names it.
	Name string `json:"name"`
	// New and Old are the same call in the new and the old path format.
	New catalogRequest `json:"new"`
	Old catalogRequest `json:"old"`
	// Exchanges are the upstream calls the gateway must make, in order,
	// unless a request has its own.
	Exchanges []exchange `json:"exchanges"`
	// Status is the gateway's expected status (200 when zero).
	Status int `json:"status"`
	// Bad are requests the gateway must refuse before any upstream call.
	Bad []badRequest `json:"bad"`
}

// catalogRequest is a call to the gateway, below /instagram/v21.0 (or
// /instagram/graph/v21.0).
type catalogRequest struct {
	Method string            `json:"method"`
	Path   string            `json:"path"`
	Query  map[string]string `json:"query"`
	Body   json.RawMessage   `json:"body"`
	// ResolvesAs is the action the gateway must resolve the request to,
	// when it is not the case's own (a DELETE of /{ID} is Delete Media).
	ResolvesAs string `json:"resolvesAs"`
	// Note says why the request is what it is.
	Note string `json:"note"`
	// Exchanges, when set, replace the case's for this format (an ID given
	// as "me" in one format and as digits in the other).
	Exchanges []exchange `json:"exchanges"`
}

// exchange is one upstream call: what the gateway must send, and Instagram's
// answer.
type exchange struct {
	Method string `json:"method"`
	// Path is the upstream path, version included: /v21.0/1789….
	Path string `json:"path"`
	// Query and Form are the parameters the call must carry, in its URL
	// and in its form body; parameters not named here are not checked.
	Query map[string]string `json:"query"`
	Form  map[string]string `json:"form"`
	// Status (200 when zero), Headers and Body are Instagram's answer.
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

// badRequest is input the gateway refuses (400 BAD_REQUEST unless told)
// without calling upstream.
type badRequest struct {
	Name   string            `json:"name"`
	Method string            `json:"method"`
	Path   string            `json:"path"`
	Query  map[string]string `json:"query"`
	Body   json.RawMessage   `json:"body"`
	Status int               `json:"status"`
	Code   string            `json:"code"`
}

// TestCatalog runs every action of the contract's catalog, from its case
// file testdata/catalog/<OperationID>.json, in both path formats (new, old)
// and both shapes (the {"data": …} envelope under /instagram/v21.0,
// Instagram's own shape under /instagram/graph/v21.0), against a stub
// upstream that answers the case's exchanges in turn; the answer is compared
// with testdata/catalog/<OperationID>.<new|old>.<envelope|graph>.golden. Each
// bad input of the case must be refused before any upstream call. A row of
// instagram.Actions() without a case file fails; a case file whose row has
// not landed yet is skipped.
func TestCatalog(t *testing.T) {
	rows := map[string]*connectors.Action{}
	for _, a := range instagram.Actions() {
		rows[a.OperationID] = a
	}
	cases := loadCatalog(t)
	ops := make([]string, 0, len(rows)+len(cases))
	for op := range rows {
		ops = append(ops, op)
	}
	for op := range cases {
		if rows[op] == nil {
			ops = append(ops, op)
		}
	}
	slices.Sort(ops)
	checkStaleGoldens(t, cases)
	g := newCatalogGateway(t)
	for _, op := range ops {
		t.Run(op, func(t *testing.T) {
			row, c := rows[op], cases[op]
			if c == nil {
				t.Fatalf("action %s (%q) has no case file: add %s", op, row.Name, filepath.Join("internal/server", catalogDir, op+".json"))
			}
			if row == nil {
				t.Skipf("waiting for the row: %s is not in instagram.Actions() yet (its case file is ready)", op)
			}
			if c.Name != row.Name || c.New.Method != row.Method || c.Old.Method != row.Method {
				t.Fatalf("the case file says %q %s/%s, the row %q %s", c.Name, c.New.Method, c.Old.Method, row.Name, row.Method)
			}
			for _, format := range []string{"new", "old"} {
				req := c.New
				if format == "old" {
					req = c.Old
				}
				for _, shape := range []string{"envelope", "graph"} {
					t.Run(format+"/"+shape, func(t *testing.T) { g.check(t, op, c, req, format, shape, row.Paged) })
				}
			}
			if len(c.Bad) == 0 {
				t.Errorf("%s has no bad input: add one to its case file (a bad ID, field, metric or body)", op)
			}
			for _, bad := range c.Bad {
				for _, shape := range []string{"envelope", "graph"} {
					t.Run("bad/"+bad.Name+"/"+shape, func(t *testing.T) { g.checkBad(t, bad, shape) })
				}
			}
		})
	}
}

// loadCatalog reads every case file, by operation ID.
func loadCatalog(t *testing.T) map[string]*catalogCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(catalogDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	cases := make(map[string]*catalogCase, len(files))
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		var c catalogCase
		if err := dec.Decode(&c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		cases[strings.TrimSuffix(filepath.Base(f), ".json")] = &c
	}
	return cases
}

// checkStaleGoldens fails on a golden answer whose case file is gone.
func checkStaleGoldens(t *testing.T, cases map[string]*catalogCase) {
	t.Helper()
	goldens, err := filepath.Glob(filepath.Join(catalogDir, "*.golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range goldens {
		op, _, _ := strings.Cut(filepath.Base(f), ".")
		if cases[op] == nil {
			t.Errorf("%s has no case file %s.json: remove it", f, op)
		}
	}
}

// catalogGateway is the gateway in front of the stub upstream, with one
// connection.
type catalogGateway struct {
	url  string
	stub *stubGraph
	key  string
	logs *syncBuffer
}

// newCatalogGateway builds the gateway like newEnv, on the stub upstream.
func newCatalogGateway(t *testing.T) *catalogGateway {
	t.Helper()
	stub := &stubGraph{token: catalogToken}
	up := httptest.NewServer(stub)
	t.Cleanup(up.Close)
	stub.host = strings.TrimPrefix(up.URL, "http://")
	st, err := boltstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sealer, _ := secret.NewSealer(bytes.Repeat([]byte{1}, 32))
	conn := instagram.New(&instagram.Client{BaseURL: up.URL, HTTP: instagram.NewHTTPClient(5 * time.Second)}, "v21.0", 5*time.Second)
	conn.PollInterval = time.Millisecond
	conn.MaxPollInterval = 5 * time.Millisecond
	svc := connections.New(st, sealer, conn)
	logs := &syncBuffer{}
	srv := New(Options{
		Connections: svc, Connector: conn, AdminToken: adminToken,
		Limiter: limits.NewMemory(limiter.Rate{Limit: 1000, Period: time.Minute, Formatted: "1000-M"}),
		Ready:   st.Ping,
		Logger:  slog.New(slog.NewJSONHandler(logs, nil)),
	})
	gw := httptest.NewServer(srv)
	t.Cleanup(gw.Close)
	// Creating the connection checks the token with GET /me.
	stub.arm([]exchange{{
		Method: "GET", Path: "/v21.0/me", Query: map[string]string{"fields": "id,username"},
		Body: json.RawMessage(`{"id":"` + catalogUserID + `","username":"` + catalogUsername + `"}`),
	}})
	v, err := svc.Create(context.Background(), catalogToken, "catalog")
	if err != nil {
		t.Fatal(err)
	}
	if n, problems := stub.result(); n != 1 || len(problems) > 0 {
		t.Fatalf("creating the connection: %d upstream calls, %v", n, problems)
	}
	return &catalogGateway{url: gw.URL, stub: stub, key: v.APIKey, logs: logs}
}

// call sends a request to the gateway; it returns the status, headers and
// body, and the request's ID.
func (g *catalogGateway) call(t *testing.T, shape, method, path string, query map[string]string, body json.RawMessage, id string) (int, http.Header, []byte) {
	t.Helper()
	prefix := "/instagram/v21.0"
	if shape == "graph" {
		prefix = "/instagram/graph/v21.0"
	}
	q := url.Values{"api_token": {g.key}}
	for k, v := range query {
		q.Set(k, v)
	}
	var rd io.Reader
	if len(body) > 0 {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, g.url+prefix+path+"?"+q.Encode(), rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-Request-ID", id)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, raw
}

// check runs one action in one format and shape; paged is the row's Paged.
func (g *catalogGateway) check(t *testing.T, op string, c *catalogCase, req catalogRequest, format, shape string, paged bool) {
	exchanges := c.Exchanges
	if req.Exchanges != nil {
		exchanges = req.Exchanges
	}
	if len(exchanges) == 0 {
		t.Fatal("the case names no upstream exchange")
	}
	if req.Note != "" {
		t.Log(req.Note)
	}
	g.stub.arm(exchanges)
	id := "catalog." + op + "." + format + "." + shape
	status, header, raw := g.call(t, shape, req.Method, req.Path, req.Query, req.Body, id)
	n, problems := g.stub.result()
	for _, p := range problems {
		t.Error("upstream: " + p)
	}
	if n != len(exchanges) {
		t.Errorf("upstream saw %d of the %d exchanges", n, len(exchanges))
	}
	want := c.Status
	if want == 0 {
		want = http.StatusOK
	}
	if status != want {
		t.Fatalf("status %d, want %d: %s", status, want, raw)
	}
	if cc := header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
		if header.Get(h) == "" {
			t.Errorf("no %s header", h)
		}
	}
	if ct := header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	for what, secret := range map[string]string{
		"access_token": "access_token", "the upstream token": catalogToken, "the API key": g.key,
		"the upstream host": g.stub.host, "Instagram's API host": "graph.instagram.com",
	} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the answer holds %s: %s", what, raw)
		}
	}
	resolves := op
	if req.ResolvesAs != "" {
		resolves = req.ResolvesAs
	}
	if got := g.action(t, id); got != resolves {
		t.Errorf("the gateway resolved the request as %q, want %q", got, resolves)
	}
	answer := decodeJSON(t, raw)
	payload := answer
	if shape == "envelope" {
		payload = checkEnvelope(t, answer, raw, paged)
	}
	upstream := decodeJSON(t, exchanges[len(exchanges)-1].Body)
	if !reflect.DeepEqual(withoutLinks(payload), withoutLinks(upstream)) {
		t.Errorf("the answer is not Instagram's (paging links aside):\n got %s\nwant %s", raw, exchanges[len(exchanges)-1].Body)
	}
	prefix := g.url + "/instagram/v21.0" + req.Path + "?"
	if shape == "graph" {
		prefix = g.url + "/instagram/graph/v21.0" + req.Path + "?"
	}
	g.checkLinks(t, answer, payload, upstream, prefix, req.Query, shape)
	catalogGolden(t, fmt.Sprintf("%s.%s.%s.golden", op, format, shape), normalizeAnswer(t, raw, g.url))
}

// checkEnvelope checks the {"data": …} envelope and returns data. A paged
// action's envelope may hold value and nextLink beside data: value is
// data.data, byte for byte, whenever data.data is a list, and absent
// otherwise; another action's holds data alone.
func checkEnvelope(t *testing.T, answer any, raw []byte, paged bool) any {
	t.Helper()
	env, ok := answer.(map[string]any)
	if !ok {
		t.Fatalf("the answer is not an object: %v", answer)
	}
	for k := range env {
		if k != "data" && !(paged && (k == "value" || k == "nextLink")) {
			t.Errorf("the envelope holds %q", k)
		}
	}
	data, ok := env["data"]
	if !ok {
		t.Fatalf("no data in the envelope: %v", env)
	}
	if paged {
		var rawEnv, rawData map[string]json.RawMessage
		if err := json.Unmarshal(raw, &rawEnv); err != nil {
			t.Fatal(err)
		}
		json.Unmarshal(rawEnv["data"], &rawData)
		_, isList := field(data, "data").([]any)
		value, ok := rawEnv["value"]
		if ok != isList || ok && !bytes.Equal(value, rawData["data"]) {
			t.Errorf("value %s is not data.data %s", value, rawData["data"])
		}
	}
	return data
}

// checkLinks: every paging link is the gateway's URL of the path the caller
// reached, carrying the request's parameters and upstream's cursor, no
// credential; nextLink, in the envelope, is paging.next.
func (g *catalogGateway) checkLinks(t *testing.T, answer, payload, upstream any, prefix string, query map[string]string, shape string) {
	t.Helper()
	paging, _ := field(payload, "paging").(map[string]any)
	cursors, _ := field(field(upstream, "paging"), "cursors").(map[string]any)
	for _, l := range []struct{ field, param string }{{"next", "after"}, {"previous", "before"}} {
		link, ok := paging[l.field].(string)
		if !ok {
			if _, present := paging[l.field]; present {
				t.Errorf("paging.%s is not a string: %v", l.field, paging[l.field])
			}
			continue
		}
		if !strings.HasPrefix(link, prefix) {
			t.Errorf("paging.%s %q is not on the gateway's %s", l.field, link, prefix)
			continue
		}
		q, err := url.ParseQuery(strings.TrimPrefix(link, prefix))
		if err != nil {
			t.Errorf("paging.%s %q: %v", l.field, link, err)
			continue
		}
		if want, _ := cursors[l.param].(string); q.Get(l.param) != want {
			t.Errorf("paging.%s carries %s=%q, upstream's cursor is %q", l.field, l.param, q.Get(l.param), want)
		}
		for _, k := range []string{"api_token", "access_token"} {
			if q.Has(k) {
				t.Errorf("paging.%s carries %s: %s", l.field, k, link)
			}
		}
		for k, v := range query {
			if k != "after" && k != "before" && q.Get(k) != v {
				t.Errorf("paging.%s carries %s=%q, the request %q", l.field, k, q.Get(k), v)
			}
		}
	}
	if shape == "envelope" {
		next, _ := paging["next"].(string)
		if got, _ := field(answer, "nextLink").(string); got != next {
			t.Errorf("nextLink %q is not paging.next %q", got, next)
		}
	}
}

// checkBad sends input the gateway must refuse without calling upstream.
func (g *catalogGateway) checkBad(t *testing.T, bad badRequest, shape string) {
	g.stub.arm(nil)
	status, header, raw := g.call(t, shape, bad.Method, bad.Path, bad.Query, bad.Body, "catalog.bad."+shape)
	want, code := bad.Status, bad.Code
	if want == 0 {
		want = http.StatusBadRequest
	}
	if code == "" {
		code = connectors.CodeBadRequest
	}
	var env struct {
		Data struct {
			Error struct{ Code, Message string }
		}
	}
	if err := json.Unmarshal(raw, &env); err != nil || status != want || env.Data.Error.Code != code {
		t.Errorf("%d %s, want %d %s", status, raw, want, code)
	}
	if cc := header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	if n, problems := g.stub.result(); n > 0 || len(problems) > 0 {
		t.Errorf("bad input reached upstream: %d calls %v", n, problems)
	}
}

// action returns the operation ID the access log names for a request. The
// line is written once the handler returns, maybe after the answer is read.
func (g *catalogGateway) action(t *testing.T, id string) string {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		sc := bufio.NewScanner(bytes.NewReader(g.logs.Bytes()))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var line struct {
				RequestID string `json:"request_id"`
				Action    string `json:"action"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.RequestID == id {
				return line.Action
			}
		}
	}
	t.Errorf("no access log line for request %s", id)
	return ""
}

// stubGraph is the upstream: it answers the armed exchanges in turn and
// records every request that is not the next one expected.
type stubGraph struct {
	token string
	// host is the stub's host:port, which no answer may name.
	host string

	mu        sync.Mutex
	exchanges []exchange
	seen      int
	problems  []string
}

// arm sets the exchanges of the next call and forgets the last.
func (s *stubGraph) arm(exchanges []exchange) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.exchanges, s.seen, s.problems = exchanges, 0, nil
}

// result returns how many requests the stub saw since it was armed, and
// what was wrong with them.
func (s *stubGraph) result() (int, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen, slices.Clone(s.problems)
}

func (s *stubGraph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	s.mu.Lock()
	i := s.seen
	s.seen++
	got := fmt.Sprintf("#%d %s %s", i+1, r.Method, r.URL.RequestURI())
	if i >= len(s.exchanges) {
		s.problems = append(s.problems, "unexpected request "+got)
		s.mu.Unlock()
		stubRefuse(w)
		return
	}
	ex := s.exchanges[i]
	var bad []string
	if r.Method != ex.Method || r.URL.Path != ex.Path {
		bad = append(bad, fmt.Sprintf("want %s %s", ex.Method, ex.Path))
	}
	if r.Header.Get("Authorization") != "Bearer "+s.token {
		bad = append(bad, "not the connection's token in Authorization")
	}
	if r.URL.Query().Has("access_token") || form.Has("access_token") {
		bad = append(bad, "access_token in the URL or the form")
	}
	// The caller's own credential never travels upstream: the gateway
	// forwards only the action's parameters, never the caller's query.
	if r.URL.Query().Has("api_token") || form.Has("api_token") || strings.Contains(r.URL.RawQuery+form.Encode(), "igw_") || r.Header.Get("X-API-Key") != "" {
		bad = append(bad, "the caller's API key forwarded upstream")
	}
	bad = append(bad, subsetProblems("query", ex.Query, r.URL.Query())...)
	bad = append(bad, subsetProblems("form", ex.Form, form)...)
	if len(bad) > 0 {
		s.problems = append(s.problems, got+": "+strings.Join(bad, "; "))
		s.mu.Unlock()
		stubRefuse(w)
		return
	}
	s.mu.Unlock()
	for k, v := range ex.Headers {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	status := ex.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	w.Write(bytes.ReplaceAll(ex.Body, []byte(tokenMark), []byte(s.token)))
}

// subsetProblems lists the parameters of want that got lacks or differs on.
func subsetProblems(what string, want map[string]string, got url.Values) []string {
	var out []string
	for k, v := range want {
		if vs := got[k]; len(vs) != 1 || vs[0] != v {
			out = append(out, fmt.Sprintf("%s %s=%q, want %q", what, k, vs, v))
		}
	}
	slices.Sort(out)
	return out
}

// stubRefuse answers a request the case did not expect with a Graph error
// the gateway does not retry.
func stubRefuse(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(http.StatusBadRequest)
	io.WriteString(w, `{"error":{"message":"(#100) the stub upstream did not expect this request","type":"OAuthException","code":100,"fbtrace_id":"AStubTrace0"}}`)
}

// syncBuffer is a log destination the server's goroutines share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// decodeJSON decodes a JSON text, numbers kept as written.
func decodeJSON(t *testing.T, raw []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, raw)
	}
	return v
}

// field returns v's key k, when v is an object.
func field(v any, k string) any {
	m, _ := v.(map[string]any)
	return m[k]
}

// withoutLinks returns a copy of an answer without paging.next and
// paging.previous, the links the gateway rewrites.
func withoutLinks(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	paging, ok := m["paging"].(map[string]any)
	if !ok {
		return v
	}
	out := make(map[string]any, len(m))
	for k, x := range m {
		out[k] = x
	}
	p := make(map[string]any, len(paging))
	for k, x := range paging {
		if k != "next" && k != "previous" {
			p[k] = x
		}
	}
	out["paging"] = p
	return out
}

// normalizeAnswer returns the answer as its golden file holds it: the
// gateway's scheme://host replaced by gatewayMark, keys sorted, indented.
func normalizeAnswer(t *testing.T, raw []byte, gateway string) []byte {
	t.Helper()
	v := decodeJSON(t, bytes.ReplaceAll(raw, []byte(gateway), []byte(gatewayMark)))
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// catalogGolden compares got with testdata/catalog/name, or rewrites it
// with -update.
func catalogGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(catalogDir, name)
	if *updateCatalog {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		t.Fatalf("no golden answer %s: write it with go test ./internal/server -run TestCatalog -update, and review it", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the answer differs from %s (go test ./internal/server -run TestCatalog -update rewrites it):\n got %s\nwant %s", path, got, want)
	}
}
