package fakegraph

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// cursorPrefix starts every cursor's bytes: its standard base64 is "++//",
// so that every cursor the fake hands out holds "+" and "/", like
// Instagram's, and a client that mangles them (an unencoded "+" read as a
// space) is caught.
const cursorPrefix = "\xfb\xef\xff"

// cursorFormat is the position, fixed-width: with the prefix, 14 bytes, so
// every cursor also ends in "=".
const cursorFormat = "pos:%07d"

// Cursors are opaque to clients: standard base64 of the position.
func cursor(i int) string {
	return base64.StdEncoding.EncodeToString([]byte(cursorPrefix + fmt.Sprintf(cursorFormat, i)))
}

func uncursor(c string) (int, bool) {
	b, err := base64.StdEncoding.DecodeString(c)
	pos, ok := strings.CutPrefix(string(b), cursorPrefix+"pos:")
	if err != nil || !ok || len(pos) != 7 {
		return 0, false
	}
	n, err := strconv.Atoi(pos)
	return n, err == nil && n >= 0
}

// pageQuery is what a paged edge was asked for.
type pageQuery struct {
	limit int
	// after and before are positions (-1: not given).
	after, before int
	// fields is carried into the next and previous links.
	fields string
}

// readPage reads limit, after and before (25 by default, 100 at most).
func readPage(r *http.Request) (pageQuery, *graphError) {
	pq := pageQuery{limit: 25, after: -1, before: -1, fields: r.Form.Get("fields")}
	if l := r.Form.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n <= 0 {
			return pq, &graphError{Message: "(#100) Param limit must be a positive integer", Code: 100}
		}
		pq.limit = min(n, 100)
	}
	for _, p := range []struct {
		name string
		to   *int
	}{{"after", &pq.after}, {"before", &pq.before}} {
		if c := r.Form.Get(p.name); c != "" {
			n, ok := uncursor(c)
			if !ok {
				return pq, &graphError{Message: "(#100) Invalid cursor", Code: 100}
			}
			*p.to = n
		}
	}
	return pq, nil
}

// pageOf answers one page of ids with Graph cursor paging: data, and
// paging with cursors and the next and previous links (which embed the
// access token, as Graph's do) when there is more. item renders an ID.
func (s *Server) pageOf(q *request, path string, ids []string, pq pageQuery, item func(id string) map[string]any) map[string]any {
	start, end := 0, len(ids)
	switch {
	case pq.after >= 0:
		start = pq.after + 1
	case pq.before >= 0:
		end = min(end, pq.before)
		start = max(0, end-pq.limit)
	}
	end = min(len(ids), end, start+pq.limit)
	start = min(start, end)
	data := make([]map[string]any, 0, end-start)
	for _, id := range ids[start:end] {
		data = append(data, item(id))
	}
	out := map[string]any{"data": data}
	if end > start {
		paging := map[string]any{"cursors": map[string]string{"before": cursor(start), "after": cursor(end - 1)}}
		link := func(param, c string) string {
			v := url.Values{}
			v.Set("access_token", q.tok)
			if pq.fields != "" {
				v.Set("fields", pq.fields)
			}
			v.Set("limit", strconv.Itoa(pq.limit))
			v.Set(param, c)
			return baseURL(q.r) + versionOf(q.r) + path + "?" + v.Encode()
		}
		if end < len(ids) {
			paging["next"] = link("after", cursor(end-1))
		}
		if start > 0 {
			paging["previous"] = link("before", cursor(start))
		}
		out["paging"] = paging
	}
	return out
}

// list answers a paged edge of nodes of type typ.
func (s *Server) list(q *request, typ, path string, ids []string, item func(id string) map[string]any) {
	if err := checkFields(typ, q.fields); err != nil {
		s.writeError(q.w, http.StatusBadRequest, *err)
		return
	}
	pq, err := readPage(q.r)
	if err != nil {
		s.writeError(q.w, http.StatusBadRequest, *err)
		return
	}
	writeJSON(q.w, http.StatusOK, s.pageOf(q, path, ids, pq, item))
}
