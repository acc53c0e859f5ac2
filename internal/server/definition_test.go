package server

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/dlclark/regexp2"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/connectors/instagram"
	"github.com/igconnect/gateway/internal/definition"
	"github.com/igconnect/gateway/swagger"
)

const (
	regenerate      = "regenerate it with: go run github.com/swaggo/swag/cmd/swag@v1.16.6 init -g cmd/gateway/main.go -o swagger --parseInternal --outputTypes go"
	regenerateFinal = "after swag, regenerate it with: go run ./internal/definition/generate -o swagger/swagger.json"
	powerplatDir    = "testdata/powerplatform" // copies, with their source and licence in its README
	// finalDefinition is the committed final definition (what
	// /swagger/doc.json serves, without a host).
	finalDefinition = "../../swagger/swagger.json"
	readme          = "../../README.md"
	// The README's generated table of actions stands between these lines.
	tableBegin = "<!-- actions table: generated from the definition; go test ./internal/server -run TestREADMEDesignerTable -update -->"
	tableEnd   = "<!-- end of actions table -->"
)

// loadSchema compiles one of Microsoft's schemas, without its // comments.
func loadSchema(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(powerplatDir, name))
	if err != nil {
		t.Fatalf("%v (shared/ must stand beside the repository)", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(stripComments(raw)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	c := jsonschema.NewCompiler()
	// The schemas use ECMAScript regular expressions (lookahead), which Go's
	// regexp cannot compile.
	c.UseRegexpEngine(func(s string) (jsonschema.Regexp, error) {
		re, err := regexp2.Compile(s, regexp2.ECMAScript)
		if err != nil {
			return nil, err
		}
		return ecmaRegexp{re}, nil
	})
	if err := c.AddResource(name, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(name)
	if err != nil {
		t.Fatalf("compile %s: %v", name, err)
	}
	return s
}

type ecmaRegexp struct{ re *regexp2.Regexp }

func (r ecmaRegexp) MatchString(s string) bool {
	ok, err := r.re.MatchString(s)
	return err == nil && ok
}

func (r ecmaRegexp) String() string { return r.re.String() }

// stripComments removes every // outside a string, to the end of its line.
func stripComments(b []byte) []byte {
	var out bytes.Buffer
	inString, escaped := false, false
	for i := 0; i < len(b); i++ {
		ch := b[i]
		switch {
		case inString:
			out.WriteByte(ch)
			if escaped {
				escaped = false
			} else if ch == '\\' {
				escaped = true
			} else if ch == '"' {
				inString = false
			}
		case ch == '"':
			inString = true
			out.WriteByte(ch)
		case ch == '/' && i+1 < len(b) && b[i+1] == '/':
			for i < len(b) && b[i] != '\n' {
				i++
			}
			out.WriteByte('\n')
		default:
			out.WriteByte(ch)
		}
	}
	return out.Bytes()
}

func validate(t *testing.T, s *jsonschema.Schema, raw []byte, what string) {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if err := s.Validate(doc); err != nil {
		t.Fatalf("%s does not validate: %v", what, err)
	}
}

// servedBase returns where a served definition puts the API: a Swagger
// definition's host, base path and scheme, or those of an OpenAPI one's
// server.
func servedBase(raw []byte) (host, basePath, scheme string, err error) {
	var doc struct {
		Host, BasePath string
		Schemes        []string
		Servers        []struct{ URL string }
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return "", "", "", err
	}
	if len(doc.Servers) == 0 {
		if len(doc.Schemes) != 1 {
			return "", "", "", fmt.Errorf("schemes %v", doc.Schemes)
		}
		return doc.Host, doc.BasePath, doc.Schemes[0], nil
	}
	u, err := url.Parse(doc.Servers[0].URL)
	if err != nil {
		return "", "", "", err
	}
	return u.Host, u.Path, u.Scheme, nil
}

// served fetches a definition from the running server.
func served(t *testing.T, e *env, path string) ([]byte, map[string]any) {
	t.Helper()
	a := e.doRaw(t, "GET", path)
	var d map[string]any
	if err := json.Unmarshal(a, &d); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return a, d
}

// TestCommittedDefinitionIsGenerated: swag's raw output lives only in
// docs.go (its struct fields are untyped allOf wrappers); the one committed
// definition file, swagger/swagger.json, is the final one, typed.
func TestCommittedDefinitionIsGenerated(t *testing.T) {
	for _, stale := range []string{"../../swagger/swagger.yaml", "../../swagger/apiDefinition.swagger.json"} {
		if _, err := os.Stat(stale); err == nil {
			t.Errorf("%s holds a second definition: swag writes docs.go only (%s)", stale, regenerate)
		}
	}
	committed, err := os.ReadFile(finalDefinition)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(committed, []byte(`"allOf"`)) {
		t.Fatal("swagger/swagger.json holds swag's untyped allOf wrappers: " + regenerateFinal)
	}
	if len(committed) > 1<<20 {
		t.Fatalf("swagger.json is %d bytes, over 1 MB", len(committed))
	}
}

// definitionDoc is the part of the definition compared with the action
// table.
type definitionDoc struct {
	BasePath string `json:"basePath"`
	Paths    map[string]map[string]struct {
		OperationID string `json:"operationId"`
		// Trigger is x-ms-trigger: a trigger is no row of the action table.
		Trigger    string `json:"x-ms-trigger"`
		Parameters []struct {
			Name, In, Description string
			Enum                  []string
		}
	}
}

// pathParamRe matches a path template's parameter: {IG_MEDIA_ID}.
var pathParamRe = regexp.MustCompile(`\{[^}/]*\}`)

// oldPath is a path template in the old format: each {X} replaced by x.
func oldPath(path string) string {
	return pathParamRe.ReplaceAllStringFunc(path, func(p string) string { return strings.ToLower(p[1 : len(p)-1]) })
}

// compareDefinition returns how def and the action table disagree: a row
// without an operation or an operation without a row (both naming it), a
// row documented at another path or method, with other parameters, or two
// documented paths that are the same template. A row is documented in the
// new format (its path, its path parameters in the path) or in the old one
// (each {X} of its path replaced by x, and X a query parameter).
func compareDefinition(def definitionDoc, actions []*connectors.Action) []string {
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	version := def.BasePath[strings.LastIndexByte(def.BasePath, '/')+1:]
	byID := map[string]*connectors.Action{}
	for _, a := range actions {
		byID[a.OperationID] = a
	}
	documented := map[string]bool{}
	paths := make([]string, 0, len(def.Paths))
	for path := range def.Paths {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	templates, olds := map[string]string{}, map[string]string{}
	for _, path := range paths {
		// Two paths that only name their parameters differently are one
		// template to a client (/{IG_MEDIA_ID} and /{IG_USER_ID}); so are
		// two paths of the same old format.
		if other, ok := templates[pathParamRe.ReplaceAllString(path, "{}")]; ok {
			fail("documented paths %s and %s are the same template: document all but one in the old format", other, path)
		}
		templates[pathParamRe.ReplaceAllString(path, "{}")] = path
		if other, ok := olds[oldPath(path)]; ok {
			fail("documented paths %s and %s are the same path in the old format", other, path)
		}
		olds[oldPath(path)] = path
		for method, op := range def.Paths[path] {
			if op.Trigger != "" {
				continue
			}
			documented[op.OperationID] = true
			a := byID[op.OperationID]
			if a == nil {
				fail("the definition documents %s (%s %s), which no action has", op.OperationID, strings.ToUpper(method), path)
				continue
			}
			old := false
			switch path {
			case "/" + a.Path:
			case "/" + oldPath(a.Path):
				old = true
			default:
				fail("%s is documented at %s but routed at /%s (or /%s in the old format): %s", a.OperationID, path, a.Path, oldPath(a.Path), regenerate)
			}
			if !strings.EqualFold(a.Method, method) {
				fail("%s is documented as %s but routed as %s: %s", a.OperationID, strings.ToUpper(method), a.Method, regenerate)
			}
			inPath, inQuery := []string{}, []string{}
			params := map[string]int{}
			for i, p := range op.Parameters {
				switch p.In {
				case "path":
					inPath = append(inPath, p.Name)
				case "query":
					inQuery = append(inQuery, p.Name)
					params[p.Name] = i
				}
			}
			wantPath, wantQuery := []string{}, []string{}
			if old {
				wantQuery = append(wantQuery, a.PathParams()...)
			} else {
				wantPath = append(wantPath, a.PathParams()...)
			}
			if len(a.Fields) > 0 {
				wantQuery = append(wantQuery, "fields")
			}
			for _, q := range a.Query {
				wantQuery = append(wantQuery, q.Name)
			}
			for _, l := range [][]string{inPath, inQuery, wantPath, wantQuery} {
				sort.Strings(l)
			}
			if strings.Join(wantPath, ",") != strings.Join(inPath, ",") {
				fail("%s: documented path parameters %v, routed %v", a.OperationID, inPath, wantPath)
			}
			if strings.Join(wantQuery, ",") != strings.Join(inQuery, ",") {
				fail("%s: documented query parameters %v, accepted %v", a.OperationID, inQuery, wantQuery)
			}
			// The values a parameter takes are the row's, in the
			// definition's version.
			if i, ok := params["fields"]; ok {
				for _, f := range a.Fields {
					if !strings.Contains(op.Parameters[i].Description, f) {
						fail("%s: the fields parameter does not name field %s", a.OperationID, f)
					}
				}
			}
			for _, q := range a.Query {
				i, ok := params[q.Name]
				if !ok || q.Values == nil {
					continue
				}
				p := op.Parameters[i]
				switch q.Kind {
				case connectors.QueryEnum:
					if strings.Join(p.Enum, ",") != strings.Join(q.Values(version), ",") {
						fail("%s: %s is documented with values %v, accepts %v", a.OperationID, q.Name, p.Enum, q.Values(version))
					}
				case connectors.QueryList:
					for _, v := range q.Values(version) {
						if !regexp.MustCompile(`\b` + regexp.QuoteMeta(v) + `\b`).MatchString(p.Description) {
							fail("%s: %s does not name value %s", a.OperationID, q.Name, v)
						}
					}
				}
			}
		}
	}
	for _, a := range actions {
		if !documented[a.OperationID] {
			fail("action %s (%s) has no annotated operation in the definition: add it to internal/connectors/instagram/operations.go, then %s", a.Name, a.OperationID, regenerate)
		}
	}
	return problems
}

// The definition and the action table must agree, in both directions.
func TestDefinitionMatchesActionTable(t *testing.T) {
	var def definitionDoc
	if err := json.Unmarshal([]byte(swagger.SwaggerInfo.ReadDoc()), &def); err != nil {
		t.Fatal(err)
	}
	for _, p := range compareDefinition(def, instagram.Actions()) {
		t.Error(p)
	}
}

// compareDefinition names the action of a row without an operation, of an
// operation without a row, and the paths that are one template.
func TestCompareDefinitionNamesTheAction(t *testing.T) {
	load := func() definitionDoc {
		var def definitionDoc
		if err := json.Unmarshal([]byte(swagger.SwaggerInfo.ReadDoc()), &def); err != nil {
			t.Fatal(err)
		}
		return def
	}
	without := func(op string) []*connectors.Action {
		var out []*connectors.Action
		for _, a := range instagram.Actions() {
			if a.OperationID != op {
				out = append(out, a)
			}
		}
		return out
	}
	tests := []struct {
		name    string
		def     func() definitionDoc
		actions []*connectors.Action
		want    []string
	}{
		{"agree", load, instagram.Actions(), nil},
		{"a row without an operation", func() definitionDoc {
			def := load()
			delete(def.Paths["/{IG_MEDIA_ID}/comments"], "post")
			return def
		}, instagram.Actions(), []string{"action Create Comment (CreateComment) has no annotated operation"}},
		{"an operation without a row", load, without(instagram.OpHideComment),
			[]string{"documents HideComment (POST /ig_comment_id), which no action has"}},
		{"a row documented elsewhere", func() definitionDoc {
			def := load()
			def.Paths["/{IG_COMMENT_ID}/likes"] = def.Paths["/{IG_COMMENT_ID}/replies"]
			delete(def.Paths, "/{IG_COMMENT_ID}/replies")
			return def
		}, instagram.Actions(), []string{"GetCommentReplies is documented at /{IG_COMMENT_ID}/likes", "ReplyToComment is documented at /{IG_COMMENT_ID}/likes"}},
		{"two paths, one template", func() definitionDoc {
			def := load()
			def.Paths["/{IG_COMMENT_ID}"] = def.Paths["/ig_comment_id"]
			delete(def.Paths, "/ig_comment_id")
			return def
		}, instagram.Actions(), []string{"documented paths /{IG_COMMENT_ID} and /{IG_MEDIA_ID} are the same template"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := compareDefinition(tt.def(), tt.actions)
			if len(tt.want) == 0 && len(got) > 0 {
				t.Fatalf("problems: %q", got)
			}
			for _, w := range tt.want {
				found := false
				for _, p := range got {
					found = found || strings.Contains(p, w)
				}
				if !found {
					t.Errorf("no problem says %q; got %q", w, got)
				}
			}
		})
	}
}

var sentenceCase = regexp.MustCompile(`^[A-Z][a-z0-9]*( [a-z0-9]+)*$`)

// builtDefinition is the final definition as the server builds it, before
// a request sets its host.
func builtDefinition(t *testing.T) map[string]any {
	t.Helper()
	d, err := definition.Build([]byte(swagger.SwaggerInfo.ReadDoc()), instagram.New(nil, "v21.0", 0))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// committedDefinition is swagger/swagger.json.
func committedDefinition(t *testing.T) ([]byte, map[string]any) {
	t.Helper()
	raw, err := os.ReadFile(finalDefinition)
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	return raw, d
}

// The committed final definition is what the generator writes from the
// committed swag output and the connector.
func TestCommittedFinalDefinitionIsGenerated(t *testing.T) {
	raw, _ := committedDefinition(t)
	want, err := definition.Marshal(definition.Committed(builtDefinition(t)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw, want) {
		t.Fatalf("%s is out of date: %s", finalDefinition, regenerateFinal)
	}
	validate(t, loadSchema(t, "apiDefinition.swagger.schema.json"), raw, finalDefinition)
}

func TestDefinitionForPowerPlatform(t *testing.T) {
	schema := loadSchema(t, "apiDefinition.swagger.schema.json")
	e := newEnv(t)
	for _, path := range []string{"/swagger/doc.json", "/instagram/definition"} {
		t.Run(path, func(t *testing.T) {
			raw, d := served(t, e, path)
			validate(t, schema, raw, path)
			if len(raw) > 1<<20 {
				t.Fatalf("%d bytes", len(raw))
			}
			if d["swagger"] != "2.0" {
				t.Fatalf("swagger %v", d["swagger"])
			}
			if d["host"] != strings.TrimPrefix(e.url, "http://") || d["schemes"].([]any)[0] != "http" {
				t.Fatalf("host %v schemes %v, want the caller's", d["host"], d["schemes"])
			}
			if d["securityDefinitions"].(map[string]any)["apiKey"].(map[string]any)["type"] != "apiKey" {
				t.Fatal("no apiKey security definition")
			}
			if md, _ := d["x-ms-connector-metadata"].([]any); len(md) == 0 {
				t.Fatal("no x-ms-connector-metadata")
			}
			checkPowerAutomate(t, d, path == "/instagram/definition")
		})
	}
}

// Each rule of definition.Lint (the designer's typed outputs and
// Microsoft's certification rules) holds for every Swagger definition the
// gateway serves or commits: one subtest per rule and definition.
func TestCertificationRules(t *testing.T) {
	e := newEnv(t)
	docs := map[string]map[string]any{}
	for _, path := range []string{"/swagger/doc.json", "/instagram/definition"} {
		_, docs[path] = served(t, e, path)
	}
	_, docs[finalDefinition] = committedDefinition(t)
	for _, name := range []string{"/swagger/doc.json", "/instagram/definition", finalDefinition} {
		problems := definition.Lint(docs[name])
		for _, rule := range definition.Rules {
			t.Run(name+"/"+string(rule), func(t *testing.T) {
				for _, p := range problems {
					if strings.HasPrefix(p, string(rule)+": ") {
						t.Error(p)
					}
				}
			})
		}
	}
}

// Every field of every answer is its own typed token in the designer (no
// token of type any, no answer without tokens); GetMyMedia's items are a
// loop, GetMediaDetails' fields are not.
func TestTypedOutputs(t *testing.T) {
	byID := map[string]definition.Action{}
	for _, a := range definition.Designer(builtDefinition(t)) {
		byID[a.OperationID] = a
		t.Run(a.OperationID, func(t *testing.T) {
			if len(a.Outputs) == 0 || len(a.Outputs) == 1 && a.Outputs[0].Title == "Body" {
				t.Fatalf("one token for the whole answer: %+v", a.Outputs)
			}
			for _, tok := range a.Outputs {
				if strings.Contains(tok.Type, "any") || tok.Type == "object" {
					t.Errorf("output %s (%s) is %s", tok.Title, tok.Key, tok.Type)
				}
			}
			for _, in := range a.Inputs {
				if strings.Contains(in.Type, "any") {
					t.Errorf("input %s (%s) is %s", in.Title, in.Key, in.Type)
				}
			}
		})
	}
	tests := []struct {
		op   string
		want definition.Token
	}{
		{instagram.OpGetMyMedia, definition.Token{Title: "Media Caption", Key: "body.$.value.[*].caption", Type: "string", Loops: []string{"Media"}}},
		{instagram.OpGetMyMedia, definition.Token{Title: "Next Link", Key: "body.$.nextLink", Type: "string"}},
		{instagram.OpGetMediaDetails, definition.Token{Title: "Media Like Count", Key: "body.$.data.like_count", Type: "integer"}},
		{instagram.OpGetMediaDetails, definition.Token{Title: "Media Owner ID", Key: "body.$.data.owner.id", Type: "string"}},
		{instagram.OpGetContentPublishingLimit, definition.Token{Title: "Publishing Limit Limits Quota Total", Key: "body.$.data.data.[*].config.quota_total", Type: "integer", Loops: []string{"Publishing Limit Limits"}}},
	}
	for _, tt := range tests {
		found := false
		for _, tok := range byID[tt.op].Outputs {
			found = found || reflect.DeepEqual(tok, tt.want)
		}
		if !found {
			t.Errorf("%s has no token %+v; it has %+v", tt.op, tt.want, byID[tt.op].Outputs)
		}
	}
}

// Pickers: every path or query input that takes a media ID lists the
// account's media; one that takes a comment ID lists the comments of the
// operation's media, where it has one; in both path formats.
func TestPickers(t *testing.T) {
	media := `{"operationId":"GetMyMedia","parameters":{"IG_USER_ID":"me"},"value-collection":"value","value-path":"id","value-title":"caption"}`
	comments := `{"operationId":"GetMediaComments","parameters":{"IG_MEDIA_ID":{"parameter":"IG_MEDIA_ID"}},"value-collection":"value","value-path":"id","value-title":"text"}`
	built := builtDefinition(t)
	for name, d := range map[string]map[string]any{"new format": built, "old format": definition.OldFormat(built)} {
		t.Run(name, func(t *testing.T) {
			pickers := 0
			for _, o := range definition.Operations(d) {
				hasMedia := false
				for _, p := range o.Parameters() {
					hasMedia = hasMedia || p["name"] == "IG_MEDIA_ID"
				}
				for _, p := range o.Parameters() {
					dv, _ := json.Marshal(p["x-ms-dynamic-values"])
					want := "null"
					switch {
					case p["in"] == "body":
					case p["name"] == "IG_MEDIA_ID":
						want = media
					case p["name"] == "IG_COMMENT_ID" && hasMedia:
						want = comments
					}
					if string(dv) != want {
						t.Errorf("%s %s: x-ms-dynamic-values %s, want %s", o.ID(), p["name"], dv, want)
					}
					if want != "null" {
						pickers++
					}
				}
			}
			if pickers < 7 {
				t.Errorf("%d pickers; every action on a media has one", pickers)
			}
		})
	}
}

// Paging as Microsoft's certified connectors do it: the table's paged rows
// are exactly the pageable operations, each answering, at its root, the
// items in a typed value array and nextLink, beside data.
func TestPaging(t *testing.T) {
	d := builtDefinition(t)
	var want []string
	for _, a := range instagram.Actions() {
		if a.Paged {
			want = append(want, a.OperationID)
		}
	}
	sort.Strings(want)
	if got := definition.PagedOperations(d); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("pageable %v, paged rows %v", got, want)
	}
	defs := d["definitions"].(map[string]any)
	for _, o := range definition.Operations(d) {
		if _, ok := o.Op["x-ms-pageable"]; !ok {
			continue
		}
		ref := o.Op["responses"].(map[string]any)["200"].(map[string]any)["schema"].(map[string]any)["$ref"].(string)
		props := defs[strings.TrimPrefix(ref, "#/definitions/")].(map[string]any)["properties"].(map[string]any)
		value, _ := props["value"].(map[string]any)
		items, _ := value["items"].(map[string]any)
		if value["type"] != "array" || items["$ref"] == nil && items["type"] == nil {
			t.Errorf("%s: value %v", o.ID(), value)
		}
		if next, _ := props["nextLink"].(map[string]any); next["type"] != "string" {
			t.Errorf("%s: nextLink %v", o.ID(), props["nextLink"])
		}
		if data, _ := props["data"].(map[string]any); data["type"] != "object" {
			t.Errorf("%s: data %v", o.ID(), props["data"])
		}
	}
}

func checkPowerAutomate(t *testing.T, d map[string]any, old bool) {
	t.Helper()
	paged := map[string]bool{}
	for _, a := range instagram.Actions() {
		paged[a.OperationID] = a.Paged
	}
	ops := 0
	for path, item := range d["paths"].(map[string]any) {
		if old && strings.Contains(path, "{") {
			t.Errorf("old format path %s keeps a path parameter", path)
		}
		for method, o := range item.(map[string]any) {
			op := o.(map[string]any)
			if op["x-ms-trigger"] == nil {
				ops++ // an action's; a trigger is no row of the table
			}
			id, _ := op["operationId"].(string)
			where := method + " " + path + " (" + id + ")"
			if s, _ := op["summary"].(string); !sentenceCase.MatchString(s) {
				t.Errorf("%s: summary %q is not sentence case", where, s)
			}
			if s, _ := op["description"].(string); len(s) < 20 {
				t.Errorf("%s: no description", where)
			}
			for _, p := range op["parameters"].([]any) {
				pm := p.(map[string]any)
				if pm["x-ms-summary"] == nil {
					t.Errorf("%s: parameter %s has no x-ms-summary", where, pm["name"])
				}
				switch pm["name"] {
				case "fields", "limit", "after", "before":
					if pm["x-ms-visibility"] != "advanced" {
						t.Errorf("%s: parameter %s is not advanced", where, pm["name"])
					}
				}
				if old && pm["in"] == "path" {
					t.Errorf("%s: old format keeps path parameter %s", where, pm["name"])
				}
			}
			responses := op["responses"].(map[string]any)
			if responses["200"] == nil || responses["400"] == nil && responses["401"] == nil {
				t.Errorf("%s: responses %v lack success or error schemas", where, responses)
			}
			pageable, _ := op["x-ms-pageable"].(map[string]any)
			if paged[id] != (pageable != nil) || pageable != nil && pageable["nextLinkName"] != "nextLink" {
				t.Errorf("%s: x-ms-pageable %v", where, pageable)
			}
		}
	}
	if ops != len(instagram.Actions()) {
		t.Errorf("%d operations, want %d", ops, len(instagram.Actions()))
	}
	// The seed connector's mistakes are not repeated.
	defs := d["definitions"].(map[string]any)
	user := defs["instagram.UserAnswer"].(map[string]any)["properties"].(map[string]any)["data"].(map[string]any)["properties"].(map[string]any)["id"].(map[string]any)
	if strings.Contains(strings.ToLower(user["description"].(string)+user["x-ms-summary"].(string)), "media") {
		t.Error("a user's id is described as a media ID")
	}
	media := defs["instagram.MediaAnswer"].(map[string]any)["properties"].(map[string]any)["data"].(map[string]any)
	if media["type"] != "object" {
		t.Error("Get Media Details is not described as one object")
	}
}

func TestAPIProperties(t *testing.T) {
	schema := loadSchema(t, "paconn-apiProperties.schema.json")
	raw, err := os.ReadFile("../../swagger/apiProperties.json")
	if err != nil {
		t.Fatal(err)
	}
	validate(t, schema, raw, "swagger/apiProperties.json")
	var p struct {
		Properties struct {
			ConnectionParameters    map[string]struct{ Type string }
			IconBrandColor          string
			Publisher               string
			StackOwner              string
			PolicyTemplateInstances []struct {
				TemplateID string `json:"templateId"`
				Title      string
				Parameters map[string]any
			}
		}
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	props := p.Properties
	if props.ConnectionParameters["api_key"].Type != "securestring" {
		t.Error("the API key is not a securestring connection parameter")
	}
	if props.IconBrandColor != "#da3b01" {
		t.Errorf("iconBrandColor %q, want the independent publishers' #da3b01", props.IconBrandColor)
	}
	if props.Publisher == "" || props.StackOwner == "" {
		t.Errorf("publisher %q, stackOwner %q", props.Publisher, props.StackOwner)
	}
	// Power Automate's paging, as certified connectors that page set it up:
	// the updatenextlink policy on every pageable operation.
	paged := definition.PagedOperations(builtDefinition(t))
	found := 0
	for _, pt := range props.PolicyTemplateInstances {
		if pt.TemplateID != "updatenextlink" {
			continue
		}
		found++
		names, _ := json.Marshal(pt.Parameters["x-ms-apimTemplate-operationName"])
		want, _ := json.Marshal(paged)
		if string(names) != string(want) {
			t.Errorf("updatenextlink names %s, the pageable operations are %s", names, want)
		}
		if pt.Parameters["x-ms-apimTemplateParameter.nextLinkPropertyName"] != definition.NextLinkProperty || pt.Title == "" || len(pt.Parameters) != 2 {
			t.Errorf("updatenextlink %+v", pt)
		}
	}
	if found != 1 {
		t.Errorf("%d updatenextlink policies, want 1", found)
	}
}

// /instagram/openapi is OpenAPI 3.0 that kin-openapi validates, with the
// caller's server, the key in the header or the api_token query parameter,
// and the operations of the Swagger definition.
func TestOpenAPIDefinition(t *testing.T) {
	e := newEnv(t)
	raw, _ := served(t, e, "/instagram/openapi")
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.0.") {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != e.url+"/instagram/v21.0" {
		t.Errorf("servers %+v", doc.Servers)
	}
	schemes := doc.Components.SecuritySchemes
	if k := schemes["api_token"]; k == nil || k.Value.Type != "apiKey" || k.Value.In != "query" || k.Value.Name != "api_token" {
		t.Errorf("api_token scheme %+v", k)
	}
	if k := schemes["apiKey"]; k == nil || k.Value.In != "header" || k.Value.Name != "X-API-Key" {
		t.Errorf("apiKey scheme %+v", k)
	}
	var ops []string
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops = append(ops, op.OperationID)
			if b, _ := json.Marshal(op.Security); string(b) != `[{"apiKey":[]},{"api_token":[]}]` {
				t.Errorf("%s %s: security %s", method, path, b)
			}
		}
	}
	var want []string
	for _, o := range definition.Operations(builtDefinition(t)) {
		want = append(want, o.ID())
	}
	sort.Strings(ops)
	sort.Strings(want)
	if strings.Join(ops, ",") != strings.Join(want, ",") {
		t.Errorf("operations %v, want %v", ops, want)
	}
}

// The README's table of what the designer lists is what definition.Markdown
// makes of the final definition; -update rewrites it.
func TestREADMEDesignerTable(t *testing.T) {
	raw, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	begin, end := strings.Index(s, tableBegin), strings.Index(s, tableEnd)
	if begin < 0 || end < begin {
		t.Fatalf("README.md has no %q … %q section", tableBegin, tableEnd)
	}
	from := begin + len(tableBegin) + 1
	want := definition.Markdown(builtDefinition(t))
	if s[from:end] == want {
		return
	}
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		if err := os.WriteFile(readme, []byte(s[:from]+want+s[end:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("README.md's table of actions differs from the definition's; rewrite it with: go test ./internal/server -run TestREADMEDesignerTable -update")
}

// The README imports the committed final definition.
func TestREADMEImportsFinalDefinition(t *testing.T) {
	raw, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	if line := "paconn create --api-def swagger/swagger.json --api-prop swagger/apiProperties.json"; !strings.Contains(string(raw), line) {
		t.Fatalf("README.md has no %q", line)
	}
}

func TestStripComments(t *testing.T) {
	in := "{\n// whole line\n\"a\": \"http://x//y\", // trailing\n\"b\": 1\n}"
	var v map[string]any
	if err := json.Unmarshal(stripComments([]byte(in)), &v); err != nil || v["a"] != "http://x//y" {
		t.Fatalf("%v %v", v, err)
	}
}

// swagger-cli (a standard Swagger 2.0 validator) accepts both formats.
func TestSwaggerCLIValidates(t *testing.T) {
	cli, err := filepath.Abs("../../tools/node_modules/.bin/swagger-cli")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(cli); err != nil {
		t.Fatal("swagger-cli is not installed: npm install --prefix tools (.ci/run does)")
	}
	e := newEnv(t)
	dir := t.TempDir()
	for _, path := range []string{"/instagram/openapi", "/instagram/definition"} {
		raw, _ := served(t, e, path)
		file := filepath.Join(dir, strings.Trim(path, "/")[len("instagram/"):]+".json")
		os.WriteFile(file, raw, 0o644)
		out, err := exec.Command(cli, "validate", file).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "is valid") {
			t.Fatalf("swagger-cli validate %s: %v\n%s", path, err, out)
		}
	}
}

func TestSwaggerUI(t *testing.T) {
	e := newEnv(t)
	resp, err := http.Get(e.url + "/swagger/index.html")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `id="swagger-ui"`) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	resp, err = http.Get(e.url + "/swagger/swagger-initializer.js")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "doc.json") {
		t.Fatalf("initializer: %d %s", resp.StatusCode, body)
	}
	if a := e.do(t, "POST", "/instagram/openapi", nil); a.status != 405 || a.header.Get("Allow") != "GET" {
		t.Fatalf("POST /instagram/openapi: %d %s", a.status, a.raw)
	}
}
