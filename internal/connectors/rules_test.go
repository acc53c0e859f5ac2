package connectors_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/igconnect/gateway/internal/connectors"
)

func TestDecodeJSON(t *testing.T) {
	type body struct {
		A string `json:"a"`
	}
	for _, tt := range []struct {
		raw, want string // want: "" for success, else a piece of the message
	}{
		{`{"a":"x"}`, ""},
		{` {"a":"x"} `, ""},
		{``, "a JSON body is required"},
		{`{"a":"x"}{}`, "unexpected data"},
		{`{"a":1}`, `field "a" must be string`},
		{`{"secret-looking-field":1}`, `unknown field "secret-looking-field"`},
		{`{"a":`, "truncated"},
		{`[1]`, "must be"},
		{`{'a':1}`, "syntax error at byte"},
	} {
		var b body
		err := connectors.DecodeJSON([]byte(tt.raw), &b, `{"a":"…"}`)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.raw, err)
		case tt.want != "" && (connectors.ErrorCode(err) != connectors.CodeBadRequest || !strings.Contains(connectors.ErrorMessage(err), tt.want)):
			t.Errorf("%s: %v, want %q", tt.raw, err, tt.want)
		}
	}
}

func TestBearerToken(t *testing.T) {
	for h, want := range map[string]string{
		"Bearer abc": "abc", "bearer abc ": "abc", "BEARER  abc": "abc",
		"": "", "Bearer ": "", "Bearer  ": "", "Basic abc": "", "Bearerabc": "", "abc": "",
	} {
		got, ok := connectors.BearerToken(h)
		if got != want || ok != (want != "") {
			t.Errorf("BearerToken(%q) = %q %v, want %q", h, got, ok, want)
		}
	}
}

// TestRepeatedFieldsRefused: fields given twice is a 400, like every other
// repeated parameter (it took the first and dropped the rest, so
// fields=id&fields=business_discovery slipped past the unsupported check).
func TestRepeatedFieldsRefused(t *testing.T) {
	r := connectors.NewRouter([]*connectors.Action{{Name: "Get", OperationID: "Get", Method: "GET", Path: "{ID}", Fields: []string{"id", "text"}, DefaultFields: "id"}}, nil, "v21.0")
	q, _ := url.ParseQuery("fields=id&fields=text")
	if _, _, err := r.Build("GET", "v21.0/123", q, nil); connectors.ErrorCode(err) != connectors.CodeBadRequest {
		t.Fatalf("err = %v", err)
	}
}

func TestValidUnixTime(t *testing.T) {
	for s, want := range map[string]bool{"1": true, "1763800000": true, "2147483647": true, "2147483648": false, "0": false, "-1": false, "+5": false, "": false, "1e9": false, "99999999999": false} {
		if connectors.ValidUnixTime(s) != want {
			t.Errorf("ValidUnixTime(%q) = %v", s, !want)
		}
	}
}

func TestTokenProblem(t *testing.T) {
	for _, tt := range []struct {
		token, want string
	}{
		{"IGAAabc123", ""},
		{"", "is required"},
		{strings.Repeat("a", connectors.MaxTokenLength), ""},
		{strings.Repeat("a", connectors.MaxTokenLength+1), "is longer than 4096 characters"},
		{"IGAA abc", "contains spaces or control characters"},
		{"IGAA\x00", "contains spaces or control characters"},
		{"IGAA\u2028", "contains spaces or control characters"},
	} {
		if got := connectors.TokenProblem(tt.token); got != tt.want {
			t.Errorf("TokenProblem(%.20q) = %q, want %q", tt.token, got, tt.want)
		}
	}
}
