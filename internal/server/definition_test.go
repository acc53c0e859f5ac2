package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/dlclark/regexp2"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/connectors/instagram"
	"github.com/igconnect/gateway/swagger"
)

const (
	regenerate   = "regenerate it with: go run github.com/swaggo/swag/cmd/swag@v1.16.6 init -g cmd/gateway/main.go -o swagger --parseInternal"
	powerplatDir = "testdata/powerplatform" // copies, with their source and licence in its README
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

func TestCommittedDefinitionIsGenerated(t *testing.T) {
	committed, err := os.ReadFile("../../swagger/swagger.json")
	if err != nil {
		t.Fatal(err)
	}
	var a, b map[string]any
	json.Unmarshal(committed, &a)
	json.Unmarshal([]byte(swagger.SwaggerInfo.ReadDoc()), &b)
	if b["host"] == "" {
		delete(b, "host") // docs.go's template leaves an empty host
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Fatal("swagger/swagger.json and swagger/docs.go differ: " + regenerate)
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
		Parameters  []struct {
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

func TestDefinitionForPowerPlatform(t *testing.T) {
	schema := loadSchema(t, "apiDefinition.swagger.schema.json")
	e := newEnv(t)
	for _, path := range []string{"/swagger/doc.json", "/instagram/openapi", "/instagram/definition"} {
		t.Run(path, func(t *testing.T) {
			raw, d := served(t, e, path)
			validate(t, schema, raw, path)
			if len(raw) > 1<<20 {
				t.Fatalf("%d bytes", len(raw))
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
			ops++
			op := o.(map[string]any)
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
			// One response schema per operation (Microsoft's certification
			// rule): the success's; errors are described in words.
			for code, r := range responses {
				rm := r.(map[string]any)
				switch {
				case code[0] == '2' && rm["schema"] == nil:
					t.Errorf("%s: success %s has no schema", where, code)
				case code[0] != '2' && rm["schema"] != nil:
					t.Errorf("%s: error %s has a schema; describe it in words", where, code)
				case code[0] != '2' && rm["description"] == "":
					t.Errorf("%s: error %s is not described", where, code)
				}
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
	for name, def := range d["definitions"].(map[string]any) {
		for prop, p := range def.(map[string]any)["properties"].(map[string]any) {
			if p.(map[string]any)["x-ms-summary"] == nil {
				t.Errorf("definition %s: property %s has no x-ms-summary", name, prop)
			}
		}
	}
	// The seed connector's mistakes are not repeated.
	user := d["definitions"].(map[string]any)["instagram.User"].(map[string]any)["properties"].(map[string]any)["id"].(map[string]any)
	if strings.Contains(strings.ToLower(user["description"].(string)+user["x-ms-summary"].(string)), "media") {
		t.Error("a user's id is described as a media ID")
	}
	media := d["definitions"].(map[string]any)["instagram.MediaAnswer"].(map[string]any)["properties"].(map[string]any)["data"].(map[string]any)
	if media["type"] == "array" {
		t.Error("Get Media Details is described as returning a list")
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
			ConnectionParameters map[string]struct{ Type string }
		}
	}
	json.Unmarshal(raw, &p)
	if p.Properties.ConnectionParameters["api_key"].Type != "securestring" {
		t.Fatal("the API key is not a securestring connection parameter")
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
