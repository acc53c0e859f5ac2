package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/igconnect/gateway/internal/config"
	"github.com/igconnect/gateway/internal/fakegraph"
	"github.com/igconnect/gateway/internal/metrics"
	"github.com/igconnect/gateway/internal/oauth"
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
	if cfg.DebugAddr != "" {
		stopDebug, err := startDebug(cfg.DebugAddr, log)
		if err != nil {
			return err
		}
		defer stopDebug() // with the main server, on every return
	}
	l, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	base := cfg.PublicURL
	if base == "" && cfg.Sandbox {
		base = "http://" + reachable(l.Addr())
	}
	login := d.login(cfg, base)
	srv := server.New(server.Options{
		OAuth:          login,
		ConsentOrigin:  consentOrigin(cfg),
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
		if err := sandboxLink(ctx, login, stdout); err != nil {
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

// startDebug serves Go's net/http/pprof handlers on addr (GATEWAY_DEBUG_ADDR,
// loopback), on a mux of their own: never on the main listener, nor on
// http.DefaultServeMux. /debug/pprof/cmdline is left out: the command line
// may carry a secret given as a flag (--admin-token). stop closes it at
// once: a profile in progress is not worth delaying the shutdown.
func startDebug(addr string, log *slog.Logger) (stop func(), err error) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index) // heap, allocs, goroutine, block, mutex, threadcreate
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (GATEWAY_DEBUG_ADDR): %w", addr, err)
	}
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go srv.Serve(l)
	log.Info("debug listening", slog.String("addr", l.Addr().String()), slog.String("serves", "/debug/pprof/"))
	return func() { srv.Close() }, nil
}

// The sandbox's Instagram app, known to its fake Instagram.
const (
	sandboxAppID     = "sandbox-app"
	sandboxAppSecret = "sandbox-app-secret-0123456789"
)

// startSandboxGraph serves the fake Instagram Graph API, seeded with the
// sandbox accounts, and its Instagram Login, on a loopback port, and points
// cfg at it (the sandbox's app included). The server and the CLI both use
// it, so that --sandbox works offline everywhere.
func startSandboxGraph(cfg *config.Config) (stop func(), err error) {
	fake := fakegraph.New()
	fake.Seed()
	fake.SetApp(sandboxAppID, sandboxAppSecret)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	srv := &http.Server{Handler: fake, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l)
	cfg.InstagramURL = "http://" + l.Addr().String()
	cfg.InstagramAppID, cfg.InstagramAppSecret = sandboxAppID, sandboxAppSecret
	cfg.InstagramAuthorizeURL, cfg.InstagramTokenURL = cfg.InstagramURL+"/oauth/authorize", cfg.InstagramURL+"/oauth/access_token"
	return func() { srv.Close() }, nil
}

// reachable is addr as a browser reaches it: localhost for an unspecified
// address.
func reachable(addr net.Addr) string {
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		return fmt.Sprintf("localhost:%d", tcp.Port)
	}
	return addr.String()
}

// sandboxLink prints a connect link that works offline: it leads to the
// fake Instagram's consent page.
func sandboxLink(ctx context.Context, login *oauth.Service, stdout io.Writer) error {
	link, err := login.NewLink(ctx, "sandbox link", 0)
	if err != nil {
		return fmt.Errorf("sandbox connect link: %w", err)
	}
	fmt.Fprintf(stdout, `Connect an account in a browser (the fake Instagram's consent page, offline;
the link works once, until %s):

  %s

`, link.ExpiresAt.Format(time.RFC3339), link.URL)
	return nil
}

// sandboxConnection creates the demo connection and prints its key and a
// ready curl line (to stdout, never to the log).
func sandboxConnection(ctx context.Context, d *deps, addr net.Addr, stdout io.Writer) error {
	v, err := d.connections.Create(ctx, fakegraph.DemoToken, "sandbox demo")
	if err != nil {
		return fmt.Errorf("sandbox connection: %w", err)
	}
	host := reachable(addr)
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
