// Package server is the gateway's HTTP layer: routes, the action pipeline
// (route → auth → publish slot → limit → invoke → normalize), which also
// runs polling triggers (triggers.go), the admin API and the operational
// endpoints.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/ulule/limiter/v3"

	"github.com/igconnect/gateway/internal/connections"
	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/limits"
	"github.com/igconnect/gateway/internal/metrics"
	"github.com/igconnect/gateway/internal/normalize"
	"github.com/igconnect/gateway/internal/oauth"
	"github.com/igconnect/gateway/internal/triggers"
)

// MaxBody caps every request body (1 MiB).
const MaxBody = 1 << 20

// Defaults of the limits Options leaves unset (in process).
const (
	DefaultPublishConcurrency = 2
	DefaultAuthFailures       = 30 // per minute
)

// Options are the server's dependencies.
type Options struct {
	Connections *connections.Service
	Connector   connectors.Connector
	Limiter     *limits.Limiter
	// PublishSlots caps a connection's publishes in flight at once
	// (DefaultPublishConcurrency in process when nil).
	PublishSlots *limits.Slots
	// AuthFailures limits failed authentications per client address
	// (DefaultAuthFailures a minute in process when nil).
	AuthFailures *limits.AuthFailures
	AdminToken   string
	// PublicURL, when set, is the base of every link the gateway writes.
	PublicURL string
	// TrustedProxies are the peers whose X-Forwarded-For (client address)
	// and X-Forwarded-Proto (links' scheme) are believed; none by default.
	TrustedProxies []netip.Prefix
	Logger         *slog.Logger
	// Ready tells whether the store and limiter answer (for /readyz).
	Ready func(context.Context) error
	// Metrics records the gateway's series (a fresh set when nil).
	Metrics *metrics.Metrics
	// TriggerKey signs polling triggers' states (secret.TriggerStateKey):
	// replicas that share it answer each other's polls. When nil, a random
	// key: states then hold in this process only.
	TriggerKey []byte
	// TriggerInterval is the Retry-After of a poll that found nothing new
	// (DefaultTriggerInterval when zero).
	TriggerInterval time.Duration
	// TriggerLimits bound one poll's walk upstream (package triggers'
	// defaults when zero).
	TriggerLimits triggers.Limits
	// OAuth runs Instagram Login: connect links and the OAuth server (nil:
	// not configured, their routes answer 404).
	OAuth *oauth.Service
	// ConsentOrigin is the scheme://host of Instagram's consent page, where
	// the connect page's form may lead.
	ConsentOrigin string
}

// Server is the gateway's http.Handler.
type Server struct {
	opts     Options
	router   *connectors.Router
	triggers *triggerSet
	defs     *definitions
	engine   *gin.Engine
	log      *slog.Logger
}

// New returns the server with every route registered.
func New(opts Options) *Server {
	gin.SetMode(gin.ReleaseMode)
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Metrics == nil {
		opts.Metrics = metrics.New("dev", "unknown")
	}
	if opts.PublishSlots == nil {
		opts.PublishSlots = limits.NewMemorySlots(DefaultPublishConcurrency)
	}
	if opts.AuthFailures == nil {
		opts.AuthFailures = limits.NewMemoryAuthFailures(limiter.Rate{Limit: DefaultAuthFailures, Period: time.Minute})
	}
	s := &Server{
		opts:   opts,
		router: connectors.NewRouter(opts.Connector.Actions(), opts.Connector.Unsupported(), opts.Connector.DefaultVersion()),
		engine: gin.New(),
		log:    opts.Logger,
	}
	s.triggers = newTriggerSet(opts, s.router)
	defs, err := loadDefinitions(opts.Connector)
	if err != nil {
		panic(err.Error()) // the committed definition is built and checked by CI: a programming error
	}
	s.defs = defs
	e := s.engine
	proxies := make([]string, len(opts.TrustedProxies))
	for i, p := range opts.TrustedProxies {
		proxies[i] = p.String()
	}
	e.RemoteIPHeaders = []string{"X-Forwarded-For"}      // not X-Real-IP: one header, documented
	if err := e.SetTrustedProxies(proxies); err != nil { // gin trusts every peer unless told
		panic("trusted proxies: " + err.Error())
	}
	e.HandleMethodNotAllowed = true
	e.ContextWithFallback = true
	e.Use(s.requestID, s.accessLog, s.recovery, capBody)
	e.NoRoute(func(c *gin.Context) {
		s.fail(c, connectors.Errorf(connectors.CodeNotFound, "no route %s %s", c.Request.Method, c.Request.URL.Path))
	})
	e.NoMethod(func(c *gin.Context) {
		s.fail(c, connectors.Errorf(connectors.CodeMethodNotAllowed, "method %s is not allowed on %s", c.Request.Method, c.Request.URL.Path))
	})

	e.GET("/healthz", func(c *gin.Context) { normalize.WriteJSON(c.Writer, http.StatusOK, gin.H{"status": "ok"}) })
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", gin.WrapH(opts.Metrics.Handler()))
	s.swaggerRoutes(e)

	admin := e.Group("/admin", noStore, s.adminAuth)
	admin.POST("/connections", s.createConnection)
	admin.GET("/connections", s.listConnections)
	admin.GET("/connections/:id", s.getConnection)
	admin.POST("/connections/:id/rotate", s.rotateConnection)
	admin.PUT("/connections/:id/token", s.setConnectionToken)
	admin.DELETE("/connections/:id", s.deleteConnection)
	admin.POST("/connect-links", s.needLogin, s.createConnectLink)

	e.GET("/connect/:token", s.needLoginPage, s.connectPage)
	e.POST("/connect/:token", s.needLoginPage, s.connectStart)
	e.GET("/oauth2/authorize", s.needLoginPage, s.authorize)
	e.POST("/oauth2/token", noStore, s.needLogin, s.token)

	limit := opts.Limiter.Middleware(func(c *gin.Context) string { return connectionOf(c).ID }, s.fail)
	// Actions and polling triggers: route resolves either, perform runs it.
	e.Any("/"+opts.Connector.Name()+"/*path", noStore, s.route, s.authenticate, s.checkTriggerState, s.inFlight, limit, s.perform)
	return s
}

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.engine.ServeHTTP(w, r) }

// fail writes err's envelope and stops the chain.
func (s *Server) fail(c *gin.Context, err error) {
	c.Set(keyError, err)
	noStore(c) // an error is never cached, whatever route answered it
	if e := connectors.AsError(err); e.Code == connectors.CodeMethodNotAllowed {
		if allowed, ok := c.Get(keyAllowed); ok {
			c.Header("Allow", connectors.AllowHeader(allowed.([]string)))
		}
	}
	normalize.WriteError(c.Writer, err)
	c.Abort()
}

func (s *Server) readyz(c *gin.Context) {
	if s.opts.Ready != nil {
		if err := s.opts.Ready(c.Request.Context()); err != nil {
			s.fail(c, connectors.Wrap(err, connectors.CodeUnavailable, "store or limiter unavailable"))
			return
		}
	}
	normalize.WriteJSON(c.Writer, http.StatusOK, gin.H{"status": "ready"})
}
