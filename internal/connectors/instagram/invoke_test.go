package instagram

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/igconnect/gateway/internal/connectors"
)

// upstreamCall is a request the recorder received.
type upstreamCall struct {
	method, path, query, form string
}

func (u upstreamCall) String() string {
	return fmt.Sprintf("%s %s ?%s form %s", u.method, u.path, u.query, u.form)
}

// recorder is an upstream that records every request and answers each as
// Instagram would in shape: a new ID for a POST to an edge, a FINISHED
// container for a status, success otherwise.
type recorder struct {
	mu    sync.Mutex
	calls []upstreamCall
	next  int
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.calls = append(r.calls, upstreamCall{req.Method, req.URL.Path, req.URL.RawQuery, string(body)})
	r.next++
	id := 17900000000000000 + r.next
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch segs := strings.Split(strings.Trim(req.URL.Path, "/"), "/"); {
	case req.Method == http.MethodPost && len(segs) == 3:
		fmt.Fprintf(w, `{"id":"%d"}`, id)
	case req.Method == http.MethodGet && req.URL.Query().Get("fields") == "status_code,status":
		io.WriteString(w, `{"status_code":"FINISHED","status":"Finished"}`)
	case req.Method == http.MethodGet:
		io.WriteString(w, `{"data":[]}`)
	default:
		io.WriteString(w, `{"success":true}`)
	}
}

// take returns the calls received and starts over: the next answers'
// IDs count from 17900000000000001 again.
func (r *recorder) take() []upstreamCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.calls
	r.calls, r.next = nil, 0
	return out
}

// Each action reaches Instagram as its row says: its method and path, its
// validated query, its form body; Create Media Container creates a
// carousel's items, waits until they are FINISHED, then creates the
// carousel, which it neither waits for nor publishes.
func TestInvokeForwardsTheRow(t *testing.T) {
	rec := &recorder{}
	up := httptest.NewServer(rec)
	t.Cleanup(up.Close)
	c := New(&Client{BaseURL: up.URL, HTTP: NewHTTPClient(5 * time.Second)}, "v21.0", time.Second)
	r := connectors.NewRouter(c.Actions(), c.Unsupported(), c.Version)
	const (
		media = "17895695668004550"
		user  = "17841400000000001"
	)
	tests := []struct {
		method, path, query, body string
		want                      []upstreamCall
	}{
		{"GET", "me", "", "", []upstreamCall{{"GET", "/v21.0/me", "fields=id%2Cusername%2Caccount_type%2Cmedia_count", ""}}},
		{"GET", "ig_user_id", "IG_USER_ID=" + user + "&fields=biography", "", []upstreamCall{{"GET", "/v21.0/" + user, "fields=biography", ""}}},
		{"GET", media, "fields=status_code", "", []upstreamCall{{"GET", "/v21.0/" + media, "fields=status_code", ""}}},
		{"GET", "me/stories", "limit=2", "", []upstreamCall{{"GET", "/v21.0/me/stories", "fields=id%2Ccaption%2Cmedia_type%2Cmedia_url%2Cpermalink%2Cthumbnail_url%2Ctimestamp%2Cusername&limit=2", ""}}},
		{"GET", "me/insights", "metric=reach&period=day&since=1767225600&api_token=x", "", []upstreamCall{{"GET", "/v21.0/me/insights", "metric=reach&period=day&since=1767225600", ""}}},
		{"GET", media + "/insights", "metric=reach,views", "", []upstreamCall{{"GET", "/v21.0/" + media + "/insights", "metric=reach%2Cviews", ""}}},
		{"POST", media, "", `{"comment_enabled":false}`, []upstreamCall{{"POST", "/v21.0/" + media, "", "comment_enabled=false"}}},
		{"POST", "ig_comment_id", "IG_COMMENT_ID=" + media, `{"hide":true}`, []upstreamCall{{"POST", "/v21.0/" + media, "", "hide=true"}}},
		{"DELETE", media, "", "", []upstreamCall{{"DELETE", "/v21.0/" + media, "", ""}}},
		{"DELETE", "ig_comment_id", "IG_COMMENT_ID=" + media, "", []upstreamCall{{"DELETE", "/v21.0/" + media, "", ""}}},
		{"POST", media + "/comments", "", `{"message":"Nice & bright"}`, []upstreamCall{{"POST", "/v21.0/" + media + "/comments", "", "message=Nice+%26+bright"}}},
		{"POST", media + "/replies", "", `{"message":"Thanks"}`, []upstreamCall{{"POST", "/v21.0/" + media + "/replies", "", "message=Thanks"}}},
		{"POST", "me/media", "", `{"image_url":"https://example.com/a.jpg","caption":"hi"}`,
			[]upstreamCall{{"POST", "/v21.0/" + user + "/media", "", "caption=hi&image_url=https%3A%2F%2Fexample.com%2Fa.jpg"}}},
		{"POST", "ig_user_id/media", "IG_USER_ID=" + user, `{"caption":"album","children":["https://example.com/a.jpg",{"video_url":"https://example.com/b.mp4"}]}`,
			[]upstreamCall{
				{"POST", "/v21.0/" + user + "/media", "", "image_url=https%3A%2F%2Fexample.com%2Fa.jpg&is_carousel_item=true"},
				{"POST", "/v21.0/" + user + "/media", "", "is_carousel_item=true&media_type=VIDEO&video_url=https%3A%2F%2Fexample.com%2Fb.mp4"},
				{"GET", "/v21.0/17900000000000001", "fields=status_code%2Cstatus", ""},
				{"GET", "/v21.0/17900000000000002", "fields=status_code%2Cstatus", ""},
				{"POST", "/v21.0/" + user + "/media", "", "caption=album&children=17900000000000001%2C17900000000000002&media_type=CAROUSEL"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path+"?"+tt.query, func(t *testing.T) {
			q, _ := url.ParseQuery(tt.query)
			call, _, err := r.Build(tt.method, tt.path, q, []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			call.Token, call.UserID = "tok", user
			resp, err := c.Invoke(context.Background(), call)
			if err != nil {
				t.Fatal(err)
			}
			got := rec.take()
			if len(got) != len(tt.want) {
				t.Fatalf("upstream calls:\n%v\nwant\n%v", got, tt.want)
			}
			for i, w := range tt.want {
				if got[i] != w {
					t.Fatalf("upstream call %d:\n%v\nwant\n%v", i, got[i], w)
				}
			}
			if tt.method == "POST" && !strings.Contains(string(resp.Body), `"id"`) && !strings.Contains(string(resp.Body), `"success"`) {
				t.Fatalf("answer %s", resp.Body)
			}
		})
	}
}
