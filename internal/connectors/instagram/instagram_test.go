package instagram

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/fakegraph"
	"github.com/igconnect/gateway/internal/fakegraph/fakegraphtest"
)

func newConnector(t *testing.T) (*Connector, *fakegraph.Server) {
	t.Helper()
	f, url := fakegraphtest.Start(t, 30*time.Millisecond)
	c := New(&Client{BaseURL: url, HTTP: NewHTTPClient(5 * time.Second)}, "v21.0", 2*time.Second)
	c.PollInterval = 10 * time.Millisecond
	c.MaxPollInterval = 50 * time.Millisecond
	connectors.NewRouter(c.Actions(), c.Unsupported(), c.Version)
	return c, f
}

func action(c *Connector, op string) *connectors.Action {
	for _, a := range c.Actions() {
		if a.OperationID == op {
			return a
		}
	}
	panic(op)
}

func publishCall(t *testing.T, c *Connector, body string) *connectors.Call {
	t.Helper()
	a := action(c, OpPublish)
	p, err := a.Body([]byte(body))
	if err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	return &connectors.Call{Action: a, Version: "v21.0", Params: map[string]string{"IG_USER_ID": "me"}, Body: p,
		Token: fakegraph.DemoToken, UserID: fakegraph.DemoUserID}
}

func TestIdentify(t *testing.T) {
	c, _ := newConnector(t)
	id, err := c.Identify(context.Background(), fakegraph.DemoToken)
	if err != nil || id.UserID != fakegraph.DemoUserID || id.Username != "sandbox_creator" {
		t.Fatalf("%+v %v", id, err)
	}
	tests := []struct {
		token string
		code  string
		sub   int
	}{
		{"bogus", connectors.CodeUpstreamTokenInvalid, 0},
		{fakegraph.ExpiredToken, connectors.CodeUpstreamTokenInvalid, 463},
	}
	for _, tt := range tests {
		_, err := c.Identify(context.Background(), tt.token)
		e := connectors.AsError(err)
		if e.Code != tt.code || e.Upstream == nil || e.Upstream.Code != 190 || e.Upstream.ErrorSubcode != tt.sub || e.Upstream.FBTraceID == "" {
			t.Fatalf("%s: %+v", tt.token, e)
		}
		if strings.Contains(e.Message, tt.token) {
			t.Fatal("token in message")
		}
	}
}

func TestGraphCode(t *testing.T) {
	tests := []struct {
		code, sub, status int
		want              string
	}{
		{190, 463, 400, connectors.CodeUpstreamTokenInvalid},
		{10, 0, 400, connectors.CodeForbidden},
		{200, 0, 400, connectors.CodeForbidden},
		{299, 0, 400, connectors.CodeForbidden},
		{803, 0, 400, connectors.CodeNotFound},
		{100, 33, 400, connectors.CodeNotFound},
		{100, 0, 400, connectors.CodeBadRequest},
		{4, 0, 403, connectors.CodeRateLimited},
		{17, 0, 403, connectors.CodeRateLimited},
		{32, 0, 403, connectors.CodeRateLimited},
		{613, 0, 403, connectors.CodeRateLimited},
		{9007, 2207027, 400, connectors.CodePublishFailed},
		{1, 0, 500, connectors.CodeUpstreamError},
		{2, 0, 503, connectors.CodeUpstreamError},
		{12345, 0, 400, connectors.CodeUpstreamError},
	}
	for _, tt := range tests {
		if got := graphCode(tt.code, tt.sub, tt.status); got != tt.want {
			t.Errorf("graphCode(%d,%d) = %s, want %s", tt.code, tt.sub, got, tt.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	h := http.Header{}
	if RetryAfter(h) != 60 {
		t.Fatal("default")
	}
	h.Set("X-Business-Use-Case-Usage", `{"1":[{"type":"instagram","estimated_time_to_regain_access":3}]}`)
	if RetryAfter(h) != 180 {
		t.Fatal(RetryAfter(h))
	}
}

func TestPublishValidation(t *testing.T) {
	kids := func(n int) string {
		s := make([]string, n)
		for i := range s {
			s[i] = `{"image_url":"https://example.com/` + string(rune('a'+i)) + `.jpg"}`
		}
		return "[" + strings.Join(s, ",") + "]"
	}
	tests := []struct {
		name, body string
		ok         bool
	}{
		{"creation id", `{"creation_id":"1789"}`, true},
		{"image", `{"image_url":"https://example.com/a.jpg","caption":"hi"}`, true},
		{"reels", `{"video_url":"https://example.com/a.mp4"}`, true},
		{"story", `{"media_type":"stories","image_url":"https://example.com/a.jpg"}`, true},
		{"carousel", `{"children":` + kids(2) + `}`, true},
		{"carousel of strings", `{"media_type":"CAROUSEL","children":["https://example.com/a.jpg","https://example.com/b.jpg"]}`, true},
		{"carousel of 10", `{"children":` + kids(10) + `}`, true},
		{"empty", ``, false},
		{"not json", `{"image_url":`, false},
		{"array", `[]`, false},
		{"trailing", `{"creation_id":"1"} {}`, false},
		{"unknown field", `{"image_url":"https://example.com/a.jpg","colour":"red"}`, false},
		{"unknown child field", `{"children":[{"image_url":"https://e.com/a.jpg","x":1},{"image_url":"https://e.com/b.jpg"}]}`, false},
		{"creation id not digits", `{"creation_id":"../1"}`, false},
		{"creation id with more", `{"creation_id":"1","caption":"x"}`, false},
		{"no media", `{"caption":"x"}`, false},
		{"long caption", `{"image_url":"https://example.com/a.jpg","caption":"` + strings.Repeat("é", 2201) + `"}`, false},
		{"caption at limit", `{"image_url":"https://example.com/a.jpg","caption":"` + strings.Repeat("é", 2200) + `"}`, true},
		{"11 children", `{"children":` + kids(11) + `}`, false},
		{"1 child", `{"children":` + kids(1) + `}`, false},
		{"bad type", `{"media_type":"GIF","image_url":"https://example.com/a.jpg"}`, false},
		{"reels without video", `{"media_type":"REELS","image_url":"https://example.com/a.jpg"}`, false},
		{"relative url", `{"image_url":"/a.jpg"}`, false},
		{"ftp url", `{"image_url":"ftp://example.com/a.jpg"}`, false},
		{"wrong type", `{"caption":5,"image_url":"https://example.com/a.jpg"}`, false},
	}
	c, _ := newConnector(t)
	a := action(c, OpPublish)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.Body([]byte(tt.body))
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v", err)
			}
			if err != nil && connectors.ErrorCode(err) != connectors.CodeBadRequest {
				t.Fatalf("code %s", connectors.ErrorCode(err))
			}
		})
	}
}

func TestPublishFlow(t *testing.T) {
	c, f := newConnector(t)
	ctx := context.Background()
	tests := []struct {
		name, body string
		code       string
		published  int
	}{
		{"image", `{"image_url":"https://example.com/a.jpg","caption":"hello"}`, "", 1},
		{"reels", `{"video_url":"https://example.com/a.mp4"}`, "", 1},
		{"story", `{"media_type":"STORIES","video_url":"https://example.com/a.mp4"}`, "", 1},
		{"carousel", `{"caption":"album","children":[{"image_url":"https://example.com/a.jpg"},{"video_url":"https://example.com/b.mp4"}]}`, "", 1},
		{"error container", `{"image_url":"https://example.com/error.jpg"}`, connectors.CodePublishFailed, 0},
		{"expired container", `{"image_url":"https://example.com/expire.jpg"}`, connectors.CodePublishFailed, 0},
		{"carousel with a failing child", `{"children":["https://example.com/a.jpg","https://example.com/error.jpg"]}`, connectors.CodePublishFailed, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.MediaCount(fakegraph.DemoUserID)
			resp, err := c.Invoke(ctx, publishCall(t, c, tt.body))
			if connectors.ErrorCode(err) != tt.code && !(tt.code == "" && err == nil) {
				t.Fatalf("err = %v, want %q", err, tt.code)
			}
			if tt.code == connectors.CodePublishFailed && !strings.Contains(err.Error(), "Error:") && !strings.Contains(err.Error(), "Expired:") {
				t.Fatalf("no upstream reason: %v", err)
			}
			if tt.code == "" && !strings.Contains(string(resp.Body), `"id"`) {
				t.Fatalf("body %s", resp.Body)
			}
			if got := f.MediaCount(fakegraph.DemoUserID) - before; got != tt.published {
				t.Fatalf("%d published, want %d", got, tt.published)
			}
		})
	}
}

func TestPublishTimeoutAndCreationID(t *testing.T) {
	c, f := newConnector(t)
	c.PublishTimeout = 150 * time.Millisecond
	ctx := context.Background()
	before := f.MediaCount(fakegraph.DemoUserID)
	_, err := c.Invoke(ctx, publishCall(t, c, `{"image_url":"https://example.com/stuck.jpg"}`))
	if connectors.ErrorCode(err) != connectors.CodePublishTimeout || f.MediaCount(fakegraph.DemoUserID) != before {
		t.Fatalf("stuck: %v", err)
	}
	// creation_id of a container still in progress: upstream refuses (9007).
	c.PublishTimeout = 2 * time.Second
	f.SetProcessingTime(time.Hour)
	resp, err := c.Client.Post(ctx, "/v21.0/"+fakegraph.DemoUserID+"/media", map[string][]string{"image_url": {"https://example.com/x.jpg"}}, fakegraph.DemoToken)
	if err != nil {
		t.Fatal(err)
	}
	id := strings.Split(string(resp.Body), `"`)[3]
	_, err = c.Invoke(ctx, publishCall(t, c, `{"creation_id":"`+id+`"}`))
	if e := connectors.AsError(err); e.Code != connectors.CodePublishFailed || e.Upstream == nil || e.Upstream.Code != 9007 || e.Upstream.ErrorSubcode != 2207027 {
		t.Fatalf("early creation_id: %+v", e)
	}
	// An unknown container: NOT_FOUND.
	_, err = c.Invoke(ctx, publishCall(t, c, `{"creation_id":"999"}`))
	if connectors.ErrorCode(err) != connectors.CodeNotFound {
		t.Fatalf("unknown container: %v", err)
	}
}
