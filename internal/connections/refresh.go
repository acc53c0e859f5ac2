package connections

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/secret"
	"github.com/igconnect/gateway/internal/store"
)

// Policy is when tokens are refreshed (contract §8).
type Policy struct {
	// MinAge: upstream refreshes only tokens at least this old
	// (GATEWAY_TOKEN_MIN_AGE).
	MinAge time.Duration
	// RefreshBefore: a token is refreshed once it expires within this
	// (GATEWAY_TOKEN_REFRESH_BEFORE).
	RefreshBefore time.Duration
	// CheckInterval: how often the gateway looks for due tokens
	// (GATEWAY_TOKEN_CHECK_INTERVAL); a failed refresh is retried at the
	// next check, then after twice as long with each failure in a row.
	CheckInterval time.Duration
}

// DefaultPolicy is the contract's defaults.
var DefaultPolicy = Policy{MinAge: 24 * time.Hour, RefreshBefore: 720 * time.Hour, CheckInterval: time.Hour}

// maxBackoffDoublings bounds a failing refresh's retry interval at
// CheckInterval × 2^maxBackoffDoublings (32 hours by default).
const maxBackoffDoublings = 5

// Due returns when a token obtained at got and expiring at expires (zero:
// unknown) is due for a refresh: once it is MinAge old and expires within
// RefreshBefore; a token whose expiry is unknown as soon as it is old
// enough (the refresh tells its expiry).
func (p Policy) Due(got, expires time.Time) time.Time {
	due := got.Add(p.MinAge)
	if !expires.IsZero() {
		if t := expires.Add(-p.RefreshBefore); t.After(due) {
			due = t
		}
	}
	return due
}

// Retry returns when a refresh that failed for the n-th time in a row at
// now is tried again: CheckInterval later, doubled with each failure up to
// 2^maxBackoffDoublings times; but every CheckInterval once a doubled wait
// would end within one CheckInterval of the token's expiry (expires zero:
// unknown). The time is a tenth of an interval early, so that the check
// one interval after the failing one takes it.
func (p Policy) Retry(now, expires time.Time, n int) time.Time {
	wait := p.CheckInterval << min(max(n-1, 0), maxBackoffDoublings)
	if !expires.IsZero() && now.Add(wait).After(expires.Add(-p.CheckInterval)) {
		wait = p.CheckInterval
	}
	return now.Add(wait - p.CheckInterval/10)
}

// fresh returns the lifecycle of a token obtained at now with grant's
// lifetime: active, its expiry when known, due for its first refresh.
func (p Policy) fresh(now time.Time, g connectors.Grant) connectors.Lifecycle {
	var life connectors.Lifecycle
	if g.ExpiresIn > 0 {
		life.TokenExpiresAt = now.Add(g.ExpiresIn)
	}
	life.RefreshDueAt = p.Due(now, life.TokenExpiresAt)
	return life
}

// Refresh results, the values of gateway_token_refreshes_total{result}.
const (
	// RefreshOK: upstream gave a new token and it is stored.
	RefreshOK = "ok"
	// RefreshFailed: the refresh failed and is retried with backoff.
	RefreshFailed = "error"
	// RefreshReauthorize: upstream rejected the token (Graph code 190);
	// the connection needs a new one.
	RefreshReauthorize = "reauthorize"
)

// Refreshed is what one refresh did: the log line and the metric.
type Refreshed struct {
	ConnectionID string
	Result       string
	// ExpiresAt is the new token's expiry (RefreshOK; zero: unknown).
	ExpiresAt time.Time
	// RetryAt is when a failed refresh is tried again (RefreshFailed).
	RetryAt time.Time
	// Err is why it failed: a caller-safe error, never a secret.
	Err error
}

// Refresher refreshes due tokens. Every replica may run one on the same
// store: each due connection is claimed by one of them for Lease (see
// store.Store.ClaimDue), so one replica refreshes it, and a replica that
// dies holding claims loses them when Lease ends. A claim takes no more
// connections than run at once, so none waits for its refresh past its
// claim. Replicas' clocks must agree to well within Lease.
type Refresher struct {
	*Service
	// Lease is how long a claim holds a connection; a refresh is given
	// half of it.
	Lease time.Duration
	// Workers is how many connections one claim takes and refreshes at
	// once.
	Workers int
	// MaxPerSweep bounds one sweep; what is left waits for the next.
	MaxPerSweep int
	// Report is told of every refresh (nil: nothing).
	Report func(Refreshed)
	// Log receives what fails beside a refresh (the store).
	Log *slog.Logger
}

// NewRefresher returns a refresher of s's connections with the defaults.
func NewRefresher(s *Service, log *slog.Logger, report func(Refreshed)) *Refresher {
	return &Refresher{Service: s, Lease: 2 * time.Minute, Workers: 8, MaxPerSweep: 20000, Report: report, Log: log}
}

// repairEvery is how often Run repairs the schedule (Reschedule) besides
// at start.
const repairEvery = 24 * time.Hour

// Run repairs the schedule (Reschedule) at start and every repairEvery,
// and sweeps at once and every CheckInterval, until ctx ends. A failed
// sweep or repair is logged and done again at its next time.
func (r *Refresher) Run(ctx context.Context) {
	tick := time.NewTicker(r.Policy.CheckInterval)
	defer tick.Stop()
	var repaired time.Time
	for {
		if time.Since(repaired) >= repairEvery {
			if n, err := r.Reschedule(ctx); err != nil {
				if ctx.Err() == nil {
					r.Log.Warn("token refresh schedule not repaired; the next check retries", "err", err.Error())
				}
			} else {
				repaired = time.Now()
				r.Log.Debug("token refresh schedule checked", "connections", n)
			}
		}
		if _, err := r.Sweep(ctx); err != nil && ctx.Err() == nil {
			r.Log.Warn("token refresh sweep stopped early; the next one retries", "err", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Reschedule puts every connection that may need a refresh and is missing
// from the schedule back on it, at the due time its record says, or now
// when the record says nothing (stored before the gateway refreshed
// tokens); a connection that needs reauthorization is left off. An entry
// there is stays as it is: lowering it would cut short another replica's
// claim, and refresh the token twice. It repairs a schedule that lost
// entries, and reads every connection once: it runs at start and daily,
// never per sweep. It returns how many connections it checked.
func (r *Refresher) Reschedule(ctx context.Context) (int, error) {
	list, err := r.Store.List(ctx)
	if err != nil {
		return 0, err
	}
	now, n := r.Now(), 0
	for _, c := range list {
		if c.Status == connectors.StatusReauthorize {
			continue
		}
		at := c.RefreshDueAt
		if at.IsZero() {
			at = now
		}
		if err := r.Store.ScheduleIfAbsent(ctx, c.ID, at); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Sweep refreshes every token due now: it claims due connections a batch
// at a time and refreshes each with up to Workers at once, and returns how
// many it handled. A store that fails ends it early: what it did not
// reach, or claimed and could not finish, is due again when its claim ends.
func (r *Refresher) Sweep(ctx context.Context) (int, error) {
	done, workers := 0, max(r.Workers, 1)
	for done < r.MaxPerSweep {
		now := r.Now()
		ids, err := r.Store.ClaimDue(ctx, now, min(workers, r.MaxPerSweep-done), r.Lease)
		if err != nil {
			return done, err
		}
		if len(ids) == 0 {
			return done, nil
		}
		if err := r.refreshAll(ctx, ids, now.Add(r.Lease)); err != nil {
			return done, err
		}
		done += len(ids)
	}
	return done, nil
}

// refreshAll refreshes ids, claimed until claim, all at once (a claim
// takes no more than Workers), and returns the first store failure.
func (r *Refresher) refreshAll(ctx context.Context, ids []string, claim time.Time) error {
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() { errs[i] = r.refresh(ctx, id, claim) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return ctx.Err()
}

// refresh refreshes connection id, claimed until claim, if it is due. It
// returns only store failures: an upstream failure is recorded on the
// connection. It moves the connection's schedule entry only while its
// claim holds (Settle): a set-token since then has the last word.
func (r *Refresher) refresh(ctx context.Context, id string, claim time.Time) error {
	settle := func(at time.Time) error {
		_, err := r.Store.Settle(ctx, id, claim, at)
		return err
	}
	c, err := r.Store.Get(ctx, id)
	if errors.Is(err, connectors.ErrNotFound) {
		return settle(time.Time{}) // deleted
	}
	if err != nil {
		return err
	}
	now := r.Now()
	switch {
	case c.Status == connectors.StatusReauthorize:
		return settle(time.Time{}) // until a new token
	case c.RefreshDueAt.After(now):
		return settle(c.RefreshDueAt) // the entry was early
	case !secret.IsKeyedHash(c.KeyHash):
		r.Log.Warn("token not refreshed: the connection was stored by an older gateway; call it once or rotate its key",
			"connection_id", id)
		return settle(now.Add(r.Policy.CheckInterval))
	}
	token, err := r.Token(c)
	if err != nil {
		return r.failed(ctx, c, now, claim, err)
	}
	rctx, cancel := context.WithTimeout(ctx, r.Lease/2)
	grant, err := r.Connector.RefreshToken(rctx, token)
	cancel()
	if ctx.Err() != nil {
		return ctx.Err() // stopping: the claim lapses and another replica retries
	}
	if err != nil {
		if connectors.ErrorCode(err) == connectors.CodeUpstreamTokenInvalid {
			return r.rejected(ctx, c, claim, err)
		}
		return r.failed(ctx, c, now, claim, err)
	}
	sealed, err := r.Sealer.Seal(id, grant.Token)
	if err != nil {
		return r.failed(ctx, c, now, claim, err)
	}
	life := r.Policy.fresh(now, grant)
	life.TokenRefreshedAt = now
	// One write swaps token and expiry; the old token, still valid
	// upstream until its own expiry, serves the calls in flight.
	switch err := r.Store.SetLifecycle(ctx, id, c.EncryptedToken, life, sealed); {
	case errors.Is(err, store.ErrTokenConflict), errors.Is(err, connectors.ErrNotFound):
		return nil // replaced or deleted meanwhile: that write has scheduled it
	case err != nil:
		return err
	}
	r.report(Refreshed{ConnectionID: id, Result: RefreshOK, ExpiresAt: life.TokenExpiresAt})
	return settle(life.RefreshDueAt)
}

// lastError is the connection's record of err: its code and caller-safe
// message.
func (r *Refresher) lastError(err error, now time.Time) *connectors.LastError {
	code, msg := connectors.CodeInternal, "token refresh failed"
	var e *connectors.Error
	if errors.As(err, &e) {
		code, msg = e.Code, e.Message
	}
	return &connectors.LastError{Code: code, Message: "token refresh: " + msg, At: now.UTC().Truncate(time.Millisecond)}
}

// failed records a failed refresh of c and when it is retried.
func (r *Refresher) failed(ctx context.Context, c *connectors.Connection, now, claim time.Time, cause error) error {
	life := c.Lifecycle
	life.Status, life.LastError = connectors.StatusRefreshFailing, r.lastError(cause, now)
	life.RefreshFailures++
	life.RefreshDueAt = r.Policy.Retry(now, c.TokenExpiresAt, life.RefreshFailures)
	if err := r.Store.SetLifecycle(ctx, c.ID, c.EncryptedToken, life, nil); err != nil {
		if errors.Is(err, store.ErrTokenConflict) || errors.Is(err, connectors.ErrNotFound) {
			return nil
		}
		return err
	}
	r.report(Refreshed{ConnectionID: c.ID, Result: RefreshFailed, RetryAt: life.RefreshDueAt, Err: cause})
	_, err := r.Store.Settle(ctx, c.ID, claim, life.RefreshDueAt)
	return err
}

// rejected records that upstream rejected c's token when refreshing it,
// and takes it off the schedule until a new token.
func (r *Refresher) rejected(ctx context.Context, c *connectors.Connection, claim time.Time, cause error) error {
	var e *connectors.Error
	if !errors.As(cause, &e) {
		e = connectors.Wrap(cause, connectors.CodeUpstreamTokenInvalid, "Instagram rejected the token")
	}
	if _, err := r.TokenRejected(ctx, c, e); err != nil {
		return err
	}
	r.report(Refreshed{ConnectionID: c.ID, Result: RefreshReauthorize, Err: cause})
	_, err := r.Store.Settle(ctx, c.ID, claim, time.Time{})
	return err
}

func (r *Refresher) report(x Refreshed) {
	if r.Report != nil {
		r.Report(x)
	}
}
