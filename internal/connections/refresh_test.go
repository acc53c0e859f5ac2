package connections

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/igconnect/gateway/internal/clocktest"
	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/connectors/instagram"
	"github.com/igconnect/gateway/internal/fakegraph"
	"github.com/igconnect/gateway/internal/secret"
	"github.com/igconnect/gateway/internal/store"
)

const day = 24 * time.Hour

// epoch is where the simulated clocks start.
var epoch = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// clocked is a refresher of a service on st in front of a seeded fake, all
// on one simulated clock, with every refresh reported in reports.
type clocked struct {
	*Refresher
	fake    *fakegraph.Server
	clock   *clocktest.Clock
	mu      sync.Mutex
	reports []Refreshed
}

func newClocked(t *testing.T, st store.Store) *clocked {
	t.Helper()
	clk := clocktest.New(epoch)
	f := fakegraph.New()
	f.Now = clk.Now
	f.Seed()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return newClockedOn(t, st, f, clk, srv.URL)
}

// newClockedOn is newClocked with the fake f reached at upURL.
func newClockedOn(t *testing.T, st store.Store, f *fakegraph.Server, clk *clocktest.Clock, upURL string) *clocked {
	t.Helper()
	sealer, err := secret.NewSealer(testKey)
	if err != nil {
		t.Fatal(err)
	}
	c := instagram.New(&instagram.Client{BaseURL: upURL, HTTP: instagram.NewHTTPClient(5 * time.Second)}, "v21.0", time.Second)
	s := New(st, sealer, c)
	s.Now = clk.Now
	cl := &clocked{fake: f, clock: clk}
	cl.Refresher = NewRefresher(s, slog.New(slog.NewJSONHandler(io.Discard, nil)), func(r Refreshed) {
		cl.mu.Lock()
		defer cl.mu.Unlock()
		cl.reports = append(cl.reports, r)
	})
	return cl
}

func (c *clocked) results() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, len(c.reports))
	for i, r := range c.reports {
		out[i] = r.Result
	}
	return out
}

func (c *clocked) sweep(t *testing.T) {
	t.Helper()
	if _, err := c.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// call is what an action call does with a connection's key: authenticate,
// open the stored token, call upstream with it.
func (c *clocked) call(ctx context.Context, key string) error {
	conn, err := c.Authenticate(ctx, key)
	if err != nil {
		return err
	}
	tok, err := c.Token(conn)
	if err != nil {
		return err
	}
	_, err = c.Connector.Identify(ctx, tok)
	return err
}

func TestPolicy(t *testing.T) {
	p := DefaultPolicy
	t0 := epoch
	tests := []struct {
		name          string
		got, expires  time.Time
		want          time.Time
		failures      int
		retryExpected time.Time
	}{
		// Retries are a tenth of an interval early: the next check takes them.
		{name: "unknown expiry: once old enough", got: t0, want: t0.Add(day), failures: 1, retryExpected: t0.Add(54 * time.Minute)},
		{name: "60-day token: 30 days before it expires", got: t0, expires: t0.Add(60 * day), want: t0.Add(30 * day), failures: 3, retryExpected: t0.Add(4*time.Hour - 6*time.Minute)},
		{name: "expiring soon, too young", got: t0, expires: t0.Add(10 * day), want: t0.Add(day), failures: 10, retryExpected: t0.Add(32*time.Hour - 6*time.Minute)},
		{name: "expiring within a check: every check", got: t0, expires: t0.Add(90 * time.Minute), want: t0.Add(day), failures: 2, retryExpected: t0.Add(54 * time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.Due(tt.got, tt.expires); !got.Equal(tt.want) {
				t.Errorf("Due = %v, want %v", got, tt.want)
			}
			if got := p.Retry(t0, tt.expires, tt.failures); !got.Equal(tt.retryExpected) {
				t.Errorf("Retry(%d) = %v, want %v", tt.failures, got, tt.retryExpected)
			}
		})
	}
}

// A connection called every simulated day for a year never fails: its
// token is refreshed before it expires, as often as the policy says.
func TestSimulatedYear(t *testing.T) {
	tests := []struct {
		name string
		// exchange: the token given is short-lived and the app secret is
		// set (its expiry is known from the start).
		exchange  bool
		refreshes int
	}{
		// Unknown expiry: refreshed at day 1, then every 30 days (1, 31,
		// …, 361).
		{name: "pasted long-lived token", refreshes: 13},
		// Known from the exchange: every 30 days (30, 60, …, 360).
		{name: "short-lived token exchanged", exchange: true, refreshes: 12},
	}
	eachStore(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx := context.Background()
				c := newClocked(t, open(t))
				token := fakegraph.DemoToken
				if tt.exchange {
					c.fake.SetAppSecret("app-secret-0123")
					c.Connector.(*instagram.Connector).AppSecret = "app-secret-0123"
					token = "IGQshortLivedDemoToken0001"
					c.fake.IssueShortToken(fakegraph.DemoUserID, token, epoch)
				}
				v, err := c.Create(ctx, token, "year")
				if err != nil {
					t.Fatal(err)
				}
				if tt.exchange != (v.TokenExpiresAt != nil) {
					t.Fatalf("token_expires_at = %v after create", v.TokenExpiresAt)
				}
				for d := range 365 {
					for range 4 { // a sweep every 6 simulated hours
						c.clock.Add(6 * time.Hour)
						c.sweep(t)
					}
					if err := c.call(ctx, v.APIKey); err != nil {
						t.Fatalf("day %d: %v", d+1, err)
					}
				}
				if got := c.fake.Refreshes(fakegraph.DemoUserID); got != tt.refreshes {
					t.Errorf("%d refreshes in a year, want %d", got, tt.refreshes)
				}
				got, err := c.Get(ctx, v.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.Status != connectors.StatusActive || got.TokenRefreshedAt == nil || got.TokenExpiresAt == nil ||
					got.TokenExpiresAt.Sub(c.clock.Now()) < 29*day || got.TokenRefreshDueAt == nil || got.LastError != nil {
					t.Fatalf("after a year: %+v", got)
				}
				for _, r := range c.results() {
					if r != RefreshOK {
						t.Fatalf("results %v", c.results())
					}
				}
			})
		}
	})
}

// failUpstream makes the fake answer every refresh with a 500.
func failUpstream(f *fakegraph.Server) {
	f.SetFault(&fakegraph.Fault{
		Match: func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/refresh_access_token") },
		Handle: func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, `{"error":{"message":"down","code":2}}`, 500)
		},
	})
}

// What each refresh outcome records, and what it leaves working.
func TestRefreshOutcomes(t *testing.T) {
	ctx := context.Background()
	eachStore(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		t.Run("failures back off, then a success clears them", func(t *testing.T) {
			c := newClocked(t, open(t))
			v, _ := c.Create(ctx, fakegraph.DemoToken, "")
			failUpstream(c.fake)
			c.clock.Add(day)
			c.sweep(t)
			got, _ := c.Get(ctx, v.ID)
			if got.Status != connectors.StatusRefreshFailing || got.LastError == nil || got.LastError.Code != connectors.CodeUpstreamError ||
				!got.TokenRefreshDueAt.Equal(c.clock.Now().Add(54*time.Minute)) {
				t.Fatalf("after a failure: %+v %+v", got, got.LastError)
			}
			if err := c.call(ctx, v.APIKey); err != nil {
				t.Fatalf("a failing refresh failed a call: %v", err)
			}
			c.clock.Add(time.Hour)
			c.sweep(t)
			if got, _ := c.Get(ctx, v.ID); !got.TokenRefreshDueAt.Equal(c.clock.Now().Add(2*time.Hour - 6*time.Minute)) {
				t.Fatalf("second failure retried at %v, want two hours later", got.TokenRefreshDueAt)
			}
			c.sweep(t) // not due yet: nothing
			c.fake.SetFault(nil)
			c.clock.Add(2 * time.Hour)
			c.sweep(t)
			got, _ = c.Get(ctx, v.ID)
			if got.Status != connectors.StatusActive || got.LastError != nil || got.TokenExpiresAt == nil ||
				!got.TokenExpiresAt.Equal(c.clock.Now().Add(fakegraph.TokenLifetime)) || !got.TokenRefreshedAt.Equal(c.clock.Now()) {
				t.Fatalf("after the success: %+v", got)
			}
			if r := c.results(); strings.Join(r, ",") != "error,error,ok" {
				t.Fatalf("reported %v", r)
			}
		})
		t.Run("revoked: reauthorize, off the schedule, set-token brings it back", func(t *testing.T) {
			c := newClocked(t, open(t))
			v, _ := c.Create(ctx, fakegraph.DemoToken, "")
			c.fake.RevokeToken(fakegraph.DemoToken)
			c.clock.Add(day)
			c.sweep(t)
			got, _ := c.Get(ctx, v.ID)
			if got.Status != connectors.StatusReauthorize || got.LastError == nil || got.LastError.Code != connectors.CodeUpstreamTokenInvalid || got.TokenRefreshDueAt != nil {
				t.Fatalf("after the refresh: %+v", got)
			}
			if ids, _ := c.Store.ClaimDue(ctx, c.clock.Now().Add(400*day), 10, time.Minute); len(ids) != 0 {
				t.Fatalf("still scheduled: %v", ids)
			}
			if err := c.call(ctx, v.APIKey); connectors.ErrorCode(err) != connectors.CodeUpstreamTokenInvalid {
				t.Fatalf("call: %v", err)
			}
			c.fake.IssueToken(fakegraph.DemoUserID, "IGAAnewDemoToken000000000000000099", c.clock.Now())
			if _, err := c.SetToken(ctx, v.ID, "IGAAnewDemoToken000000000000000099"); err != nil {
				t.Fatal(err)
			}
			if err := c.call(ctx, v.APIKey); err != nil {
				t.Fatalf("the same key after set-token: %v", err)
			}
			c.clock.Add(day)
			c.sweep(t)
			if got, _ := c.Get(ctx, v.ID); got.Status != connectors.StatusActive || got.TokenRefreshedAt == nil {
				t.Fatalf("set-token did not put it back on the schedule: %+v", got)
			}
			if r := c.results(); strings.Join(r, ",") != "reauthorize,ok" {
				t.Fatalf("reported %v", r)
			}
		})
		t.Run("a call in flight keeps working with the token it read", func(t *testing.T) {
			c := newClocked(t, open(t))
			v, _ := c.Create(ctx, fakegraph.DemoToken, "")
			conn, _ := c.Authenticate(ctx, v.APIKey)
			old, _ := c.Token(conn)
			c.clock.Add(day)
			c.sweep(t)
			now, _ := c.Store.Get(ctx, v.ID)
			if tok, _ := c.Token(now); tok == old {
				t.Fatal("not refreshed")
			}
			if _, err := c.Connector.Identify(ctx, old); err != nil {
				t.Fatalf("the call in flight failed: %v", err)
			}
		})
		t.Run("deleted: its entry goes", func(t *testing.T) {
			c := newClocked(t, open(t))
			v, _ := c.Create(ctx, fakegraph.DemoToken, "")
			// The record goes, its entry stays (as when a store write
			// between the two failed).
			if err := c.Store.Delete(ctx, v.ID); err != nil {
				t.Fatal(err)
			}
			if err := c.Store.Schedule(ctx, v.ID, epoch); err != nil {
				t.Fatal(err)
			}
			c.clock.Add(day)
			c.sweep(t)
			if ids, _ := c.Store.ClaimDue(ctx, c.clock.Now().Add(400*day), 10, time.Minute); len(ids) != 0 {
				t.Fatalf("still scheduled: %v", ids)
			}
			if len(c.results()) != 0 || c.fake.Refreshes(fakegraph.DemoUserID) != 0 {
				t.Fatalf("refreshed a deleted connection: %v", c.results())
			}
		})
		t.Run("an early entry is moved to the record's due time", func(t *testing.T) {
			c := newClocked(t, open(t))
			v, _ := c.Create(ctx, fakegraph.DemoToken, "")
			if err := c.Store.Schedule(ctx, v.ID, epoch); err != nil {
				t.Fatal(err)
			}
			c.clock.Add(time.Hour)
			c.sweep(t)
			if c.fake.Refreshes(fakegraph.DemoUserID) != 0 {
				t.Fatal("refreshed before its time")
			}
			if ids, _ := c.Store.ClaimDue(ctx, epoch.Add(day), 10, time.Minute); len(ids) != 1 {
				t.Fatalf("not rescheduled at its due time: %v", ids)
			}
		})
		t.Run("a connection stored before refreshing existed is scheduled at start", func(t *testing.T) {
			c := newClocked(t, open(t))
			v, _ := c.Create(ctx, fakegraph.DemoToken, "")
			old, _ := c.Store.Get(ctx, v.ID)
			if err := c.Store.SetLifecycle(ctx, v.ID, old.EncryptedToken, connectors.Lifecycle{}, nil); err != nil {
				t.Fatal(err)
			}
			if err := c.Store.Unschedule(ctx, v.ID); err != nil {
				t.Fatal(err)
			}
			c.clock.Add(day)
			c.sweep(t)
			if c.fake.Refreshes(fakegraph.DemoUserID) != 0 {
				t.Fatal("refreshed off the schedule")
			}
			if n, err := c.Reschedule(ctx); err != nil || n != 1 {
				t.Fatalf("Reschedule = %d, %v", n, err)
			}
			c.sweep(t)
			if c.fake.Refreshes(fakegraph.DemoUserID) != 1 {
				t.Fatal("not refreshed after Reschedule")
			}
		})
	})
}

// flaky is a store whose named methods fail with UNAVAILABLE while down
// is set, as Redis does when it is unreachable.
type flaky struct {
	store.Store
	mu   sync.Mutex
	down map[string]bool
}

var errDown = connectors.Errorf(connectors.CodeUnavailable, "connection store unavailable")

func (f *flaky) fails(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.down[name]
}

func (f *flaky) set(names ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = map[string]bool{}
	for _, n := range names {
		f.down[n] = true
	}
}

func (f *flaky) ClaimDue(ctx context.Context, now time.Time, n int, lease time.Duration) ([]string, error) {
	if f.fails("ClaimDue") {
		return nil, errDown
	}
	return f.Store.ClaimDue(ctx, now, n, lease)
}

func (f *flaky) Get(ctx context.Context, id string) (*connectors.Connection, error) {
	if f.fails("Get") {
		return nil, errDown
	}
	return f.Store.Get(ctx, id)
}

func (f *flaky) SetLifecycle(ctx context.Context, id string, sealed []byte, life connectors.Lifecycle, next []byte) error {
	if f.fails("SetLifecycle") {
		return errDown
	}
	return f.Store.SetLifecycle(ctx, id, sealed, life, next)
}

func (f *flaky) Settle(ctx context.Context, id string, claim, at time.Time) (bool, error) {
	if f.fails("Settle") {
		return false, errDown
	}
	return f.Store.Settle(ctx, id, claim, at)
}

// The store failing at any step of a sweep loses nothing: the sweep stops,
// every token keeps working, and once the store is back and the claims
// have lapsed each due token is refreshed once.
func TestSweepStoreUnavailable(t *testing.T) {
	ctx := context.Background()
	for _, step := range []string{"ClaimDue", "Get", "SetLifecycle", "Settle"} {
		t.Run(step, func(t *testing.T) {
			st := &flaky{Store: openRedis(t)}
			c := newClocked(t, st)
			const users = 5
			keys := make([]string, users)
			for i := range users {
				id, tok := "178414000000100"+string(rune('0'+i))+"0", "IGAAyearUserToken00000000000000"+string(rune('a'+i))
				c.fake.AddUser(fakegraph.User{ID: id, Username: "user" + string(rune('a'+i))}, tok)
				v, err := c.Create(ctx, tok, "")
				if err != nil {
					t.Fatal(err)
				}
				keys[i] = v.APIKey
			}
			c.clock.Add(day)
			st.set(step)
			if _, err := c.Sweep(ctx); connectors.ErrorCode(err) != connectors.CodeUnavailable {
				t.Fatalf("Sweep with %s down: %v", step, err)
			}
			st.set()
			for i, key := range keys {
				if err := c.call(ctx, key); err != nil {
					t.Fatalf("connection %d after the failed sweep: %v", i, err)
				}
			}
			c.clock.Add(c.Lease)
			c.sweep(t)
			refreshed := 0
			for i := range users {
				refreshed += c.fake.Refreshes("178414000000100" + string(rune('0'+i)) + "0")
			}
			// A refresh whose token could not be stored is done again:
			// the stored token is the one Instagram still accepts.
			if ok := strings.Count(strings.Join(c.results(), ","), RefreshOK); ok != users {
				t.Fatalf("%d refreshes stored, want %d (results %v)", ok, users, c.results())
			}
			for i, key := range keys {
				if err := c.call(ctx, key); err != nil {
					t.Fatalf("connection %d after recovery: %v", i, err)
				}
			}
			if step != "SetLifecycle" && refreshed != users {
				t.Fatalf("%d refreshes upstream, want %d", refreshed, users)
			}
		})
	}
}

// Two replicas sweeping at once on one Redis refresh each due token
// exactly once; a replica that claimed connections and died (its refresh
// hanging when it was stopped) loses them to the other after the lease.
func TestTwoReplicas(t *testing.T) {
	ctx := context.Background()
	st := openRedis(t)
	a := newClocked(t, st)
	const users = 40
	keys := make([]string, users)
	userID := func(i int) string { return "17841400000020" + string(rune('0'+i/10)) + string(rune('0'+i%10)) }
	for i := range users {
		tok := "IGAAreplicaUserToken000000000000" + string(rune('0'+i/10)) + string(rune('0'+i%10))
		a.fake.AddUser(fakegraph.User{ID: userID(i), Username: "u" + userID(i)}, tok)
		v, err := a.Create(ctx, tok, "")
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = v.APIKey
	}
	b := newClockedOn(t, st, a.fake, a.clock, a.Connector.(*instagram.Connector).Client.BaseURL)
	a.Workers, b.Workers = 3, 3
	a.clock.Add(day)
	var wg sync.WaitGroup
	for _, r := range []*clocked{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := r.Sweep(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for i := range users {
		if n := a.fake.Refreshes(userID(i)); n != 1 {
			t.Fatalf("user %d refreshed %d times", i, n)
		}
	}
	if na, nb := len(a.results()), len(b.results()); na+nb != users {
		t.Fatalf("replicas reported %d + %d refreshes, want %d", na, nb, users)
	}

	// Next round: replica a's upstream hangs on refreshes; a claims a
	// batch and is stopped mid-refresh.
	hung := make(chan struct{}, users)
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hung <- struct{}{}
		<-r.Context().Done()
	}))
	defer hang.Close()
	dying := newClockedOn(t, st, a.fake, a.clock, hang.URL)
	dying.Workers = 5
	a.clock.Add(31 * day)
	dctx, kill := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); dying.Sweep(dctx) }()
	select {
	case <-hung:
	case <-time.After(10 * time.Second):
		t.Fatal("the dying replica never called upstream")
	}
	kill()
	<-done
	// The other replica starts (Reschedule) and sweeps at once: it takes
	// everything but what the dead one holds.
	if _, err := b.Reschedule(ctx); err != nil {
		t.Fatal(err)
	}
	b.sweep(t)
	held := 0
	for i := range users {
		if a.fake.Refreshes(userID(i)) == 1 {
			held++
		}
	}
	if held != dying.Workers {
		t.Fatalf("%d connections left to the dead replica's claims, want %d", held, dying.Workers)
	}
	// Within the lease they stay held; once it ends, they are done.
	a.clock.Add(b.Lease - time.Second)
	b.sweep(t)
	a.clock.Add(time.Second)
	b.sweep(t)
	for i := range users {
		if n := a.fake.Refreshes(userID(i)); n != 2 {
			t.Fatalf("user %d refreshed %d times, want 2", i, n)
		}
	}
	for i, key := range keys {
		if err := b.call(ctx, key); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
	}
	if len(dying.results()) != 0 {
		t.Fatalf("the dead replica reported %v", dying.results())
	}
}

// racing runs then, once, right after a lifecycle write that matches when
// returns: another replica's set-token landing between two store writes
// of a call or a sweep.
type racing struct {
	store.Store
	when func(life connectors.Lifecycle, next []byte) bool
	then func()
	once sync.Once
}

func (r *racing) SetLifecycle(ctx context.Context, id string, sealed []byte, life connectors.Lifecycle, next []byte) error {
	err := r.Store.SetLifecycle(ctx, id, sealed, life, next)
	if err == nil && r.when(life, next) {
		r.once.Do(r.then)
	}
	return err
}

// A set-token that lands between the writes of a call's rejection or of
// a refresh leaves the connection on the schedule no later than its new
// token is due (review: it fell off, or was pushed 30 days late).
func TestSetTokenRacesKeepSchedule(t *testing.T) {
	ctx := context.Background()
	const fresh = "IGAAraceFreshToken0000000000000001"
	tests := []struct {
		name string
		when func(life connectors.Lifecycle, next []byte) bool
		// act does what races the set-token.
		act func(t *testing.T, c *clocked, v connectors.ConnectionView)
	}{
		{"a call's rejection", func(life connectors.Lifecycle, _ []byte) bool { return life.Status == connectors.StatusReauthorize },
			func(t *testing.T, c *clocked, v connectors.ConnectionView) {
				conn, _ := c.Store.Get(ctx, v.ID)
				if _, err := c.TokenRejected(ctx, conn, connectors.Errorf(connectors.CodeUpstreamTokenInvalid, "Instagram: expired")); err != nil {
					t.Fatal(err)
				}
			}},
		{"a refresh", func(_ connectors.Lifecycle, next []byte) bool { return next != nil },
			func(t *testing.T, c *clocked, _ connectors.ConnectionView) {
				c.clock.Add(day)
				c.sweep(t)
			}},
	}
	eachStore(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				st := &racing{Store: open(t), when: tt.when}
				c := newClocked(t, st)
				v, err := c.Create(ctx, fakegraph.DemoToken, "")
				if err != nil {
					t.Fatal(err)
				}
				c.fake.IssueToken(fakegraph.DemoUserID, fresh, epoch)
				st.then = func() {
					if _, err := c.SetToken(ctx, v.ID, fresh); err != nil {
						t.Error(err)
					}
				}
				tt.act(t, c, v)
				got, err := c.Store.Get(ctx, v.ID)
				if err != nil {
					t.Fatal(err)
				}
				if tok, _ := c.Token(got); tok != fresh || got.StatusOrActive() != connectors.StatusActive {
					t.Fatalf("set-token lost: %+v", got)
				}
				// The new token (expiry unknown) is due a day after it was
				// set: the schedule must hand it out by then.
				ids, err := c.Store.ClaimDue(ctx, got.RefreshDueAt, 10, time.Minute)
				if err != nil || len(ids) != 1 || ids[0] != v.ID {
					t.Fatalf("at its due time %v the schedule hands out %v, %v", got.RefreshDueAt, ids, err)
				}
			})
		}
	})
}
