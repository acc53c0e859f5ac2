package fakegraph

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/igconnect/gateway/internal/clocktest"
)

const day = 24 * time.Hour

var epoch = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// newClockedFake is a seeded fake on a clock set to epoch, with testToken
// of the demo user issued at epoch.
func newClockedFake(t *testing.T) (*Server, *clocktest.Clock, string) {
	t.Helper()
	c := clocktest.New(epoch)
	f := New()
	f.Now = c.Now
	f.Seed()
	f.IssueToken(DemoUserID, testToken, epoch)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, c, srv.URL
}

const testToken = "IGAAtestLongLivedToken"

func refreshToken(t *testing.T, base, tok string) (int, map[string]any) {
	t.Helper()
	st, _, body := call(t, "GET", base+"/refresh_access_token?grant_type=ig_refresh_token&access_token="+tok, "", nil)
	return st, body
}

func me(t *testing.T, base, tok string) (int, map[string]any) {
	t.Helper()
	st, _, body := call(t, "GET", base+"/v21.0/me?fields=username", tok, nil)
	return st, body
}

func TestTokenExpiresAfter60Days(t *testing.T) {
	tests := []struct {
		name  string
		age   time.Duration
		valid bool
	}{
		{"just issued", 0, true},
		{"day 1", day, true},
		{"day 59", 59 * day, true},
		{"a second before day 60", 60*day - time.Second, true},
		{"day 60", 60 * day, false},
		{"day 61", 61 * day, false},
		{"a year", 365 * day, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c, base := newClockedFake(t)
			c.Set(epoch.Add(tt.age))
			st, body := me(t, base, testToken)
			if tt.valid {
				if st != 200 || body["username"] != "sandbox_creator" {
					t.Fatalf("want valid: %d %v", st, body)
				}
				return
			}
			code, sub := errCode(body)
			e, _ := body["error"].(map[string]any)
			msg, _ := e["message"].(string)
			if st != 400 || code != 190 || sub != 463 || e["type"] != "OAuthException" ||
				!strings.HasPrefix(msg, "Error validating access token: Session has expired on ") {
				t.Fatalf("want 400 190/463: %d %v", st, body)
			}
			if exp, ok := f.TokenExpiry(testToken); !ok || !exp.Equal(epoch.Add(TokenLifetime)) {
				t.Fatalf("TokenExpiry = %v %v", exp, ok)
			}
		})
	}
}

func TestRefreshRules(t *testing.T) {
	tests := []struct {
		name      string
		tok       string
		age       time.Duration
		prepare   func(f *Server)
		code, sub float64 // 0: the refresh succeeds
	}{
		{"one hour old", testToken, time.Hour, nil, 100, 0},
		{"a second short of 24 hours", testToken, day - time.Second, nil, 100, 0},
		{"24 hours old", testToken, day, nil, 0, 0},
		{"30 days old", testToken, 30 * day, nil, 0, 0},
		{"day 59", testToken, 59 * day, nil, 0, 0},
		{"expired at day 60", testToken, 60 * day, nil, 190, 463},
		{"expired by ExpireToken", testToken, 2 * day, func(f *Server) { f.ExpireToken(testToken) }, 190, 463},
		{"seeded expired token", ExpiredToken, 2 * day, nil, 190, 463},
		{"revoked", testToken, 2 * day, func(f *Server) { f.RevokeToken(testToken) }, 190, 463},
		{"unknown token", "garbage", 2 * day, nil, 190, 463},
		{"short-lived token", testShortToken, 30 * time.Minute, issueShort, 100, 0},
		{"expired short-lived token", testShortToken, 2 * day, issueShort, 190, 463},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c, base := newClockedFake(t)
			if tt.prepare != nil {
				tt.prepare(f)
			}
			now := epoch.Add(tt.age)
			c.Set(now)
			st, body := refreshToken(t, base, tt.tok)
			if tt.code != 0 {
				if code, sub := errCode(body); st != 400 || code != tt.code || sub != tt.sub {
					t.Fatalf("want 400 %v/%v: %d %v", tt.code, tt.sub, st, body)
				}
				if n := f.Refreshes(DemoUserID); n != 0 {
					t.Fatalf("Refreshes = %d after a refused refresh", n)
				}
				return
			}
			fresh, _ := body["access_token"].(string)
			if st != 200 || fresh == "" || fresh == tt.tok || body["token_type"] != "bearer" || body["expires_in"] != float64(60*24*3600) {
				t.Fatalf("refresh: %d %v", st, body)
			}
			if n := f.Refreshes(DemoUserID); n != 1 {
				t.Fatalf("Refreshes = %d, want 1", n)
			}
			if exp, _ := f.TokenExpiry(fresh); !exp.Equal(now.Add(60 * day)) {
				t.Fatalf("new token expires %v, want %v", exp, now.Add(60*day))
			}
			for _, tok := range []string{fresh, tt.tok} {
				if st, body := me(t, base, tok); st != 200 || body["username"] != "sandbox_creator" {
					t.Fatalf("%s after refresh: %d %v", tok, st, body)
				}
			}
			// The new token lives 60 days from the refresh; the old one
			// still ends 60 days after its own issue.
			c.Set(now.Add(60*day - time.Second))
			if st, body := me(t, base, fresh); st != 200 {
				t.Fatalf("new token before its expiry: %d %v", st, body)
			}
			c.Set(epoch.Add(60 * day))
			if st, _ := me(t, base, tt.tok); st != 400 {
				t.Fatalf("old token after its own expiry: %d", st)
			}
			c.Set(now.Add(60 * day))
			if code, sub := errCode(func() map[string]any { _, b := me(t, base, fresh); return b }()); code != 190 || sub != 463 {
				t.Fatalf("new token after its expiry: %v/%v", code, sub)
			}
		})
	}
}

func TestRefreshBadGrantType(t *testing.T) {
	tests := []struct{ name, query string }{
		{"missing", ""},
		{"wrong", "grant_type=fb_exchange_token&"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c, base := newClockedFake(t)
			c.Set(epoch.Add(2 * day))
			st, _, body := call(t, "GET", base+"/refresh_access_token?"+tt.query+"access_token="+testToken, "", nil)
			if code, _ := errCode(body); st != 400 || code != 100 || f.Refreshes(DemoUserID) != 0 {
				t.Fatalf("%d %v", st, body)
			}
		})
	}
}

// TestRefreshEvery30DaysForAYear: a token refreshed every 30 days never
// expires, while the tokens it replaced do.
func TestRefreshEvery30DaysForAYear(t *testing.T) {
	tests := []struct {
		name      string
		every     time.Duration
		refreshes int
	}{
		{"every 30 days", 30 * day, 12},
		{"every 59 days", 59 * day, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c, base := newClockedFake(t)
			tok, last := testToken, epoch
			var retired []string
			for d := time.Duration(0); d <= 365*day; d += day {
				now := epoch.Add(d)
				c.Set(now)
				if now.Sub(last) >= tt.every {
					st, body := refreshToken(t, base, tok)
					fresh, _ := body["access_token"].(string)
					if st != 200 || fresh == "" {
						t.Fatalf("day %d: refresh: %d %v", d/day, st, body)
					}
					retired, tok, last = append(retired, tok), fresh, now
				}
				if st, body := me(t, base, tok); st != 200 {
					t.Fatalf("day %d: current token: %d %v", d/day, st, body)
				}
			}
			if n := f.Refreshes(DemoUserID); n != tt.refreshes {
				t.Fatalf("Refreshes = %d, want %d", n, tt.refreshes)
			}
			if st, _ := me(t, base, retired[0]); st != 400 {
				t.Fatalf("the original token still works after a year: %d", st)
			}
		})
	}
}

// TestHelpersIssueAtTheFakesClock: Seed, AddUser and AddToken issue their
// tokens at the fake's current time.
func TestHelpersIssueAtTheFakesClock(t *testing.T) {
	f, c, _ := newClockedFake(t)
	later := epoch.Add(10 * day)
	c.Set(later)
	f.AddUser(User{ID: "17841400000000009", Username: "added"}, "IGAAadded")
	f.AddToken(OtherUserID, "IGAAanother")
	tests := []struct {
		tok    string
		issued time.Time
	}{
		{DemoToken, epoch},
		{OtherToken, epoch},
		{testToken, epoch},
		{"IGAAadded", later},
		{"IGAAanother", later},
	}
	for _, tt := range tests {
		t.Run(tt.tok, func(t *testing.T) {
			if exp, ok := f.TokenExpiry(tt.tok); !ok || !exp.Equal(tt.issued.Add(TokenLifetime)) {
				t.Fatalf("TokenExpiry = %v %v, want %v", exp, ok, tt.issued.Add(TokenLifetime))
			}
		})
	}
	if _, ok := f.TokenExpiry("garbage"); ok {
		t.Fatal("TokenExpiry of an unknown token")
	}
}

const (
	testShortToken = "IGAAtestShortLivedToken"
	testSecret     = "test-app-secret-0123456789abcdef"
)

// issueShort issues testShortToken to the demo user at epoch.
func issueShort(f *Server) { f.IssueShortToken(DemoUserID, testShortToken, epoch) }

// exchangeURL is GET /access_token's URL on base (prefix: "" or a version
// segment such as "/v21.0"), with the token in the query when tok is set.
func exchangeURL(base, prefix, grant, secret, tok string) string {
	q := url.Values{}
	if grant != "" {
		q.Set("grant_type", grant)
	}
	if secret != "" {
		q.Set("client_secret", secret)
	}
	if tok != "" {
		q.Set("access_token", tok)
	}
	return base + prefix + "/access_token?" + q.Encode()
}

func errMessage(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	msg, _ := e["message"].(string)
	return msg
}

// TestShortTokenExpiresAfterAnHour: a short-lived token works on /me for
// its hour, then answers 190/463 like an expired long-lived token.
func TestShortTokenExpiresAfterAnHour(t *testing.T) {
	tests := []struct {
		name  string
		age   time.Duration
		valid bool
	}{
		{"just issued", 0, true},
		{"30 minutes", 30 * time.Minute, true},
		{"a second before the hour", time.Hour - time.Second, true},
		{"an hour", time.Hour, false},
		{"a day", day, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c, base := newClockedFake(t)
			issueShort(f)
			c.Set(epoch.Add(tt.age))
			st, body := me(t, base, testShortToken)
			if tt.valid {
				if st != 200 || body["username"] != "sandbox_creator" {
					t.Fatalf("want valid: %d %v", st, body)
				}
			} else {
				e, _ := body["error"].(map[string]any)
				if code, sub := errCode(body); st != 400 || code != 190 || sub != 463 || e["type"] != "OAuthException" ||
					!strings.HasPrefix(errMessage(body), "Error validating access token: Session has expired on ") {
					t.Fatalf("want 400 190/463: %d %v", st, body)
				}
			}
			if exp, ok := f.TokenExpiry(testShortToken); !ok || !exp.Equal(epoch.Add(ShortTokenLifetime)) {
				t.Fatalf("TokenExpiry = %v %v, want %v", exp, ok, epoch.Add(ShortTokenLifetime))
			}
		})
	}
	// ExpireToken after the hour keeps the hour's end as the expiry.
	f, c, _ := newClockedFake(t)
	issueShort(f)
	c.Set(epoch.Add(3 * time.Hour))
	f.ExpireToken(testShortToken)
	if exp, _ := f.TokenExpiry(testShortToken); !exp.Equal(epoch.Add(time.Hour)) {
		t.Fatalf("TokenExpiry after ExpireToken = %v, want %v", exp, epoch.Add(time.Hour))
	}
}

// TestExchange: a short-lived token is exchanged for a long-lived token of
// the same user that lives 60 days from the exchange; the short token goes
// on working until its own hour ends.
func TestExchange(t *testing.T) {
	tests := []struct {
		name, prefix string
		inHeader     bool // the token in an Authorization header, not the query
	}{
		{"no version", "", false},
		{"versioned", "/v21.0", false},
		{"token in header", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c, base := newClockedFake(t)
			f.SetAppSecret(testSecret)
			issueShort(f)
			now := epoch.Add(10 * time.Minute)
			c.Set(now)
			var st int
			var body map[string]any
			if tt.inHeader {
				st, _, body = call(t, "GET", exchangeURL(base, tt.prefix, "ig_exchange_token", testSecret, ""), testShortToken, nil)
			} else {
				st, _, body = call(t, "GET", exchangeURL(base, tt.prefix, "ig_exchange_token", testSecret, testShortToken), "", nil)
			}
			fresh, _ := body["access_token"].(string)
			if st != 200 || fresh == "" || fresh == testShortToken || body["token_type"] != "bearer" || body["expires_in"] != float64(5184000) {
				t.Fatalf("exchange: %d %v", st, body)
			}
			if n := f.Exchanges(DemoUserID); n != 1 {
				t.Fatalf("Exchanges = %d, want 1", n)
			}
			if n := f.Refreshes(DemoUserID); n != 0 {
				t.Fatalf("Refreshes = %d after an exchange", n)
			}
			if exp, ok := f.TokenExpiry(fresh); !ok || !exp.Equal(now.Add(60*day)) {
				t.Fatalf("new token expires %v %v, want %v", exp, ok, now.Add(60*day))
			}
			for _, tok := range []string{fresh, testShortToken} {
				if st, body := me(t, base, tok); st != 200 || body["username"] != "sandbox_creator" {
					t.Fatalf("%s after the exchange: %d %v", tok, st, body)
				}
			}
			c.Set(epoch.Add(time.Hour - time.Second))
			if st, body := me(t, base, testShortToken); st != 200 {
				t.Fatalf("short token before its hour ends: %d %v", st, body)
			}
			c.Set(epoch.Add(time.Hour))
			if st, body := me(t, base, testShortToken); st != 400 {
				t.Fatalf("short token after its hour: %d %v", st, body)
			} else if code, sub := errCode(body); code != 190 || sub != 463 {
				t.Fatalf("short token after its hour: %v/%v", code, sub)
			}
			if st, body := me(t, base, fresh); st != 200 {
				t.Fatalf("new token after the short one's hour: %d %v", st, body)
			}
			// The long-lived token refreshes like any other, once a day old.
			c.Set(now.Add(day))
			if st, body := refreshToken(t, base, fresh); st != 200 {
				t.Fatalf("refresh of the exchanged token: %d %v", st, body)
			}
			c.Set(now.Add(60*day - time.Second))
			if st, _ := me(t, base, fresh); st != 200 {
				t.Fatalf("new token before day 60: %d", st)
			}
			c.Set(now.Add(60 * day))
			if st, _ := me(t, base, fresh); st != 400 {
				t.Fatalf("new token at day 60: %d", st)
			}
		})
	}
}

func TestExchangeRefused(t *testing.T) {
	tests := []struct {
		name      string
		appSecret string // the fake's AppSecret
		grant     string
		secret    string // client_secret sent
		tok       string
		age       time.Duration
		prepare   func(f *Server)
		code, sub float64
		msg       string // the message's start
	}{
		{"wrong secret", testSecret, "ig_exchange_token", "not-the-secret", testShortToken, time.Minute, nil, 101, 0, "Error validating client secret."},
		{"secret off by case", testSecret, "ig_exchange_token", strings.ToUpper(testSecret), testShortToken, time.Minute, nil, 101, 0, "Error validating client secret."},
		{"missing secret", testSecret, "ig_exchange_token", "", testShortToken, time.Minute, nil, 101, 0, "Error validating client secret."},
		{"no AppSecret configured", "", "ig_exchange_token", testSecret, testShortToken, time.Minute, nil, 101, 0, "Error validating client secret."},
		{"no AppSecret, none sent", "", "ig_exchange_token", "", testShortToken, time.Minute, nil, 101, 0, "Error validating client secret."},
		{"long-lived token", testSecret, "ig_exchange_token", testSecret, testToken, time.Minute, nil, 100, 0, "Invalid parameter: only a short-lived access token can be exchanged"},
		{"seeded token", testSecret, "ig_exchange_token", testSecret, DemoToken, time.Minute, nil, 100, 0, "Invalid parameter: only a short-lived"},
		{"expired short token", testSecret, "ig_exchange_token", testSecret, testShortToken, time.Hour, nil, 190, 463, "Error validating access token: Session has expired on "},
		{"short token expired by ExpireToken", testSecret, "ig_exchange_token", testSecret, testShortToken, time.Minute,
			func(f *Server) { f.ExpireToken(testShortToken) }, 190, 463, "Error validating access token: Session has expired on "},
		{"revoked short token", testSecret, "ig_exchange_token", testSecret, testShortToken, time.Minute,
			func(f *Server) { f.RevokeToken(testShortToken) }, 190, 463, "Error validating access token"},
		{"unknown token", testSecret, "ig_exchange_token", testSecret, "garbage", time.Minute, nil, 190, 463, "Error validating access token"},
		{"no token", testSecret, "ig_exchange_token", testSecret, "", time.Minute, nil, 190, 463, "Error validating access token"},
		{"refresh grant type", testSecret, "ig_refresh_token", testSecret, testShortToken, time.Minute, nil, 100, 0, "Unsupported grant_type"},
		{"missing grant type", testSecret, "", testSecret, testShortToken, time.Minute, nil, 100, 0, "Unsupported grant_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c, base := newClockedFake(t)
			f.SetAppSecret(tt.appSecret)
			issueShort(f)
			if tt.prepare != nil {
				tt.prepare(f)
			}
			c.Set(epoch.Add(tt.age))
			st, _, body := call(t, "GET", exchangeURL(base, "", tt.grant, tt.secret, tt.tok), "", nil)
			e, _ := body["error"].(map[string]any)
			if code, sub := errCode(body); st != 400 || code != tt.code || sub != tt.sub || e["type"] != "OAuthException" ||
				!strings.HasPrefix(errMessage(body), tt.msg) {
				t.Fatalf("want 400 %v/%v %q: %d %v", tt.code, tt.sub, tt.msg, st, body)
			}
			if n := f.Exchanges(DemoUserID); n != 0 {
				t.Fatalf("Exchanges = %d after a refused exchange", n)
			}
		})
	}
}

// TestRefreshShortTokenMessage: refreshing a short-lived token says why.
func TestRefreshShortTokenMessage(t *testing.T) {
	f, c, base := newClockedFake(t)
	issueShort(f)
	c.Set(epoch.Add(30 * time.Minute))
	st, body := refreshToken(t, base, testShortToken)
	if code, _ := errCode(body); st != 400 || code != 100 ||
		errMessage(body) != "Invalid parameter: only a long-lived access token can be refreshed." {
		t.Fatalf("%d %v", st, body)
	}
	if f.Refreshes(DemoUserID) != 0 {
		t.Fatal("a refused refresh was counted")
	}
}
