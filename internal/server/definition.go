package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	swaggerFiles "github.com/swaggo/files"
	ginSwagger "github.com/swaggo/gin-swagger"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/definition"
	"github.com/igconnect/gateway/swagger"
)

// queryKey is the API key as LowCodeAPI's clients pass it: the api_token
// query parameter (the gateway also reads X-API-Key and Bearer).
var queryKey = definition.QueryKey{
	Scheme: "api_token", Param: "api_token",
	Description: "The connection's API key (igw_…), as the api_token query parameter.",
}

// definitions are the connector's definition as the gateway serves it,
// built once at start from swag's output and the connector; host and
// servers are set per request.
type definitions struct {
	swag []byte
	// swagger is the Swagger 2.0 definition (new path format), old the same
	// in LowCodeAPI's old path format, openAPI the new one as OpenAPI 3.0.
	swagger, old, openAPI map[string]any
	// oauth2 is swagger for sign-in (one OAuth 2.0 scheme), its
	// authorization and token URLs set per request.
	oauth2 map[string]any
}

// loadDefinitions builds the served definitions from swag's output and the
// connector, once, at start.
func loadDefinitions(c connectors.Connector) (*definitions, error) {
	swag := []byte(swagger.SwaggerInfo.ReadDoc())
	if !json.Valid(swag) {
		return nil, fmt.Errorf("swagger/docs.go holds no JSON")
	}
	d := &definitions{swag: swag}
	if err := d.build(c); err != nil {
		return nil, fmt.Errorf("the connector's definition does not build: %w", err)
	}
	return d, nil
}

// build builds the three definitions for c.
func (d *definitions) build(c connectors.Connector) error {
	doc, err := definition.Build(d.swag, c)
	if err != nil {
		return err
	}
	oa, err := definition.OpenAPI3(context.Background(), doc, queryKey)
	if err != nil {
		return err
	}
	d.swagger, d.old, d.openAPI = doc, definition.OldFormat(doc), oa
	d.oauth2 = definition.OAuth2(doc, "", "")
	return nil
}

// base returns the caller's scheme://host and the path prefix in front of
// the definition's base path (GATEWAY_PUBLIC_URL's, or none); a Host that
// is not a host name is errBadHost.
func (s *Server) base(c *gin.Context) (*url.URL, string, error) {
	raw, err := s.baseURL(c.Request)
	if err != nil {
		return nil, "", err
	}
	base, err := url.Parse(raw)
	if err != nil {
		return nil, "", errBadHost
	}
	return base, strings.TrimRight(base.Path, "/"), nil
}

// serveDefinition writes a Swagger 2.0 def with host, schemes and basePath
// for this request; a Host that is not a host name answers 400.
func (s *Server) serveDefinition(c *gin.Context, def map[string]any) {
	base, prefix, err := s.base(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make(map[string]any, len(def)+2)
	for k, v := range def {
		out[k] = v
	}
	out["host"] = base.Host
	out["schemes"] = []string{base.Scheme}
	if prefix != "" {
		out["basePath"] = prefix + def["basePath"].(string)
	}
	s.writeDefinition(c, out)
}

// serveOpenAPI writes the OpenAPI 3.0 definition with one server: this
// request's scheme and host, then the base path.
func (s *Server) serveOpenAPI(c *gin.Context) {
	base, prefix, err := s.base(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make(map[string]any, len(s.defs.openAPI))
	for k, v := range s.defs.openAPI {
		out[k] = v
	}
	basePath, _ := s.defs.swagger["basePath"].(string)
	out["servers"] = []any{map[string]any{"url": base.Scheme + "://" + base.Host + prefix + basePath}}
	s.writeDefinition(c, out)
}

func (s *Server) writeDefinition(c *gin.Context, def map[string]any) {
	b, err := json.Marshal(def)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, "application/json; charset=utf-8", b)
}

// serveOAuth2Definition writes the sign-in definition with this request's
// host, and the OAuth 2.0 scheme on the gateway's /oauth2/authorize and
// /oauth2/token at the same scheme, host and prefix.
func (s *Server) serveOAuth2Definition(c *gin.Context) {
	base, prefix, err := s.base(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	root := base.Scheme + "://" + base.Host + prefix
	def := make(map[string]any, len(s.defs.oauth2))
	for k, v := range s.defs.oauth2 {
		def[k] = v
	}
	def["securityDefinitions"] = definition.OAuth2Security(root+"/oauth2/authorize", root+"/oauth2/token")
	s.serveDefinition(c, def)
}

// serveConnectorDefinition answers the connector's own definition routes,
// before authentication: /openapi (OpenAPI 3.0, new path format),
// /definition (Swagger 2.0, LowCodeAPI's old path format) and
// /oauth2/definition (Swagger 2.0, new path format, for sign-in).
func (s *Server) serveConnectorDefinition(c *gin.Context, rest string) bool {
	route := strings.Trim(rest, "/")
	if route != "openapi" && route != "definition" && route != "oauth2/definition" {
		return false
	}
	if c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead {
		c.Set(keyAllowed, []string{http.MethodGet})
		s.fail(c, connectors.Errorf(connectors.CodeMethodNotAllowed, "method %s is not allowed here; allowed: GET", c.Request.Method))
		return true
	}
	switch route {
	case "openapi":
		s.serveOpenAPI(c)
	case "oauth2/definition":
		s.serveOAuth2Definition(c)
	default:
		s.serveDefinition(c, s.defs.old)
	}
	c.Abort()
	return true
}

// swaggerRoutes builds the served definitions for the server's connector,
// then serves /swagger/doc.json (the Swagger 2.0 definition, host from the
// request) and the Swagger UI.
func (s *Server) swaggerRoutes(e *gin.Engine) {
	ui := ginSwagger.WrapHandler(swaggerFiles.Handler, ginSwagger.URL("doc.json"))
	e.GET("/swagger/*any", func(c *gin.Context) {
		switch c.Param("any") {
		case "/doc.json":
			s.serveDefinition(c, s.defs.swagger)
		case "/", "":
			c.Redirect(http.StatusMovedPermanently, "/swagger/index.html")
		default:
			ui(c)
		}
	})
}
