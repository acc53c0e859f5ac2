package instagram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/igconnect/gateway/internal/connectors"
)

// maxUpstreamBody caps what the gateway reads of an upstream answer.
const maxUpstreamBody = 8 << 20

// Client calls the Instagram Graph API. The access token travels in the
// Authorization header, never in a URL, so no URL or URL error carries it.
type Client struct {
	// BaseURL is the API's base ("https://graph.instagram.com").
	BaseURL string
	HTTP    *http.Client
}

// graphError is the Graph API's error object.
type graphError struct {
	Error *struct {
		Message      string `json:"message"`
		Type         string `json:"type"`
		Code         int    `json:"code"`
		ErrorSubcode int    `json:"error_subcode"`
		IsTransient  bool   `json:"is_transient"`
		UserTitle    string `json:"error_user_title"`
		UserMsg      string `json:"error_user_msg"`
		FBTraceID    string `json:"fbtrace_id"`
	} `json:"error"`
}

// Get calls GET path?query with token.
func (c *Client) Get(ctx context.Context, path string, query url.Values, token string) (*connectors.Response, error) {
	u := c.BaseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, connectors.Wrap(err, connectors.CodeBadRequest, "cannot build the upstream request")
	}
	return c.do(req, token)
}

// Post calls POST path with a form body and token.
func (c *Client) Post(ctx context.Context, path string, form url.Values, token string) (*connectors.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, connectors.Wrap(err, connectors.CodeBadRequest, "cannot build the upstream request")
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req, token)
}

func (c *Client) do(req *http.Request, token string) (*connectors.Response, error) {
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, transportError(req.Context(), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxUpstreamBody+1))
	if err != nil {
		return nil, transportError(req.Context(), err)
	}
	if len(body) > maxUpstreamBody {
		return nil, connectors.Errorf(connectors.CodeUpstreamError, "Instagram answered more than %d bytes", maxUpstreamBody)
	}
	r := &connectors.Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if !json.Valid(body) || len(body) == 0 || body[0] != '{' {
			return nil, connectors.Errorf(connectors.CodeUpstreamError, "Instagram answered HTTP %d with a body that is not a JSON object", resp.StatusCode)
		}
		return r, nil
	}
	return nil, upstreamError(r, token)
}

// transportError turns a failed round trip into UPSTREAM_TIMEOUT or
// UPSTREAM_ERROR. The *url.Error's text is not used: it names the URL.
func transportError(ctx context.Context, err error) error {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || ctx.Err() == context.DeadlineExceeded || (errors.As(err, &ne) && ne.Timeout()) {
		return connectors.Wrap(errors.Unwrap(err), connectors.CodeUpstreamTimeout, "Instagram did not answer in time")
	}
	if errors.Is(err, context.Canceled) {
		return connectors.Wrap(context.Canceled, connectors.CodeUpstreamError, "the call was cancelled")
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return connectors.Wrap(err, connectors.CodeUpstreamError, "Instagram could not be reached")
}

// upstreamError converts a Graph API error answer to a contract error at the
// connector's boundary.
func upstreamError(r *connectors.Response, token string) error {
	var g graphError
	if err := json.Unmarshal(r.Body, &g); err != nil || g.Error == nil {
		return connectors.Errorf(connectors.CodeUpstreamError, "Instagram answered HTTP %d with a body that is not a Graph API error", r.Status)
	}
	e := g.Error
	msg := e.Message
	if e.UserMsg != "" && e.UserMsg != msg {
		msg += ": " + e.UserMsg
	}
	if token != "" {
		msg = strings.ReplaceAll(msg, token, "[redacted]")
	}
	out := &connectors.Error{
		Code:    graphCode(e.Code, e.ErrorSubcode, r.Status),
		Message: "Instagram: " + msg,
		Upstream: &connectors.UpstreamDetail{
			Code: e.Code, Type: e.Type, ErrorSubcode: e.ErrorSubcode, FBTraceID: e.FBTraceID,
		},
	}
	if out.Code == connectors.CodeRateLimited {
		out.RetryAfter = RetryAfter(r.Header)
	}
	return out
}

// graphCode maps a Graph API error code to the contract's.
func graphCode(code, subcode, status int) string {
	switch {
	case code == 190:
		return connectors.CodeUpstreamTokenInvalid
	case code == 10 || (code >= 200 && code <= 299):
		return connectors.CodeForbidden
	case code == 803 || (code == 100 && subcode == 33):
		return connectors.CodeNotFound
	case code == 4 || code == 17 || code == 32 || code == 613:
		return connectors.CodeRateLimited
	case code == 9007 || code == 9004 || (code == 9 && subcode == 2207042) || (subcode >= 2207000 && subcode < 2208000 && code != 100):
		return connectors.CodePublishFailed
	case code == 1 || code == 2 || status >= 500:
		return connectors.CodeUpstreamError
	case code == 100 || code == 2500:
		return connectors.CodeBadRequest
	}
	return connectors.CodeUpstreamError
}

// RetryAfter reads estimated_time_to_regain_access (minutes) from
// X-Business-Use-Case-Usage and returns seconds; 60 when upstream says none.
func RetryAfter(h http.Header) int {
	var usage map[string][]struct {
		Regain int `json:"estimated_time_to_regain_access"`
	}
	best := 0
	if err := json.Unmarshal([]byte(h.Get("X-Business-Use-Case-Usage")), &usage); err == nil {
		for _, list := range usage {
			for _, u := range list {
				best = max(best, u.Regain)
			}
		}
	}
	if best <= 0 {
		return 60
	}
	return best * 60
}

// NewHTTPClient returns the HTTP client for upstream calls.
func NewHTTPClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 128
	t.IdleConnTimeout = 90 * time.Second
	return &http.Client{
		Timeout:   timeout,
		Transport: t,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return fmt.Errorf("redirects are not followed")
		},
	}
}
