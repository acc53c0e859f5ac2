package instagram

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
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
	// AppSecret is the Instagram app's secret, with which LongLived
	// exchanges a short-lived token for a long-lived one; empty, tokens are
	// stored as given. It is sent only as the client_secret of GET
	// /access_token and never appears in an error.
	AppSecret string

	actions []*connectors.Action
	// performers run the actions that are more than one upstream call.
	performers map[string]func(context.Context, *connectors.Call) (*connectors.Response, error)
}

var _ connectors.Connector = (*Connector)(nil)

// New returns the connector on client.
func New(client *Client, version string, publishTimeout time.Duration) *Connector {
	c := &Connector{
		Client:          client,
		Version:         version,
		PublishTimeout:  publishTimeout,
		PollInterval:    250 * time.Millisecond,
		MaxPollInterval: 5 * time.Second,
		actions:         Actions(),
	}
	c.performers = map[string]func(context.Context, *connectors.Call) (*connectors.Response, error){
		OpPublish:              c.publish,
		OpCreateMediaContainer: c.createMediaContainer,
	}
	return c
}

func (c *Connector) Name() string                  { return "instagram" }
func (c *Connector) Actions() []*connectors.Action { return c.actions }
func (c *Connector) DefaultVersion() string        { return c.Version }

// needsFacebookLogin is why hashtag search and business discovery are not
// served: Instagram offers them only to Facebook Login tokens.
const needsFacebookLogin = "Instagram offers %s only to apps using Facebook Login for Business; this gateway connects accounts with Instagram Login, so it cannot serve it"

// Unsupported are the Graph API features of Facebook Login that a
// connection made with Instagram Login cannot use.
func (c *Connector) Unsupported() []connectors.Unsupported {
	return []connectors.Unsupported{
		{Segment: "ig_hashtag_search", Message: fmt.Sprintf(needsFacebookLogin, "hashtag search")},
		{Segment: "recent_media", Message: fmt.Sprintf(needsFacebookLogin, "a hashtag's recent media")},
		{Segment: "top_media", Message: fmt.Sprintf(needsFacebookLogin, "a hashtag's top media")},
		{Field: "business_discovery", Message: fmt.Sprintf(needsFacebookLogin, "business discovery")},
	}
}

// Invoke performs a validated call: the publishing flows by their own code,
// every other action by its row's method: GET with its query, POST with its
// form body (and query), DELETE.
func (c *Connector) Invoke(ctx context.Context, call *connectors.Call) (*connectors.Response, error) {
	if perform := c.performers[call.Action.OperationID]; perform != nil {
		return perform(ctx, call)
	}
	switch call.Action.Method {
	case http.MethodPost:
		form, _ := call.Body.(url.Values)
		if form == nil {
			form = url.Values{}
		}
		for k, v := range call.Query {
			form[k] = v
		}
		return c.Client.Post(ctx, call.UpstreamPath(), form, call.Token)
	case http.MethodDelete:
		return c.Client.Delete(ctx, call.UpstreamPath(), call.Token)
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
	if err := json.Unmarshal(resp.Body, &me); err != nil || !connectors.ValidID(me.ID) {
		return connectors.Identity{}, connectors.Errorf(connectors.CodeUpstreamError, "Instagram answered /me without a valid id")
	}
	return connectors.Identity{UserID: me.ID, Username: me.Username}, nil
}
