package normalize

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/igconnect/gateway/internal/connectors"
)

// The fuzz target's credentials are longer than any valid cursor, so that a
// link can hold one only by leaking it: a cursor that merely reads
// "access_token", or any other text, is no leak.
var (
	fuzzToken = "IGAA" + strings.Repeat("Tok3n", connectors.MaxCursor/5+1)
	fuzzKey   = "igw_" + strings.Repeat("k3y", connectors.MaxCursor/3+1)
)

// tokenMark in a fuzz input stands for the upstream token.
const tokenMark = "$TOKEN"

// FuzzWritePaged: no body panics; a body WritePaged cannot read is refused
// with UPSTREAM_ERROR and nothing written; otherwise every link of the answer
// is the gateway's, carries no credential, and the answer holds the upstream
// token only where upstream's data held it.
func FuzzWritePaged(f *testing.F) {
	for _, s := range []string{
		strings.ReplaceAll(upstreamPage, "IGAAsecret", tokenMark),
		`{"data":[],"paging":{"next":"https://x/?access_token=$TOKEN&after=a%2Fb"}}`,
		`{"paging":{"next":5,"previous":null,"cursors":{"after":"QQ=="}}}`,
		`{"paging":"nope"}`,
		`[1]`,
		`{"pag\u0069ng":{"next":"https://x/?access_token=$TOKEN&after=QU%2B%2FZQ%3D%3D"}}`,
		`{"paging":{"next":"https://x/?access_token=$TOKEN&after=A"},"paging":"x"}`,
		`{"paging":"x","paging":{"next":"https://x/?access_token=$TOKEN&after=A"}}`,
		`{"paging":{"next":"https://x/?access_token=$TOKEN&after=access_token"}}`,
		`{"data":[{"caption":"access_token=$TOKEN"}],"paging":{"cursors":{"after":"$TOKEN"},"next":"https://x/"}}`,
		`{ "data" : [ {"id" : "1", "caption":"<b>&amp;\u2028"} ] , "data":[{"id":"2"}], "value":5}`,
		`{"data":{"id":"1"},"paging":{}}`,
		`{"data":null}`,
		`{"data":[]}`,
	} {
		f.Add([]byte(s))
	}
	l := &Linker{Base: "http://gw", Path: "/instagram/v21.0/me/media",
		Query: url.Values{"api_token": {fuzzKey}, "access_token": {fuzzToken}, "limit": {"1"}}}
	f.Fuzz(func(t *testing.T, input []byte) {
		body := bytes.ReplaceAll(input, []byte(tokenMark), []byte(fuzzToken))
		for _, wrapped := range []bool{true, false} {
			checkWritePaged(t, body, l, wrapped)
		}
	})
}

func checkWritePaged(t *testing.T, body []byte, l *Linker, wrapped bool) {
	t.Helper()
	w := httptest.NewRecorder()
	if err := WritePaged(w, 200, body, l, wrapped); err != nil {
		if connectors.ErrorCode(err) != connectors.CodeUpstreamError || w.Body.Len() > 0 || len(w.Header()) > 0 {
			t.Fatalf("refused with %v, but wrote %v %q", err, w.Header(), w.Body)
		}
		return
	}
	out := w.Body.Bytes()
	for param, link := range linksOf(t, out, wrapped) {
		checkLink(t, link, param, l)
	}
	checkShape(t, body, out, wrapped)
	for _, secret := range []string{fuzzToken, fuzzKey} {
		if holdsString(out, secret) && !carried(body, secret) {
			t.Fatalf("the answer carries a credential: %s", out)
		}
	}
}

// linksOf returns the links of an answer by their cursor parameter:
// paging.next (after) and paging.previous (before); wrapped, nextLink must be
// paging.next.
func linksOf(t *testing.T, out []byte, wrapped bool) map[string]string {
	t.Helper()
	doc := decodeObject(t, out)
	var nextLink string
	if wrapped {
		if raw, ok := doc["nextLink"]; ok && json.Unmarshal(raw, &nextLink) != nil {
			t.Fatalf("nextLink is not a string: %s", out)
		}
		doc = decodeObject(t, doc["data"])
	}
	links := map[string]string{}
	if raw, ok := doc["paging"]; ok {
		paging := decodeObject(t, raw)
		for field, param := range map[string]string{"next": "after", "previous": "before"} {
			if rawLink, ok := paging[field]; ok {
				var link string
				if json.Unmarshal(rawLink, &link) != nil {
					t.Fatalf("paging.%s is not a string: %s", field, out)
				}
				links[param] = link
			}
		}
	}
	if wrapped && nextLink != links["after"] {
		t.Fatalf("nextLink %q is not paging.next %q", nextLink, links["after"])
	}
	return links
}

// checkShape: wrapped, the answer's root holds data, and value and nextLink
// at most; value is data.data, byte for byte, whenever data.data is an
// array, and absent otherwise. Unwrapped, the answer's keys are the body's:
// no value or nextLink is added at its root.
func checkShape(t *testing.T, body, out []byte, wrapped bool) {
	t.Helper()
	doc := decodeObject(t, out)
	if !wrapped {
		upstream := decodeObject(t, body)
		if len(doc) != len(upstream) {
			t.Fatalf("the Graph-compatible answer's keys are not upstream's: %s", out)
		}
		for k := range doc {
			if _, ok := upstream[k]; !ok {
				t.Fatalf("the Graph-compatible answer adds %q: %s", k, out)
			}
		}
		return
	}
	for k := range doc {
		if k != "data" && k != "value" && k != "nextLink" {
			t.Fatalf("the envelope holds %q: %s", k, out)
		}
	}
	list := decodeObject(t, doc["data"])["data"]
	value, ok := doc["value"]
	isArray := len(list) > 0 && list[0] == '['
	if ok != isArray || ok && !bytes.Equal(value, list) {
		t.Fatalf("value %s is not data.data %s: %s", value, list, out)
	}
}

func decodeObject(t *testing.T, raw []byte) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		t.Fatalf("not a JSON object: %s", raw)
	}
	return m
}

// checkLink: a link is the Linker's base and path, the Linker's parameters
// but credentials and cursors, and one valid cursor, param; it holds no
// credential.
func checkLink(t *testing.T, link, param string, l *Linker) {
	t.Helper()
	other := map[string]string{"after": "before", "before": "after"}[param]
	prefix := l.Base + l.Path + "?"
	q, err := url.ParseQuery(strings.TrimPrefix(link, prefix))
	if !strings.HasPrefix(link, prefix) || err != nil || len(q[param]) != 1 || !connectors.ValidCursor(q.Get(param)) || q.Has(other) {
		t.Fatalf("link %q", link)
	}
	for k := range q {
		if k != param && (k == "api_token" || k == "access_token" || l.Query.Get(k) != q.Get(k)) {
			t.Fatalf("link %q carries %s", link, k)
		}
	}
	for _, secret := range []string{fuzzToken, fuzzKey} {
		if strings.Contains(link, secret) || strings.Contains(q.Get(param), secret) {
			t.Fatalf("link %q carries a credential", link)
		}
	}
}

// carried tells whether body holds secret where the gateway passes
// upstream's answer on: anywhere but paging.next and paging.previous, read
// as Go's decoder reads them (of duplicate keys, the last).
func carried(body []byte, secret string) bool {
	var doc, paging map[string]json.RawMessage
	json.Unmarshal(body, &doc)
	json.Unmarshal(doc["paging"], &paging)
	delete(doc, "paging")
	delete(paging, "next")
	delete(paging, "previous")
	for _, m := range []map[string]json.RawMessage{doc, paging} {
		for k, v := range m {
			if strings.Contains(k, secret) || holdsString(v, secret) {
				return true
			}
		}
	}
	return false
}

// holdsString tells whether any string of a JSON text (key or value,
// duplicates included, escapes decoded) holds secret.
func holdsString(raw []byte, secret string) bool {
	if bytes.Contains(raw, []byte(secret)) {
		return true
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if s, ok := tok.(string); ok && strings.Contains(s, secret) {
			return true
		}
	}
}
