// Package fakegraphtest serves the fake Graph API in tests.
package fakegraphtest

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/igconnect/gateway/internal/fakegraph"
)

// Start serves a seeded fake on a loopback port for the test's life, with
// containers processing for processing, and returns it with its URL.
func Start(tb testing.TB, processing time.Duration) (*fakegraph.Server, string) {
	tb.Helper()
	f := fakegraph.New()
	f.ProcessingTime = processing
	f.Seed()
	srv := httptest.NewServer(f)
	tb.Cleanup(srv.Close)
	return f, srv.URL
}
