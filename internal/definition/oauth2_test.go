package definition

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"
)

const (
	testAuthorize = "https://gw.example.com/base/oauth2/authorize"
	testToken     = "https://gw.example.com/base/oauth2/token"
)

// operationIDs are d's operationIds, sorted.
func operationIDs(d map[string]any) []string {
	var ids []string
	for _, o := range Operations(d) {
		ids = append(ids, o.ID())
	}
	sort.Strings(ids)
	return ids
}

// OAuth2 leaves the one OAuth 2.0 scheme, required at the top and by every
// operation, keeps the operations and the rules, and changes nothing in d.
func TestOAuth2(t *testing.T) {
	d := lintable(t)
	before := jsonOf(d)
	o := OAuth2(d, testAuthorize, testToken)
	if jsonOf(d) != before {
		t.Fatal("OAuth2 changed its input")
	}
	oauth2Only := `{"oauth2_auth":[]}`
	tests := []struct {
		name string
		got  any
		want string
	}{
		{"securityDefinitions", o["securityDefinitions"], `{"oauth2_auth":{"authorizationUrl":"` + testAuthorize + `","description":"Sign in through the gateway with the Instagram professional account the connection acts for; the gateway's access token then authorizes every call.","flow":"accessCode","scopes":{},"tokenUrl":"` + testToken + `","type":"oauth2"}}`},
		{"security", o["security"], "[" + oauth2Only + "]"},
		{"operations", operationIDs(o), jsonOf(operationIDs(d))},
		{"paths", sortedKeys(o["paths"].(map[string]any)), jsonOf(sortedKeys(d["paths"].(map[string]any)))},
		{"lint", Lint(o), "null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := jsonOf(tt.got); got != tt.want {
				t.Errorf("got %s\nwant %s", got, tt.want)
			}
		})
	}
	for _, op := range Operations(o) {
		t.Run("security of "+op.ID(), func(t *testing.T) {
			if got := jsonOf(op.Op["security"]); got != "["+oauth2Only+"]" {
				t.Errorf("security %s", got)
			}
		})
	}
	// Only the security differs: the same definition otherwise.
	rest := Copy(o)
	delete(rest, "security")
	delete(rest, "securityDefinitions")
	for _, op := range Operations(rest) {
		delete(op.Op, "security")
	}
	want := Copy(d)
	delete(want, "securityDefinitions")
	for _, op := range Operations(want) {
		delete(op.Op, "security")
	}
	if !reflect.DeepEqual(rest, want) {
		t.Error("OAuth2 changed more than the security")
	}
}

// Parameters that carry one of the definition's API keys go, wherever they
// are declared (header names in any case); others stay; an operation that
// requires no authentication still requires none.
func TestOAuth2DropsKeyParameters(t *testing.T) {
	param := func(in, name string) map[string]any { return map[string]any{"in": in, "name": name, "type": "string"} }
	d := map[string]any{
		"securityDefinitions": map[string]any{
			"apiKey":    map[string]any{"type": "apiKey", "in": "header", "name": "X-API-Key"},
			"api_token": map[string]any{"type": "apiKey", "in": "query", "name": "api_token"},
			"basic":     map[string]any{"type": "basic"},
		},
		"security": []any{map[string]any{"apiKey": []any{}}, map[string]any{"api_token": []any{}}},
		"paths": map[string]any{
			"/things": map[string]any{
				"parameters": []any{param("header", "x-api-key"), param("query", "owner")},
				"get": map[string]any{
					"operationId": "GetThings",
					"parameters":  []any{param("query", "api_token"), param("query", "limit"), param("header", "X-Api-Key"), param("path", "api_token")},
					"security":    []any{map[string]any{"api_token": []any{}}},
				},
			},
			"/health": map[string]any{
				"get": map[string]any{"operationId": "GetHealth", "security": []any{}},
			},
		},
	}
	o := OAuth2(d, testAuthorize, testToken)
	paths := o["paths"].(map[string]any)
	things := paths["/things"].(map[string]any)
	tests := []struct {
		name string
		got  any
		want string
	}{
		{"path item parameters", things["parameters"], `[{"in":"query","name":"owner","type":"string"}]`},
		{"operation parameters", things["get"].(map[string]any)["parameters"], `[{"in":"query","name":"limit","type":"string"},{"in":"path","name":"api_token","type":"string"}]`},
		{"operation security", things["get"].(map[string]any)["security"], `[{"oauth2_auth":[]}]`},
		{"unauthenticated operation", paths["/health"].(map[string]any)["get"].(map[string]any)["security"], `[]`},
		{"schemes", sortedKeys(o["securityDefinitions"].(map[string]any)), `["oauth2_auth"]`},
		{"security", o["security"], `[{"oauth2_auth":[]}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := jsonOf(tt.got); got != tt.want {
				t.Errorf("got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// apiKeyProperties is an API-key package's apiProperties.json.
const apiKeyProperties = `{
  "properties": {
    "connectionParameters": {
      "api_key": {"type": "securestring", "uiDefinition": {"displayName": "API key", "constraints": {"tabIndex": 2, "clearText": false, "required": "true"}}}
    },
    "iconBrandColor": "#da3b01",
    "capabilities": [],
    "policyTemplateInstances": [
      {"templateId": "updatenextlink", "title": "Updates next link to make paging work",
       "parameters": {"x-ms-apimTemplate-operationName": ["GetParts", "GetThings"], "x-ms-apimTemplateParameter.nextLinkPropertyName": "nextLink"}}
    ],
    "publisher": "igconnect",
    "stackOwner": "igconnect"
  }
}`

// The sign-in apiProperties.json: the one token OAuth setting, generic
// OAuth 2.0 on the gateway's endpoints; everything else as in the API-key
// package's, the paging policy first.
func TestOAuth2Properties(t *testing.T) {
	raw, err := OAuth2Properties([]byte(apiKeyProperties), testAuthorize, testToken, "client-1")
	if err != nil {
		t.Fatal(err)
	}
	var got, src map[string]map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	if err := json.Unmarshal([]byte(apiKeyProperties), &src); err != nil {
		t.Fatal(err)
	}
	params := got["properties"]["connectionParameters"].(map[string]any)
	if keys := sortedKeys(params); jsonOf(keys) != `["token"]` {
		t.Fatalf("connection parameters %v, want token alone", keys)
	}
	token := params["token"].(map[string]any)
	settings, _ := token["oAuthSettings"].(map[string]any)
	custom, _ := settings["customParameters"].(map[string]any)
	tests := []struct {
		name string
		got  any
		want string
	}{
		{"type", token["type"], `"oauthSetting"`},
		{"identity provider", settings["identityProvider"], `"oauth2generic"`},
		{"client ID", settings["clientId"], `"client-1"`},
		{"no client secret", settings["clientSecret"], `null`},
		{"scopes", settings["scopes"], `[]`},
		{"redirect", []any{settings["redirectMode"], settings["redirectUrl"]}, `["Global","https://global.consent.azure-apim.net/redirect"]`},
		{"third party", settings["properties"].(map[string]any)["IsFirstParty"], `"False"`},
		{"custom parameters", sortedKeys(custom), `["authorizationUrlTemplate","refreshUrlTemplate","tokenUrlTemplate"]`},
		{"authorization URL", custom["authorizationUrlTemplate"], `{"value":"` + testAuthorize + `"}`},
		{"token URL", custom["tokenUrlTemplate"], `{"value":"` + testToken + `"}`},
		{"refresh URL", custom["refreshUrlTemplate"], `{"value":"` + testToken + `"}`},
		{"required", token["uiDefinition"].(map[string]any)["constraints"], `{"required":"true"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := jsonOf(tt.got); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
	delete(got["properties"], "connectionParameters")
	delete(src["properties"], "connectionParameters")
	if !reflect.DeepEqual(got, src) {
		t.Errorf("the other properties changed:\n%s\nwant\n%s", jsonOf(got), jsonOf(src))
	}
	if !strings.HasSuffix(string(raw), "}\n") || !strings.HasPrefix(string(raw), "{\n  \"properties\"") {
		t.Errorf("not written as the committed files are: %.40q", raw)
	}
}

func TestOAuth2PropertiesRefuses(t *testing.T) {
	tests := []struct {
		name, props, authorize, token, client, want string
	}{
		{"not JSON", `{`, testAuthorize, testToken, "c", "apiProperties.json"},
		{"no properties", `{"other":{}}`, testAuthorize, testToken, "c", "no properties"},
		{"properties not an object", `{"properties":[]}`, testAuthorize, testToken, "c", "no properties"},
		{"no authorization URL", apiKeyProperties, "", testToken, "c", "required"},
		{"no token URL", apiKeyProperties, testAuthorize, "", "c", "required"},
		{"no client ID", apiKeyProperties, testAuthorize, testToken, "", "required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := OAuth2Properties([]byte(tt.props), tt.authorize, tt.token, tt.client)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

// The committed package sits on the placeholder host over HTTPS, its URLs
// on that host, its client the placeholder one; the definition loses its
// empty host like Committed's.
func TestOAuth2Package(t *testing.T) {
	d := lintable(t)
	d["host"] = ""
	def, props, err := OAuth2Package(d, []byte(apiKeyProperties))
	if err != nil {
		t.Fatal(err)
	}
	var o map[string]any
	if err := json.Unmarshal(def, &o); err != nil {
		t.Fatal(err)
	}
	scheme := o["securityDefinitions"].(map[string]any)[OAuth2Scheme].(map[string]any)
	var p struct {
		Properties struct {
			ConnectionParameters struct {
				Token struct {
					OAuthSettings struct {
						ClientID         string `json:"clientId"`
						CustomParameters map[string]struct{ Value string }
					} `json:"oAuthSettings"`
				} `json:"token"`
			} `json:"connectionParameters"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(props, &p); err != nil {
		t.Fatal(err)
	}
	settings := p.Properties.ConnectionParameters.Token.OAuthSettings
	tests := []struct {
		name string
		got  any
		want string
	}{
		{"host", o["host"], `"gateway.example.com"`},
		{"schemes", o["schemes"], `["https"]`},
		{"authorization URL", scheme["authorizationUrl"], `"https://gateway.example.com/oauth2/authorize"`},
		{"token URL", scheme["tokenUrl"], `"https://gateway.example.com/oauth2/token"`},
		{"client ID", settings.ClientID, `"instagram-gateway"`},
		{"properties' authorization URL", settings.CustomParameters["authorizationUrlTemplate"].Value, `"https://gateway.example.com/oauth2/authorize"`},
		{"properties' token URL", settings.CustomParameters["tokenUrlTemplate"].Value, `"https://gateway.example.com/oauth2/token"`},
		{"properties' refresh URL", settings.CustomParameters["refreshUrlTemplate"].Value, `"https://gateway.example.com/oauth2/token"`},
		{"lint", Lint(o), "null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := jsonOf(tt.got); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
	if d["host"] != "" {
		t.Error("OAuth2Package changed its input")
	}
}
