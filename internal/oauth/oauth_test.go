package oauth

// Connect links (contract §9) driven against the fake's Instagram Login
// over real HTTP, on both stores: the happy paths, the attacks on a link's
// sign-in, and that every secret is stored only as its hash.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	bolt "go.etcd.io/bbolt"

	"github.com/igconnect/gateway/internal/connections"
	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/connectors/instagram"
	"github.com/igconnect/gateway/internal/fakegraph"
	"github.com/igconnect/gateway/internal/fakegraph/fakegraphtest"
	"github.com/igconnect/gateway/internal/redistest"
	"github.com/igconnect/gateway/internal/secret"
	"github.com/igconnect/gateway/internal/store"
	"github.com/igconnect/gateway/internal/store/boltstore"
	"github.com/igconnect/gateway/internal/store/redisstore"
)

const (
	ltAppID     = "1234567890123"
	ltAppSecret = "lt-app-secret-0123456789abcdef0123"
	ltBase      = "https://gateway.example.test"
)

// ltSnapshot is what a store holds: live is every key and value it holds
// now; raw is every byte it wrote to disk (bolt: its file, free pages
// included; Redis: its append-only file, every write command since it
// started).
type ltSnapshot struct {
	live, raw []byte
}

// ltBackend is a store under test and a way to read all of it directly.
type ltBackend struct {
	st       store.Store
	snapshot func(t *testing.T) ltSnapshot
}

// ltEachBackend runs f on a bolt and on a Redis store.
func ltEachBackend(t *testing.T, f func(t *testing.T, open func(t *testing.T) ltBackend)) {
	t.Run("bolt", func(t *testing.T) { f(t, ltOpenBolt) })
	t.Run("redis", func(t *testing.T) { f(t, ltOpenRedis) })
}

func ltOpenBolt(t *testing.T) ltBackend {
	t.Helper()
	dir := t.TempDir()
	st, err := boltstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	path := filepath.Join(dir, boltstore.FileName)
	return ltBackend{st: st, snapshot: func(t *testing.T) ltSnapshot {
		t.Helper()
		// The store holds the file's lock: read a copy (every write is
		// committed, nothing is in flight while the test reads).
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		cp := filepath.Join(t.TempDir(), "copy.db")
		if err := os.WriteFile(cp, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		db, err := bolt.Open(cp, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var live bytes.Buffer
		var walk func(b *bolt.Bucket) error
		walk = func(b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				live.Write(k)
				live.WriteByte('\n')
				if v == nil {
					return walk(b.Bucket(k))
				}
				live.Write(v)
				live.WriteByte('\n')
				return nil
			})
		}
		if err := db.View(func(tx *bolt.Tx) error {
			return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
				live.Write(name)
				live.WriteByte('\n')
				return walk(b)
			})
		}); err != nil {
			t.Fatal(err)
		}
		return ltSnapshot{live: live.Bytes(), raw: raw}
	}}
}

func ltOpenRedis(t *testing.T) ltBackend {
	t.Helper()
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { rdb.Close() })
	st := redisstore.New(rdb)
	return ltBackend{st: st, snapshot: func(t *testing.T) ltSnapshot {
		t.Helper()
		ctx := context.Background()
		var live bytes.Buffer
		iter := rdb.Scan(ctx, 0, "*", 1000).Iterator()
		for iter.Next(ctx) {
			k := iter.Val()
			live.WriteString(k + "\n")
			typ, err := rdb.Type(ctx, k).Result()
			if err != nil {
				t.Fatal(err)
			}
			var vals []string
			switch typ {
			case "string":
				v, err := rdb.Get(ctx, k).Result()
				if err != nil && !errors.Is(err, redis.Nil) {
					t.Fatal(err)
				}
				vals = []string{v}
			case "zset":
				zs, err := rdb.ZRangeWithScores(ctx, k, 0, -1).Result()
				if err != nil {
					t.Fatal(err)
				}
				for _, z := range zs {
					vals = append(vals, z.Member.(string))
				}
			case "hash":
				m, err := rdb.HGetAll(ctx, k).Result()
				if err != nil {
					t.Fatal(err)
				}
				for f, v := range m {
					vals = append(vals, f, v)
				}
			case "set":
				vals, err = rdb.SMembers(ctx, k).Result()
			case "list":
				vals, err = rdb.LRange(ctx, k, 0, -1).Result()
			case "none": // expired since the scan
			default:
				t.Fatalf("key %s has type %s, which the test cannot read", k, typ)
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				live.WriteString(v + "\n")
			}
		}
		if err := iter.Err(); err != nil {
			t.Fatal(err)
		}
		// Every file Redis wrote: the append-only file holds every write.
		cfg, err := rdb.ConfigGet(ctx, "dir").Result()
		if err != nil || cfg["dir"] == "" {
			t.Fatalf("CONFIG GET dir: %v %v", cfg, err)
		}
		var raw bytes.Buffer
		if err := filepath.WalkDir(cfg["dir"], func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			raw.Write(b)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(raw.Bytes(), []byte("igw:")) {
			t.Fatalf("the append-only file holds none of the store's writes: the raw check would prove nothing")
		}
		return ltSnapshot{live: live.Bytes(), raw: raw.Bytes()}
	}}
}

// ltTickets wraps the service's tickets: it can shorten a kind's life (to
// watch the store expire a real ticket) and run a hook before a put.
type ltTickets struct {
	store.Tickets
	mu        sync.Mutex
	ttl       map[string]time.Duration
	beforePut func(kind string) // run once, then cleared
	failPut   string            // a kind whose puts fail (UNAVAILABLE)
}

func (l *ltTickets) setTTL(kind string, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ttl[kind] = d
}

func (l *ltTickets) PutTicket(ctx context.Context, kind, key string, value []byte, ttl time.Duration) error {
	l.mu.Lock()
	if d, ok := l.ttl[kind]; ok {
		ttl = d
	}
	hook, fail := l.beforePut, l.failPut == kind
	l.mu.Unlock()
	if hook != nil {
		hook(kind)
	}
	if fail {
		return connectors.Errorf(connectors.CodeUnavailable, "connection store unavailable")
	}
	return l.Tickets.PutTicket(ctx, kind, key, value, ttl)
}

// RenewTicket runs the hook with "renew:" and the kind, then renews.
func (l *ltTickets) RenewTicket(ctx context.Context, kind, key string, ttl time.Duration) error {
	l.mu.Lock()
	hook := l.beforePut
	l.mu.Unlock()
	if hook != nil {
		hook("renew:" + kind)
	}
	return l.Tickets.RenewTicket(ctx, kind, key, ttl)
}

// ltLogin is Instagram Login (instagram.Login on the fake), recording the
// Instagram codes it exchanged and the short-lived tokens it received.
type ltLogin struct {
	inner  *instagram.Login
	mu     sync.Mutex
	codes  []string
	shorts []string
}

func (l *ltLogin) ConsentURL(state, redirectURI string) string {
	return l.inner.ConsentURL(state, redirectURI)
}

func (l *ltLogin) Exchange(ctx context.Context, code, redirectURI string) (string, error) {
	tok, err := l.inner.Exchange(ctx, code, redirectURI)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.codes = append(l.codes, code)
	if tok != "" {
		l.shorts = append(l.shorts, tok)
	}
	return tok, err
}

func (l *ltLogin) seen() (codes, shorts []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.codes...), append([]string(nil), l.shorts...)
}

// ltWorld is the service on a store, in front of the fake.
type ltWorld struct {
	be      ltBackend
	svc     *Service
	conns   *connections.Service
	fake    *fakegraph.Server
	fakeURL string
	login   *ltLogin
	tickets *ltTickets
}

func ltNewWorld(t *testing.T, be ltBackend, clients ...Client) *ltWorld {
	t.Helper()
	fake, fakeURL := fakegraphtest.Start(t, 10*time.Millisecond)
	fake.SetApp(ltAppID, ltAppSecret)
	sealer, err := secret.NewSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	conn := instagram.New(&instagram.Client{BaseURL: fakeURL, HTTP: instagram.NewHTTPClient(5 * time.Second)}, "v21.0", time.Second)
	conn.AppSecret = ltAppSecret
	conns := connections.New(be.st, sealer, conn)
	login := &ltLogin{inner: &instagram.Login{
		AppID: ltAppID, AppSecret: ltAppSecret,
		AuthorizeURL: fakeURL + "/oauth/authorize", TokenURL: fakeURL + "/oauth/access_token",
		Scopes: []string{"instagram_business_basic", "instagram_business_content_publish"},
		HTTP:   instagram.NewHTTPClient(5 * time.Second),
	}}
	svc := New(be.st, conns, login, clients, ltBase+"/", nil)
	tk := &ltTickets{Tickets: be.st, ttl: map[string]time.Duration{}}
	svc.Tickets = tk
	return &ltWorld{be: be, svc: svc, conns: conns, fake: fake, fakeURL: fakeURL, login: login, tickets: tk}
}

// addUser adds an Instagram account to the fake.
func (w *ltWorld) addUser(id, username string) {
	w.fake.AddUser(fakegraph.User{ID: id, Username: username, Name: username}, "IGAAltToken"+id)
}

// stored is a fingerprint of every connection stored: what "nothing is
// stored" compares.
func (w *ltWorld) stored(t *testing.T) string {
	t.Helper()
	list, err := w.be.st.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, c := range list {
		parts = append(parts, c.ID+"|"+c.Name+"|"+c.InstagramUserID+"|"+c.KeyHash+"|"+base64.StdEncoding.EncodeToString(c.EncryptedToken))
	}
	sort.Strings(parts)
	return strings.Join(parts, "\n")
}

func (w *ltWorld) count(t *testing.T) int {
	t.Helper()
	list, err := w.be.st.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

// ltNoRedirect is a browser that shows each redirect instead of following.
var ltNoRedirect = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// ltConsent answers Instagram's consent page at consentURL as the fake's
// user userID with decision (allow or deny), as a browser does, and
// returns the query of the gateway's callback Instagram redirects to.
func ltConsent(t *testing.T, consentURL, userID, decision string) url.Values {
	t.Helper()
	resp, err := ltNoRedirect.Get(consentURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(page, []byte(`id="consent"`)) {
		t.Fatalf("consent page: %d %s", resp.StatusCode, page)
	}
	u, err := url.Parse(consentURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	form := url.Values{
		"client_id": {q.Get("client_id")}, "redirect_uri": {q.Get("redirect_uri")}, "scope": {q.Get("scope")},
		"state": {q.Get("state")}, "user_id": {userID}, "decision": {decision},
	}
	resp, err = ltNoRedirect.PostForm(u.Scheme+"://"+u.Host+"/oauth/authorize", form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	loc, err := resp.Location()
	if resp.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("consent answer: %d %s", resp.StatusCode, body)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != ltBase+CallbackPath {
		t.Fatalf("Instagram sent the browser to %s, not the gateway's callback", loc)
	}
	return loc.Query()
}

// ltWantPage asserts err is the page of status whose title holds title.
func ltWantPage(t *testing.T, err error, status int, title string) *PageError {
	t.Helper()
	var pe *PageError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v (%T), want the page %q", err, err, title)
	}
	if pe.Status != status || !strings.Contains(pe.Title, title) {
		t.Fatalf("page %d %q (%s), want %d %q", pe.Status, pe.Title, pe.Message, status, title)
	}
	return pe
}

// linkToken is the secret of a link's URL.
func ltLinkToken(t *testing.T, l Link) string {
	t.Helper()
	tok, ok := strings.CutPrefix(l.URL, ltBase+"/connect/")
	if !ok || len(tok) < 43 || strings.ContainsAny(tok, "/?#") {
		t.Fatalf("link URL %q", l.URL)
	}
	return tok
}

// ltSignIn is a link's sign-in begun and answered by Instagram.
type ltSignIn struct {
	token   string
	started Started
	answer  url.Values
}

// begin issues a link and starts its sign-in, answered by userID's
// decision.
func (w *ltWorld) begin(t *testing.T, name, userID, decision string) ltSignIn {
	t.Helper()
	l, err := w.svc.NewLink(context.Background(), name, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return w.beginOn(t, ltLinkToken(t, l), userID, decision)
}

func (w *ltWorld) beginOn(t *testing.T, token, userID, decision string) ltSignIn {
	t.Helper()
	st, err := w.svc.StartLink(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	return ltSignIn{token: token, started: st, answer: ltConsent(t, st.ConsentURL, userID, decision)}
}

func (s ltSignIn) finish(w *ltWorld) (Result, error) {
	return w.svc.Callback(context.Background(), s.answer, s.started.Cookie)
}

func ltRandom() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ltSHA is a secret's ticket key as the tests' services (no HashKey)
// make it.
func ltSHA(s string) string { return keyedHash(nil, s) }

// A link makes a connection whose key works; the same Instagram user with
// another link reconnects it: same ID, same key, a new Instagram token.
func TestLinkConnectsThenReconnects(t *testing.T) {
	ltEachBackend(t, func(t *testing.T, open func(t *testing.T) ltBackend) {
		ctx := context.Background()
		w := ltNewWorld(t, open(t))
		now := time.Date(2030, 5, 6, 7, 8, 9, 500, time.UTC)
		w.svc.Now = func() time.Time { return now }

		l, err := w.svc.NewLink(ctx, "  Shop front  ", 0)
		if err != nil {
			t.Fatal(err)
		}
		if want := now.Add(DefaultLinkTTL).Truncate(time.Second); !l.ExpiresAt.Equal(want) {
			t.Fatalf("expires_at %v, want %v", l.ExpiresAt, want)
		}
		tok := ltLinkToken(t, l)
		name, exp, err := w.svc.LinkInfo(ctx, tok)
		if err != nil || name != "Shop front" || !exp.Equal(l.ExpiresAt) {
			t.Fatalf("LinkInfo: %q %v %v", name, exp, err)
		}

		st, err := w.svc.StartLink(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		cu, _ := url.Parse(st.ConsentURL)
		cq := cu.Query()
		if cu.Scheme+"://"+cu.Host+cu.Path != w.fakeURL+"/oauth/authorize" || cq.Get("client_id") != ltAppID ||
			cq.Get("redirect_uri") != ltBase+CallbackPath || cq.Get("response_type") != "code" || len(cq.Get("state")) < 43 {
			t.Fatalf("consent URL %s", st.ConsentURL)
		}
		if len(st.Cookie) < 43 || st.Cookie == cq.Get("state") || strings.Contains(st.ConsentURL, st.Cookie) {
			t.Fatalf("cookie %q: it must be a secret of its own, never in the consent URL", st.Cookie)
		}
		res, err := w.svc.Callback(ctx, ltConsent(t, st.ConsentURL, fakegraph.DemoUserID, "allow"), st.Cookie)
		if err != nil {
			t.Fatal(err)
		}
		v := res.Connection
		if !res.Created || v.APIKey == "" || v.Username != "sandbox_creator" || v.Name != "Shop front" || res.Redirect != "" {
			t.Fatalf("result %+v", res)
		}
		c, err := w.conns.Authenticate(ctx, v.APIKey)
		if err != nil || c.ID != v.ID || c.InstagramUserID != fakegraph.DemoUserID {
			t.Fatalf("the new key: %v %v", c, err)
		}
		first, err := w.conns.Token(c)
		if err != nil {
			t.Fatal(err)
		}
		_, shorts := w.login.seen()
		if len(shorts) != 1 || first == shorts[0] || w.fake.Exchanges(fakegraph.DemoUserID) != 1 || w.fake.CodeExchanges(fakegraph.DemoUserID) != 1 {
			t.Fatalf("the short-lived token was not exchanged for a long-lived one: stored %q, short %v", first, shorts)
		}
		if _, _, err := w.svc.LinkInfo(ctx, tok); err != errLinkGone {
			t.Fatalf("a used link: %v", err)
		}
		if _, err := w.svc.StartLink(ctx, tok); err != errLinkGone {
			t.Fatalf("a used link started: %v", err)
		}

		// The same user with another link: reconnected.
		res2, err := w.begin(t, "another name", fakegraph.DemoUserID, "allow").finish(w)
		if err != nil {
			t.Fatal(err)
		}
		if res2.Created || res2.Connection.ID != v.ID || res2.Connection.APIKey != "" {
			t.Fatalf("reconnect: %+v", res2)
		}
		c2, err := w.conns.Authenticate(ctx, v.APIKey)
		if err != nil || c2.ID != v.ID || c2.Name != "Shop front" {
			t.Fatalf("the key after the reconnection: %v %v", c2, err)
		}
		second, err := w.conns.Token(c2)
		if err != nil || second == first {
			t.Fatalf("the reconnection stored no new token: %v", err)
		}
		if n := w.count(t); n != 1 {
			t.Fatalf("%d connections after a reconnection, want 1", n)
		}

		// Another Instagram user: a connection of its own.
		res3, err := w.begin(t, "other", fakegraph.OtherUserID, "allow").finish(w)
		if err != nil {
			t.Fatal(err)
		}
		if !res3.Created || res3.Connection.ID == v.ID || res3.Connection.APIKey == "" {
			t.Fatalf("another user: %+v", res3)
		}
		if c, err := w.conns.Authenticate(ctx, res3.Connection.APIKey); err != nil || c.InstagramUserID != fakegraph.OtherUserID {
			t.Fatalf("another user's key: %v %v", c, err)
		}
	})
}

func TestNewLinkChecksItsRequest(t *testing.T) {
	ltEachBackend(t, func(t *testing.T, open func(t *testing.T) ltBackend) {
		w := ltNewWorld(t, open(t))
		now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		w.svc.Now = func() time.Time { return now }
		tests := []struct {
			name, linkName string
			ttl            time.Duration
			wantTTL        time.Duration // 0: refused as BAD_REQUEST
		}{
			{"default ttl", "a", 0, DefaultLinkTTL},
			{"one minute", "a", time.Minute, time.Minute},
			{"thirty days", "a", MaxLinkTTL, MaxLinkTTL},
			{"under a minute", "a", 59 * time.Second, 0},
			{"over thirty days", "a", MaxLinkTTL + time.Second, 0},
			{"negative", "a", -time.Hour, 0},
			{"no name", "", time.Hour, time.Hour},
			{"control character in name", "a\x00b", time.Hour, 0},
			{"newline in name", "a\nb", time.Hour, 0},
			{"name too long", strings.Repeat("x", connections.MaxNameLength+1), time.Hour, 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				l, err := w.svc.NewLink(context.Background(), tt.linkName, tt.ttl)
				if tt.wantTTL == 0 {
					if connectors.AsError(err).Code != connectors.CodeBadRequest || l.URL != "" {
						t.Fatalf("got %+v %v, want BAD_REQUEST", l, err)
					}
					return
				}
				if err != nil || !l.ExpiresAt.Equal(now.Add(tt.wantTTL)) {
					t.Fatalf("got %+v %v", l, err)
				}
				ltLinkToken(t, l)
			})
		}
	})
}

// Each attack on a link's sign-in, and each failure, shows an error page
// and stores nothing; only a successful connection spends a link.
func TestLinkSignInAttacks(t *testing.T) {
	ctx := context.Background()
	type row struct {
		name string
		run  func(t *testing.T, w *ltWorld)
	}
	// linkWorks asserts the link still connects an account.
	linkWorks := func(t *testing.T, w *ltWorld, token string) {
		t.Helper()
		if _, _, err := w.svc.LinkInfo(ctx, token); err != nil {
			t.Fatalf("the link no longer works: %v", err)
		}
		res, err := w.beginOn(t, token, fakegraph.DemoUserID, "allow").finish(w)
		if err != nil || !res.Created {
			t.Fatalf("the link does not connect: %+v %v", res, err)
		}
	}
	expiredOrUsed := "expired or was already used"
	rows := []row{
		{"replayed state", func(t *testing.T, w *ltWorld) {
			s := w.begin(t, "x", fakegraph.DemoUserID, "allow")
			if _, err := s.finish(w); err != nil {
				t.Fatal(err)
			}
			before := w.stored(t)
			_, err := s.finish(w)
			ltWantPage(t, err, http.StatusBadRequest, expiredOrUsed)
			if w.stored(t) != before || w.fake.CodeExchanges(fakegraph.DemoUserID) != 1 {
				t.Fatal("a replayed state changed the store or reached Instagram")
			}
		}},
		{"forged state", func(t *testing.T, w *ltWorld) {
			s := w.begin(t, "x", fakegraph.DemoUserID, "allow")
			q := url.Values{"code": s.answer["code"], "state": {ltRandom()}}
			_, err := w.svc.Callback(ctx, q, s.started.Cookie)
			ltWantPage(t, err, http.StatusBadRequest, expiredOrUsed)
			if w.count(t) != 0 || w.fake.CodeExchanges(fakegraph.DemoUserID) != 0 {
				t.Fatal("a forged state stored something or reached Instagram")
			}
			// The real state, with the real cookie, still finishes.
			if res, err := s.finish(w); err != nil || !res.Created {
				t.Fatalf("%+v %v", res, err)
			}
		}},
		{"no state", func(t *testing.T, w *ltWorld) {
			s := w.begin(t, "x", fakegraph.DemoUserID, "allow")
			_, err := w.svc.Callback(ctx, url.Values{"code": s.answer["code"]}, s.started.Cookie)
			ltWantPage(t, err, http.StatusBadRequest, "cannot be finished")
			if w.count(t) != 0 {
				t.Fatal("stored")
			}
		}},
		{"state without the browser cookie", func(t *testing.T, w *ltWorld) {
			s := w.begin(t, "x", fakegraph.DemoUserID, "allow")
			_, err := w.svc.Callback(ctx, s.answer, "")
			ltWantPage(t, err, http.StatusBadRequest, "another browser")
			if w.count(t) != 0 || w.fake.CodeExchanges(fakegraph.DemoUserID) != 0 {
				t.Fatal("stored, or the code was exchanged")
			}
			// Spent: not even the right browser can finish it now.
			_, err = s.finish(w)
			ltWantPage(t, err, http.StatusBadRequest, expiredOrUsed)
			if w.count(t) != 0 {
				t.Fatal("stored")
			}
			linkWorks(t, w, s.token)
		}},
		{"state with another browser's cookie", func(t *testing.T, w *ltWorld) {
			// The attacker starts a sign-in of their own link, and lures the
			// victim into finishing it (or steals the victim's callback URL):
			// the victim's answer arrives with the attacker's cookie.
			victim := w.begin(t, "victim", fakegraph.DemoUserID, "allow")
			attacker := w.begin(t, "attacker", fakegraph.OtherUserID, "allow")
			_, err := w.svc.Callback(ctx, victim.answer, attacker.started.Cookie)
			ltWantPage(t, err, http.StatusBadRequest, "another browser")
			_, err = w.svc.Callback(ctx, attacker.answer, victim.started.Cookie)
			ltWantPage(t, err, http.StatusBadRequest, "another browser")
			if w.count(t) != 0 {
				t.Fatal("stored")
			}
			for _, s := range []ltSignIn{victim, attacker} {
				_, err := s.finish(w)
				ltWantPage(t, err, http.StatusBadRequest, expiredOrUsed)
			}
			if w.count(t) != 0 {
				t.Fatal("stored")
			}
		}},
		{"a cookie that is the state's hash", func(t *testing.T, w *ltWorld) {
			s := w.begin(t, "x", fakegraph.DemoUserID, "allow")
			_, err := w.svc.Callback(ctx, s.answer, ltSHA(s.started.Cookie))
			ltWantPage(t, err, http.StatusBadRequest, "another browser")
			if w.count(t) != 0 {
				t.Fatal("stored")
			}
		}},
		{"used link", func(t *testing.T, w *ltWorld) {
			s := w.begin(t, "x", fakegraph.DemoUserID, "allow")
			if _, err := s.finish(w); err != nil {
				t.Fatal(err)
			}
			_, _, err := w.svc.LinkInfo(ctx, s.token)
			ltWantPage(t, err, http.StatusGone, "This link no longer works")
			_, err = w.svc.StartLink(ctx, s.token)
			ltWantPage(t, err, http.StatusGone, "This link no longer works")
		}},
		{"link used by a sign-in in another tab", func(t *testing.T, w *ltWorld) {
			first := w.begin(t, "x", fakegraph.DemoUserID, "allow")
			second := w.beginOn(t, first.token, fakegraph.OtherUserID, "allow")
			if _, err := first.finish(w); err != nil {
				t.Fatal(err)
			}
			before := w.stored(t)
			_, err := second.finish(w)
			ltWantPage(t, err, http.StatusGone, "This link no longer works")
			if w.stored(t) != before {
				t.Fatal("a spent link connected a second account")
			}
		}},
		{"unknown link", func(t *testing.T, w *ltWorld) {
			_, _, err := w.svc.LinkInfo(ctx, ltRandom())
			ltWantPage(t, err, http.StatusGone, "This link no longer works")
			_, err = w.svc.StartLink(ctx, ltRandom())
			ltWantPage(t, err, http.StatusGone, "This link no longer works")
		}},
		{"expired link", func(t *testing.T, w *ltWorld) {
			// The link's expiry is its ticket's TTL, in real time: the
			// store expires it (shortened to 150 ms, NewLink's own ticket).
			w.tickets.setTTL(kindLink, 150*time.Millisecond)
			l, err := w.svc.NewLink(ctx, "x", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			tok := ltLinkToken(t, l)
			if _, _, err := w.svc.LinkInfo(ctx, tok); err != nil {
				t.Fatal(err)
			}
			time.Sleep(400 * time.Millisecond)
			_, _, err = w.svc.LinkInfo(ctx, tok)
			ltWantPage(t, err, http.StatusGone, "This link no longer works")
			_, err = w.svc.StartLink(ctx, tok)
			ltWantPage(t, err, http.StatusGone, "This link no longer works")
		}},
		{"link expires during the sign-in", func(t *testing.T, w *ltWorld) {
			w.tickets.setTTL(kindLink, 2*time.Second)
			s := w.begin(t, "x", fakegraph.DemoUserID, "allow")
			time.Sleep(2200 * time.Millisecond)
			_, err := s.finish(w)
			ltWantPage(t, err, http.StatusGone, "This link no longer works")
			if w.count(t) != 0 {
				t.Fatal("an expired link connected an account")
			}
		}},
		{"expired state", func(t *testing.T, w *ltWorld) {
			w.tickets.setTTL(kindState, 150*time.Millisecond)
			s := w.begin(t, "x", fakegraph.DemoUserID, "allow")
			time.Sleep(400 * time.Millisecond)
			_, err := s.finish(w)
			ltWantPage(t, err, http.StatusBadRequest, expiredOrUsed)
			if w.count(t) != 0 {
				t.Fatal("stored")
			}
			w.tickets.setTTL(kindState, StateLifetime)
			linkWorks(t, w, s.token)
		}},
		{"denied consent", func(t *testing.T, w *ltWorld) {
			s := w.begin(t, "x", fakegraph.DemoUserID, "deny")
			if s.answer.Get("error") != "access_denied" {
				t.Fatalf("the fake's answer %v", s.answer)
			}
			_, err := s.finish(w)
			ltWantPage(t, err, http.StatusForbidden, "not allowed")
			if w.count(t) != 0 {
				t.Fatal("stored")
			}
			_, err = s.finish(w)
			ltWantPage(t, err, http.StatusBadRequest, expiredOrUsed)
			linkWorks(t, w, s.token)
		}},
		{"answer without a code", func(t *testing.T, w *ltWorld) {
			s := w.begin(t, "x", fakegraph.DemoUserID, "allow")
			q := url.Values{"state": s.answer["state"]}
			_, err := w.svc.Callback(ctx, q, s.started.Cookie)
			ltWantPage(t, err, http.StatusBadRequest, "cannot be finished")
			if w.count(t) != 0 {
				t.Fatal("stored")
			}
			linkWorks(t, w, s.token)
		}},
		{"Instagram's code exchange fails", func(t *testing.T, w *ltWorld) {
			s := w.begin(t, "x", fakegraph.DemoUserID, "allow")
			w.fake.SetFault(&fakegraph.Fault{
				Match:  func(r *http.Request) bool { return r.URL.Path == "/oauth/access_token" },
				Handle: func(rw http.ResponseWriter, _ *http.Request) { http.Error(rw, "down", http.StatusInternalServerError) },
			})
			_, err := s.finish(w)
			ltWantPage(t, err, http.StatusServiceUnavailable, "unavailable")
			w.fake.SetFault(nil)
			if w.count(t) != 0 {
				t.Fatal("stored")
			}
			linkWorks(t, w, s.token)
		}},
		{"Instagram refuses the code", func(t *testing.T, w *ltWorld) {
			s := w.begin(t, "x", fakegraph.DemoUserID, "allow")
			code := s.answer.Get("code")
			w.fake.SetFault(&fakegraph.Fault{
				Match: func(r *http.Request) bool { return r.URL.Path == "/oauth/access_token" },
				Handle: func(rw http.ResponseWriter, _ *http.Request) {
					rw.Header().Set("Content-Type", "application/json")
					rw.WriteHeader(http.StatusBadRequest)
					io.WriteString(rw, `{"error_type":"OAuthException","code":400,"error_message":"code `+code+` was not found, secret `+ltAppSecret+`"}`)
				},
			})
			_, err := s.finish(w)
			pe := ltWantPage(t, err, http.StatusServiceUnavailable, "unavailable")
			w.fake.SetFault(nil)
			if strings.Contains(pe.Message+pe.Title, code) || strings.Contains(pe.Message, ltAppSecret) {
				t.Fatalf("the page shows a secret: %s", pe.Message)
			}
			if w.count(t) != 0 {
				t.Fatal("stored")
			}
			linkWorks(t, w, s.token)
		}},
		{"the long-lived exchange fails", func(t *testing.T, w *ltWorld) {
			s := w.begin(t, "x", fakegraph.DemoUserID, "allow")
			w.fake.SetFault(&fakegraph.Fault{
				Match:  func(r *http.Request) bool { return r.URL.Path == "/access_token" },
				Handle: func(rw http.ResponseWriter, _ *http.Request) { http.Error(rw, "down", http.StatusBadGateway) },
			})
			_, err := s.finish(w)
			ltWantPage(t, err, http.StatusServiceUnavailable, "unavailable")
			w.fake.SetFault(nil)
			if w.count(t) != 0 {
				t.Fatal("stored")
			}
			linkWorks(t, w, s.token)
		}},
		{"reading the account fails after the exchange", func(t *testing.T, w *ltWorld) {
			// The link was taken when Connect fails: it is put back.
			s := w.begin(t, "x", fakegraph.DemoUserID, "allow")
			w.fake.SetFault(&fakegraph.Fault{
				Match:  func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/me") },
				Handle: func(rw http.ResponseWriter, _ *http.Request) { http.Error(rw, "down", http.StatusInternalServerError) },
			})
			_, err := s.finish(w)
			ltWantPage(t, err, http.StatusServiceUnavailable, "unavailable")
			w.fake.SetFault(nil)
			if w.count(t) != 0 {
				t.Fatal("stored")
			}
			linkWorks(t, w, s.token)
		}},
	}
	ltEachBackend(t, func(t *testing.T, open func(t *testing.T) ltBackend) {
		for _, r := range rows {
			t.Run(r.name, func(t *testing.T) {
				r.run(t, ltNewWorld(t, open(t)))
			})
		}
	})
}

// Two sign-ins of one link finish at once: one connection at most.
func TestLinkSpentOnceUnderConcurrency(t *testing.T) {
	ltEachBackend(t, func(t *testing.T, open func(t *testing.T) ltBackend) {
		w := ltNewWorld(t, open(t))
		users := []string{"17841400000000101", "17841400000000102", "17841400000000103", "17841400000000104"}
		first := w.begin(t, "x", fakegraph.DemoUserID, "allow")
		var signIns []ltSignIn
		for i, u := range users {
			w.addUser(u, "user"+string(rune('a'+i)))
			signIns = append(signIns, w.beginOn(t, first.token, u, "allow"))
		}
		var wg sync.WaitGroup
		errs := make([]error, len(signIns))
		for i, s := range signIns {
			wg.Go(func() { _, errs[i] = s.finish(w) })
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else {
				ltWantPage(t, err, http.StatusGone, "This link no longer works")
			}
		}
		if ok != 1 || w.count(t) != 1 {
			t.Fatalf("%d sign-ins of one link succeeded, %d connections stored; want 1", ok, w.count(t))
		}
	})
}

// ltSecrets are the secrets a flow handed out, by name.
type ltSecrets map[string]string

// ltEncodings are the forms of s the store must not hold.
func ltEncodings(s string) map[string]string {
	return map[string]string{
		"raw":       s,
		"base64":    base64.StdEncoding.EncodeToString([]byte(s)),
		"base64url": base64.RawURLEncoding.EncodeToString([]byte(s)),
		"hex":       hex.EncodeToString([]byte(s)),
	}
}

// check asserts that no secret appears in snap, in any form, and that the
// SHA-256 (base64url) of each of live does appear in what it holds now.
func (s ltSecrets) check(t *testing.T, stage string, snap ltSnapshot, live ...string) {
	t.Helper()
	for name, v := range s {
		if v == "" {
			t.Fatalf("%s: secret %s is empty: the test lost it", stage, name)
		}
		for enc, form := range ltEncodings(v) {
			if bytes.Contains(snap.live, []byte(form)) {
				t.Errorf("%s: the store holds the %s (%s)", stage, name, enc)
			}
			if bytes.Contains(snap.raw, []byte(form)) {
				t.Errorf("%s: the store wrote the %s (%s) to disk", stage, name, enc)
			}
		}
	}
	for _, name := range live {
		if !bytes.Contains(snap.live, []byte(ltSHA(s[name]))) {
			t.Errorf("%s: the SHA-256 of the %s is not in the store", stage, name)
		}
	}
}

// Every secret of a link's sign-in and of the OAuth server's flow is
// stored only as its SHA-256; no Instagram token or code, and no API key,
// is stored as it is. Read at each stage, straight from the store: every
// key and value it holds, and everything it wrote to disk.
func TestSecretsStoredOnlyAsHashes(t *testing.T) {
	ltEachBackend(t, func(t *testing.T, open func(t *testing.T) ltBackend) {
		ctx := context.Background()
		be := open(t)
		client := Client{ID: "power-automate", Secret: "pa-client-secret-0123456789abcdef", RedirectURIs: []string{"https://global.consent.azure-apim.net/redirect"}}
		w := ltNewWorld(t, be, client)
		sec := ltSecrets{"client secret": client.Secret, "Instagram app secret": ltAppSecret}

		// A connect link.
		l, err := w.svc.NewLink(ctx, "hashes", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		sec["link token"] = ltLinkToken(t, l)
		sec.check(t, "link issued", be.snapshot(t), "link token")

		st, err := w.svc.StartLink(ctx, sec["link token"])
		if err != nil {
			t.Fatal(err)
		}
		cu, _ := url.Parse(st.ConsentURL)
		sec["link state"], sec["link browser cookie"] = cu.Query().Get("state"), st.Cookie
		sec.check(t, "link sign-in started", be.snapshot(t), "link token", "link state", "link browser cookie")

		q := ltConsent(t, st.ConsentURL, fakegraph.DemoUserID, "allow")
		sec["Instagram code (link)"] = q.Get("code")
		res, err := w.svc.Callback(ctx, q, st.Cookie)
		if err != nil {
			t.Fatal(err)
		}
		sec["API key"] = res.Connection.APIKey
		c, err := w.conns.Authenticate(ctx, sec["API key"])
		if err != nil {
			t.Fatal(err)
		}
		if sec["Instagram long-lived token (link)"], err = w.conns.Token(c); err != nil {
			t.Fatal(err)
		}
		_, shorts := w.login.seen()
		sec["Instagram short-lived token (link)"] = shorts[0]
		snap := be.snapshot(t)
		sec.check(t, "link sign-in finished", snap)
		for _, spent := range []string{"link token", "link state"} {
			if bytes.Contains(snap.live, []byte(ltSHA(sec[spent]))) {
				t.Errorf("the %s is still stored after its single use", spent)
			}
		}

		// The OAuth server: authorize, consent, code, tokens, refresh.
		verifier := ltRandom() + "-._~"
		sum := sha256.Sum256([]byte(verifier))
		sec["PKCE verifier"] = verifier
		started, back, err := w.svc.Authorize(ctx, url.Values{
			"response_type": {"code"}, "client_id": {client.ID}, "redirect_uri": {client.RedirectURIs[0]},
			"state": {"client-state"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
		})
		if err != nil || back != "" {
			t.Fatal(back, err)
		}
		cu, _ = url.Parse(started.ConsentURL)
		sec["OAuth state"], sec["OAuth browser cookie"] = cu.Query().Get("state"), started.Cookie
		sec.check(t, "authorize", be.snapshot(t), "OAuth state", "OAuth browser cookie")

		q = ltConsent(t, started.ConsentURL, fakegraph.DemoUserID, "allow")
		sec["Instagram code (OAuth)"] = q.Get("code")
		res, err = w.svc.Callback(ctx, q, started.Cookie)
		if err != nil || res.Redirect == "" {
			t.Fatal(res, err)
		}
		ru, _ := url.Parse(res.Redirect)
		sec["gateway code"] = ru.Query().Get("code")
		_, shorts = w.login.seen()
		sec["Instagram short-lived token (OAuth)"] = shorts[1]
		if c, err = w.conns.Store.Get(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if sec["Instagram long-lived token (OAuth)"], err = w.conns.Token(c); err != nil {
			t.Fatal(err)
		}
		sec.check(t, "code issued", be.snapshot(t), "gateway code")

		form := url.Values{"grant_type": {"authorization_code"}, "code": {sec["gateway code"]}, "redirect_uri": {client.RedirectURIs[0]}, "code_verifier": {verifier}}
		toks, err := w.svc.Token(ctx, TokenRequest{Form: form, HasBasic: true, BasicID: client.ID, BasicSecret: client.Secret})
		if err != nil {
			t.Fatal(err)
		}
		sec["access token"], sec["refresh token"] = toks.AccessToken, toks.RefreshToken
		snap = be.snapshot(t)
		sec.check(t, "tokens issued", snap, "access token", "refresh token")
		// After its single use the code's hash keys only a spent marker
		// (its reuse revokes the grant): no client, redirect or connection.
		if raw, err := w.be.st.GetTicket(ctx, kindCode, ltSHA(sec["gateway code"])); err != nil ||
			!bytes.Contains(raw, []byte(`"spent":true`)) || bytes.Contains(raw, []byte("connection")) {
			t.Errorf("the code after its single use: %s %v", raw, err)
		}

		toks2, err := w.svc.Token(ctx, TokenRequest{Form: url.Values{"grant_type": {"refresh_token"}, "refresh_token": {toks.RefreshToken}},
			HasBasic: true, BasicID: client.ID, BasicSecret: client.Secret})
		if err != nil {
			t.Fatal(err)
		}
		sec["second access token"], sec["second refresh token"] = toks2.AccessToken, toks2.RefreshToken
		sec.check(t, "tokens refreshed", be.snapshot(t), "second access token", "second refresh token", "refresh token")
	})
}
