package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/igconnect/gateway/internal/config"
	"github.com/igconnect/gateway/internal/connections"
	"github.com/igconnect/gateway/internal/connectors/instagram"
	"github.com/igconnect/gateway/internal/limits"
	"github.com/igconnect/gateway/internal/metrics"
	"github.com/igconnect/gateway/internal/secret"
	"github.com/igconnect/gateway/internal/store"
	"github.com/igconnect/gateway/internal/store/boltstore"
	"github.com/igconnect/gateway/internal/store/redisstore"
)

// deps are the gateway's wired dependencies.
type deps struct {
	store       store.Store
	redis       *redis.Client
	connector   *instagram.Connector
	connections *connections.Service
	closers     []func() error
}

func (d *deps) Close() {
	for i := len(d.closers) - 1; i >= 0; i-- {
		d.closers[i]()
	}
}

// ready tells whether the store (and Redis) answer.
func (d *deps) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	return d.store.Ping(ctx)
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
	opts.DialTimeout = 500 * time.Millisecond
	opts.ReadTimeout = 300 * time.Millisecond
	opts.WriteTimeout = 300 * time.Millisecond
	opts.PoolTimeout = 500 * time.Millisecond
	opts.MaxRetries = 1
	// go-redis dials 5 times, 100 ms apart, by default: a dead Redis would
	// cost every call most of a second.
	opts.DialerRetries = 1
	opts.DialerRetryTimeout = 20 * time.Millisecond
	opts.PoolSize = 64
	opts.MinIdleConns = 4
	return opts, nil
}

// wire opens the store and builds the connector and connection service.
func wire(ctx context.Context, cfg *config.Config, m *metrics.Metrics) (*deps, error) {
	d := &deps{}
	key := cfg.EncryptionKey
	if cfg.Embedded() {
		if key == nil {
			k, err := secret.LoadOrCreateKeyFile(filepath.Join(cfg.DataDir, "encryption.key"))
			if err != nil {
				return nil, fmt.Errorf("GATEWAY_ENCRYPTION_KEY: %w", err)
			}
			key = k
		}
		st, err := boltstore.Open(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		d.store = st
		d.closers = append(d.closers, st.Close)
	} else {
		opts, err := redisOptions(cfg.RedisURL, cfg.RedisPassword)
		if err != nil {
			return nil, err
		}
		d.redis = redis.NewClient(opts)
		d.closers = append(d.closers, d.redis.Close)
		d.store = redisstore.New(d.redis)
	}
	sealer, err := secret.NewSealer(key)
	if err != nil {
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
	d.connections = connections.New(d.store, sealer, d.connector)
	return d, nil
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

func redactedURL(u string) string {
	opts, err := redis.ParseURL(u)
	if err != nil {
		return "(invalid URL)"
	}
	return opts.Addr
}
