package instagram

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/igconnect/gateway/internal/connectors"
)

// Login is Instagram Login (Business Login for Instagram) as a client:
// the consent page's address and the exchange of its code for a
// short-lived token.
type Login struct {
	AppID, AppSecret string
	// AuthorizeURL is the consent page, TokenURL the code exchange.
	AuthorizeURL, TokenURL string
	Scopes                 []string
	HTTP                   *http.Client
}

// ConsentURL is Instagram's consent page asking for l's scopes, coming back
// to redirectURI with state.
func (l *Login) ConsentURL(state, redirectURI string) string {
	u, err := url.Parse(l.AuthorizeURL)
	if err != nil { // checked by the configuration
		return l.AuthorizeURL
	}
	q := u.Query()
	q.Set("client_id", l.AppID)
	q.Set("redirect_uri", redirectURI)
	q.Set("response_type", "code")
	q.Set("scope", strings.Join(l.Scopes, ","))
	q.Set("state", state)
	u.RawQuery = q.Encode()
	return u.String()
}

// maxLoginAnswer bounds the code exchange's answer.
const maxLoginAnswer = 64 << 10

// Exchange trades code, which Instagram sent to redirectURI, for a
// short-lived token. A code Instagram refuses (used, expired, another
// redirect URI) is BAD_REQUEST; Instagram unreachable or failing is
// UPSTREAM_ERROR or UPSTREAM_TIMEOUT. No error carries the code, the token
// or the app secret.
func (l *Login) Exchange(ctx context.Context, code, redirectURI string) (string, error) {
	form := url.Values{
		"client_id": {l.AppID}, "client_secret": {l.AppSecret}, "grant_type": {"authorization_code"},
		"redirect_uri": {redirectURI}, "code": {code},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", connectors.Errorf(connectors.CodeInternal, "the Instagram token URL is not usable")
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := l.HTTP.Do(req)
	if err != nil {
		return "", transportError(ctx, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxLoginAnswer))
	if err != nil {
		return "", transportError(ctx, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", l.exchangeError(resp.StatusCode, body, code)
	}
	// Business Login answers {"data":[{"access_token","user_id",
	// "permissions"}]}; the Basic Display API answered the object itself.
	var a struct {
		Data []struct {
			AccessToken string `json:"access_token"`
		} `json:"data"`
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return "", connectors.Errorf(connectors.CodeUpstreamError, "Instagram answered the code exchange with something that is not JSON")
	}
	tok := a.AccessToken
	if len(a.Data) > 0 {
		tok = a.Data[0].AccessToken
	}
	if connectors.TokenProblem(tok) != "" {
		return "", connectors.Errorf(connectors.CodeUpstreamError, "Instagram answered the code exchange without a token")
	}
	return tok, nil
}

// exchangeError is the code exchange's failure: Instagram's
// {"error_type","code","error_message"}, or a Graph error object.
func (l *Login) exchangeError(status int, body []byte, code string) error {
	var a struct {
		Type    string `json:"error_type"`
		Message string `json:"error_message"`
		Error   *struct {
			Message string `json:"message"`
			Type    string `json:"type"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &a)
	msg := a.Message
	if msg == "" && a.Error != nil {
		msg = a.Error.Message
	}
	for _, s := range []string{code, l.AppSecret} {
		msg = redactToken(msg, s)
	}
	msg = capMessage(strings.TrimSpace(msg))
	if status >= 500 || msg == "" {
		e := connectors.Errorf(connectors.CodeUpstreamError, "Instagram could not exchange the sign-in code (HTTP %d)", status)
		e.Transient = status >= 500
		return e
	}
	return connectors.Errorf(connectors.CodeBadRequest, "Instagram refused the sign-in code: %s", msg)
}
