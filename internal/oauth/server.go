package oauth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/igconnect/gateway/internal/connections"
	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/secret"
)

// Error is an OAuth error (RFC 6749 §5.2): its status, error code and
// description.
type Error struct {
	Status      int    `json:"-"`
	Code        string `json:"error"`
	Description string `json:"error_description"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Description }

func oauthError(status int, code, desc string) *Error {
	return &Error{Status: status, Code: code, Description: desc}
}

func invalidRequest(desc string) *Error {
	return oauthError(http.StatusBadRequest, "invalid_request", desc)
}
func invalidGrant(desc string) *Error {
	return oauthError(http.StatusBadRequest, "invalid_grant", desc)
}

// errInvalidClient answers a client that is unknown or failed to
// authenticate.
var errInvalidClient = oauthError(http.StatusUnauthorized, "invalid_client", "unknown client, or wrong client credentials")

// pkceValid tells whether s is a PKCE challenge or verifier: 43 to 128
// unreserved characters.
func pkceValid(s string) bool {
	if len(s) < 43 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

// s256 is PKCE's S256 transform of verifier.
func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Authorize checks an authorization request (GET /oauth2/authorize) and
// begins its Instagram consent. A request whose client or redirect URI is
// wrong is a *PageError: the browser is not sent to a URI the gateway
// cannot trust. Any other fault goes back to the client: the second answer
// is the error redirect.
func (s *Service) Authorize(ctx context.Context, q url.Values) (Started, string, error) {
	for _, p := range []string{"client_id", "redirect_uri", "response_type", "state", "code_challenge", "code_challenge_method"} {
		if len(q[p]) > 1 {
			return Started{}, "", pageError(http.StatusBadRequest, "This sign-in request is not valid", p+" is given more than once.")
		}
	}
	client, ok := s.Clients[q.Get("client_id")]
	if !ok {
		return Started{}, "", pageError(http.StatusBadRequest, "This sign-in request is not valid", "It names an application this gateway does not know (client_id).")
	}
	redirect := q.Get("redirect_uri")
	if redirect == "" && len(client.RedirectURIs) == 1 {
		redirect = client.RedirectURIs[0]
	}
	if !slices.Contains(client.RedirectURIs, redirect) {
		return Started{}, "", pageError(http.StatusBadRequest, "This sign-in request is not valid", "Its redirect_uri is not one registered for the application.")
	}
	back := func(code, desc string) (Started, string, error) {
		return Started{}, clientRedirect(redirect, url.Values{"error": {code}, "error_description": {desc}}, q.Get("state")), nil
	}
	if q.Get("response_type") != "code" {
		return back("unsupported_response_type", "response_type must be code")
	}
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	switch {
	case challenge == "" && client.Secret == "":
		return back("invalid_request", "a public client must use PKCE (code_challenge with code_challenge_method S256)")
	case challenge == "" && method != "":
		return back("invalid_request", "code_challenge_method without code_challenge")
	case challenge != "" && method != "S256":
		return back("invalid_request", "code_challenge_method must be S256")
	case challenge != "" && !pkceValid(challenge):
		return back("invalid_request", "code_challenge must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~")
	}
	st, err := s.begin(ctx, state{Client: client.ID, RedirectURI: redirect, RedirectGiven: q.Get("redirect_uri") != "", ClientState: q.Get("state"), Challenge: challenge})
	if err != nil {
		return back("temporarily_unavailable", "the gateway could not start the sign-in; try again")
	}
	return st, "", nil
}

// code is an authorization code's ticket.
type code struct {
	// Spent marks a code already redeemed, for the rest of its life: its
	// reuse revokes Grant, the grant it was redeemed for.
	Spent bool   `json:"spent,omitempty"`
	Grant string `json:"grant,omitempty"`

	Client      string `json:"client,omitempty"`
	RedirectURI string `json:"redirect_uri,omitempty"`
	// RedirectGiven: the authorization request named its redirect_uri,
	// so the token request must name it too (RFC 6749 §4.1.3).
	RedirectGiven bool   `json:"redirect_given,omitempty"`
	Challenge     string `json:"challenge,omitempty"`
	Connection    string `json:"connection,omitempty"`
}

// finishClient stores the connection of an OAuth client's sign-in and
// sends the browser back to the client with a code.
func (s *Service) finishClient(ctx context.Context, st state, grant connectors.Grant) (Result, error) {
	fail := func(err error) (Result, error) {
		return Result{Redirect: clientRedirect(st.RedirectURI, url.Values{"error": {"temporarily_unavailable"}, "error_description": {connectors.ErrorMessage(err)}}, st.ClientState)}, nil
	}
	v, _, err := s.Connections.Connect(ctx, grant, "")
	if err != nil {
		return fail(err)
	}
	c, err := newSecret("")
	if err != nil {
		return fail(err)
	}
	rec := code{Client: st.Client, RedirectURI: st.RedirectURI, RedirectGiven: st.RedirectGiven, Challenge: st.Challenge, Connection: v.ID}
	if err := s.put(ctx, kindCode, s.hash(c), rec, CodeLifetime); err != nil {
		return fail(err)
	}
	return Result{Connection: v, Redirect: clientRedirect(st.RedirectURI, url.Values{"code": {c}}, st.ClientState)}, nil
}

// TokenRequest is a POST /oauth2/token: its form and the client's Basic
// credentials, if any.
type TokenRequest struct {
	Form        url.Values
	BasicID     string
	BasicSecret string
	HasBasic    bool
}

// Tokens is a token answer (RFC 6749 §5.1).
type Tokens struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
}

// authenticateClient finds the request's client and checks its secret.
func (s *Service) authenticateClient(r TokenRequest) (Client, *Error) {
	id, clientSecret := r.Form.Get("client_id"), r.Form.Get("client_secret")
	rawSecret := clientSecret
	if r.HasBasic {
		if r.Form.Has("client_secret") {
			return Client{}, invalidRequest("use one client authentication method: HTTP Basic or client_secret in the body, not both")
		}
		if r.Form.Has("client_id") && id != r.BasicID {
			return Client{}, invalidRequest("client_id differs from the HTTP Basic client")
		}
		id, clientSecret, rawSecret = formDecoded(r.BasicID), formDecoded(r.BasicSecret), r.BasicSecret
	}
	client, ok := s.Clients[id]
	if !ok || id == "" {
		return Client{}, errInvalidClient
	}
	if client.Secret == "" {
		if clientSecret != "" {
			return Client{}, errInvalidClient
		}
		return client, nil
	}
	// Basic credentials are form-encoded (RFC 6749 §2.3.1); many clients
	// send them raw, which is taken too.
	if !secret.EqualDigest(clientSecret, client.Secret) && !secret.EqualDigest(rawSecret, client.Secret) {
		return Client{}, errInvalidClient
	}
	return client, nil
}

// formDecoded undoes the form-encoding RFC 6749 §2.3.1 applies to client
// credentials in HTTP Basic; a value that does not decode is taken as is.
func formDecoded(v string) string {
	if d, err := url.QueryUnescape(v); err == nil {
		return d
	}
	return v
}

// Token answers POST /oauth2/token: the authorization_code and
// refresh_token grants.
func (s *Service) Token(ctx context.Context, r TokenRequest) (Tokens, error) {
	for p, v := range r.Form {
		if len(v) > 1 {
			return Tokens{}, invalidRequest(p + " is given more than once")
		}
	}
	client, oerr := s.authenticateClient(r)
	if oerr != nil {
		return Tokens{}, oerr
	}
	switch r.Form.Get("grant_type") {
	case "authorization_code":
		return s.codeGrant(ctx, client, r.Form)
	case "refresh_token":
		return s.refreshGrant(ctx, client, r.Form)
	case "":
		return Tokens{}, invalidRequest("grant_type is required")
	}
	return Tokens{}, oauthError(http.StatusBadRequest, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
}

// grant is a client's access to a connection, shared by the tokens it
// issues; deleting it revokes them all.
type grant struct {
	Client     string `json:"client"`
	Connection string `json:"connection"`
}

// access and refresh are token tickets.
type access struct {
	Grant      string `json:"grant"`
	Connection string `json:"connection"`
}

type refresh struct {
	Grant  string `json:"grant"`
	Client string `json:"client"`
	Spent  bool   `json:"spent,omitempty"`
}

// storeError is the token endpoint's answer to a store failure.
func storeError(err error) error {
	var oe *Error
	if errors.As(err, &oe) {
		return oe
	}
	return connectors.Wrap(err, connectors.CodeUnavailable, "the gateway's store is unavailable")
}

func (s *Service) codeGrant(ctx context.Context, client Client, form url.Values) (Tokens, error) {
	c := form.Get("code")
	if c == "" {
		return Tokens{}, invalidRequest("code is required")
	}
	var rec code
	if err := into(&rec)(s.Tickets.TakeTicket(ctx, kindCode, s.hash(c))); err != nil {
		if errors.Is(err, connectors.ErrNotFound) {
			return Tokens{}, invalidGrant("the code is invalid, expired or already used")
		}
		return Tokens{}, storeError(err)
	}
	if rec.Spent {
		// RFC 6749 §4.1.2: a code used twice revokes what it gave.
		return Tokens{}, s.revoke(ctx, rec.Grant)
	}
	switch {
	case rec.Client != client.ID:
		return Tokens{}, invalidGrant("the code was issued to another client")
	case form.Get("redirect_uri") != rec.RedirectURI && (rec.RedirectGiven || form.Get("redirect_uri") != ""):
		return Tokens{}, invalidGrant("redirect_uri differs from the authorization request's")
	case rec.Challenge != "" && !pkceValid(form.Get("code_verifier")):
		return Tokens{}, invalidGrant("code_verifier is missing or malformed")
	case rec.Challenge != "" && !secret.Equal(s256(form.Get("code_verifier")), rec.Challenge):
		return Tokens{}, invalidGrant("code_verifier does not match the code_challenge")
	case rec.Challenge == "" && form.Get("code_verifier") != "":
		return Tokens{}, invalidGrant("code_verifier given for a code issued without a code_challenge")
	}
	if err := s.connectionExists(ctx, rec.Connection); err != nil {
		return Tokens{}, err
	}
	id, err := newSecret("")
	if err != nil {
		return Tokens{}, err
	}
	// The code stays, spent, for the rest of its life: a reuse revokes the
	// grant it gave.
	_ = s.put(ctx, kindCode, s.hash(c), code{Spent: true, Grant: id}, CodeLifetime)
	return s.issue(ctx, id, grant{Client: client.ID, Connection: rec.Connection})
}

func (s *Service) refreshGrant(ctx context.Context, client Client, form url.Values) (Tokens, error) {
	rt := form.Get("refresh_token")
	if rt == "" {
		return Tokens{}, invalidRequest("refresh_token is required")
	}
	h := s.hash(rt)
	var cur refresh
	if err := into(&cur)(s.Tickets.GetTicket(ctx, kindRefresh, h)); err != nil {
		if errors.Is(err, connectors.ErrNotFound) {
			return Tokens{}, invalidGrant("the refresh token is invalid or expired")
		}
		return Tokens{}, storeError(err)
	}
	if cur.Client != client.ID {
		return Tokens{}, invalidGrant("the refresh token was issued to another client")
	}
	if cur.Spent {
		return Tokens{}, s.revoke(ctx, cur.Grant)
	}
	var g grant
	if err := into(&g)(s.Tickets.GetTicket(ctx, kindGrant, cur.Grant)); err != nil {
		if errors.Is(err, connectors.ErrNotFound) {
			return Tokens{}, invalidGrant("the grant is revoked: sign in again")
		}
		return Tokens{}, storeError(err)
	}
	if err := s.connectionExists(ctx, g.Connection); err != nil {
		return Tokens{}, err
	}
	// The new tokens are stored first; marking the old refresh token spent
	// is the commit: a store failure before it leaves the old one good for
	// a retry, and a reuse that raced it revokes the grant.
	tokens, err := s.tokens(ctx, cur.Grant, g)
	if err != nil {
		return Tokens{}, err
	}
	drop := func() {
		_ = s.Tickets.DeleteTicket(ctx, kindAccess, s.hash(tokens.AccessToken))
		_ = s.Tickets.DeleteTicket(ctx, kindRefresh, s.hash(tokens.RefreshToken))
	}
	spent := cur
	spent.Spent = true
	var was refresh
	if err := into(&was)(s.Tickets.SwapTicket(ctx, kindRefresh, h, mustJSON(spent))); err != nil {
		drop()
		if errors.Is(err, connectors.ErrNotFound) {
			return Tokens{}, invalidGrant("the refresh token is invalid or expired")
		}
		return Tokens{}, storeError(err)
	}
	if was.Spent {
		drop()
		return Tokens{}, s.revoke(ctx, cur.Grant)
	}
	// The grant lives on, unless it was revoked meanwhile: renewing never
	// brings it back, and tokens stored while a revocation raced them are
	// taken back.
	// A revocation after this leaves the new tokens stored, and refused:
	// Authenticate and the next refresh read the grant.
	if err := s.Tickets.RenewTicket(ctx, kindGrant, cur.Grant, RefreshLifetime); err != nil {
		drop()
		if errors.Is(err, connectors.ErrNotFound) {
			return Tokens{}, invalidGrant("the grant is revoked: sign in again")
		}
		return Tokens{}, storeError(err)
	}
	return tokens, nil
}

// revoke deletes grant id, so that every token it issued stops working,
// and answers why: a spent secret was used again (it leaked, or a client
// lost an answer).
func (s *Service) revoke(ctx context.Context, id string) error {
	if err := s.Tickets.DeleteTicket(ctx, kindGrant, id); err != nil {
		return storeError(err)
	}
	return invalidGrant("the refresh token or code was already used: the grant is revoked, sign in again")
}

// connectionExists answers invalid_grant when the connection a grant is
// for was deleted: its client must sign in again.
func (s *Service) connectionExists(ctx context.Context, id string) error {
	_, err := s.Connections.Store.Get(ctx, id)
	switch {
	case errors.Is(err, connectors.ErrNotFound):
		return invalidGrant("the connection was deleted: sign in again")
	case err != nil:
		return storeError(err)
	}
	return nil
}

// mustJSON marshals a ticket type (which always marshals).
func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// issue stores a new grant g and its first tokens.
func (s *Service) issue(ctx context.Context, id string, g grant) (Tokens, error) {
	if err := s.put(ctx, kindGrant, id, g, RefreshLifetime); err != nil {
		return Tokens{}, storeError(err)
	}
	return s.tokens(ctx, id, g)
}

// tokens stores a new access and refresh token of grant id.
func (s *Service) tokens(ctx context.Context, id string, g grant) (Tokens, error) {
	at, err := newSecret(AccessTokenPrefix)
	if err != nil {
		return Tokens{}, err
	}
	rt, err := newSecret(RefreshTokenPrefix)
	if err != nil {
		return Tokens{}, err
	}
	if err := s.put(ctx, kindRefresh, s.hash(rt), refresh{Grant: id, Client: g.Client}, RefreshLifetime); err != nil {
		return Tokens{}, storeError(err)
	}
	if err := s.put(ctx, kindAccess, s.hash(at), access{Grant: id, Connection: g.Connection}, AccessLifetime); err != nil {
		return Tokens{}, storeError(err)
	}
	return Tokens{AccessToken: at, TokenType: "Bearer", ExpiresIn: int(AccessLifetime.Seconds()), RefreshToken: rt}, nil
}

// Authenticate finds the connection of a gateway access token: its ticket,
// then its grant (revoked: refused), then the connection. A token that
// does not authenticate is connections.ErrInvalidKey, as a wrong API key.
func (s *Service) Authenticate(ctx context.Context, token string) (*connectors.Connection, error) {
	var a access
	if err := into(&a)(s.Tickets.GetTicket(ctx, kindAccess, s.hash(token))); err != nil {
		if errors.Is(err, connectors.ErrNotFound) {
			return nil, connections.ErrInvalidKey
		}
		return nil, err
	}
	if _, err := s.Tickets.GetTicket(ctx, kindGrant, a.Grant); err != nil {
		if errors.Is(err, connectors.ErrNotFound) {
			return nil, connections.ErrInvalidKey
		}
		return nil, err
	}
	c, err := s.Connections.Store.Get(ctx, a.Connection)
	if errors.Is(err, connectors.ErrNotFound) {
		return nil, connections.ErrInvalidKey
	}
	if err != nil {
		return nil, err
	}
	if c.ID != a.Connection {
		return nil, connections.ErrInvalidKey // a store must answer the record it was asked for
	}
	return c, nil
}
