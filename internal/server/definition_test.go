package server

import (
	"bytes"
	"encoding/json"
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

// The definition and the action table must agree, in both directions.
func TestDefinitionMatchesActionTable(t *testing.T) {
	var def struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
			Parameters  []struct {
				Name, In string
			}
		}
	}
	if err := json.Unmarshal([]byte(swagger.SwaggerInfo.ReadDoc()), &def); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for path, ops := range def.Paths {
		for method, op := range ops {
			documented[op.OperationID] = true
			var action bool
			for _, a := range instagram.Actions() {
				if a.OperationID != op.OperationID {
					continue
				}
				action = true
				if "/"+a.Path != path || !strings.EqualFold(a.Method, method) {
					t.Errorf("%s is documented as %s %s but routed as %s /%s: %s", a.OperationID, strings.ToUpper(method), path, a.Method, a.Path, regenerate)
				}
				var inPath, inQuery []string
				for _, p := range op.Parameters {
					switch p.In {
					case "path":
						inPath = append(inPath, p.Name)
					case "query":
						inQuery = append(inQuery, p.Name)
					}
				}
				want := a.PathParams()
				sort.Strings(want)
				sort.Strings(inPath)
				if strings.Join(want, ",") != strings.Join(inPath, ",") {
					t.Errorf("%s: documented path parameters %v, routed %v", a.OperationID, inPath, want)
				}
				wantQuery := []string{}
				if len(a.Fields) > 0 {
					wantQuery = append(wantQuery, "fields")
				}
				for _, q := range a.Query {
					wantQuery = append(wantQuery, q.Name)
				}
				sort.Strings(wantQuery)
				sort.Strings(inQuery)
				if strings.Join(wantQuery, ",") != strings.Join(inQuery, ",") {
					t.Errorf("%s: documented query parameters %v, accepted %v", a.OperationID, inQuery, wantQuery)
				}
			}
			if !action {
				t.Errorf("the definition documents %s (%s %s), which no action has", op.OperationID, method, path)
			}
		}
	}
	for _, a := range instagram.Actions() {
		if !documented[a.OperationID] {
			t.Errorf("action %s (%s) has no annotated operation in the definition: add it to internal/server/operations.go, then %s", a.Name, a.OperationID, regenerate)
		}
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
