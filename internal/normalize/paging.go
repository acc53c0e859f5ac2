package normalize

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

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
	// Windowed actions (insights) page by time: Instagram's links carry
	// since and until instead of a cursor, and so do the gateway's.
	Windowed bool
	// Now, for a windowed action, ends paging at the present: a window
	// that starts after it is dropped (Instagram's next window is always
	// there, so that a follower of nextLink would never stop).
	Now time.Time
}

// dropped are never copied into a link: credentials (ours and upstream's)
// and the cursors the link sets itself.
var dropped = []string{"api_token", "access_token", "after", "before", "since", "until"}

// Link returns the URL of the page at cursor, param being after or before.
// The cursor is URL-encoded with the rest of the query.
func (l *Linker) Link(param, cursor string) string {
	return l.link(param, cursor)
}

// Window returns the URL of the time window from since to until (Unix
// seconds), for a windowed action.
func (l *Linker) Window(since, until string) string {
	return l.link("since", since, "until", until)
}

// link returns the URL with Query and the given pairs, credentials and
// other paging parameters dropped.
func (l *Linker) link(pairs ...string) string {
	q := make(url.Values, len(l.Query)+2)
	for k, v := range l.Query {
		q[k] = v
	}
	for _, k := range dropped {
		delete(q, k)
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		q.Set(pairs[i], pairs[i+1])
	}
	return l.Base + l.Path + "?" + q.Encode()
}

// unreadablePage is the error of a paged answer WritePaged cannot sanitize.
func unreadablePage() error {
	return connectors.Errorf(connectors.CodeUpstreamError, "Instagram answered a page the gateway cannot read")
}

// WritePaged writes a list answer. Every body is decoded and re-encoded, so
// what is written is what Go's decoder read (escaped or duplicate keys
// included): it must be a JSON object whose paging, when present, is an
// object; paging.next and paging.previous become gateway links built from
// their cursors, or are dropped. Wrapped, the answer is the envelope with,
// beside data, value (the items: data.data, byte for byte, when it is an
// array) and nextLink; unwrapped (the Graph-compatible base path), it is
// Instagram's shape. A body it cannot read is never passed on: nothing is
// written and the error is UPSTREAM_ERROR.
func WritePaged(w http.ResponseWriter, status int, body []byte, l *Linker, wrapped bool) error {
	doc, compacted, next, err := rewrite(body, l)
	if err != nil {
		return err
	}
	writeRaw(w, status, encodeDoc(doc, compacted, wrapped, next, len(body)))
	return nil
}

// encodeDoc writes doc as encoding/json writes a map[string]json.RawMessage
// without HTML escaping (keys sorted, values compacted: compacted says they
// are already), and, wrapped, in the pagedEnvelope's shape:
// {"data":doc,"value":items,"nextLink":next}, value being data.data when
// it is an array, the same text compacted once. size is a hint of the
// result's length.
func encodeDoc(doc map[string]json.RawMessage, compacted, wrapped bool, next string, size int) []byte {
	var b bytes.Buffer
	b.Grow(2*size + 64)
	if wrapped {
		b.WriteString(`{"data":`)
	}
	keys := make([]string, 0, len(doc))
	for k := range doc {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	itemsFrom, itemsTo := -1, -1
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(marshal(k))
		b.WriteByte(':')
		from := b.Len()
		if compacted || json.Compact(&b, doc[k]) != nil { // decoded by object: cannot fail
			b.Write(doc[k])
		}
		if k == "data" && b.Len() > from && b.Bytes()[from] == '[' {
			itemsFrom, itemsTo = from, b.Len()
		}
	}
	b.WriteByte('}')
	if !wrapped {
		return b.Bytes()
	}
	if itemsFrom >= 0 {
		b.WriteString(`,"value":`)
		b.Write(b.Bytes()[itemsFrom:itemsTo])
	}
	if next != "" {
		b.WriteString(`,"nextLink":`)
		b.Write(marshal(next))
	}
	b.WriteByte('}')
	return b.Bytes()
}

// rewrite returns the body's object with its paging links rewritten, and the
// next link.
func rewrite(body []byte, l *Linker) (doc map[string]json.RawMessage, compacted bool, next string, err error) {
	doc, compacted, ok := topLevel(body)
	if !ok {
		return nil, false, "", unreadablePage()
	}
	raw, ok := doc["paging"]
	if !ok {
		return doc, compacted, "", nil
	}
	paging, ok := object(raw)
	if !ok {
		return nil, false, "", unreadablePage()
	}
	cursors, _ := object(paging["cursors"]) // decoded once, for both links
	nextLink := rewriteLinks(paging, cursors, l)
	if cursors != nil {
		paging["cursors"] = marshal(cursors)
	}
	doc["paging"] = marshal(paging)
	return doc, compacted, nextLink, nil
}

// topLevel splits a JSON object into its members, as object does, in one
// pass of the JSON scanner: the body is compacted (which validates it),
// then its top level is walked byte by byte, so the members (data, the
// large one, included) are never scanned again. compacted tells that the
// values are compacted already. A key with an escape or a byte beyond
// ASCII, which encoding/json would write differently, takes the slow path
// (object), as does nothing else.
func topLevel(body []byte) (doc map[string]json.RawMessage, compacted, ok bool) {
	var buf bytes.Buffer
	buf.Grow(len(body))
	if json.Compact(&buf, body) != nil {
		return nil, false, false
	}
	c := buf.Bytes()
	if len(c) < 2 || c[0] != '{' {
		return nil, false, false
	}
	doc = make(map[string]json.RawMessage, 4)
	for i := 1; i < len(c) && c[i] != '}'; {
		end := skipString(c, i)
		key := c[i+1 : end-1]
		for _, b := range key {
			if b == '\\' || b >= 0x80 {
				doc, ok = object(body)
				return doc, false, ok
			}
		}
		v := end + 1 // past the colon
		ve := skipValue(c, v)
		doc[string(key)] = c[v:ve:ve]
		i = ve
		if i < len(c) && c[i] == ',' {
			i++
		}
	}
	return doc, true, true
}

// skipString returns the index past the string that opens at c[i], in
// valid JSON.
func skipString(c []byte, i int) int {
	for j := i + 1; j < len(c); j++ {
		switch c[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(c)
}

// skipValue returns the index past the value that starts at c[i], in
// valid, compact JSON.
func skipValue(c []byte, i int) int {
	switch c[i] {
	case '"':
		return skipString(c, i)
	case '{', '[':
		depth := 0
		for ; i < len(c); i++ {
			switch c[i] {
			case '"':
				i = skipString(c, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return len(c)
	}
	for i < len(c) && c[i] != ',' && c[i] != '}' && c[i] != ']' {
		i++
	}
	return i
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
func rewriteLinks(paging, cursors map[string]json.RawMessage, l *Linker) string {
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
		q := linkQuery(s)
		var link string
		if cursor := cursorOf(q, k.param, cursors); cursor != "" {
			link = l.Link(k.param, cursor)
		} else if since, until, ok := windowOf(q); ok && l.Windowed && l.current(since) {
			link = l.Window(since, until)
		} else {
			continue // a link we cannot rebuild is dropped, never passed on
		}
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

// current tells whether a window starting at since (Unix seconds) has
// begun by l.Now (always, when Now is not set).
func (l *Linker) current(since string) bool {
	if l.Now.IsZero() {
		return true
	}
	n, err := strconv.ParseInt(since, 10, 64)
	return err == nil && n < l.Now.Unix()
}

// linkQuery is the query of an upstream link, parsed once (nil when the
// link does not parse).
func linkQuery(link string) url.Values {
	u, err := url.Parse(link)
	if err != nil {
		return nil
	}
	return u.Query()
}

// windowOf reads since and until (Unix seconds) from an upstream link's
// query: how Instagram pages insights.
func windowOf(q url.Values) (since, until string, ok bool) {
	since, until = q.Get("since"), q.Get("until")
	return since, until, unixSeconds(since) && unixSeconds(until)
}

func unixSeconds(s string) bool { return connectors.ValidUnixTime(s) }

// NextCursor reads Graph paging (the paging object of a page): whether it
// has a next page, and the cursor of that page, from paging.next's after
// parameter or paging.cursors.after ("" when none the gateway can carry).
// It is the one rule for the next cursor, for links and for triggers.
func NextCursor(paging json.RawMessage) (cursor string, hasNext bool) {
	p, ok := object(paging)
	if !ok {
		return "", false
	}
	var next string
	if json.Unmarshal(p["next"], &next) != nil || next == "" {
		return "", false
	}
	cursors, _ := object(p["cursors"])
	return cursorOf(linkQuery(next), "after", cursors), true
}

// cursorOf reads the cursor from an upstream link's query, or from
// paging.cursors.
func cursorOf(q url.Values, param string, cursors map[string]json.RawMessage) string {
	if c := q.Get(param); connectors.ValidCursor(c) {
		return c
	}
	var c string
	if json.Unmarshal(cursors[param], &c) == nil && connectors.ValidCursor(c) {
		return c
	}
	return ""
}
