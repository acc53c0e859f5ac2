package connectors_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/connectors/instagram"
)

var segmentRe = regexp.MustCompile(`^([0-9]{1,32}|me|media|media_publish|children|content_publishing_limit)$`)

// FuzzResolve: no path, query or method panics, and a resolved call can
// only reach its action's upstream path: no separator, query, fragment or
// dot segment can be smuggled into it.
func FuzzResolve(f *testing.F) {
	for _, s := range [][3]string{
		{"GET", "/v21.0/me", ""},
		{"GET", "/v21.0/17895695668004550", "fields=id"},
		{"GET", "/v21.0/ig_media_id", "IG_MEDIA_ID=17895695668004550"},
		{"POST", "/ig_user_id/media_publish", "IG_USER_ID=me"},
		{"GET", "/v21.0/12%2F34", ""},
		{"GET", "/v21.0/ig_media_id", "IG_MEDIA_ID=1%2F..%3F%23"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	r := connectors.NewRouter(instagram.Actions(), nil, "v21.0")
	f.Fuzz(func(t *testing.T, method, path, rawQuery string) {
		q, _ := url.ParseQuery(rawQuery)
		m, _, err := r.Resolve(method, path, q)
		if err != nil {
			if connectors.ErrorCode(err) == connectors.CodeInternal {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		call := &connectors.Call{Action: m.Action, Version: m.Version, Params: m.Params}
		up := call.UpstreamPath()
		if strings.ContainsAny(up, "?#%\\ ") {
			t.Fatalf("upstream path %q", up)
		}
		segs := strings.Split(strings.TrimPrefix(up, "/"), "/")
		if segs[0] != m.Version {
			t.Fatalf("version segment %q", segs[0])
		}
		for _, s := range segs[1:] {
			if !segmentRe.MatchString(s) {
				t.Fatalf("upstream path %q has segment %q", up, s)
			}
		}
		if _, err := connectors.BuildQuery(m.Action, m.Version, q); err != nil && connectors.ErrorCode(err) != connectors.CodeBadRequest {
			t.Fatal(err)
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
