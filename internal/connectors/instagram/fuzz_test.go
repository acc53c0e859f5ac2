package instagram

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/igconnect/gateway/internal/connectors"
)

// FuzzDecodePublish: no body panics; an accepted body keeps every limit.
func FuzzDecodePublish(f *testing.F) {
	for _, s := range []string{
		`{"creation_id":"1789"}`,
		`{"image_url":"https://example.com/a.jpg","caption":"hi"}`,
		`{"children":["https://e.com/a.jpg",{"video_url":"https://e.com/b.mp4"}]}`,
		`{"media_type":"STORIES","video_url":"https://e.com/a.mp4"}`,
		`{"image_url":`, `[]`, `null`, `{"caption":5}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		v, err := decodePublish(body)
		if err != nil {
			if connectors.ErrorCode(err) != connectors.CodeBadRequest {
				t.Fatalf("code %s", connectors.ErrorCode(err))
			}
			return
		}
		p := v.(*PublishRequest)
		if p.CreationID != "" {
			if !connectors.ValidID(p.CreationID) {
				t.Fatalf("creation_id %q", p.CreationID)
			}
			return
		}
		if utf8.RuneCountInString(p.Caption) > MaxCaption || utf8.RuneCountInString(p.AltText) > MaxAltText {
			t.Fatal("over-long text accepted")
		}
		if p.MediaType == "CAROUSEL" && (len(p.Children) < MinCarouselChildren || len(p.Children) > MaxCarouselChildren) {
			t.Fatalf("%d children accepted", len(p.Children))
		}
		if p.MediaType != "CAROUSEL" && p.ImageURL == "" && p.VideoURL == "" {
			t.Fatal("no media accepted")
		}
	})
}

// FuzzUpstreamError: any upstream error answer decodes to a contract error
// that never carries the token.
func FuzzUpstreamError(f *testing.F) {
	for _, s := range []string{
		`{"error":{"message":"Invalid OAuth access token","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"A"}}`,
		`{"error":{"message":"token IGAAsecret leaked","code":100}}`,
		`{"error":{"message":"token igaasecrettoken0123 leaked, cut: SECRETTOKEN01","code":100}}`,
		`<html>502 Bad Gateway</html>`, `{"error":null}`, `{"error":{"code":"x"}}`, ``,
	} {
		f.Add(400, []byte(s), `{"1":[{"estimated_time_to_regain_access":2}]}`)
	}
	f.Fuzz(func(t *testing.T, status int, body []byte, usage string) {
		h := http.Header{}
		h.Set("X-Business-Use-Case-Usage", usage)
		const token = "IGAAsecretToken0123"
		err := upstreamError(&connectors.Response{Status: status, Header: h, Body: body}, token)
		e := connectors.AsError(err)
		if e.Code == connectors.CodeInternal || e.Code == "" {
			t.Fatalf("code %q", e.Code)
		}
		// No piece of the token, however cased or cut (8 characters or more).
		msg := strings.ToLower(e.Message)
		for i := 0; i+8 <= len(token); i++ {
			if strings.Contains(msg, strings.ToLower(token[i:i+8])) {
				t.Fatalf("a piece of the token (%q) in message %q", token[i:i+8], e.Message)
			}
		}
		if e.Code == connectors.CodeRateLimited && e.RetryAfter <= 0 {
			t.Fatal("RATE_LIMITED without Retry-After")
		}
	})
}
