package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/igconnect/gateway/internal/config"
	"github.com/igconnect/gateway/internal/fakegraph"
	"github.com/igconnect/gateway/internal/metrics"
	"github.com/igconnect/gateway/internal/server"
)

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.Parse(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)
	setRedisLogger(log)
	log.Info("starting", slog.String("version", version), slog.String("commit", commit), slog.Any("config", cfg))

	if cfg.Sandbox {
		stop, err := startSandboxGraph(cfg)
		if err != nil {
			return err
		}
		defer stop()
		log.Info("sandbox Instagram Graph API", slog.String("url", cfg.InstagramURL), slog.String("store", storeDir(cfg)))
	}

	m := metrics.New(version, commit)
	d, err := wire(ctx, cfg, m)
	if err != nil {
		return err
	}
	defer d.Close()
	m.WatchConnections(d.connections.CountByStatus, time.Minute)
	lim, err := d.limiter(ctx, cfg)
	if err != nil {
		return err
	}
	authFailures, err := d.authFailures(cfg)
	if err != nil {
		return err
	}
	if err := d.checkKeyAtStart(ctx, log); err != nil {
		return err
	}
	rctx, stopRefresh := context.WithCancel(ctx)
	refreshDone := make(chan struct{})
	go func() { defer close(refreshDone); d.refresher(cfg, log, m).Run(rctx) }()
	defer func() { stopRefresh(); <-refreshDone }()
	srv := server.New(server.Options{
		Connections:    d.connections,
		Connector:      d.connector,
		Limiter:        lim,
		PublishSlots:   d.publishSlots(cfg),
		AuthFailures:   authFailures,
		AdminToken:     cfg.AdminToken,
		PublicURL:      cfg.PublicURL,
		TrustedProxies: cfg.TrustedProxies,
		Logger:         log,
		Ready:          d.ready,
		Metrics:        m,
		TriggerKey:     d.triggerKey,
	})
	l, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(l) }()
	log.Info("listening", slog.String("addr", l.Addr().String()))

	if cfg.Sandbox {
		if err := sandboxConnection(ctx, d, l.Addr(), stdout); err != nil {
			hs.Close()
			return err
		}
	}

	select {
	case err := <-errc:
		return err
	case err := <-d.wrongKey:
		hs.Close()
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", slog.String("grace", cfg.ShutdownGrace.String()))
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// startSandboxGraph serves the fake Instagram Graph API, seeded with the
// sandbox accounts, on a loopback port, and points cfg at it. The server and
// the CLI both use it, so that --sandbox works offline everywhere.
func startSandboxGraph(cfg *config.Config) (stop func(), err error) {
	fake := fakegraph.New()
	fake.Seed()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	srv := &http.Server{Handler: fake, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l)
	cfg.InstagramURL = "http://" + l.Addr().String()
	return func() { srv.Close() }, nil
}

// sandboxConnection creates the demo connection and prints its key and a
// ready curl line (to stdout, never to the log).
func sandboxConnection(ctx context.Context, d *deps, addr net.Addr, stdout io.Writer) error {
	v, err := d.connections.Create(ctx, fakegraph.DemoToken, "sandbox demo")
	if err != nil {
		return fmt.Errorf("sandbox connection: %w", err)
	}
	host := addr.String()
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		host = fmt.Sprintf("localhost:%d", tcp.Port)
	}
	fmt.Fprintf(stdout, `
Sandbox ready: a fake Instagram account @%s (connection %s).
API key (shown once):

  export KEY=%s
  export GW=http://%s

Try:

  curl -s "$GW/instagram/v21.0/me?api_token=$KEY"

`, v.Username, v.ID, v.APIKey, host)
	return nil
}
