package instagram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

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
	// Retries is how many times a read (GET) is tried again after a network
	// error, a 5xx or a transient Graph error, with jittered exponential
	// backoff from RetryBackoff. Writes (POST) are never retried: they may
	// have taken effect.
	Retries      int
	RetryBackoff time.Duration
	// Observe, when set, is told of every upstream call (metrics).
	Observe func(method string, d time.Duration, err error)
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
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, connectors.Wrap(err, connectors.CodeBadRequest, "cannot build the upstream request")
		}
		resp, err := c.do(req, token)
		if err == nil || attempt >= c.Retries || !retryable(err) || !sleep(ctx, backoff(c.RetryBackoff, attempt)) {
			return resp, err
		}
	}
}

// retryable tells whether a failed read may be tried again: a network
// error or 5xx (UPSTREAM_ERROR), or a transient Graph error that is not a
// throttle (throttles are never retried: they would deepen it).
func retryable(err error) bool {
	var e *connectors.Error
	return errors.As(err, &e) && e.Transient && e.Code != connectors.CodeRateLimited
}

// backoff returns the wait before retry attempt+1: full jitter over an
// exponential ceiling, capped at 2 s.
func backoff(base time.Duration, attempt int) time.Duration {
	if base <= 0 {
		base = 100 * time.Millisecond
	}
	ceiling := min(base<<attempt, 2*time.Second)
	return time.Duration(rand.Int64N(int64(ceiling)) + 1)
}

// sleep waits d, or less if ctx ends first; it tells whether to go on.
func sleep(ctx context.Context, d time.Duration) bool {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
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

// Delete calls DELETE path with token. Like every write, it is never
// retried.
func (c *Client) Delete(ctx context.Context, path string, token string) (*connectors.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, c.BaseURL+path, nil)
	if err != nil {
		return nil, connectors.Wrap(err, connectors.CodeBadRequest, "cannot build the upstream request")
	}
	return c.do(req, token)
}

func (c *Client) do(req *http.Request, token string) (*connectors.Response, error) {
	connectors.CountUpstreamCall(req.Context())
	if c.Observe == nil {
		return c.roundTrip(req, token)
	}
	start := time.Now()
	resp, err := c.roundTrip(req, token)
	c.Observe(req.Method, time.Since(start), err)
	return resp, err
}

// acceptJSON is every upstream request's Accept header (shared: requests
// only read it).
var acceptJSON = []string{"application/json"}

func (c *Client) roundTrip(req *http.Request, token string) (*connectors.Response, error) {
	// Canonical keys set directly: no canonicalisation per call.
	req.Header["Authorization"] = []string{"Bearer " + token}
	req.Header["Accept"] = acceptJSON
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, transportError(req.Context(), err)
	}
	defer resp.Body.Close()
	body, err := readBody(resp)
	if err != nil {
		return nil, transportError(req.Context(), err)
	}
	if len(body) > maxUpstreamBody {
		return nil, connectors.Errorf(connectors.CodeUpstreamError, "Instagram answered more than %d bytes", maxUpstreamBody)
	}
	r := &connectors.Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
	r.Throttle, _ = Throttled(resp.Header)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		// Whether the rest is JSON is decided once, by whoever reads it:
		// normalize's writers check what they copy, decoders decode.
		if b := bytes.TrimLeft(body, " \t\r\n"); len(b) == 0 || b[0] != '{' {
			return nil, connectors.Errorf(connectors.CodeUpstreamError, "Instagram answered HTTP %d with a body that is not a JSON object", resp.StatusCode)
		}
		return r, nil
	}
	return nil, upstreamError(r, token)
}

// readBody reads at most maxUpstreamBody+1 bytes of resp's body, in one
// buffer sized by its Content-Length when it gives one.
func readBody(resp *http.Response) ([]byte, error) {
	if n := resp.ContentLength; n > 0 && n <= maxUpstreamBody {
		buf := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, buf); err != nil {
			return nil, err
		}
		return buf, nil
	}
	return io.ReadAll(io.LimitReader(resp.Body, maxUpstreamBody+1))
}

// usage is one entry of Instagram's usage headers, in percent.
type usage struct {
	CallCount    int `json:"call_count"`
	TotalCPUTime int `json:"total_cputime"`
	TotalTime    int `json:"total_time"`
	Regain       int `json:"estimated_time_to_regain_access"` // minutes
}

func (u usage) full() bool {
	return u.CallCount >= 100 || u.TotalCPUTime >= 100 || u.TotalTime >= 100 || u.Regain > 0
}

// Throttled reads X-App-Usage and X-Business-Use-Case-Usage: when either is
// at 100% it returns how long to leave upstream alone
// (estimated_time_to_regain_access, or a minute when it names none).
func Throttled(h http.Header) (time.Duration, bool) {
	app, buc := h.Get("X-App-Usage"), h.Get("X-Business-Use-Case-Usage")
	if !strings.Contains(app, "100") && !strings.Contains(buc, "100") && (buc == "" || strings.Contains(buc, `"estimated_time_to_regain_access":0`)) {
		return 0, false // the common case, decided without decoding
	}
	full, regain := false, 0
	var a usage
	if json.Unmarshal([]byte(app), &a) == nil && a.full() {
		full = true
	}
	var b map[string][]usage
	if json.Unmarshal([]byte(buc), &b) == nil {
		for _, list := range b {
			for _, u := range list {
				full = full || u.full()
				regain = max(regain, u.Regain)
			}
		}
	}
	if !full {
		return 0, false
	}
	if regain <= 0 {
		return time.Minute, true
	}
	// Minutes, bounded: a huge value must not overflow into a negative wait.
	return time.Duration(min(regain, maxRegainMinutes)) * time.Minute, true
}

// maxRegainMinutes bounds how long the gateway holds a connection's calls on
// upstream's word: one day.
const maxRegainMinutes = 24 * 60

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
	e := connectors.Wrap(err, connectors.CodeUpstreamError, "Instagram could not be reached")
	e.Transient = true
	return e
}

// upstreamError converts a Graph API error answer to a contract error at the
// connector's boundary.
func upstreamError(r *connectors.Response, token string) error {
	var g graphError
	if err := json.Unmarshal(r.Body, &g); err != nil || g.Error == nil {
		e := connectors.Errorf(connectors.CodeUpstreamError, "Instagram answered HTTP %d with a body that is not a Graph API error", r.Status)
		e.Transient = r.Status >= 500
		return e
	}
	e := g.Error
	msg := e.Message
	if e.UserMsg != "" && e.UserMsg != msg {
		msg += ": " + e.UserMsg
	}
	msg = redactToken(capMessage(msg), token)
	out := &connectors.Error{
		Code:      graphCode(e.Code, e.ErrorSubcode, r.Status),
		Message:   "Instagram: " + msg,
		Transient: e.IsTransient || e.Code == 1 || e.Code == 2 || r.Status >= 500,
		Upstream: &connectors.UpstreamDetail{
			Code: e.Code, Type: label(e.Type), ErrorSubcode: e.ErrorSubcode, FBTraceID: label(e.FBTraceID),
		},
	}
	if wait, full := Throttled(r.Header); full && out.Code != connectors.CodeUpstreamTokenInvalid {
		out.Code = connectors.CodeRateLimited
		out.RetryAfter = int(wait.Seconds())
	} else if out.Code == connectors.CodeRateLimited {
		out.RetryAfter = RetryAfter(r.Header)
	}
	return out
}

// label passes on an upstream label (an error type, a trace ID) only when it
// looks like one: up to 64 letters, digits, "_" and "-". Anything else (a
// token echoed back, a long text) is dropped.
func label(s string) string {
	if len(s) > 64 {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return ""
		}
	}
	return s
}

// maxUpstreamMessage caps, in bytes, the upstream message passed on to the
// caller.
const maxUpstreamMessage = 2048

// capMessage cuts msg to maxUpstreamMessage bytes, on a character boundary.
func capMessage(msg string) string {
	if len(msg) <= maxUpstreamMessage {
		return msg
	}
	cut := maxUpstreamMessage
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + "…"
}

// minTokenPiece is the length of the shortest piece of a token that
// redactToken removes from a message.
const minTokenPiece = 8

// redactToken replaces with "[redacted]" every run of token characters in
// msg that holds a piece of token, however cased: a run of at least
// minTokenPiece characters (or of the whole token, when shorter) any piece
// of which, that long, is in the token. Upstream may quote the token
// lower-cased, upper-cased or cut; a whole run goes, so no fragment is left.
func redactToken(msg, token string) string {
	if token == "" {
		return msg
	}
	msg = strings.ReplaceAll(msg, token, "[redacted]")
	n := min(minTokenPiece, len(token))
	pieces := tokenPieces(strings.ToLower(token), n)
	var b strings.Builder
	for i := 0; i < len(msg); {
		j := i
		for j < len(msg) && isTokenChar(msg[j]) {
			j++
		}
		if run := msg[i:j]; j-i >= n && holdsPiece(strings.ToLower(run), pieces, n) {
			b.WriteString("[redacted]")
		} else {
			b.WriteString(run)
		}
		if j < len(msg) {
			b.WriteByte(msg[j])
			j++
		}
		i = j
	}
	return b.String()
}

// tokenPieces returns every piece of token n bytes long.
func tokenPieces(token string, n int) map[string]bool {
	pieces := make(map[string]bool, len(token)-n+1)
	for i := 0; i+n <= len(token); i++ {
		pieces[token[i:i+n]] = true
	}
	return pieces
}

// holdsPiece tells whether any n bytes of run are in pieces.
func holdsPiece(run string, pieces map[string]bool, n int) bool {
	for i := 0; i+n <= len(run); i++ {
		if pieces[run[i:i+n]] {
			return true
		}
	}
	return false
}

// isTokenChar tells whether c may be part of an access token as it is
// written in a message or a URL: ASCII letters, digits and -_.|%.
func isTokenChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.|%", c) >= 0
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

// Timeouts bound each stage of an upstream call.
type Timeouts struct {
	Dial, TLS, Header, Total time.Duration
	// Idle is how long a pooled connection may stay idle (90 s when zero).
	Idle time.Duration
}

// NewHTTPClient returns the HTTP client for upstream calls, with timeouts for
// a total of timeout and defaults for the stages.
func NewHTTPClient(timeout time.Duration) *http.Client {
	return NewHTTPClientWithTimeouts(Timeouts{Dial: 5 * time.Second, TLS: 5 * time.Second, Header: timeout, Total: timeout})
}

// NewHTTPClientWithTimeouts returns the HTTP client for upstream calls: a
// pooled transport sized for load, bounded at every stage.
func NewHTTPClientWithTimeouts(to Timeouts) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: to.Dial, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = to.TLS
	t.ResponseHeaderTimeout = to.Header
	t.MaxIdleConns = 512
	t.MaxIdleConnsPerHost = 256
	t.MaxConnsPerHost = 0
	t.IdleConnTimeout = to.Idle
	if t.IdleConnTimeout <= 0 {
		t.IdleConnTimeout = 90 * time.Second
	}
	t.ForceAttemptHTTP2 = true
	return &http.Client{
		Timeout:   to.Total,
		Transport: t,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return fmt.Errorf("redirects are not followed")
		},
	}
}
