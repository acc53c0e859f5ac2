package definition

import (
	"strings"
	"testing"
)

// lintable is the built fixture, which keeps every rule: each case of
// TestLint breaks one.
func lintable(t *testing.T) map[string]any {
	t.Helper()
	d := mustBuild(t)
	if problems := Lint(d); len(problems) > 0 {
		t.Fatalf("the built fixture breaks rules:\n%s", strings.Join(problems, "\n"))
	}
	return d
}

// Each rule Lint checks fails on a definition that breaks it, naming the
// rule and the place.
func TestLint(t *testing.T) {
	op := func(d map[string]any, path, method string) map[string]any {
		return d["paths"].(map[string]any)[path].(map[string]any)[method].(map[string]any)
	}
	param := func(d map[string]any, path, method string, i int) map[string]any {
		return op(d, path, method)["parameters"].([]any)[i].(map[string]any)
	}
	def := func(d map[string]any, name string) map[string]any {
		return d["definitions"].(map[string]any)[name].(map[string]any)
	}
	prop := func(d map[string]any, name, p string) map[string]any {
		return def(d, name)["properties"].(map[string]any)[p].(map[string]any)
	}
	tests := []struct {
		name  string
		spoil func(d map[string]any)
		want  string
	}{
		{"a $ref with siblings", func(d map[string]any) {
			prop(d, "things.ThingAnswer", "data")["$ref"] = "#/definitions/things.Thing"
		}, "typed outputs: GetThing response 200.data: $ref #/definitions/things.Thing with siblings"},
		{"an allOf wrapper", func(d map[string]any) {
			def(d, "things.ThingAnswer")["properties"].(map[string]any)["data"] = map[string]any{"allOf": []any{map[string]any{"$ref": "#/definitions/things.Thing"}}, "x-ms-summary": "Thing"}
		}, "typed outputs: GetThing response 200.data: allOf collapses"},
		{"an object without type", func(d map[string]any) {
			delete(prop(d, "things.ThingAnswer", "data"), "type")
		}, "typed outputs: GetThing response 200.data: no type"},
		{"a property without summary", func(d map[string]any) {
			delete(prop(d, "things.Thing", "name"), "x-ms-summary")
		}, "typed outputs: GetThings response 200.value[].name: no x-ms-summary"},
		{"an array without items", func(d map[string]any) {
			delete(prop(d, "things.Thing", "labels"), "items")
		}, "typed outputs: GetThings response 200.value[].labels: an array without items"},
		{"a path parameter encoded twice", func(d map[string]any) {
			param(d, "/{THING_ID}", "get", 0)["x-ms-url-encoding"] = "double"
		}, "url encoding: GetThing parameter THING_ID"},
		{"an operation without visibility", func(d map[string]any) {
			delete(op(d, "/part", "get"), "x-ms-visibility")
		}, "operation visibility: GetPart has no x-ms-visibility"},
		{"an error with a schema", func(d map[string]any) {
			op(d, "/{THING_ID}", "get")["responses"].(map[string]any)["404"].(map[string]any)["schema"] = map[string]any{"type": "string"}
		}, "one response schema: GetThing has response schemas [200 404]"},
		{"a parameter's summary in sentence case", func(d map[string]any) {
			param(d, "/{THING_ID}", "get", 1)["x-ms-summary"] = "Kind of thing"
		}, `title case: GetThing parameter kind: x-ms-summary "Kind of thing"`},
		{"a parameter without summary", func(d map[string]any) {
			delete(param(d, "/{THING_ID}", "get", 1), "x-ms-summary")
		}, `title case: GetThing parameter kind: x-ms-summary ""`},
		{"a property's summary in sentence case", func(d map[string]any) {
			prop(d, "things.Rename", "note")["x-ms-summary"] = "Why renamed"
		}, `title case: definition things.Rename.note: x-ms-summary "Why renamed"`},
		{"a description without period", func(d map[string]any) {
			prop(d, "things.Thing", "name")["description"] = "The name"
		}, `sentences: definition things.Thing.name: description "The name"`},
		{"an operation's description in lower case", func(d map[string]any) {
			op(d, "/part", "get")["description"] = "gets a part."
		}, `sentences: GetPart: description "gets a part."`},
		{"an error's description", func(d map[string]any) {
			op(d, "/{THING_ID}", "get")["responses"].(map[string]any)["404"].(map[string]any)["description"] = "no such thing"
		}, `sentences: GetThing response 404`},
		{"a description with API", func(d map[string]any) {
			d["info"].(map[string]any)["description"] = "Reads the Things API."
		}, `sentences: the description "Reads the Things API." is not a sentence without the word API`},
		{"an operation summary with a period", func(d map[string]any) {
			op(d, "/part", "get")["summary"] = "Get part."
		}, `operation summary: GetPart: summary "Get part."`},
		{"an operation summary with capitalized names is accepted", func(d map[string]any) {
			op(d, "/part", "get")["summary"] = "Get Part Details"
		}, ``},
		{"a title with connector", func(d map[string]any) {
			d["info"].(map[string]any)["title"] = "Things (connector gateway)"
		}, `title: the title "Things (connector gateway)"`},
		{"a title with API", func(d map[string]any) {
			d["info"].(map[string]any)["title"] = "Things API"
		}, `title: the title "Things API"`},
		{"a long title", func(d map[string]any) {
			d["info"].(map[string]any)["title"] = "Things and all their little parts"
		}, `title: the title "Things and all their little parts"`},
		{"a contact without email", func(d map[string]any) {
			delete(d["info"].(map[string]any)["contact"].(map[string]any), "email")
		}, "contact: the contact has no email"},
		{"a contact without URL", func(d map[string]any) {
			delete(d["info"].(map[string]any)["contact"].(map[string]any), "url")
		}, "contact: the contact has no url"},
		{"an undefined tag", func(d map[string]any) {
			op(d, "/part", "get")["tags"] = []any{"Parts"}
		}, "tags: GetPart uses tag Parts, which tags does not define"},
		{"a tag without description", func(d map[string]any) {
			delete(d["tags"].([]any)[0].(map[string]any), "description")
		}, "tags: tag Things has no description"},
		{"a page without value", func(d map[string]any) {
			delete(def(d, "things.ThingPage")["properties"].(map[string]any), "value")
		}, "paging: GetThings: the answer has no value array"},
		{"a page without nextLink", func(d map[string]any) {
			delete(def(d, "things.PartPage")["properties"].(map[string]any), "nextLink")
		}, "paging: GetParts: the answer has no nextLink string"},
		{"another next link name", func(d map[string]any) {
			op(d, "/{OWNER_ID}/things", "get")["x-ms-pageable"] = map[string]any{"nextLinkName": "@odata.nextLink"}
		}, "paging: GetThings: x-ms-pageable"},
		{"a picker of a missing title", func(d map[string]any) {
			param(d, "/{THING_ID}", "get", 0)["x-ms-dynamic-values"].(map[string]any)["value-title"] = "caption"
		}, `picker: GetThing parameter THING_ID: the items of GetThings.value have no value-title "caption"`},
		{"a picker of a missing operation", func(d map[string]any) {
			param(d, "/{THING_ID}", "get", 0)["x-ms-dynamic-values"].(map[string]any)["operationId"] = "ListThings"
		}, `picker: GetThing parameter THING_ID: its list operation "ListThings"`},
		{"a picker linked to a missing input", func(d map[string]any) {
			param(d, "/{PART_ID}/delete", "post", 0)["x-ms-dynamic-values"] = dynamicValues(thingPickers[1])
		}, "picker: DeletePart parameter PART_ID: parameter THING_ID comes from input THING_ID, which the operation does not have"},
		{"a picker of a parameter the list does not take", func(d map[string]any) {
			param(d, "/{THING_ID}", "get", 0)["x-ms-dynamic-values"].(map[string]any)["parameters"] = map[string]any{"owner": "me"}
		}, "picker: GetThing parameter THING_ID: GetThings takes no parameter owner"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := lintable(t)
			tt.spoil(d)
			got := Lint(d)
			if tt.want == "" {
				if len(got) > 0 {
					t.Fatalf("problems: %q", got)
				}
				return
			}
			for _, p := range got {
				if strings.HasPrefix(p, tt.want) {
					return
				}
			}
			t.Fatalf("no problem starts %q; got %q", tt.want, got)
		})
	}
}
