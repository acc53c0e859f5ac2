package fakegraph

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
)

// Every cursor is standard base64 holding "+", "/" and "=", and reads back
// as its position.
func TestCursorsAreStandardBase64(t *testing.T) {
	for _, i := range []int{0, 1, 6, 7, 29, 99, 1234, 9999999} {
		c := cursor(i)
		if _, err := base64.StdEncoding.DecodeString(c); err != nil || !strings.ContainsAny(c, "+/") || !strings.Contains(c, "=") {
			t.Fatalf("cursor(%d) = %q", i, c)
		}
		if n, ok := uncursor(c); !ok || n != i {
			t.Fatalf("uncursor(%q) = %d, %v; want %d", c, n, ok, i)
		}
	}
}

func TestUncursorRefuses(t *testing.T) {
	for _, c := range []string{"", "cG9zOjE", "cG9zOjE=", "++//cG9zOjE=", strings.ReplaceAll(cursor(3), "+", " "), cursor(3) + "A", "++//cG9zOi0wMDAwMDE="} {
		if n, ok := uncursor(c); ok {
			t.Fatalf("uncursor(%q) = %d", c, n)
		}
	}
}

// Paging hands out base64 cursors, in paging.cursors and URL-encoded in the
// next and previous links, and takes them back on after and before.
func TestPagingBase64Cursors(t *testing.T) {
	_, srv := newFake(t)
	_, _, first := call(t, "GET", srv.URL+"/v21.0/me/media?limit=7", DemoToken, nil)
	paging := first["paging"].(map[string]any)
	cursors := paging["cursors"].(map[string]any)
	after := cursors["after"].(string)
	next, _ := url.Parse(paging["next"].(string))
	if !strings.ContainsAny(after, "+/") || next.Query().Get("after") != after || !strings.Contains(next.RawQuery, "%2B%2F%2F") {
		t.Fatalf("paging %v", paging)
	}
	st, _, second := call(t, "GET", srv.URL+"/v21.0/me/media?limit=7&after="+url.QueryEscape(after), DemoToken, nil)
	before := second["paging"].(map[string]any)["cursors"].(map[string]any)["before"].(string)
	if st != 200 || len(second["data"].([]any)) != 7 || before == after {
		t.Fatalf("after: %d %v", st, second)
	}
	st, _, back := call(t, "GET", srv.URL+"/v21.0/me/media?limit=7&before="+url.QueryEscape(before), DemoToken, nil)
	if st != 200 || back["data"].([]any)[0].(map[string]any)["id"] != first["data"].([]any)[0].(map[string]any)["id"] {
		t.Fatalf("before: %d %v", st, back)
	}
}
