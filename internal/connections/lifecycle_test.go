package connections

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/fakegraph"
	"github.com/igconnect/gateway/internal/store"
)

// A rejected token moves the connection to reauthorize, with its last
// error; the answer names the fix; a new token makes it active again. A
// rejection of a token replaced since is not recorded.
func TestTokenRejected(t *testing.T) {
	rejection := &connectors.Error{
		Code: connectors.CodeUpstreamTokenInvalid, Message: "Instagram: Error validating access token: Session has expired.",
		Upstream: &connectors.UpstreamDetail{Code: 190, ErrorSubcode: 463},
	}
	eachStore(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		tests := []struct {
			name       string
			replaced   bool // the token was replaced after the call read it
			wantStatus connectors.Status
		}{
			{"rejected", false, connectors.StatusReauthorize},
			{"token replaced since", true, connectors.StatusActive},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx := context.Background()
				s, f := newServiceOn(t, open(t), testKey)
				f.AddToken(fakegraph.DemoUserID, newDemoToken)
				v, err := s.Create(ctx, fakegraph.DemoToken, "n")
				if err != nil {
					t.Fatal(err)
				}
				c, err := s.Authenticate(ctx, v.APIKey)
				if err != nil {
					t.Fatal(err)
				}
				if tt.replaced {
					if _, err := s.SetToken(ctx, v.ID, newDemoToken); err != nil {
						t.Fatal(err)
					}
				}
				answer, err := s.TokenRejected(ctx, c, rejection)
				if err != nil {
					t.Fatal(err)
				}
				want := "Instagram: Error validating access token: Session has expired; the connection needs a new Instagram token: PUT /admin/connections/" +
					v.ID + "/token or `gateway connections set-token " + v.ID + "`"
				if e := connectors.AsError(answer); e.Message != want || e.Code != rejection.Code || !reflect.DeepEqual(e.Upstream, rejection.Upstream) {
					t.Fatalf("answer %+v, want message %q", e, want)
				}
				got, err := s.Get(ctx, v.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.Status != tt.wantStatus {
					t.Fatalf("status %q, want %q", got.Status, tt.wantStatus)
				}
				if tt.replaced {
					if got.LastError != nil {
						t.Fatalf("last error recorded: %+v", got.LastError)
					}
					return
				}
				if e := got.LastError; e == nil || e.Code != rejection.Code || e.Message != rejection.Message || e.At.IsZero() {
					t.Fatalf("last error %+v", got.LastError)
				}
				counts, err := s.CountByStatus(ctx)
				if err != nil || !reflect.DeepEqual(counts, map[connectors.Status]int{connectors.StatusActive: 0, connectors.StatusRefreshFailing: 0, connectors.StatusReauthorize: 1}) {
					t.Fatalf("counts %v, %v", counts, err)
				}
				// A new token makes it active again, under the same key.
				after, err := s.SetToken(ctx, v.ID, newDemoToken)
				if err != nil || after.Status != connectors.StatusActive || after.LastError != nil {
					t.Fatalf("after set-token: %+v, %v", after, err)
				}
				if c, err := s.Authenticate(ctx, v.APIKey); err != nil || c.StatusOrActive() != connectors.StatusActive {
					t.Fatalf("authenticate after set-token: %+v, %v", c, err)
				}
			})
		}
	})
}

// failingStatus is a store whose lifecycle writes fail.
type failingStatus struct{ store.Store }

func (failingStatus) SetLifecycle(context.Context, string, []byte, connectors.Lifecycle, []byte) error {
	return connectors.Errorf(connectors.CodeUnavailable, "connection store unavailable")
}

// A failed status write does not change the answer.
func TestTokenRejectedWriteFails(t *testing.T) {
	ctx := context.Background()
	s, _ := newServiceOn(t, failingStatus{openBolt(t)}, testKey)
	v, err := s.Create(ctx, fakegraph.DemoToken, "")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := s.Store.Get(ctx, v.ID)
	answer, err := s.TokenRejected(ctx, c, connectors.Errorf(connectors.CodeUpstreamTokenInvalid, "Instagram: expired"))
	if connectors.ErrorCode(err) != connectors.CodeUnavailable || !strings.Contains(connectors.ErrorMessage(answer), NeedsNewToken(v.ID)) {
		t.Fatalf("answer %v, error %v", answer, err)
	}
	if errors.Is(answer, err) {
		t.Fatal("the store's failure became the answer")
	}
}
