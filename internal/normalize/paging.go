package normalize

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// Linker builds the gateway's own URL for another page of the same action,
// in the format the caller used. It never carries a key or a token.
type Linker struct {
	// Base is scheme://host (or the configured public URL).
	Base string
	// Path is the path the caller reached, escaped.
	Path string
	// Query is the caller's query; credentials and cursors are dropped.
	Query url.Values
}

// dropped are never copied into a link: credentials (ours and upstream's)
// and the cursors the link sets itself.
var dropped = []string{"api_token", "access_token", "after", "before"}

// Link returns the URL of the page at cursor, param being after or before.
func (l *Linker) Link(param, cursor string) string {
	q := make(url.Values, len(l.Query)+1)
	for k, v := range l.Query {
		q[k] = v
	}
	for _, k := range dropped {
		delete(q, k)
	}
	q.Set(param, cursor)
	return l.Base + l.Path + "?" + q.Encode()
}

// BaseURL returns scheme://host the caller reached, or public when set.
func BaseURL(r *http.Request, public string) string {
	if public != "" {
		return public
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	return scheme + "://" + r.Host
}

var pagingKey = []byte(`"paging"`)

// WritePaged writes a list answer. A body without paging is copied through;
// otherwise next and previous become gateway links (cursors kept). Wrapped,
// the answer is the envelope with a top-level nextLink beside data;
// unwrapped (the Graph-compatible base path), it is Instagram's shape.
func WritePaged(w http.ResponseWriter, status int, body []byte, l *Linker, wrapped bool) {
	write := WriteData
	if !wrapped {
		write = WriteGraph
	}
	if !bytes.Contains(body, pagingKey) {
		write(w, status, body)
		return
	}
	doc, next, err := rewrite(body, l)
	if err != nil {
		write(w, status, body) // not an object: nothing to rewrite
		return
	}
	if !wrapped {
		writeRaw(w, status, marshal(doc))
		return
	}
	writeRaw(w, status, marshal(struct {
		Data     map[string]json.RawMessage `json:"data"`
		NextLink string                     `json:"nextLink,omitempty"`
	}{doc, next}))
}

// RewritePaging returns the envelope of a body with Graph paging rewritten.
func RewritePaging(body []byte, l *Linker) ([]byte, error) {
	doc, next, err := rewrite(body, l)
	if err != nil {
		return nil, err
	}
	return marshal(struct {
		Data     map[string]json.RawMessage `json:"data"`
		NextLink string                     `json:"nextLink,omitempty"`
	}{doc, next}), nil
}

// rewrite returns the body's object with its paging links rewritten, and the
// next link.
func rewrite(body []byte, l *Linker) (map[string]json.RawMessage, string, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, "", err
	}
	raw, ok := doc["paging"]
	if !ok {
		return doc, "", nil
	}
	var paging map[string]json.RawMessage
	if err := json.Unmarshal(raw, &paging); err != nil {
		return nil, "", err
	}
	var nextLink string
	for _, k := range []struct{ field, param string }{{"next", "after"}, {"previous", "before"}} {
		rawLink, ok := paging[k.field]
		if !ok {
			continue
		}
		delete(paging, k.field)
		var s string
		if json.Unmarshal(rawLink, &s) != nil {
			continue
		}
		cursor := cursorOf(s, k.param, paging)
		if cursor == "" {
			continue // a link we cannot rebuild is dropped, never passed on
		}
		link := l.Link(k.param, cursor)
		paging[k.field] = marshal(link)
		if k.field == "next" {
			nextLink = link
		}
	}
	doc["paging"] = marshal(paging)
	return doc, nextLink, nil
}

// marshal encodes v without HTML escaping, so links keep their "&".
func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// cursorOf reads the cursor from an upstream link's query, or from
// paging.cursors.
func cursorOf(link, param string, paging map[string]json.RawMessage) string {
	if u, err := url.Parse(link); err == nil {
		if c := u.Query().Get(param); c != "" && validCursor(c) {
			return c
		}
	}
	var cursors map[string]string
	if json.Unmarshal(paging["cursors"], &cursors) == nil {
		if c := cursors[param]; validCursor(c) {
			return c
		}
	}
	return ""
}

func validCursor(c string) bool {
	if c == "" || len(c) > 512 {
		return false
	}
	return strings.IndexFunc(c, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '=')
	}) < 0
}
