package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	swaggerFiles "github.com/swaggo/files"
	ginSwagger "github.com/swaggo/gin-swagger"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/swagger"
)

// definitions are the connector's Swagger 2.0 definition in both path
// formats, parsed once at start; host and schemes are set per request.
type definitions struct {
	newFormat map[string]any
	oldFormat map[string]any
}

func loadDefinitions() (*definitions, error) {
	var d map[string]any
	if err := json.Unmarshal([]byte(swagger.SwaggerInfo.ReadDoc()), &d); err != nil {
		return nil, err
	}
	old, err := oldFormat(d)
	if err != nil {
		return nil, err
	}
	return &definitions{newFormat: d, oldFormat: old}, nil
}

// oldFormat returns the definition with every path parameter moved to a
// query parameter of the same name, its path segment replaced by the
// parameter's lower-case name (LowCodeAPI's old format).
func oldFormat(d map[string]any) (map[string]any, error) {
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	var old map[string]any
	if err := json.Unmarshal(raw, &old); err != nil { // a deep copy
		return nil, err
	}
	paths, _ := old["paths"].(map[string]any)
	moved := make(map[string]any, len(paths))
	for p, item := range paths {
		np := p
		for _, seg := range strings.Split(p, "/") {
			if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
				np = strings.Replace(np, seg, strings.ToLower(seg[1:len(seg)-1]), 1)
			}
		}
		ops, _ := item.(map[string]any)
		for _, op := range ops {
			params, _ := op.(map[string]any)["parameters"].([]any)
			for _, prm := range params {
				if pm, ok := prm.(map[string]any); ok && pm["in"] == "path" {
					pm["in"] = "query"
				}
			}
		}
		moved[np] = item
	}
	old["paths"] = moved
	info, _ := old["info"].(map[string]any)
	if info != nil {
		info["description"] = info["description"].(string) + " (LowCodeAPI's old path format: IDs as query parameters.)"
	}
	return old, nil
}

// serve writes def with host, schemes and basePath for this request; a
// Host that is not a host name answers 400.
func (s *Server) serveDefinition(c *gin.Context, def map[string]any) {
	out := make(map[string]any, len(def)+2)
	for k, v := range def {
		out[k] = v
	}
	raw, err := s.baseURL(c.Request)
	if err != nil {
		s.fail(c, err)
		return
	}
	base, err := url.Parse(raw)
	if err != nil {
		s.fail(c, errBadHost)
		return
	}
	out["host"] = base.Host
	out["schemes"] = []string{base.Scheme}
	if p := strings.TrimRight(base.Path, "/"); p != "" {
		out["basePath"] = p + def["basePath"].(string)
	}
	b, err := json.Marshal(out)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, "application/json; charset=utf-8", b)
}

// definitionRoutes are the connector's own definition routes, answered
// before authentication.
func (s *Server) serveConnectorDefinition(c *gin.Context, rest string) bool {
	var def map[string]any
	switch strings.Trim(rest, "/") {
	case "openapi":
		def = s.defs.newFormat
	case "definition":
		def = s.defs.oldFormat
	default:
		return false
	}
	if c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead {
		c.Set(keyAllowed, []string{http.MethodGet})
		s.fail(c, connectors.Errorf(connectors.CodeMethodNotAllowed, "method %s is not allowed here; allowed: GET", c.Request.Method))
		return true
	}
	s.serveDefinition(c, def)
	c.Abort()
	return true
}

// swaggerRoutes serves /swagger/doc.json (host from the request) and the
// Swagger UI.
func (s *Server) swaggerRoutes(e *gin.Engine) {
	ui := ginSwagger.WrapHandler(swaggerFiles.Handler, ginSwagger.URL("doc.json"))
	e.GET("/swagger/*any", func(c *gin.Context) {
		switch c.Param("any") {
		case "/doc.json":
			s.serveDefinition(c, s.defs.newFormat)
		case "/", "":
			c.Redirect(http.StatusMovedPermanently, "/swagger/index.html")
		default:
			ui(c)
		}
	})
}
