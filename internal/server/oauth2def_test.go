package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/igconnect/gateway/internal/definition"
)

// The sign-in (OAuth 2.0) connector package, committed beside the API-key
// one.
const (
	oauth2DefinitionFile  = "../../swagger/oauth2/apiDefinition.swagger.json"
	oauth2PropertiesFile  = "../../swagger/oauth2/apiProperties.json"
	apiKeyPropertiesFile  = "../../swagger/apiProperties.json"
	regenerateOAuth2      = "after swag, regenerate it with: go run ./internal/definition/generate -o swagger/swagger.json -oauth2 swagger/oauth2"
	oauth2DefinitionRoute = "/instagram/oauth2/definition"
)

func oauth2Read(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func oauth2Decode(t *testing.T, raw []byte, what string) map[string]any {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return d
}

// The committed package is what the generator writes from the built
// definition and swagger/apiProperties.json, and each file validates
// against Microsoft's schema for it.
func TestCommittedOAuth2PackageIsGenerated(t *testing.T) {
	def, props, err := definition.OAuth2Package(builtDefinition(t), oauth2Read(t, apiKeyPropertiesFile))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		file, schema string
		want         []byte
	}{
		{oauth2DefinitionFile, "apiDefinition.swagger.schema.json", def},
		{oauth2PropertiesFile, "paconn-apiProperties.schema.json", props},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw := oauth2Read(t, tt.file)
			if !bytes.Equal(raw, tt.want) {
				t.Errorf("%s is out of date: %s", tt.file, regenerateOAuth2)
			}
			validate(t, loadSchema(t, tt.schema), raw, tt.file)
		})
	}
}

// oauth2Settings is the part of an apiProperties.json the sign-in package
// is checked on.
type oauth2Settings struct {
	Properties struct {
		ConnectionParameters map[string]struct {
			Type          string
			OAuthSettings struct {
				IdentityProvider string
				ClientID         string `json:"clientId"`
				Scopes           []string
				CustomParameters map[string]struct{ Value string }
			} `json:"oAuthSettings"`
		}
		PolicyTemplateInstances []struct {
			TemplateID string `json:"templateId"`
			Parameters map[string]any
		}
	}
}

// updateNextLink returns the operations the updatenextlink policy names.
func oauth2UpdateNextLink(t *testing.T, p oauth2Settings, what string) string {
	t.Helper()
	var names []string
	for _, pt := range p.Properties.PolicyTemplateInstances {
		if pt.TemplateID == "updatenextlink" {
			names = append(names, oauth2JSON(pt.Parameters["x-ms-apimTemplate-operationName"]))
		}
	}
	if len(names) != 1 {
		t.Fatalf("%s: %d updatenextlink policies, want 1", what, len(names))
	}
	return names[0]
}

func oauth2JSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// operationIDs returns the sorted operationIds of a definition.
func oauth2OperationIDs(d map[string]any) []string {
	var ids []string
	for _, o := range definition.Operations(d) {
		ids = append(ids, o.ID())
	}
	sort.Strings(ids)
	return ids
}

// checkSignInSecurity fails unless d's only security scheme is OAuth 2.0's
// authorization code on authorize and token, required at the top and by
// every operation, and no parameter carries an API key.
func checkSignInSecurity(t *testing.T, d map[string]any, authorize, token string) {
	t.Helper()
	want := `{"oauth2_auth":{"authorizationUrl":"` + authorize + `","flow":"accessCode","scopes":{},"tokenUrl":"` + token + `","type":"oauth2"}}`
	secs, _ := d["securityDefinitions"].(map[string]any)
	got := map[string]any{}
	for name, s := range secs {
		sm := map[string]any{}
		for k, v := range s.(map[string]any) {
			if k != "description" {
				sm[k] = v
			}
		}
		got[name] = sm
	}
	if oauth2JSON(got) != want {
		t.Errorf("securityDefinitions %s\nwant %s (and a description)", oauth2JSON(secs), want)
	}
	if s := oauth2JSON(d["security"]); s != `[{"oauth2_auth":[]}]` {
		t.Errorf("security %s", s)
	}
	for _, o := range definition.Operations(d) {
		if s := oauth2JSON(o.Op["security"]); s != `[{"oauth2_auth":[]}]` {
			t.Errorf("%s: security %s", o.ID(), s)
		}
		for _, p := range o.Parameters() {
			if name, _ := p["name"].(string); name == "api_token" || strings.EqualFold(name, "X-API-Key") || strings.EqualFold(name, "Authorization") {
				t.Errorf("%s: parameter %s carries a key", o.ID(), name)
			}
		}
	}
	if problems := definition.Lint(d); len(problems) > 0 {
		t.Errorf("Lint:\n%s", strings.Join(problems, "\n"))
	}
}

// The sign-in package is the API-key package with sign-in instead of the
// key: the same operations and paging policy, every other property the
// same, one OAuth 2.0 scheme on the gateway's endpoints, and the token
// connection parameter of generic OAuth 2.0 on the same endpoints.
func TestOAuth2PackageMatchesAPIKeyPackage(t *testing.T) {
	_, apiKeyDef := committedDefinition(t)
	signInDef := oauth2Decode(t, oauth2Read(t, oauth2DefinitionFile), oauth2DefinitionFile)
	const (
		authorize = "https://" + definition.PlaceholderHost + "/oauth2/authorize"
		token     = "https://" + definition.PlaceholderHost + "/oauth2/token"
	)
	t.Run("security", func(t *testing.T) { checkSignInSecurity(t, signInDef, authorize, token) })
	t.Run("operations", func(t *testing.T) {
		if got, want := oauth2OperationIDs(signInDef), oauth2OperationIDs(apiKeyDef); !reflect.DeepEqual(got, want) {
			t.Errorf("operations %v, the API-key package's %v", got, want)
		}
	})
	t.Run("host", func(t *testing.T) {
		if signInDef["host"] != definition.PlaceholderHost || oauth2JSON(signInDef["schemes"]) != `["https"]` || signInDef["basePath"] != apiKeyDef["basePath"] {
			t.Errorf("host %v schemes %v basePath %v", signInDef["host"], signInDef["schemes"], signInDef["basePath"])
		}
	})

	var apiKey, signIn oauth2Settings
	if err := json.Unmarshal(oauth2Read(t, apiKeyPropertiesFile), &apiKey); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(oauth2Read(t, oauth2PropertiesFile), &signIn); err != nil {
		t.Fatal(err)
	}
	t.Run("paging policy", func(t *testing.T) {
		got, want := oauth2UpdateNextLink(t, signIn, oauth2PropertiesFile), oauth2UpdateNextLink(t, apiKey, apiKeyPropertiesFile)
		if got != want {
			t.Errorf("updatenextlink names %s, the API-key package's %s", got, want)
		}
		if paged := oauth2JSON(definition.PagedOperations(signInDef)); got != paged {
			t.Errorf("updatenextlink names %s, the pageable operations are %s", got, paged)
		}
	})
	t.Run("connection parameter", func(t *testing.T) {
		params := signIn.Properties.ConnectionParameters
		if len(params) != 1 {
			t.Fatalf("connection parameters %v, want token alone", params)
		}
		tok, ok := params["token"]
		s := tok.OAuthSettings
		if !ok || tok.Type != "oauthSetting" || s.IdentityProvider != "oauth2generic" || s.ClientID != definition.PlaceholderClientID || len(s.Scopes) != 0 {
			t.Fatalf("token %+v", tok)
		}
		for name, want := range map[string]string{"authorizationUrlTemplate": authorize, "tokenUrlTemplate": token, "refreshUrlTemplate": token} {
			if got := s.CustomParameters[name].Value; got != want {
				t.Errorf("%s %q, want %q", name, got, want)
			}
		}
		if len(s.CustomParameters) != 3 {
			t.Errorf("custom parameters %v, want the three URLs", s.CustomParameters)
		}
	})
	t.Run("other properties", func(t *testing.T) {
		a := oauth2Decode(t, oauth2Read(t, apiKeyPropertiesFile), apiKeyPropertiesFile)["properties"].(map[string]any)
		s := oauth2Decode(t, oauth2Read(t, oauth2PropertiesFile), oauth2PropertiesFile)["properties"].(map[string]any)
		delete(a, "connectionParameters")
		delete(s, "connectionParameters")
		if !reflect.DeepEqual(a, s) {
			t.Errorf("properties besides the connection differ:\n%s\nthe API-key package's:\n%s", oauth2JSON(s), oauth2JSON(a))
		}
	})
}

// /instagram/oauth2/definition is the committed sign-in definition with the
// caller's scheme, host and GATEWAY_PUBLIC_URL's prefix, in the API's URL
// and in both OAuth 2.0 URLs; it validates, keeps the rules, and a Host
// that is no host name answers 400 as on the other definition routes.
func TestServedOAuth2Definition(t *testing.T) {
	schema := loadSchema(t, "apiDefinition.swagger.schema.json")
	committed := oauth2Decode(t, oauth2Read(t, oauth2DefinitionFile), oauth2DefinitionFile)
	tests := []struct {
		name       string
		opts       Options
		host       string
		proto      string
		wantHost   string
		wantScheme string
		wantPrefix string
	}{
		{"request's host", Options{}, "gw.example.com", "", "gw.example.com", "http", ""},
		{"host with port", Options{}, "Localhost:8080", "", "localhost:8080", "http", ""},
		{"trusted proxy's https", Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}}, "gw.example.com", "https", "gw.example.com", "https", ""},
		{"public URL with a prefix", Options{PublicURL: "https://api.example.com/gw"}, "ignored.example.com", "http", "api.example.com", "https", "/gw"},
		{"public URL without a prefix", Options{PublicURL: "https://api.example.com"}, "ignored.example.com", "", "api.example.com", "https", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := hostServer(t, tt.opts)
			req := httptest.NewRequest(http.MethodGet, oauth2DefinitionRoute, nil)
			req.Host = tt.host
			if tt.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			raw := rec.Body.Bytes()
			validate(t, schema, raw, oauth2DefinitionRoute)
			d := oauth2Decode(t, raw, oauth2DefinitionRoute)
			host, basePath, scheme, err := servedBase(raw)
			if err != nil || host != tt.wantHost || scheme != tt.wantScheme || basePath != tt.wantPrefix+"/instagram/v21.0" {
				t.Fatalf("host %q scheme %q basePath %q %v", host, scheme, basePath, err)
			}
			root := tt.wantScheme + "://" + tt.wantHost + tt.wantPrefix
			checkSignInSecurity(t, d, root+"/oauth2/authorize", root+"/oauth2/token")
			// The rest is the committed definition.
			want := definition.Copy(committed)
			for _, k := range []string{"host", "schemes", "basePath", "securityDefinitions"} {
				delete(d, k)
				delete(want, k)
			}
			if !reflect.DeepEqual(d, want) {
				t.Error("the served definition differs from swagger/oauth2/apiDefinition.swagger.json beyond host and URLs")
			}
			if rec.Header().Get("Cache-Control") != "no-cache" || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
				t.Errorf("headers %v", rec.Header())
			}
		})
	}

	s := hostServer(t, Options{})
	refused := []struct {
		name, method, host string
		status             int
		code               string
	}{
		{"malformed host", http.MethodGet, "a:b:c", http.StatusBadRequest, "BAD_REQUEST"},
		{"post", http.MethodPost, "gw.example.com", http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, oauth2DefinitionRoute, nil)
			req.Host = tt.host
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			var env struct {
				Data struct {
					Error struct{ Code string } `json:"error"`
				} `json:"data"`
			}
			if rec.Code != tt.status || json.Unmarshal(rec.Body.Bytes(), &env) != nil || env.Data.Error.Code != tt.code {
				t.Errorf("%d %s", rec.Code, rec.Body)
			}
		})
	}

	// The API-key definitions keep their key.
	for _, path := range []string{"/instagram/definition", "/swagger/doc.json"} {
		t.Run("unchanged "+path, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Host = "gw.example.com"
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			d := oauth2Decode(t, rec.Body.Bytes(), path)
			if secs, _ := d["securityDefinitions"].(map[string]any); secs["apiKey"] == nil || secs[definition.OAuth2Scheme] != nil {
				t.Errorf("securityDefinitions %s", oauth2JSON(secs))
			}
		})
	}
}
