package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/igconnect/gateway/internal/fakegraph"
	"github.com/igconnect/gateway/internal/redistest"
)

// Token lifecycle end to end: connections' Instagram tokens are refreshed
// automatically, once each across replicas, through replica crashes and
// Redis outages, and a token Instagram rejects puts its connection in
// "reauthorize" until an admin replaces it.

// The refresher's log lines (cmd/gateway/wire.go) and series.
const (
	rfMsgOK         = "token refreshed"
	rfMsgFailed     = "token refresh failed"
	rfMsgRejected   = "token refresh rejected: the connection needs a new token"
	rfMsgSweepFails = "token refresh sweep stopped early; the next one retries"
	rfSeries        = "gateway_token_refreshes_total"
)

// rfUser is a fake Instagram account and its long-lived token.
type rfUser struct{ ID, Username, Token string }

// rfToken returns a random token the fake can issue.
func rfToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "IGAAe2eRefresh" + hex.EncodeToString(b)
}

// rfAddUsers adds n accounts to f, each with a long-lived token issued 25
// hours ago: old enough for Instagram to refresh it.
func rfAddUsers(f *fakegraph.Server, n int) []rfUser {
	users := make([]rfUser, n)
	for i := range users {
		u := rfUser{ID: fmt.Sprintf("178414000000100%02d", i), Username: fmt.Sprintf("refresh_user_%02d", i), Token: rfToken()}
		f.AddUser(fakegraph.User{ID: u.ID, Username: u.Username}, u.Token)
		f.IssueToken(u.ID, u.Token, time.Now().Add(-25*time.Hour))
		users[i] = u
	}
	return users
}

// rfWaitFor polls cond every 25 ms until it holds, and fails the test if
// it does not within timeout.
func rfWaitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", timeout, what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// rfAllRefreshed tells whether every user's token was refreshed at least
// once upstream.
func rfAllRefreshed(f *fakegraph.Server, users []rfUser) bool {
	for _, u := range users {
		if f.Refreshes(u.ID) < 1 {
			return false
		}
	}
	return true
}

// rfRefreshedOnce checks that every user's token was refreshed exactly once
// upstream.
func rfRefreshedOnce(t *testing.T, f *fakegraph.Server, users []rfUser) {
	t.Helper()
	for _, u := range users {
		if n := f.Refreshes(u.ID); n != 1 {
			t.Errorf("user %s: %d refreshes upstream, want exactly 1", u.ID, n)
		}
	}
}

// rfCount is a gateway's gateway_token_refreshes_total{result} (0 while
// the series does not exist).
func rfCount(t *testing.T, g *gateway, result string) float64 {
	t.Helper()
	v, _ := sample(scrape(t, g), rfSeries, map[string]string{"result": result})
	return v
}

// rfLines returns g's log lines with message msg.
func rfLines(g *gateway, msg string) []map[string]any {
	var out []map[string]any
	for _, l := range g.logLines() {
		if l["msg"] == msg {
			out = append(out, l)
		}
	}
	return out
}

// rfView is the admin view of connection id.
func rfView(t *testing.T, g *gateway, id string) map[string]any {
	t.Helper()
	a := admin(t, "GET", g.URL+"/admin/connections/"+id, "")
	if a.Status != 200 {
		t.Fatalf("GET connection %s: %d %s", id, a.Status, a.Raw)
	}
	return a.Data()
}

// rfTime parses a time of an admin view or a log line (zero when absent).
func rfTime(t *testing.T, v any) time.Time {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		return time.Time{}
	}
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("time %q: %v", s, err)
	}
	return at
}

// rfNear tells whether a and b are within d of each other.
func rfNear(a, b time.Time, d time.Duration) bool {
	diff := a.Sub(b)
	return diff <= d && diff >= -d
}

// rfCheckRefreshed checks the admin view of a connection refreshed between
// from and to: active, no last error, refreshed then, expiring 60 days
// after the refresh, next due 720 hours (GATEWAY_TOKEN_REFRESH_BEFORE's
// default) before that.
func rfCheckRefreshed(t *testing.T, g *gateway, id string, from, to time.Time) {
	t.Helper()
	v := rfView(t, g, id)
	refreshed, expires, due := rfTime(t, v["token_refreshed_at"]), rfTime(t, v["token_expires_at"]), rfTime(t, v["token_refresh_due_at"])
	switch {
	case v["status"] != "active" || v["last_error"] != nil:
		t.Errorf("connection %s after its refresh: %v", id, v)
	case refreshed.IsZero() || refreshed.Before(from.Add(-time.Second)) || refreshed.After(to.Add(time.Second)):
		t.Errorf("connection %s: token_refreshed_at %v, want between %v and %v", id, v["token_refreshed_at"], from, to)
	case !rfNear(expires, refreshed.Add(fakegraph.TokenLifetime), 2*time.Second) || !rfNear(expires, time.Now().Add(fakegraph.TokenLifetime), time.Minute):
		t.Errorf("connection %s: token_expires_at %v, want 60 days after its refresh (%v)", id, v["token_expires_at"], refreshed)
	case !rfNear(due, expires.Add(-720*time.Hour), 2*time.Second):
		t.Errorf("connection %s: token_refresh_due_at %v, want 720h before its expiry %v", id, v["token_refresh_due_at"], expires)
	}
}

// rfLoggedRefreshes returns the connection IDs of gws' "token refreshed"
// lines, each with how many times it was logged, and checks each line's
// shape.
func rfLoggedRefreshes(t *testing.T, gws ...*gateway) map[string]int {
	t.Helper()
	seen := map[string]int{}
	for i, g := range gws {
		for _, l := range rfLines(g, rfMsgOK) {
			id, _ := l["connection_id"].(string)
			if id == "" || l["level"] != "INFO" || l["result"] != "ok" || rfTime(t, l["expires_at"]).IsZero() {
				t.Errorf("gateway %d: token refreshed line %v", i, l)
			}
			seen[id]++
		}
	}
	return seen
}

// rfCheckLoggedOnce checks that gws logged one "token refreshed" line for
// each of ids, and none for another connection.
func rfCheckLoggedOnce(t *testing.T, ids []string, gws ...*gateway) {
	t.Helper()
	seen := rfLoggedRefreshes(t, gws...)
	for _, id := range ids {
		if seen[id] != 1 {
			t.Errorf("connection %s: %d token refreshed lines, want 1", id, seen[id])
		}
		delete(seen, id)
	}
	if len(seen) > 0 {
		t.Errorf("token refreshed lines of unknown connections: %v", seen)
	}
}

// rfTap stands between a gateway and the fake (a reverse proxy): it counts
// the refresh requests, notes the tokens they answer, and may hold them a
// while (delay) or until the caller gives up (hang).
type rfTap struct {
	URL string

	mu       sync.Mutex
	hits     int
	inFlight int
	tokens   []string
}

func (p *rfTap) refreshes() (hits, inFlight int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits, p.inFlight
}

// issued returns the tokens the refreshes through p answered.
func (p *rfTap) issued() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.tokens...)
}

func rfIsRefresh(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/refresh_access_token") }

// rfStartTap proxies to fakeURL on loopback for the test's life; refresh
// requests hang until their caller gives up (hang), or wait delay first.
func rfStartTap(t *testing.T, fakeURL string, hang bool, delay time.Duration) *rfTap {
	t.Helper()
	target, err := url.Parse(fakeURL)
	if err != nil {
		t.Fatal(err)
	}
	p := &rfTap{}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) { w.WriteHeader(http.StatusBadGateway) }
	rp.ModifyResponse = func(resp *http.Response) error {
		if !rfIsRefresh(resp.Request) || resp.StatusCode != http.StatusOK {
			return nil
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		var grant struct {
			AccessToken string `json:"access_token"`
		}
		if json.Unmarshal(body, &grant) == nil && grant.AccessToken != "" {
			p.mu.Lock()
			p.tokens = append(p.tokens, grant.AccessToken)
			p.mu.Unlock()
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rfIsRefresh(r) {
			p.mu.Lock()
			p.hits++
			p.inFlight++
			p.mu.Unlock()
			defer func() {
				p.mu.Lock()
				p.inFlight--
				p.mu.Unlock()
			}()
			if hang {
				<-r.Context().Done()
				return
			}
			if delay > 0 {
				select {
				case <-time.After(delay):
				case <-r.Context().Done():
					return
				}
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// rfRedisEnv is the environment of replicas sharing rs, with quick
// refreshes: a token is due a second after the gateway got it, sweeps run
// every 200 ms.
func rfRedisEnv(rs *redistest.Server, encKey, instagramURL string, extra ...string) map[string]string {
	env := map[string]string{
		"GATEWAY_REDIS_URL":            rs.URL(),
		"GATEWAY_ENCRYPTION_KEY":       encKey,
		"GATEWAY_ADMIN_TOKEN":          adminToken,
		"GATEWAY_INSTAGRAM_URL":        instagramURL,
		"GATEWAY_TOKEN_MIN_AGE":        "1s",
		"GATEWAY_TOKEN_CHECK_INTERVAL": "200ms",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	return env
}

// rfMe calls GET /me with key on g.
func rfMe(t *testing.T, g *gateway, key string) answer {
	t.Helper()
	return call(t, "GET", g.URL+"/instagram/v21.0/me?api_token="+key, nil)
}

// rfErrorMessage is an error envelope's message.
func rfErrorMessage(a answer) string {
	e, _ := a.Data()["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

// rfKilled SIGKILLs g and waits until it is gone.
func rfKilled(t *testing.T, g *gateway) {
	t.Helper()
	g.kill()
	select {
	case err := <-g.done:
		g.done <- err
	case <-time.After(10 * time.Second):
		t.Fatal("the killed gateway did not exit")
	}
}

// Two replicas on one Redis: each due token is refreshed exactly once
// between them, the new token is the one used, and each refresh is one log
// line and one count on the replica that did it.
func TestTokenRefreshTwoReplicasOnce(t *testing.T) {
	const n = 20
	fake, fakeURL := startFake(t)
	users := rfAddUsers(fake, n)
	tap := rfStartTap(t, fakeURL, false, 0)
	rs := redistest.Start(t)
	encKey := newKey()
	env := rfRedisEnv(rs, encKey, tap.URL)
	a := startGateway(t, env)
	b := startGateway(t, env)
	gws := []*gateway{a, b}

	start := time.Now()
	ids, keys := make([]string, n), make([]string, n)
	secrets := []string{encKey, adminToken}
	// 50 ms apart: the tokens fall due over five sweep intervals, so that
	// both replicas' sweeps find some due.
	for i, u := range users {
		ids[i], keys[i] = createConnection(t, gws[i%2], u.Token)
		secrets = append(secrets, u.Token, keys[i])
		time.Sleep(50 * time.Millisecond)
	}
	rfWaitFor(t, 20*time.Second, "every token refreshed upstream", func() bool { return rfAllRefreshed(fake, users) })
	rfWaitFor(t, 5*time.Second, "every refresh counted", func() bool { return rfCount(t, a, "ok")+rfCount(t, b, "ok") >= n })
	refreshed := time.Now()
	t.Logf("%d tokens refreshed %v after the first connection was created", n, refreshed.Sub(start).Round(time.Millisecond))
	time.Sleep(5 * 200 * time.Millisecond) // five more sweeps on each replica

	rfRefreshedOnce(t, fake, users)
	if hits, _ := tap.refreshes(); hits != n {
		t.Errorf("%d refresh requests upstream, want %d", hits, n)
	}
	okA, okB := rfCount(t, a, "ok"), rfCount(t, b, "ok")
	if okA+okB != n {
		t.Errorf("%s{result=ok}: %v + %v, want %d in all", rfSeries, okA, okB, n)
	}
	for i, g := range gws {
		for _, result := range []string{"error", "reauthorize"} {
			if v := rfCount(t, g, result); v != 0 {
				t.Errorf("gateway %d: %s{result=%s} = %v", i, rfSeries, result, v)
			}
		}
		if l := rfLines(g, rfMsgFailed); len(l) > 0 {
			t.Errorf("gateway %d: %d failed refreshes: %v", i, len(l), l[0])
		}
	}
	rfCheckLoggedOnce(t, ids, a, b)
	t.Logf("replica A refreshed %v tokens, replica B %v", okA, okB)
	for i, id := range ids {
		rfCheckRefreshed(t, gws[(i+1)%2], id, start, refreshed)
	}

	// The old tokens revoked upstream: every key still calls, on either
	// replica, so the gateway calls with the refreshed tokens.
	for _, u := range users {
		fake.RevokeToken(u.Token)
	}
	for i, key := range keys {
		for _, g := range gws {
			if r := rfMe(t, g, key); r.Status != 200 || r.Data()["username"] != users[i].Username {
				t.Errorf("key %d after the refresh: %d %s", i, r.Status, r.Raw)
			}
		}
	}
	rfRefreshedOnce(t, fake, users)

	a.stop(t)
	b.stop(t)
	fresh := tap.issued()
	if len(fresh) != n {
		t.Errorf("%d refreshed tokens seen upstream, want %d", len(fresh), n)
	}
	assertNoSecrets(t, append(secrets, fresh...), a, b)
}

// The replica holding the claims is killed while its refreshes hang
// upstream: the other replica refreshes every token, each exactly once,
// within the claims' lease of the kill.
func TestTokenRefreshClaimsOfKilledReplica(t *testing.T) {
	const (
		n = 10
		// lease = 2×(GATEWAY_UPSTREAM_RETRIES+1)×GATEWAY_UPSTREAM_TIMEOUT + 5s
		lease  = 7 * time.Second
		margin = 5 * time.Second
	)
	fake, fakeURL := startFake(t)
	users := rfAddUsers(fake, n)
	hang := rfStartTap(t, fakeURL, true, 0)
	rs := redistest.Start(t)
	encKey := newKey()
	extra := []string{"GATEWAY_UPSTREAM_TIMEOUT", "1s", "GATEWAY_UPSTREAM_RETRIES", "0"}

	a := startGateway(t, rfRedisEnv(rs, encKey, hang.URL, extra...))
	ids, keys := make([]string, n), make([]string, n)
	secrets := []string{encKey, adminToken}
	for i, u := range users {
		ids[i], keys[i] = createConnection(t, a, u.Token)
		secrets = append(secrets, u.Token, keys[i])
	}
	rfWaitFor(t, 10*time.Second, "replica A asks upstream for a refresh", func() bool {
		hits, _ := hang.refreshes()
		return hits > 0
	})
	rfKilled(t, a)
	killed := time.Now()
	held, _ := hang.refreshes()
	if l := rfLines(a, rfMsgFailed); len(l) > 0 {
		t.Logf("replica A recorded %d failed refreshes before it died (its upstream timeout passed first)", len(l))
	}
	if l := rfLines(a, rfMsgOK); len(l) > 0 {
		t.Fatalf("replica A refreshed through a hanging upstream: %v", l)
	}
	for _, u := range users {
		if n := fake.Refreshes(u.ID); n != 0 {
			t.Fatalf("user %s refreshed before replica B started", u.ID)
		}
	}

	b := startGateway(t, rfRedisEnv(rs, encKey, fakeURL, extra...))
	rfWaitFor(t, time.Until(killed.Add(lease+margin)), "every token refreshed by replica B within the lease of the kill", func() bool {
		return rfAllRefreshed(fake, users)
	})
	took := time.Since(killed)
	t.Logf("replica A held %d refreshes when killed; replica B refreshed all %d tokens %v after the kill", held, n, took.Round(time.Millisecond))
	rfWaitFor(t, 5*time.Second, "every refresh counted", func() bool { return rfCount(t, b, "ok") >= n })
	refreshed := time.Now()
	time.Sleep(5 * 200 * time.Millisecond)

	rfRefreshedOnce(t, fake, users)
	if v := rfCount(t, b, "ok"); v != n {
		t.Errorf("replica B: %s{result=ok} = %v, want %d", rfSeries, v, n)
	}
	rfCheckLoggedOnce(t, ids, b)
	for i, id := range ids {
		rfCheckRefreshed(t, b, id, killed, refreshed)
		if r := rfMe(t, b, keys[i]); r.Status != 200 || r.Data()["username"] != users[i].Username {
			t.Errorf("key %d after the refresh: %d %s", i, r.Status, r.Raw)
		}
	}
	b.stop(t)
	assertNoSecrets(t, secrets, a, b)
}

// Redis is down when the tokens fall due: the sweeps fail and say so, and
// once Redis is back every token is refreshed, exactly once.
func TestTokenRefreshRedisDownDuringSweeps(t *testing.T) {
	const (
		n      = 5
		minAge = 3 * time.Second
	)
	fake, fakeURL := startFake(t)
	users := rfAddUsers(fake, n)
	tap := rfStartTap(t, fakeURL, false, 0)
	rs := redistest.Start(t)
	encKey := newKey()
	g := startGateway(t, rfRedisEnv(rs, encKey, tap.URL, "GATEWAY_TOKEN_MIN_AGE", minAge.String()))

	ids, keys := make([]string, n), make([]string, n)
	secrets := []string{encKey, adminToken}
	for i, u := range users {
		ids[i], keys[i] = createConnection(t, g, u.Token)
		secrets = append(secrets, u.Token, keys[i])
	}
	due := time.Now().Add(minAge)
	rs.Stop()
	for _, u := range users {
		if n := fake.Refreshes(u.ID); n != 0 {
			t.Fatalf("user %s refreshed before it was due: creating the connections took over %v", u.ID, minAge)
		}
	}

	// Sweeps past the due time fail on the store.
	failedAfterDue := func() []map[string]any {
		var out []map[string]any
		for _, l := range rfLines(g, rfMsgSweepFails) {
			if rfTime(t, l["time"]).After(due) {
				out = append(out, l)
			}
		}
		return out
	}
	rfWaitFor(t, minAge+10*time.Second, "three sweeps failing past the due time", func() bool { return len(failedAfterDue()) >= 3 })
	for _, l := range failedAfterDue() {
		if l["level"] != "WARN" || l["err"] == nil {
			t.Errorf("failed sweep's line: %v", l)
		}
	}
	for _, u := range users {
		if n := fake.Refreshes(u.ID); n != 0 {
			t.Fatalf("user %s refreshed while Redis was down", u.ID)
		}
	}

	rs.Restart()
	restarted := time.Now()
	rfWaitFor(t, 10*time.Second, "every token refreshed once Redis is back", func() bool { return rfAllRefreshed(fake, users) })
	t.Logf("every token refreshed %v after Redis came back", time.Since(restarted).Round(time.Millisecond))
	rfWaitFor(t, 5*time.Second, "every refresh counted", func() bool { return rfCount(t, g, "ok") >= n })
	refreshed := time.Now()
	time.Sleep(5 * 200 * time.Millisecond)

	rfRefreshedOnce(t, fake, users)
	if v := rfCount(t, g, "ok"); v != n {
		t.Errorf("%s{result=ok} = %v, want %d", rfSeries, v, n)
	}
	if v := rfCount(t, g, "error"); v != 0 {
		t.Errorf("%s{result=error} = %v: a refresh failed", rfSeries, v)
	}
	rfCheckLoggedOnce(t, ids, g)
	for i, id := range ids {
		rfCheckRefreshed(t, g, id, restarted, refreshed)
		if r := rfMe(t, g, keys[i]); r.Status != 200 {
			t.Errorf("key %d after the refresh: %d %s", i, r.Status, r.Raw)
		}
	}
	g.stop(t)
	assertNoSecrets(t, append(secrets, tap.issued()...), g)
}

// A token revoked upstream before its first refresh: the refresh's 190
// puts the connection in "reauthorize" (one count, one WARN line, calls
// answer 401 naming the fix, no retry); a new token of the same account
// through PUT /admin/connections/{id}/token makes it active again, the same
// key calls on, and the new token is refreshed in its turn.
func TestTokenRefreshRevokedUpstream(t *testing.T) {
	fake, fakeURL := startFake(t)
	u := rfAddUsers(fake, 1)[0]
	tap := rfStartTap(t, fakeURL, false, 0)
	g := startGateway(t, map[string]string{
		"GATEWAY_DATA_DIR": t.TempDir(), "GATEWAY_ADMIN_TOKEN": adminToken, "GATEWAY_INSTAGRAM_URL": tap.URL,
		"GATEWAY_TOKEN_MIN_AGE": "1s", "GATEWAY_TOKEN_CHECK_INTERVAL": "200ms",
	})
	id, key := createConnection(t, g, u.Token)
	fake.RevokeToken(u.Token)

	rfWaitFor(t, 10*time.Second, "the connection needs reauthorization", func() bool { return rfView(t, g, id)["status"] == "reauthorize" })
	rfWaitFor(t, 2*time.Second, "the rejection counted", func() bool { return rfCount(t, g, "reauthorize") >= 1 })
	time.Sleep(3 * 200 * time.Millisecond) // three more sweeps: no retry

	v := rfView(t, g, id)
	lastErr, _ := v["last_error"].(map[string]any)
	if lastErr["code"] != "UPSTREAM_TOKEN_INVALID" || lastErr["message"] == nil || rfTime(t, lastErr["at"]).IsZero() {
		t.Errorf("last_error: %v", v["last_error"])
	}
	if v["token_refresh_due_at"] != nil {
		t.Errorf("a rejected token is due again: %v", v["token_refresh_due_at"])
	}
	if hits, _ := tap.refreshes(); hits != 1 {
		t.Errorf("%d refresh requests upstream for a rejected token, want 1", hits)
	}
	for result, want := range map[string]float64{"reauthorize": 1, "ok": 0, "error": 0} {
		if got := rfCount(t, g, result); got != want {
			t.Errorf("%s{result=%s} = %v, want %v", rfSeries, result, got, want)
		}
	}
	lines := rfLines(g, rfMsgRejected)
	if len(lines) != 1 {
		t.Fatalf("%d rejection lines, want 1: %v", len(lines), lines)
	}
	if l := lines[0]; l["level"] != "WARN" || l["connection_id"] != id || l["result"] != "reauthorize" || l["code"] != "UPSTREAM_TOKEN_INVALID" {
		t.Errorf("rejection line: %v", l)
	}
	r := rfMe(t, g, key)
	if r.Status != 401 || r.Code() != "UPSTREAM_TOKEN_INVALID" || !strings.Contains(rfErrorMessage(r), "set-token") || !strings.Contains(rfErrorMessage(r), id) {
		t.Errorf("call with the rejected token: %d %s", r.Status, r.Raw)
	}

	fresh := rfToken()
	fake.IssueToken(u.ID, fresh, time.Now().Add(-25*time.Hour))
	set := admin(t, "PUT", g.URL+"/admin/connections/"+id+"/token", `{"access_token":"`+fresh+`"}`)
	if set.Status != 200 || set.Data()["status"] != "active" || set.Data()["last_error"] != nil {
		t.Fatalf("set-token: %d %s", set.Status, set.Raw)
	}
	replaced := time.Now()
	if r := rfMe(t, g, key); r.Status != 200 || r.Data()["username"] != u.Username {
		t.Errorf("the same key after set-token: %d %s", r.Status, r.Raw)
	}
	rfWaitFor(t, 10*time.Second, "the new token refreshed", func() bool { return fake.Refreshes(u.ID) >= 1 })
	rfWaitFor(t, 2*time.Second, "the refresh counted", func() bool { return rfCount(t, g, "ok") >= 1 })
	refreshed := time.Now()
	time.Sleep(5 * 200 * time.Millisecond)
	if n := fake.Refreshes(u.ID); n != 1 {
		t.Errorf("the new token: %d refreshes, want 1", n)
	}
	for result, want := range map[string]float64{"reauthorize": 1, "ok": 1, "error": 0} {
		if got := rfCount(t, g, result); got != want {
			t.Errorf("after set-token: %s{result=%s} = %v, want %v", rfSeries, result, got, want)
		}
	}
	rfCheckLoggedOnce(t, []string{id}, g)
	rfCheckRefreshed(t, g, id, replaced, refreshed)
	fake.RevokeToken(fresh) // the refreshed token is the one used now
	if r := rfMe(t, g, key); r.Status != 200 {
		t.Errorf("the same key after the refresh: %d %s", r.Status, r.Raw)
	}
	g.stop(t)
	assertNoSecrets(t, append([]string{adminToken, key, u.Token, fresh}, tap.issued()...), g)
}

// A replica that starts (a rollout, a scale-out) while another is in the
// middle of refreshing tokens leaves that replica's claims alone: each token
// is still refreshed exactly once. Replica A's refreshes take 2 s upstream
// (well within its 15 s lease); replica B starts meanwhile. (A starting
// replica's Refresher.Reschedule must not move claimed schedule entries
// back to their records' due times: ScheduleNoLater would.)
func TestTokenRefreshReplicaStartKeepsClaims(t *testing.T) {
	const (
		n     = 5
		delay = 2 * time.Second
	)
	fake, fakeURL := startFake(t)
	users := rfAddUsers(fake, n)
	slow := rfStartTap(t, fakeURL, false, delay)
	rs := redistest.Start(t)
	encKey := newKey()
	// lease = 2×(0+1)×5s + 5s = 15s; a refresh may take 5s.
	extra := []string{"GATEWAY_UPSTREAM_TIMEOUT", "5s", "GATEWAY_UPSTREAM_RETRIES", "0"}

	a := startGateway(t, rfRedisEnv(rs, encKey, slow.URL, extra...))
	ids, keys := make([]string, n), make([]string, n)
	secrets := []string{encKey, adminToken}
	for i, u := range users {
		ids[i], keys[i] = createConnection(t, a, u.Token)
		secrets = append(secrets, u.Token, keys[i])
	}
	rfWaitFor(t, 10*time.Second, "replica A refreshing", func() bool {
		hits, _ := slow.refreshes()
		return hits > 0
	})
	held, _ := slow.refreshes()
	b := startGateway(t, rfRedisEnv(rs, encKey, fakeURL, extra...))

	rfWaitFor(t, 15*time.Second, "every token refreshed and replica A's refreshes answered", func() bool {
		_, inFlight := slow.refreshes()
		return inFlight == 0 && rfAllRefreshed(fake, users)
	})
	time.Sleep(5 * 200 * time.Millisecond)
	okA, okB := rfCount(t, a, "ok"), rfCount(t, b, "ok")
	t.Logf("replica A had %d refreshes in flight when B started; A counted %v refreshes, B %v", held, okA, okB)
	rfRefreshedOnce(t, fake, users)
	if hits, _ := slow.refreshes(); int(okB)+hits != n {
		t.Errorf("%d refresh requests from replica A and %v from replica B, want %d in all", hits, okB, n)
	}
	for i, id := range ids {
		if v := rfView(t, b, id); v["status"] != "active" || v["token_refreshed_at"] == nil {
			t.Errorf("connection %s: %v", id, v)
		}
		if r := rfMe(t, b, keys[i]); r.Status != 200 {
			t.Errorf("key %d: %d %s", i, r.Status, r.Raw)
		}
	}
	a.stop(t)
	b.stop(t)
	assertNoSecrets(t, append(secrets, slow.issued()...), a, b)
}
