package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/oauth"
)

// Context keys of a request's state.
const (
	keyRequestID = "gw.request_id"
	// keyRequest holds the *request: an action call, or the connection an
	// admin call is about.
	keyRequest = "gw.request"
	keyError   = "gw.error"
	keyAllowed = "gw.allowed"
)

var requestIDRe = regexp.MustCompile(`^[A-Za-z0-9._:\-]{1,128}$`)

// requestID keeps the caller's X-Request-ID when it is sane, or makes one.
func (s *Server) requestID(c *gin.Context) {
	id := c.GetHeader("X-Request-ID")
	if !requestIDRe.MatchString(id) {
		b := make([]byte, 12)
		rand.Read(b)
		id = hex.EncodeToString(b)
	}
	c.Set(keyRequestID, id)
	c.Header("X-Request-ID", id)
	c.Next()
}

// accessLog writes one JSON line per request. It logs the path, never the
// query (it may carry api_token) nor any header; a path under /connect/
// (a connect link's token, a secret) is logged as /connect/:token, answered
// or not, the callback aside.
func (s *Server) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	path := c.Request.URL.Path
	if strings.HasPrefix(path, "/connect/") && path != oauth.CallbackPath {
		path = "/connect/:token" // whatever the method or route: a link is a secret
	}
	attrs := []slog.Attr{
		slog.String("request_id", c.GetString(keyRequestID)),
		slog.String("method", c.Request.Method),
		slog.String("path", path),
		slog.Int("status", c.Writer.Status()),
		slog.Float64("latency_ms", float64(time.Since(start).Microseconds())/1000),
	}
	if req := requestOf(c); req != nil && req.call != nil {
		calls := 0
		if req.calls != nil {
			calls = req.calls.N()
		}
		attrs = append(attrs, slog.String("action", req.call.Action.OperationID), slog.String("format", req.format()),
			slog.Int("upstream_calls", calls))
	}
	if conn := connectionOf(c); conn != nil {
		attrs = append(attrs, slog.String("connection_id", conn.ID))
	}
	s.record(c, time.Since(start))
	level := slog.LevelInfo
	if v, ok := c.Get(keyError); ok {
		err := v.(error)
		e := connectors.AsError(err)
		attrs = append(attrs, slog.String("error_code", e.Code))
		if e.Code == connectors.CodeInternal || e.Code == connectors.CodeUnavailable || e.Code == connectors.CodeUpstreamError {
			// Causes are ours (no secrets): they help an operator.
			attrs = append(attrs, slog.String("error", err.Error()))
			level = slog.LevelWarn
		}
		if e.Upstream != nil {
			attrs = append(attrs, slog.Int("upstream_code", e.Upstream.Code))
		}
	}
	s.log.LogAttrs(c.Request.Context(), level, "request", attrs...)
}

// record updates the metrics of one request.
func (s *Server) record(c *gin.Context, d time.Duration) {
	m := s.opts.Metrics
	req := requestOf(c)
	var e *connectors.Error
	if v, ok := c.Get(keyError); ok {
		e = connectors.AsError(v.(error))
		switch e.Code {
		case connectors.CodeRateLimited:
			if e.Upstream != nil || req != nil && req.held {
				m.Limited("upstream")
			} else {
				m.Limited("gateway")
			}
		case connectors.CodeUnavailable:
			m.StoreError()
		}
	}
	if req == nil || req.call == nil {
		return
	}
	m.Call(req.call.Action.OperationID, req.format(), c.Writer.Status(), d)
	if req.call.Action.Publishes && req.conn != nil {
		result := "ok"
		if e != nil {
			result = e.Code
		}
		m.Publish(result, d)
	}
}

// recovery turns a panic into a 500 envelope; it logs the panic value's
// type and the request ID only: the value may carry request data.
func (s *Server) recovery(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			if r == http.ErrAbortHandler {
				panic(r)
			}
			s.log.Error("panic", slog.String("request_id", c.GetString(keyRequestID)), slog.String("panic_type", fmt.Sprintf("%T", r)))
			s.fail(c, connectors.Errorf(connectors.CodeInternal, "internal error"))
		}
	}()
	c.Next()
}

// noStoreValue is shared by every answer, saving an allocation per call:
// a header is replaced or appended to (which copies a full slice), never
// written in place.
var noStoreValue = []string{"no-store"}

// noStore keeps every answer of the route out of caches.
func noStore(c *gin.Context) {
	c.Writer.Header()["Cache-Control"] = noStoreValue
}

// capBody limits every body to MaxBody.
func capBody(c *gin.Context) {
	if c.Request.Body != nil {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, MaxBody)
	}
	c.Next()
}

// bodyError turns a body read error into 413 or 400.
func bodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return connectors.Errorf(connectors.CodePayloadTooLarge, "the body is larger than %d bytes", MaxBody)
	}
	return connectors.Errorf(connectors.CodeBadRequest, "the body could not be read")
}

// format names the call's path format: new, old or graph.
func (r *request) format() string {
	if r.graph {
		return "graph"
	}
	return string(r.call.Format)
}

// requestOf returns the request's state, nil before route.
func requestOf(c *gin.Context) *request {
	if v, ok := c.Get(keyRequest); ok {
		return v.(*request)
	}
	return nil
}

// connectionOf returns the authenticated connection, nil before.
func connectionOf(c *gin.Context) *connectors.Connection {
	if req := requestOf(c); req != nil {
		return req.conn
	}
	return nil
}
