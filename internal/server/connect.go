package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/normalize"
	"github.com/igconnect/gateway/internal/oauth"
)

// Instagram Login (contract §9): connect links, their pages, the callback,
// and the gateway's OAuth server. Without Instagram Login configured every
// route answers 404.

// errNoLogin answers Instagram Login's routes when it is not configured.
var errNoLogin = connectors.Errorf(connectors.CodeNotFound, "Instagram Login is not configured on this gateway (GATEWAY_INSTAGRAM_APP_ID)")

// needLogin answers errNoLogin, in the envelope, when Instagram Login is
// not configured.
func (s *Server) needLogin(c *gin.Context) {
	if s.opts.OAuth == nil {
		s.fail(c, errNoLogin)
	}
}

// needLoginPage answers a page saying so when Instagram Login is not
// configured: the routes a browser opens.
func (s *Server) needLoginPage(c *gin.Context) {
	if s.opts.OAuth == nil {
		s.pageFail(c, &oauth.PageError{Status: http.StatusNotFound, Title: "Not available", Message: "Signing in with Instagram is not configured on this gateway."})
		c.Abort()
	}
}

type connectLinkRequest struct {
	Name string `json:"name"`
	TTL  string `json:"ttl"`
}

// createConnectLink issues a connect link: POST /admin/connect-links.
func (s *Server) createConnectLink(c *gin.Context) {
	raw, err := io.ReadAll(c.Request.Body)
	if err != nil {
		s.fail(c, bodyError(err))
		return
	}
	var req connectLinkRequest
	if len(raw) > 0 {
		if err := connectors.DecodeJSON(raw, &req, `{"name":"optional","ttl":"24h"}`); err != nil {
			s.fail(c, err)
			return
		}
	}
	var ttl time.Duration
	if req.TTL != "" {
		if ttl, err = time.ParseDuration(req.TTL); err != nil {
			s.fail(c, connectors.Errorf(connectors.CodeBadRequest, "ttl must be a duration such as 24h"))
			return
		}
	}
	link, err := s.opts.OAuth.NewLink(c.Request.Context(), req.Name, ttl)
	if err != nil {
		s.fail(c, err)
		return
	}
	normalize.WriteJSON(c.Writer, http.StatusCreated, link)
}

// connectPage shows a connect link's page, GET /connect/{token}, and
// finishes sign-ins at GET /connect/callback.
func (s *Server) connectPage(c *gin.Context) {
	token := c.Param("token")
	if token == strings.TrimPrefix(oauth.CallbackPath, "/connect/") {
		s.callback(c)
		return
	}
	name, exp, err := s.opts.OAuth.LinkInfo(c.Request.Context(), token)
	if err != nil {
		s.pageFail(c, err)
		return
	}
	s.page(c, http.StatusOK, "connect", map[string]any{
		"Title": "Connect an Instagram account", "Name": name, "Action": s.opts.OAuth.BasePath() + "/connect/" + token,
		"Expires": exp.UTC().Format("2 January 2006, 15:04 UTC"),
	})
}

// connectStart begins a link's sign-in: POST /connect/{token} (the page's
// button) binds it to this browser and sends it to Instagram's consent.
func (s *Server) connectStart(c *gin.Context) {
	if s.tooManySignIns(c) {
		return
	}
	st, err := s.opts.OAuth.StartLink(c.Request.Context(), c.Param("token"))
	if err != nil {
		s.pageFail(c, err)
		return
	}
	s.toConsent(c, st)
}

// tooManySignIns counts a sign-in's start against its client address, in
// the failed-authentication budget (GATEWAY_AUTH_FAILURE_LIMIT): a start
// needs no credential and writes to the store, so an address may start
// only so many. It writes the page and tells true when the address has
// none left.
func (s *Server) tooManySignIns(c *gin.Context) bool {
	ip := c.ClientIP()
	wait := s.opts.AuthFailures.Blocked(ip)
	if wait <= 0 {
		var err error
		if wait, err = s.opts.AuthFailures.Fail(c.Request.Context(), ip); err != nil {
			s.pageFail(c, &oauth.PageError{Status: http.StatusServiceUnavailable, Title: "The gateway is unavailable",
				Message: "The gateway could not reach its store. Nothing was stored; try again in a moment.", Err: err})
			return true
		}
	}
	if wait <= 0 {
		return false
	}
	c.Header("Retry-After", strconv.Itoa(seconds(wait)))
	s.pageFail(c, &oauth.PageError{Status: http.StatusTooManyRequests, Title: "Too many sign-ins from your address",
		Message: fmt.Sprintf("Wait %d seconds, then try again.", seconds(wait))})
	return true
}

// toConsent sets the sign-in's browser cookie and redirects to Instagram.
func (s *Server) toConsent(c *gin.Context, st oauth.Started) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: st.CookieName, Value: st.Cookie, Path: s.opts.OAuth.BasePath() + oauth.CallbackPath, MaxAge: int(oauth.StateLifetime.Seconds()),
		HttpOnly: true, Secure: strings.HasPrefix(s.opts.OAuth.Base, "https://"), SameSite: http.SameSiteLaxMode,
	})
	s.pageHeaders(c)
	c.Redirect(http.StatusSeeOther, st.ConsentURL)
}

// callback finishes a sign-in: GET /connect/callback, where Instagram
// sends the browser back.
func (s *Server) callback(c *gin.Context) {
	name := s.opts.OAuth.CookieName(c.Query("state"))
	cookie, _ := c.Cookie(name)
	res, err := s.opts.OAuth.Callback(c.Request.Context(), c.Request.URL.Query(), cookie)
	// The cookie has done its work, whatever the outcome.
	http.SetCookie(c.Writer, &http.Cookie{Name: name, Value: "", Path: s.opts.OAuth.BasePath() + oauth.CallbackPath, MaxAge: -1, HttpOnly: true})
	if err != nil {
		s.pageFail(c, err)
		return
	}
	if res.Redirect != "" {
		s.pageHeaders(c)
		c.Redirect(http.StatusFound, res.Redirect)
		return
	}
	about(c, res.Connection.ID)
	s.page(c, http.StatusOK, "result", map[string]any{
		"Title": "Account connected", "Created": res.Created, "Username": res.Connection.Username,
		"APIKey": res.Connection.APIKey, "ConnectionID": res.Connection.ID,
	})
}

// authorize is the OAuth server's authorization endpoint: GET
// /oauth2/authorize.
func (s *Server) authorize(c *gin.Context) {
	if s.tooManySignIns(c) {
		return
	}
	st, back, err := s.opts.OAuth.Authorize(c.Request.Context(), c.Request.URL.Query())
	switch {
	case err != nil:
		s.pageFail(c, err)
	case back != "":
		s.pageHeaders(c)
		c.Redirect(http.StatusFound, back)
	default:
		s.toConsent(c, st)
	}
}

// token is the OAuth server's token endpoint: POST /oauth2/token, form
// encoded, answering RFC 6749's JSON (not the gateway's envelope).
func (s *Server) token(c *gin.Context) {
	c.Header("Pragma", "no-cache")
	if ct := c.ContentType(); ct != "application/x-www-form-urlencoded" {
		writeOAuth(c, &oauth.Error{Status: http.StatusBadRequest, Code: "invalid_request", Description: "the body must be application/x-www-form-urlencoded"})
		return
	}
	if err := c.Request.ParseForm(); err != nil {
		writeOAuth(c, &oauth.Error{Status: http.StatusBadRequest, Code: "invalid_request", Description: "the body cannot be read as a form"})
		return
	}
	req := oauth.TokenRequest{Form: c.Request.PostForm}
	req.BasicID, req.BasicSecret, req.HasBasic = c.Request.BasicAuth()
	tokens, err := s.opts.OAuth.Token(c.Request.Context(), req)
	if err != nil {
		var oe *oauth.Error
		if e, ok := err.(*oauth.Error); ok {
			oe = e
		} else {
			c.Set(keyError, err)
			oe = &oauth.Error{Status: http.StatusServiceUnavailable, Code: "temporarily_unavailable", Description: "the gateway's store is unavailable; try again"}
		}
		if oe.Code == "invalid_client" && req.HasBasic {
			c.Header("WWW-Authenticate", `Basic realm="oauth2"`)
		}
		writeOAuth(c, oe)
		return
	}
	b, _ := json.Marshal(tokens)
	c.Data(http.StatusOK, "application/json", b)
}

func writeOAuth(c *gin.Context, e *oauth.Error) {
	b, _ := json.Marshal(e)
	c.Data(e.Status, "application/json", b)
	c.Abort()
}
