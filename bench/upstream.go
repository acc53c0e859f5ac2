package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/igconnect/gateway/internal/connectors/instagram"
	"github.com/igconnect/gateway/internal/fakegraph"
)

// answer is one recorded upstream answer: what the fake Graph API serves
// for a path, headers included (X-App-Usage and the like).
type answer struct {
	header http.Header
	body   []byte
}

// recordAnswers asks the project's fake Graph API, in process, for /me and
// /me/media with the connector's default fields, and keeps its answers: the
// fixed upstream serves them byte for byte, with no delay.
func recordAnswers() (map[string]answer, error) {
	fake := fakegraph.New()
	fake.Seed()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	out := map[string]answer{}
	for path, query := range map[string]string{
		"/v21.0/me":       "fields=" + instagram.DefaultUserFields,
		"/v21.0/me/media": "fields=" + instagram.DefaultMediaFields + "&limit=10",
	} {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL+path+"?"+query, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+fakegraph.DemoToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("fake %s: %d %v", path, resp.StatusCode, err)
		}
		h := http.Header{}
		for k, v := range resp.Header {
			if k == "Content-Type" || strings.HasPrefix(k, "X-") {
				h[k] = v
			}
		}
		// The paging link points at the fake's address: keep the shape.
		out[path] = answer{header: h, body: []byte(strings.ReplaceAll(string(body), srv.URL, "https://graph.instagram.com"))}
	}
	return out, nil
}

// fixedUpstream answers /me and /me/media (any version, any query) with the
// recorded answers, and /debug/mallocs with its allocation count.
func fixedUpstream(answers map[string]answer) http.Handler {
	me, media := answers["/v21.0/me"], answers["/v21.0/me/media"]
	mux := http.NewServeMux()
	serve := func(a answer) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			for k, v := range a.header {
				h[k] = v
			}
			w.Write(a.body)
		}
	}
	mux.HandleFunc("GET /{version}/me", serve(me))
	mux.HandleFunc("GET /{version}/me/media", serve(media))
	mux.HandleFunc("GET /debug/mallocs", mallocsHandler)
	return mux
}
