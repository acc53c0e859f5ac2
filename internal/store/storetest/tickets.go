package storetest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/store"
)

// Tickets: put, get, take (once), swap (keeping the expiry), delete, and
// expiry; kinds are apart.
func testTickets(t *testing.T, s store.Store) {
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// want(got, err)(value) checks an answer: value, or ErrNotFound for "".
	want := func(got []byte, err error) func(string) {
		return func(value string) {
			t.Helper()
			if value == "" {
				if !errors.Is(err, connectors.ErrNotFound) {
					t.Fatalf("got %q, %v; want ErrNotFound", got, err)
				}
				return
			}
			if err != nil || string(got) != value {
				t.Fatalf("got %q, %v; want %q", got, err, value)
			}
		}
	}
	must(s.PutTicket(ctx, "link", "k1", []byte("v1"), time.Hour))
	must(s.PutTicket(ctx, "state", "k1", []byte("other kind"), 0))
	want(s.GetTicket(ctx, "link", "k1"))("v1")
	want(s.GetTicket(ctx, "state", "k1"))("other kind")
	want(s.GetTicket(ctx, "link", "missing"))("")
	must(s.PutTicket(ctx, "link", "k1", []byte("v1 replaced \x00\xff"), time.Hour))
	want(s.SwapTicket(ctx, "link", "k1", []byte("swapped")))("v1 replaced \x00\xff")
	want(s.GetTicket(ctx, "link", "k1"))("swapped")
	want(s.SwapTicket(ctx, "link", "missing", []byte("x")))("")
	want(s.GetTicket(ctx, "link", "missing"))("")
	want(s.TakeTicket(ctx, "link", "k1"))("swapped")
	want(s.TakeTicket(ctx, "link", "k1"))("")
	want(s.GetTicket(ctx, "link", "k1"))("")
	must(s.DeleteTicket(ctx, "state", "k1"))
	must(s.DeleteTicket(ctx, "state", "k1"))
	want(s.GetTicket(ctx, "state", "k1"))("")

	// Expiry, also after a swap.
	must(s.PutTicket(ctx, "code", "short", []byte("v"), 30*time.Millisecond))
	want(s.SwapTicket(ctx, "code", "short", []byte("w")))("v")
	time.Sleep(80 * time.Millisecond)
	for _, op := range []func() ([]byte, error){
		func() ([]byte, error) { return s.GetTicket(ctx, "code", "short") },
		func() ([]byte, error) { return s.TakeTicket(ctx, "code", "short") },
		func() ([]byte, error) { return s.SwapTicket(ctx, "code", "short", []byte("x")) },
	} {
		want(op())("")
	}

	// Renew extends a ticket's life, and never brings one back.
	must(s.PutTicket(ctx, "grant", "g", []byte("v"), 30*time.Millisecond))
	must(s.RenewTicket(ctx, "grant", "g", time.Hour))
	if err := s.RenewTicket(ctx, "grant", "missing", time.Hour); !errors.Is(err, connectors.ErrNotFound) {
		t.Fatalf("RenewTicket of a missing ticket: %v", err)
	}
	want(s.GetTicket(ctx, "grant", "missing"))("")
	time.Sleep(80 * time.Millisecond)
	want(s.GetTicket(ctx, "grant", "g"))("v")
	must(s.DeleteTicket(ctx, "grant", "g"))
	if err := s.RenewTicket(ctx, "grant", "g", time.Hour); !errors.Is(err, connectors.ErrNotFound) {
		t.Fatalf("RenewTicket of a deleted ticket: %v", err)
	}

	// Of many takers, one gets it.
	for round := range 10 {
		must(s.PutTicket(ctx, "code", "race", []byte("prize"), time.Minute))
		var wg sync.WaitGroup
		var won atomic.Int32
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.TakeTicket(ctx, "code", "race"); err == nil {
					won.Add(1)
				} else if !errors.Is(err, connectors.ErrNotFound) {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if won.Load() != 1 {
			t.Fatalf("round %d: %d takers won", round, won.Load())
		}
	}
}
