package instagram

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/igconnect/gateway/internal/connectors"
)

// Instagram's token endpoints. They take no API version: Instagram serves
// them at graph.instagram.com/refresh_access_token and /access_token.
const (
	refreshPath  = "/refresh_access_token"
	exchangePath = "/access_token"
)

// maxExpiresIn is the longest lifetime the gateway believes upstream
// states; a longer, zero or negative expires_in is taken as unknown.
const maxExpiresIn = 366 * 24 * time.Hour

// RefreshToken asks Instagram for a new long-lived token in place of token
// (GET /refresh_access_token?grant_type=ig_refresh_token), which stays valid
// until its own expiry. Instagram refuses tokens younger than 24 hours and
// short-lived ones (Graph code 100: BAD_REQUEST); an expired, revoked or
// unknown token is Graph code 190 (UPSTREAM_TOKEN_INVALID). An answer
// without a usable token is UPSTREAM_ERROR.
func (c *Connector) RefreshToken(ctx context.Context, token string) (connectors.Grant, error) {
	resp, err := c.Client.Get(ctx, refreshPath, url.Values{"grant_type": {"ig_refresh_token"}}, token)
	if err != nil {
		return connectors.Grant{}, err
	}
	return parseGrant(resp.Body, "Instagram answered the token refresh without a token")
}

// LongLived returns the long-lived token to store for token.
//
// Without AppSecret it makes no upstream call and returns token itself,
// lifetime unknown. With it, it asks Instagram to exchange token
// (GET /access_token?grant_type=ig_exchange_token&client_secret=…):
//   - success: the new long-lived token and its expires_in;
//   - Graph code 100 without a subcode: token is not one Instagram
//     exchanges, because it is long-lived already (the gateway always sends
//     the right grant type and a secret, so a 100 there is about the
//     token): token itself, lifetime unknown;
//   - Graph code 101 (the secret was refused): UPSTREAM_ERROR saying the
//     gateway's app secret is wrong, an operator's problem, not the
//     caller's token;
//   - any other error as the client returns it: 190 (token expired,
//     revoked, unknown) is UPSTREAM_TOKEN_INVALID.
//
// No error, message or cause, carries the secret (nor the token).
func (c *Connector) LongLived(ctx context.Context, token string) (connectors.Grant, error) {
	if c.AppSecret == "" {
		return connectors.Grant{Token: token}, nil
	}
	q := url.Values{"grant_type": {"ig_exchange_token"}, "client_secret": {c.AppSecret}}
	resp, err := c.Client.Get(ctx, exchangePath, q, token)
	if err != nil {
		e := redactSecret(err, c.AppSecret)
		switch {
		case e.Upstream != nil && e.Upstream.Code == 100 && e.Upstream.ErrorSubcode == 0:
			return connectors.Grant{Token: token}, nil
		case e.Upstream != nil && e.Upstream.Code == 101:
			up := *e.Upstream
			return connectors.Grant{}, &connectors.Error{
				Code:     connectors.CodeUpstreamError,
				Message:  "Instagram refused the gateway's Instagram app secret (Graph code 101) when exchanging the token for a long-lived one: the gateway's operator must check the configured app secret",
				Upstream: &up,
			}
		}
		return connectors.Grant{}, e
	}
	return parseGrant(resp.Body, "Instagram answered the token exchange without a token")
}

// redactSecret returns err as a contract error from which every piece of
// secret is removed, in the message and in the cause (a cause whose text
// held it is replaced by its redacted text; an upstream label holding it is
// dropped). The client already removes
// the token; the secret travels in the URL, which an error may quote.
func redactSecret(err error, secret string) *connectors.Error {
	var in *connectors.Error
	if !errors.As(err, &in) {
		return &connectors.Error{Code: connectors.CodeInternal, Message: "Internal error", Err: errors.New(redactToken(err.Error(), secret))}
	}
	out := *in
	out.Message = redactToken(in.Message, secret)
	if in.Err != nil {
		if text := in.Err.Error(); redactToken(text, secret) != text {
			out.Err = errors.New(redactToken(text, secret))
		}
	}
	if in.Upstream != nil {
		up := *in.Upstream
		up.Type, up.FBTraceID = dropSecret(up.Type, secret), dropSecret(up.FBTraceID, secret)
		out.Upstream = &up
	}
	return &out
}

// dropSecret returns label, or "" when it holds a piece of secret.
func dropSecret(label, secret string) string {
	if redactToken(label, secret) != label {
		return ""
	}
	return label
}

// parseGrant reads a token answer ({"access_token", "token_type",
// "expires_in"}); noToken is the UPSTREAM_ERROR message of one without a
// usable token.
func parseGrant(body []byte, noToken string) (connectors.Grant, error) {
	var a struct {
		AccessToken any `json:"access_token"`
		ExpiresIn   any `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return connectors.Grant{}, connectors.Errorf(connectors.CodeUpstreamError, "%s", noToken)
	}
	tok, _ := a.AccessToken.(string)
	if connectors.TokenProblem(tok) != "" {
		return connectors.Grant{}, connectors.Errorf(connectors.CodeUpstreamError, "%s", noToken)
	}
	return connectors.Grant{Token: tok, ExpiresIn: expiresIn(a.ExpiresIn)}, nil
}

// expiresIn reads expires_in, seconds as a JSON number or a numeric string;
// zero (unknown) when absent, unreadable, not positive or beyond
// maxExpiresIn.
func expiresIn(v any) time.Duration {
	var secs float64
	switch x := v.(type) {
	case float64:
		secs = x
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0
		}
		secs = f
	default:
		return 0
	}
	if !(secs > 0) || secs > maxExpiresIn.Seconds() {
		return 0
	}
	return time.Duration(secs) * time.Second
}
