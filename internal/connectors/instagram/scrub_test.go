package instagram

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/igconnect/gateway/internal/connectors"
)

const scrubToken = "IGAAJ7xQzP3kLmN0pQrStUvWxYz_abc-123dEf"

// upstreamMessage is the message of the contract error of a Graph error
// answer with message and user_msg, for scrubToken.
func upstreamMessage(t *testing.T, message, userMsg string) string {
	t.Helper()
	body, err := json.Marshal(map[string]any{"error": map[string]any{
		"message": message, "error_user_msg": userMsg, "type": "OAuthException", "code": 190, "fbtrace_id": "A",
	}})
	if err != nil {
		t.Fatal(err)
	}
	return connectors.AsError(upstreamError(&connectors.Response{Status: 400, Body: body}, scrubToken)).Message
}

func TestUpstreamErrorRedactsToken(t *testing.T) {
	tests := []struct {
		name, message, userMsg, want string
	}{
		{"whole", "Invalid token " + scrubToken + ".", "",
			"Instagram: Invalid token [redacted]."},
		{"lower-cased", "Invalid token " + strings.ToLower(scrubToken) + " given", "",
			"Instagram: Invalid token [redacted] given"},
		{"upper-cased", "Invalid token " + strings.ToUpper(scrubToken) + " given", "",
			"Instagram: Invalid token [redacted] given"},
		{"cut at the start", "Invalid token ..." + scrubToken[9:] + " given", "",
			"Instagram: Invalid token [redacted] given"},
		{"cut at the end", "Invalid token " + scrubToken[:12] + "... given", "",
			"Instagram: Invalid token [redacted] given"},
		{"a piece, mixed case", "Bad token part qZp3KlMn0P (truncated)", "",
			"Instagram: Bad token part [redacted] (truncated)"},
		{"in a URL", "Cannot load https://graph.instagram.com/v21.0/me?access_token=" + scrubToken + "&fields=id", "",
			"Instagram: Cannot load https://graph.instagram.com/v21.0/me?access_token=[redacted]&fields=id"},
		{"in user_msg", "Error validating access token", "Token " + strings.ToLower(scrubToken[4:]) + " has expired",
			"Instagram: Error validating access token: Token [redacted] has expired"},
		{"ordinary", "(#100) Tried accessing nonexisting field (nope) on node type (User)", "",
			"Instagram: (#100) Tried accessing nonexisting field (nope) on node type (User)"},
		{"ordinary, with a short piece", "Error validating access token: IGAAJ7x is not a session", "",
			"Instagram: Error validating access token: IGAAJ7x is not a session"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := upstreamMessage(t, tt.message, tt.userMsg); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestUpstreamErrorCapsMessage(t *testing.T) {
	got := upstreamMessage(t, strings.Repeat("é", maxUpstreamMessage), "")
	if want := "Instagram: " + strings.Repeat("é", maxUpstreamMessage/2) + "…"; got != want {
		t.Fatalf("got %d bytes, want %d", len(got), len(want))
	}
}
