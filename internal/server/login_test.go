package server

// Instagram Login over HTTP (contract §9): connect links, their pages and
// the callback in a browser (a cookie jar), and the gateway's OAuth server
// (authorize, token, access tokens on action calls), in front of the fake's
// Instagram consent, on both stores.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/ulule/limiter/v3"

	"github.com/igconnect/gateway/internal/connections"
	"github.com/igconnect/gateway/internal/connectors/instagram"
	"github.com/igconnect/gateway/internal/fakegraph"
	"github.com/igconnect/gateway/internal/fakegraph/fakegraphtest"
	"github.com/igconnect/gateway/internal/limits"
	"github.com/igconnect/gateway/internal/oauth"
	"github.com/igconnect/gateway/internal/redistest"
	"github.com/igconnect/gateway/internal/secret"
	"github.com/igconnect/gateway/internal/store"
	"github.com/igconnect/gateway/internal/store/boltstore"
	"github.com/igconnect/gateway/internal/store/redisstore"
)

const (
	lgAppID     = "9876543210987"
	lgAppSecret = "lg-app-secret-0123456789abcdef0123"
)

var (
	lgPA = oauth.Client{ID: "power-automate", Secret: "lg-pa-secret-0123456789abcdef0123",
		RedirectURIs: []string{"https://global.consent.azure-apim.net/redirect"}}
	lgPublic = oauth.Client{ID: "public-app", RedirectURIs: []string{"https://app.example.com/cb"}}
)

func lgEachStore(t *testing.T, f func(t *testing.T, open func(t *testing.T) store.Store)) {
	t.Run("bolt", func(t *testing.T) { f(t, lgBolt) })
	t.Run("redis", func(t *testing.T) { f(t, lgRedis) })
}

func lgBolt(t *testing.T) store.Store {
	t.Helper()
	st, err := boltstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func lgRedis(t *testing.T) store.Store {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: redistest.Start(t).Addr})
	t.Cleanup(func() { rdb.Close() })
	return redisstore.New(rdb)
}

// lgGateway is the gateway with Instagram Login on the fake, served on a
// loopback port.
type lgGateway struct {
	url, fakeURL string
	fake         *fakegraph.Server
	svc          *oauth.Service
	conns        *connections.Service
	st           store.Store
}

// lgNewGateway serves the gateway on st with a limit of perMinute calls a
// connection; with may change its Options.
func lgNewGateway(t *testing.T, st store.Store, perMinute int64, with ...func(*Options)) *lgGateway {
	t.Helper()
	fake, fakeURL := fakegraphtest.Start(t, 10*time.Millisecond)
	fake.SetApp(lgAppID, lgAppSecret)
	sealer, err := secret.NewSealer(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	conn := instagram.New(&instagram.Client{BaseURL: fakeURL, HTTP: instagram.NewHTTPClient(5 * time.Second)}, "v21.0", 2*time.Second)
	conn.PollInterval = 10 * time.Millisecond
	conn.AppSecret = lgAppSecret
	conns := connections.New(st, sealer, conn)
	login := &instagram.Login{
		AppID: lgAppID, AppSecret: lgAppSecret,
		AuthorizeURL: fakeURL + "/oauth/authorize", TokenURL: fakeURL + "/oauth/access_token",
		Scopes: []string{"instagram_business_basic"}, HTTP: instagram.NewHTTPClient(5 * time.Second),
	}
	svc := oauth.New(st, conns, login, []oauth.Client{lgPA, lgPublic}, "http://placeholder.invalid", nil)
	opts := Options{
		Connections: conns, Connector: conn, AdminToken: adminToken,
		Limiter: limits.NewMemory(limiter.Rate{Limit: perMinute, Period: time.Minute, Formatted: fmt.Sprintf("%d-M", perMinute)}),
		OAuth:   svc, ConsentOrigin: fakeURL,
	}
	for _, f := range with {
		f(&opts)
	}
	srv := New(opts)
	gw := httptest.NewServer(srv)
	t.Cleanup(gw.Close)
	svc.Base = gw.URL
	return &lgGateway{url: gw.URL, fakeURL: fakeURL, fake: fake, svc: svc, conns: conns, st: st}
}

func (g *lgGateway) count(t *testing.T) int {
	t.Helper()
	list, err := g.st.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

// lgAnswer is an HTTP answer, read.
type lgAnswer struct {
	status  int
	header  http.Header
	body    string
	cookies []*http.Cookie
}

func (a lgAnswer) location(t *testing.T) *url.URL {
	t.Helper()
	loc := a.header.Get("Location")
	u, err := url.Parse(loc)
	if loc == "" || err != nil {
		t.Fatalf("no Location: %d %v %s", a.status, a.header, a.body)
	}
	return u
}

func (a lgAnswer) String() string { return fmt.Sprintf("%d %v %.500s", a.status, a.header, a.body) }

// lgBrowser is a browser: a cookie jar, redirects shown rather than
// followed.
type lgBrowser struct {
	c *http.Client
}

func lgNewBrowser(t *testing.T) *lgBrowser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &lgBrowser{c: &http.Client{
		Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// do sends a request; body (with its Content-Type) when not nil; header
// pairs.
func (b *lgBrowser) do(t *testing.T, method, target string, body io.Reader, header ...string) lgAnswer {
	t.Helper()
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return lgAnswer{status: resp.StatusCode, header: resp.Header, body: string(raw), cookies: resp.Cookies()}
}

func (b *lgBrowser) get(t *testing.T, target string) lgAnswer {
	t.Helper()
	return b.do(t, "GET", target, nil)
}

func (b *lgBrowser) postForm(t *testing.T, target string, form url.Values) lgAnswer {
	t.Helper()
	return b.do(t, "POST", target, strings.NewReader(form.Encode()), "Content-Type", "application/x-www-form-urlencoded")
}

// lgPageHeaders asserts the headers of every sign-in page and redirect.
func (g *lgGateway) pageHeaders(t *testing.T, what string, a lgAnswer) {
	t.Helper()
	lgPageHeaders(t, what, a, g.fakeURL)
}

func lgPageHeaders(t *testing.T, what string, a lgAnswer, consentOrigin string) {
	t.Helper()
	csp := a.header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: Content-Security-Policy %q lacks %s", what, csp, want)
		}
	}
	if consentOrigin != "" && !strings.Contains(csp, "form-action 'self' "+consentOrigin) {
		t.Errorf("%s: Content-Security-Policy %q does not let the form lead to Instagram's consent %s", what, csp, consentOrigin)
	}
	for _, tok := range strings.FieldsFunc(csp, func(r rune) bool { return r == ' ' || r == ';' }) {
		switch {
		case strings.Contains(tok, "unsafe-"), strings.Contains(tok, "*"), tok == "http:", tok == "https:", tok == "data:", tok == "blob:":
			t.Errorf("%s: Content-Security-Policy %q allows %s", what, csp, tok)
		}
	}
	for h, want := range map[string]string{
		"X-Frame-Options": "DENY", "Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff",
	} {
		if got := a.header.Get(h); got != want {
			t.Errorf("%s: %s %q, want %q", what, h, got, want)
		}
	}
	if a.status >= 300 && a.status < 400 {
		return
	}
	if ct := a.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("%s: Content-Type %q", what, ct)
	}
	// No script and no external asset; the inline style is the one the
	// policy names by its hash.
	if m := lgActiveMarkup.FindString(a.body); m != "" {
		t.Errorf("%s: the page holds %s", what, m)
	}
	m := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(a.body)
	if m == nil {
		t.Errorf("%s: no style", what)
		return
	}
	sum := sha256.Sum256([]byte(m[1]))
	if h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, "style-src "+h) {
		t.Errorf("%s: the page's style is not the one the policy allows (%s)", what, h)
	}
	if !strings.Contains(a.body, `name="viewport"`) {
		t.Errorf("%s: no viewport: not readable on a phone", what)
	}
}

// wantPage asserts a an HTML page at status with title in its heading.
func (g *lgGateway) wantPage(t *testing.T, what string, a lgAnswer, status int, title string) {
	t.Helper()
	if a.status != status || !strings.Contains(a.body, title) {
		t.Fatalf("%s: %s, want %d %q", what, a, status, title)
	}
	g.pageHeaders(t, what, a)
}

// newLink asks the admin API for a connect link.
func (g *lgGateway) newLink(t *testing.T, body string) string {
	t.Helper()
	a := lgNewBrowser(t).do(t, "POST", g.url+"/admin/connect-links", strings.NewReader(body), "Authorization", "Bearer "+adminToken, "Content-Type", "application/json")
	var env struct {
		Data struct {
			URL       string    `json:"url"`
			ExpiresAt time.Time `json:"expires_at"`
		} `json:"data"`
	}
	if a.status != http.StatusCreated || json.Unmarshal([]byte(a.body), &env) != nil || !strings.HasPrefix(env.Data.URL, g.url+"/connect/") || env.Data.ExpiresAt.IsZero() {
		t.Fatalf("connect link: %s", a)
	}
	if a.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("a connect link's answer may be cached: %v", a.header)
	}
	return env.Data.URL
}

// consent answers Instagram's consent at consentURL in b as userID with
// decision, and returns the gateway callback URL Instagram sends b to.
func (g *lgGateway) consent(t *testing.T, b *lgBrowser, consentURL *url.URL, userID, decision string) string {
	t.Helper()
	if consentURL.Scheme+"://"+consentURL.Host != g.fakeURL {
		t.Fatalf("consent at %s, not Instagram's (%s)", consentURL, g.fakeURL)
	}
	if a := b.get(t, consentURL.String()); a.status != 200 || !strings.Contains(a.body, `id="consent"`) {
		t.Fatalf("consent page: %s", a)
	}
	q := consentURL.Query()
	a := b.postForm(t, g.fakeURL+"/oauth/authorize", url.Values{
		"client_id": {q.Get("client_id")}, "redirect_uri": {q.Get("redirect_uri")}, "scope": {q.Get("scope")},
		"state": {q.Get("state")}, "user_id": {userID}, "decision": {decision},
	})
	if a.status != http.StatusFound {
		t.Fatalf("consent answer: %s", a)
	}
	cb := a.location(t)
	if cb.Scheme+"://"+cb.Host+cb.Path != g.url+oauth.CallbackPath {
		t.Fatalf("Instagram sends the browser to %s", cb)
	}
	return cb.String()
}

// startLink opens link in b, presses its button and answers Instagram's
// consent: the callback URL, not visited yet.
func (g *lgGateway) startLink(t *testing.T, b *lgBrowser, link, userID, decision string) string {
	t.Helper()
	page := b.get(t, link)
	g.wantPage(t, "connect page", page, http.StatusOK, "Connect an Instagram account")
	action := "/connect/" + strings.TrimPrefix(link, g.url+"/connect/")
	if !strings.Contains(page.body, `action="`+action+`"`) || !strings.Contains(page.body, `method="post"`) {
		t.Fatalf("the page's form does not post to its link: %s", page.body)
	}
	a := b.postForm(t, g.url+action, nil)
	if a.status != http.StatusSeeOther {
		t.Fatalf("the button: %s", a)
	}
	g.pageHeaders(t, "the button's redirect", a)
	var cookie *http.Cookie
	for _, c := range a.cookies {
		if strings.HasPrefix(c.Name, "igw_signin_") {
			cookie = c
		}
	}
	if cookie == nil || len(cookie.Value) < 43 || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode ||
		cookie.Path != oauth.CallbackPath || cookie.MaxAge <= 0 || cookie.MaxAge > int(oauth.StateLifetime.Seconds()) {
		t.Fatalf("the sign-in's cookie: %+v", cookie)
	}
	consentURL := a.location(t)
	if strings.Contains(consentURL.String(), cookie.Value) {
		t.Fatal("the consent URL carries the browser's cookie")
	}
	return g.consent(t, b, consentURL, userID, decision)
}

// lgActiveMarkup finds a script, an external asset, or an inline style or
// handler attribute in a page.
var lgActiveMarkup = regexp.MustCompile(`(?i)<(script|link|img|iframe|object|embed|base)\b|<[^>]*\s(src|href|style|on[a-z]+)\s*=`)

var lgAPIKey = regexp.MustCompile(`id="api-key">([^<]+)</code>`)

// finish visits callback in b and returns the API key the result page
// shows ("" for a reconnection).
func (g *lgGateway) finish(t *testing.T, b *lgBrowser, callback string) string {
	t.Helper()
	a := b.get(t, callback)
	g.wantPage(t, "result page", a, http.StatusOK, "Account connected")
	cleared := false
	for _, c := range a.cookies {
		cleared = cleared || (strings.HasPrefix(c.Name, "igw_signin_") && c.MaxAge < 0)
	}
	if !cleared {
		t.Errorf("the callback does not clear the sign-in cookie: %v", a.header["Set-Cookie"])
	}
	if m := lgAPIKey.FindStringSubmatch(a.body); m != nil {
		return m[1]
	}
	if !strings.Contains(a.body, `id="reconnected"`) {
		t.Fatalf("a result page with neither a key nor a reconnection: %s", a.body)
	}
	return ""
}

// call makes an action call with header (name, value) and returns its
// answer.
func (g *lgGateway) call(t *testing.T, header ...string) lgAnswer {
	t.Helper()
	return lgNewBrowser(t).do(t, "GET", g.url+"/instagram/v21.0/me", nil, header...)
}

// A link in a browser: the page, the button, Instagram's consent, the
// result page with the key (which works); the same account with another
// link: reconnected, key unchanged and still working.
func TestConnectLinkOverHTTP(t *testing.T) {
	lgEachStore(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		g := lgNewGateway(t, open(t), 1000)
		b := lgNewBrowser(t)
		link := g.newLink(t, `{"name":"Shop front","ttl":"2h"}`)
		callback := g.startLink(t, b, link, fakegraph.DemoUserID, "allow")
		key := g.finish(t, b, callback)
		if !strings.HasPrefix(key, "igw_") {
			t.Fatalf("key %q", key)
		}
		if a := g.call(t, "X-API-Key", key); a.status != 200 || !strings.Contains(a.body, fakegraph.DemoUserID) {
			t.Fatalf("the new key: %s", a)
		}

		// Spent: the link, and the callback URL.
		g.wantPage(t, "used link", b.get(t, link), http.StatusGone, "This link no longer works")
		g.wantPage(t, "used link's button", b.postForm(t, link, nil), http.StatusGone, "This link no longer works")
		g.wantPage(t, "replayed callback", b.get(t, callback), http.StatusBadRequest, "expired or was already used")
		if n := g.count(t); n != 1 {
			t.Fatalf("%d connections", n)
		}

		// The same account again, another link, another browser.
		b2 := lgNewBrowser(t)
		if again := g.finish(t, b2, g.startLink(t, b2, g.newLink(t, `{}`), fakegraph.DemoUserID, "allow")); again != "" {
			t.Fatalf("a reconnection shows a key: %q", again)
		}
		if a := g.call(t, "Authorization", "Bearer "+key); a.status != 200 {
			t.Fatalf("the key after the reconnection: %s", a)
		}
		if n := g.count(t); n != 1 {
			t.Fatalf("%d connections after a reconnection", n)
		}
	})
}

func TestConnectLinkRequests(t *testing.T) {
	g := lgNewGateway(t, lgBolt(t), 1000)
	tests := []struct {
		name, body string
		header     []string
		status     int
	}{
		{"no admin token", `{}`, nil, 401},
		{"an API key is no admin token", `{}`, []string{"Authorization", "Bearer igw_x"}, 401},
		{"ttl under a minute", `{"ttl":"30s"}`, []string{"Authorization", "Bearer " + adminToken}, 400},
		{"ttl over thirty days", `{"ttl":"721h"}`, []string{"Authorization", "Bearer " + adminToken}, 400},
		{"ttl not a duration", `{"ttl":"tomorrow"}`, []string{"Authorization", "Bearer " + adminToken}, 400},
		{"unknown field", `{"nam":"x"}`, []string{"Authorization", "Bearer " + adminToken}, 400},
		{"not JSON", `name=x`, []string{"Authorization", "Bearer " + adminToken}, 400},
		{"control character in name", `{"name":"a\u0007b"}`, []string{"Authorization", "Bearer " + adminToken}, 400},
		{"no body", ``, []string{"Authorization", "Bearer " + adminToken}, 201},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := lgNewBrowser(t).do(t, "POST", g.url+"/admin/connect-links", strings.NewReader(tt.body), append(tt.header, "Content-Type", "application/json")...)
			if a.status != tt.status || a.header.Get("Cache-Control") != "no-store" {
				t.Fatalf("%s, want %d", a, tt.status)
			}
		})
	}
}

// The attacks on a link's sign-in, in browsers: each an error page; the
// link keeps working; nothing is stored.
func TestConnectCallbackAttacksOverHTTP(t *testing.T) {
	lgEachStore(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		g := lgNewGateway(t, open(t), 1000)
		t.Run("callback URL used in another browser", func(t *testing.T) {
			victim, attacker := lgNewBrowser(t), lgNewBrowser(t)
			link := g.newLink(t, `{}`)
			callback := g.startLink(t, victim, link, fakegraph.DemoUserID, "allow")
			g.wantPage(t, "another browser", attacker.get(t, callback), http.StatusBadRequest, "started in another browser")
			g.wantPage(t, "the victim after it", victim.get(t, callback), http.StatusBadRequest, "expired or was already used")
			if g.count(t) != 0 || g.fake.CodeExchanges(fakegraph.DemoUserID) != 0 {
				t.Fatal("stored, or Instagram's code exchanged")
			}
			g.wantPage(t, "the link", victim.get(t, link), http.StatusOK, "Connect an Instagram account")
		})
		t.Run("the attacker's sign-in finished by the victim", func(t *testing.T) {
			// The attacker starts a sign-in of their link and lures the
			// victim to Instagram's consent with it: the victim's browser
			// holds no cookie for it.
			attacker, victim := lgNewBrowser(t), lgNewBrowser(t)
			page := attacker.postForm(t, g.newLink(t, `{}`), nil)
			callback := g.consent(t, victim, page.location(t), fakegraph.OtherUserID, "allow")
			g.wantPage(t, "lured victim", victim.get(t, callback), http.StatusBadRequest, "started in another browser")
			g.wantPage(t, "the attacker after it", attacker.get(t, callback), http.StatusBadRequest, "expired or was already used")
			if g.count(t) != 0 {
				t.Fatal("stored")
			}
		})
		t.Run("forged state", func(t *testing.T) {
			b := lgNewBrowser(t)
			callback, _ := url.Parse(g.startLink(t, b, g.newLink(t, `{}`), fakegraph.DemoUserID, "allow"))
			q := callback.Query()
			q.Set("state", "forged-"+q.Get("state"))
			callback.RawQuery = q.Encode()
			g.wantPage(t, "forged state", b.get(t, callback.String()), http.StatusBadRequest, "expired or was already used")
			g.wantPage(t, "no state", b.get(t, g.url+oauth.CallbackPath+"?code=x"), http.StatusBadRequest, "cannot be finished")
			if g.count(t) != 0 {
				t.Fatal("stored")
			}
		})
		t.Run("denied consent", func(t *testing.T) {
			b := lgNewBrowser(t)
			link := g.newLink(t, `{}`)
			g.wantPage(t, "denied", b.get(t, g.startLink(t, b, link, fakegraph.DemoUserID, "deny")), http.StatusForbidden, "Access was not allowed")
			if g.count(t) != 0 {
				t.Fatal("stored")
			}
			if key := g.finish(t, b, g.startLink(t, b, link, fakegraph.DemoUserID, "allow")); key == "" {
				t.Fatal("the link did not connect after a denial")
			}
		})
		t.Run("unknown link", func(t *testing.T) {
			b := lgNewBrowser(t)
			g.wantPage(t, "unknown link", b.get(t, g.url+"/connect/"+strings.Repeat("A", 43)), http.StatusGone, "This link no longer works")
			g.wantPage(t, "unknown link's button", b.postForm(t, g.url+"/connect/"+strings.Repeat("A", 43), nil), http.StatusGone, "This link no longer works")
		})
	})
}

// lgCode runs an authorization request in b through Instagram's consent
// and returns the redirect to the client.
func (g *lgGateway) authorize(t *testing.T, b *lgBrowser, q url.Values, userID string) *url.URL {
	t.Helper()
	a := b.get(t, g.url+"/oauth2/authorize?"+q.Encode())
	if a.status != http.StatusSeeOther {
		t.Fatalf("authorize: %s", a)
	}
	g.pageHeaders(t, "authorize's redirect", a)
	back := b.get(t, g.consent(t, b, a.location(t), userID, "allow"))
	if back.status != http.StatusFound {
		t.Fatalf("callback: %s", back)
	}
	g.pageHeaders(t, "the redirect to the client", back)
	return back.location(t)
}

// token posts form to /oauth2/token with basic credentials (none when id
// is empty) and decodes the JSON answer.
func (g *lgGateway) token(t *testing.T, form url.Values, id, secret string) (lgAnswer, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", g.url+"/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(id, secret)
	}
	return lgTokenAnswer(t, req)
}

func lgTokenAnswer(t *testing.T, req *http.Request) (lgAnswer, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := lgAnswer{status: resp.StatusCode, header: resp.Header, body: string(raw)}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("token answer not JSON: %s", a)
	}
	if a.header.Get("Cache-Control") != "no-store" || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
		t.Errorf("token answer headers: %v", a.header)
	}
	return a, m
}

// lgTokens asserts m is RFC 6749 §5.1's answer and returns its tokens.
func lgTokens(t *testing.T, a lgAnswer, m map[string]any) (access, refresh string) {
	t.Helper()
	if a.status != 200 || len(m) != 4 || m["token_type"] != "Bearer" || m["expires_in"] != float64(3600) {
		t.Fatalf("token answer: %s", a)
	}
	access, _ = m["access_token"].(string)
	refresh, _ = m["refresh_token"].(string)
	if !strings.HasPrefix(access, oauth.AccessTokenPrefix) || !strings.HasPrefix(refresh, oauth.RefreshTokenPrefix) {
		t.Fatalf("token answer: %s", a)
	}
	return access, refresh
}

// lgOAuthError asserts an RFC 6749 §5.2 error answer.
func lgOAuthError(t *testing.T, a lgAnswer, m map[string]any, status int, code string) {
	t.Helper()
	if a.status != status || m["error"] != code || len(m) != 2 {
		t.Fatalf("%s, want %d %s", a, status, code)
	}
	if d, ok := m["error_description"].(string); !ok || d == "" {
		t.Fatalf("no error_description: %s", a)
	}
}

func lgPKCE() (verifier, challenge string) {
	verifier = strings.Repeat("v", 20) + "-._~" + fmt.Sprint(time.Now().UnixNano())
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// The OAuth server in a browser and over HTTP: authorize, consent, code,
// token; the access token authenticates action calls (Authorization:
// Bearer) against the same limit as the connection's API key.
func TestOAuthServerOverHTTP(t *testing.T) {
	lgEachStore(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		g := lgNewGateway(t, open(t), 3)
		b := lgNewBrowser(t)
		key := g.finish(t, b, g.startLink(t, b, g.newLink(t, `{}`), fakegraph.DemoUserID, "allow"))

		verifier, challenge := lgPKCE()
		back := g.authorize(t, b, url.Values{
			"response_type": {"code"}, "client_id": {lgPA.ID}, "redirect_uri": {lgPA.RedirectURIs[0]},
			"state": {"pa-state"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"},
		}, fakegraph.DemoUserID)
		if back.Scheme+"://"+back.Host+back.Path != lgPA.RedirectURIs[0] || back.Query().Get("state") != "pa-state" {
			t.Fatalf("redirect to the client: %s", back)
		}
		a, m := g.token(t, url.Values{
			"grant_type": {"authorization_code"}, "code": {back.Query().Get("code")},
			"redirect_uri": {lgPA.RedirectURIs[0]}, "code_verifier": {verifier},
		}, lgPA.ID, lgPA.Secret)
		access, _ := lgTokens(t, a, m)
		if a.header.Get("Pragma") != "no-cache" {
			t.Errorf("Pragma %q", a.header.Get("Pragma"))
		}

		// One limit of 3 a minute for the key and the token.
		calls := []struct {
			name   string
			header []string
			status int
			left   string
		}{
			{"API key", []string{"X-API-Key", key}, 200, "2"},
			{"access token", []string{"Authorization", "Bearer " + access}, 200, "1"},
			{"API key again", []string{"Authorization", "Bearer " + key}, 200, "0"},
			{"access token again", []string{"Authorization", "Bearer " + access}, 429, "0"},
			{"API key over the limit", []string{"X-API-Key", key}, 429, "0"},
		}
		for _, c := range calls {
			a := g.call(t, c.header...)
			if a.status != c.status || a.header.Get("X-RateLimit-Remaining") != c.left {
				t.Fatalf("%s: %s, want %d with %s left", c.name, a, c.status, c.left)
			}
			if c.status == 200 && !strings.Contains(a.body, fakegraph.DemoUserID) {
				t.Fatalf("%s: %s", c.name, a)
			}
		}
		if n := g.count(t); n != 1 {
			t.Fatalf("%d connections, want one: the key's and the token's", n)
		}
	})
}

// A spent refresh token used again revokes the grant: the newest access
// token stops authenticating action calls and the newest refresh token
// stops refreshing.
func TestRefreshReuseRevokesOverHTTP(t *testing.T) {
	lgEachStore(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		g := lgNewGateway(t, open(t), 1000)
		b := lgNewBrowser(t)
		back := g.authorize(t, b, url.Values{"response_type": {"code"}, "client_id": {lgPA.ID}, "redirect_uri": {lgPA.RedirectURIs[0]}}, fakegraph.DemoUserID)
		a, m := g.token(t, url.Values{"grant_type": {"authorization_code"}, "code": {back.Query().Get("code")}, "redirect_uri": {lgPA.RedirectURIs[0]}}, lgPA.ID, lgPA.Secret)
		_, r1 := lgTokens(t, a, m)
		// client_secret_post this time.
		post := func(rt string) (lgAnswer, map[string]any) {
			return g.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {lgPA.ID}, "client_secret": {lgPA.Secret}}, "", "")
		}
		a2, m2 := post(r1)
		a2t, r2 := lgTokens(t, a2, m2)
		if a := g.call(t, "Authorization", "Bearer "+a2t); a.status != 200 {
			t.Fatalf("the refreshed access token: %s", a)
		}
		a, m = post(r1)
		lgOAuthError(t, a, m, 400, "invalid_grant")
		if a := g.call(t, "Authorization", "Bearer "+a2t); a.status != 401 {
			t.Fatalf("the newest access token of a revoked grant: %s", a)
		}
		a, m = post(r2)
		lgOAuthError(t, a, m, 400, "invalid_grant")
	})
}

// The token endpoint's errors: RFC 6749 §5.2 JSON, never cached.
func TestTokenEndpointErrorsOverHTTP(t *testing.T) {
	lgEachStore(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		g := lgNewGateway(t, open(t), 1000)
		b := lgNewBrowser(t)
		back := g.authorize(t, b, url.Values{"response_type": {"code"}, "client_id": {lgPA.ID}, "redirect_uri": {lgPA.RedirectURIs[0]}}, fakegraph.DemoUserID)
		code := back.Query().Get("code")
		reg := lgPA.RedirectURIs[0]
		grant := url.Values{"grant_type": {"authorization_code"}, "code": {"not-a-code"}, "redirect_uri": {reg}}
		with := func(k, v string) url.Values {
			f := url.Values{}
			for kk, vv := range grant {
				f[kk] = vv
			}
			if v == "" {
				f.Del(k)
			} else {
				f.Set(k, v)
			}
			return f
		}
		req := func(body, contentType, id, secret string) *http.Request {
			r, _ := http.NewRequest("POST", g.url+"/oauth2/token", strings.NewReader(body))
			if contentType != "" {
				r.Header.Set("Content-Type", contentType)
			}
			if id != "" {
				r.SetBasicAuth(id, secret)
			}
			return r
		}
		form := "application/x-www-form-urlencoded"
		tests := []struct {
			name         string
			req          *http.Request
			status       int
			err          string
			wwwAuthBasic bool
		}{
			{"wrong secret by basic", req(grant.Encode(), form, lgPA.ID, lgPA.Secret+"x"), 401, "invalid_client", true},
			{"unknown client by basic", req(grant.Encode(), form, "evil", "x"), 401, "invalid_client", true},
			{"wrong secret in the body", req(with("client_id", lgPA.ID).Encode()+"&client_secret=nope", form, "", ""), 401, "invalid_client", false},
			{"unknown client in the body", req(with("client_id", "evil").Encode(), form, "", ""), 401, "invalid_client", false},
			{"no client", req(grant.Encode(), form, "", ""), 401, "invalid_client", false},
			{"basic and client_secret in the body", req(grant.Encode()+"&client_secret="+lgPA.Secret, form, lgPA.ID, lgPA.Secret), 400, "invalid_request", false},
			{"unsupported grant_type", req(with("grant_type", "password").Encode(), form, lgPA.ID, lgPA.Secret), 400, "unsupported_grant_type", false},
			{"missing grant_type", req(with("grant_type", "").Encode(), form, lgPA.ID, lgPA.Secret), 400, "invalid_request", false},
			{"JSON body", req(`{"grant_type":"authorization_code","code":"x"}`, "application/json", lgPA.ID, lgPA.Secret), 400, "invalid_request", false},
			{"no Content-Type", req(grant.Encode(), "", lgPA.ID, lgPA.Secret), 400, "invalid_request", false},
			{"multipart body", req("--x\r\n", "multipart/form-data; boundary=x", lgPA.ID, lgPA.Secret), 400, "invalid_request", false},
			{"client credentials in the query only", func() *http.Request {
				r := req(grant.Encode(), form, "", "")
				r.URL.RawQuery = url.Values{"client_id": {lgPA.ID}, "client_secret": {lgPA.Secret}}.Encode()
				return r
			}(), 401, "invalid_client", false},
			{"form with a charset", req(grant.Encode(), form+"; charset=UTF-8", lgPA.ID, lgPA.Secret), 400, "invalid_grant", false},
			{"forged code", req(grant.Encode(), form, lgPA.ID, lgPA.Secret), 400, "invalid_grant", false},
			{"redirect_uri given twice", req(with("code", code).Encode()+"&redirect_uri=x", form, lgPA.ID, lgPA.Secret), 400, "invalid_request", false},
			{"code with redirect_uri one character off", req(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {reg[:len(reg)-1] + "X"}}.Encode(), form, lgPA.ID, lgPA.Secret), 400, "invalid_grant", false},
			{"the same code with the right redirect_uri", req(with("code", code).Encode(), form, lgPA.ID, lgPA.Secret), 400, "invalid_grant", false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				a, m := lgTokenAnswer(t, tt.req)
				lgOAuthError(t, a, m, tt.status, tt.err)
				if got := a.header.Get("WWW-Authenticate"); tt.wwwAuthBasic && !strings.HasPrefix(got, "Basic ") {
					t.Fatalf("WWW-Authenticate %q, want Basic", got)
				}
			})
		}
		if a := lgNewBrowser(t).get(t, g.url+"/oauth2/token"); a.status != http.StatusMethodNotAllowed {
			t.Fatalf("GET /oauth2/token: %s", a)
		}
	})
}

// /oauth2/authorize never sends the browser to a redirect_uri that is not
// registered, even one character off: an error page instead. A fault in an
// otherwise trusted request goes back to the client.
func TestAuthorizeOverHTTP(t *testing.T) {
	g := lgNewGateway(t, lgBolt(t), 1000)
	reg := lgPA.RedirectURIs[0]
	_, challenge := lgPKCE()
	tests := []struct {
		name  string
		query url.Values
		// status: 400 an error page; 302 an error back to the client.
		status int
		err    string
	}{
		{"redirect_uri one character off", url.Values{"response_type": {"code"}, "client_id": {lgPA.ID}, "redirect_uri": {reg[:len(reg)-1] + "x"}, "state": {"s"}}, 400, ""},
		{"redirect_uri with a trailing slash", url.Values{"response_type": {"code"}, "client_id": {lgPA.ID}, "redirect_uri": {reg + "/"}, "state": {"s"}}, 400, ""},
		{"unknown client", url.Values{"response_type": {"code"}, "client_id": {"evil"}, "redirect_uri": {reg}, "state": {"s"}}, 400, ""},
		{"public client without PKCE", url.Values{"response_type": {"code"}, "client_id": {lgPublic.ID}, "redirect_uri": {lgPublic.RedirectURIs[0]}, "state": {"s"}}, 302, "invalid_request"},
		{"code_challenge_method plain", url.Values{"response_type": {"code"}, "client_id": {lgPA.ID}, "redirect_uri": {reg}, "state": {"s"}, "code_challenge": {challenge}, "code_challenge_method": {"plain"}}, 302, "invalid_request"},
		{"response_type token", url.Values{"response_type": {"token"}, "client_id": {lgPA.ID}, "redirect_uri": {reg}, "state": {"s"}}, 302, "unsupported_response_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := lgNewBrowser(t).get(t, g.url+"/oauth2/authorize?"+tt.query.Encode())
			if tt.status == 400 {
				g.wantPage(t, tt.name, a, 400, "This sign-in request is not valid")
				if a.header.Get("Location") != "" || len(a.cookies) != 0 {
					t.Fatalf("an untrusted request redirects or binds a browser: %v", a.header)
				}
				return
			}
			if a.status != 302 {
				t.Fatalf("%s", a)
			}
			g.pageHeaders(t, tt.name, a)
			u := a.location(t)
			if u.Scheme+"://"+u.Host+u.Path != tt.query.Get("redirect_uri") || u.Query().Get("error") != tt.err || u.Query().Get("state") != "s" {
				t.Fatalf("redirect %s, want error %s", u, tt.err)
			}
		})
	}
}

// Every page, and every redirect, of Instagram Login carries the page
// headers; the connect page escapes the link's name.
func TestLoginPagesHeadersAndEscaping(t *testing.T) {
	g := lgNewGateway(t, lgBolt(t), 1000)
	b := lgNewBrowser(t)
	name := `<script>alert("x")</script><img src=x onerror=alert(1)>&amp;`
	body, _ := json.Marshal(map[string]string{"name": name})
	link := g.newLink(t, string(body))
	page := b.get(t, link)
	g.wantPage(t, "connect page", page, 200, "Connect an Instagram account")
	if strings.Contains(page.body, "<script") || strings.Contains(page.body, "<img") ||
		!strings.Contains(page.body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&amp;amp;") {
		t.Fatalf("the name is not escaped: %s", page.body)
	}
	callback := g.startLink(t, b, link, fakegraph.DemoUserID, "allow") // checks the button's redirect
	g.finish(t, b, callback)                                           // checks the result page
	pages := map[string]lgAnswer{
		"used link":       b.get(t, link),
		"unknown link":    b.get(t, g.url+"/connect/nope"),
		"replayed state":  b.get(t, callback),
		"no state":        b.get(t, g.url+oauth.CallbackPath),
		"authorize error": b.get(t, g.url+"/oauth2/authorize?client_id=evil"),
		"authorize":       b.get(t, g.url+"/oauth2/authorize?response_type=code&client_id="+lgPA.ID),
	}
	for what, a := range pages {
		if a.status == 200 {
			t.Errorf("%s: %s", what, a)
		}
		g.pageHeaders(t, what, a)
	}
}

// Without Instagram Login configured, every route of §9 answers 404.
func TestLoginRoutesWithoutInstagramLogin(t *testing.T) {
	e := newEnv(t) // Options.OAuth is nil
	b := lgNewBrowser(t)
	tests := []struct {
		name, method, path, body, contentType string
		page                                  bool
	}{
		{"connect links", "POST", "/admin/connect-links", `{}`, "application/json", false},
		{"connect page", "GET", "/connect/" + strings.Repeat("A", 43), "", "", true},
		{"connect button", "POST", "/connect/" + strings.Repeat("A", 43), "", "application/x-www-form-urlencoded", true},
		{"callback", "GET", oauth.CallbackPath + "?code=x&state=y", "", "", true},
		{"authorize", "GET", "/oauth2/authorize?response_type=code&client_id=power-automate", "", "", true},
		{"token", "POST", "/oauth2/token", "grant_type=authorization_code&code=x", "application/x-www-form-urlencoded", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := b.do(t, tt.method, e.url+tt.path, strings.NewReader(tt.body), "Content-Type", tt.contentType, "Authorization", "Bearer "+adminToken)
			if a.status != http.StatusNotFound {
				t.Fatalf("%s", a)
			}
			if tt.page {
				lgPageHeaders(t, tt.name, a, "")
				if a.header.Get("Set-Cookie") != "" || a.header.Get("Location") != "" {
					t.Fatalf("%s", a)
				}
				return
			}
			var env struct {
				Data struct{ Error struct{ Code string } }
			}
			if json.Unmarshal([]byte(a.body), &env) != nil || env.Data.Error.Code != "NOT_FOUND" {
				t.Fatalf("%s", a)
			}
		})
	}
	// An access token is no key without Instagram Login.
	if a := b.do(t, "GET", e.url+"/instagram/v21.0/me", nil, "Authorization", "Bearer "+oauth.AccessTokenPrefix+strings.Repeat("A", 43)); a.status != 401 {
		t.Fatalf("%s", a)
	}
}

// lgLog is a concurrency-safe log buffer.
type lgLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lgLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lgLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// The gateway's log never holds a secret of a sign-in: not a link's token
// (in its path), a state, a cookie, a code, a token, a key nor a verifier,
// even when Instagram's error echoes them.
func TestLoginSecretsNeverLogged(t *testing.T) {
	logs := &lgLog{}
	g := lgNewGateway(t, lgBolt(t), 1000, func(o *Options) {
		o.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	secrets := map[string]string{"client secret": lgPA.Secret, "Instagram app secret": lgAppSecret}
	b := lgNewBrowser(t)
	cookieOf := func() string {
		u, _ := url.Parse(g.url + oauth.CallbackPath)
		for _, c := range b.c.Jar.Cookies(u) {
			if strings.HasPrefix(c.Name, "igw_signin_") {
				return c.Value
			}
		}
		t.Fatal("no sign-in cookie")
		return ""
	}

	// A link whose first exchange Instagram refuses, echoing the code and
	// the app secret; then a success.
	link := g.newLink(t, `{}`)
	secrets["link token"] = strings.TrimPrefix(link, g.url+"/connect/")
	callback := g.startLink(t, b, link, fakegraph.DemoUserID, "allow")
	cb, _ := url.Parse(callback)
	secrets["failed sign-in's Instagram code"], secrets["failed sign-in's state"], secrets["failed sign-in's cookie"] =
		cb.Query().Get("code"), cb.Query().Get("state"), cookieOf()
	g.fake.SetFault(&fakegraph.Fault{
		Match: func(r *http.Request) bool { return r.URL.Path == "/oauth/access_token" },
		Handle: func(rw http.ResponseWriter, r *http.Request) {
			r.ParseForm()
			rw.WriteHeader(http.StatusInternalServerError)
			io.WriteString(rw, `{"error_type":"OAuthException","code":500,"error_message":"code `+r.PostForm.Get("code")+` secret `+r.PostForm.Get("client_secret")+`"}`)
		},
	})
	g.wantPage(t, "failed exchange", b.get(t, callback), http.StatusServiceUnavailable, "unavailable")
	g.fake.SetFault(nil)
	callback = g.startLink(t, b, link, fakegraph.DemoUserID, "allow")
	cb, _ = url.Parse(callback)
	secrets["Instagram code"], secrets["state"], secrets["cookie"] = cb.Query().Get("code"), cb.Query().Get("state"), cookieOf()
	secrets["API key"] = g.finish(t, b, callback)
	g.call(t, "X-API-Key", secrets["API key"])
	g.call(t, "Authorization", "Bearer "+secrets["API key"]+"x")

	// The OAuth server.
	verifier, challenge := lgPKCE()
	secrets["PKCE verifier"] = verifier
	back := g.authorize(t, b, url.Values{"response_type": {"code"}, "client_id": {lgPA.ID}, "redirect_uri": {lgPA.RedirectURIs[0]},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}}, fakegraph.DemoUserID)
	secrets["gateway code"] = back.Query().Get("code")
	a, m := g.token(t, url.Values{"grant_type": {"authorization_code"}, "code": {secrets["gateway code"]}, "redirect_uri": {lgPA.RedirectURIs[0]}, "code_verifier": {verifier}}, lgPA.ID, lgPA.Secret)
	secrets["access token"], secrets["refresh token"] = lgTokens(t, a, m)
	g.token(t, url.Values{"grant_type": {"authorization_code"}, "code": {secrets["gateway code"]}, "redirect_uri": {lgPA.RedirectURIs[0]}, "code_verifier": {verifier}}, lgPA.ID, lgPA.Secret)
	g.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {secrets["refresh token"]}}, lgPA.ID, lgPA.Secret+"x")
	g.call(t, "Authorization", "Bearer "+secrets["access token"])
	g.call(t, "Authorization", "Bearer "+secrets["access token"]+"x")

	out := logs.String()
	if !strings.Contains(out, `"path":"/connect/:token"`) || !strings.Contains(out, `"path":"/oauth2/token"`) {
		t.Fatalf("the log does not hold the sign-in's requests: %s", out)
	}
	for name, v := range secrets {
		if v == "" {
			t.Fatalf("secret %s is empty: the test lost it", name)
		}
		if strings.Contains(out, v) {
			t.Errorf("the log holds the %s", name)
		}
	}
}

// Behind HTTPS (GATEWAY_PUBLIC_URL https://…) the sign-in's cookie is
// Secure.
func TestSignInCookieSecureBehindHTTPS(t *testing.T) {
	g := lgNewGateway(t, lgBolt(t), 1000)
	link := g.newLink(t, `{}`)
	token := strings.TrimPrefix(link, g.url+"/connect/")
	g.svc.Base = "https://gateway.example.test"
	a := lgNewBrowser(t).postForm(t, g.url+"/connect/"+token, nil)
	if a.status != http.StatusSeeOther {
		t.Fatalf("%s", a)
	}
	for _, c := range a.cookies {
		if strings.HasPrefix(c.Name, "igw_signin_") {
			if !c.Secure || !c.HttpOnly {
				t.Fatalf("cookie %+v", c)
			}
			if got := a.location(t).Query().Get("redirect_uri"); got != "https://gateway.example.test"+oauth.CallbackPath {
				t.Fatalf("Instagram's redirect_uri %q", got)
			}
			return
		}
	}
	t.Fatalf("no sign-in cookie: %v", a.header)
}

// Two sign-ins started in one browser (two tabs, two links) both finish:
// each has its own cookie. (With one cookie name, the second overwrote
// the first, whose tab then read "started in another browser".)
func TestTwoSignInsInOneBrowser(t *testing.T) {
	g := lgNewGateway(t, lgBolt(t), 1000)
	b := lgNewBrowser(t)
	first := g.startLink(t, b, g.newLink(t, `{}`), fakegraph.DemoUserID, "allow")
	second := g.startLink(t, b, g.newLink(t, `{}`), fakegraph.OtherUserID, "allow")
	for i, cb := range []string{first, second} {
		if key := g.finish(t, b, cb); !strings.HasPrefix(key, "igw_") {
			t.Fatalf("sign-in %d: key %q", i+1, key)
		}
	}
	if n := g.count(t); n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}
}

// A client whose secret holds characters that HTTP Basic form-encodes
// (RFC 6749 §2.3.1) authenticates with the encoded form and the raw one.
func TestTokenBasicCredentialsFormDecoded(t *testing.T) {
	secret := "s3cr3t+with/odd=chars&more:0123"
	g := lgNewGateway(t, lgBolt(t), 1000, func(o *Options) {
		o.OAuth.Clients["odd"] = oauth.Client{ID: "odd", Secret: secret, RedirectURIs: []string{"https://odd.example/cb"}}
	})
	for _, creds := range [][2]string{{"odd", url.QueryEscape(secret)}, {"odd", secret}} {
		a, m := g.token(t, url.Values{"grant_type": {"authorization_code"}, "code": {"none"}, "redirect_uri": {"https://odd.example/cb"}}, creds[0], creds[1])
		// Authenticated: the code is what fails.
		lgOAuthError(t, a, m, 400, "invalid_grant")
	}
}

// A link's token never reaches the log, whatever the method or path under
// it (a mail scanner's HEAD answered 405 logged it once).
func TestLinkTokenNeverLoggedOnAnyMethod(t *testing.T) {
	logs := &lgLog{}
	g := lgNewGateway(t, lgBolt(t), 1000, func(o *Options) {
		o.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	link := g.newLink(t, `{}`)
	tok := strings.TrimPrefix(link, g.url+"/connect/")
	b := lgNewBrowser(t)
	for _, m := range []string{"HEAD", "PUT", "OPTIONS", "DELETE", "PATCH"} {
		b.do(t, m, link, nil)
	}
	b.get(t, link+"/more")
	b.get(t, link)
	if strings.Contains(logs.String(), tok) {
		t.Fatalf("the link's token is in the log:\n%s", logs)
	}
}

// Behind a proxy that serves the gateway under a path (GATEWAY_PUBLIC_URL
// https://host/prefix), the page's form and the sign-in cookie carry it.
func TestConnectUnderBasePath(t *testing.T) {
	g := lgNewGateway(t, lgBolt(t), 1000)
	link := g.newLink(t, `{}`)
	tok := strings.TrimPrefix(link, g.url+"/connect/")
	g.svc.Base = "https://gw.example/prefix"
	b := lgNewBrowser(t)
	page := b.get(t, g.url+"/connect/"+tok)
	if !strings.Contains(page.body, `action="/prefix/connect/`+tok+`"`) {
		t.Fatalf("the form does not post under the prefix: %s", page.body)
	}
	start := b.postForm(t, g.url+"/connect/"+tok, nil)
	if sc := start.header.Get("Set-Cookie"); !strings.Contains(sc, "Path=/prefix/connect/callback") || !strings.Contains(sc, "Secure") {
		t.Fatalf("cookie %q", sc)
	}
	if u := start.location(t); u.Query().Get("redirect_uri") != "https://gw.example/prefix/connect/callback" {
		t.Fatalf("redirect_uri %q", u.Query().Get("redirect_uri"))
	}
}

// Starting a sign-in needs no credential and writes to the store: an
// address may start only as many as its failed-authentication budget
// allows, then gets 429 with Retry-After, and writes nothing.
func TestSignInStartsLimitedPerAddress(t *testing.T) {
	g := lgNewGateway(t, lgBolt(t), 1000, func(o *Options) {
		o.AuthFailures = limits.NewMemoryAuthFailures(limiter.Rate{Limit: 2, Period: time.Minute})
	})
	b := lgNewBrowser(t)
	link := g.newLink(t, `{}`)
	for i := range 2 {
		if a := b.postForm(t, link, nil); a.status != http.StatusSeeOther {
			t.Fatalf("start %d: %s", i+1, a)
		}
	}
	a := b.postForm(t, link, nil)
	g.wantPage(t, "third start", a, http.StatusTooManyRequests, "Too many sign-ins")
	if a.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	q := url.Values{"response_type": {"code"}, "client_id": {lgPA.ID}, "redirect_uri": {lgPA.RedirectURIs[0]}, "state": {"s"}}
	g.wantPage(t, "authorize", b.get(t, g.url+"/oauth2/authorize?"+q.Encode()), http.StatusTooManyRequests, "Too many sign-ins")
}
