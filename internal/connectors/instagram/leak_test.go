package instagram

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/igconnect/gateway/internal/connectors"
)

// TestPublishStatusNeverCarriesToken: a container status that echoes the
// token (cut, lower-cased) does not reach the caller's error; before, the
// status text was passed on as it came.
func TestPublishStatusNeverCarriesToken(t *testing.T) {
	for _, tt := range []struct{ code, status string }{
		{"ERROR", "Error: token " + strings.ToLower(scrubToken) + " rejected"},
		{"EXPIRED", strings.ToUpper(scrubToken[3:])},
		{scrubToken, "weird"}, // an unknown status code, still IN_PROGRESS for us
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			switch {
			case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/media"):
				w.Write([]byte(`{"id":"123"}`))
			case r.Method == http.MethodGet:
				w.Write([]byte(`{"status_code":"` + tt.code + `","status":"` + tt.status + `"}`))
			}
		}))
		c := New(&Client{BaseURL: srv.URL, HTTP: srv.Client()}, "v21.0", 50*time.Millisecond)
		c.PollInterval = 5 * time.Millisecond
		body, err := decodePublish([]byte(`{"image_url":"https://example.com/a.jpg"}`))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Invoke(context.Background(), &connectors.Call{Action: action(c, OpPublish), Version: "v21.0", Params: map[string]string{"IG_USER_ID": "me"}, UserID: "1", Body: body, Token: scrubToken})
		srv.Close()
		e := connectors.AsError(err)
		if e.Code != connectors.CodePublishFailed && e.Code != connectors.CodePublishTimeout {
			t.Fatalf("%s: %v", tt.code, err)
		}
		for i := 0; i+8 <= len(scrubToken); i++ {
			if strings.Contains(strings.ToLower(e.Message), strings.ToLower(scrubToken[i:i+8])) {
				t.Fatalf("%s: token piece in %q", tt.code, e.Message)
			}
		}
	}
}

// TestUpstreamLabelsNeverCarryToken: Instagram's error type and trace ID
// are passed on only when they look like labels.
func TestUpstreamLabelsNeverCarryToken(t *testing.T) {
	body := []byte(`{"error":{"message":"x","type":"` + scrubToken + `.x","code":190,"fbtrace_id":"` + strings.Repeat("A", 65) + `"}}`)
	e := connectors.AsError(upstreamError(&connectors.Response{Status: 400, Body: body}, scrubToken))
	if e.Upstream == nil || e.Upstream.Type != "" || e.Upstream.FBTraceID != "" || e.Upstream.Code != 190 {
		t.Fatalf("%+v", e.Upstream)
	}
	body = []byte(`{"error":{"message":"x","type":"OAuthException","code":190,"fbtrace_id":"AbC_12-x"}}`)
	if e := connectors.AsError(upstreamError(&connectors.Response{Status: 400, Body: body}, scrubToken)); e.Upstream.Type != "OAuthException" || e.Upstream.FBTraceID != "AbC_12-x" {
		t.Fatalf("labels dropped: %+v", e.Upstream)
	}
}
