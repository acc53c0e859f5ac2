package server

import (
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/normalize"
)

// resolve matches the path to an action (404, 405 or 400 for a bad ID).
func (s *Server) resolve(c *gin.Context) {
	rest := strings.TrimPrefix(c.Request.URL.EscapedPath(), "/"+s.opts.Connector.Name())
	if s.serveConnectorDefinition(c, rest) {
		return
	}
	if strings.HasPrefix(rest, graphPrefix+"/") {
		// The Graph-compatible base path: same actions, Instagram's shapes.
		c.Set(keyGraph, true)
		rest = rest[len(graphPrefix):]
	}
	q := c.Request.URL.Query() // parsed once: auth and invoke read it from the context
	c.Set(keyQuery, q)
	m, allowed, err := s.router.Resolve(c.Request.Method, rest, q)
	if err != nil {
		if allowed != nil {
			c.Set(keyAllowed, allowed)
		}
		s.fail(c, err)
		return
	}
	c.Set(keyMatch, m)
}

// apiKey reads the key from api_token, X-API-Key or Authorization: Bearer.
func apiKey(r *http.Request, q url.Values) string {
	if k := q.Get("api_token"); k != "" {
		return k
	}
	if k := r.Header.Get("X-API-Key"); k != "" {
		return k
	}
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// authenticate finds the caller's connection by its API key.
func (s *Server) authenticate(c *gin.Context) {
	conn, err := s.opts.Connections.Authenticate(c.Request.Context(), apiKey(c.Request, queryOf(c)))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Set(keyConnection, conn)
}

// invoke validates the call, performs it upstream and writes the envelope.
func (s *Server) invoke(c *gin.Context) {
	m := matchOf(c)
	conn := connectionOf(c)
	q := queryOf(c)
	query, err := connectors.BuildQuery(m.Action, q)
	if err != nil {
		s.fail(c, err)
		return
	}
	call := &connectors.Call{Action: m.Action, Format: m.Format, Version: m.Version, Params: m.Params, Query: query, UserID: conn.InstagramUserID}
	if m.Action.Body != nil {
		raw, err := io.ReadAll(c.Request.Body)
		if err != nil {
			s.fail(c, bodyError(err))
			return
		}
		if call.Body, err = m.Action.Body(raw); err != nil {
			s.fail(c, err)
			return
		}
	}
	if wait := time.Until(conn.CooldownUntil); wait > 0 {
		// Upstream throttles this connection: do not call it until then.
		c.Set(keyHeld, true)
		s.fail(c, &connectors.Error{
			Code:       connectors.CodeRateLimited,
			Message:    "Instagram is throttling this connection; the gateway holds its calls until Instagram lets it call again",
			RetryAfter: int(math.Ceil(wait.Seconds())),
		})
		return
	}
	if call.Token, err = s.opts.Connections.Token(conn); err != nil {
		s.fail(c, err)
		return
	}
	calls := new(connectors.UpstreamCalls)
	c.Set(keyUpstreamCalls, calls)
	resp, err := s.opts.Connector.Invoke(connectors.WithUpstreamCalls(c.Request.Context(), calls), call)
	if err != nil {
		if e := connectors.AsError(err); e.Code == connectors.CodeRateLimited && e.Upstream != nil {
			s.cooldown(c, conn, time.Duration(e.RetryAfter)*time.Second)
		}
		s.fail(c, err)
		return
	}
	if resp.Throttle > 0 {
		s.cooldown(c, conn, resp.Throttle)
	}
	wrapped := !c.GetBool(keyGraph)
	switch {
	case m.Action.Paged:
		base, err := s.baseURL(c.Request)
		if err != nil {
			s.fail(c, err)
			return
		}
		normalize.WritePaged(c.Writer, http.StatusOK, resp.Body, &normalize.Linker{
			Base:  base,
			Path:  c.Request.URL.EscapedPath(),
			Query: q,
		}, wrapped)
	case wrapped:
		normalize.WriteData(c.Writer, http.StatusOK, resp.Body)
	default:
		normalize.WriteGraph(c.Writer, http.StatusOK, resp.Body)
	}
}

// cooldown records an upstream throttle; a store failure is logged, since
// the answer itself is already decided.
func (s *Server) cooldown(c *gin.Context, conn *connectors.Connection, d time.Duration) {
	if err := s.opts.Connections.Cooldown(c.Request.Context(), conn, time.Now().Add(d)); err != nil {
		s.log.Warn("cannot record upstream throttling", "connection_id", conn.ID, "error", err.Error())
	}
}

// graphPrefix starts the Graph-compatible base path: /instagram/graph/v21.0/…
// answers Instagram's own shapes (no envelope), so that connectors written
// against graph.instagram.com work by changing host, base path and key.
const graphPrefix = "/graph"
