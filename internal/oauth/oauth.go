// Package oauth connects Instagram accounts by Instagram Login (contract
// §9): connect links an admin sends to an account's owner, and the
// gateway's own OAuth 2.0 authorization server, which Power Automate signs
// people in with (authorization code with PKCE, rotating refresh tokens).
// Both run the same Instagram consent and end in a connection
// (connections.Service.Connect).
//
// Every secret it hands out (link, state, code, access and refresh token)
// is kept only as its keyed hash (HMAC-SHA256 under HashKey), in the store's tickets, which expire with
// it: link (the link's name and expiry), state (one sign-in in progress,
// bound to the browser's cookie), code, grant (a client's access to a
// connection), access and refresh.
package oauth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/igconnect/gateway/internal/connections"
	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/secret"
	"github.com/igconnect/gateway/internal/store"
)

// Lifetimes.
const (
	// StateLifetime bounds a sign-in, from the gateway's page to the
	// callback.
	StateLifetime = 10 * time.Minute
	// CodeLifetime bounds an authorization code's use.
	CodeLifetime = 60 * time.Second
	// AccessLifetime is an access token's; RefreshLifetime a refresh
	// token's and its grant's (renewed by each refresh).
	AccessLifetime  = time.Hour
	RefreshLifetime = 90 * 24 * time.Hour
	// MaxLinkTTL bounds a connect link's life; DefaultLinkTTL is used when
	// none is asked.
	MaxLinkTTL     = 30 * 24 * time.Hour
	DefaultLinkTTL = 24 * time.Hour
)

// Prefixes of the tokens the gateway issues: an access token is told from
// an API key by its prefix.
const (
	AccessTokenPrefix  = "igwa_"
	RefreshTokenPrefix = "igwr_"
)

// Ticket kinds.
const (
	kindLink    = "link"
	kindState   = "state"
	kindCode    = "code"
	kindGrant   = "grant"
	kindAccess  = "access"
	kindRefresh = "refresh"
)

// CallbackPath is where Instagram sends the browser back.
const CallbackPath = "/connect/callback"

// Login is Instagram Login as a client (instagram.Login).
type Login interface {
	// ConsentURL is Instagram's consent page coming back to redirectURI
	// with state.
	ConsentURL(state, redirectURI string) string
	// Exchange trades the consent's code for a short-lived token.
	Exchange(ctx context.Context, code, redirectURI string) (string, error)
}

// Client is a client of the gateway's OAuth server.
type Client struct {
	ID string
	// Secret is empty for a public client, which must use PKCE.
	Secret       string
	RedirectURIs []string
}

// Service runs connect links and the OAuth server.
type Service struct {
	Tickets     store.Tickets
	Connections *connections.Service
	Login       Login
	Clients     map[string]Client
	// Base is the gateway's public base URL (GATEWAY_PUBLIC_URL): links
	// and the callback are built on it.
	Base string
	// HashKey keys the hashes secrets are stored under
	// (secret.TicketKey): without it, whoever can write the store could
	// store a ticket for a token of their own.
	HashKey []byte
	Now     func() time.Time
}

// New returns the service; hashKey keys the hashes its secrets are stored
// under (secret.TicketKey).
func New(tickets store.Tickets, conns *connections.Service, login Login, clients []Client, base string, hashKey []byte) *Service {
	m := make(map[string]Client, len(clients))
	for _, c := range clients {
		m[c.ID] = c
	}
	return &Service{Tickets: tickets, Connections: conns, Login: login, Clients: m, Base: strings.TrimRight(base, "/"), HashKey: hashKey, Now: time.Now}
}

// BasePath is the path of Base (GATEWAY_PUBLIC_URL's, behind a proxy that
// strips it), without its final slash: the browser's paths start with it.
func (s *Service) BasePath() string {
	u, err := url.Parse(s.Base)
	if err != nil {
		return ""
	}
	return strings.TrimRight(u.Path, "/")
}

// callback is the redirect URI Instagram knows the gateway by.
func (s *Service) callback() string { return s.Base + CallbackPath }

// newSecret returns 32 random bytes, base64url, after prefix.
func newSecret(prefix string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// keyedHash is a secret's ticket key: its HMAC-SHA256 under key.
func keyedHash(key []byte, secret string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(secret))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// hash is a secret's ticket key under the service's HashKey.
func (s *Service) hash(secret string) string { return keyedHash(s.HashKey, secret) }

// put stores v as a ticket.
func (s *Service) put(ctx context.Context, kind, key string, v any, ttl time.Duration) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.Tickets.PutTicket(ctx, kind, key, b, ttl)
}

// into returns a reader of a ticket answer into v: the ticket's error, or
// its value decoded.
func into(v any) func([]byte, error) error {
	return func(b []byte, err error) error {
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, v); err != nil {
			return connectors.Wrap(err, connectors.CodeInternal, "a stored sign-in record cannot be read")
		}
		return nil
	}
}

// PageError is a failure shown to a person on the gateway's error page.
type PageError struct {
	Status  int
	Title   string
	Message string
	Err     error
}

func (e *PageError) Error() string { return e.Title + ": " + e.Message }
func (e *PageError) Unwrap() error { return e.Err }

func pageError(status int, title, msg string) *PageError {
	return &PageError{Status: status, Title: title, Message: msg}
}

// unavailable is the page of a store or upstream failure.
func unavailable(err error) *PageError {
	msg := "The gateway could not reach its store. Nothing was stored; try again in a moment."
	if e := connectors.AsError(err); strings.HasPrefix(e.Code, "UPSTREAM") || e.Code == connectors.CodeBadRequest {
		msg = connectors.ErrorMessage(err) + ". Nothing was stored; try again."
	}
	return &PageError{Status: http.StatusServiceUnavailable, Title: "Instagram or the gateway is unavailable", Message: msg, Err: err}
}

// errLinkGone is the page of a link that expired, was used or never was.
var errLinkGone = pageError(http.StatusGone, "This link no longer works",
	"It has expired, has already been used to connect an account, or was never issued. Ask for a new link.")

// link is a connect link's ticket.
type link struct {
	Name      string    `json:"name"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Link is a connect link as its creator sees it: shown once.
type Link struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// NewLink issues a single-use connect link for a connection named name,
// valid for ttl (DefaultLinkTTL when zero).
func (s *Service) NewLink(ctx context.Context, name string, ttl time.Duration) (Link, error) {
	if ttl == 0 {
		ttl = DefaultLinkTTL
	}
	if ttl < time.Minute || ttl > MaxLinkTTL {
		return Link{}, connectors.Errorf(connectors.CodeBadRequest, "ttl must be from 1m to %s", "720h")
	}
	if err := connections.ValidName(name); err != nil {
		return Link{}, err
	}
	tok, err := newSecret("")
	if err != nil {
		return Link{}, err
	}
	exp := s.Now().Add(ttl).UTC().Truncate(time.Second)
	if err := s.put(ctx, kindLink, s.hash(tok), link{Name: strings.TrimSpace(name), ExpiresAt: exp}, ttl); err != nil {
		return Link{}, err
	}
	return Link{URL: s.Base + "/connect/" + tok, ExpiresAt: exp}, nil
}

// LinkInfo returns the name of the connection link token makes and when
// the link expires, or a PageError when the link no longer works.
func (s *Service) LinkInfo(ctx context.Context, token string) (name string, expires time.Time, err error) {
	var l link
	if err := into(&l)(s.Tickets.GetTicket(ctx, kindLink, s.hash(token))); err != nil {
		return "", time.Time{}, linkError(err)
	}
	return l.Name, l.ExpiresAt, nil
}

func linkError(err error) error {
	if errors.Is(err, connectors.ErrNotFound) {
		return errLinkGone
	}
	return unavailable(err)
}

// state is a sign-in in progress, from the gateway's page (or
// /oauth2/authorize) to the callback.
type state struct {
	// Link is the connect link's hash (a link's sign-in), or empty (an
	// OAuth client's).
	Link string `json:"link,omitempty"`
	// Browser is the hash of the cookie the sign-in's browser holds.
	Browser string `json:"browser"`
	// An OAuth client's sign-in: its request.
	Client        string `json:"client,omitempty"`
	RedirectURI   string `json:"redirect_uri,omitempty"`
	RedirectGiven bool   `json:"redirect_given,omitempty"`
	ClientState   string `json:"client_state,omitempty"`
	Challenge     string `json:"challenge,omitempty"`
}

// Started is a sign-in begun: send the browser to ConsentURL with the
// cookie CookieName set to Cookie.
type Started struct {
	ConsentURL string
	// CookieName and Cookie bind the sign-in to this browser; each
	// sign-in has its own, so that two in one browser do not clash.
	CookieName, Cookie string
}

// CookieName is the name of the cookie that binds the sign-in of state to
// its browser.
func (s *Service) CookieName(state string) string { return "igw_signin_" + s.hash(state)[:12] }

// begin records st and returns where the browser goes.
func (s *Service) begin(ctx context.Context, st state) (Started, error) {
	stateTok, err := newSecret("")
	if err != nil {
		return Started{}, err
	}
	cookie, err := newSecret("")
	if err != nil {
		return Started{}, err
	}
	st.Browser = s.hash(cookie)
	if err := s.put(ctx, kindState, s.hash(stateTok), st, StateLifetime); err != nil {
		return Started{}, unavailable(err)
	}
	return Started{ConsentURL: s.Login.ConsentURL(stateTok, s.callback()), CookieName: s.CookieName(stateTok), Cookie: cookie}, nil
}

// StartLink begins the sign-in of connect link token.
func (s *Service) StartLink(ctx context.Context, token string) (Started, error) {
	if _, _, err := s.LinkInfo(ctx, token); err != nil {
		return Started{}, err
	}
	return s.begin(ctx, state{Link: s.hash(token)})
}

// Result is a finished sign-in: for a link, the connection (its key shown
// when Created); for an OAuth client, where the browser goes.
type Result struct {
	Connection connectors.ConnectionView
	Created    bool
	Redirect   string
}

// Callback finishes a sign-in with Instagram's answer q, in the browser
// holding cookie. A link's failure is a *PageError and stores nothing; an
// OAuth client's failure after its request was checked goes back to the
// client as an error redirect (Result.Redirect), as RFC 6749 says.
func (s *Service) Callback(ctx context.Context, q url.Values, cookie string) (Result, error) {
	stateTok := q.Get("state")
	if stateTok == "" {
		return Result{}, pageError(http.StatusBadRequest, "This sign-in cannot be finished", "Instagram's answer carries no state. Start again from your link.")
	}
	// The state is spent before its browser is checked: a sign-in that
	// reached the wrong browser (a victim lured into an attacker's, or a
	// callback URL carried elsewhere) can never be finished afterwards,
	// not even by a browser that holds the cookie.
	var st state
	if err := into(&st)(s.Tickets.TakeTicket(ctx, kindState, s.hash(stateTok))); err != nil {
		if errors.Is(err, connectors.ErrNotFound) {
			return Result{}, pageError(http.StatusBadRequest, "This sign-in has expired or was already used",
				"A sign-in must be finished within 10 minutes, once. Nothing was stored. Start again from your link.")
		}
		return Result{}, unavailable(err)
	}
	if cookie == "" || !secret.Equal(s.hash(cookie), st.Browser) {
		return Result{}, pageError(http.StatusBadRequest, "This sign-in was started in another browser",
			"Finish it in the browser that started it (with cookies allowed). Nothing was stored. Start again from your link.")
	}
	if q.Has("error") {
		if st.Link == "" {
			return Result{Redirect: clientRedirect(st.RedirectURI, url.Values{"error": {"access_denied"}, "error_description": {"the Instagram account's owner did not allow access"}}, st.ClientState)}, nil
		}
		return Result{}, pageError(http.StatusForbidden, "Access was not allowed",
			"Instagram says access to the account was not allowed, so nothing was connected. Your link still works: open it again to connect.")
	}
	code := q.Get("code")
	if code == "" {
		return Result{}, pageError(http.StatusBadRequest, "This sign-in cannot be finished", "Instagram's answer carries no code. Start again from your link.")
	}
	if st.Link != "" {
		// A link spent or expired meanwhile costs no exchange.
		if _, err := s.Tickets.GetTicket(ctx, kindLink, st.Link); err != nil {
			return Result{}, linkError(err)
		}
	}
	grant, err := s.obtain(ctx, code)
	if err != nil {
		if st.Link == "" {
			return Result{Redirect: clientRedirect(st.RedirectURI, url.Values{"error": {"temporarily_unavailable"}, "error_description": {connectors.ErrorMessage(err)}}, st.ClientState)}, nil
		}
		return Result{}, unavailable(err)
	}
	if st.Link != "" {
		return s.finishLink(ctx, st, grant)
	}
	return s.finishClient(ctx, st, grant)
}

// obtain trades Instagram's code for a long-lived token.
func (s *Service) obtain(ctx context.Context, code string) (connectors.Grant, error) {
	short, err := s.Login.Exchange(ctx, code, s.callback())
	if err != nil {
		return connectors.Grant{}, err
	}
	return s.Connections.Connector.LongLived(ctx, short)
}

// finishLink spends the link and stores the connection; a failure puts
// the link back.
func (s *Service) finishLink(ctx context.Context, st state, grant connectors.Grant) (Result, error) {
	var l link
	if err := into(&l)(s.Tickets.TakeTicket(ctx, kindLink, st.Link)); err != nil {
		return Result{}, linkError(err)
	}
	v, created, err := s.Connections.Connect(ctx, grant, l.Name)
	if err != nil {
		if left := l.ExpiresAt.Sub(s.Now()); left > 0 {
			_ = s.put(ctx, kindLink, st.Link, l, left)
		}
		return Result{}, unavailable(err)
	}
	return Result{Connection: v, Created: created}, nil
}

// clientRedirect is redirectURI with params and the client's state added.
func clientRedirect(redirectURI string, params url.Values, clientState string) string {
	u, err := url.Parse(redirectURI)
	if err != nil { // registered URIs are checked at start
		return redirectURI
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	if clientState != "" {
		q.Set("state", clientState)
	}
	u.RawQuery = q.Encode()
	return u.String()
}
