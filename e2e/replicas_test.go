package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/igconnect/gateway/internal/fakegraph"
	"github.com/igconnect/gateway/internal/redistest"
)

// twoReplicas starts two gateways on one redis-server against the fake.
func twoReplicas(t *testing.T) (*fakegraph.Server, *gateway, *gateway, []string) {
	f, a, b, secrets, _ := twoReplicasURL(t)
	return f, a, b, secrets
}

func twoReplicasURL(t *testing.T, extra ...string) (*fakegraph.Server, *gateway, *gateway, []string, string) {
	t.Helper()
	fake, fakeURL := startFake(t)
	rs := redistest.Start(t)
	key := newKey()
	env := map[string]string{
		"GATEWAY_REDIS_URL":       rs.URL(),
		"GATEWAY_ENCRYPTION_KEY":  key,
		"GATEWAY_ADMIN_TOKEN":     adminToken,
		"GATEWAY_INSTAGRAM_URL":   fakeURL,
		"GATEWAY_PUBLISH_TIMEOUT": "3s",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	a := startGateway(t, env)
	b := startGateway(t, env)
	return fake, a, b, []string{key, adminToken, fakegraph.DemoToken, fakegraph.OtherToken}, fakeURL
}

func TestReplicasEndToEnd(t *testing.T) {
	fake, a, b, secrets := twoReplicas(t)
	id, key := createConnection(t, a, fakegraph.DemoToken)
	secrets = append(secrets, key)
	media := fake.AddMedia(fakegraph.DemoUserID, 1)[0]

	t.Run("actions in both formats on the other replica", func(t *testing.T) {
		tests := []struct {
			name, method, path, body string
			check                    func(t *testing.T, d map[string]any)
		}{
			{"GetMyDetails", "GET", "/instagram/v21.0/me", "", func(t *testing.T, d map[string]any) {
				if d["id"] != fakegraph.DemoUserID || d["username"] != "sandbox_creator" || d["account_type"] == nil || d["media_count"] == nil {
					t.Fatal(d)
				}
			}},
			{"GetMyDetails without version", "GET", "/instagram/me?fields=id,followers_count", "", func(t *testing.T, d map[string]any) {
				if d["followers_count"] != 1234.0 || d["username"] != nil {
					t.Fatal(d)
				}
			}},
			{"GetMyMedia", "GET", "/instagram/v21.0/me/media?limit=3", "", func(t *testing.T, d map[string]any) {
				items := d["data"].([]any)
				first := items[0].(map[string]any)
				if len(items) != 3 || first["permalink"] == nil || first["media_type"] == nil || first["timestamp"] == nil {
					t.Fatal(d)
				}
			}},
			{"GetMediaDetails new", "GET", "/instagram/v21.0/" + media, "", func(t *testing.T, d map[string]any) {
				if d["id"] != media || d["caption"] == nil {
					t.Fatal(d)
				}
			}},
			{"GetMediaDetails old", "GET", "/instagram/v21.0/ig_media_id?IG_MEDIA_ID=" + media + "&fields=id,like_count", "", func(t *testing.T, d map[string]any) {
				if d["id"] != media || d["like_count"] == nil || d["caption"] != nil {
					t.Fatal(d)
				}
			}},
			{"Publish new", "POST", "/instagram/v21.0/me/media_publish", `{"image_url":"https://example.com/a.jpg","caption":"e2e"}`, func(t *testing.T, d map[string]any) {
				if d["id"] == nil {
					t.Fatal(d)
				}
			}},
			{"Publish old", "POST", "/instagram/v21.0/ig_user_id/media_publish?IG_USER_ID=" + fakegraph.DemoUserID, `{"video_url":"https://example.com/a.mp4"}`, func(t *testing.T, d map[string]any) {
				if d["id"] == nil {
					t.Fatal(d)
				}
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var body *strings.Reader
				if tt.body != "" {
					body = strings.NewReader(tt.body)
				}
				sep := "?"
				if strings.Contains(tt.path, "?") {
					sep = "&"
				}
				var r answer
				if body != nil {
					r = call(t, tt.method, b.URL+tt.path+sep+"api_token="+key, body)
				} else {
					r = call(t, tt.method, b.URL+tt.path+sep+"api_token="+key, nil)
				}
				if r.Status != 200 {
					t.Fatalf("%d %s", r.Status, r.Raw)
				}
				tt.check(t, r.Data())
			})
		}
	})

	t.Run("auth ways", func(t *testing.T) {
		for _, h := range [][]string{{"X-API-Key", key}, {"Authorization", "Bearer " + key}} {
			if r := call(t, "GET", a.URL+"/instagram/v21.0/me", nil, h...); r.Status != 200 {
				t.Fatalf("%s: %s", h[0], r.Raw)
			}
		}
		if r := call(t, "GET", a.URL+"/instagram/v21.0/me", nil); r.Status != 401 || r.Code() != "INVALID_API_TOKEN" {
			t.Fatal(r.Raw)
		}
	})

	t.Run("paging rewrite carries no token", func(t *testing.T) {
		next := b.URL + "/instagram/v21.0/me/media?limit=10&fields=id,caption"
		total := 0
		for pages := 0; next != "" && pages < 20; pages++ {
			r := call(t, "GET", next, nil, "X-API-Key", key)
			if r.Status != 200 || strings.Contains(r.Raw, fakegraph.DemoToken) || strings.Contains(r.Raw, "access_token") || strings.Contains(r.Raw, key) {
				t.Fatalf("%d %s", r.Status, r.Raw)
			}
			total += len(r.Data()["data"].([]any))
			next, _ = r.Body["nextLink"].(string)
			if next != "" {
				u, _ := url.Parse(next)
				if "http://"+u.Host != b.URL || u.Path != "/instagram/v21.0/me/media" {
					t.Fatalf("link %s", next)
				}
				paging := r.Data()["paging"].(map[string]any)
				if paging["next"] != next || paging["cursors"] == nil {
					t.Fatalf("paging %v", paging)
				}
			}
		}
		if total != fake.MediaCount(fakegraph.DemoUserID) {
			t.Fatalf("%d media over all pages, want %d", total, fake.MediaCount(fakegraph.DemoUserID))
		}
	})

	t.Run("error mapping", func(t *testing.T) {
		r := call(t, "GET", b.URL+"/instagram/v21.0/1234567?api_token="+key, nil)
		if r.Status != 404 || r.Code() != "NOT_FOUND" {
			t.Fatal(r.Raw)
		}
		r = call(t, "GET", b.URL+"/instagram/v21.0/me?fields=nope&api_token="+key, nil)
		if r.Status != 400 || !strings.Contains(r.Raw, "username") {
			t.Fatal(r.Raw)
		}
	})

	t.Run("rotate and delete take effect on the other replica", func(t *testing.T) {
		rot := admin(t, "POST", a.URL+"/admin/connections/"+id+"/rotate", "")
		newKey := rot.Data()["api_key"].(string)
		secrets = append(secrets, newKey)
		if r := call(t, "GET", b.URL+"/instagram/v21.0/me?api_token="+key, nil); r.Status != 401 {
			t.Fatalf("old key on the other replica: %s", r.Raw)
		}
		if r := call(t, "GET", b.URL+"/instagram/v21.0/me?api_token="+newKey, nil); r.Status != 200 {
			t.Fatalf("new key: %s", r.Raw)
		}
		if r := admin(t, "DELETE", b.URL+"/admin/connections/"+id, ""); r.Status != 200 {
			t.Fatal(r.Raw)
		}
		if r := call(t, "GET", a.URL+"/instagram/v21.0/me?api_token="+newKey, nil); r.Status != 401 {
			t.Fatalf("deleted key on the other replica: %s", r.Raw)
		}
	})

	a.stop(t)
	b.stop(t)
	assertNoSecrets(t, secrets, a, b)
}

// 130 concurrent calls on one connection across two replicas: exactly 100
// pass, 30 get 429 with Retry-After; another connection is untouched.
func TestExactLimitAcrossReplicas(t *testing.T) {
	_, a, b, secrets := twoReplicas(t)
	id1, key1 := createConnection(t, a, fakegraph.DemoToken)
	_, key2 := createConnection(t, b, fakegraph.OtherToken)
	secrets = append(secrets, key1, key2)

	var mu sync.Mutex
	counts := map[int]int{}
	var wg sync.WaitGroup
	var failures []string
	for i := range 130 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := a
			if i%2 == 1 {
				g = b
			}
			r, err := tryCall(http.MethodGet, g.URL+"/instagram/v21.0/me?api_token="+key1, nil)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failures = append(failures, err.Error())
				return
			}
			counts[r.Status]++
			if r.Status == 429 && (r.Header.Get("Retry-After") == "" || r.Code() != "RATE_LIMITED" || r.Header.Get("X-RateLimit-Remaining") != "0") {
				failures = append(failures, "429 without Retry-After: "+r.Raw)
			}
		}()
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatal(failures[0])
	}
	if counts[200] != 100 || counts[429] != 30 {
		t.Fatalf("statuses %v, want 100×200 and 30×429", counts)
	}
	r := call(t, "GET", b.URL+"/instagram/v21.0/me?api_token="+key2, nil)
	if r.Status != 200 || r.Header.Get("X-RateLimit-Remaining") != "99" {
		t.Fatalf("the other connection: %d %v", r.Status, r.Header)
	}
	// Rotating the key does not reset the count.
	rot := admin(t, "POST", a.URL+"/admin/connections/"+id1+"/rotate", "")
	rotated := rot.Data()["api_key"].(string)
	secrets = append(secrets, rotated)
	if r := call(t, "GET", b.URL+"/instagram/v21.0/me?api_token="+rotated, nil); r.Status != 429 {
		t.Fatalf("rotation reset the limit: %d", r.Status)
	}
	assertNoSecrets(t, secrets, a, b)
}

func TestPublishModes(t *testing.T) {
	fake, a, _, secrets, fakeURL := twoReplicasURL(t)
	_, key := createConnection(t, a, fakegraph.DemoToken)
	secrets = append(secrets, key)
	publish := func(body string) answer {
		return call(t, "POST", a.URL+"/instagram/v21.0/me/media_publish?api_token="+key, strings.NewReader(body))
	}
	tests := []struct {
		name, body string
		status     int
		code       string
		published  int
	}{
		{"image", `{"image_url":"https://example.com/a.jpg","caption":"hello","alt_text":"a cat"}`, 200, "", 1},
		{"video", `{"media_type":"VIDEO","video_url":"https://example.com/a.mp4"}`, 200, "", 1},
		{"reels", `{"media_type":"REELS","video_url":"https://example.com/a.mp4"}`, 200, "", 1},
		{"stories", `{"media_type":"STORIES","image_url":"https://example.com/a.jpg"}`, 200, "", 1},
		{"carousel", `{"media_type":"CAROUSEL","caption":"album","children":[{"image_url":"https://example.com/1.jpg"},{"video_url":"https://example.com/2.mp4"},"https://example.com/3.jpg"]}`, 200, "", 1},
		{"error container", `{"image_url":"https://example.com/error.jpg"}`, 422, "PUBLISH_FAILED", 0},
		{"expired container", `{"image_url":"https://example.com/expire.jpg"}`, 422, "PUBLISH_FAILED", 0},
		{"never finishes", `{"image_url":"https://example.com/stuck.jpg"}`, 504, "PUBLISH_TIMEOUT", 0},
		{"unknown creation_id", `{"creation_id":"123"}`, 404, "NOT_FOUND", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := fake.MediaCount(fakegraph.DemoUserID)
			r := publish(tt.body)
			if r.Status != tt.status || r.Code() != tt.code {
				t.Fatalf("%d %s", r.Status, r.Raw)
			}
			if got := fake.MediaCount(fakegraph.DemoUserID) - before; got != tt.published {
				t.Fatalf("%d published", got)
			}
			if tt.code == "PUBLISH_FAILED" && !strings.Contains(r.Raw, "Error:") && !strings.Contains(r.Raw, "Expired:") {
				t.Fatalf("no upstream reason: %s", r.Raw)
			}
		})
	}
	t.Run("creation_id", func(t *testing.T) {
		// Step 1 directly upstream, then step 2 alone through the gateway:
		// refused while in progress, published once FINISHED.
		fake.SetProcessingTime(300 * time.Millisecond)
		req, _ := http.NewRequest("POST", fakeURL+"/v21.0/me/media?image_url=https://example.com/c.jpg", nil)
		req.Header.Set("Authorization", "Bearer "+fakegraph.DemoToken)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var c struct{ ID string }
		json.NewDecoder(resp.Body).Decode(&c)
		resp.Body.Close()
		cid := c.ID
		if cid == "" {
			t.Fatal("no container id")
		}
		if r := publish(`{"creation_id":"` + cid + `"}`); r.Status != 422 || r.Code() != "PUBLISH_FAILED" || !strings.Contains(r.Raw, `"code":9007`) {
			t.Fatalf("in progress: %s", r.Raw)
		}
		time.Sleep(400 * time.Millisecond)
		before := fake.MediaCount(fakegraph.DemoUserID)
		if r := publish(`{"creation_id":"` + cid + `"}`); r.Status != 200 || r.Data()["id"] == nil || fake.MediaCount(fakegraph.DemoUserID) != before+1 {
			t.Fatalf("finished: %s", r.Raw)
		}
	})
	assertNoSecrets(t, secrets, a)
}
