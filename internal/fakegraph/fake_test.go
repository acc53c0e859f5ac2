package fakegraph

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func newFake(t *testing.T) (*Server, *httptest.Server) {
	t.Helper()
	f := New()
	f.ProcessingTime = 20 * time.Millisecond
	f.Seed()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func call(t *testing.T, method, u, tok string, form url.Values) (int, http.Header, map[string]any) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, out
}

func errCode(m map[string]any) (code, sub float64) {
	e, _ := m["error"].(map[string]any)
	c, _ := e["code"].(float64)
	s, _ := e["error_subcode"].(float64)
	if e != nil && (e["fbtrace_id"] == "" || e["message"] == "" || e["type"] == "") {
		return -1, -1
	}
	return c, s
}

func TestErrors(t *testing.T) {
	f, srv := newFake(t)
	otherMedia := f.AddMedia(OtherUserID, 1)[0]
	tests := []struct {
		name      string
		path, tok string
		code, sub float64
	}{
		{"no token", "/v21.0/me", "", 2500, 0},
		{"unknown token", "/v21.0/me", "garbage", 190, 0},
		{"expired token", "/v21.0/me", ExpiredToken, 190, 463},
		{"another user's media", "/v21.0/" + otherMedia, DemoToken, 100, 33},
		{"unknown object", "/v21.0/1234", DemoToken, 100, 33},
		{"unknown field", "/v21.0/me?fields=id,nope", DemoToken, 100, 0},
		{"unknown path", "/v21.0/me/a/b", DemoToken, 2500, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, _, body := call(t, "GET", srv.URL+tt.path, tt.tok, nil)
			if c, s := errCode(body); st != 400 || c != tt.code || s != tt.sub {
				t.Fatalf("status %d code %v/%v, want 400 %v/%v: %v", st, c, s, tt.code, tt.sub, body)
			}
		})
	}
	f.RevokeToken(OtherToken)
	if _, _, body := call(t, "GET", srv.URL+"/v21.0/me", OtherToken, nil); func() bool { c, s := errCode(body); return c != 190 || s != 460 }() {
		t.Fatalf("revoked: %v", body)
	}
}

func TestPagingEmbedsToken(t *testing.T) {
	_, srv := newFake(t)
	next := srv.URL + "/v21.0/me/media?fields=id,caption&limit=7"
	seen := map[string]bool{}
	pages := 0
	for next != "" && pages < 10 {
		st, h, body := call(t, "GET", next, DemoToken, nil)
		if st != 200 || h.Get("X-App-Usage") == "" || !strings.Contains(h.Get("X-Business-Use-Case-Usage"), DemoUserID) {
			t.Fatalf("page %d: %d %v %v", pages, st, h, body)
		}
		for _, item := range body["data"].([]any) {
			seen[item.(map[string]any)["id"].(string)] = true
		}
		paging := body["paging"].(map[string]any)
		next, _ = paging["next"].(string)
		if next != "" && !strings.Contains(next, "access_token="+DemoToken) {
			t.Fatalf("next does not embed the token: %s", next)
		}
		if pages > 0 && paging["previous"] == nil {
			t.Fatal("no previous link after the first page")
		}
		pages++
	}
	if len(seen) != demoMediaSize || pages != 5 {
		t.Fatalf("%d media over %d pages", len(seen), pages)
	}
}

func TestThrottle(t *testing.T) {
	f, srv := newFake(t)
	for _, code := range []int{4, 17, 32, 613} {
		f.Throttle(DemoUserID, code, 90*time.Second)
		_, h, body := call(t, "GET", srv.URL+"/v21.0/me", DemoToken, nil)
		if c, _ := errCode(body); int(c) != code {
			t.Fatalf("code %v, want %d", c, code)
		}
		if !strings.Contains(h.Get("X-Business-Use-Case-Usage"), `"estimated_time_to_regain_access":2`) {
			t.Fatalf("usage header: %s", h.Get("X-Business-Use-Case-Usage"))
		}
	}
}

func TestPublishFlow(t *testing.T) {
	f, srv := newFake(t)
	base := srv.URL + "/v21.0/" + DemoUserID
	create := func(form url.Values) string {
		t.Helper()
		st, _, body := call(t, "POST", base+"/media", DemoToken, form)
		if st != 200 {
			t.Fatalf("create: %v", body)
		}
		return body["id"].(string)
	}
	id := create(url.Values{"image_url": {"https://example.com/a.jpg"}, "caption": {"hi"}})
	// Not ready yet: 9007/2207027.
	_, _, body := call(t, "POST", base+"/media_publish", DemoToken, url.Values{"creation_id": {id}})
	if c, s := errCode(body); c != 9007 || s != 2207027 {
		t.Fatalf("early publish: %v", body)
	}
	time.Sleep(30 * time.Millisecond)
	_, _, body = call(t, "GET", srv.URL+"/v21.0/"+id+"?fields=status_code,status", DemoToken, nil)
	if body["status_code"] != StateFinished {
		t.Fatalf("status: %v", body)
	}
	before := f.MediaCount(DemoUserID)
	st, _, body := call(t, "POST", base+"/media_publish", DemoToken, url.Values{"creation_id": {id}})
	if st != 200 || body["id"] == nil || f.MediaCount(DemoUserID) != before+1 {
		t.Fatalf("publish: %v", body)
	}
	if c, _ := f.Container(id); c.State() != StatePublished {
		t.Fatalf("state %s", c.State())
	}
	// Failures and hints.
	bad := create(url.Values{"image_url": {"https://example.com/error.jpg"}})
	time.Sleep(30 * time.Millisecond)
	if c, _ := f.Container(bad); c.State() != StateError {
		t.Fatalf("error hint: %s", c.State())
	}
	for name, form := range map[string]url.Values{
		"no image":     {"caption": {"x"}},
		"no video":     {"media_type": {"REELS"}},
		"one child":    {"media_type": {"CAROUSEL"}, "children": {id}},
		"bad type":     {"media_type": {"GIF"}, "image_url": {"u"}},
		"long caption": {"image_url": {"u"}, "caption": {strings.Repeat("a", 2201)}},
	} {
		if st, _, body := call(t, "POST", base+"/media", DemoToken, form); st != 400 {
			t.Errorf("%s: %d %v", name, st, body)
		}
	}
	// Another user's container is invisible.
	if _, _, body := call(t, "POST", srv.URL+"/v21.0/"+OtherUserID+"/media_publish", OtherToken, url.Values{"creation_id": {bad}}); func() bool { c, s := errCode(body); return c != 100 || s != 33 }() {
		t.Fatalf("foreign container: %v", body)
	}
}

// TestSeedContainerPublishes: the README's creation_id example exists in
// the sandbox and publishes once.
func TestSeedContainerPublishes(t *testing.T) {
	s := New()
	s.Seed()
	srv := httptest.NewServer(s)
	defer srv.Close()
	publish := func() int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v21.0/"+DemoUserID+"/media_publish", strings.NewReader("creation_id="+DemoContainerID))
		req.Header.Set("Authorization", "Bearer "+DemoToken)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := publish(); st != http.StatusOK {
		t.Fatalf("first publish: %d", st)
	}
	if st := publish(); st == http.StatusOK {
		t.Fatal("a container published twice")
	}
}
