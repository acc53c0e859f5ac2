package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/igconnect/gateway/internal/config"
	"github.com/igconnect/gateway/internal/connections"
	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/connectors/instagram"
	"github.com/igconnect/gateway/internal/limits"
	"github.com/igconnect/gateway/internal/metrics"
	"github.com/igconnect/gateway/internal/oauth"
	"github.com/igconnect/gateway/internal/secret"
	"github.com/igconnect/gateway/internal/store"
	"github.com/igconnect/gateway/internal/store/boltstore"
	"github.com/igconnect/gateway/internal/store/redisstore"
)

// deps are the gateway's wired dependencies.
type deps struct {
	store store.Store
	// redis is a *redis.Client on one Redis, or a *redis.ClusterClient on
	// a Redis Cluster (GATEWAY_REDIS_URL redis+cluster://); nil embedded.
	redis       redis.UniversalClient
	connector   *instagram.Connector
	connections *connections.Service
	// triggerKey signs polling triggers' states: derived from the
	// encryption key, the same on every replica.
	triggerKey []byte
	// ticketKey hashes the secrets sign-ins hand out (secret.TicketKey).
	ticketKey []byte
	closers   []func() error

	// keyChecked is set once the configured key opened the store's canary;
	// keyMu serialises the checks; wrongKey receives errWrongKey when the
	// key proves wrong after the start (Redis was down then).
	keyChecked atomic.Bool
	keyMu      sync.Mutex
	wrongKey   chan error
}

func (d *deps) Close() {
	for i := len(d.closers) - 1; i >= 0; i-- {
		d.closers[i]()
	}
}

// ready tells whether the store (and Redis) answer, and the configured key
// is the store's.
func (d *deps) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := d.store.Ping(ctx); err != nil {
		return err
	}
	return d.checkKey(ctx)
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// redisOptions parses the URL and sets timeouts so that a dead Redis costs a
// request well under a second.
func redisOptions(u, password string) (*redis.Options, error) {
	opts, err := redis.ParseURL(u)
	if err != nil {
		return nil, errors.New("invalid GATEWAY_REDIS_URL")
	}
	if password != "" {
		opts.Password = password
	}
	t := redisTuning
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout, opts.PoolTimeout = t.DialTimeout, t.ReadTimeout, t.WriteTimeout, t.PoolTimeout
	opts.MaxRetries, opts.DialerRetries, opts.DialerRetryTimeout = t.MaxRetries, t.DialerRetries, t.DialerRetryTimeout
	opts.PoolSize, opts.MinIdleConns = t.PoolSize, t.MinIdleConns
	return opts, nil
}

// redisTuning is how every Redis client of the gateway waits and pools,
// one Redis or each node of a cluster.
var redisTuning = redis.Options{
	DialTimeout:  500 * time.Millisecond,
	ReadTimeout:  300 * time.Millisecond,
	WriteTimeout: 300 * time.Millisecond,
	PoolTimeout:  500 * time.Millisecond,
	MaxRetries:   1,
	// go-redis dials 5 times, 100 ms apart, by default: a dead Redis would
	// cost every call most of a second.
	DialerRetries:      1,
	DialerRetryTimeout: 20 * time.Millisecond,
	PoolSize:           64,
	MinIdleConns:       4,
}

// redisClusterOptions parses a Redis Cluster's URL (redis+cluster://, see
// config.ParseClusterURL) with redisOptions' timeouts: a dead master costs
// the calls of its slots well under a second, and the other masters' calls
// nothing. Pool sizes are per node.
func redisClusterOptions(u, password string) (*redis.ClusterOptions, error) {
	opts, err := config.ParseClusterURL(u)
	if err != nil {
		return nil, errors.New("invalid GATEWAY_REDIS_URL")
	}
	if password != "" {
		opts.Password = password
	}
	t := redisTuning
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout, opts.PoolTimeout = t.DialTimeout, t.ReadTimeout, t.WriteTimeout, t.PoolTimeout
	opts.MaxRetries, opts.DialerRetries, opts.DialerRetryTimeout = t.MaxRetries, t.DialerRetries, t.DialerRetryTimeout
	opts.PoolSize, opts.MinIdleConns = t.PoolSize, t.MinIdleConns
	return opts, nil
}

// newRedis builds the client GATEWAY_REDIS_URL names: a ClusterClient for
// redis+cluster:// (or rediss+cluster://), a Client otherwise.
func newRedis(u, password string) (redis.UniversalClient, error) {
	if config.IsClusterURL(u) {
		opts, err := redisClusterOptions(u, password)
		if err != nil {
			return nil, err
		}
		return redis.NewClusterClient(opts), nil
	}
	opts, err := redisOptions(u, password)
	if err != nil {
		return nil, err
	}
	return redis.NewClient(opts), nil
}

// storeDir is the embedded store's folder (and its key file's). The sandbox
// keeps its own, apart from real data: its demo connection holds a fake
// token, which must never reach the real Instagram.
func storeDir(cfg *config.Config) string {
	if cfg.Sandbox {
		return filepath.Join(cfg.DataDir, "sandbox")
	}
	return cfg.DataDir
}

// wire opens the store and builds the connector and connection service.
func wire(ctx context.Context, cfg *config.Config, m *metrics.Metrics) (*deps, error) {
	d := &deps{wrongKey: make(chan error, 1)}
	key := cfg.EncryptionKey
	if cfg.Embedded() {
		if key == nil {
			k, err := secret.LoadOrCreateKeyFile(filepath.Join(storeDir(cfg), "encryption.key"))
			if err != nil {
				return nil, fmt.Errorf("GATEWAY_ENCRYPTION_KEY: %w", err)
			}
			key = k
		}
		st, err := boltstore.Open(storeDir(cfg))
		if err != nil {
			return nil, err
		}
		d.store = st
		d.closers = append(d.closers, st.Close)
	} else {
		rdb, err := newRedis(cfg.RedisURL, cfg.RedisPassword)
		if err != nil {
			return nil, err
		}
		d.redis = rdb
		d.closers = append(d.closers, d.redis.Close)
		d.store = redisstore.New(d.redis)
	}
	sealer, err := secret.NewSealer(key)
	if err != nil {
		d.Close()
		return nil, err
	}
	if d.triggerKey, err = secret.TriggerStateKey(key); err != nil {
		d.Close()
		return nil, err
	}
	if d.ticketKey, err = secret.TicketKey(key); err != nil {
		d.Close()
		return nil, err
	}
	client := &instagram.Client{
		BaseURL: cfg.InstagramURL,
		HTTP: instagram.NewHTTPClientWithTimeouts(instagram.Timeouts{
			Dial: cfg.UpstreamDialTimeout, TLS: cfg.UpstreamTLSTimeout, Header: cfg.UpstreamHeaderTimeout, Total: cfg.UpstreamTimeout,
			Idle: cfg.UpstreamIdleTimeout,
		}),
		Retries:      cfg.UpstreamRetries,
		RetryBackoff: 100 * time.Millisecond,
		Observe: func(method string, d time.Duration, err error) {
			m.Upstream(method, d, metrics.UpstreamCode(err))
		},
	}
	d.connector = instagram.New(client, cfg.InstagramVersion, cfg.PublishTimeout)
	d.connector.AppSecret = cfg.InstagramAppSecret
	d.connections = connections.New(d.store, sealer, d.connector)
	d.connections.Policy = connections.Policy{MinAge: cfg.TokenMinAge, RefreshBefore: cfg.TokenRefreshBefore, CheckInterval: cfg.TokenCheckInterval}
	return d, nil
}

// login builds Instagram Login (connect links and the OAuth server) on
// base, the gateway's public URL; nil when it is not configured.
func (d *deps) login(cfg *config.Config, base string) *oauth.Service {
	if !cfg.Login() {
		return nil
	}
	login := &instagram.Login{
		AppID: cfg.InstagramAppID, AppSecret: cfg.InstagramAppSecret,
		AuthorizeURL: cfg.InstagramAuthorizeURL, TokenURL: cfg.InstagramTokenURL, Scopes: cfg.InstagramScopes,
		HTTP: instagram.NewHTTPClientWithTimeouts(instagram.Timeouts{
			Dial: cfg.UpstreamDialTimeout, TLS: cfg.UpstreamTLSTimeout, Header: cfg.UpstreamHeaderTimeout, Total: cfg.UpstreamTimeout,
			Idle: cfg.UpstreamIdleTimeout,
		}),
	}
	clients := make([]oauth.Client, len(cfg.OAuthClients))
	for i, c := range cfg.OAuthClients {
		clients[i] = oauth.Client{ID: c.ClientID, Secret: c.ClientSecret, RedirectURIs: c.RedirectURIs}
	}
	return oauth.New(d.store, d.connections, login, clients, base, d.ticketKey)
}

// consentOrigin is the scheme://host of Instagram's consent page.
func consentOrigin(cfg *config.Config) string {
	u, err := url.Parse(cfg.InstagramAuthorizeURL)
	if err != nil || !cfg.Login() {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// refresher builds the token refresher: one log line and one count per
// refresh, never a token. Its claims outlive any refresh they cover: twice
// the longest upstream call with its retries, and a margin.
func (d *deps) refresher(cfg *config.Config, log *slog.Logger, m *metrics.Metrics) *connections.Refresher {
	r := connections.NewRefresher(d.connections, log, func(r connections.Refreshed) {
		m.TokenRefresh(r.Result)
		attrs := []any{slog.String("connection_id", r.ConnectionID), slog.String("result", r.Result)}
		switch r.Result {
		case connections.RefreshOK:
			if !r.ExpiresAt.IsZero() {
				attrs = append(attrs, slog.Time("expires_at", r.ExpiresAt))
			}
			log.Info("token refreshed", attrs...)
		case connections.RefreshFailed:
			attrs = append(attrs, slog.String("code", connectors.ErrorCode(r.Err)), slog.String("err", connectors.ErrorMessage(r.Err)), slog.Time("retry_at", r.RetryAt))
			log.Warn("token refresh failed", attrs...)
		default:
			attrs = append(attrs, slog.String("code", connectors.ErrorCode(r.Err)), slog.String("err", connectors.ErrorMessage(r.Err)))
			log.Warn("token refresh rejected: the connection needs a new token", attrs...)
		}
	})
	r.Lease = 2*time.Duration(cfg.UpstreamRetries+1)*cfg.UpstreamTimeout + 5*time.Second
	return r
}

// limiter builds the per-connection limiter: Redis when configured.
func (d *deps) limiter(ctx context.Context, cfg *config.Config) (*limits.Limiter, error) {
	if d.redis == nil {
		return limits.NewMemory(cfg.RateLimit), nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	l, err := limits.NewRedis(ctx, d.redis, cfg.RateLimit)
	if err != nil {
		return nil, fmt.Errorf("redis at %s: %w", redactedURL(cfg.RedisURL), err)
	}
	return l, nil
}

// publishMargin is how long a publish slot outlives the publish timeout and
// one upstream call, before it frees itself (its replica crashed).
const publishMargin = 30 * time.Second

// publishSlots caps each connection's publishes in flight: in Redis when
// configured, so that replicas share the cap.
func (d *deps) publishSlots(cfg *config.Config) *limits.Slots {
	if d.redis == nil {
		return limits.NewMemorySlots(cfg.PublishConcurrency)
	}
	return limits.NewRedisSlots(d.redis, cfg.PublishConcurrency, cfg.PublishTimeout+cfg.UpstreamTimeout+publishMargin)
}

// authFailures limits failed authentications per client address: in Redis
// when configured.
func (d *deps) authFailures(cfg *config.Config) (*limits.AuthFailures, error) {
	if d.redis == nil {
		return limits.NewMemoryAuthFailures(cfg.AuthFailureLimit), nil
	}
	a, err := limits.NewRedisAuthFailures(d.redis, cfg.AuthFailureLimit)
	if err != nil {
		return nil, fmt.Errorf("redis at %s: %w", redactedURL(cfg.RedisURL), err)
	}
	return a, nil
}

// stopError is an error the gateway stops with: its message alone is the
// one line printed.
type stopError struct{ err *connectors.Error }

func (e stopError) Error() string { return e.err.Message }
func (e stopError) Unwrap() error { return e.err }

// errWrongKey stops a gateway whose key does not open the store's canary.
var errWrongKey error = stopError{connections.ErrWrongKey}

// errKeyChecking answers readiness while another check of the key runs.
var errKeyChecking = errors.New("the encryption key is being checked against the store")

// keyCheckTimeout bounds one check of the key: the first check of a store
// written before canaries reads every connection.
const keyCheckTimeout = 10 * time.Second

// checkKey checks, until it succeeds once, that the configured key is the
// store's (connections.Service.CheckKey). It returns errWrongKey (also sent
// on d.wrongKey), or the store's error while the store does not answer.
func (d *deps) checkKey(ctx context.Context) error {
	if d.keyChecked.Load() {
		return nil
	}
	if !d.keyMu.TryLock() {
		return errKeyChecking
	}
	defer d.keyMu.Unlock()
	if d.keyChecked.Load() {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, keyCheckTimeout)
	defer cancel()
	err := d.connections.CheckKey(ctx)
	switch {
	case err == nil:
		d.keyChecked.Store(true)
		return nil
	case errors.Is(err, connections.ErrWrongKey):
		select {
		case d.wrongKey <- errWrongKey:
		default:
		}
		return errWrongKey
	}
	return err
}

// keyRetry is how often the key is checked while the store does not answer.
const keyRetry = 250 * time.Millisecond

// checkKeyAtStart checks the key before the gateway serves: a wrong key
// stops it (errWrongKey). While the store does not answer the gateway
// serves 503s and the check goes on in the background until it answers;
// readiness waits for it, and a wrong key found then arrives on d.wrongKey.
func (d *deps) checkKeyAtStart(ctx context.Context, log *slog.Logger) error {
	err := d.checkKey(ctx)
	if err == nil || errors.Is(err, errWrongKey) {
		return err
	}
	log.Warn("the store does not answer yet; actions answer 503 until it does", slog.String("error", err.Error()))
	ctx, cancel := context.WithCancel(ctx)
	d.closers = append(d.closers, func() error { cancel(); return nil })
	go d.watchKey(ctx)
	return nil
}

// watchKey checks the key every keyRetry until a check ends it.
func (d *deps) watchKey(ctx context.Context) {
	t := time.NewTicker(keyRetry)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := d.checkKey(ctx); err == nil || errors.Is(err, errWrongKey) {
			return
		}
	}
}

// redactedURL is where GATEWAY_REDIS_URL points, without credentials: one
// address, or a cluster's seeds.
func redactedURL(u string) string {
	if config.IsClusterURL(u) {
		opts, err := config.ParseClusterURL(u)
		if err != nil {
			return "(invalid URL)"
		}
		return "cluster " + strings.Join(opts.Addrs, ",")
	}
	opts, err := redis.ParseURL(u)
	if err != nil {
		return "(invalid URL)"
	}
	return opts.Addr
}
