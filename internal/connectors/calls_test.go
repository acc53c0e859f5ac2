package connectors

import (
	"context"
	"sync"
	"testing"
)

func TestUpstreamCalls(t *testing.T) {
	CountUpstreamCall(context.Background()) // no counter: nothing to count, no panic

	var calls UpstreamCalls
	ctx := WithUpstreamCalls(context.Background(), &calls)
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() { defer wg.Done(); CountUpstreamCall(ctx) }()
	}
	wg.Wait()
	if calls.N() != 10 {
		t.Fatalf("N = %d, want 10", calls.N())
	}
}
