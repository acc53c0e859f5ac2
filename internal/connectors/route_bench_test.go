package connectors_test

import (
	"net/url"
	"testing"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/connectors/instagram"
)

// Path and format parsing: the router's work on every call.
func BenchmarkResolve(b *testing.B) {
	r := connectors.NewRouter(instagram.Actions(), nil, "v21.0")
	for _, bc := range []struct{ name, method, path, query string }{
		{"me", "GET", "/v21.0/me", ""},
		{"new format", "GET", "/v21.0/17895695668004550", "fields=id,caption"},
		{"old format", "GET", "/v21.0/ig_media_id", "IG_MEDIA_ID=17895695668004550&fields=id,caption"},
		{"publish", "POST", "/v21.0/17841400000000001/media_publish", ""},
	} {
		q, _ := url.ParseQuery(bc.query)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := r.Resolve(bc.method, bc.path, q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
