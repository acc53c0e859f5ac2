package server

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/igconnect/gateway/internal/connections"
	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/limits"
	"github.com/igconnect/gateway/internal/normalize"
	"github.com/igconnect/gateway/internal/oauth"
)

// request is one action call as the pipeline carries it (under keyRequest).
// route builds and validates all of it before authentication and the
// limiter, so that bad input costs nothing; authenticate adds the
// connection; invoke only performs it.
type request struct {
	// call is the validated call: path parameters, forwarded query, body.
	// On a bad request it only names the action it was checked as.
	call *connectors.Call
	// graph: the Graph-compatible base path (Instagram's shapes).
	graph bool
	// query is the caller's query, read for the API key only.
	query url.Values
	// linker builds a paged action's links.
	linker *normalize.Linker
	conn   *connectors.Connection
	// held: the gateway answered 429 itself while upstream throttles.
	held  bool
	calls *connectors.UpstreamCalls
}

// route resolves the request, before anything is counted: the
// connector's definitions, a trigger's poll, or an action, whose whole call
// it builds and validates (404, 405, 400 for a bad ID, field, query
// parameter, body or Host, 413 for a body too large).
func (s *Server) route(c *gin.Context) {
	rest := strings.TrimPrefix(c.Request.URL.EscapedPath(), "/"+s.opts.Connector.Name())
	if s.serveConnectorDefinition(c, rest) {
		return
	}
	req := &request{query: c.Request.URL.Query()} // parsed once
	c.Set(keyRequest, req)
	if strings.HasPrefix(rest, graphPrefix+"/") {
		// The Graph-compatible base path: same actions, Instagram's shapes.
		req.graph = true
		rest = rest[len(graphPrefix):]
	}
	var err error
	if path, version, ok := triggerPath(rest, s.opts.Connector.DefaultVersion()); ok {
		err = s.buildTrigger(c, req, path, version)
	} else {
		err = s.build(c, req, rest)
	}
	if err != nil {
		s.fail(c, err)
	}
}

// build resolves the request to an action and builds its whole call (the
// router checks IDs, fields, query and body), then checks the Host of a
// paged action's links.
func (s *Server) build(c *gin.Context, req *request, rest string) error {
	var body []byte
	if c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead && c.Request.Body != nil {
		raw, err := io.ReadAll(c.Request.Body)
		if err != nil {
			return bodyError(err)
		}
		body = raw
	}
	call, allowed, err := s.router.Build(c.Request.Method, rest, req.query, body)
	req.call = call // on a bad request, it still names the action, for logs
	if err != nil {
		if allowed != nil {
			c.Set(keyAllowed, allowed)
		}
		return err
	}
	if call.Action.Paged {
		req.linker, err = s.linker(c.Request, call)
	}
	return err
}

// linker returns the Linker of a paged call. Its Host is checked now; its
// query is the call's own validated parameters, plus the IDs in the old
// format: never the caller's raw query.
func (s *Server) linker(r *http.Request, call *connectors.Call) (*normalize.Linker, error) {
	base, err := s.baseURL(r)
	if err != nil {
		return nil, err
	}
	q := call.Query
	if call.Format == connectors.FormatOld {
		q = make(url.Values, len(call.Query)+len(call.Params))
		for k, v := range call.Query {
			q[k] = v
		}
		for k, v := range call.Params {
			q.Set(k, v)
		}
	}
	windowed := call.Action.Declares("since") && call.Action.Declares("until")
	l := &normalize.Linker{Base: base, Path: r.URL.EscapedPath(), Query: q, Windowed: windowed}
	if windowed {
		l.Now = time.Now()
	}
	return l, nil
}

// apiKey reads the key from api_token, X-API-Key or Authorization: Bearer.
func apiKey(r *http.Request, q url.Values) string {
	if k := q.Get("api_token"); k != "" {
		return k
	}
	if k := r.Header.Get("X-API-Key"); k != "" {
		return k
	}
	if k, ok := connectors.BearerToken(r.Header.Get("Authorization")); ok {
		return k
	}
	return ""
}

// authenticate finds the caller's connection by its API key. A client
// address (gin's ClientIP: X-Forwarded-For from trusted proxies only) with
// too many failures is refused before the store is read.
func (s *Server) authenticate(c *gin.Context) {
	req := requestOf(c)
	if s.opts.AuthFailures.Blocking() {
		if wait := s.opts.AuthFailures.Blocked(c.ClientIP()); wait > 0 {
			s.fail(c, authLimited(wait))
			return
		}
	}
	conn, err := s.credential(c.Request.Context(), apiKey(c.Request, req.query))
	if err != nil {
		s.fail(c, s.authFailed(c, err))
		return
	}
	req.conn = conn
	if wait := time.Until(conn.CooldownUntil); wait > 0 {
		// Upstream throttles this connection: the gateway answers for it,
		// before the limiter, so this 429 costs the connection nothing.
		req.held = true
		s.fail(c, &connectors.Error{
			Code:       connectors.CodeRateLimited,
			Message:    "Instagram is throttling this connection; the gateway holds its calls until Instagram lets it call again",
			RetryAfter: seconds(wait),
		})
	}
}

// credential finds the connection of key: an API key, or an access token
// of the gateway's OAuth server (its prefix tells), which shares the
// connection's limit since both name the same connection.
func (s *Server) credential(ctx context.Context, key string) (*connectors.Connection, error) {
	if strings.HasPrefix(key, oauth.AccessTokenPrefix) {
		if s.opts.OAuth == nil {
			return nil, connections.ErrInvalidKey
		}
		return s.opts.OAuth.Authenticate(ctx, key)
	}
	return s.opts.Connections.Authenticate(ctx, key)
}

// authFailed counts a failed authentication of the client's address and
// returns the answer: err while the address has failures left, 429 once it
// has none.
func (s *Server) authFailed(c *gin.Context, err error) error {
	if connectors.AsError(err).Code != connectors.CodeInvalidAPIToken {
		return err
	}
	wait, ferr := s.opts.AuthFailures.Fail(c.Request.Context(), c.ClientIP())
	if ferr != nil {
		return connectors.Wrap(ferr, connectors.CodeUnavailable, "authentication failure limiter unavailable")
	}
	if wait > 0 {
		return authLimited(wait)
	}
	return err
}

func authLimited(wait time.Duration) error {
	retry := seconds(wait)
	return &connectors.Error{
		Code:       connectors.CodeRateLimited,
		Message:    fmt.Sprintf("too many failed authentications from this address; retry in %d s", retry),
		RetryAfter: retry,
	}
}

// seconds rounds d up to whole seconds, 1 at least.
func seconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// publishRetryAfter is the Retry-After of a publish refused because the
// connection's publishes are all in flight.
const publishRetryAfter = 5

// releaseTimeout bounds freeing a publish slot, whatever the request's own
// context has become.
const releaseTimeout = 2 * time.Second

// inFlight holds one of the connection's publish slots for the rest of a
// publish, before the rate limiter: a publish refused here costs no call.
// The slot is freed when the request ends, however it ends (limiter
// rejection, panic, client gone). Other actions pass without a store call.
func (s *Server) inFlight(c *gin.Context) {
	req := requestOf(c)
	if !req.call.Action.Publishes {
		return
	}
	slot, ok, err := s.opts.PublishSlots.Acquire(c.Request.Context(), req.conn.ID)
	if err != nil {
		s.fail(c, connectors.Wrap(err, connectors.CodeUnavailable, "publish limiter unavailable"))
		return
	}
	if !ok {
		s.fail(c, &connectors.Error{
			Code: connectors.CodeRateLimited,
			Message: fmt.Sprintf("%d publishes of this connection are already in flight; retry in %d s, once one has ended",
				s.opts.PublishSlots.Limit(), publishRetryAfter),
			RetryAfter: publishRetryAfter,
		})
		return
	}
	defer s.release(c, req.conn, slot)
	c.Next()
}

// release frees a publish slot; a failure is logged, the slot then frees
// itself when it expires.
func (s *Server) release(c *gin.Context, conn *connectors.Connection, slot *limits.Slot) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), releaseTimeout)
	defer cancel()
	if err := slot.Release(ctx); err != nil {
		s.log.Warn("cannot free a publish slot; it frees itself when it expires", "connection_id", conn.ID, "error", err.Error())
	}
}

// invoke performs the validated call upstream and writes the answer.
func (s *Server) invoke(c *gin.Context) {
	req := requestOf(c)
	call := req.call
	var err error
	if call.Token, err = s.opts.Connections.Token(req.conn); err != nil {
		s.fail(c, err)
		return
	}
	call.UserID = req.conn.InstagramUserID
	req.calls = new(connectors.UpstreamCalls)
	resp, err := s.opts.Connector.Invoke(connectors.WithUpstreamCalls(c.Request.Context(), req.calls), call)
	if err != nil {
		switch e := connectors.AsError(err); {
		case e.Code == connectors.CodeRateLimited && e.Upstream != nil:
			s.cooldown(c, req.conn, time.Duration(e.RetryAfter)*time.Second)
		case e.Code == connectors.CodeUpstreamTokenInvalid && e.Upstream != nil:
			err = s.tokenRejected(c, req.conn, e)
		}
		s.fail(c, err)
		return
	}
	if resp.Throttle > 0 {
		s.cooldown(c, req.conn, resp.Throttle)
	}
	s.answer(c, req, resp.Body)
}

// answer writes an upstream answer in the caller's format.
func (s *Server) answer(c *gin.Context, req *request, body []byte) {
	wrapped := !req.graph
	switch {
	case req.linker != nil:
		if err := normalize.WritePaged(c.Writer, http.StatusOK, body, req.linker, wrapped); err != nil {
			s.fail(c, err)
		}
	case wrapped:
		if err := normalize.WriteData(c.Writer, http.StatusOK, body); err != nil {
			s.fail(c, err)
		}
	default:
		if err := normalize.WriteGraph(c.Writer, http.StatusOK, body); err != nil {
			s.fail(c, err)
		}
	}
}

// cooldown records an upstream throttle; a store failure is logged, since
// the answer itself is already decided.
func (s *Server) cooldown(c *gin.Context, conn *connectors.Connection, d time.Duration) {
	if err := s.opts.Connections.Cooldown(c.Request.Context(), conn, time.Now().Add(d)); err != nil {
		s.log.Warn("cannot record upstream throttling", "connection_id", conn.ID, "error", err.Error())
	}
}

// statusTimeout bounds recording a connection's status, whatever the
// request's own context has become.
const statusTimeout = 2 * time.Second

// tokenRejected records that Instagram rejected the connection's token and
// returns the answer, which names the fix; a store failure is logged, since
// the answer itself is already decided.
func (s *Server) tokenRejected(c *gin.Context, conn *connectors.Connection, e *connectors.Error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), statusTimeout)
	defer cancel()
	answer, err := s.opts.Connections.TokenRejected(ctx, conn, e)
	if err != nil {
		s.log.Warn("cannot record that the connection needs a new token", "connection_id", conn.ID, "error", err.Error())
	}
	return answer
}

// graphPrefix starts the Graph-compatible base path: /instagram/graph/v21.0/…
// answers Instagram's own shapes (no envelope), so that connectors written
// against graph.instagram.com work by changing host, base path and key.
const graphPrefix = "/graph"
