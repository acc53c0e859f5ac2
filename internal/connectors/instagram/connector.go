package instagram

import (
	"context"
	"encoding/json"
	"net/url"
	"time"

	"github.com/igconnect/gateway/internal/connectors"
)

// Connector is the Instagram connector.
type Connector struct {
	Client  *Client
	Version string
	// PublishTimeout bounds the wait for a container to finish.
	PublishTimeout time.Duration
	// PollInterval is the first wait between status polls; it doubles up
	// to MaxPollInterval.
	PollInterval    time.Duration
	MaxPollInterval time.Duration

	actions []*connectors.Action
}

var _ connectors.Connector = (*Connector)(nil)

// New returns the connector on client.
func New(client *Client, version string, publishTimeout time.Duration) *Connector {
	return &Connector{
		Client:          client,
		Version:         version,
		PublishTimeout:  publishTimeout,
		PollInterval:    250 * time.Millisecond,
		MaxPollInterval: 5 * time.Second,
		actions:         Actions(),
	}
}

func (c *Connector) Name() string                  { return "instagram" }
func (c *Connector) Actions() []*connectors.Action { return c.actions }
func (c *Connector) DefaultVersion() string        { return c.Version }

// Invoke performs a validated call.
func (c *Connector) Invoke(ctx context.Context, call *connectors.Call) (*connectors.Response, error) {
	if call.Action.OperationID == OpPublish {
		return c.publish(ctx, call)
	}
	return c.Client.Get(ctx, call.UpstreamPath(), call.Query, call.Token)
}

// Identify checks a token with GET /me and returns its account.
func (c *Connector) Identify(ctx context.Context, token string) (connectors.Identity, error) {
	resp, err := c.Client.Get(ctx, "/"+c.Version+"/me", url.Values{"fields": {"id,username"}}, token)
	if err != nil {
		return connectors.Identity{}, err
	}
	var me struct {
		ID       string `json:"id"`
		Username string `json:"username"`
	}
	if err := json.Unmarshal(resp.Body, &me); err != nil || !idRe.MatchString(me.ID) {
		return connectors.Identity{}, connectors.Errorf(connectors.CodeUpstreamError, "Instagram answered /me without a valid id")
	}
	return connectors.Identity{UserID: me.ID, Username: me.Username}, nil
}
