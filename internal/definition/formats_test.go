package definition

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// The old format moves every path parameter to the query, its segment to
// the parameter's lower-case name, and keeps pickers.
func TestOldFormat(t *testing.T) {
	d := mustBuild(t)
	old := OldFormat(d)
	var paths []string
	for p := range old["paths"].(map[string]any) {
		paths = append(paths, p)
	}
	want := map[string]bool{"/owner_id/things": true, "/thing_id": true, "/part": true, "/part_id/delete": true, "/thing_id/parts": true}
	if len(paths) != len(want) {
		t.Fatalf("paths %v", paths)
	}
	for _, p := range paths {
		if !want[p] {
			t.Errorf("path %s", p)
		}
	}
	p := at(t, old, "paths", "/thing_id", "get", "parameters", "0").(map[string]any)
	if p["in"] != "query" || p["x-ms-url-encoding"] != nil || p["x-ms-dynamic-values"] == nil {
		t.Errorf("THING_ID in the old format: %s", jsonOf(p))
	}
	if at(t, d, "paths", "/{THING_ID}", "get", "parameters", "0", "in") != "path" {
		t.Error("OldFormat changed its argument")
	}
	if problems := Lint(old); len(problems) > 0 {
		t.Errorf("the old format breaks rules: %q", problems)
	}
}

// OpenAPI3 converts with kin-openapi, accepts the query key beside every
// other scheme, and the result validates.
func TestOpenAPI3(t *testing.T) {
	d := mustBuild(t)
	oa, err := OpenAPI3(context.Background(), d, QueryKey{Scheme: "api_token", Param: "api_token", Description: "The key."})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(oa)
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.0") {
		t.Errorf("openapi %s", doc.OpenAPI)
	}
	key := doc.Components.SecuritySchemes["api_token"].Value
	if key.Type != "apiKey" || key.In != "query" || key.Name != "api_token" {
		t.Errorf("api_token scheme %+v", key)
	}
	if h := doc.Components.SecuritySchemes["apiKey"].Value; h.In != "header" || h.Name != "X-API-Key" {
		t.Errorf("apiKey scheme %+v", h)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if got := jsonOf(op.Security); got != `[{"apiKey":[]},{"api_token":[]}]` {
				t.Errorf("%s %s: security %s", method, path, got)
			}
		}
	}
	if got := jsonOf(oa["servers"]); got != `[{"url":"/things/v1"}]` {
		t.Errorf("servers %s", got)
	}
	dv := doc.Paths.Find("/{THING_ID}").Get.Parameters[0].Value.Extensions["x-ms-dynamic-values"]
	if dv == nil {
		t.Error("the picker is lost")
	}
}
