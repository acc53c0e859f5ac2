// Package triggers runs Power Automate polling triggers over a connector's
// paged list actions, without storing anything: each poll's answer carries
// the trigger's signed state in its Location, and the next poll brings it
// back. Any replica that shares the signing key answers any poll.
//
// A trigger walks a list that upstream orders newest first (Instagram's
// /{IG_USER_ID}/media) and delivers the items above the point the state
// knows, oldest first, a bounded batch per poll (see Poll).
package triggers

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/normalize"
)

// Trigger is a polling trigger a connector offers.
type Trigger struct {
	// Name is the human name ("When a new media is posted").
	Name string
	// OperationID is the Swagger operationId ("WhenNewMediaIsPosted").
	OperationID string
	// Path is the trigger's route below the connector's prefix and the
	// optional version: "triggers/new-media".
	Path string
	// List is the path (below the version) of the paged list action the
	// trigger polls, as a caller would write it: "me/media".
	List string
	// Poll is the operation ID of the action List resolves to
	// ("GetMyMedia"): the server checks that it does, and that it is paged.
	Poll string
	// IDField and TimeField name the items' ID and timestamp; the
	// trigger always asks for both. TimeLayout parses the timestamp.
	IDField, TimeField, TimeLayout string
}

// Source is a connector that offers polling triggers.
type Source interface {
	Triggers() []Trigger
}

// Item is one item of a list page.
type Item struct {
	ID string
	// Time is the item's timestamp in Unix seconds (0: none).
	Time int64
	// Raw is the item as upstream answered it.
	Raw json.RawMessage
}

// Page is one page of the list, newest first.
type Page struct {
	Items []Item
	// After is the cursor of the next page; empty on the last page.
	After string
}

// Lister fetches the page of the list that follows the cursor after (the
// first page when after is empty), with at most limit items.
type Lister func(ctx context.Context, after string, limit int) (*Page, error)

// graphPage is the shape of a Graph API page.
type graphPage struct {
	Data   []json.RawMessage `json:"data"`
	Paging json.RawMessage   `json:"paging"`
}

// ParsePage reads a Graph API page ({"data":[…],"paging":{…}}) of the
// trigger's items. The next page's cursor is read as paging links read it
// (normalize.NextCursor), when paging.next says there is a next page. An item without a valid ID, or a
// cursor the gateway cannot carry, is an upstream error.
func (t *Trigger) ParsePage(body []byte) (*Page, error) {
	var gp graphPage
	if err := json.Unmarshal(body, &gp); err != nil || gp.Data == nil {
		return nil, connectors.Errorf(connectors.CodeUpstreamError, "Instagram answered a page that is not a list")
	}
	p := &Page{Items: make([]Item, 0, len(gp.Data))}
	for _, raw := range gp.Data {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil {
			return nil, connectors.Errorf(connectors.CodeUpstreamError, "Instagram answered a list item that is not an object")
		}
		var id, ts string
		json.Unmarshal(fields[t.IDField], &id)
		json.Unmarshal(fields[t.TimeField], &ts)
		if !connectors.ValidID(id) {
			return nil, connectors.Errorf(connectors.CodeUpstreamError, "Instagram answered a list item without a valid %s", t.IDField)
		}
		it := Item{ID: id, Raw: json.RawMessage(bytes.TrimSpace(raw))}
		if at, err := time.Parse(t.TimeLayout, ts); err == nil {
			it.Time = at.Unix()
		}
		p.Items = append(p.Items, it)
	}
	if after, hasNext := normalize.NextCursor(gp.Paging); hasNext && len(p.Items) > 0 {
		if after == "" {
			return nil, connectors.Errorf(connectors.CodeUpstreamError, "Instagram answered a next page without a cursor the gateway can carry")
		}
		p.After = after
	}
	return p, nil
}
