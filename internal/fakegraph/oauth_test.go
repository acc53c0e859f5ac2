package fakegraph

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/igconnect/gateway/internal/clocktest"
)

const (
	oauthAppID    = "1234567890123456"
	oauthSecret   = "oauth-app-secret-0123456789"
	oauthRedirect = "https://gateway.example/callback"
	oauthScope    = "instagram_business_basic,instagram_business_content_publish"
)

var oauthEpoch = time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)

// newOAuthFake is a seeded fake with the app oauthAppID/oauthSecret, on a
// clock set to oauthEpoch.
func newOAuthFake(t *testing.T) (*Server, *clocktest.Clock, string) {
	t.Helper()
	c := clocktest.New(oauthEpoch)
	f := New()
	f.Now = c.Now
	f.Seed()
	f.SetApp(oauthAppID, oauthSecret)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, c, srv.URL
}

// noRedirect is a client that answers redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func oauthDo(t *testing.T, method, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func authorizeQuery(mod func(url.Values)) url.Values {
	q := url.Values{
		"client_id":     {oauthAppID},
		"redirect_uri":  {oauthRedirect},
		"response_type": {"code"},
		"scope":         {oauthScope},
		"state":         {"st-42"},
	}
	if mod != nil {
		mod(q)
	}
	return q
}

func TestConsentPage(t *testing.T) {
	_, _, base := newOAuthFake(t)
	resp, body := oauthDo(t, "GET", base+"/oauth/authorize?"+authorizeQuery(nil).Encode(), nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("consent page: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		"<title>Instagram</title>",
		"would like to access your Instagram professional account",
		"Sandbox App",
		"<li>instagram_business_basic</li>",
		"<li>instagram_business_content_publish</li>",
		`<form method="post" action="/oauth/authorize"`,
		`<select name="user_id"`,
		`<button type="submit" name="decision" value="allow" id="allow">Allow</button>`,
		`<button type="submit" name="decision" value="deny" id="deny">Deny</button>`,
		`<input type="hidden" name="client_id" value="` + oauthAppID + `">`,
		`<input type="hidden" name="redirect_uri" value="` + oauthRedirect + `">`,
		`<input type="hidden" name="scope" value="` + oauthScope + `">`,
		`<input type="hidden" name="state" value="st-42">`,
		">sandbox_other</option>",
		">" + friendUsername + "</option>",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("consent page lacks %q", want)
		}
	}
	opts := regexp.MustCompile(`<option value="([0-9]+)"( selected)?>([^<]*)</option>`).FindAllStringSubmatch(body, -1)
	if len(opts) != 3 || opts[0][1] != DemoUserID || opts[0][2] != " selected" || opts[0][3] != "sandbox_creator" {
		t.Fatalf("user options: %q", opts)
	}
	for _, ext := range []string{"<script", "<link", "src=", "http://", "https://www."} {
		if strings.Contains(strings.ReplaceAll(body, oauthRedirect, ""), ext) {
			t.Errorf("consent page references %q", ext)
		}
	}
}

func TestConsentPageEscapes(t *testing.T) {
	_, _, base := newOAuthFake(t)
	q := authorizeQuery(func(q url.Values) { q.Set("state", `"><script>x</script>`) })
	_, body := oauthDo(t, "GET", base+"/oauth/authorize?"+q.Encode(), nil)
	if strings.Contains(body, "<script>") {
		t.Fatalf("state not escaped: %s", body)
	}
}

func TestAuthorizeRefused(t *testing.T) {
	tests := []struct {
		name      string
		appID     string
		redirects []string
		mod       func(url.Values)
		want      string
	}{
		{"no app configured", "", nil, nil, "Invalid app ID"},
		{"wrong client_id", oauthAppID, nil, func(q url.Values) { q.Set("client_id", "999") }, "Invalid app ID"},
		{"missing client_id", oauthAppID, nil, func(q url.Values) { q.Del("client_id") }, "Invalid app ID"},
		{"missing response_type", oauthAppID, nil, func(q url.Values) { q.Del("response_type") }, "Invalid response_type"},
		{"token response_type", oauthAppID, nil, func(q url.Values) { q.Set("response_type", "token") }, "Invalid response_type"},
		{"missing redirect_uri", oauthAppID, nil, func(q url.Values) { q.Del("redirect_uri") }, "Invalid redirect_uri"},
		{"relative redirect_uri", oauthAppID, nil, func(q url.Values) { q.Set("redirect_uri", "/callback") }, "Invalid redirect_uri"},
		{"ftp redirect_uri", oauthAppID, nil, func(q url.Values) { q.Set("redirect_uri", "ftp://gateway.example/cb") }, "Invalid redirect_uri"},
		{"javascript redirect_uri", oauthAppID, nil, func(q url.Values) { q.Set("redirect_uri", "javascript:alert(1)") }, "Invalid redirect_uri"},
		{"redirect_uri with fragment", oauthAppID, nil, func(q url.Values) { q.Set("redirect_uri", oauthRedirect+"#x") }, "Invalid redirect_uri"},
		{"unregistered redirect_uri", oauthAppID, []string{"https://other.example/cb"}, nil, "Invalid redirect_uri"},
		{"registered redirect_uri plus slash", oauthAppID, []string{oauthRedirect}, func(q url.Values) { q.Set("redirect_uri", oauthRedirect+"/") }, "Invalid redirect_uri"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, base := newOAuthFake(t)
			f.SetApp(tt.appID, oauthSecret)
			f.SetRedirectURIs(tt.redirects...)
			q := authorizeQuery(tt.mod)
			resp, body := oauthDo(t, "GET", base+"/oauth/authorize?"+q.Encode(), nil)
			if resp.StatusCode != 400 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
				!strings.Contains(body, `<p id="error">`+tt.want+`</p>`) || resp.Header.Get("Location") != "" {
				t.Fatalf("GET: want 400 page %q: %d %s", tt.want, resp.StatusCode, body)
			}
			if tt.want == "Invalid response_type" {
				return // the form carries no response_type
			}
			q.Set("decision", "allow")
			q.Set("user_id", DemoUserID)
			resp, body = oauthDo(t, "POST", base+"/oauth/authorize", q)
			if resp.StatusCode != 400 || !strings.Contains(body, tt.want) || resp.Header.Get("Location") != "" {
				t.Fatalf("POST: want 400 page %q: %d %s", tt.want, resp.StatusCode, body)
			}
		})
	}
}

func TestAuthorizeRegisteredRedirect(t *testing.T) {
	f, _, base := newOAuthFake(t)
	f.SetRedirectURIs("https://other.example/cb", oauthRedirect)
	resp, _ := oauthDo(t, "GET", base+"/oauth/authorize?"+authorizeQuery(nil).Encode(), nil)
	if resp.StatusCode != 200 {
		t.Fatalf("registered redirect_uri refused: %d", resp.StatusCode)
	}
}

// consentForm is the consent page's form as a browser posts it.
func consentForm(redirectURI, state, decision, userID string) url.Values {
	return url.Values{
		"client_id": {oauthAppID}, "redirect_uri": {redirectURI}, "scope": {oauthScope},
		"state": {state}, "decision": {decision}, "user_id": {userID},
	}
}

func TestAuthorizeDecision(t *testing.T) {
	tests := []struct {
		name, redirect, state, decision, user string
		status                                int
		want                                  map[string]string // expected query parameters
		prefix                                string            // of the Location
		fragment                              string
	}{
		{"allow", oauthRedirect, "st-1", "allow", DemoUserID, 302,
			map[string]string{"state": "st-1"}, oauthRedirect + "?code=AQ", "_"},
		{"allow other user", oauthRedirect, "st-2", "allow", OtherUserID, 302,
			map[string]string{"state": "st-2"}, oauthRedirect + "?code=AQ", "_"},
		{"allow keeps the query", oauthRedirect + "?tenant=a%20b&x=1", "st-3", "allow", DemoUserID, 302,
			map[string]string{"tenant": "a b", "x": "1", "state": "st-3"}, oauthRedirect + "?tenant=a%20b&x=1&code=AQ", "_"},
		{"allow without state", "http://127.0.0.1:8080/cb", "", "allow", DemoUserID, 302,
			map[string]string{"state": ""}, "http://127.0.0.1:8080/cb?code=AQ", "_"},
		{"deny", oauthRedirect, "st-4", "deny", DemoUserID, 302,
			map[string]string{"error": "access_denied", "error_reason": "user_denied", "error_description": "Permissions error", "state": "st-4", "code": ""},
			oauthRedirect + "?error=access_denied&error_reason=user_denied&error_description=Permissions+error&state=st-4", ""},
		{"deny keeps the query", oauthRedirect + "?tenant=7", "st-5", "deny", "", 302,
			map[string]string{"tenant": "7", "error": "access_denied", "state": "st-5"},
			oauthRedirect + "?tenant=7&error=access_denied&", ""},
		{"unknown user", oauthRedirect, "st-6", "allow", "17841499999999999", 400, nil, "", ""},
		{"no decision", oauthRedirect, "st-7", "", DemoUserID, 400, nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, base := newOAuthFake(t)
			resp, body := oauthDo(t, "POST", base+"/oauth/authorize", consentForm(tt.redirect, tt.state, tt.decision, tt.user))
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.status != 302 {
				return
			}
			loc := resp.Header.Get("Location")
			if !strings.HasPrefix(loc, tt.prefix) {
				t.Fatalf("Location %q, want prefix %q", loc, tt.prefix)
			}
			u, err := url.Parse(loc)
			if err != nil {
				t.Fatal(err)
			}
			if u.Fragment != tt.fragment {
				t.Fatalf("fragment %q, want %q", u.Fragment, tt.fragment)
			}
			q := u.Query()
			for k, v := range tt.want {
				if q.Get(k) != v || (v == "" && q.Has(k)) {
					t.Errorf("%s = %q, want %q (%s)", k, q.Get(k), v, loc)
				}
			}
			if tt.decision == "allow" && !regexp.MustCompile(`^AQ[A-Za-z0-9_-]{40,}$`).MatchString(q.Get("code")) {
				t.Errorf("code %q", q.Get("code"))
			}
		})
	}
}

// authorizeCode runs the consent dialog's allow for userID and returns the
// code.
func authorizeCode(t *testing.T, base, redirectURI, userID string) string {
	t.Helper()
	resp, body := oauthDo(t, "POST", base+"/oauth/authorize", consentForm(redirectURI, "s", "allow", userID))
	if resp.StatusCode != 302 {
		t.Fatalf("authorize: %d %s", resp.StatusCode, body)
	}
	u, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("code")
}

func exchangeForm(code string, mod func(url.Values)) url.Values {
	f := url.Values{
		"client_id": {oauthAppID}, "client_secret": {oauthSecret}, "grant_type": {"authorization_code"},
		"redirect_uri": {oauthRedirect}, "code": {code},
	}
	if mod != nil {
		mod(f)
	}
	return f
}

func exchangeCode(t *testing.T, base string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, body := oauthDo(t, "POST", base+"/oauth/access_token", form)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q", ct)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return resp.StatusCode, out
}

func TestCodeExchange(t *testing.T) {
	f, _, base := newOAuthFake(t)
	code := authorizeCode(t, base, oauthRedirect, OtherUserID)
	st, body := exchangeCode(t, base, exchangeForm(code, nil))
	data, _ := body["data"].([]any)
	if st != 200 || len(data) != 1 {
		t.Fatalf("exchange: %d %v", st, body)
	}
	d, _ := data[0].(map[string]any)
	tok, _ := d["access_token"].(string)
	if tok == "" || d["user_id"] != OtherUserID || d["permissions"] != oauthScope {
		t.Fatalf("exchange: %v", body)
	}
	if n := f.CodeExchanges(OtherUserID); n != 1 {
		t.Fatalf("CodeExchanges = %d", n)
	}
	if n := f.CodeExchanges(DemoUserID); n != 0 {
		t.Fatalf("CodeExchanges(demo) = %d", n)
	}
	if exp, ok := f.TokenExpiry(tok); !ok || !exp.Equal(oauthEpoch.Add(ShortTokenLifetime)) {
		t.Fatalf("TokenExpiry = %v %v, want %v", exp, ok, oauthEpoch.Add(time.Hour))
	}
	if st, _, body := call(t, "GET", base+"/v21.0/me?fields=id,username", tok, nil); st != 200 || body["id"] != OtherUserID || body["username"] != "sandbox_other" {
		t.Fatalf("GET /me: %d %v", st, body)
	}
	q := url.Values{"grant_type": {"ig_exchange_token"}, "client_secret": {oauthSecret}, "access_token": {tok}}
	st, _, long := call(t, "GET", base+"/access_token?"+q.Encode(), "", nil)
	longTok, _ := long["access_token"].(string)
	if st != 200 || longTok == "" || long["expires_in"] != float64(TokenLifetime/time.Second) {
		t.Fatalf("ig_exchange_token: %d %v", st, long)
	}
	if exp, _ := f.TokenExpiry(longTok); !exp.Equal(oauthEpoch.Add(TokenLifetime)) {
		t.Fatalf("long-lived expiry %v", exp)
	}
	if f.Exchanges(OtherUserID) != 1 {
		t.Fatalf("Exchanges = %d", f.Exchanges(OtherUserID))
	}
}

func TestCodeExchangeScopesAreTheDialogs(t *testing.T) {
	_, _, base := newOAuthFake(t)
	form := consentForm(oauthRedirect, "s", "allow", DemoUserID)
	form.Set("scope", " instagram_business_basic, ,instagram_business_manage_comments ")
	resp, _ := oauthDo(t, "POST", base+"/oauth/authorize", form)
	u, _ := url.Parse(resp.Header.Get("Location"))
	st, body := exchangeCode(t, base, exchangeForm(u.Query().Get("code"), nil))
	d, _ := body["data"].([]any)[0].(map[string]any)
	if st != 200 || d["permissions"] != "instagram_business_basic,instagram_business_manage_comments" || d["user_id"] != DemoUserID {
		t.Fatalf("exchange: %d %v", st, body)
	}
}

func TestCodeExchangeRefused(t *testing.T) {
	const notFound = "Matching code was not found or was already used"
	tests := []struct {
		name    string
		prepare func(t *testing.T, f *Server, c *clocktest.Clock, base, code string)
		mod     func(url.Values)
		want    string
		status  int
		spent   bool // the code no longer exchanges afterwards
	}{
		{"used twice", func(t *testing.T, f *Server, c *clocktest.Clock, base, code string) {
			if st, body := exchangeCode(t, base, exchangeForm(code, nil)); st != 200 {
				t.Fatalf("first exchange: %d %v", st, body)
			}
		}, nil, notFound, 400, true},
		{"expired", func(t *testing.T, f *Server, c *clocktest.Clock, base, code string) { c.Add(61 * time.Minute) }, nil, notFound, 400, true},
		{"exactly an hour old", func(t *testing.T, f *Server, c *clocktest.Clock, base, code string) { c.Add(CodeLifetime) }, nil, notFound, 400, true},
		{"unknown code", nil, func(v url.Values) { v.Set("code", "AQnotacode") }, notFound, 400, false},
		{"missing code", nil, func(v url.Values) { v.Del("code") }, notFound, 400, false},
		{"wrong redirect_uri", nil, func(v url.Values) { v.Set("redirect_uri", oauthRedirect+"/") },
			"Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request", 400, false},
		{"missing redirect_uri", nil, func(v url.Values) { v.Del("redirect_uri") },
			"Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request", 400, false},
		{"wrong client_secret", nil, func(v url.Values) { v.Set("client_secret", "nope") }, "Error validating client secret", 400, false},
		{"missing client_secret", nil, func(v url.Values) { v.Del("client_secret") }, "Error validating client secret", 400, false},
		{"no AppSecret configured", func(t *testing.T, f *Server, c *clocktest.Clock, base, code string) { f.SetAppSecret("") },
			func(v url.Values) { v.Set("client_secret", "") }, "Error validating client secret", 400, false},
		{"wrong client_id", nil, func(v url.Values) { v.Set("client_id", "999") }, "Invalid platform app", 400, false},
		{"missing client_id", nil, func(v url.Values) { v.Del("client_id") }, "Invalid platform app", 400, false},
		{"code of another client_id", func(t *testing.T, f *Server, c *clocktest.Clock, base, code string) { f.SetApp("777", oauthSecret) },
			func(v url.Values) { v.Set("client_id", "777") }, notFound, 400, false},
		{"refresh grant_type", nil, func(v url.Values) { v.Set("grant_type", "ig_exchange_token") }, "Unsupported grant_type", 400, false},
		{"missing grant_type", nil, func(v url.Values) { v.Del("grant_type") }, "Unsupported grant_type", 400, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c, base := newOAuthFake(t)
			code := authorizeCode(t, base, oauthRedirect, DemoUserID)
			if tt.prepare != nil {
				tt.prepare(t, f, c, base, code)
			}
			before := f.CodeExchanges(DemoUserID)
			st, body := exchangeCode(t, base, exchangeForm(code, tt.mod))
			if st != tt.status || body["error_type"] != "OAuthException" || body["code"] != float64(tt.status) || body["error_message"] != tt.want {
				t.Fatalf("want %d %q: %d %v", tt.status, tt.want, st, body)
			}
			if _, ok := body["data"]; ok {
				t.Fatalf("error with data: %v", body)
			}
			if n := f.CodeExchanges(DemoUserID); n != before {
				t.Fatalf("CodeExchanges %d -> %d", before, n)
			}
			// A refused attempt does not spend the code: with the right
			// parameters (and the original app) it still exchanges,
			// unless it was spent or expired already.
			f.SetApp(oauthAppID, oauthSecret)
			st, body = exchangeCode(t, base, exchangeForm(code, nil))
			if tt.spent && (st != 400 || body["error_message"] != notFound) {
				t.Fatalf("spent code exchanged: %d %v", st, body)
			}
			if !tt.spent && st != 200 {
				t.Fatalf("code spent by a refused attempt: %d %v", st, body)
			}
		})
	}
}

func TestCodeExchangeJustBeforeExpiry(t *testing.T) {
	_, c, base := newOAuthFake(t)
	code := authorizeCode(t, base, oauthRedirect, DemoUserID)
	c.Add(CodeLifetime - time.Second)
	if st, body := exchangeCode(t, base, exchangeForm(code, nil)); st != 200 {
		t.Fatalf("exchange: %d %v", st, body)
	}
}

func TestCodeExchangeRedirectWithQuery(t *testing.T) {
	_, _, base := newOAuthFake(t)
	redirect := oauthRedirect + "?tenant=7"
	code := authorizeCode(t, base, redirect, DemoUserID)
	st, body := exchangeCode(t, base, exchangeForm(code, func(v url.Values) { v.Set("redirect_uri", redirect) }))
	if st != 200 {
		t.Fatalf("exchange: %d %v", st, body)
	}
}

func TestOAuthMethods(t *testing.T) {
	_, _, base := newOAuthFake(t)
	resp, body := oauthDo(t, "GET", base+"/oauth/access_token?"+exchangeForm("AQx", nil).Encode(), nil)
	if resp.StatusCode != 405 || !strings.Contains(body, `"error_type":"OAuthException"`) {
		t.Fatalf("GET /oauth/access_token: %d %s", resp.StatusCode, body)
	}
	resp, _ = oauthDo(t, "DELETE", base+"/oauth/authorize", nil)
	if resp.StatusCode != 405 {
		t.Fatalf("DELETE /oauth/authorize: %d", resp.StatusCode)
	}
}

func TestOAuthFault(t *testing.T) {
	f, _, base := newOAuthFake(t)
	code := authorizeCode(t, base, oauthRedirect, DemoUserID)
	f.SetFault(&Fault{
		Match:  func(r *http.Request) bool { return r.URL.Path == "/oauth/access_token" },
		Handle: func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusBadGateway) },
	})
	resp, _ := oauthDo(t, "POST", base+"/oauth/access_token", exchangeForm(code, nil))
	if resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("fault: %d", resp.StatusCode)
	}
	f.SetFault(nil)
	if st, body := exchangeCode(t, base, exchangeForm(code, nil)); st != 200 {
		t.Fatalf("after the fault: %d %v", st, body)
	}
}

// TestOAuthConcurrent runs the flow from many goroutines, for the race
// detector.
func TestOAuthConcurrent(t *testing.T) {
	f, _, base := newOAuthFake(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 5 {
				if err := oauthRoundTrip(base); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := f.CodeExchanges(DemoUserID); n != 40 {
		t.Fatalf("CodeExchanges = %d, want 40", n)
	}
}

// oauthRoundTrip runs allow and the code exchange for the demo user
// without a *testing.T, for goroutines.
func oauthRoundTrip(base string) error {
	form := consentForm(oauthRedirect, "s", "allow", DemoUserID)
	resp, err := noRedirect.PostForm(base+"/oauth/authorize", form)
	if err != nil {
		return err
	}
	resp.Body.Close()
	u, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != 302 {
		return fmt.Errorf("authorize: %d %v", resp.StatusCode, err)
	}
	resp, err = noRedirect.PostForm(base+"/oauth/access_token", exchangeForm(u.Query().Get("code"), nil))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("exchange: %d %s", resp.StatusCode, b)
	}
	return nil
}
