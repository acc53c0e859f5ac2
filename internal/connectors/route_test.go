package connectors_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/connectors/instagram"
)

func TestResolve(t *testing.T) {
	r := connectors.NewRouter(instagram.Actions(), nil, "v21.0")
	tests := []struct {
		method, path, query string
		op                  string
		format              connectors.Format
		version             string
		params              map[string]string
		code                string
	}{
		{"GET", "v21.0/me", "", "GetMyDetails", connectors.FormatNew, "v21.0", nil, ""},
		{"GET", "me", "", "GetMyDetails", connectors.FormatNew, "v21.0", nil, ""},
		{"GET", "v19.0/me/media", "", "GetMyMedia", connectors.FormatNew, "v19.0", nil, ""},
		{"GET", "v21.0/17895695668004550", "", "GetMediaDetails", connectors.FormatNew, "v21.0", map[string]string{"IG_MEDIA_ID": "17895695668004550"}, ""},
		{"GET", "v21.0/ig_media_id", "IG_MEDIA_ID=17895695668004550", "GetMediaDetails", connectors.FormatOld, "v21.0", map[string]string{"IG_MEDIA_ID": "17895695668004550"}, ""},
		{"POST", "v21.0/me/media_publish", "", "Publish", connectors.FormatNew, "v21.0", map[string]string{"IG_USER_ID": "me"}, ""},
		{"POST", "v21.0/178414/media_publish", "", "Publish", connectors.FormatNew, "v21.0", map[string]string{"IG_USER_ID": "178414"}, ""},
		{"POST", "ig_user_id/media_publish", "IG_USER_ID=178414", "Publish", connectors.FormatOld, "v21.0", map[string]string{"IG_USER_ID": "178414"}, ""},
		{"GET", "v21.0/1789/children", "", "GetMediaChildren", connectors.FormatNew, "v21.0", map[string]string{"IG_MEDIA_ID": "1789"}, ""},
		// Bad IDs: 400 before anything else.
		{"GET", "v21.0/abc", "", "", "", "", nil, connectors.CodeBadRequest},
		{"GET", "v21.0/12.5", "", "", "", "", nil, connectors.CodeBadRequest},
		{"GET", "v21.0/..", "", "", "", "", nil, connectors.CodeBadRequest},
		{"GET", "v21.0/me%2Fmedia", "", "", "", "", nil, connectors.CodeBadRequest},
		{"GET", "v21.0/12%2F34", "", "", "", "", nil, connectors.CodeBadRequest},
		{"GET", "v21.0/12%2e34", "", "", "", "", nil, connectors.CodeBadRequest},
		{"GET", "v21.0/12%20", "", "", "", "", nil, connectors.CodeBadRequest},
		{"GET", "v21.0/ig_media_id", "", "", "", "", nil, connectors.CodeBadRequest},
		{"GET", "v21.0/ig_media_id", "IG_MEDIA_ID=1/2", "", "", "", nil, connectors.CodeBadRequest},
		{"GET", "v21.0/ig_media_id", "IG_MEDIA_ID=..", "", "", "", nil, connectors.CodeBadRequest},
		{"GET", "v21.0/me", "", "GetMyDetails", connectors.FormatNew, "v21.0", nil, ""},
		{"GET", "v21.0/ig_media_id", "IG_MEDIA_ID=me", "", "", "", nil, connectors.CodeBadRequest},
		// An old-format ID given twice is refused, like every repeated parameter.
		{"GET", "v21.0/ig_media_id", "IG_MEDIA_ID=17895695668004550&IG_MEDIA_ID=abc", "", "", "", nil, connectors.CodeBadRequest},
		{"POST", "v21.0/abc/media_publish", "", "", "", "", nil, connectors.CodeBadRequest},
		// Unknown routes and methods.
		{"GET", "v21.0/me/media/extra/more", "", "", "", "", nil, connectors.CodeNotFound},
		{"GET", "v21.0", "", "", "", "", nil, connectors.CodeNotFound},
		{"GET", "", "", "", "", "", nil, connectors.CodeNotFound},
		{"GET", "v21.0/me/unknown", "", "", "", "", nil, connectors.CodeNotFound},
		{"DELETE", "v21.0/me", "", "", "", "", nil, connectors.CodeMethodNotAllowed},
		{"GET", "v21.0/me/media_publish", "", "", "", "", nil, connectors.CodeMethodNotAllowed},
		{"PUT", "v21.0/me/media", "", "", "", "", nil, connectors.CodeMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path+"?"+tt.query, func(t *testing.T) {
			q, _ := url.ParseQuery(tt.query)
			m, allowed, err := r.Resolve(tt.method, tt.path, q)
			if tt.code != "" {
				if connectors.ErrorCode(err) != tt.code {
					t.Fatalf("err = %v, want %s", err, tt.code)
				}
				if tt.code == connectors.CodeMethodNotAllowed && len(allowed) == 0 {
					t.Fatal("no allowed methods")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Action.OperationID != tt.op || m.Format != tt.format || m.Version != tt.version {
				t.Fatalf("got %s %s %s", m.Action.OperationID, m.Format, m.Version)
			}
			for k, v := range tt.params {
				if m.Params[k] != v {
					t.Fatalf("param %s = %q, want %q", k, m.Params[k], v)
				}
			}
			call := &connectors.Call{Action: m.Action, Version: m.Version, Params: m.Params}
			if p := call.UpstreamPath(); strings.ContainsAny(p, "?#") || strings.Contains(p, "..") {
				t.Fatalf("upstream path %q", p)
			}
		})
	}
}

func TestBuildQuery(t *testing.T) {
	actions := instagram.Actions()
	connectors.NewRouter(actions, nil, "v21.0")
	media := actions[1]
	tests := []struct {
		query string
		want  string
		code  string
	}{
		{"", "fields=" + url.QueryEscape(instagram.DefaultMediaFields), ""},
		{"fields=id,caption&limit=5&after=QVFIUm&api_token=x&other=y", "after=QVFIUm&fields=id%2Ccaption&limit=5", ""},
		{"fields=id, caption ,id", "fields=id%2Ccaption", ""},
		{"fields=", "fields=" + url.QueryEscape(instagram.DefaultMediaFields), ""},
		{"fields=id,nope", "", connectors.CodeBadRequest},
		{"fields=id{x}", "", connectors.CodeBadRequest},
		{"fields=followers_count", "", connectors.CodeBadRequest},
		{"limit=0", "", connectors.CodeBadRequest},
		{"limit=101", "", connectors.CodeBadRequest},
		{"limit=ten", "", connectors.CodeBadRequest},
		{"limit=1&limit=2", "", connectors.CodeBadRequest},
		{"after=a%00b", "", connectors.CodeBadRequest},
		{"after=", "", connectors.CodeBadRequest},
		{"before=" + strings.Repeat("a", connectors.MaxCursor+1), "", connectors.CodeBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			q, _ := url.ParseQuery(tt.query)
			got, err := connectors.BuildQuery(media, "v21.0", q)
			if tt.code != "" {
				if connectors.ErrorCode(err) != tt.code {
					t.Fatalf("err = %v", err)
				}
				if strings.Contains(tt.query, "fields=id,nope") && !strings.Contains(err.Error(), "valid fields: id,caption") {
					t.Fatalf("error does not name the valid fields: %v", err)
				}
				return
			}
			if err != nil || got.Encode() != tt.want {
				t.Fatalf("got %q, %v; want %q", got.Encode(), err, tt.want)
			}
		})
	}
}
