package connectors

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Format is the path format a caller used (LowCodeAPI's two formats).
type Format string

const (
	// FormatNew keeps path parameters in the path: /instagram/v21.0/1789….
	FormatNew Format = "new"
	// FormatOld puts each path parameter's lower-case name in the path and its
	// value in a query parameter of its upper-case name:
	// /instagram/v21.0/ig_media_id?IG_MEDIA_ID=1789….
	FormatOld Format = "old"
)

// QueryKind tells how a query parameter is validated.
type QueryKind int

const (
	// QueryInt is a positive integer within [Min, Max].
	QueryInt QueryKind = iota
	// QueryCursor is an opaque paging cursor (connectors.ValidCursor).
	QueryCursor
	// QueryText is free text, length-limited (Max).
	QueryText
	// QueryEnum is one of Values(version).
	QueryEnum
	// QueryList is a comma-separated list of Values(version): insights'
	// metrics, for example. An empty list is absent.
	QueryList
)

// QueryParam is a query parameter an action accepts besides fields.
type QueryParam struct {
	Name     string
	Kind     QueryKind
	Min, Max int
	// Values returns the allowed values of a QueryEnum or QueryList in a
	// Graph API version.
	Values func(version string) []string
	// Required parameters must be given (a 400 names the valid values).
	Required bool
}

// Action is one row of a connector's action table. The table alone drives
// routing in both path formats, validation and the generated definition.
type Action struct {
	// Name is the human name ("Get my Media").
	Name string
	// OperationID is the Swagger operationId ("GetMyMedia").
	OperationID string
	Method      string
	// Path is the upstream path template after the version, with path
	// parameters in braces: "{IG_MEDIA_ID}", "me/media".
	Path string
	// MeParams are path parameters that also accept "me".
	MeParams []string
	// Fields are the fields the node has; empty means the action takes no
	// fields parameter. DefaultFields apply when the caller sends none.
	Fields        []string
	DefaultFields string
	// Query are the other query parameters the action forwards.
	Query []QueryParam
	// Paged actions answer Graph API paging that the gateway rewrites.
	Paged bool
	// Body, when set, decodes and validates a JSON body (POST actions).
	Body func(raw []byte) (any, error)
	// Publishes marks an action that publishes: a write that costs many
	// upstream calls. The gateway caps how many of a connection's run at
	// once.
	Publishes bool

	segments []string
}

// PathParams returns the names of the action's path parameters, in order.
func (a *Action) PathParams() []string {
	var out []string
	for _, s := range a.segs() {
		if isParam(s) {
			out = append(out, s[1:len(s)-1])
		}
	}
	return out
}

// segs returns the template's segments; NewRouter computes them once so that
// concurrent calls only read.
func (a *Action) segs() []string {
	if a.segments == nil {
		return strings.Split(a.Path, "/")
	}
	return a.segments
}

func isParam(seg string) bool {
	return len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}'
}

// Call is one validated invocation of an action.
type Call struct {
	Action *Action
	Format Format
	// Version is the Graph API version to call ("v21.0").
	Version string
	// Params holds the path parameters' values, by name.
	Params map[string]string
	// Query holds the validated query parameters to forward upstream
	// (fields included, defaults applied).
	Query url.Values
	// Body is the decoded, validated body of a POST action.
	Body any
	// Token is the connection's upstream access token.
	Token string
	// UserID is the connection's Instagram user ID.
	UserID string
}

// UpstreamPath returns the upstream path of the call: "/v21.0/1789…/media".
func (c *Call) UpstreamPath() string {
	var b strings.Builder
	b.WriteString("/")
	b.WriteString(c.Version)
	for _, s := range c.Action.segs() {
		b.WriteByte('/')
		if isParam(s) {
			b.WriteString(c.Params[s[1:len(s)-1]])
		} else {
			b.WriteString(s)
		}
	}
	return b.String()
}

// Response is an upstream answer: its status and its JSON body.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// Throttle, when set, is how long upstream asks to be left alone (its
	// usage headers reached 100%): the answer is good, the next calls wait.
	Throttle time.Duration
}

// Picker offers the values of an input in a dropdown, fed by a list action
// (Power Automate's x-ms-dynamic-values): each item of the list answer's
// value array is one choice.
type Picker struct {
	// Parameter is the path or query input that takes the picked value
	// ("IG_MEDIA_ID"), in every operation that has it.
	Parameter string
	// OperationID is the list action that feeds the dropdown ("GetMyMedia").
	OperationID string
	// ValuePath is the item's property that becomes the input's value;
	// TitlePath the one the maker reads ("id", "caption").
	ValuePath, TitlePath string
	// Fixed are the list action's parameters given as constants
	// ({"IG_USER_ID": "me"}).
	Fixed map[string]string
	// Linked are the list action's parameters taken from another input of
	// the same operation, list parameter to input ({"IG_MEDIA_ID":
	// "IG_MEDIA_ID"}): the picker is offered only where the operation has
	// every such input.
	Linked map[string]string
}

// Identity is who an upstream token belongs to.
type Identity struct {
	UserID   string
	Username string
}

// Connector is an upstream API reached through the gateway.
type Connector interface {
	// Name is the first path segment of the connector's routes ("instagram").
	Name() string
	// Actions is the connector's action table.
	Actions() []*Action
	// Unsupported are the upstream's features the connector names but does
	// not serve (404 with a reason).
	Unsupported() []Unsupported
	// DefaultVersion is the API version used when a route names none.
	DefaultVersion() string
	// Pickers are the dropdowns the connector's definition offers, in order
	// of preference for an input.
	Pickers() []Picker
	// Invoke performs a validated call upstream.
	Invoke(ctx context.Context, call *Call) (*Response, error)
	// Identify checks a token upstream and tells whose it is.
	Identify(ctx context.Context, token string) (Identity, error)
	// RefreshToken asks upstream for a new long-lived token in place of
	// token (which stays valid until its own expiry).
	RefreshToken(ctx context.Context, token string) (Grant, error)
	// LongLived returns the long-lived token to store for token: with the
	// connector's app secret configured, a short-lived token exchanged for
	// a long-lived one; otherwise (no secret, or a token upstream does not
	// exchange because it is long-lived already) token itself, its
	// lifetime unknown. A token upstream rejects is an error.
	LongLived(ctx context.Context, token string) (Grant, error)
}

// Grant is an upstream token with its lifetime as upstream stated it.
type Grant struct {
	Token string
	// ExpiresIn is zero when unknown.
	ExpiresIn time.Duration
}
