package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/igconnect/gateway/internal/connectors"
)

// Context keys of a request's state.
const (
	keyRequestID  = "gw.request_id"
	keyMatch      = "gw.match"
	keyConnection = "gw.connection"
	keyError      = "gw.error"
	keyAllowed    = "gw.allowed"
	keyGraph      = "gw.graph"
	keyHeld       = "gw.held"
	keyQuery      = "gw.query"
	// keyUpstreamCalls counts the request's upstream calls.
	keyUpstreamCalls = "gw.upstream_calls"
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
// query (it may carry api_token) nor any header.
func (s *Server) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	attrs := []slog.Attr{
		slog.String("request_id", c.GetString(keyRequestID)),
		slog.String("method", c.Request.Method),
		slog.String("path", c.Request.URL.Path),
		slog.Int("status", c.Writer.Status()),
		slog.Float64("latency_ms", float64(time.Since(start).Microseconds())/1000),
	}
	if m := matchOf(c); m != nil {
		calls := 0
		if v, ok := c.Get(keyUpstreamCalls); ok {
			calls = v.(*connectors.UpstreamCalls).N()
		}
		attrs = append(attrs, slog.String("action", m.Action.OperationID), slog.String("format", formatOf(c, m)),
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
	var e *connectors.Error
	if v, ok := c.Get(keyError); ok {
		e = connectors.AsError(v.(error))
		switch e.Code {
		case connectors.CodeRateLimited:
			if e.Upstream != nil || c.GetBool(keyHeld) {
				m.Limited("upstream")
			} else {
				m.Limited("gateway")
			}
		case connectors.CodeUnavailable:
			m.StoreError()
		}
	}
	match := matchOf(c)
	if match == nil {
		return
	}
	m.Call(match.Action.OperationID, formatOf(c, match), c.Writer.Status(), d)
	if match.Action.Method == http.MethodPost && connectionOf(c) != nil {
		result := "ok"
		if e != nil {
			result = e.Code
		}
		m.Publish(result, d)
	}
}

// recovery turns a panic into a 500 envelope; it logs the panic's value
// type only, never request data.
func (s *Server) recovery(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			if r == http.ErrAbortHandler {
				panic(r)
			}
			s.log.Error("panic", slog.String("request_id", c.GetString(keyRequestID)), slog.Any("panic", r))
			s.fail(c, connectors.Errorf(connectors.CodeInternal, "internal error"))
		}
	}()
	c.Next()
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

// formatOf names the request's path format: new, old or graph.
func formatOf(c *gin.Context, m *connectors.Match) string {
	if c.GetBool(keyGraph) {
		return "graph"
	}
	return string(m.Format)
}

// queryOf returns the request's query, parsed once by resolve.
func queryOf(c *gin.Context) url.Values {
	if v, ok := c.Get(keyQuery); ok {
		return v.(url.Values)
	}
	return c.Request.URL.Query()
}

func matchOf(c *gin.Context) *connectors.Match {
	if v, ok := c.Get(keyMatch); ok {
		return v.(*connectors.Match)
	}
	return nil
}

func connectionOf(c *gin.Context) *connectors.Connection {
	if v, ok := c.Get(keyConnection); ok {
		return v.(*connectors.Connection)
	}
	return nil
}
