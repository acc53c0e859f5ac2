package oauth

// The gateway's OAuth server (contract §9): authorization requests, the
// authorization_code grant with PKCE S256, client authentication, rotating
// refresh tokens with reuse detection, and access tokens, on both stores.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/igconnect/gateway/internal/connections"
	"github.com/igconnect/gateway/internal/fakegraph"
)

// The clients registered in these tests.
var (
	ltPA = Client{ID: "power-automate", Secret: "pa-secret-0123456789abcdef0123456789",
		RedirectURIs: []string{"https://global.consent.azure-apim.net/redirect", "https://europe.consent.azure-apim.net/redirect?x=1"}}
	ltOther = Client{ID: "other-app", Secret: "other-secret-0123456789abcdef01234",
		RedirectURIs: []string{"https://global.consent.azure-apim.net/redirect"}}
	ltPublic = Client{ID: "public-app", RedirectURIs: []string{"https://app.example.com/cb"}}
)

func ltClients() []Client { return []Client{ltPA, ltOther, ltPublic} }

// ltPKCE returns a verifier and its S256 challenge, computed here.
func ltPKCE() (verifier, challenge string) {
	verifier = ltRandom() + "-._~"
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// ltAuthQuery is an authorization request of client c with PKCE challenge
// (none when empty).
func ltAuthQuery(c Client, challenge string) url.Values {
	q := url.Values{"response_type": {"code"}, "client_id": {c.ID}, "redirect_uri": {c.RedirectURIs[0]}, "state": {"client-state-42"}}
	if challenge != "" {
		q.Set("code_challenge", challenge)
		q.Set("code_challenge_method", "S256")
	}
	return q
}

// code runs authorization request q through Instagram's consent as userID
// and returns the gateway's code (and the redirect it came in).
func (w *ltWorld) code(t *testing.T, q url.Values, userID string) (string, *url.URL) {
	t.Helper()
	ctx := context.Background()
	st, back, err := w.svc.Authorize(ctx, q)
	if err != nil || back != "" {
		t.Fatalf("authorize: %q %v", back, err)
	}
	res, err := w.svc.Callback(ctx, ltConsent(t, st.ConsentURL, userID, "allow"), st.Cookie)
	if err != nil || res.Redirect == "" {
		t.Fatalf("callback: %+v %v", res, err)
	}
	u, err := url.Parse(res.Redirect)
	if err != nil {
		t.Fatal(err)
	}
	want := q.Get("redirect_uri")
	if want == "" {
		want = ltClientByID(q.Get("client_id")).RedirectURIs[0]
	}
	wu, _ := url.Parse(want)
	if u.Scheme != wu.Scheme || u.Host != wu.Host || u.Path != wu.Path || u.Query().Get("state") != q.Get("state") {
		t.Fatalf("redirect %s for a request to %s with state %q", u, want, q.Get("state"))
	}
	for k, v := range wu.Query() {
		if u.Query().Get(k) != v[0] {
			t.Fatalf("redirect %s lost the registered URI's query %s", u, k)
		}
	}
	c := u.Query().Get("code")
	if len(c) < 43 {
		t.Fatalf("code %q", c)
	}
	return c, u
}

func ltClientByID(id string) Client {
	for _, c := range ltClients() {
		if c.ID == id {
			return c
		}
	}
	return Client{}
}

// basic is a token request of client c by HTTP Basic.
func ltBasic(c Client, form url.Values) TokenRequest {
	return TokenRequest{Form: form, HasBasic: true, BasicID: c.ID, BasicSecret: c.Secret}
}

// post is a token request of client c with its credentials in the body.
func ltPost(c Client, form url.Values) TokenRequest {
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set("client_id", c.ID)
	if c.Secret != "" {
		f.Set("client_secret", c.Secret)
	}
	return TokenRequest{Form: f}
}

func ltCodeForm(code, redirectURI, verifier string) url.Values {
	f := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI}}
	if verifier != "" {
		f.Set("code_verifier", verifier)
	}
	return f
}

func ltRefreshForm(rt string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
}

// ltWantOAuth asserts err is the OAuth error code at status.
func ltWantOAuth(t *testing.T, err error, status int, code string) {
	t.Helper()
	var oe *Error
	if !errors.As(err, &oe) {
		t.Fatalf("got %v (%T), want OAuth error %s", err, err, code)
	}
	if oe.Status != status || oe.Code != code {
		t.Fatalf("got %d %s (%s), want %d %s", oe.Status, oe.Code, oe.Description, status, code)
	}
}

func ltWantTokens(t *testing.T, toks Tokens, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(toks.AccessToken, AccessTokenPrefix) || !strings.HasPrefix(toks.RefreshToken, RefreshTokenPrefix) ||
		toks.TokenType != "Bearer" || toks.ExpiresIn != int(AccessLifetime.Seconds()) || toks.AccessToken == toks.RefreshToken {
		t.Fatalf("tokens %+v", toks)
	}
}

// The whole flow: authorize with PKCE, consent, code, tokens; the access
// token names the connection of the account that consented, the one a
// link made for it before.
func TestAuthorizationCodeFlow(t *testing.T) {
	ltEachBackend(t, func(t *testing.T, open func(t *testing.T) ltBackend) {
		ctx := context.Background()
		w := ltNewWorld(t, open(t), ltClients()...)
		linked, err := w.begin(t, "linked", fakegraph.DemoUserID, "allow").finish(w)
		if err != nil {
			t.Fatal(err)
		}

		verifier, challenge := ltPKCE()
		q := ltAuthQuery(ltPA, challenge)
		st, back, err := w.svc.Authorize(ctx, q)
		if err != nil || back != "" {
			t.Fatal(back, err)
		}
		cu, _ := url.Parse(st.ConsentURL)
		if cu.Query().Get("redirect_uri") != ltBase+CallbackPath || strings.Contains(st.ConsentURL, "azure-apim") || strings.Contains(st.ConsentURL, challenge) {
			t.Fatalf("Instagram's consent must come back to the gateway, and learn nothing of the client's request: %s", st.ConsentURL)
		}
		res, err := w.svc.Callback(ctx, ltConsent(t, st.ConsentURL, fakegraph.DemoUserID, "allow"), st.Cookie)
		if err != nil || res.Connection.ID != linked.Connection.ID || res.Connection.APIKey != "" {
			t.Fatalf("%+v %v", res, err)
		}
		ru, _ := url.Parse(res.Redirect)
		if ru.Query().Get("state") != "client-state-42" || ru.Query().Get("code") == "" {
			t.Fatalf("redirect %s", res.Redirect)
		}
		toks, err := w.svc.Token(ctx, ltBasic(ltPA, ltCodeForm(ru.Query().Get("code"), ltPA.RedirectURIs[0], verifier)))
		ltWantTokens(t, toks, err)
		c, err := w.svc.Authenticate(ctx, toks.AccessToken)
		if err != nil || c.ID != linked.Connection.ID {
			t.Fatalf("the access token: %v %v", c, err)
		}
		if n := w.count(t); n != 1 {
			t.Fatalf("%d connections, want the linked one only", n)
		}
		// The connection's API key is untouched.
		if c, err := w.conns.Authenticate(ctx, linked.Connection.APIKey); err != nil || c.ID != linked.Connection.ID {
			t.Fatalf("the API key: %v", err)
		}

		// A public client with PKCE, and client_secret_post.
		verifier, challenge = ltPKCE()
		code, _ := w.code(t, ltAuthQuery(ltPublic, challenge), fakegraph.OtherUserID)
		toks, err = w.svc.Token(ctx, ltPost(ltPublic, ltCodeForm(code, ltPublic.RedirectURIs[0], verifier)))
		ltWantTokens(t, toks, err)
		if c, err := w.svc.Authenticate(ctx, toks.AccessToken); err != nil || c.InstagramUserID != fakegraph.OtherUserID {
			t.Fatalf("the public client's access token: %v %v", c, err)
		}
	})
}

func TestAuthorizeRequests(t *testing.T) {
	_, challenge := ltPKCE()
	reg := ltPA.RedirectURIs[0]
	type want int
	const (
		ok   want = iota // the consent begins
		page             // an error page, no redirect
		back             // an error redirect to the client
	)
	tests := []struct {
		name   string
		query  url.Values
		want   want
		status int    // page
		code   string // back
	}{
		{"confidential client", ltAuthQuery(ltPA, ""), ok, 0, ""},
		{"confidential client with PKCE", ltAuthQuery(ltPA, challenge), ok, 0, ""},
		{"second registered redirect_uri", ltWith(ltAuthQuery(ltPA, ""), "redirect_uri", ltPA.RedirectURIs[1]), ok, 0, ""},
		{"public client with PKCE", ltAuthQuery(ltPublic, challenge), ok, 0, ""},
		{"no state", ltWithout(ltAuthQuery(ltPA, ""), "state"), ok, 0, ""},
		{"redirect_uri omitted, one registered", ltWithout(ltAuthQuery(ltPublic, challenge), "redirect_uri"), ok, 0, ""},

		{"redirect_uri omitted, two registered", ltWithout(ltAuthQuery(ltPA, ""), "redirect_uri"), page, 400, ""},
		{"unknown client", ltWith(ltAuthQuery(ltPA, ""), "client_id", "evil"), page, 400, ""},
		{"no client_id", ltWithout(ltAuthQuery(ltPA, ""), "client_id"), page, 400, ""},
		{"client_id differs in case", ltWith(ltAuthQuery(ltPA, ""), "client_id", "Power-automate"), page, 400, ""},
		{"redirect_uri one character off", ltWith(ltAuthQuery(ltPA, ""), "redirect_uri", reg[:len(reg)-1]+"x"), page, 400, ""},
		{"redirect_uri with a trailing slash", ltWith(ltAuthQuery(ltPA, ""), "redirect_uri", reg+"/"), page, 400, ""},
		{"redirect_uri extended path", ltWith(ltAuthQuery(ltPA, ""), "redirect_uri", reg+"/../../evil"), page, 400, ""},
		{"redirect_uri with a query added", ltWith(ltAuthQuery(ltPA, ""), "redirect_uri", reg+"?next=https://evil.example"), page, 400, ""},
		{"redirect_uri on http", ltWith(ltAuthQuery(ltPA, ""), "redirect_uri", "http"+strings.TrimPrefix(reg, "https")), page, 400, ""},
		{"redirect_uri host in upper case", ltWith(ltAuthQuery(ltPA, ""), "redirect_uri", strings.Replace(reg, "global", "GLOBAL", 1)), page, 400, ""},
		{"redirect_uri with userinfo", ltWith(ltAuthQuery(ltPA, ""), "redirect_uri", strings.Replace(reg, "https://", "https://evil.example@", 1)), page, 400, ""},
		{"redirect_uri of another client", ltWith(ltAuthQuery(ltPA, ""), "redirect_uri", ltPublic.RedirectURIs[0]), page, 400, ""},
		{"redirect_uri given twice", ltAdd(ltAuthQuery(ltPA, ""), "redirect_uri", "https://evil.example/cb"), page, 400, ""},
		{"client_id given twice", ltAdd(ltAuthQuery(ltPA, ""), "client_id", ltOther.ID), page, 400, ""},
		{"state given twice", ltAdd(ltAuthQuery(ltPA, ""), "state", "b"), page, 400, ""},
		{"code_challenge given twice", ltAdd(ltAuthQuery(ltPA, challenge), "code_challenge", challenge), page, 400, ""},

		{"response_type token", ltWith(ltAuthQuery(ltPA, ""), "response_type", "token"), back, 0, "unsupported_response_type"},
		{"no response_type", ltWithout(ltAuthQuery(ltPA, ""), "response_type"), back, 0, "unsupported_response_type"},
		{"public client without PKCE", ltAuthQuery(ltPublic, ""), back, 0, "invalid_request"},
		{"code_challenge_method plain", ltWith(ltAuthQuery(ltPA, challenge), "code_challenge_method", "plain"), back, 0, "invalid_request"},
		{"public client with plain", ltWith(ltAuthQuery(ltPublic, challenge), "code_challenge_method", "plain"), back, 0, "invalid_request"},
		{"code_challenge without method", ltWithout(ltAuthQuery(ltPA, challenge), "code_challenge_method"), back, 0, "invalid_request"},
		{"method without code_challenge", ltWith(ltAuthQuery(ltPA, ""), "code_challenge_method", "S256"), back, 0, "invalid_request"},
		{"code_challenge too short", ltWith(ltAuthQuery(ltPA, challenge), "code_challenge", challenge[:42]), back, 0, "invalid_request"},
		{"code_challenge too long", ltWith(ltAuthQuery(ltPA, challenge), "code_challenge", strings.Repeat("a", 129)), back, 0, "invalid_request"},
		{"code_challenge with a bad character", ltWith(ltAuthQuery(ltPA, challenge), "code_challenge", challenge[:42]+"+"), back, 0, "invalid_request"},
	}
	ltEachBackend(t, func(t *testing.T, open func(t *testing.T) ltBackend) {
		w := ltNewWorld(t, open(t), ltClients()...)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				st, redirect, err := w.svc.Authorize(context.Background(), tt.query)
				switch tt.want {
				case ok:
					if err != nil || redirect != "" || st.ConsentURL == "" || st.Cookie == "" {
						t.Fatalf("%+v %q %v", st, redirect, err)
					}
				case page:
					ltWantPage(t, err, tt.status, "not valid")
					if redirect != "" || st.ConsentURL != "" {
						t.Fatalf("a request the gateway cannot trust redirects: %q %q", redirect, st.ConsentURL)
					}
				case back:
					if err != nil || st.ConsentURL != "" {
						t.Fatalf("%+v %v", st, err)
					}
					u, perr := url.Parse(redirect)
					if perr != nil || u.Scheme+"://"+u.Host+u.Path != tt.query.Get("redirect_uri") {
						t.Fatalf("redirect %q", redirect)
					}
					if u.Query().Get("error") != tt.code || u.Query().Get("state") != tt.query.Get("state") || u.Query().Get("code") != "" {
						t.Fatalf("redirect %q, want error %s with the state", redirect, tt.code)
					}
				}
			})
		}
	})
}

func ltWith(q url.Values, k, v string) url.Values {
	out := url.Values{}
	for kk, vv := range q {
		out[kk] = append([]string(nil), vv...)
	}
	out.Set(k, v)
	return out
}

func ltWithout(q url.Values, k string) url.Values {
	out := ltWith(q, k, "")
	out.Del(k)
	return out
}

func ltAdd(q url.Values, k, v string) url.Values {
	out := ltWith(q, k, q.Get(k))
	out[k] = append(append([]string(nil), q[k]...), v)
	return out
}

// Each attack on the authorization_code grant is invalid_grant (or the
// error RFC 6749 names), and issues nothing.
func TestCodeGrantAttacks(t *testing.T) {
	ctx := context.Background()
	reg := ltPA.RedirectURIs[0]
	tests := []struct {
		name string
		// client asks a code, with PKCE when pkce; redeem redeems it.
		client Client
		pkce   bool
		redeem func(t *testing.T, w *ltWorld, code, verifier string) (Tokens, error)
		status int
		err    string
	}{
		{"code used twice", ltPA, true, func(t *testing.T, w *ltWorld, code, verifier string) (Tokens, error) {
			toks, err := w.svc.Token(ctx, ltBasic(ltPA, ltCodeForm(code, reg, verifier)))
			ltWantTokens(t, toks, err)
			return w.svc.Token(ctx, ltBasic(ltPA, ltCodeForm(code, reg, verifier)))
		}, 400, "invalid_grant"},
		{"code used by another client", ltPA, false, func(t *testing.T, w *ltWorld, code, _ string) (Tokens, error) {
			// other-app has the same redirect URI registered.
			return w.svc.Token(ctx, ltBasic(ltOther, ltCodeForm(code, reg, "")))
		}, 400, "invalid_grant"},
		{"public client's code used by a confidential client", ltPublic, true, func(t *testing.T, w *ltWorld, code, verifier string) (Tokens, error) {
			return w.svc.Token(ctx, ltBasic(ltPA, ltCodeForm(code, ltPublic.RedirectURIs[0], verifier)))
		}, 400, "invalid_grant"},
		{"redirect_uri one character off", ltPA, false, func(t *testing.T, w *ltWorld, code, _ string) (Tokens, error) {
			return w.svc.Token(ctx, ltBasic(ltPA, ltCodeForm(code, reg[:len(reg)-1]+"X", "")))
		}, 400, "invalid_grant"},
		{"redirect_uri another registered one", ltPA, false, func(t *testing.T, w *ltWorld, code, _ string) (Tokens, error) {
			return w.svc.Token(ctx, ltBasic(ltPA, ltCodeForm(code, ltPA.RedirectURIs[1], "")))
		}, 400, "invalid_grant"},
		{"redirect_uri missing though the request had it", ltPA, false, func(t *testing.T, w *ltWorld, code, _ string) (Tokens, error) {
			return w.svc.Token(ctx, ltBasic(ltPA, ltWithout(ltCodeForm(code, reg, ""), "redirect_uri")))
		}, 400, "invalid_grant"},
		{"wrong PKCE verifier", ltPA, true, func(t *testing.T, w *ltWorld, code, _ string) (Tokens, error) {
			other, _ := ltPKCE()
			return w.svc.Token(ctx, ltBasic(ltPA, ltCodeForm(code, reg, other)))
		}, 400, "invalid_grant"},
		{"the challenge given as the verifier", ltPA, true, func(t *testing.T, w *ltWorld, code, verifier string) (Tokens, error) {
			sum := sha256.Sum256([]byte(verifier))
			return w.svc.Token(ctx, ltBasic(ltPA, ltCodeForm(code, reg, base64.RawURLEncoding.EncodeToString(sum[:]))))
		}, 400, "invalid_grant"},
		{"missing PKCE verifier", ltPA, true, func(t *testing.T, w *ltWorld, code, _ string) (Tokens, error) {
			return w.svc.Token(ctx, ltBasic(ltPA, ltCodeForm(code, reg, "")))
		}, 400, "invalid_grant"},
		{"public client without its verifier", ltPublic, true, func(t *testing.T, w *ltWorld, code, _ string) (Tokens, error) {
			return w.svc.Token(ctx, ltPost(ltPublic, ltCodeForm(code, ltPublic.RedirectURIs[0], "")))
		}, 400, "invalid_grant"},
		{"malformed verifier", ltPA, true, func(t *testing.T, w *ltWorld, code, verifier string) (Tokens, error) {
			return w.svc.Token(ctx, ltBasic(ltPA, ltCodeForm(code, reg, verifier[:42])))
		}, 400, "invalid_grant"},
		{"verifier for a code issued without a challenge", ltPA, false, func(t *testing.T, w *ltWorld, code, _ string) (Tokens, error) {
			v, _ := ltPKCE()
			return w.svc.Token(ctx, ltBasic(ltPA, ltCodeForm(code, reg, v)))
		}, 400, "invalid_grant"},
		{"forged code", ltPA, false, func(t *testing.T, w *ltWorld, _, _ string) (Tokens, error) {
			return w.svc.Token(ctx, ltBasic(ltPA, ltCodeForm(ltRandom(), reg, "")))
		}, 400, "invalid_grant"},
		{"the code's hash as the code", ltPA, false, func(t *testing.T, w *ltWorld, code, _ string) (Tokens, error) {
			return w.svc.Token(ctx, ltBasic(ltPA, ltCodeForm(ltSHA(code), reg, "")))
		}, 400, "invalid_grant"},
		{"no code", ltPA, false, func(t *testing.T, w *ltWorld, _, _ string) (Tokens, error) {
			return w.svc.Token(ctx, ltBasic(ltPA, ltWithout(ltCodeForm("x", reg, ""), "code")))
		}, 400, "invalid_request"},
		{"expired code", ltPA, true, func(t *testing.T, w *ltWorld, code, verifier string) (Tokens, error) {
			// Set up by the row's world: the code ticket lives 150 ms.
			time.Sleep(400 * time.Millisecond)
			return w.svc.Token(ctx, ltBasic(ltPA, ltCodeForm(code, reg, verifier)))
		}, 400, "invalid_grant"},
	}
	ltEachBackend(t, func(t *testing.T, open func(t *testing.T) ltBackend) {
		w := ltNewWorld(t, open(t), ltClients()...)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if tt.name == "expired code" {
					// The code's lifetime is its ticket's TTL (CodeLifetime,
					// 60 s): the store expires it in real time, shortened.
					w.tickets.setTTL(kindCode, 150*time.Millisecond)
					defer w.tickets.setTTL(kindCode, CodeLifetime)
				}
				verifier, challenge := "", ""
				if tt.pkce {
					verifier, challenge = ltPKCE()
				}
				code, _ := w.code(t, ltAuthQuery(tt.client, challenge), fakegraph.DemoUserID)
				toks, err := tt.redeem(t, w, code, verifier)
				ltWantOAuth(t, err, tt.status, tt.err)
				if toks != (Tokens{}) {
					t.Fatalf("tokens issued with an error: %+v", toks)
				}
			})
		}
	})
}

// RFC 6749 §4.1.3: redirect_uri is REQUIRED at the token endpoint only "if
// the redirect_uri parameter was included in the authorization request".
// A client with one registered URI may leave it out of both (the gateway
// accepts it left out at /oauth2/authorize); the gateway then refuses the
// code, so such a client can never finish.
func TestTokenRedirectURIOptionalWhenAuthorizeOmittedIt_RFC6749_4_1_3(t *testing.T) {
	ltEachBackend(t, func(t *testing.T, open func(t *testing.T) ltBackend) {
		w := ltNewWorld(t, open(t), ltClients()...)
		verifier, challenge := ltPKCE()
		code, _ := w.code(t, ltWithout(ltAuthQuery(ltPublic, challenge), "redirect_uri"), fakegraph.DemoUserID)
		form := ltWithout(ltCodeForm(code, "", verifier), "redirect_uri")
		toks, err := w.svc.Token(context.Background(), ltPost(ltPublic, form))
		if err != nil {
			t.Fatalf("a code asked without redirect_uri, redeemed without it: %v (RFC 6749 §4.1.3 makes redirect_uri required only when the authorization request included it)", err)
		}
		ltWantTokens(t, toks, err)
	})
}

func TestTokenClientAuthentication(t *testing.T) {
	// A bogus code: a request whose client authenticates reaches the
	// grant, which refuses it (invalid_grant).
	grant := ltCodeForm("not-a-code", ltPA.RedirectURIs[0], "")
	tests := []struct {
		name   string
		req    TokenRequest
		status int
		err    string
	}{
		{"basic", ltBasic(ltPA, grant), 400, "invalid_grant"},
		{"client_secret_post", ltPost(ltPA, grant), 400, "invalid_grant"},
		{"basic with the same client_id in the body", func() TokenRequest {
			r := ltBasic(ltPA, ltWith(grant, "client_id", ltPA.ID))
			return r
		}(), 400, "invalid_grant"},
		{"public client by its ID", ltPost(ltPublic, grant), 400, "invalid_grant"},

		{"wrong secret by basic", ltBasic(Client{ID: ltPA.ID, Secret: ltPA.Secret + "x"}, grant), 401, "invalid_client"},
		{"wrong secret in the body", ltPost(Client{ID: ltPA.ID, Secret: ltPA.Secret[:len(ltPA.Secret)-1]}, grant), 401, "invalid_client"},
		{"another client's secret", ltBasic(Client{ID: ltPA.ID, Secret: ltOther.Secret}, grant), 401, "invalid_client"},
		{"empty secret by basic", ltBasic(Client{ID: ltPA.ID}, grant), 401, "invalid_client"},
		{"confidential client by its ID only", ltPost(Client{ID: ltPA.ID}, grant), 401, "invalid_client"},
		{"unknown client by basic", ltBasic(Client{ID: "evil", Secret: "x"}, grant), 401, "invalid_client"},
		{"unknown client in the body", ltPost(Client{ID: "evil", Secret: "x"}, grant), 401, "invalid_client"},
		{"no client at all", TokenRequest{Form: grant}, 401, "invalid_client"},
		{"public client with a secret", ltPost(Client{ID: ltPublic.ID, Secret: "guess"}, grant), 401, "invalid_client"},
		{"both basic and client_secret in the body", func() TokenRequest {
			r := ltBasic(ltPA, ltWith(ltWith(grant, "client_secret", ltPA.Secret), "client_id", ltPA.ID))
			return r
		}(), 400, "invalid_request"},
		{"basic and an empty client_secret in the body", func() TokenRequest {
			r := ltBasic(ltPA, ltWith(grant, "client_secret", ""))
			return r
		}(), 400, "invalid_request"},
		{"basic for one client, client_id of another", func() TokenRequest {
			r := ltBasic(ltPA, ltWith(grant, "client_id", ltOther.ID))
			return r
		}(), 400, "invalid_request"},

		{"unsupported grant_type", ltBasic(ltPA, ltWith(grant, "grant_type", "password")), 400, "unsupported_grant_type"},
		{"client_credentials", ltBasic(ltPA, ltWith(grant, "grant_type", "client_credentials")), 400, "unsupported_grant_type"},
		{"implicit-looking grant_type", ltBasic(ltPA, ltWith(grant, "grant_type", "token")), 400, "unsupported_grant_type"},
		{"missing grant_type", ltBasic(ltPA, ltWithout(grant, "grant_type")), 400, "invalid_request"},
		{"grant_type twice", ltBasic(ltPA, ltAdd(grant, "grant_type", "refresh_token")), 400, "invalid_request"},
		{"code twice", ltBasic(ltPA, ltAdd(grant, "code", "other")), 400, "invalid_request"},
		{"refresh grant without refresh_token", ltBasic(ltPA, url.Values{"grant_type": {"refresh_token"}}), 400, "invalid_request"},
	}
	ltEachBackend(t, func(t *testing.T, open func(t *testing.T) ltBackend) {
		w := ltNewWorld(t, open(t), ltClients()...)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				toks, err := w.svc.Token(context.Background(), tt.req)
				ltWantOAuth(t, err, tt.status, tt.err)
				if toks != (Tokens{}) {
					t.Fatalf("tokens issued: %+v", toks)
				}
			})
		}
	})
}

// Refresh tokens rotate; a spent one used again revokes the whole grant:
// every access and refresh token of it, the newest included. Other grants
// of the same connection keep working.
func TestRefreshTokenRotationAndReuse(t *testing.T) {
	ltEachBackend(t, func(t *testing.T, open func(t *testing.T) ltBackend) {
		ctx := context.Background()
		w := ltNewWorld(t, open(t), ltClients()...)
		verifier, challenge := ltPKCE()
		code, _ := w.code(t, ltAuthQuery(ltPA, challenge), fakegraph.DemoUserID)
		t1, err := w.svc.Token(ctx, ltBasic(ltPA, ltCodeForm(code, ltPA.RedirectURIs[0], verifier)))
		ltWantTokens(t, t1, err)
		// A second grant of the same connection (another sign-in).
		code, _ = w.code(t, ltAuthQuery(ltPA, ""), fakegraph.DemoUserID)
		g2, err := w.svc.Token(ctx, ltBasic(ltPA, ltCodeForm(code, ltPA.RedirectURIs[0], "")))
		ltWantTokens(t, g2, err)

		t2, err := w.svc.Token(ctx, ltBasic(ltPA, ltRefreshForm(t1.RefreshToken)))
		ltWantTokens(t, t2, err)
		if t2.AccessToken == t1.AccessToken || t2.RefreshToken == t1.RefreshToken {
			t.Fatal("the refresh did not rotate the tokens")
		}
		c1, err := w.svc.Authenticate(ctx, t1.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		if c, err := w.svc.Authenticate(ctx, t2.AccessToken); err != nil || c.ID != c1.ID {
			t.Fatalf("the new access token: %v %v", c, err)
		}

		// Another client cannot use it, and does not spend it.
		_, err = w.svc.Token(ctx, ltBasic(ltOther, ltRefreshForm(t2.RefreshToken)))
		ltWantOAuth(t, err, 400, "invalid_grant")
		// An access token is no refresh token.
		_, err = w.svc.Token(ctx, ltBasic(ltPA, ltRefreshForm(t2.AccessToken)))
		ltWantOAuth(t, err, 400, "invalid_grant")
		t3, err := w.svc.Token(ctx, ltBasic(ltPA, ltRefreshForm(t2.RefreshToken)))
		ltWantTokens(t, t3, err)

		// t1's refresh token, spent, used again: the grant is revoked.
		_, err = w.svc.Token(ctx, ltBasic(ltPA, ltRefreshForm(t1.RefreshToken)))
		ltWantOAuth(t, err, 400, "invalid_grant")
		for name, at := range map[string]string{"first": t1.AccessToken, "second": t2.AccessToken, "newest": t3.AccessToken} {
			if _, err := w.svc.Authenticate(ctx, at); err != connections.ErrInvalidKey {
				t.Errorf("the %s access token of a revoked grant: %v", name, err)
			}
		}
		_, err = w.svc.Token(ctx, ltBasic(ltPA, ltRefreshForm(t3.RefreshToken)))
		ltWantOAuth(t, err, 400, "invalid_grant")
		_, err = w.svc.Token(ctx, ltBasic(ltPA, ltRefreshForm(t2.RefreshToken)))
		ltWantOAuth(t, err, 400, "invalid_grant")

		// The other grant is untouched.
		if c, err := w.svc.Authenticate(ctx, g2.AccessToken); err != nil || c.ID != c1.ID {
			t.Fatalf("another grant's access token: %v %v", c, err)
		}
		g3, err := w.svc.Token(ctx, ltBasic(ltPA, ltRefreshForm(g2.RefreshToken)))
		ltWantTokens(t, g3, err)
	})
}

// A refresh that races the reuse of its refresh token must leave no token
// working: a leaked refresh token redeemed by an attacker while the
// rightful client redeems it too. Whichever marks it spent first, the
// other's use is a reuse, which revokes the grant; tokens stored by the
// loser are taken back, and the winner's die with the grant. The race is
// run with the rightful client's call landing at each step of the
// attacker's refresh. (The first version stored the grant again
// unconditionally after the revocation deleted it.)
func TestRevokedGrantStaysRevokedWhenARefreshRacesIt(t *testing.T) {
	for _, at := range []string{"renew:" + kindGrant, kindRefresh, kindAccess} {
		t.Run(at, func(t *testing.T) {
			ltEachBackend(t, func(t *testing.T, open func(t *testing.T) ltBackend) {
				ctx := context.Background()
				w := ltNewWorld(t, open(t), ltClients()...)
				code, _ := w.code(t, ltAuthQuery(ltPA, ""), fakegraph.DemoUserID)
				t1, err := w.svc.Token(ctx, ltBasic(ltPA, ltCodeForm(code, ltPA.RedirectURIs[0], "")))
				ltWantTokens(t, t1, err)

				var rightful Tokens
				var rightfulErr error
				w.tickets.mu.Lock()
				w.tickets.beforePut = func(kind string) {
					if kind != at {
						return
					}
					w.tickets.mu.Lock()
					w.tickets.beforePut = nil
					w.tickets.mu.Unlock()
					rightful, rightfulErr = w.svc.Token(ctx, ltBasic(ltPA, ltRefreshForm(t1.RefreshToken)))
				}
				w.tickets.mu.Unlock()
				attacker, attackerErr := w.svc.Token(ctx, ltBasic(ltPA, ltRefreshForm(t1.RefreshToken)))
				if (rightfulErr == nil) == (attackerErr == nil) && rightfulErr == nil {
					t.Fatal("both redemptions of one refresh token succeeded")
				}
				for name, toks := range map[string]Tokens{"attacker": attacker, "rightful": rightful} {
					if toks.AccessToken == "" {
						continue
					}
					if _, err := w.svc.Authenticate(ctx, toks.AccessToken); err != connections.ErrInvalidKey {
						t.Errorf("the %s's access token works after the reuse: %v", name, err)
					}
					if _, err := w.svc.Token(ctx, ltBasic(ltPA, ltRefreshForm(toks.RefreshToken))); err == nil {
						t.Errorf("the %s's refresh token works after the reuse", name)
					}
				}
			})
		})
	}
}

// A store failure while a refresh stores its new tokens leaves the old
// refresh token good for the retry: the grant is not revoked.
func TestRefreshRetriedAfterStoreFailure(t *testing.T) {
	ctx := context.Background()
	w := ltNewWorld(t, ltOpenBolt(t), ltClients()...)
	code, _ := w.code(t, ltAuthQuery(ltPA, ""), fakegraph.DemoUserID)
	t1, err := w.svc.Token(ctx, ltBasic(ltPA, ltCodeForm(code, ltPA.RedirectURIs[0], "")))
	ltWantTokens(t, t1, err)
	w.tickets.mu.Lock()
	w.tickets.failPut = kindAccess
	w.tickets.mu.Unlock()
	if _, err := w.svc.Token(ctx, ltBasic(ltPA, ltRefreshForm(t1.RefreshToken))); err == nil {
		t.Fatal("the refresh succeeded with its store failing")
	}
	w.tickets.mu.Lock()
	w.tickets.failPut = ""
	w.tickets.mu.Unlock()
	t2, err := w.svc.Token(ctx, ltBasic(ltPA, ltRefreshForm(t1.RefreshToken)))
	ltWantTokens(t, t2, err)
	if c, err := w.svc.Authenticate(ctx, t2.AccessToken); err != nil || c == nil {
		t.Fatalf("the retried refresh's token: %v", err)
	}
}

// A code used twice revokes the tokens its first use gave (RFC 6749
// §4.1.2); a refresh of a grant whose connection was deleted is
// invalid_grant, so the client signs in again.
func TestCodeReuseAndDeletedConnection(t *testing.T) {
	ctx := context.Background()
	w := ltNewWorld(t, ltOpenBolt(t), ltClients()...)
	code, _ := w.code(t, ltAuthQuery(ltPA, ""), fakegraph.DemoUserID)
	form := ltCodeForm(code, ltPA.RedirectURIs[0], "")
	t1, err := w.svc.Token(ctx, ltBasic(ltPA, form))
	ltWantTokens(t, t1, err)
	_, err = w.svc.Token(ctx, ltBasic(ltPA, form))
	ltWantOAuth(t, err, 400, "invalid_grant")
	if _, err := w.svc.Authenticate(ctx, t1.AccessToken); err != connections.ErrInvalidKey {
		t.Fatalf("the first use's access token after the code's reuse: %v", err)
	}

	code, _ = w.code(t, ltAuthQuery(ltPA, ""), fakegraph.DemoUserID)
	t2, err := w.svc.Token(ctx, ltBasic(ltPA, ltCodeForm(code, ltPA.RedirectURIs[0], "")))
	ltWantTokens(t, t2, err)
	c, err := w.svc.Authenticate(ctx, t2.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.conns.Delete(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	_, err = w.svc.Token(ctx, ltBasic(ltPA, ltRefreshForm(t2.RefreshToken)))
	ltWantOAuth(t, err, 400, "invalid_grant")
}

// Of many redemptions of one code, or of one refresh token, at once, one
// at most succeeds.
func TestConcurrentRedemptions(t *testing.T) {
	ltEachBackend(t, func(t *testing.T, open func(t *testing.T) ltBackend) {
		ctx := context.Background()
		w := ltNewWorld(t, open(t), ltClients()...)
		code, _ := w.code(t, ltAuthQuery(ltPA, ""), fakegraph.DemoUserID)
		count := func(f func() (Tokens, error)) int {
			var wg sync.WaitGroup
			errs := make([]error, 8)
			for i := range errs {
				wg.Go(func() { _, errs[i] = f() })
			}
			wg.Wait()
			n := 0
			for _, err := range errs {
				if err == nil {
					n++
				} else {
					ltWantOAuth(t, err, 400, "invalid_grant")
				}
			}
			return n
		}
		if n := count(func() (Tokens, error) {
			return w.svc.Token(ctx, ltBasic(ltPA, ltCodeForm(code, ltPA.RedirectURIs[0], "")))
		}); n != 1 {
			t.Fatalf("one code redeemed %d times", n)
		}
		code, _ = w.code(t, ltAuthQuery(ltPA, ""), fakegraph.DemoUserID)
		toks, err := w.svc.Token(ctx, ltBasic(ltPA, ltCodeForm(code, ltPA.RedirectURIs[0], "")))
		ltWantTokens(t, toks, err)
		if n := count(func() (Tokens, error) {
			return w.svc.Token(ctx, ltBasic(ltPA, ltRefreshForm(toks.RefreshToken)))
		}); n > 1 {
			t.Fatalf("one refresh token redeemed %d times", n)
		}
	})
}

// A client's sign-in that fails after its request was checked goes back
// to the client as an error redirect with its state; nothing is stored.
// One that cannot be tied to its browser is an error page.
func TestClientSignInFailures(t *testing.T) {
	ltEachBackend(t, func(t *testing.T, open func(t *testing.T) ltBackend) {
		ctx := context.Background()
		w := ltNewWorld(t, open(t), ltClients()...)
		start := func(t *testing.T, decision string) (Started, url.Values) {
			st, back, err := w.svc.Authorize(ctx, ltAuthQuery(ltPA, ""))
			if err != nil || back != "" {
				t.Fatal(back, err)
			}
			return st, ltConsent(t, st.ConsentURL, fakegraph.DemoUserID, decision)
		}
		wantBack := func(t *testing.T, res Result, err error, code string) {
			t.Helper()
			u, perr := url.Parse(res.Redirect)
			if err != nil || perr != nil || u.Query().Get("error") != code || u.Query().Get("state") != "client-state-42" ||
				u.Query().Get("code") != "" || !strings.HasPrefix(res.Redirect, ltPA.RedirectURIs[0]+"?") {
				t.Fatalf("%+v %v, want an error redirect %s", res, err, code)
			}
			if w.count(t) != 0 {
				t.Fatal("stored")
			}
		}
		t.Run("denied consent", func(t *testing.T) {
			st, q := start(t, "deny")
			res, err := w.svc.Callback(ctx, q, st.Cookie)
			wantBack(t, res, err, "access_denied")
		})
		t.Run("Instagram's code exchange fails", func(t *testing.T) {
			st, q := start(t, "allow")
			w.fake.SetFault(&fakegraph.Fault{
				Match:  func(r *http.Request) bool { return r.URL.Path == "/oauth/access_token" },
				Handle: func(rw http.ResponseWriter, _ *http.Request) { http.Error(rw, "down", http.StatusInternalServerError) },
			})
			defer w.fake.SetFault(nil)
			res, err := w.svc.Callback(ctx, q, st.Cookie)
			wantBack(t, res, err, "temporarily_unavailable")
		})
		t.Run("without the browser cookie", func(t *testing.T) {
			st, q := start(t, "allow")
			res, err := w.svc.Callback(ctx, q, "")
			ltWantPage(t, err, http.StatusBadRequest, "another browser")
			if res.Redirect != "" || w.count(t) != 0 {
				t.Fatalf("%+v", res)
			}
			_, err = w.svc.Callback(ctx, q, st.Cookie)
			ltWantPage(t, err, http.StatusBadRequest, "expired or was already used")
		})
		t.Run("replayed state", func(t *testing.T) {
			st, q := start(t, "allow")
			if _, err := w.svc.Callback(ctx, q, st.Cookie); err != nil {
				t.Fatal(err)
			}
			res, err := w.svc.Callback(ctx, q, st.Cookie)
			ltWantPage(t, err, http.StatusBadRequest, "expired or was already used")
			if res.Redirect != "" {
				t.Fatalf("a replayed state issued a code: %s", res.Redirect)
			}
		})
	})
}

func TestAuthenticateAccessTokens(t *testing.T) {
	ltEachBackend(t, func(t *testing.T, open func(t *testing.T) ltBackend) {
		ctx := context.Background()
		w := ltNewWorld(t, open(t), ltClients()...)
		code, _ := w.code(t, ltAuthQuery(ltPA, ""), fakegraph.DemoUserID)
		toks, err := w.svc.Token(ctx, ltBasic(ltPA, ltCodeForm(code, ltPA.RedirectURIs[0], "")))
		ltWantTokens(t, toks, err)
		c, err := w.svc.Authenticate(ctx, toks.AccessToken)
		if err != nil || c.InstagramUserID != fakegraph.DemoUserID {
			t.Fatalf("%v %v", c, err)
		}
		for name, tok := range map[string]string{
			"unknown":                AccessTokenPrefix + ltRandom(),
			"refresh token":          toks.RefreshToken,
			"access token's hash":    ltSHA(toks.AccessToken),
			"access token truncated": toks.AccessToken[:len(toks.AccessToken)-1],
			"empty":                  "",
		} {
			if _, err := w.svc.Authenticate(ctx, tok); err != connections.ErrInvalidKey {
				t.Errorf("%s: %v, want ErrInvalidKey", name, err)
			}
		}

		// An access token expires with its ticket (AccessLifetime: 1 h),
		// shortened here to watch the store expire it.
		w.tickets.setTTL(kindAccess, 150*time.Millisecond)
		short, err := w.svc.Token(ctx, ltBasic(ltPA, ltRefreshForm(toks.RefreshToken)))
		ltWantTokens(t, short, err)
		if _, err := w.svc.Authenticate(ctx, short.AccessToken); err != nil {
			t.Fatal(err)
		}
		time.Sleep(400 * time.Millisecond)
		if _, err := w.svc.Authenticate(ctx, short.AccessToken); err != connections.ErrInvalidKey {
			t.Fatalf("an expired access token: %v", err)
		}

		// A deleted connection's tokens stop working.
		if err := w.conns.Delete(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Authenticate(ctx, toks.AccessToken); err != connections.ErrInvalidKey {
			t.Fatalf("the token of a deleted connection: %v", err)
		}
	})
}

// A connection made through the OAuth server outlives Instagram's one-hour
// token: the consent's short-lived token is exchanged for a long-lived one
// (60 days at the fake, which the gateway then refreshes), and the
// client's own tokens refresh without Instagram.
func TestOAuthConnectionOutlivesShortToken(t *testing.T) {
	ctx := context.Background()
	w := ltNewWorld(t, ltOpenBolt(t), ltClients()...)
	verifier, challenge := ltPKCE()
	st, _, err := w.svc.Authorize(ctx, ltAuthQuery(ltPA, challenge))
	if err != nil {
		t.Fatal(err)
	}
	res, err := w.svc.Callback(ctx, ltConsent(t, st.ConsentURL, fakegraph.DemoUserID, "allow"), st.Cookie)
	if err != nil {
		t.Fatal(err)
	}
	ru, _ := url.Parse(res.Redirect)
	toks, err := w.svc.Token(ctx, ltBasic(ltPA, ltCodeForm(ru.Query().Get("code"), ltPA.RedirectURIs[0], verifier)))
	ltWantTokens(t, toks, err)
	c, err := w.conns.Store.Get(ctx, res.Connection.ID)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := w.conns.Token(c)
	if err != nil {
		t.Fatal(err)
	}
	exp, ok := w.fake.TokenExpiry(tok)
	if !ok || time.Until(exp) < 59*24*time.Hour || c.TokenExpiresAt.Sub(exp).Abs() > time.Minute || c.RefreshDueAt.IsZero() {
		t.Fatalf("stored token expires %v (record says %v, refresh due %v): not the long-lived one", exp, c.TokenExpiresAt, c.RefreshDueAt)
	}
	again, err := w.svc.Token(ctx, ltBasic(ltPA, ltRefreshForm(toks.RefreshToken)))
	ltWantTokens(t, again, err)
	if c2, err := w.svc.Authenticate(ctx, again.AccessToken); err != nil || c2.ID != c.ID {
		t.Fatalf("the refreshed access token: %v", err)
	}
}

// Whoever can write the store but lacks the encryption key cannot forge an
// access token: tickets are keyed by an HMAC under a key derived from it,
// so a ticket written under the token's bare SHA-256 (or under another
// key) authenticates nothing. (The first version keyed them by SHA-256.)
func TestForgedAccessTicketRefused(t *testing.T) {
	ctx := context.Background()
	w := ltNewWorld(t, ltOpenBolt(t), ltClients()...)
	w.svc.HashKey = bytes.Repeat([]byte{9}, 32)
	linked, err := w.begin(t, "victim", fakegraph.DemoUserID, "allow").finish(w)
	if err != nil {
		t.Fatal(err)
	}
	const forged = AccessTokenPrefix + "forgedforgedforgedforgedforgedforgedforged0"
	bare := sha256.Sum256([]byte(forged))
	for name, key := range map[string]string{
		"bare SHA-256":  base64.RawURLEncoding.EncodeToString(bare[:]),
		"another key":   keyedHash([]byte("not the gateway's key"), forged),
		"no key at all": keyedHash(nil, forged),
	} {
		t.Run(name, func(t *testing.T) {
			if err := w.be.st.PutTicket(ctx, kindGrant, "g-"+name, mustJSON(grant{Client: ltPA.ID, Connection: linked.Connection.ID}), time.Hour); err != nil {
				t.Fatal(err)
			}
			if err := w.be.st.PutTicket(ctx, kindAccess, key, mustJSON(access{Grant: "g-" + name, Connection: linked.Connection.ID}), time.Hour); err != nil {
				t.Fatal(err)
			}
			if c, err := w.svc.Authenticate(ctx, forged); err != connections.ErrInvalidKey {
				t.Fatalf("a forged access ticket authenticated: %v %v", c, err)
			}
		})
	}
	// The gateway's own tokens still work under its key.
	verifier, challenge := ltPKCE()
	st, _, err := w.svc.Authorize(ctx, ltAuthQuery(ltPA, challenge))
	if err != nil {
		t.Fatal(err)
	}
	res, err := w.svc.Callback(ctx, ltConsent(t, st.ConsentURL, fakegraph.DemoUserID, "allow"), st.Cookie)
	if err != nil {
		t.Fatal(err)
	}
	ru, _ := url.Parse(res.Redirect)
	toks, err := w.svc.Token(ctx, ltBasic(ltPA, ltCodeForm(ru.Query().Get("code"), ltPA.RedirectURIs[0], verifier)))
	ltWantTokens(t, toks, err)
	if c, err := w.svc.Authenticate(ctx, toks.AccessToken); err != nil || c.ID != linked.Connection.ID {
		t.Fatalf("the gateway's own token: %v", err)
	}
}
