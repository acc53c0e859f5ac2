package e2e

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/igconnect/gateway/internal/fakegraph"
)

// Real-browser tests: headless Chromium, driven by chromedp, walks the
// pages people see when they connect an Instagram account (contract §9):
// a connect link, Instagram's consent (the fake's), the result and error
// pages, and Power Automate's sign-in through the gateway's OAuth server.
// The browser runs the pages as shipped: their Content-Security-Policy,
// cookies, redirects and form posts.
//
// Screenshots go to the test's artifact directory (a temporary directory
// unless go test runs with -artifacts) and, when SCREENSHOTS_DIR is set,
// the documented ones also to that directory:
//
//	SCREENSHOTS_DIR=$PWD/docs/screenshots go test -count=1 -run TestBrowser ./e2e/

const (
	// browserTestTimeout bounds a whole browser test; browserStepTimeout
	// each of its steps in the browser.
	browserTestTimeout = 90 * time.Second
	browserStepTimeout = 20 * time.Second

	// The phone-like viewport of the screenshots.
	browserWidth, browserHeight = 420, 900

	browserAppID     = "1234567890123456"
	browserAppSecret = "browser-app-secret-0123456789abcdef"
)

// documentedShots are the screenshots README shows (docs/screenshots/),
// written to SCREENSHOTS_DIR when it is set.
var documentedShots = []string{"connect-link.png", "consent.png", "connected.png", "denied.png", "reconnected.png", "link-used.png"}

// browser is a headless Chromium with one tab, and what its console said.
type browser struct {
	t   *testing.T
	ctx context.Context
	out *syncBuffer // Chromium's output and chromedp's log

	mu      sync.Mutex
	console []string
}

// newBrowser starts headless Chromium (the Debian package's `chromium`)
// with a fresh profile and a phone-sized viewport, and stops it when the
// test ends. A missing Chromium fails the test.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium not found: install Debian's chromium package (apt-get install -y chromium), as scripts/test does")
	}
	dir := t.TempDir()
	b := &browser{t: t, out: &syncBuffer{}}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.DisableGPU,
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.WindowSize(browserWidth, browserHeight),
		chromedp.Env("HOME="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "XDG_CACHE_HOME="+filepath.Join(dir, "cache")),
		chromedp.CombinedOutput(b.out),
	)
	if os.Geteuid() == 0 {
		// Chromium's sandbox refuses to run as root.
		opts = append(opts, chromedp.NoSandbox)
	}
	testCtx, cancelTest := context.WithTimeout(context.Background(), browserTestTimeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(testCtx, opts...)
	logf := func(format string, args ...any) { fmt.Fprintf(b.out, format+"\n", args...) }
	ctx, cancelTab := chromedp.NewContext(allocCtx,
		chromedp.WithListener(b.listen),
		chromedp.WithLogf(logf), chromedp.WithErrorf(logf),
		chromedp.WithBrowserOption(chromedp.WithBrowserLogf(logf), chromedp.WithBrowserErrorf(logf)),
	)
	t.Cleanup(func() {
		var tree []int
		if c := chromedp.FromContext(ctx); c != nil && c.Browser != nil && c.Browser.Process() != nil {
			tree = processTree(c.Browser.Process().Pid)
		}
		cancelTab()
		cancelAlloc() // waits for Chromium to exit
		cancelTest()
		// Chromium's helpers (zygote, renderers) end with it.
		deadline := time.Now().Add(10 * time.Second)
		for len(liveProcesses(tree)) > 0 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if left := liveProcesses(tree); len(left) > 0 {
			t.Errorf("Chromium processes %v still run after the test", left)
		}
		if t.Failed() {
			var lines []string
			for _, l := range strings.Split(b.out.String(), "\n") {
				if !strings.Contains(l, "dbus") { // no system bus in a container: noise
					lines = append(lines, l)
				}
			}
			t.Logf("Chromium's output:\n%s", strings.Join(lines, "\n"))
			t.Logf("the browser's console:\n%s", strings.Join(b.messages(), "\n"))
		}
	})
	// The first action starts the browser; it gets the test's context, not
	// a step's, which would stop the browser when the step ends.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(browserWidth, browserHeight, chromedp.EmulatePortrait)); err != nil {
		t.Fatalf("starting chromium: %v\n%s", err, b.out)
	}
	b.ctx = ctx
	return b
}

// processTree is pid and its descendants, from /proc (empty elsewhere).
func processTree(pid int) []int {
	parent := map[int]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, ok := procStat(p); ok {
			parent[p] = st.ppid
		}
	}
	tree := []int{pid}
	for i := 0; i < len(tree); i++ {
		for p, pp := range parent {
			if pp == tree[i] {
				tree = append(tree, p)
			}
		}
	}
	return tree
}

// liveProcesses are the pids that still run (a zombie does not).
func liveProcesses(pids []int) []int {
	var out []int
	for _, p := range pids {
		if st, ok := procStat(p); ok && st.state != "Z" && st.state != "X" {
			out = append(out, p)
		}
	}
	return out
}

type procState struct {
	state string
	ppid  int
}

// procStat reads /proc/pid/stat: "pid (comm) state ppid …".
func procStat(pid int) (procState, bool) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procState{}, false
	}
	s := string(raw)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procState{}, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return procState{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	return procState{state: f[0], ppid: ppid}, true
}

// listen records the console: the browser's log (where Content-Security-
// Policy violations show), console calls and exceptions. It runs on
// chromedp's reading goroutine, so it only appends.
func (b *browser) listen(ev any) {
	var line string
	switch e := ev.(type) {
	case *log.EventEntryAdded:
		line = fmt.Sprintf("log %s/%s %s: %s", e.Entry.Source, e.Entry.Level, e.Entry.URL, e.Entry.Text)
	case *runtime.EventConsoleAPICalled:
		var parts []string
		for _, a := range e.Args {
			parts = append(parts, string(a.Value)+a.Description)
		}
		line = fmt.Sprintf("console %s: %s", e.Type, strings.Join(parts, " "))
	case *runtime.EventExceptionThrown:
		line = "exception: " + e.ExceptionDetails.Text
	default:
		return
	}
	b.mu.Lock()
	b.console = append(b.console, line)
	b.mu.Unlock()
}

func (b *browser) messages() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.console)
}

// violations are the console's Content-Security-Policy violations. The
// pages run no script, so any "Refused to …" is one.
func (b *browser) violations() []string {
	var out []string
	for _, m := range b.messages() {
		if strings.Contains(m, "Refused to") || strings.Contains(m, "Content Security Policy") {
			out = append(out, m)
		}
	}
	return out
}

// noViolations fails the test if the console reported a CSP violation.
func (b *browser) noViolations() {
	b.t.Helper()
	if v := b.violations(); len(v) > 0 {
		b.t.Errorf("the browser reported Content-Security-Policy violations:\n%s", strings.Join(v, "\n"))
	}
}

// do runs steps within browserStepTimeout.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// browserRun runs one action that returns a value within
// browserStepTimeout.
func browserRun[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// navigate opens u and returns the document's response (after redirects).
func (b *browser) navigate(u string) *network.Response {
	b.t.Helper()
	return browserRun(b, "opening "+u, chromedp.NavigateResponse(u))
}

// submit runs steps that submit a form, and returns the response of the
// document the navigation ends on.
func (b *browser) submit(what string, steps ...chromedp.Action[chromedp.Void]) *network.Response {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return resp
}

// text is the text of the element with id.
func (b *browser) text(id string) string {
	b.t.Helper()
	return strings.TrimSpace(browserRun(b, "reading #"+id, chromedp.Text(chromedp.ID(id), chromedp.NodeVisible)))
}

// present tells whether the page has an element with id.
func (b *browser) present(id string) bool {
	b.t.Helper()
	return browserRun(b, "looking for #"+id, chromedp.Evaluate[bool](fmt.Sprintf("document.getElementById(%q) !== null", id)))
}

// location is the tab's URL.
func (b *browser) location() string {
	b.t.Helper()
	return browserRun(b, "reading the location", chromedp.Location())
}

// checkGatewayPage checks a gateway page's security headers and that its
// inline style applied under its Content-Security-Policy: the computed
// styles are the style sheet's, not the browser's defaults.
func (b *browser) checkGatewayPage(resp *network.Response, wantStatus int64) {
	b.t.Helper()
	if resp.Status != wantStatus {
		b.t.Errorf("%s: HTTP %d, want %d", resp.URL, resp.Status, wantStatus)
	}
	csp, _ := header(resp, "Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "style-src 'sha256-", "form-action 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			b.t.Errorf("%s: Content-Security-Policy %q lacks %q", resp.URL, csp, want)
		}
	}
	if xfo, _ := header(resp, "X-Frame-Options"); xfo != "DENY" {
		b.t.Errorf("%s: X-Frame-Options %q", resp.URL, xfo)
	}
	styles := browserRun(b, "reading computed styles", chromedp.Evaluate[map[string]string](`({
		background: getComputedStyle(document.body).backgroundColor,
		font: getComputedStyle(document.body).fontSize,
		main: getComputedStyle(document.querySelector('main')).backgroundColor,
	})`))
	want := map[string]string{"background": "rgb(245, 246, 247)", "font": "16px", "main": "rgb(255, 255, 255)"}
	for k, v := range want {
		if styles[k] != v {
			b.t.Errorf("%s: the page's style did not apply (blocked by its CSP?): computed %v, want %v", resp.URL, styles, want)
			break
		}
	}
}

// header reads a response header, whatever its case.
func header(resp *network.Response, name string) (string, bool) {
	for k, v := range resp.Headers {
		if strings.EqualFold(k, name) {
			s, _ := v.(string)
			return s, true
		}
	}
	return "", false
}

// shot saves a screenshot of the whole page as name in the test's artifact
// directory and, for a documented one, in SCREENSHOTS_DIR when it is set.
func (b *browser) shot(name string) {
	b.t.Helper()
	png := browserRun(b, "screenshot "+name, chromedp.FullScreenshot(100))
	dirs := []string{b.t.ArtifactDir()}
	if d := os.Getenv("SCREENSHOTS_DIR"); d != "" && slices.Contains(documentedShots, name) {
		if err := os.MkdirAll(d, 0o755); err != nil {
			b.t.Fatal(err)
		}
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		if err := os.WriteFile(filepath.Join(d, name), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
}

// freeAddr is a free loopback address.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// startLoginGateway starts a gateway with Instagram Login on the fake
// (its app set) and extra env. Its public URL is its own loopback address,
// so Instagram's callback comes back to it.
func startLoginGateway(t *testing.T, f *fakegraph.Server, fakeURL string, extra map[string]string) *gateway {
	t.Helper()
	f.SetApp(browserAppID, browserAppSecret)
	addr := freeAddr(t)
	env := map[string]string{
		"GATEWAY_ADDR": addr, "GATEWAY_PUBLIC_URL": "http://" + addr,
		"GATEWAY_DATA_DIR": t.TempDir(), "GATEWAY_ENCRYPTION_KEY": newKey(), "GATEWAY_ADMIN_TOKEN": adminToken,
		"GATEWAY_INSTAGRAM_URL":           fakeURL,
		"GATEWAY_INSTAGRAM_APP_ID":        browserAppID,
		"GATEWAY_INSTAGRAM_APP_SECRET":    browserAppSecret,
		"GATEWAY_INSTAGRAM_AUTHORIZE_URL": fakeURL + "/oauth/authorize",
		"GATEWAY_INSTAGRAM_TOKEN_URL":     fakeURL + "/oauth/access_token",
	}
	for k, v := range extra {
		env[k] = v
	}
	g := startGateway(t, env)
	if g.URL != "http://"+addr {
		t.Fatalf("gateway listens on %s, want http://%s", g.URL, addr)
	}
	return g
}

// newConnectLink has the admin API issue a connect link.
func newConnectLink(t *testing.T, g *gateway, name string) string {
	t.Helper()
	a := admin(t, "POST", g.URL+"/admin/connect-links", `{"name":"`+name+`","ttl":"24h"}`)
	u, _ := a.Data()["url"].(string)
	if a.Status != 201 || !strings.HasPrefix(u, g.URL+"/connect/") {
		t.Fatalf("POST /admin/connect-links: %d %s", a.Status, a.Raw)
	}
	return u
}

// connectionCount is how many connections the admin API lists.
func connectionCount(t *testing.T, g *gateway) int {
	t.Helper()
	a := admin(t, "GET", g.URL+"/admin/connections", "")
	list, ok := a.Body["data"].([]any)
	if a.Status != 200 || !ok {
		t.Fatalf("GET /admin/connections: %d %s", a.Status, a.Raw)
	}
	return len(list)
}

// meID calls GET /instagram/v21.0/me with the credential in header or
// query, and returns the status and the account's ID.
func meID(t *testing.T, g *gateway, query string, header ...string) (int, string) {
	t.Helper()
	a := call(t, "GET", g.URL+"/instagram/v21.0/me"+query, nil, header...)
	id, _ := a.Data()["id"].(string)
	return a.Status, id
}

// connectInBrowser walks a connect link in b: its page, Instagram's
// consent as user, and back to the result page, whose #connection-id it
// waits for. shots names the screenshots of the link's page and of the
// consent ("" for none).
func connectInBrowser(b *browser, link, user, linkShot, consentShot string) *network.Response {
	b.t.Helper()
	resp := b.navigate(link)
	b.do("the link's page", chromedp.WaitVisible(chromedp.ID("connect")))
	b.checkGatewayPage(resp, 200)
	if got := b.text("title"); got != "Connect an Instagram account" {
		b.t.Errorf("the link's page title: %q", got)
	}
	if linkShot != "" {
		b.shot(linkShot)
	}
	b.do("Continue with Instagram", chromedp.Click(chromedp.ID("connect")), chromedp.WaitVisible(chromedp.ID("allow")))
	b.do("choosing "+user, chromedp.WaitVisible(chromedp.ID("user_id")), chromedp.SetValue(chromedp.ID("user_id"), user))
	if got := browserRun(b, "reading the account", chromedp.Value(chromedp.ID("user_id"))); got != user {
		b.t.Fatalf("the consent's account is %q, want %q", got, user)
	}
	if consentShot != "" {
		b.shot(consentShot)
	}
	return b.submit("Allow as "+user, chromedp.WaitVisible(chromedp.ID("allow")), chromedp.Click(chromedp.ID("allow")))
}

// A connect link in a real browser: its page, Instagram's consent (a
// chosen account), the result page with the key, which works; the link
// then no longer works. The pages' style applies under their CSP, and the
// browser reports no violation.
func TestBrowserConnectLink(t *testing.T) {
	f, fakeURL := startFake(t)
	g := startLoginGateway(t, f, fakeURL, nil)
	link := newConnectLink(t, g, "Shop account")
	b := newBrowser(t)

	resp := connectInBrowser(b, link, fakegraph.OtherUserID, "connect-link.png", "consent.png")
	b.do("the result page", chromedp.WaitVisible(chromedp.ID("api-key")))
	b.checkGatewayPage(resp, 200)
	if !strings.HasPrefix(resp.URL, g.URL+"/connect/callback?") {
		t.Errorf("the result page is at %s, want the gateway's callback", resp.URL)
	}
	if cc, _ := header(resp, "Cache-Control"); cc != "no-store" {
		t.Errorf("the result page's Cache-Control: %q", cc)
	}
	if got := b.text("title"); got != "Account connected" {
		t.Errorf("the result page's title: %q", got)
	}
	key, username, connID := b.text("api-key"), b.text("username"), b.text("connection-id")
	if !strings.HasPrefix(key, "igw_") || username != "@sandbox_other" || !strings.HasPrefix(connID, "conn_") {
		t.Fatalf("the result page shows key %.8s…, username %q, connection %q", key, username, connID)
	}
	if b.present("reconnected") {
		t.Error("a new connection's result page says it is reconnected")
	}
	b.shot("connected.png")

	if status, id := meID(t, g, "?api_token="+key); status != 200 || id != fakegraph.OtherUserID {
		t.Errorf("GET /me with the page's key: %d, account %q, want 200 and %s", status, id, fakegraph.OtherUserID)
	}
	if n := connectionCount(t, g); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}

	// The link is spent.
	resp = b.navigate(link)
	b.do("the spent link's page", chromedp.WaitVisible(chromedp.ID("message")))
	b.checkGatewayPage(resp, http.StatusGone)
	if got := b.text("title"); got != "This link no longer works" {
		t.Errorf("the spent link's title: %q", got)
	}
	if b.present("connect") {
		t.Error("the spent link's page still has the connect button")
	}
	b.shot("link-used.png")

	b.noViolations()
	assertNoSecrets(t, []string{key, browserAppSecret}, g)
	// The link is a secret too (whoever has it connects an account): its
	// token must appear in no log line and no metric.
	token := strings.TrimPrefix(link, g.URL+"/connect/")
	for _, line := range strings.Split(g.stderr.String(), "\n") {
		if strings.Contains(line, token) {
			t.Errorf("the gateway's log carries the connect link's token: %.160s…", strings.ReplaceAll(line, token, token[:6]+"…"))
			break
		}
	}
	if raw := rawGet(t, g.URL+"/metrics"); strings.Contains(raw, token) || strings.Contains(raw, key) {
		t.Error("/metrics carries the connect link's token or the connection's key")
	}
}

// rawGet is the body of a GET of u.
func rawGet(t *testing.T, u string) string {
	t.Helper()
	resp, err := client.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return string(raw)
}

// Deny at Instagram's consent: an error page says access was not allowed
// (HTTP 403), nothing is stored, and the link still works.
func TestBrowserConnectDeny(t *testing.T) {
	f, fakeURL := startFake(t)
	g := startLoginGateway(t, f, fakeURL, nil)
	link := newConnectLink(t, g, "")
	b := newBrowser(t)

	resp := b.navigate(link)
	b.do("the link's page", chromedp.WaitVisible(chromedp.ID("connect")))
	b.checkGatewayPage(resp, 200)
	b.do("Continue with Instagram", chromedp.Click(chromedp.ID("connect")), chromedp.WaitVisible(chromedp.ID("deny")))
	resp = b.submit("Deny", chromedp.Click(chromedp.ID("deny")))
	b.do("the error page", chromedp.WaitVisible(chromedp.ID("message")))
	b.checkGatewayPage(resp, http.StatusForbidden)
	if got := b.text("title"); got != "Access was not allowed" {
		t.Errorf("the error page's title after Deny: %q", got)
	}
	if msg := b.text("message"); !strings.Contains(msg, "link still works") {
		t.Errorf("the error page's message after Deny: %q", msg)
	}
	b.shot("denied.png")

	resp = b.navigate(link)
	b.do("the link's page again", chromedp.WaitVisible(chromedp.ID("connect")))
	b.checkGatewayPage(resp, 200)
	if got := b.text("title"); got != "Connect an Instagram account" {
		t.Errorf("the link after Deny: title %q", got)
	}
	if n := connectionCount(t, g); n != 0 {
		t.Errorf("%d connections after Deny, want none", n)
	}
	if n := f.CodeExchanges(fakegraph.DemoUserID); n != 0 {
		t.Errorf("%d code exchanges after Deny", n)
	}
	b.noViolations()
}

// The same Instagram account connected through two links: the second
// result page says it is reconnected and shows no key, the first key keeps
// working, and there is one connection.
func TestBrowserReconnect(t *testing.T) {
	f, fakeURL := startFake(t)
	g := startLoginGateway(t, f, fakeURL, nil)
	link1, link2 := newConnectLink(t, g, "first"), newConnectLink(t, g, "second")
	b := newBrowser(t)

	connectInBrowser(b, link1, fakegraph.OtherUserID, "", "")
	b.do("the first result page", chromedp.WaitVisible(chromedp.ID("api-key")))
	key, connID := b.text("api-key"), b.text("connection-id")

	resp := connectInBrowser(b, link2, fakegraph.OtherUserID, "", "")
	b.do("the second result page", chromedp.WaitVisible(chromedp.ID("reconnected")))
	b.checkGatewayPage(resp, 200)
	if got := b.text("title"); got != "Account connected" {
		t.Errorf("the reconnect page's title: %q", got)
	}
	if b.present("api-key") {
		t.Error("the reconnect page shows an API key")
	}
	if html := browserRun(b, "reading the page", chromedp.OuterHTML(chromedp.CSS("html"))); strings.Contains(html, key) || strings.Contains(html, "igw_") {
		t.Error("the reconnect page carries the connection's key")
	}
	if got := b.text("username"); got != "@sandbox_other" {
		t.Errorf("the reconnect page's username: %q", got)
	}
	if got := b.text("connection-id"); got != connID {
		t.Errorf("the reconnect page's connection %q, want the first one's %q", got, connID)
	}
	b.shot("reconnected.png")

	if status, id := meID(t, g, "?api_token="+key); status != 200 || id != fakegraph.OtherUserID {
		t.Errorf("the first key after the reconnect: %d, account %q", status, id)
	}
	if n := connectionCount(t, g); n != 1 {
		t.Errorf("%d connections after the reconnect, want 1", n)
	}
	if n := f.CodeExchanges(fakegraph.OtherUserID); n != 2 {
		t.Errorf("%d code exchanges, want 2", n)
	}
	b.noViolations()
}

// pkcePair is a random PKCE verifier and its S256 challenge.
func pkcePair() (verifier, challenge string) {
	buf := make([]byte, 48)
	rand.Read(buf)
	verifier = base64.RawURLEncoding.EncodeToString(buf) // 64 characters
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// oauthTokenAnswer is POST /oauth2/token's answer.
type oauthTokenAnswer struct {
	Status                                      int
	AccessToken, TokenType, RefreshToken, Error string
	ExpiresIn                                   int
	Raw                                         string
}

// postToken posts form to /oauth2/token with HTTP Basic client
// authentication (client_secret_basic).
func postToken(t *testing.T, g *gateway, clientID, secret string, form url.Values) oauthTokenAnswer {
	t.Helper()
	req, err := http.NewRequest("POST", g.URL+"/oauth2/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var body struct {
		AccessToken  string `json:"access_token"`
		TokenType    string `json:"token_type"`
		ExpiresIn    int    `json:"expires_in"`
		RefreshToken string `json:"refresh_token"`
		Error        string `json:"error"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("POST /oauth2/token: %d %q is not JSON", resp.StatusCode, raw)
	}
	return oauthTokenAnswer{Status: resp.StatusCode, AccessToken: body.AccessToken, TokenType: body.TokenType,
		RefreshToken: body.RefreshToken, Error: body.Error, ExpiresIn: body.ExpiresIn, Raw: string(raw)}
}

// checkTokens checks a successful token answer.
func checkTokens(t *testing.T, what string, a oauthTokenAnswer) {
	t.Helper()
	if a.Status != 200 || a.TokenType != "Bearer" || a.ExpiresIn != 3600 ||
		!strings.HasPrefix(a.AccessToken, "igwa_") || !strings.HasPrefix(a.RefreshToken, "igwr_") {
		t.Fatalf("%s: %d %s", what, a.Status, a.Raw)
	}
}

// Power Automate's sign-in, with a stand-in for its redirect endpoint: the
// browser opens /oauth2/authorize with a state and a PKCE challenge,
// allows at Instagram's consent, and lands on the redirect URI with a code
// and the same state. The code buys tokens that call actions; refresh
// tokens rotate, and reusing a spent one revokes the grant.
func TestBrowserPowerAutomate(t *testing.T) {
	type received struct{ query url.Values }
	got := make(chan received, 4)
	// The stand-in's page has a strict CSP that its own inline style
	// breaks: the browser must report that violation, which shows the
	// check for violations on the other pages can see one.
	standIn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/redirect" {
			http.NotFound(w, r)
			return
		}
		got <- received{r.URL.Query()}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'")
		io.WriteString(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Power Automate</title>`+
			`<style>body{background:#eee}</style></head><body><p id="done">Signed in. You can close this window.</p></body></html>`)
	}))
	defer standIn.Close()
	redirectURI := standIn.URL + "/redirect"
	const clientID, clientSecret = "pa", "pa-secret-0123456789abcdef"

	f, fakeURL := startFake(t)
	clients, _ := json.Marshal([]map[string]any{{"client_id": clientID, "client_secret": clientSecret, "redirect_uris": []string{redirectURI}}})
	g := startLoginGateway(t, f, fakeURL, map[string]string{"GATEWAY_OAUTH_CLIENTS": string(clients)})
	b := newBrowser(t)

	verifier, challenge := pkcePair()
	state := "pa-state-" + base64.RawURLEncoding.EncodeToString([]byte(time.Now().String()))
	q := url.Values{
		"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirectURI}, "state": {state},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"},
	}
	resp := b.navigate(g.URL + "/oauth2/authorize?" + q.Encode())
	b.do("Instagram's consent", chromedp.WaitVisible(chromedp.ID("allow")))
	if resp.Status != 200 || !strings.HasPrefix(resp.URL, fakeURL+"/oauth/authorize?") {
		t.Fatalf("/oauth2/authorize led to %d %s, want Instagram's consent", resp.Status, resp.URL)
	}
	b.shot("consent-oauth2.png")
	if v := b.violations(); len(v) > 0 {
		t.Fatalf("violations before the redirect: %v", v)
	}

	resp = b.submit("Allow", chromedp.Click(chromedp.ID("allow")))
	b.do("the redirect URI's page", chromedp.WaitVisible(chromedp.ID("done")))
	if resp.Status != 200 || !strings.HasPrefix(resp.URL, redirectURI+"?") || !strings.HasPrefix(b.location(), redirectURI+"?") {
		t.Errorf("after Allow: %d %s, want the redirect URI", resp.Status, resp.URL)
	}
	var r received
	select {
	case r = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("the redirect URI got no request")
	}
	code := r.query.Get("code")
	if r.query.Get("state") != state || code == "" || r.query.Has("error") {
		t.Fatalf("the redirect URI got %v, want a code and state %q", r.query, state)
	}

	// The stand-in's own violation shows up: the check sees violations.
	deadline := time.Now().Add(5 * time.Second)
	for len(b.violations()) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if v := b.violations(); len(v) == 0 || !strings.Contains(strings.Join(v, "\n"), "style") {
		t.Errorf("the stand-in's page breaks its own CSP with its inline style; the browser reported %v", v)
	}

	// The code buys tokens (client_secret_basic, PKCE).
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI}, "code_verifier": {verifier}}
	tok1 := postToken(t, g, clientID, clientSecret, form)
	checkTokens(t, "the code grant", tok1)
	if status, id := meID(t, g, "", "Authorization", "Bearer "+tok1.AccessToken); status != 200 || id != fakegraph.DemoUserID {
		t.Errorf("GET /me with the access token: %d, account %q", status, id)
	}

	// Refresh tokens rotate.
	tok2 := postToken(t, g, clientID, clientSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok1.RefreshToken}})
	checkTokens(t, "the refresh grant", tok2)
	if tok2.AccessToken == tok1.AccessToken || tok2.RefreshToken == tok1.RefreshToken {
		t.Error("the refresh grant gave the same tokens again")
	}
	if status, _ := meID(t, g, "", "Authorization", "Bearer "+tok2.AccessToken); status != 200 {
		t.Errorf("GET /me with the refreshed access token: %d", status)
	}

	// The spent refresh token reused: refused, and the grant is revoked.
	if a := postToken(t, g, clientID, clientSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok1.RefreshToken}}); a.Status != 400 || a.Error != "invalid_grant" {
		t.Errorf("the spent refresh token reused: %d %s", a.Status, a.Raw)
	}
	for _, at := range []string{tok2.AccessToken, tok1.AccessToken} {
		if status, _ := meID(t, g, "", "Authorization", "Bearer "+at); status != 401 {
			t.Errorf("GET /me with an access token of the revoked grant: %d, want 401", status)
		}
	}
	if a := postToken(t, g, clientID, clientSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok2.RefreshToken}}); a.Status != 400 || a.Error != "invalid_grant" {
		t.Errorf("the newest refresh token of the revoked grant: %d %s", a.Status, a.Raw)
	}
	// The code used again: refused (and, RFC 6749 §4.1.2, what it gave is
	// revoked: here, already).
	if a := postToken(t, g, clientID, clientSecret, form); a.Status != 400 || a.Error != "invalid_grant" {
		t.Errorf("the code used again: %d %s", a.Status, a.Raw)
	}
	if n := connectionCount(t, g); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
	assertNoSecrets(t, []string{code, tok1.AccessToken, tok1.RefreshToken, tok2.AccessToken, tok2.RefreshToken, clientSecret, browserAppSecret}, g)
}
