// Package definition builds the connector definition the gateway serves
// from swag's Swagger 2.0 output and the connector's action table: every
// response schema typed down to its leaves (no allOf wrapper that the Power
// Automate designer collapses into one untyped token), Microsoft's
// certification rules applied (Title Case summaries, sentences, single URL
// encoding of path parameters), x-ms-pageable from the table's paged rows,
// and the connector's pickers as x-ms-dynamic-values. From that one
// definition it derives LowCodeAPI's old path format and OpenAPI 3.0.
//
// The package knows the gateway's envelope (items in value, the next page
// in nextLink) but no connector: what is Instagram's comes in through
// Connector.
package definition

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/igconnect/gateway/internal/connectors"
)

// The root properties of a list answer that Power Automate pages on.
const (
	// ValueProperty holds the page's items.
	ValueProperty = "value"
	// NextLinkProperty holds the next page's URL; absent on the last page.
	NextLinkProperty = "nextLink"
)

// Connector is what a definition needs of a connector.
type Connector interface {
	// Actions is the action table: its paged rows are pageable.
	Actions() []*connectors.Action
	// Pickers are the dropdowns offered on inputs, in order of preference.
	Pickers() []connectors.Picker
}

// Build returns the final Swagger 2.0 definition: swag's output (swag) made
// typed and certifiable, with the connector's paging and pickers.
func Build(swag []byte, c Connector) (map[string]any, error) {
	var d map[string]any
	dec := json.NewDecoder(bytes.NewReader(swag))
	dec.UseNumber()
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("swag's definition: %w", err)
	}
	if err := flatten(d); err != nil {
		return nil, err
	}
	certify(d)
	pageable(d, c.Actions())
	if err := pick(d, c.Pickers()); err != nil {
		return nil, err
	}
	return d, nil
}

// Marshal writes d as the committed file holds it: indented, keys sorted,
// with a final newline.
func Marshal(d map[string]any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Operation is one operation of a definition, where it is.
type Operation struct {
	Path, Method string
	Op           map[string]any
}

// ID is the operation's operationId.
func (o Operation) ID() string { s, _ := o.Op["operationId"].(string); return s }

// Parameters are the operation's parameters.
func (o Operation) Parameters() []map[string]any {
	var out []map[string]any
	list, _ := o.Op["parameters"].([]any)
	for _, p := range list {
		if pm, ok := p.(map[string]any); ok {
			out = append(out, pm)
		}
	}
	return out
}

// methods are the keys of a path item that are operations.
var methods = map[string]bool{"get": true, "put": true, "post": true, "delete": true, "options": true, "head": true, "patch": true}

// Operations returns d's operations, by path then method.
func Operations(d map[string]any) []Operation {
	paths, _ := d["paths"].(map[string]any)
	var out []Operation
	for _, path := range sortedKeys(paths) {
		item, _ := paths[path].(map[string]any)
		for _, method := range sortedKeys(item) {
			if op, ok := item[method].(map[string]any); ok && methods[method] {
				out = append(out, Operation{Path: path, Method: method, Op: op})
			}
		}
	}
	return out
}

// pageable sets x-ms-pageable on the operations of the table's paged rows,
// and removes it from the other rows' operations: the row decides.
func pageable(d map[string]any, actions []*connectors.Action) {
	paged := map[string]bool{}
	for _, a := range actions {
		paged[a.OperationID] = a.Paged
	}
	for _, o := range Operations(d) {
		isPaged, known := paged[o.ID()]
		switch {
		case isPaged:
			o.Op["x-ms-pageable"] = map[string]any{"nextLinkName": NextLinkProperty}
		case known:
			delete(o.Op, "x-ms-pageable")
		}
	}
}

// PagedOperations returns the operationIds of d's pageable operations,
// sorted: the ones apiProperties.json's updatenextlink policy must name.
func PagedOperations(d map[string]any) []string {
	var out []string
	for _, o := range Operations(d) {
		if _, ok := o.Op["x-ms-pageable"]; ok {
			out = append(out, o.ID())
		}
	}
	sort.Strings(out)
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// deepCopy copies a decoded JSON value.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

// Copy returns a deep copy of a definition.
func Copy(d map[string]any) map[string]any { return deepCopy(d).(map[string]any) }

// Committed returns d as the repository commits it: without the empty host
// swag's template leaves (whoever imports the file sets their gateway's).
func Committed(d map[string]any) map[string]any {
	out := Copy(d)
	if h, _ := out["host"].(string); h == "" {
		delete(out, "host")
	}
	return out
}
