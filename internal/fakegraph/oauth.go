package fakegraph

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// OAuth, as Business Login for Instagram (Instagram API with Instagram
// Login) does it: the consent dialog (www.instagram.com/oauth/authorize)
// answers an authorization code to the app's redirect_uri, and the code
// exchange (api.instagram.com/oauth/access_token) trades it for a
// short-lived token. The fake serves both on the Graph API's server, at
// /oauth/authorize and /oauth/access_token (no version prefix).

// CodeLifetime is how long an authorization code can be exchanged after
// the consent dialog issued it.
const CodeLifetime = time.Hour

// defaultAppName is the app's name on the consent page when AppName is
// empty.
const defaultAppName = "Sandbox App"

// OAuth error messages of the code exchange, worded as api.instagram.com
// words them.
const (
	msgInvalidApp         = "Invalid platform app"
	msgInvalidSecret      = "Error validating client secret"
	msgUnsupportedGrant   = "Unsupported grant_type"
	msgCodeNotFound       = "Matching code was not found or was already used"
	msgRedirectMismatch   = "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request"
	msgOnlyPost           = "Unsupported method: the code exchange takes a POST"
	msgInvalidRequestBody = "Invalid request body"
)

// authCode is an authorization code the consent dialog issued.
type authCode struct {
	clientID    string
	redirectURI string
	userID      string
	scopes      []string
	issued      time.Time
}

// SetApp sets AppID and AppSecret while the fake serves.
func (s *Server) SetApp(id, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.AppID = id
	s.AppSecret = secret
}

// SetRedirectURIs sets RedirectURIs while the fake serves.
func (s *Server) SetRedirectURIs(uris ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.RedirectURIs = slices.Clone(uris)
}

// CodeExchanges is how many authorization codes of the user POST
// /oauth/access_token exchanged for a token.
func (s *Server) CodeExchanges(userID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.codeExchanges[userID]
}

// serveOAuth serves /oauth/authorize and /oauth/access_token and reports
// whether r was one of them.
func (s *Server) serveOAuth(w http.ResponseWriter, r *http.Request) bool {
	switch strings.TrimSuffix(r.URL.Path, "/") {
	case "/oauth/authorize":
		s.authorize(w, r)
	case "/oauth/access_token":
		s.codeExchange(w, r)
	default:
		return false
	}
	return true
}

// authorize serves the consent dialog: GET shows it, POST is its form.
//
// Both check, in order, client_id (it must equal a non-empty AppID:
// "Invalid app ID") and redirect_uri (an absolute http or https URL without
// a fragment and, when RedirectURIs is non-empty, exactly one of them:
// "Invalid redirect_uri"); GET also checks response_type (code: "Invalid
// response_type"). A failed check is an HTML error page, HTTP 400, as
// Instagram shows: the dialog redirects only once it trusts the app and
// its redirect_uri.
//
// The form's decision=allow issues an authorization code to the chosen
// user_id (a user of the fake, else the 400 page "Invalid user") and
// redirects (302) to redirect_uri?code=…&state=…#_; decision=deny
// redirects to redirect_uri?error=access_denied&error_reason=user_denied&
// error_description=Permissions+error&state=…. The parameters follow
// redirect_uri's own query, which is kept as it is; state is left out when
// the request had none.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		oauthErrorPage(w, http.StatusMethodNotAllowed, "Method not allowed")
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthErrorPage(w, http.StatusBadRequest, "Invalid request")
		return
	}
	clientID, redirectURI, state := r.Form.Get("client_id"), r.Form.Get("redirect_uri"), r.Form.Get("state")
	scopes := parseScopes(r.Form.Get("scope"))

	s.mu.Lock()
	appID, appName := s.AppID, s.AppName
	redirectOK := validRedirectURI(redirectURI) && (len(s.RedirectURIs) == 0 || slices.Contains(s.RedirectURIs, redirectURI))
	s.mu.Unlock()
	if appName == "" {
		appName = defaultAppName
	}
	switch {
	case appID == "" || subtle.ConstantTimeCompare([]byte(clientID), []byte(appID)) != 1:
		oauthErrorPage(w, http.StatusBadRequest, "Invalid app ID")
		return
	case !redirectOK:
		oauthErrorPage(w, http.StatusBadRequest, "Invalid redirect_uri")
		return
	}

	if r.Method == http.MethodGet {
		if r.Form.Get("response_type") != "code" {
			oauthErrorPage(w, http.StatusBadRequest, "Invalid response_type")
			return
		}
		s.consentPage(w, consent{
			AppName: appName, ClientID: clientID, RedirectURI: redirectURI,
			Scope: strings.Join(scopes, ","), Scopes: scopes, State: state,
		})
		return
	}

	switch r.Form.Get("decision") {
	case "deny":
		http.Redirect(w, r, withParams(redirectURI, "",
			"error", "access_denied",
			"error_reason", "user_denied",
			"error_description", "Permissions error",
			"state", state), http.StatusFound)
	case "allow":
		userID := r.Form.Get("user_id")
		code := "AQ" + randomString(64)
		s.mu.Lock()
		_, known := s.users[userID]
		if known {
			s.codes[code] = &authCode{clientID: clientID, redirectURI: redirectURI, userID: userID, scopes: scopes, issued: s.Now()}
		}
		s.mu.Unlock()
		if !known {
			oauthErrorPage(w, http.StatusBadRequest, "Invalid user")
			return
		}
		http.Redirect(w, r, withParams(redirectURI, "_", "code", code, "state", state), http.StatusFound)
	default:
		oauthErrorPage(w, http.StatusBadRequest, "Invalid decision")
	}
}

// codeExchange answers POST /oauth/access_token (form-encoded client_id,
// client_secret, grant_type=authorization_code, redirect_uri, code): 200
// {"data":[{"access_token","user_id","permissions"}]}, a new short-lived
// token (ShortTokenLifetime) of the user the code was issued to, and the
// code's scopes, comma-separated. The checks, in order, each an HTTP 400
// {"error_type":"OAuthException","code":400,"error_message":…}: client_id
// (a non-empty AppID: "Invalid platform app"), client_secret (a non-empty
// AppSecret: "Error validating client secret"), grant_type
// ("Unsupported grant_type"), code ("Matching code was not found or was
// already used", alike for an unknown, spent or expired code and one issued
// to another client_id), redirect_uri (identical to the dialog's: "Error
// validating verification code. …"). A code is spent by its successful
// exchange only; a failed attempt leaves it as it was. Another method than
// POST is 405 with the same error shape.
func (s *Server) codeExchange(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		oauthError(w, http.StatusMethodNotAllowed, msgOnlyPost)
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, msgInvalidRequestBody)
		return
	}
	f := r.PostForm
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	switch {
	case s.AppID == "" || subtle.ConstantTimeCompare([]byte(f.Get("client_id")), []byte(s.AppID)) != 1:
		oauthError(w, http.StatusBadRequest, msgInvalidApp)
		return
	case s.AppSecret == "" || subtle.ConstantTimeCompare([]byte(f.Get("client_secret")), []byte(s.AppSecret)) != 1:
		oauthError(w, http.StatusBadRequest, msgInvalidSecret)
		return
	case f.Get("grant_type") != "authorization_code":
		oauthError(w, http.StatusBadRequest, msgUnsupportedGrant)
		return
	}
	code := f.Get("code")
	c := s.codes[code]
	if c != nil && !now.Before(c.issued.Add(CodeLifetime)) {
		delete(s.codes, code)
		c = nil
	}
	switch {
	case c == nil || c.clientID != f.Get("client_id"):
		oauthError(w, http.StatusBadRequest, msgCodeNotFound)
		return
	case c.redirectURI != f.Get("redirect_uri"):
		oauthError(w, http.StatusBadRequest, msgRedirectMismatch)
		return
	}
	delete(s.codes, code)
	s.codeExchanges[c.userID]++
	tok := "IGAA" + traceID() + traceID() + traceID()
	s.tokens[tok] = &token{userID: c.userID, issued: now, short: true}
	writeJSON(w, http.StatusOK, map[string]any{"data": []map[string]string{{
		"access_token": tok,
		"user_id":      c.userID,
		"permissions":  strings.Join(c.scopes, ","),
	}}})
}

// oauthError writes api.instagram.com's error object.
func oauthError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"error_type": "OAuthException", "code": status, "error_message": msg})
}

// parseScopes splits a comma-separated scope list, dropping blanks.
func parseScopes(scope string) []string {
	var out []string
	for p := range strings.SplitSeq(scope, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// validRedirectURI reports whether u is an absolute http or https URL with
// a host and no fragment.
func validRedirectURI(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != "" &&
		p.Fragment == "" && !strings.Contains(u, "#")
}

// withParams appends the non-empty key/value pairs to u's query, in the
// order given, keeping u's own query as it is, and sets u's fragment.
func withParams(u, fragment string, kv ...string) string {
	p, _ := url.Parse(u) // validated by validRedirectURI
	var b strings.Builder
	b.WriteString(p.RawQuery)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(kv[i]) + "=" + url.QueryEscape(kv[i+1]))
	}
	p.RawQuery = b.String()
	p.Fragment = fragment
	return p.String()
}

// randomString is n random bytes in URL-safe base64.
func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

type consentUser struct {
	ID, Username string
}

type consent struct {
	AppName, ClientID, RedirectURI, Scope, State string
	Scopes                                       []string
	Users                                        []consentUser
}

// consentPage writes the consent dialog: the demo user first in the
// account list, then the others by ID.
func (s *Server) consentPage(w http.ResponseWriter, c consent) {
	s.mu.Lock()
	for _, u := range s.users {
		c.Users = append(c.Users, consentUser{ID: u.ID, Username: u.Username})
	}
	s.mu.Unlock()
	slices.SortFunc(c.Users, func(a, b consentUser) int {
		switch {
		case a.ID == b.ID:
			return 0
		case a.ID == DemoUserID:
			return -1
		case b.ID == DemoUserID:
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	writeHTML(w, http.StatusOK, consentTmpl, c)
}

func oauthErrorPage(w http.ResponseWriter, status int, msg string) {
	writeHTML(w, status, errorTmpl, msg)
}

func writeHTML(w http.ResponseWriter, status int, t *template.Template, data any) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	t.Execute(w, data)
}

const pageStyle = `<style>
body{font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;background:#fafafa;color:#262626;margin:0}
main{max-width:420px;margin:48px auto;background:#fff;border:1px solid #dbdbdb;border-radius:4px;padding:32px}
h1{font-family:Georgia,serif;font-style:italic;font-weight:normal;text-align:center;margin:0 0 24px}
ul{padding-left:20px}select{width:100%;padding:8px;margin:8px 0 24px}
.buttons{display:flex;gap:12px}button{flex:1;padding:10px;border-radius:8px;border:0;font-weight:600;cursor:pointer}
#allow{background:#0095f6;color:#fff}#deny{background:#efefef;color:#262626}
</style>`

var consentTmpl = template.Must(template.New("consent").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Instagram</title>
` + pageStyle + `
</head>
<body>
<main>
<h1>Instagram</h1>
<p id="prompt"><strong id="app-name">{{.AppName}}</strong> would like to access your Instagram professional account.</p>
<p>It will be able to:</p>
<ul id="scopes">{{range .Scopes}}
<li>{{.}}</li>{{end}}
</ul>
<form method="post" action="/oauth/authorize" id="consent">
<input type="hidden" name="client_id" value="{{.ClientID}}">
<input type="hidden" name="redirect_uri" value="{{.RedirectURI}}">
<input type="hidden" name="scope" value="{{.Scope}}">
<input type="hidden" name="state" value="{{.State}}">
<label for="user_id">Continue as</label>
<select name="user_id" id="user_id">{{range $i, $u := .Users}}
<option value="{{$u.ID}}"{{if eq $i 0}} selected{{end}}>{{$u.Username}}</option>{{end}}
</select>
<div class="buttons">
<button type="submit" name="decision" value="deny" id="deny">Deny</button>
<button type="submit" name="decision" value="allow" id="allow">Allow</button>
</div>
</form>
</main>
</body>
</html>
`))

var errorTmpl = template.Must(template.New("error").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Instagram</title>
` + pageStyle + `
</head>
<body>
<main>
<h1>Instagram</h1>
<p>Sorry, this page isn't available.</p>
<p id="error">{{.}}</p>
</main>
</body>
</html>
`))
