package definition

import (
	"fmt"

	"github.com/igconnect/gateway/internal/connectors"
)

// pick puts each picker on the path and query inputs it names, as
// x-ms-dynamic-values: the first picker, in order, that applies. A picker
// applies to an operation that has every input its Linked parameters come
// from, and that is not the list it is fed by. A picker whose list
// operation is not in d is an error.
func pick(d map[string]any, pickers []connectors.Picker) error {
	ops := map[string]bool{}
	for _, o := range Operations(d) {
		ops[o.ID()] = true
	}
	for _, p := range pickers {
		if !ops[p.OperationID] {
			return fmt.Errorf("the picker of %s is fed by %s, which the definition does not document", p.Parameter, p.OperationID)
		}
	}
	for _, o := range Operations(d) {
		inputs := map[string]bool{}
		for _, prm := range o.Parameters() {
			if prm["in"] == "path" || prm["in"] == "query" {
				inputs[prm["name"].(string)] = true
			}
		}
		for _, prm := range o.Parameters() {
			if prm["in"] != "path" && prm["in"] != "query" {
				continue
			}
			for _, p := range pickers {
				if p.Parameter == prm["name"] && p.OperationID != o.ID() && linked(p, inputs) {
					prm["x-ms-dynamic-values"] = dynamicValues(p)
					break
				}
			}
		}
	}
	return nil
}

// linked tells whether the operation has every input p takes a list
// parameter from.
func linked(p connectors.Picker, inputs map[string]bool) bool {
	for _, input := range p.Linked {
		if !inputs[input] {
			return false
		}
	}
	return true
}

// dynamicValues is p as Power Automate reads it: the list operation, the
// items in the answer's value array, and the list's parameters (constants,
// or {"parameter": input} for another input of the same operation).
func dynamicValues(p connectors.Picker) map[string]any {
	dv := map[string]any{
		"operationId":      p.OperationID,
		"value-collection": ValueProperty,
		"value-path":       p.ValuePath,
		"value-title":      p.TitlePath,
	}
	params := map[string]any{}
	for name, v := range p.Fixed {
		params[name] = v
	}
	for name, input := range p.Linked {
		params[name] = map[string]any{"parameter": input}
	}
	if len(params) > 0 {
		dv["parameters"] = params
	}
	return dv
}
