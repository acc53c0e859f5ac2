package normalize

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/igconnect/gateway/internal/connectors"
)

// Linker builds the gateway's own URL for another page of the same action,
// in the format the caller used.
//
// Its contract: Query holds exactly the parameters the link carries (the
// action's own validated parameters, never the caller's raw query); Link adds
// the cursor parameter it is given, and never emits api_token, access_token
// or the other cursor (before in an after link, after in a before link),
// even when Query holds them.
type Linker struct {
	// Base is scheme://host (or the configured public URL).
	Base string
	// Path is the path the caller reached, escaped.
	Path string
	// Query is the parameters every link carries besides its cursor.
	Query url.Values
}

// dropped are never copied into a link: credentials (ours and upstream's)
// and the cursors the link sets itself.
var dropped = []string{"api_token", "access_token", "after", "before"}

// Link returns the URL of the page at cursor, param being after or before.
// The cursor is URL-encoded with the rest of the query.
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

// unreadablePage is the error of a paged answer WritePaged cannot sanitize.
func unreadablePage() error {
	return connectors.Errorf(connectors.CodeUpstreamError, "Instagram answered a page the gateway cannot read")
}

// pagedEnvelope is a wrapped list answer: the envelope with the next page's
// link beside data.
type pagedEnvelope struct {
	Data     map[string]json.RawMessage `json:"data"`
	NextLink string                     `json:"nextLink,omitempty"`
}

// WritePaged writes a list answer. Every body is decoded and re-encoded, so
// what is written is what Go's decoder read (escaped or duplicate keys
// included): it must be a JSON object whose paging, when present, is an
// object; paging.next and paging.previous become gateway links built from
// their cursors, or are dropped. Wrapped, the answer is the envelope with a
// top-level nextLink beside data; unwrapped (the Graph-compatible base path),
// it is Instagram's shape. A body it cannot read is never passed on: nothing
// is written and the error is UPSTREAM_ERROR.
func WritePaged(w http.ResponseWriter, status int, body []byte, l *Linker, wrapped bool) error {
	doc, next, err := rewrite(body, l)
	if err != nil {
		return err
	}
	if !wrapped {
		writeRaw(w, status, marshal(doc))
		return nil
	}
	writeRaw(w, status, marshal(pagedEnvelope{doc, next}))
	return nil
}

// rewrite returns the body's object with its paging links rewritten, and the
// next link.
func rewrite(body []byte, l *Linker) (map[string]json.RawMessage, string, error) {
	doc, ok := object(body)
	if !ok {
		return nil, "", unreadablePage()
	}
	raw, ok := doc["paging"]
	if !ok {
		return doc, "", nil
	}
	paging, ok := object(raw)
	if !ok {
		return nil, "", unreadablePage()
	}
	nextLink := rewriteLinks(paging, l)
	if cursors, ok := object(paging["cursors"]); ok {
		paging["cursors"] = marshal(cursors)
	}
	doc["paging"] = marshal(paging)
	return doc, nextLink, nil
}

// object decodes a JSON object; false for anything else (null included).
func object(raw []byte) (map[string]json.RawMessage, bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil || m == nil {
		return nil, false
	}
	return m, true
}

// rewriteLinks replaces paging's next and previous by gateway links, or
// drops them, and returns the next link.
func rewriteLinks(paging map[string]json.RawMessage, l *Linker) string {
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
	return nextLink
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
		if c := u.Query().Get(param); connectors.ValidCursor(c) {
			return c
		}
	}
	var cursors map[string]json.RawMessage
	if json.Unmarshal(paging["cursors"], &cursors) != nil {
		return ""
	}
	var c string
	if json.Unmarshal(cursors[param], &c) == nil && connectors.ValidCursor(c) {
		return c
	}
	return ""
}
