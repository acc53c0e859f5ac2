package server

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/igconnect/gateway/internal/oauth"
)

// The pages people see while connecting an account: server-rendered, no
// script, no asset but their inline style, which the Content-Security-
// Policy names by its hash.
//
//go:embed pages
var pageFiles embed.FS

var (
	pageStyle = func() template.CSS {
		b, err := pageFiles.ReadFile("pages/style.css")
		if err != nil {
			panic(err)
		}
		return template.CSS(strings.TrimSpace(string(b)))
	}()
	styleHash = func() string {
		sum := sha256.Sum256([]byte(pageStyle))
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}()
	pages = map[string]*template.Template{
		"connect": template.Must(template.ParseFS(pageFiles, "pages/layout.html", "pages/connect.html")),
		"result":  template.Must(template.ParseFS(pageFiles, "pages/layout.html", "pages/result.html")),
		"error":   template.Must(template.ParseFS(pageFiles, "pages/layout.html", "pages/error.html")),
	}
)

// pageHeaders are every page's headers: no caching, no framing, no
// referrer (a link's URL is a secret), and a policy that allows the page's
// own style and forms to the gateway and to Instagram's consent only.
func (s *Server) pageHeaders(c *gin.Context) {
	h := c.Writer.Header()
	formAction := "'self'"
	if s.opts.ConsentOrigin != "" {
		formAction += " " + s.opts.ConsentOrigin
	}
	h.Set("Content-Security-Policy", "default-src 'none'; style-src "+styleHash+"; form-action "+formAction+"; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}

// page writes page name with data (its Title and fields) at status.
func (s *Server) page(c *gin.Context, status int, name string, data map[string]any) {
	data["Style"] = pageStyle
	var buf bytes.Buffer
	if err := pages[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		s.log.Error("page", "page", name, "err", err.Error())
		status, buf = http.StatusInternalServerError, *bytes.NewBufferString("internal error")
	}
	s.pageHeaders(c)
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// pageFail writes the error page of err: a *oauth.PageError's words, or a
// generic failure.
func (s *Server) pageFail(c *gin.Context, err error) {
	var pe *oauth.PageError
	if !errors.As(err, &pe) {
		pe = &oauth.PageError{Status: http.StatusInternalServerError, Title: "Something went wrong",
			Message: "The gateway could not finish this. Nothing was stored; try again.", Err: err}
	}
	if pe.Err != nil {
		c.Set(keyError, pe.Err)
	}
	s.page(c, pe.Status, "error", map[string]any{"Title": pe.Title, "Message": pe.Message, "Error": true})
}
