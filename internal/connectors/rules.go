package connectors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// DecodeJSON decodes one JSON object from raw into v, strictly: no unknown
// field, nothing after the object. example shows the body expected, for the
// error of an empty one. Errors are BAD_REQUEST and never echo the input.
// It is the one rule for JSON bodies, of actions and of the admin API.
func DecodeJSON(raw []byte, v any, example string) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return Errorf(CodeBadRequest, "a JSON body is required: %s", example)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return Errorf(CodeBadRequest, "invalid JSON body: %s; expected %s", jsonProblem(err), example)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Errorf(CodeBadRequest, "invalid JSON body: unexpected data after the object")
	}
	return nil
}

// jsonProblem describes a decoding error without echoing the input.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q must be %s", te.Field, te.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + truncate(strings.TrimPrefix(err.Error(), "json: unknown field "), 66)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated"
	}
	return "not a JSON object"
}

// MaxTokenLength bounds an upstream access token.
const MaxTokenLength = 4096

// TokenProblem says what makes t unfit to be a connection's upstream token,
// which travels in an Authorization header: "" when nothing does. It is the
// one rule for upstream tokens, given by an admin or answered by upstream.
func TokenProblem(t string) string {
	switch {
	case t == "":
		return "is required"
	case len(t) > MaxTokenLength:
		return fmt.Sprintf("is longer than %d characters", MaxTokenLength)
	case strings.IndexFunc(t, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0:
		return "contains spaces or control characters"
	}
	return ""
}

// BearerToken returns the credential of an "Authorization: Bearer …"
// header (the scheme in any case), and whether there is one. It is the one
// rule for bearer credentials: API keys and the admin token.
func BearerToken(header string) (string, bool) {
	if len(header) < 8 || !strings.EqualFold(header[:7], "Bearer ") {
		return "", false
	}
	t := strings.TrimSpace(header[7:])
	return t, t != ""
}
