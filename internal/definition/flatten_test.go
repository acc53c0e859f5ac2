package definition

import (
	"encoding/json"
	"strings"
	"testing"
)

// Build flattens each allOf wrapper and $ref with siblings into a typed
// copy of what it references, with the wrapper's description and summary;
// plain references (answers, array items) stay.
func TestFlatten(t *testing.T) {
	d := mustBuild(t)
	thing := []string{"definitions", "things.ThingAnswer", "properties", "data"}
	tests := []struct {
		name string
		path []string
		want string
	}{
		{"a wrapper becomes an object", append(thing, "type"), `"object"`},
		{"with its own description", append(thing, "description"), `"The thing."`},
		{"and its own summary", append(thing, "x-ms-summary"), `"Thing"`},
		{"and the referenced properties", append(thing, "properties", "name", "type"), `"string"`},
		{"a wrapper inside it too", append(thing, "properties", "owner"), `{"description":"The thing's owner.","properties":{"id":{"description":"The owner's ID.","type":"string","x-ms-summary":"ID"}},"type":"object","x-ms-summary":"Owner"}`},
		{"a definition without type gets one", []string{"definitions", "things.ThingAnswer", "type"}, `"object"`},
		{"a $ref with siblings is inlined", []string{"definitions", "things.ThingPage", "properties", "data", "properties", "paging"}, `{"description":"Links to the other pages.","properties":{"next":{"description":"The next page.","type":"string","x-ms-summary":"Next Page"}},"type":"object","x-ms-summary":"Paging"}`},
		{"array items stay references", []string{"definitions", "things.ThingPage", "properties", "value", "items"}, `{"$ref":"#/definitions/things.Thing"}`},
		{"answers stay references", []string{"paths", "/{THING_ID}", "get", "responses", "200", "schema"}, `{"$ref":"#/definitions/things.ThingAnswer"}`},
		{"allOf parts merge", []string{"definitions", "things.PartPage", "properties", "data", "properties", "count", "type"}, `"integer"`},
		{"allOf parts merge in order", []string{"definitions", "things.PartPage", "properties", "data", "properties", "data", "items"}, `{"$ref":"#/definitions/things.Part"}`},
		{"only inlined definitions are dropped", []string{"definitions", "things.ThingList"}, `null`},
		{"unused definitions are dropped", []string{"definitions", "things.Unused"}, `null`},
		{"referenced definitions stay", []string{"definitions", "things.Thing", "type"}, `"object"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := jsonOf(at(t, d, tt.path...)); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// A definition that contains itself through a wrapper cannot be inlined:
// Build says which.
func TestFlattenRefusesALoop(t *testing.T) {
	var d map[string]any
	json.Unmarshal(mustRead(t), &d)
	owner := at(t, d, "definitions", "things.Owner", "properties").(map[string]any)
	owner["boss"] = map[string]any{"allOf": []any{map[string]any{"$ref": "#/definitions/things.Owner"}}, "x-ms-summary": "Boss"}
	raw, _ := json.Marshal(d)
	if _, err := Build(raw, things{thingPickers}); err == nil || !strings.Contains(err.Error(), "things.Owner contains itself") {
		t.Fatalf("err = %v", err)
	}
}
