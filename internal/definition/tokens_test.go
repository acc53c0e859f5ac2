package definition

import (
	"strings"
	"testing"
)

// Designer lists what the designer shows: inputs by place and visibility,
// internal ones hidden; each leaf of the answer a typed token titled by
// its ancestors; arrays of objects as loops.
func TestDesigner(t *testing.T) {
	byID := map[string]Action{}
	for _, a := range Designer(mustBuild(t)) {
		byID[a.OperationID] = a
	}
	tests := []struct {
		name string
		got  func() any
		want string
	}{
		{"internal inputs are hidden", func() any { return byID["GetThings"].Inputs },
			`[{"Title":"Page Size","Key":"query.$.limit","Type":"integer","Visibility":"advanced","Required":false,"Choices":0,"Picker":""}]`},
		{"a body's properties are inputs, important first", func() any { return byID["RenameThing"].Inputs },
			`[{"Title":"Thing ID","Key":"path.$.THING_ID","Type":"string","Visibility":"","Required":true,"Choices":0,"Picker":"GetThings"},` +
				`{"Title":"Name","Key":"body.$.name","Type":"string","Visibility":"important","Required":true,"Choices":0,"Picker":""},` +
				`{"Title":"Note","Key":"body.$.note","Type":"string","Visibility":"advanced","Required":false,"Choices":0,"Picker":""}]`},
		{"enums are choices", func() any { return byID["GetThing"].Inputs[1].Choices }, `2`},
		{"leaves are typed tokens", func() any { return byID["GetThing"].Outputs },
			`[{"Title":"Thing ID","Key":"body.$.data.id","Type":"string","Loops":null},` +
				`{"Title":"Thing Labels","Key":"body.$.data.labels","Type":"array of string","Loops":null},` +
				`{"Title":"Thing Like Count","Key":"body.$.data.like_count","Type":"integer","Loops":null},` +
				`{"Title":"Thing Name","Key":"body.$.data.name","Type":"string","Loops":null},` +
				`{"Title":"Thing Owner ID","Key":"body.$.data.owner.id","Type":"string","Loops":null}]`},
		{"arrays of objects are loops", func() any { return byID["GetThings"].Outputs[7] },
			`{"Title":"Things ID","Key":"body.$.value.[*].id","Type":"string","Loops":["Things"]}`},
		{"inside an object", func() any { return byID["GetThings"].Outputs[0] },
			`{"Title":"Page Things ID","Key":"body.$.data.data.[*].id","Type":"string","Loops":["Page Things"]}`},
		{"pageable", func() any { return []bool{byID["GetThings"].Pageable, byID["GetThing"].Pageable} }, `[true,false]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := jsonOf(tt.got()); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestMarkdown(t *testing.T) {
	md := Markdown(mustBuild(t))
	for _, want := range []string{
		"| Action | Inputs | Output tokens |\n|---|---|---|\n| Delete part<br>`DeletePart` |",
		"| Get things<br>`GetThings`<br>(pages) | `Page Size` (integer, advanced) | `Page Paging Next Page` string, `Next Link` string<br>**each Page Things:** `Page Things ID` string,",
		"| Get thing<br>`GetThing` | `Thing ID` (string, required, dropdown from GetThings) · `Kind` (string, 2 choices) |",
		"`Thing Labels` array of string",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the table has no %q:\n%s", want, md)
		}
	}
}
