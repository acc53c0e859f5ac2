package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ulule/limiter/v3"

	"github.com/igconnect/gateway/internal/connections"
	"github.com/igconnect/gateway/internal/connectors/instagram"
	"github.com/igconnect/gateway/internal/fakegraph"
	"github.com/igconnect/gateway/internal/fakegraph/fakegraphtest"
	"github.com/igconnect/gateway/internal/limits"
	"github.com/igconnect/gateway/internal/secret"
	"github.com/igconnect/gateway/internal/store/boltstore"
	"github.com/igconnect/gateway/internal/triggers"
)

const triggerRoute = "/instagram/v21.0/triggers/new-media"

// triggerEnv is replicas of the gateway sharing the connections, the
// limiter and the trigger key, on the fake.
type triggerEnv struct {
	fake     *fakegraph.Server
	svc      *connections.Service
	opts     Options
	replicas []string
	key, id  string
}

func newTriggerEnv(t *testing.T, replicas int, tweak func(*Options)) *triggerEnv {
	t.Helper()
	fake, upURL := fakegraphtest.Start(t, 20*time.Millisecond)
	st, err := boltstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	encKey := bytes.Repeat([]byte{1}, 32)
	sealer, _ := secret.NewSealer(encKey)
	triggerKey, _ := secret.TriggerStateKey(encKey)
	conn := instagram.New(&instagram.Client{BaseURL: upURL, HTTP: instagram.NewHTTPClient(5 * time.Second)}, "v21.0", 2*time.Second)
	svc := connections.New(st, sealer, conn)
	opts := Options{
		Connections: svc, Connector: conn, AdminToken: adminToken,
		Limiter:    limits.NewMemory(limiter.Rate{Limit: 10000, Period: time.Minute, Formatted: "10000-M"}),
		TriggerKey: triggerKey,
	}
	if tweak != nil {
		tweak(&opts)
	}
	e := &triggerEnv{fake: fake, svc: svc, opts: opts}
	for range replicas {
		gw := httptest.NewServer(New(opts))
		t.Cleanup(gw.Close)
		e.replicas = append(e.replicas, gw.URL)
	}
	v, err := svc.Create(context.Background(), fakegraph.DemoToken, "test")
	if err != nil {
		t.Fatal(err)
	}
	e.key, e.id = v.APIKey, v.ID
	return e
}

// pollAnswer is one answer of a trigger's route.
type pollAnswer struct {
	status int
	header http.Header
	body   struct {
		Data  json.RawMessage  `json:"data"`
		Value []map[string]any `json:"value"`
	}
	raw string
}

func (a pollAnswer) code() string {
	var d struct{ Error struct{ Code string } }
	json.Unmarshal(a.body.Data, &d)
	return d.Error.Code
}

func get(t *testing.T, method, u string, header ...string) pollAnswer {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			req.Host = header[i+1]
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := pollAnswer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if err := json.Unmarshal(raw, &a.body); err != nil || a.body.Data == nil {
		t.Fatalf("%s %s: %d, not an envelope: %q", method, u, resp.StatusCode, raw)
	}
	return a
}

// powerAutomate polls a trigger as Power Automate does: it follows each
// answer's Location after its Retry-After (a millisecond a second here),
// sending the connection's key in a header, each poll on the next replica
// (a load balancer's choice), and collects the items of the 200s.
type powerAutomate struct {
	t        *testing.T
	replicas []string
	public   string // the gateway's public URL, when set
	header   []string
	interval int
	next     string // the next poll's URL
	polls    int
	got      []string
	items    []map[string]any
}

// poll polls once and checks the answer's protocol.
func (pa *powerAutomate) poll() pollAnswer {
	t := pa.t
	t.Helper()
	replica := pa.replicas[pa.polls%len(pa.replicas)]
	pa.polls++
	u := replica + triggerRoute
	if pa.next != "" {
		loc, _ := url.Parse(pa.next)
		u = replica + loc.RequestURI()
	}
	a := get(t, "GET", u, pa.header...)
	if a.status != http.StatusOK && a.status != http.StatusAccepted {
		t.Fatalf("poll %d: %d %s", pa.polls, a.status, a.raw)
	}
	loc, err := url.Parse(a.header.Get("Location"))
	base := replica
	if pa.public != "" {
		base = pa.public
	}
	if err != nil || !loc.IsAbs() || loc.Scheme+"://"+loc.Host != base || loc.Path != triggerRoute {
		t.Fatalf("poll %d: Location %q", pa.polls, a.header.Get("Location"))
	}
	for k := range loc.Query() {
		if k != "state" && k != "fields" {
			t.Fatalf("poll %d: Location carries %s: %s", pa.polls, k, loc)
		}
	}
	retry, err := strconv.Atoi(a.header.Get("Retry-After"))
	if err != nil || retry < 1 {
		t.Fatalf("poll %d: Retry-After %q", pa.polls, a.header.Get("Retry-After"))
	}
	if a.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("poll %d: Cache-Control %q", pa.polls, a.header.Get("Cache-Control"))
	}
	if a.status == http.StatusOK {
		var data []map[string]any
		if err := json.Unmarshal(a.body.Data, &data); err != nil || len(a.body.Value) == 0 || len(data) != len(a.body.Value) {
			t.Fatalf("poll %d: 200 without items in value and data: %s", pa.polls, a.raw)
		}
		for _, it := range a.body.Value {
			pa.got = append(pa.got, it["id"].(string))
		}
		pa.items = append(pa.items, a.body.Value...)
	} else if a.body.Value != nil {
		t.Fatalf("poll %d: 202 with items: %s", pa.polls, a.raw)
	}
	pa.next = loc.String()
	time.Sleep(time.Duration(retry) * time.Millisecond)
	return a
}

// idle polls until nothing is new nor waiting: a 202 that asks to come
// back after the whole interval.
func (pa *powerAutomate) idle() {
	pa.t.Helper()
	for range 2000 {
		a := pa.poll()
		if a.status == http.StatusAccepted && a.header.Get("Retry-After") == strconv.Itoa(pa.interval) {
			return
		}
	}
	pa.t.Fatalf("still polling after 2000 polls")
}

func reversed(ids []string) []string {
	out := slices.Clone(ids)
	slices.Reverse(out)
	return out
}

// A flow's trigger gets every media posted after it started, exactly once
// and oldest first, across bursts larger than a page and than a poll's
// walk, deletions of delivered media, and two replicas.
func TestTriggerDeliversEveryMediaOnce(t *testing.T) {
	tests := []struct {
		name     string
		replicas int
		limits   triggers.Limits
	}{
		{"defaults, one replica", 1, triggers.Limits{}},
		{"defaults, two replicas", 2, triggers.Limits{}},
		{"small pages and batches, two replicas", 2, triggers.Limits{PageSize: 10, MaxPages: 2, MaxBatch: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTriggerEnv(t, tt.replicas, func(o *Options) { o.TriggerLimits = tt.limits })
			pa := &powerAutomate{t: t, replicas: e.replicas, header: []string{"X-API-Key", e.key}, interval: 60}
			if a := pa.poll(); a.status != http.StatusAccepted || a.header.Get("Retry-After") != "60" {
				t.Fatalf("first poll: %d %v", a.status, a.header)
			}
			pa.idle()
			var want []string
			add := func(n int) {
				want = append(want, reversed(e.fake.AddMedia(fakegraph.DemoUserID, n))...)
				pa.idle()
			}
			add(1)
			add(3)
			add(150) // more than a page, more than a batch
			// Deleting the newest media delivered: the next poll stops at
			// an older one and repeats nothing.
			for _, id := range want[len(want)-2:] {
				if a := get(t, "DELETE", e.replicas[0]+"/instagram/v21.0/"+id, "X-API-Key", e.key); a.status != 200 {
					t.Fatalf("delete: %s", a.raw)
				}
			}
			add(2)
			add(101)
			if !slices.Equal(pa.got, want) {
				t.Fatalf("delivered %d media, want %d, oldest first, once each:\n got %v\nwant %v", len(pa.got), len(want), pa.got, want)
			}
			for _, it := range pa.items {
				for k := range it {
					if !strings.Contains(","+instagram.DefaultMediaFields+",", ","+k+",") {
						t.Fatalf("item has %s, not a default field: %v", k, it)
					}
				}
				if it["timestamp"] == nil || it["permalink"] == nil || it["media_type"] == nil {
					t.Fatalf("item lacks a default field: %v", it)
				}
			}
		})
	}
}

// A poll is one call of the connection's rate limit, however many pages
// it reads upstream; a poll refused for its input or its state costs none.
func TestTriggerPollCountsOneCall(t *testing.T) {
	e := newTriggerEnv(t, 1, func(o *Options) { o.TriggerLimits = triggers.Limits{PageSize: 10, MaxPages: 5} })
	pa := &powerAutomate{t: t, replicas: e.replicas, header: []string{"X-API-Key", e.key}, interval: 60}
	remaining := func(a pollAnswer) int {
		n, err := strconv.Atoi(a.header.Get("X-RateLimit-Remaining"))
		if err != nil {
			t.Fatalf("no X-RateLimit-Remaining: %v", a.header)
		}
		return n
	}
	last := remaining(pa.poll())
	e.fake.AddMedia(fakegraph.DemoUserID, 45)
	before := e.fake.Requests()
	a := pa.poll()
	if pages := e.fake.Requests() - before; a.status != 200 || len(a.body.Value) != 45 || pages != 5 {
		t.Fatalf("%d, %d media in %d upstream pages", a.status, len(a.body.Value), pages)
	}
	if n := remaining(a); n != last-1 {
		t.Fatalf("X-RateLimit-Remaining %d after %d: a poll of 5 pages is one call", n, last)
	}
	last--
	bad := []string{
		e.replicas[0] + triggerRoute + "?fields=secret",
		e.replicas[0] + triggerRoute + "?state=AAAA",
		strings.Replace(pa.next, "state=", "state=A", 1),
	}
	for _, u := range bad {
		before := e.fake.Requests()
		if a := get(t, "GET", u, "X-API-Key", e.key); a.status != 400 || a.header.Get("X-RateLimit-Remaining") != "" || e.fake.Requests() != before {
			t.Fatalf("%s: %d %v %s", u, a.status, a.header, a.raw)
		}
	}
	if n := remaining(pa.poll()); n != last-1 {
		t.Fatalf("X-RateLimit-Remaining %d after %d: refused polls were counted", n, last)
	}
}

func TestTriggerRoutes(t *testing.T) {
	e := newTriggerEnv(t, 1, nil)
	gw := e.replicas[0]
	key := []string{"X-API-Key", e.key}
	first := get(t, "GET", gw+triggerRoute, key...)
	state := first.header.Get("Location")[strings.Index(first.header.Get("Location"), "state=")+len("state="):]
	other, err := e.svc.Create(context.Background(), fakegraph.OtherToken, "other")
	if err != nil {
		t.Fatal(err)
	}
	otherKeyServer := New(func() Options {
		o := e.opts
		o.TriggerKey = bytes.Repeat([]byte{2}, 32)
		return o
	}())
	otherGW := httptest.NewServer(otherKeyServer)
	t.Cleanup(otherGW.Close)
	tests := []struct {
		name, method, url string
		header            []string
		status            int
		code              string
	}{
		{"the definition's path", "GET", gw + triggerRoute, key, 202, ""},
		{"without a version", "GET", gw + "/instagram/triggers/new-media", key, 202, ""},
		{"another version", "GET", gw + "/instagram/v22.0/triggers/new-media", key, 202, ""},
		{"a trailing slash", "GET", gw + triggerRoute + "/", key, 202, ""},
		{"api_token", "GET", gw + triggerRoute + "?api_token=" + e.key, nil, 202, ""},
		{"bearer", "GET", gw + triggerRoute, []string{"Authorization", "Bearer " + e.key}, 202, ""},
		{"with its state", "GET", gw + triggerRoute + "?state=" + state, key, 202, ""},
		{"an empty state is none", "GET", gw + triggerRoute + "?state=", key, 202, ""},
		{"no key", "GET", gw + triggerRoute, nil, 401, "INVALID_API_TOKEN"},
		{"no such trigger", "GET", gw + "/instagram/v21.0/triggers/new-comment", key, 404, "NOT_FOUND"},
		{"triggers is no ID", "GET", gw + "/instagram/v21.0/triggers", key, 404, "NOT_FOUND"},
		{"triggers is no ID, without a version", "GET", gw + "/instagram/triggers", key, 404, "NOT_FOUND"},
		{"not on the Graph path", "GET", gw + "/instagram/graph/v21.0/triggers/new-media", key, 404, "NOT_FOUND"},
		{"POST", "POST", gw + triggerRoute, key, 405, "METHOD_NOT_ALLOWED"},
		{"a bad field", "GET", gw + triggerRoute + "?fields=id,secret", key, 400, "BAD_REQUEST"},
		{"a user's field", "GET", gw + triggerRoute + "?fields=biography", key, 400, "BAD_REQUEST"},
		{"a bad field, without a key", "GET", gw + triggerRoute + "?fields=secret", nil, 400, "BAD_REQUEST"},
		{"a state twice", "GET", gw + triggerRoute + "?state=" + state + "&state=" + state, key, 400, "BAD_REQUEST"},
		{"a tampered state", "GET", gw + triggerRoute + "?state=" + flipLast(state), key, 400, "BAD_REQUEST"},
		{"a state that is not base64url", "GET", gw + triggerRoute + "?state=" + url.QueryEscape(state+"+/"), key, 400, "BAD_REQUEST"},
		{"a state too long", "GET", gw + triggerRoute + "?state=" + strings.Repeat("A", triggers.MaxStateLen+1), key, 400, "BAD_REQUEST"},
		{"another connection's state", "GET", gw + triggerRoute + "?state=" + state, []string{"X-API-Key", other.APIKey}, 400, "BAD_REQUEST"},
		{"a state of another gateway's key", "GET", otherGW.URL + triggerRoute + "?state=" + state, key, 400, "BAD_REQUEST"},
		{"a bad Host", "GET", gw + triggerRoute, append([]string{"Host", "bad host"}, key...), 400, "BAD_REQUEST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.fake.Requests()
			a := get(t, tt.method, tt.url, tt.header...)
			if a.status != tt.status || a.code() != tt.code {
				t.Fatalf("%d %s, want %d %s", a.status, a.raw, tt.status, tt.code)
			}
			if tt.status != 202 && e.fake.Requests() != before {
				t.Fatal("a refused poll reached upstream")
			}
			if tt.status == 405 && a.header.Get("Allow") != "GET" {
				t.Fatalf("Allow %q", a.header.Get("Allow"))
			}
			if loc := a.header.Get("Location"); tt.status == 202 && (strings.Contains(loc, e.key) || strings.Contains(loc, "api_token")) {
				t.Fatalf("Location carries the key: %s", loc)
			}
		})
	}
}

// flipLast changes a base64url string's last character.
func flipLast(s string) string {
	if strings.HasSuffix(s, "A") {
		return s[:len(s)-1] + "B"
	}
	return s[:len(s)-1] + "A"
}

// Location is built on the public URL, carries the caller's fields and no
// key; Retry-After is the configured interval, or 1 s while media wait.
func TestTriggerLocationAndFields(t *testing.T) {
	e := newTriggerEnv(t, 1, func(o *Options) {
		o.PublicURL = "https://gw.example.com"
		o.TriggerInterval = 90 * time.Second
		o.TriggerLimits = triggers.Limits{MaxBatch: 2}
	})
	pa := &powerAutomate{t: t, replicas: e.replicas, public: "https://gw.example.com", header: []string{"X-API-Key", e.key}, interval: 90}
	pa.next = "https://gw.example.com" + triggerRoute + "?fields=caption,+caption&api_token=" + e.key
	a := pa.poll()
	loc, _ := url.Parse(a.header.Get("Location"))
	if a.status != 202 || a.header.Get("Retry-After") != "90" || loc.Query().Get("fields") != "caption" || loc.Query().Get("state") == "" {
		t.Fatalf("%d %v", a.status, a.header)
	}
	e.fake.AddMedia(fakegraph.DemoUserID, 3)
	if a := pa.poll(); a.status != 200 || len(a.body.Value) != 2 || a.header.Get("Retry-After") != "1" {
		t.Fatalf("%d %v %s", a.status, a.header, a.raw)
	}
	if a := pa.poll(); a.status != 200 || len(a.body.Value) != 1 || a.header.Get("Retry-After") != "90" {
		t.Fatalf("%d %v %s", a.status, a.header, a.raw)
	}
	for _, it := range pa.items {
		if len(it) != 3 || it["id"] == nil || it["caption"] == nil || it["timestamp"] == nil {
			t.Fatalf("fields=caption: %v", it)
		}
	}
}

// Instagram's throttling during a poll answers 429, and the gateway holds
// the connection's next calls as it does for actions.
func TestTriggerUpstreamThrottle(t *testing.T) {
	e := newTriggerEnv(t, 1, nil)
	pa := &powerAutomate{t: t, replicas: e.replicas, header: []string{"X-API-Key", e.key}, interval: 60}
	pa.poll()
	e.fake.Throttle(fakegraph.DemoUserID, 613, 2*time.Minute)
	a := get(t, "GET", pa.next, "X-API-Key", e.key)
	if a.status != 429 || a.code() != "RATE_LIMITED" || a.header.Get("Retry-After") != "120" {
		t.Fatalf("%d %v %s", a.status, a.header, a.raw)
	}
	before := e.fake.Requests()
	if a := get(t, "GET", pa.next, "X-API-Key", e.key); a.status != 429 || e.fake.Requests() != before {
		t.Fatalf("not held: %d %s", a.status, a.raw)
	}
}

func TestWithFields(t *testing.T) {
	tests := []struct{ fields, want string }{
		{"caption", "caption,id,timestamp"},
		{"id,caption", "id,caption,timestamp"},
		{"timestamp,id", "timestamp,id"},
		{"", "id,timestamp"},
	}
	for _, tt := range tests {
		if got := withFields(tt.fields, "id", "timestamp"); got != tt.want {
			t.Errorf("withFields(%q) = %q, want %q", tt.fields, got, tt.want)
		}
	}
}

func TestTriggerPath(t *testing.T) {
	tests := []struct {
		rest, path, version string
		graph, ok           bool
	}{
		{"/triggers/new-media", "triggers/new-media", "v21.0", false, true},
		{"/v19.0/triggers/new-media/", "triggers/new-media", "v19.0", false, true},
		{"/triggers", "triggers", "v21.0", false, true},
		{"/graph/v21.0/triggers/new-media", "triggers/new-media", "v21.0", true, true},
		{"/v21.0/me/media", "", "", false, false},
		{"/v21.0/triggersx/new-media", "", "", false, false},
		{"/v21.0/123/triggers", "", "", false, false},
		{"", "", "", false, false},
	}
	for _, tt := range tests {
		rest, graph := tt.rest, false
		if strings.HasPrefix(rest, graphPrefix+"/") { // as route strips it
			rest, graph = rest[len(graphPrefix):], true
		}
		path, version, ok := triggerPath(rest, "v21.0")
		if !ok {
			graph = false
		}
		if path != tt.path || version != tt.version || graph != tt.graph || ok != tt.ok {
			t.Errorf("triggerPath(%q) = %q %q %v %v", tt.rest, path, version, graph, ok)
		}
	}
}

// Every trigger of the connector is documented as a batch trigger and
// answers where the served definition says (its basePath and path), with
// value an array of media in its 200 schema.
func TestTriggersAnswerWhereDocumented(t *testing.T) {
	e := newTriggerEnv(t, 1, nil)
	resp, err := http.Get(e.replicas[0] + "/swagger/doc.json")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var def struct {
		BasePath    string                               `json:"basePath"`
		Paths       map[string]map[string]map[string]any `json:"paths"`
		Definitions map[string]struct {
			Properties map[string]map[string]any `json:"properties"`
		} `json:"definitions"`
	}
	if err := json.Unmarshal(raw, &def); err != nil {
		t.Fatal(err)
	}
	for _, tr := range instagram.Triggers() {
		t.Run(tr.OperationID, func(t *testing.T) {
			var path string
			var op map[string]any
			for p, item := range def.Paths {
				for method, o := range item {
					if o["operationId"] == tr.OperationID && method == "get" {
						path, op = p, o
					}
				}
			}
			if op == nil || op["x-ms-trigger"] != "batch" || "/"+tr.Path != path {
				t.Fatalf("documented at %q: %v", path, op)
			}
			if a := get(t, "GET", e.replicas[0]+def.BasePath+path, "X-API-Key", e.key); a.status != 202 || a.header.Get("Location") == "" {
				t.Fatalf("%s%s: %d %s", def.BasePath, path, a.status, a.raw)
			}
			responses := op["responses"].(map[string]any)
			ok := responses["200"].(map[string]any)
			ref := ok["schema"].(map[string]any)["$ref"].(string)
			value := def.Definitions[strings.TrimPrefix(ref, "#/definitions/")].Properties["value"]
			items, _ := value["items"].(map[string]any)
			if value["type"] != "array" || items["$ref"] == nil && items["properties"] == nil || responses["202"] == nil {
				t.Fatalf("responses %v, value %v", responses, value)
			}
		})
	}
}
