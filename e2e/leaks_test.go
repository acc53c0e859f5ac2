package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/igconnect/gateway/internal/fakegraph"
)

// No access token, API key or admin token appears in any answer (body or
// header), paging link, metric or log line, across every error path.
func TestNoSecretLeaks(t *testing.T) {
	fake, a, b, secrets, fakeURL := twoReplicasURL(t)
	_ = fakeURL
	id, key := createConnection(t, a, fakegraph.DemoToken)
	_, otherKey := createConnection(t, a, fakegraph.OtherToken)
	secrets = append(secrets, key, otherKey)
	other := fake.AddMedia(fakegraph.OtherUserID, 1)[0]

	var answers []string
	keep := func(r answer) {
		var h strings.Builder
		r.Header.Write(&h)
		answers = append(answers, h.String()+r.Raw)
	}
	get := func(g *gateway, path string, header ...string) answer {
		r := call(t, "GET", g.URL+path, nil, header...)
		keep(r)
		return r
	}
	post := func(g *gateway, path, body string, header ...string) answer {
		r := call(t, "POST", g.URL+path, strings.NewReader(body), header...)
		keep(r)
		return r
	}
	k := "api_token=" + key
	// Success paths, paging included.
	get(a, "/instagram/v21.0/me?"+k)
	get(b, "/instagram/v21.0/me/media?limit=3&"+k)
	get(b, "/instagram/graph/v21.0/me/media?limit=3&"+k)
	// Caller errors.
	get(a, "/instagram/v21.0/me?api_token=igw_"+strings.Repeat("x", 43))
	get(a, "/instagram/v21.0/me", "Authorization", "Bearer "+adminToken)
	get(a, "/instagram/v21.0/me?fields=nope&"+k)
	get(a, "/instagram/v21.0/abc?"+k)
	get(a, "/instagram/v21.0/"+other+"?"+k)
	post(a, "/instagram/v21.0/me/media_publish?"+k, `{"image_url":"`+key+`"}`)
	post(a, "/instagram/v21.0/me/media_publish?"+k, `{"image_url":"https://example.com/error.jpg"}`)
	post(a, "/admin/connections", `{"access_token":"IGAAnotarealtoken123"}`, "Authorization", "Bearer "+adminToken)
	post(a, "/admin/connections", `{"access_token":"`+fakegraph.ExpiredToken+`"}`, "Authorization", "Bearer "+adminToken)
	get(a, "/admin/connections", "Authorization", "Bearer "+key)
	get(a, "/admin/connections", "Authorization", "Bearer "+adminToken)
	get(a, "/admin/connections/"+id, "Authorization", "Bearer "+adminToken)
	// Upstream errors that echo the token back.
	fake.SetFault(&fakegraph.Fault{Match: func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/me") }, Handle: func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		io.WriteString(w, `{"error":{"message":"Malformed access token `+fakegraph.DemoToken+`","type":"OAuthException","code":190,"fbtrace_id":"X"}}`)
	}})
	get(a, "/instagram/v21.0/me?"+k)
	fake.SetFault(nil)
	// Throttling, expired and revoked upstream tokens.
	fake.Throttle(fakegraph.DemoUserID, 4, time.Minute)
	get(a, "/instagram/v21.0/me?"+k)
	get(b, "/instagram/v21.0/me?"+k)
	fake.ExpireToken(fakegraph.OtherToken)
	get(a, "/instagram/v21.0/me?api_token="+otherKey)
	// Rotation answers carry the new key, once: that one is the caller's.
	rot := admin(t, "POST", a.URL+"/admin/connections/"+id+"/rotate", "")
	secrets = append(secrets, rot.Data()["api_key"].(string))
	get(b, "/instagram/v21.0/me?"+k)

	var metricsText []string
	for _, g := range []*gateway{a, b} {
		resp, err := client.Get(g.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		m, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		metricsText = append(metricsText, string(m))
	}
	for _, s := range secrets {
		for i, ans := range answers {
			if strings.Contains(ans, s) {
				t.Errorf("answer %d carries a secret (%.8s…): %.300s", i, s, ans)
			}
		}
		for _, m := range metricsText {
			if strings.Contains(m, s) {
				t.Errorf("metrics carry a secret (%.8s…)", s)
			}
		}
	}
	for _, m := range metricsText {
		if strings.Contains(m, "conn_") || strings.Contains(m, fakegraph.DemoUserID) {
			t.Error("metrics carry an ID")
		}
	}
	a.stop(t)
	b.stop(t)
	assertNoSecrets(t, secrets, a, b)
}
