package instagram

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/igconnect/gateway/internal/clocktest"
	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/fakegraph"
)

const (
	tokDay        = 24 * time.Hour
	tokLong       = "IGAAconnectorLongLivedToken0001"
	tokShort      = "IGAAconnectorShortLivedToken001"
	tokAppSecret  = "5f2b9c0e7d41a8b3c6e9f0a1b2c3d4e5"
	tokWrongSecre = "0123456789abcdef0123456789abcdef"
)

var tokEpoch = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// newTokenConnector serves a seeded fake on a clock set to tokEpoch, whose
// app secret is fakeSecret, with tokLong (long-lived) and tokShort
// (short-lived) of the demo user issued at tokEpoch, and returns a
// connector on it with connector secret secret.
func newTokenConnector(t *testing.T, fakeSecret, secret string) (*Connector, *fakegraph.Server, *clocktest.Clock) {
	t.Helper()
	clk := clocktest.New(tokEpoch)
	f := fakegraph.New()
	f.Now = clk.Now
	f.AppSecret = fakeSecret
	f.Seed()
	f.IssueToken(fakegraph.DemoUserID, tokLong, tokEpoch)
	f.IssueShortToken(fakegraph.DemoUserID, tokShort, tokEpoch)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c := New(&Client{BaseURL: srv.URL, HTTP: NewHTTPClient(5 * time.Second)}, "v21.0", 2*time.Second)
	c.AppSecret = secret
	return c, f, clk
}

// noPieceOf fails when text holds any 8 characters of secret, however
// cased.
func noPieceOf(t *testing.T, what, text, secret string) {
	t.Helper()
	low := strings.ToLower(text)
	for i := 0; i+8 <= len(secret); i++ {
		if strings.Contains(low, strings.ToLower(secret[i:i+8])) {
			t.Fatalf("%s: a piece of %q in %q", what, secret, text)
		}
	}
}

func TestRefreshToken(t *testing.T) {
	tests := []struct {
		name    string
		tok     string
		age     time.Duration
		prepare func(f *fakegraph.Server)
		code    string // "": the refresh succeeds
		graph   int
		sub     int
	}{
		{"two days old", tokLong, 2 * tokDay, nil, "", 0, 0},
		{"day 59", tokLong, 59 * tokDay, nil, "", 0, 0},
		{"too young", tokLong, time.Hour, nil, connectors.CodeBadRequest, 100, 0},
		{"short-lived", tokShort, 30 * time.Minute, nil, connectors.CodeBadRequest, 100, 0},
		{"expired", tokLong, 61 * tokDay, nil, connectors.CodeUpstreamTokenInvalid, 190, 463},
		{"expired by ExpireToken", tokLong, 2 * tokDay, func(f *fakegraph.Server) { f.ExpireToken(tokLong) }, connectors.CodeUpstreamTokenInvalid, 190, 463},
		{"revoked", tokLong, 2 * tokDay, func(f *fakegraph.Server) { f.RevokeToken(tokLong) }, connectors.CodeUpstreamTokenInvalid, 190, 463},
		{"unknown", "IGAAunknownTokenOfNobody", 2 * tokDay, nil, connectors.CodeUpstreamTokenInvalid, 190, 463},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f, clk := newTokenConnector(t, "", "")
			if tt.prepare != nil {
				tt.prepare(f)
			}
			now := tokEpoch.Add(tt.age)
			clk.Set(now)
			g, err := c.RefreshToken(context.Background(), tt.tok)
			if tt.code != "" {
				e := connectors.AsError(err)
				if err == nil || e.Code != tt.code || e.Upstream == nil || e.Upstream.Code != tt.graph || e.Upstream.ErrorSubcode != tt.sub {
					t.Fatalf("want %s %d/%d: %+v %v", tt.code, tt.graph, tt.sub, g, err)
				}
				noPieceOf(t, "message", e.Message, tt.tok)
				if n := f.Refreshes(fakegraph.DemoUserID); n != 0 {
					t.Fatalf("Refreshes = %d after a refused refresh", n)
				}
				return
			}
			if err != nil || g.Token == "" || g.Token == tt.tok || g.ExpiresIn != 60*tokDay {
				t.Fatalf("%+v %v", g, err)
			}
			if n := f.Refreshes(fakegraph.DemoUserID); n != 1 {
				t.Fatalf("Refreshes = %d, want 1", n)
			}
			if exp, ok := f.TokenExpiry(g.Token); !ok || !exp.Equal(now.Add(g.ExpiresIn)) {
				t.Fatalf("new token expires %v %v, want %v", exp, ok, now.Add(g.ExpiresIn))
			}
			if id, err := c.Identify(context.Background(), g.Token); err != nil || id.UserID != fakegraph.DemoUserID {
				t.Fatalf("new token: %+v %v", id, err)
			}
		})
	}
}

// TestGrantAnswers: how RefreshToken and LongLived read a 200 answer, and
// what they ask.
func TestGrantAnswers(t *testing.T) {
	tests := []struct {
		name, body string
		token      string // "": UPSTREAM_ERROR
		expiresIn  time.Duration
	}{
		{"instagram's", `{"access_token":"IGAAnew","token_type":"bearer","expires_in":5184000}`, "IGAAnew", 60 * tokDay},
		{"no expires_in", `{"access_token":"IGAAnew","token_type":"bearer"}`, "IGAAnew", 0},
		{"expires_in as a string", `{"access_token":"IGAAnew","expires_in":"5184000"}`, "IGAAnew", 60 * tokDay},
		{"negative expires_in", `{"access_token":"IGAAnew","expires_in":-5}`, "IGAAnew", 0},
		{"huge expires_in", `{"access_token":"IGAAnew","expires_in":1e300}`, "IGAAnew", 0},
		{"expires_in not a number", `{"access_token":"IGAAnew","expires_in":"soon"}`, "IGAAnew", 0},
		{"no token", `{"token_type":"bearer","expires_in":5184000}`, "", 0},
		{"empty token", `{"access_token":"","expires_in":5184000}`, "", 0},
		{"token with a space", `{"access_token":"IGAA new","expires_in":5184000}`, "", 0},
		{"token with a newline", `{"access_token":"IGAA\nnew"}`, "", 0},
		{"token not a string", `{"access_token":12345}`, "", 0},
		{"token too long", `{"access_token":"` + strings.Repeat("a", 4097) + `"}`, "", 0},
		{"token of 4096", `{"access_token":"` + strings.Repeat("a", 4096) + `"}`, strings.Repeat("a", 4096), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var got []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				got = append(got, r.Method+" "+r.URL.Path+" grant_type="+r.URL.Query().Get("grant_type")+
					" client_secret="+r.URL.Query().Get("client_secret")+" "+r.Header.Get("Authorization")+" "+r.URL.Query().Get("access_token"))
				mu.Unlock()
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			c := New(&Client{BaseURL: srv.URL, HTTP: srv.Client()}, "v21.0", time.Second)
			c.AppSecret = tokAppSecret
			for _, op := range []struct {
				name, want, noToken string
				do                  func() (connectors.Grant, error)
			}{
				{"refresh", "GET /refresh_access_token grant_type=ig_refresh_token client_secret= Bearer IGAAold ",
					"Instagram answered the token refresh without a token",
					func() (connectors.Grant, error) { return c.RefreshToken(context.Background(), "IGAAold") }},
				{"exchange", "GET /access_token grant_type=ig_exchange_token client_secret=" + tokAppSecret + " Bearer IGAAold ",
					"Instagram answered the token exchange without a token",
					func() (connectors.Grant, error) { return c.LongLived(context.Background(), "IGAAold") }},
			} {
				g, err := op.do()
				mu.Lock()
				calls := got
				got = nil
				mu.Unlock()
				if len(calls) != 1 || calls[0] != op.want {
					t.Fatalf("%s: asked %q, want %q", op.name, calls, op.want)
				}
				if tt.token == "" {
					if e := connectors.AsError(err); err == nil || e.Code != connectors.CodeUpstreamError || e.Message != op.noToken {
						t.Fatalf("%s: %+v %v", op.name, g, err)
					}
					continue
				}
				if err != nil || g.Token != tt.token || g.ExpiresIn != tt.expiresIn {
					t.Fatalf("%s: %+v %v", op.name, g, err)
				}
			}
		})
	}
}

// TestLongLivedWithoutSecret: without an app secret the token is kept as
// given, whatever it is, and Instagram is not asked.
func TestLongLivedWithoutSecret(t *testing.T) {
	for _, tok := range []string{tokShort, tokLong, "IGAAunknownTokenOfNobody"} {
		t.Run(tok, func(t *testing.T) {
			c, f, _ := newTokenConnector(t, tokAppSecret, "")
			before := f.Requests()
			g, err := c.LongLived(context.Background(), tok)
			if err != nil || g != (connectors.Grant{Token: tok}) {
				t.Fatalf("%+v %v", g, err)
			}
			if n := f.Requests(); n != before {
				t.Fatalf("%d upstream calls without a secret", n-before)
			}
			if n := f.Exchanges(fakegraph.DemoUserID); n != 0 {
				t.Fatalf("Exchanges = %d", n)
			}
		})
	}
}

func TestLongLivedWithSecret(t *testing.T) {
	tests := []struct {
		name       string
		fakeSecret string // the app secret Instagram knows
		tok        string
		age        time.Duration
		prepare    func(f *fakegraph.Server)
		exchanged  bool   // a new token, 60 days
		kept       bool   // the token itself, lifetime unknown
		code       string // else this error
		graph, sub int
	}{
		{"short token", tokAppSecret, tokShort, 10 * time.Minute, nil, true, false, "", 0, 0},
		{"long-lived token", tokAppSecret, tokLong, 10 * time.Minute, nil, false, true, "", 0, 0},
		{"seeded long-lived token", tokAppSecret, fakegraph.DemoToken, 10 * time.Minute, nil, false, true, "", 0, 0},
		{"wrong secret", tokWrongSecre, tokShort, 10 * time.Minute, nil, false, false, connectors.CodeUpstreamError, 101, 0},
		{"wrong secret, long-lived token", tokWrongSecre, tokLong, 10 * time.Minute, nil, false, false, connectors.CodeUpstreamError, 101, 0},
		{"instagram knows no secret", "", tokShort, 10 * time.Minute, nil, false, false, connectors.CodeUpstreamError, 101, 0},
		{"expired short token", tokAppSecret, tokShort, time.Hour, nil, false, false, connectors.CodeUpstreamTokenInvalid, 190, 463},
		{"short token expired by ExpireToken", tokAppSecret, tokShort, 10 * time.Minute,
			func(f *fakegraph.Server) { f.ExpireToken(tokShort) }, false, false, connectors.CodeUpstreamTokenInvalid, 190, 463},
		{"revoked short token", tokAppSecret, tokShort, 10 * time.Minute,
			func(f *fakegraph.Server) { f.RevokeToken(tokShort) }, false, false, connectors.CodeUpstreamTokenInvalid, 190, 463},
		{"expired long-lived token", tokAppSecret, tokLong, 61 * tokDay, nil, false, false, connectors.CodeUpstreamTokenInvalid, 190, 463},
		{"unknown token", tokAppSecret, "IGAAunknownTokenOfNobody", 10 * time.Minute, nil, false, false, connectors.CodeUpstreamTokenInvalid, 190, 463},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f, clk := newTokenConnector(t, tt.fakeSecret, tokAppSecret)
			if tt.prepare != nil {
				tt.prepare(f)
			}
			now := tokEpoch.Add(tt.age)
			clk.Set(now)
			g, err := c.LongLived(context.Background(), tt.tok)
			switch {
			case tt.exchanged:
				if err != nil || g.Token == "" || g.Token == tt.tok || g.ExpiresIn != 60*tokDay {
					t.Fatalf("%+v %v", g, err)
				}
				if n := f.Exchanges(fakegraph.DemoUserID); n != 1 {
					t.Fatalf("Exchanges = %d, want 1", n)
				}
				if exp, ok := f.TokenExpiry(g.Token); !ok || !exp.Equal(now.Add(60*tokDay)) {
					t.Fatalf("new token expires %v %v, want %v", exp, ok, now.Add(60*tokDay))
				}
				// The new token outlives the short one's hour.
				clk.Set(tokEpoch.Add(2 * time.Hour))
				if id, err := c.Identify(context.Background(), g.Token); err != nil || id.UserID != fakegraph.DemoUserID {
					t.Fatalf("new token: %+v %v", id, err)
				}
				if _, err := c.Identify(context.Background(), tt.tok); connectors.ErrorCode(err) != connectors.CodeUpstreamTokenInvalid {
					t.Fatalf("short token after its hour: %v", err)
				}
			case tt.kept:
				if err != nil || g != (connectors.Grant{Token: tt.tok}) {
					t.Fatalf("%+v %v", g, err)
				}
				if n := f.Exchanges(fakegraph.DemoUserID); n != 0 {
					t.Fatalf("Exchanges = %d", n)
				}
			default:
				e := connectors.AsError(err)
				if err == nil || e.Code != tt.code || e.Upstream == nil || e.Upstream.Code != tt.graph || e.Upstream.ErrorSubcode != tt.sub {
					t.Fatalf("want %s %d/%d: %+v %v", tt.code, tt.graph, tt.sub, g, err)
				}
				if tt.graph == 101 && !strings.Contains(e.Message, "app secret") {
					t.Fatalf("message does not name the app secret: %q", e.Message)
				}
				for _, s := range []string{tokAppSecret, tt.fakeSecret, tt.tok} {
					if s != "" {
						noPieceOf(t, "message", e.Message, s)
						noPieceOf(t, "error", err.Error(), s)
					}
				}
				if n := f.Exchanges(fakegraph.DemoUserID); n != 0 {
					t.Fatalf("Exchanges = %d after a refused exchange", n)
				}
			}
		})
	}
}

// TestLongLivedRedactsSecret: an error that quotes the secret, in
// upstream's message or in the cause of a request that could not be
// built, does not carry it.
func TestLongLivedRedactsSecret(t *testing.T) {
	echo := func(status int, body string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			w.Write([]byte(strings.NewReplacer("SECRET", r.URL.Query().Get("client_secret"), "LOWER", strings.ToLower(tokAppSecret[4:])).Replace(body)))
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	tests := []struct {
		name, base string
		code       string
	}{
		{"101 quoting it", echo(400, `{"error":{"message":"Error validating client secret SECRET.","type":"OAuthException","code":101,"fbtrace_id":"A1"}}`), connectors.CodeUpstreamError},
		{"190 quoting it cut", echo(400, `{"error":{"message":"bad LOWER","type":"OAuthException","code":190,"fbtrace_id":"A1"}}`), connectors.CodeUpstreamTokenInvalid},
		{"user message quoting it", echo(400, `{"error":{"message":"x","error_user_msg":"client_secret=SECRET","code":1,"fbtrace_id":"A1"}}`), connectors.CodeUpstreamError},
		{"500 quoting it", echo(500, `{"error":{"message":"SECRET","type":"SECRET","code":2,"fbtrace_id":"SECRET"}}`), connectors.CodeUpstreamError},
		{"unbuildable request", "http://[::1", connectors.CodeBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(&Client{BaseURL: tt.base, HTTP: NewHTTPClient(5 * time.Second)}, "v21.0", time.Second)
			c.AppSecret = tokAppSecret
			_, err := c.LongLived(context.Background(), tokShort)
			e := connectors.AsError(err)
			if err == nil || e.Code != tt.code {
				t.Fatalf("want %s: %v", tt.code, err)
			}
			noPieceOf(t, "message", e.Message, tokAppSecret)
			noPieceOf(t, "error", err.Error(), tokAppSecret)
			noPieceOf(t, "message", e.Message, tokShort)
			if e.Upstream != nil {
				noPieceOf(t, "upstream type", e.Upstream.Type, tokAppSecret)
				noPieceOf(t, "trace ID", e.Upstream.FBTraceID, tokAppSecret)
			}
		})
	}
}
