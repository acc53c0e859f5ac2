package normalize

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// FuzzRewritePaging: no body panics; a rewritten answer is JSON whose links
// are the gateway's and never carry a token.
func FuzzRewritePaging(f *testing.F) {
	f.Add([]byte(upstreamPage))
	f.Add([]byte(`{"data":[],"paging":{"next":"https://x/?access_token=IGAAsecret&after=a%2Fb"}}`))
	f.Add([]byte(`{"paging":{"next":5,"previous":null,"cursors":{"after":"QQ=="}}}`))
	f.Add([]byte(`{"paging":"nope"}`))
	f.Add([]byte(`[1]`))
	l := &Linker{Base: "http://gw", Path: "/instagram/v21.0/me/media", Query: url.Values{"api_token": {"igw_k"}}}
	f.Fuzz(func(t *testing.T, body []byte) {
		out, err := RewritePaging(body, l)
		if err != nil {
			return
		}
		// Exact keys: Go's struct decoding would fold "pAging" into paging.
		var env map[string]json.RawMessage
		if err := json.Unmarshal(out, &env); err != nil {
			t.Fatalf("not JSON: %s", out)
		}
		var data, paging map[string]json.RawMessage
		json.Unmarshal(env["data"], &data)
		json.Unmarshal(data["paging"], &paging)
		for _, k := range []string{"next", "previous"} {
			var link string
			if json.Unmarshal(paging[k], &link) == nil && link != "" {
				if !strings.HasPrefix(link, "http://gw/instagram/v21.0/me/media?") || strings.Contains(link, "access_token") || strings.Contains(link, "igw_k") {
					t.Fatalf("%s link %q", k, link)
				}
			}
		}
	})
}
