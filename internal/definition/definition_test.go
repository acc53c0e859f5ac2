package definition

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/igconnect/gateway/internal/connectors"
)

// things is a connector of the fixture testdata/swag.json, a definition in
// swag's style: GetThings and GetParts page; THING_ID inputs pick from
// GetThings, PART_ID inputs from the parts of the operation's THING_ID.
type things struct{ pickers []connectors.Picker }

func (things) Actions() []*connectors.Action {
	return []*connectors.Action{
		{OperationID: "GetThings", Paged: true},
		{OperationID: "GetThing"},
		{OperationID: "RenameThing"},
		{OperationID: "GetPart"},
		{OperationID: "DeletePart"},
		{OperationID: "GetParts", Paged: true},
	}
}

func (t things) Pickers() []connectors.Picker { return t.pickers }

var thingPickers = []connectors.Picker{
	{Parameter: "THING_ID", OperationID: "GetThings", ValuePath: "id", TitlePath: "name", Fixed: map[string]string{"OWNER_ID": "me"}},
	{Parameter: "PART_ID", OperationID: "GetParts", ValuePath: "id", TitlePath: "text", Linked: map[string]string{"THING_ID": "THING_ID"}},
}

func mustRead(t testing.TB) []byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/swag.json")
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// mustBuild builds the fixture.
func mustBuild(t testing.TB) map[string]any {
	t.Helper()
	d, err := Build(mustRead(t), things{thingPickers})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// at returns the value at a path of keys (and indexes, as "0") in d.
func at(t *testing.T, d any, path ...string) any {
	t.Helper()
	v := d
	for _, k := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i := int(k[0] - '0')
			if i >= len(x) {
				t.Fatalf("%v: no index %s", path, k)
			}
			v = x[i]
		default:
			t.Fatalf("%v: nothing at %s", path, k)
		}
	}
	return v
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestBuildRefuses(t *testing.T) {
	tests := []struct {
		name    string
		swag    string
		pickers []connectors.Picker
		want    string
	}{
		{"not JSON", `{`, nil, "swag's definition"},
		{"a reference to nothing", `{"paths":{"/a":{"get":{"operationId":"A","responses":{"200":{"schema":{"$ref":"#/definitions/none"}}}}}}}`, nil, "names no definition"},
		{"a picker fed by no operation", `{"paths":{}}`, []connectors.Picker{{Parameter: "X", OperationID: "ListX"}}, "fed by ListX"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Build([]byte(tt.swag), things{tt.pickers}); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// The action table decides which operations page, whatever the
// annotations say.
func TestPageable(t *testing.T) {
	d := mustBuild(t)
	if got := PagedOperations(d); !reflect.DeepEqual(got, []string{"GetParts", "GetThings"}) {
		t.Fatalf("paged %v", got)
	}
	if got := jsonOf(at(t, d, "paths", "/{OWNER_ID}/things", "get", "x-ms-pageable")); got != `{"nextLinkName":"nextLink"}` {
		t.Fatalf("x-ms-pageable %s", got)
	}
}

func TestCommitted(t *testing.T) {
	d := mustBuild(t)
	c := Committed(d)
	if _, ok := c["host"]; ok {
		t.Error("the committed definition keeps an empty host")
	}
	if _, ok := d["host"]; !ok {
		t.Error("Committed changed its argument")
	}
	b, err := Marshal(c)
	if err != nil || !strings.HasSuffix(string(b), "}\n") || strings.Contains(string(b), `\u0026`) {
		t.Fatalf("%v %s", err, b)
	}
}
