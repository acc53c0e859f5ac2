package connectors_test

import (
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
