package connectors

import (
	"context"
	"sync/atomic"
)

// UpstreamCalls counts the upstream calls one request makes (retries and
// Publish's status polls included), for its access log line.
type UpstreamCalls struct{ n atomic.Int32 }

// N is the number of calls counted.
func (u *UpstreamCalls) N() int { return int(u.n.Load()) }

type upstreamCallsKey struct{}

// WithUpstreamCalls returns a context whose upstream calls are counted in u.
func WithUpstreamCalls(ctx context.Context, u *UpstreamCalls) context.Context {
	return context.WithValue(ctx, upstreamCallsKey{}, u)
}

// CountUpstreamCall counts one upstream call against ctx's counter, if any.
// Connectors' clients call it once per HTTP request they send.
func CountUpstreamCall(ctx context.Context) {
	if u, ok := ctx.Value(upstreamCallsKey{}).(*UpstreamCalls); ok {
		u.n.Add(1)
	}
}
