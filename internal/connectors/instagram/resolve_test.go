package instagram

import (
	"net/url"
	"strings"
	"testing"

	"github.com/igconnect/gateway/internal/connectors"
)

func newRouter() *connectors.Router {
	c := New(&Client{}, "v21.0", 0)
	return connectors.NewRouter(c.Actions(), c.Unsupported(), c.Version)
}

// The router resolves a shared new-format path (/{ID}, /{ID}/insights) to
// the first row, in table order, that accepts the request's IDs, fields or
// metrics, other parameters and body; the old format names the node.
func TestResolveNodes(t *testing.T) {
	const (
		media = "17895695668004550"
		user  = "17841400000000001"
	)
	tests := []struct {
		name, method, path, query, body string
		op                              string
		format                          connectors.Format
		// forwarded query and form body, encoded; "" skips the check.
		wantQuery, wantForm string
		// code is the error's; errIn, a piece of its message.
		code, errIn string
	}{
		// GET /{ID}: a media unless the fields say otherwise.
		{name: "an ID alone is a media", method: "GET", path: "v21.0/" + media, op: OpGetMediaDetails,
			wantQuery: "fields=" + url.QueryEscape(DefaultMediaFields)},
		{name: "fields every node has", method: "GET", path: media, query: "fields=id,username", op: OpGetMediaDetails},
		{name: "a user's field", method: "GET", path: user, query: "fields=followers_count", op: OpGetUserDetails,
			wantQuery: "fields=followers_count"},
		{name: "user fields", method: "GET", path: user, query: "fields=id,username,media_count,biography", op: OpGetUserDetails},
		{name: "a container's status_code", method: "GET", path: media, query: "fields=status_code", op: OpGetContainerStatus},
		{name: "a container's status", method: "GET", path: media, query: "fields=id,status", op: OpGetContainerStatus},
		{name: "a comment's text", method: "GET", path: media, query: "fields=text", op: OpGetComment},
		{name: "comment fields", method: "GET", path: media, query: "fields=id,hidden,like_count,parent_id", op: OpGetComment},
		{name: "no node has them all", method: "GET", path: media, query: "fields=caption,followers_count",
			code: connectors.CodeBadRequest, op: OpGetMediaDetails, errIn: "valid fields: id,caption"},
		{name: "an unknown field: the media's error", method: "GET", path: media, query: "fields=nope",
			code: connectors.CodeBadRequest, op: OpGetMediaDetails, errIn: "valid fields: id,caption"},
		{name: "not an ID", method: "GET", path: "abc", code: connectors.CodeBadRequest, errIn: "numeric"},
		{name: "me is my details", method: "GET", path: "v21.0/me", op: OpGetMyDetails},
		// The old format names the node, whatever the fields.
		{name: "old user", method: "GET", path: "ig_user_id", query: "IG_USER_ID=" + user, op: OpGetUserDetails, format: connectors.FormatOld},
		{name: "old user me", method: "GET", path: "ig_user_id", query: "IG_USER_ID=me&fields=followers_count", op: OpGetUserDetails, format: connectors.FormatOld},
		{name: "old user with a media field", method: "GET", path: "ig_user_id", query: "IG_USER_ID=" + user + "&fields=caption",
			code: connectors.CodeBadRequest, op: OpGetUserDetails, errIn: "valid fields: id,user_id"},
		{name: "old comment", method: "GET", path: "ig_comment_id", query: "IG_COMMENT_ID=" + media, op: OpGetComment, format: connectors.FormatOld,
			wantQuery: "fields=" + url.QueryEscape(DefaultCommentFields)},
		{name: "old container", method: "GET", path: "ig_container_id", query: "IG_CONTAINER_ID=" + media, op: OpGetContainerStatus, format: connectors.FormatOld,
			wantQuery: "fields=" + url.QueryEscape(DefaultContainerFields)},
		{name: "old media with a comment field", method: "GET", path: "ig_media_id", query: "IG_MEDIA_ID=" + media + "&fields=text",
			code: connectors.CodeBadRequest, op: OpGetMediaDetails},
		{name: "old container is not me", method: "GET", path: "ig_container_id", query: "IG_CONTAINER_ID=me", code: connectors.CodeBadRequest},

		// GET /{ID}/insights: a media's unless the metrics or parameters
		// are the account's.
		{name: "media metric", method: "GET", path: media + "/insights", query: "metric=reach,likes", op: OpGetMediaInsights,
			wantQuery: "metric=reach%2Clikes"},
		{name: "account metric", method: "GET", path: user + "/insights", query: "metric=follower_count&period=day", op: OpGetAccountInsights,
			wantQuery: "metric=follower_count&period=day"},
		{name: "a metric both have, with a period", method: "GET", path: user + "/insights", query: "metric=reach&period=day", op: OpGetAccountInsights,
			wantQuery: "metric=reach&period=day"},
		{name: "an account breakdown", method: "GET", path: user + "/insights", query: "metric=reach&metric_type=total_value&breakdown=media_product_type,follow_type&period=day", op: OpGetAccountInsights,
			wantQuery: "breakdown=media_product_type%2Cfollow_type&metric=reach&metric_type=total_value&period=day"},
		{name: "a media breakdown", method: "GET", path: media + "/insights", query: "metric=profile_activity&breakdown=action_type", op: OpGetMediaInsights},
		{name: "a media total", method: "GET", path: media + "/insights", query: "metric=views&metric_type=total_value", op: OpGetMediaInsights},
		{name: "an empty breakdown is absent", method: "GET", path: media + "/insights", query: "metric=reach&breakdown=", op: OpGetMediaInsights,
			wantQuery: "metric=reach"},
		{name: "me is the account", method: "GET", path: "me/insights", query: "metric=reach&period=week", op: OpGetAccountInsights},
		{name: "me with a media-only metric", method: "GET", path: "me/insights", query: "metric=saved",
			code: connectors.CodeBadRequest, op: OpGetAccountInsights, errIn: "valid values: reach,follower_count"},
		{name: "a demographics window", method: "GET", path: "me/insights",
			query: "metric=follower_demographics&period=lifetime&metric_type=total_value&breakdown=age&timeframe=this_month", op: OpGetAccountInsights},
		{name: "an old window in v21.0", method: "GET", path: "v21.0/me/insights", query: "metric=follower_demographics&period=lifetime&timeframe=last_30_days",
			code: connectors.CodeBadRequest, op: OpGetAccountInsights, errIn: "this_week,this_month"},
		{name: "an old window in v19.0", method: "GET", path: "v19.0/me/insights", query: "metric=follower_demographics&period=lifetime&timeframe=last_30_days", op: OpGetAccountInsights},
		{name: "a range", method: "GET", path: "me/insights", query: "metric=reach&period=day&since=1767225600&until=1767484800", op: OpGetAccountInsights},
		{name: "a range before 1970", method: "GET", path: "me/insights", query: "metric=reach&period=day&since=-5",
			code: connectors.CodeBadRequest, op: OpGetAccountInsights, errIn: "since"},
		{name: "a bad period", method: "GET", path: "me/insights", query: "metric=reach&period=fortnight",
			code: connectors.CodeBadRequest, op: OpGetAccountInsights, errIn: "period"},
		{name: "no metric", method: "GET", path: media + "/insights",
			code: connectors.CodeBadRequest, op: OpGetMediaInsights, errIn: "metric is required; valid values: reach,likes"},
		{name: "an empty metric", method: "GET", path: "me/insights", query: "metric=,",
			code: connectors.CodeBadRequest, op: OpGetAccountInsights, errIn: "metric is required"},
		{name: "impressions in v21.0", method: "GET", path: "v21.0/" + media + "/insights", query: "metric=impressions", op: OpGetMediaInsights},
		{name: "impressions in v22.0", method: "GET", path: "v22.0/" + media + "/insights", query: "metric=impressions",
			code: connectors.CodeBadRequest, op: OpGetMediaInsights, errIn: "not valid in v22.0"},
		{name: "account impressions in v22.0", method: "GET", path: "v22.0/me/insights", query: "metric=impressions&period=day",
			code: connectors.CodeBadRequest, op: OpGetAccountInsights},
		{name: "old account", method: "GET", path: "ig_user_id/insights", query: "IG_USER_ID=" + user + "&metric=reach&period=day", op: OpGetAccountInsights, format: connectors.FormatOld},
		{name: "old media with an account metric", method: "GET", path: "ig_media_id/insights", query: "IG_MEDIA_ID=" + media + "&metric=follower_count",
			code: connectors.CodeBadRequest, op: OpGetMediaInsights},

		// POST /{ID}: the body tells a media from a comment.
		{name: "comments switch", method: "POST", path: media, body: `{"comment_enabled":false}`, op: OpUpdateMedia,
			wantForm: "comment_enabled=false"},
		{name: "hide", method: "POST", path: media, body: `{"hide":true}`, op: OpHideComment, wantForm: "hide=true"},
		{name: "show", method: "POST", path: media, body: ` {"hide":false} `, op: OpHideComment, wantForm: "hide=false"},
		{name: "both", method: "POST", path: media, body: `{"hide":true,"comment_enabled":true}`,
			code: connectors.CodeBadRequest, op: OpUpdateMedia, errIn: "unknown field"},
		{name: "an empty object", method: "POST", path: media, body: `{}`,
			code: connectors.CodeBadRequest, op: OpUpdateMedia, errIn: "comment_enabled is required"},
		{name: "no body", method: "POST", path: media, code: connectors.CodeBadRequest, op: OpUpdateMedia, errIn: "a JSON body is required"},
		{name: "a string for a bool", method: "POST", path: media, body: `{"hide":"yes"}`, code: connectors.CodeBadRequest},
		{name: "old comment, hide", method: "POST", path: "ig_comment_id", query: "IG_COMMENT_ID=" + media, body: `{"hide":true}`,
			op: OpHideComment, format: connectors.FormatOld, wantForm: "hide=true"},
		{name: "old comment, comments switch", method: "POST", path: "ig_comment_id", query: "IG_COMMENT_ID=" + media, body: `{"comment_enabled":true}`,
			code: connectors.CodeBadRequest, op: OpHideComment},
		{name: "old media, comments switch", method: "POST", path: "ig_media_id", query: "IG_MEDIA_ID=" + media, body: `{"comment_enabled":true}`,
			op: OpUpdateMedia, format: connectors.FormatOld},
		{name: "POST me", method: "POST", path: "me", body: `{"hide":true}`, code: connectors.CodeMethodNotAllowed},

		// DELETE /{ID}: a media, or the comment the old format names.
		{name: "delete", method: "DELETE", path: media, op: OpDeleteMedia},
		{name: "delete with a body", method: "DELETE", path: media, body: `{}`,
			code: connectors.CodeBadRequest, op: OpDeleteMedia, errIn: "takes no body"},
		{name: "old delete comment", method: "DELETE", path: "ig_comment_id", query: "IG_COMMENT_ID=" + media, op: OpDeleteComment, format: connectors.FormatOld},
		{name: "delete me", method: "DELETE", path: "me", code: connectors.CodeMethodNotAllowed},
		{name: "delete a user", method: "DELETE", path: "ig_user_id", query: "IG_USER_ID=" + user, code: connectors.CodeMethodNotAllowed},
		{name: "PUT", method: "PUT", path: media, code: connectors.CodeMethodNotAllowed, errIn: "allowed: GET, POST, DELETE"},

		// The other rows.
		{name: "my media", method: "GET", path: "me/media", query: "limit=5", op: OpGetMyMedia},
		{name: "a user's media", method: "GET", path: user + "/media", op: OpGetMyMedia},
		{name: "old media list", method: "GET", path: "ig_user_id/media", query: "IG_USER_ID=me", op: OpGetMyMedia, format: connectors.FormatOld},
		{name: "create a container", method: "POST", path: "me/media", body: `{"image_url":"https://example.com/a.jpg"}`, op: OpCreateMediaContainer},
		{name: "a container is not published", method: "POST", path: "me/media", body: `{"creation_id":"1789"}`,
			code: connectors.CodeBadRequest, op: OpCreateMediaContainer, errIn: "Publish"},
		{name: "stories", method: "GET", path: "me/stories", op: OpGetStories, wantQuery: "fields=" + url.QueryEscape(DefaultMediaFields)},
		{name: "tags", method: "GET", path: user + "/tags", query: "limit=3&after=QUZU", op: OpGetTaggedMedia},
		{name: "live media", method: "GET", path: "me/live_media", op: OpGetLiveMedia},
		{name: "comments", method: "GET", path: media + "/comments", query: "fields=text,from", op: OpGetMediaComments, wantQuery: "fields=text%2Cfrom"},
		{name: "comments are not media", method: "GET", path: media + "/comments", query: "fields=caption", code: connectors.CodeBadRequest, op: OpGetMediaComments},
		{name: "comment", method: "POST", path: media + "/comments", body: `{"message":"Lovely!"}`, op: OpCreateComment, wantForm: "message=Lovely%21"},
		{name: "a blank comment", method: "POST", path: media + "/comments", body: `{"message":"  "}`, code: connectors.CodeBadRequest, op: OpCreateComment},
		{name: "replies", method: "GET", path: media + "/replies", op: OpGetCommentReplies, wantQuery: "fields=" + url.QueryEscape(DefaultCommentFields)},
		{name: "reply", method: "POST", path: media + "/replies", body: `{"message":"Thanks"}`, op: OpReplyToComment, wantForm: "message=Thanks"},
		{name: "replies of me", method: "GET", path: "me/replies", code: connectors.CodeBadRequest},
	}
	r := newRouter()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			call, allowed, err := r.Build(tt.method, tt.path, q, []byte(tt.body))
			if tt.code != "" {
				if connectors.ErrorCode(err) != tt.code || !strings.Contains(err.Error(), tt.errIn) {
					t.Fatalf("err = %v, want %s with %q", err, tt.code, tt.errIn)
				}
				if tt.code == connectors.CodeMethodNotAllowed && len(allowed) == 0 {
					t.Fatal("no allowed methods")
				}
				if tt.op != "" && (call == nil || call.Action.OperationID != tt.op) {
					t.Fatalf("the error is not named %s: %+v", tt.op, call)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			format := tt.format
			if format == "" {
				format = connectors.FormatNew
			}
			if call.Action.OperationID != tt.op || call.Format != format {
				t.Fatalf("resolved to %s (%s), want %s (%s)", call.Action.OperationID, call.Format, tt.op, format)
			}
			if tt.wantQuery != "" && call.Query.Encode() != tt.wantQuery {
				t.Fatalf("query %q, want %q", call.Query.Encode(), tt.wantQuery)
			}
			if tt.wantForm != "" {
				form, _ := call.Body.(url.Values)
				if form.Encode() != tt.wantForm {
					t.Fatalf("form %q, want %q", form.Encode(), tt.wantForm)
				}
			}
		})
	}
}

// validBodies are a body each POST row accepts.
var validBodies = map[string]string{
	OpUpdateMedia:          `{"comment_enabled":true}`,
	OpHideComment:          `{"hide":true}`,
	OpCreateMediaContainer: `{"image_url":"https://example.com/a.jpg"}`,
	OpPublish:              `{"image_url":"https://example.com/a.jpg"}`,
	OpCreateComment:        `{"message":"hi"}`,
	OpReplyToComment:       `{"message":"hi"}`,
}

// Every row is reached in the old format, by itself, and in the new format
// when its path is its own; a row that shares its path is reached by what
// tells it apart (TestResolveNodes).
func TestEveryRowResolves(t *testing.T) {
	r := newRouter()
	shared := map[string]int{}
	for _, a := range Actions() {
		shared[a.Method+" "+templateOf(a.Path)]++
	}
	for _, a := range Actions() {
		q := url.Values{}
		for _, p := range a.Query {
			if p.Required {
				q.Set(p.Name, p.Values("v21.0")[0])
			}
		}
		body := []byte(validBodies[a.OperationID])
		if a.Body != nil && len(body) == 0 {
			t.Fatalf("%s: no valid body to try", a.OperationID)
		}
		t.Run(a.OperationID, func(t *testing.T) {
			oldQ := url.Values{}
			for k, v := range q {
				oldQ[k] = v
			}
			path := a.Path
			for _, p := range a.PathParams() {
				path = strings.Replace(path, "{"+p+"}", strings.ToLower(p), 1)
				oldQ.Set(p, "17841400000000001")
			}
			call, _, err := r.Build(a.Method, "v21.0/"+path, oldQ, body)
			if err != nil || call.Action.OperationID != a.OperationID {
				t.Fatalf("old format %s %s?%s: %v %+v", a.Method, path, oldQ.Encode(), err, call)
			}
			if len(a.PathParams()) > 0 && call.Format != connectors.FormatOld {
				t.Fatalf("old format resolved as %s", call.Format)
			}
			if shared[a.Method+" "+templateOf(a.Path)] > 1 {
				return
			}
			newPath := a.Path
			for _, p := range a.PathParams() {
				newPath = strings.Replace(newPath, "{"+p+"}", "17841400000000001", 1)
			}
			call, _, err = r.Build(a.Method, "v21.0/"+newPath, q, body)
			if err != nil || call.Action.OperationID != a.OperationID || call.Format != connectors.FormatNew {
				t.Fatalf("new format %s %s: %v %+v", a.Method, newPath, err, call)
			}
		})
	}
}

// templateOf is a path with its parameters unnamed: "{}/insights".
func templateOf(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") {
			segs[i] = "{}"
		}
	}
	return strings.Join(segs, "/")
}
