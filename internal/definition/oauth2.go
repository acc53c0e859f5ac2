package definition

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// The connector package for sign-in: Power Automate is the gateway's OAuth
// 2.0 client (authorization code at /oauth2/authorize, tokens at
// /oauth2/token) and sends the gateway's access token as Authorization:
// Bearer on every call, instead of an API key.
const (
	// OAuth2Scheme names the definition's one security scheme.
	OAuth2Scheme = "oauth2_auth"
	// OAuth2IdentityProvider is apiProperties.json's identityProvider:
	// Power Platform's generic OAuth 2.0, whose URLs are the
	// authorizationUrlTemplate, tokenUrlTemplate and refreshUrlTemplate
	// custom parameters (the query and bodies keep the standard ones).
	OAuth2IdentityProvider = "oauth2generic"
	// OAuth2RedirectURL is Power Platform's consent redirect. Its
	// redirectMode is Global, the one the paconn schema allows besides
	// Direct; the Security page offers to update it to the connector's own
	// URL, which makers then register instead.
	OAuth2RedirectURL  = "https://global.consent.azure-apim.net/redirect"
	oauth2RedirectMode = "Global"
	// OAuth2TokenParameter is the connection parameter Power Platform
	// reserves for an OAuth setting.
	OAuth2TokenParameter = "token"

	// The committed package's placeholders, which makers replace with their
	// gateway's (or they download the gateway's own definition).
	PlaceholderHost     = "gateway.example.com"
	PlaceholderClientID = "instagram-gateway"
)

// OAuth2Security returns securityDefinitions with the one OAuth 2.0 scheme,
// the authorization code flow on the gateway's endpoints.
func OAuth2Security(authorizeURL, tokenURL string) map[string]any {
	return map[string]any{OAuth2Scheme: map[string]any{
		"type":             "oauth2",
		"flow":             "accessCode",
		"authorizationUrl": authorizeURL,
		"tokenUrl":         tokenURL,
		"scopes":           map[string]any{},
		"description":      "Sign in through the gateway with the Instagram professional account the connection acts for; the gateway's access token then authorizes every call.",
	}}
}

// oauth2Requirement is a security requirement of the OAuth 2.0 scheme.
func oauth2Requirement() []any { return []any{map[string]any{OAuth2Scheme: []any{}}} }

// OAuth2 returns a copy of the final definition d for sign-in: its
// securityDefinitions only the OAuth 2.0 scheme on authorizeURL and
// tokenURL, required at the top and by every operation that required a
// scheme, and no parameter left that carries one of d's API keys.
func OAuth2(d map[string]any, authorizeURL, tokenURL string) map[string]any {
	out := Copy(d)
	keys := apiKeyParams(asMap(out["securityDefinitions"]))
	out["securityDefinitions"] = OAuth2Security(authorizeURL, tokenURL)
	out["security"] = oauth2Requirement()
	paths, _ := out["paths"].(map[string]any)
	for _, item := range paths {
		im, _ := item.(map[string]any)
		dropKeyParams(im, keys)
		for method, op := range im {
			om, ok := op.(map[string]any)
			if !ok || !methods[method] {
				continue
			}
			dropKeyParams(om, keys)
			// An operation's own requirement replaces the top one; an empty
			// list (no authentication) stays empty.
			if list, ok := om["security"].([]any); ok && len(list) > 0 {
				om["security"] = oauth2Requirement()
			}
		}
	}
	return out
}

// apiKeyParams returns where d's API key schemes read the key: "in name",
// the name lower-cased for headers, whose names are case-insensitive.
func apiKeyParams(secs map[string]any) map[string]bool {
	keys := map[string]bool{}
	for _, s := range secs {
		sm := asMap(s)
		if sm["type"] != "apiKey" {
			continue
		}
		in, _ := sm["in"].(string)
		name, _ := sm["name"].(string)
		keys[paramKey(in, name)] = true
	}
	return keys
}

func paramKey(in, name string) string {
	if in == "header" {
		name = strings.ToLower(name)
	}
	return in + " " + name
}

// dropKeyParams removes the parameters of a path item or operation that
// carry an API key.
func dropKeyParams(m map[string]any, keys map[string]bool) {
	list, ok := m["parameters"].([]any)
	if !ok {
		return
	}
	kept := make([]any, 0, len(list))
	for _, p := range list {
		pm := asMap(p)
		in, _ := pm["in"].(string)
		name, _ := pm["name"].(string)
		if pm == nil || !keys[paramKey(in, name)] {
			kept = append(kept, p)
		}
	}
	m["parameters"] = kept
}

// OAuth2Properties derives the sign-in package's apiProperties.json from the
// API-key package's: its connection parameters replaced by the one OAuth
// setting (generic OAuth 2.0 on authorizeURL, and tokenURL for tokens and
// refreshes, client clientID, no scopes); everything else, the paging
// policy first, kept as it is.
func OAuth2Properties(apiProperties []byte, authorizeURL, tokenURL, clientID string) ([]byte, error) {
	if authorizeURL == "" || tokenURL == "" || clientID == "" {
		return nil, errors.New("oauth2 apiProperties: the authorization URL, token URL and client ID are required")
	}
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(apiProperties))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("apiProperties.json: %w", err)
	}
	props, ok := doc["properties"].(map[string]any)
	if !ok {
		return nil, errors.New("apiProperties.json has no properties object")
	}
	props["connectionParameters"] = map[string]any{OAuth2TokenParameter: map[string]any{
		"type": "oauthSetting",
		"oAuthSettings": map[string]any{
			"identityProvider": OAuth2IdentityProvider,
			"clientId":         clientID,
			"scopes":           []any{},
			"redirectMode":     oauth2RedirectMode,
			"redirectUrl":      OAuth2RedirectURL,
			"properties": map[string]any{
				"IsFirstParty":               "False",
				"IsOnbehalfofLoginSupported": false,
			},
			"customParameters": map[string]any{
				"authorizationUrlTemplate": map[string]any{"value": authorizeURL},
				"tokenUrlTemplate":         map[string]any{"value": tokenURL},
				"refreshUrlTemplate":       map[string]any{"value": tokenURL},
			},
		},
		"uiDefinition": map[string]any{
			"displayName": "Sign in with Instagram",
			"description": "Sign in through the gateway with the Instagram professional account this connection acts for",
			"tooltip":     "The gateway opens Instagram's consent page; the connection then holds the gateway's token, not an API key",
			"constraints": map[string]any{"required": "true"},
		},
	}}
	return Marshal(doc)
}

// OAuth2Package returns the committed sign-in package: the definition
// (Committed(d) for sign-in, on the placeholder host over HTTPS) and its
// apiProperties.json derived from the API-key package's, with the
// placeholder client ID.
func OAuth2Package(d map[string]any, apiProperties []byte) (apiDefinition, oauth2Properties []byte, err error) {
	root := "https://" + PlaceholderHost
	def := OAuth2(Committed(d), root+"/oauth2/authorize", root+"/oauth2/token")
	def["host"] = PlaceholderHost
	def["schemes"] = []any{"https"}
	if apiDefinition, err = Marshal(def); err != nil {
		return nil, nil, err
	}
	oauth2Properties, err = OAuth2Properties(apiProperties, root+"/oauth2/authorize", root+"/oauth2/token", PlaceholderClientID)
	return apiDefinition, oauth2Properties, err
}
