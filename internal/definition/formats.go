package definition

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
)

// OldFormat returns a copy of d in LowCodeAPI's old path format: every path
// parameter moved to a query parameter of the same name, its path segment
// replaced by the parameter's lower-case name (/{IG_MEDIA_ID}/comments →
// /ig_media_id/comments?IG_MEDIA_ID=…). Its URL encoding goes with it: a
// query parameter has none to choose.
func OldFormat(d map[string]any) map[string]any {
	old := Copy(d)
	paths, _ := old["paths"].(map[string]any)
	moved := make(map[string]any, len(paths))
	for p, item := range paths {
		np := p
		for _, seg := range strings.Split(p, "/") {
			if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
				np = strings.Replace(np, seg, strings.ToLower(seg[1:len(seg)-1]), 1)
			}
		}
		moved[np] = item
	}
	old["paths"] = moved
	for _, o := range Operations(old) {
		for _, p := range o.Parameters() {
			if p["in"] == "path" {
				p["in"] = "query"
				delete(p, "x-ms-url-encoding")
			}
		}
	}
	if info, ok := old["info"].(map[string]any); ok {
		desc, _ := info["description"].(string)
		info["description"] = strings.TrimSpace(desc + " In LowCodeAPI's old path format: IDs are query parameters.")
	}
	return old
}

// QueryKey is an API key scheme that reads the key from a query parameter,
// as LowCodeAPI's clients send it.
type QueryKey struct {
	// Scheme is the security scheme's name; Param the query parameter's.
	Scheme, Param, Description string
}

// OpenAPI3 converts d to OpenAPI 3.0 with kin-openapi's openapi2conv, adds
// the query key as a security scheme that every secured operation also
// accepts, validates the result and returns it. Its servers hold d's base
// path alone: the server that serves it puts the host in front.
func OpenAPI3(ctx context.Context, d map[string]any, key QueryKey) (map[string]any, error) {
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	var doc2 openapi2.T
	if err := json.Unmarshal(raw, &doc2); err != nil {
		return nil, fmt.Errorf("read as Swagger 2.0: %w", err)
	}
	doc3, err := openapi2conv.ToV3(&doc2)
	if err != nil {
		return nil, fmt.Errorf("convert to OpenAPI 3.0: %w", err)
	}
	if doc3.Components.SecuritySchemes == nil {
		doc3.Components.SecuritySchemes = openapi3.SecuritySchemes{}
	}
	doc3.Components.SecuritySchemes[key.Scheme] = &openapi3.SecuritySchemeRef{Value: openapi3.NewSecurityScheme().
		WithType("apiKey").WithIn("query").WithName(key.Param).WithDescription(key.Description)}
	for _, item := range doc3.Paths.Map() {
		for _, op := range item.Operations() {
			if op.Security != nil && len(*op.Security) > 0 {
				op.Security.With(openapi3.NewSecurityRequirement().Authenticate(key.Scheme))
			}
		}
	}
	if err := doc3.Validate(ctx); err != nil {
		return nil, fmt.Errorf("the OpenAPI 3.0 definition is not valid: %w", err)
	}
	out, err := json.Marshal(doc3)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, err
	}
	return m, nil
}
