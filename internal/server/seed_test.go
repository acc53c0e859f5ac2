package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/igconnect/gateway/internal/fakegraph"
)

// The published Instagram Basic Display connector works through the gateway
// once its host, base path and key parameter point at it.
func TestSeedConnectorThroughGateway(t *testing.T) {
	e := newEnv(t)
	raw, err := os.ReadFile(filepath.Join(powerplatDir, "instagram-basic-display.apiDefinition.swagger.json"))
	if err != nil {
		t.Fatal(err)
	}
	var seed map[string]any
	if err := json.Unmarshal(raw, &seed); err != nil {
		t.Fatal(err)
	}
	// The only changes: host, base path, key parameter.
	gw, _ := url.Parse(e.url)
	seed["host"] = gw.Host
	seed["schemes"] = []any{"http"}
	seed["basePath"] = "/instagram/graph/v21.0"
	var keyName, keyIn string
	for _, sd := range seed["securityDefinitions"].(map[string]any) {
		sd.(map[string]any)["name"] = "api_token"
		keyName, keyIn = "api_token", sd.(map[string]any)["in"].(string)
	}
	if keyIn != "query" {
		t.Fatalf("seed key parameter is in %s", keyIn)
	}

	// Drive an operation as the connector would: its method and path, its
	// parameters, the key where its security definition says.
	drive := func(opID string, params map[string]string) map[string]any {
		t.Helper()
		for path, item := range seed["paths"].(map[string]any) {
			for method, o := range item.(map[string]any) {
				op := o.(map[string]any)
				if op["operationId"] != opID {
					continue
				}
				q := url.Values{keyName: {e.key}}
				p := path
				for _, prm := range op["parameters"].([]any) {
					pm := prm.(map[string]any)
					name := pm["name"].(string)
					v, ok := params[name]
					if !ok {
						if pm["required"] == true {
							t.Fatalf("%s: no value for required %s", opID, name)
						}
						continue
					}
					if pm["in"] == "path" {
						p = strings.ReplaceAll(p, "{"+name+"}", url.PathEscape(v))
					} else {
						q.Set(name, v)
					}
				}
				u := seed["schemes"].([]any)[0].(string) + "://" + seed["host"].(string) + strings.TrimRight(seed["basePath"].(string), "/") + p + "?" + q.Encode()
				req, _ := http.NewRequest(strings.ToUpper(method), u, nil)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Fatalf("%s: %d %s", opID, resp.StatusCode, body)
				}
				if strings.Contains(string(body), fakegraph.DemoToken) || strings.Contains(string(body), e.key) {
					t.Fatalf("%s: answer carries a secret", opID)
				}
				// The answer validates against the connector's own schema.
				schema := op["responses"].(map[string]any)["200"].(map[string]any)["schema"].(map[string]any)
				schema["$schema"] = "http://json-schema.org/draft-04/schema#"
				schema["definitions"] = seed["definitions"]
				sb, _ := json.Marshal(schema)
				doc, _ := jsonschema.UnmarshalJSON(bytes.NewReader(sb))
				c := jsonschema.NewCompiler()
				c.AddResource("seed.json", doc)
				s, err := c.Compile("seed.json")
				if err != nil {
					t.Fatalf("%s: %v", opID, err)
				}
				inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
				if err != nil {
					t.Fatalf("%s: not JSON: %s", opID, body)
				}
				if err := s.Validate(inst); err != nil {
					t.Fatalf("%s: the answer does not match the connector's schema: %v\n%s", opID, err, body)
				}
				var out map[string]any
				json.Unmarshal(body, &out)
				return out
			}
		}
		t.Fatalf("the seed connector has no operation %s", opID)
		return nil
	}

	me := drive("GetMyDetails", map[string]string{})
	if me["id"] != fakegraph.DemoUserID || me["username"] != "sandbox_creator" || me["media_count"] == nil || me["account_type"] == nil {
		t.Fatalf("GetMyDetails: %v", me)
	}
	list := drive("GetMyMedia", map[string]string{"fields": "id,caption,media_type,media_url,permalink,timestamp,username"})
	items, _ := list["data"].([]any)
	if len(items) == 0 || list["paging"] == nil {
		t.Fatalf("GetMyMedia: %v", list)
	}
	if next, _ := list["paging"].(map[string]any)["next"].(string); !strings.HasPrefix(next, e.url+"/instagram/graph/v21.0/me/media?") {
		t.Fatalf("next link %q", next)
	}
	first := items[0].(map[string]any)
	media := drive("GetMediaDetails", map[string]string{"media-id": first["id"].(string), "fields": "id,caption,media_type,media_url,permalink,timestamp,username"})
	if media["id"] != first["id"] || media["media_type"] == nil || media["permalink"] == nil {
		t.Fatalf("GetMediaDetails: %v", media)
	}
}
