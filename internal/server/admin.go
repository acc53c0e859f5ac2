package server

import (
	"io"
	"net/http"
	"regexp"

	"github.com/gin-gonic/gin"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/normalize"
	"github.com/igconnect/gateway/internal/secret"
)

var errAdmin = connectors.Errorf(connectors.CodeInvalidAdminToken, "missing or invalid admin token: send Authorization: Bearer $GATEWAY_ADMIN_TOKEN")

// adminAuth checks the admin bearer token in constant time. With no admin
// token configured, everyone is refused.
func (s *Server) adminAuth(c *gin.Context) {
	h := c.GetHeader("Authorization")
	if token, ok := connectors.BearerToken(h); !ok || !s.adminToken(token) {
		s.fail(c, errAdmin)
		return
	}
	c.Next()
}

// adminToken tells whether token is the admin token (never when none is
// configured), comparing digests: the time tells nothing of either's
// length.
func (s *Server) adminToken(token string) bool {
	return s.opts.AdminToken != "" && secret.EqualDigest(token, s.opts.AdminToken)
}

// about records the connection an admin call is about, for the access log.
func about(c *gin.Context, id string) {
	c.Set(keyRequest, &request{conn: &connectors.Connection{ID: id}})
}

// createRequest is the body of POST /admin/connections.
type createRequest struct {
	AccessToken string `json:"access_token"`
	Name        string `json:"name"`
}

func (s *Server) createConnection(c *gin.Context) {
	raw, err := io.ReadAll(c.Request.Body)
	if err != nil {
		s.fail(c, bodyError(err))
		return
	}
	var req createRequest
	if err := connectors.DecodeJSON(raw, &req, `{"access_token":"…","name":"optional"}`); err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.opts.Connections.Create(c.Request.Context(), req.AccessToken, req.Name)
	if err != nil {
		s.fail(c, err)
		return
	}
	about(c, v.ID)
	normalize.WriteJSON(c.Writer, http.StatusCreated, v)
}

func (s *Server) listConnections(c *gin.Context) {
	list, err := s.opts.Connections.List(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	normalize.WriteJSON(c.Writer, http.StatusOK, list)
}

var connIDRe = regexp.MustCompile(`^conn_[0-9a-f]{20}$`)

// connID returns the :id parameter, or fails with 404 for an ID no
// connection can have.
func (s *Server) connID(c *gin.Context) (string, bool) {
	id := c.Param("id")
	if !connIDRe.MatchString(id) {
		s.fail(c, connectors.ErrNotFound)
		return "", false
	}
	about(c, id)
	return id, true
}

func (s *Server) getConnection(c *gin.Context) {
	id, ok := s.connID(c)
	if !ok {
		return
	}
	v, err := s.opts.Connections.Get(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	normalize.WriteJSON(c.Writer, http.StatusOK, v)
}

func (s *Server) rotateConnection(c *gin.Context) {
	id, ok := s.connID(c)
	if !ok {
		return
	}
	v, err := s.opts.Connections.Rotate(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	normalize.WriteJSON(c.Writer, http.StatusOK, v)
}

// tokenRequest is the body of PUT /admin/connections/{id}/token.
type tokenRequest struct {
	AccessToken string `json:"access_token"`
}

// setConnectionToken replaces a connection's Instagram token (contract §8):
// same connection, key and limits, a new token of the same Instagram user.
func (s *Server) setConnectionToken(c *gin.Context) {
	id, ok := s.connID(c)
	if !ok {
		return
	}
	raw, err := io.ReadAll(c.Request.Body)
	if err != nil {
		s.fail(c, bodyError(err))
		return
	}
	var req tokenRequest
	if err := connectors.DecodeJSON(raw, &req, `{"access_token":"…"}`); err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.opts.Connections.SetToken(c.Request.Context(), id, req.AccessToken)
	if err != nil {
		s.fail(c, err)
		return
	}
	normalize.WriteJSON(c.Writer, http.StatusOK, v)
}

func (s *Server) deleteConnection(c *gin.Context) {
	id, ok := s.connID(c)
	if !ok {
		return
	}
	if err := s.opts.Connections.Delete(c.Request.Context(), id); err != nil {
		s.fail(c, err)
		return
	}
	normalize.WriteJSON(c.Writer, http.StatusOK, gin.H{"id": id, "deleted": true})
}
