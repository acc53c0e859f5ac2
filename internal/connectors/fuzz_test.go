package connectors_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/connectors/instagram"
)

// literalSegments are the path segments of the action table that are not
// parameters: the only words an upstream path may hold besides IDs.
func literalSegments() map[string]bool {
	out := map[string]bool{}
	for _, a := range instagram.Actions() {
		for _, s := range strings.Split(a.Path, "/") {
			if !strings.HasPrefix(s, "{") {
				out[s] = true
			}
		}
	}
	return out
}

var idSegment = regexp.MustCompile(`^([0-9]{1,32}|me)$`)

// FuzzResolve: no path, query, method or body panics in Router.Build (what
// production runs), and a built call can only reach its action's upstream
// path: no separator, query, fragment or dot segment can be smuggled into
// it, and its forwarded query holds only the action's parameters.
func FuzzResolve(f *testing.F) {
	for _, s := range [][4]string{
		{"GET", "/v21.0/me", "", ""},
		{"GET", "/v21.0/17895695668004550", "fields=id", ""},
		{"GET", "/v21.0/ig_media_id", "IG_MEDIA_ID=17895695668004550", ""},
		{"POST", "/ig_user_id/media_publish", "IG_USER_ID=me", `{"image_url":"https://example.com/a.jpg"}`},
		{"GET", "/v21.0/12%2F34", "", ""},
		{"GET", "/v21.0/ig_media_id", "IG_MEDIA_ID=1%2F..%3F%23", ""},
		{"GET", "/v21.0/me/insights", "metric=reach,follower_count&period=day", ""},
		{"POST", "/v21.0/17895695668004550", "", `{"hide":true}`},
		{"DELETE", "/v21.0/ig_comment_id", "IG_COMMENT_ID=17850000000000141", ""},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	r := connectors.NewRouter(instagram.Actions(), nil, "v21.0")
	literal := literalSegments()
	f.Fuzz(func(t *testing.T, method, path, rawQuery, body string) {
		q, _ := url.ParseQuery(rawQuery)
		call, _, err := r.Build(method, path, q, []byte(body))
		if err != nil {
			if connectors.ErrorCode(err) == connectors.CodeInternal {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		for k := range call.Query {
			known := k == "fields"
			for _, p := range call.Action.Query {
				known = known || p.Name == k
			}
			if !known {
				t.Fatalf("%s forwards parameter %q", call.Action.OperationID, k)
			}
		}
		m := call
		up := call.UpstreamPath()
		if strings.ContainsAny(up, "?#%\\ ") {
			t.Fatalf("upstream path %q", up)
		}
		segs := strings.Split(strings.TrimPrefix(up, "/"), "/")
		if segs[0] != m.Version {
			t.Fatalf("version segment %q", segs[0])
		}
		for _, s := range segs[1:] {
			if !idSegment.MatchString(s) && !literal[s] {
				t.Fatalf("upstream path %q has segment %q", up, s)
			}
		}
	})
}

// FuzzCheckFields: a field list is either refused with BAD_REQUEST or made
// of the node's fields only.
func FuzzCheckFields(f *testing.F) {
	for _, s := range []string{"", "id,caption", " id , id ,", "id{x}", "caption,nope", strings.Repeat("a,", 100)} {
		f.Add(s)
	}
	a := instagram.Actions()[1]
	f.Fuzz(func(t *testing.T, fields string) {
		out, err := connectors.CheckFields(a, fields)
		if err != nil {
			if connectors.ErrorCode(err) != connectors.CodeBadRequest {
				t.Fatal(err)
			}
			return
		}
		for _, f := range strings.Split(out, ",") {
			ok := false
			for _, v := range a.Fields {
				ok = ok || v == f
			}
			if !ok {
				t.Fatalf("field %q let through", f)
			}
		}
	})
}
