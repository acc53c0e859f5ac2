package definition

import (
	"fmt"
	"strings"
)

// refPrefix starts every reference swag writes.
const refPrefix = "#/definitions/"

// flattener inlines the schemas the designer cannot read. swag documents a
// commented struct-typed field as {"allOf":[{"$ref":…}],"description":…,
// "x-ms-summary":…}: a schema with no type, which the designer shows as one
// token of type any. Each such wrapper (and any $ref with siblings, and any
// allOf) becomes a copy of what it references, typed, with the wrapper's
// own keywords (its description and summary) on top. A plain $ref (a
// response's schema, an array's items) stays: it names a type for the
// clients generated from the definition, and the designer follows it.
type flattener struct {
	defs map[string]any
	// done holds each definition once flattened; busy the ones being
	// flattened, to refuse a definition that contains itself.
	done map[string]map[string]any
	busy map[string]bool
}

// flatten flattens every definition and every schema of d's operations,
// then drops the definitions nothing references any more.
func flatten(d map[string]any) error {
	defs, _ := d["definitions"].(map[string]any)
	f := &flattener{defs: defs, done: map[string]map[string]any{}, busy: map[string]bool{}}
	for _, name := range sortedKeys(defs) {
		def, err := f.definition(name)
		if err != nil {
			return err
		}
		defs[name] = def
	}
	for _, o := range Operations(d) {
		where := o.ID()
		for _, p := range o.Parameters() {
			if s, ok := p["schema"]; ok {
				fs, err := f.schema(s, where+" parameter "+fmt.Sprint(p["name"]))
				if err != nil {
					return err
				}
				p["schema"] = fs
			}
		}
		responses, _ := o.Op["responses"].(map[string]any)
		for code, r := range responses {
			rm, _ := r.(map[string]any)
			if s, ok := rm["schema"]; ok {
				fs, err := f.schema(s, where+" response "+code)
				if err != nil {
					return err
				}
				rm["schema"] = fs
			}
		}
	}
	prune(d)
	return nil
}

// definition returns the named definition, flattened.
func (f *flattener) definition(name string) (map[string]any, error) {
	if def, ok := f.done[name]; ok {
		return def, nil
	}
	if f.busy[name] {
		return nil, fmt.Errorf("definition %s contains itself through a described property: it cannot be inlined", name)
	}
	raw, ok := f.defs[name].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("no definition %s", name)
	}
	f.busy[name] = true
	s, err := f.schema(raw, "definition "+name)
	delete(f.busy, name)
	if err != nil {
		return nil, err
	}
	def := s.(map[string]any)
	f.done[name] = def
	return def, nil
}

// schema returns s flattened: a new value, s itself is not changed.
func (f *flattener) schema(s any, where string) (any, error) {
	m, ok := s.(map[string]any)
	if !ok {
		return s, nil
	}
	ref, hasRef := m["$ref"].(string)
	if hasRef && len(m) == 1 {
		if _, ok := f.defs[strings.TrimPrefix(ref, refPrefix)]; !ok || !strings.HasPrefix(ref, refPrefix) {
			return nil, fmt.Errorf("%s: reference %s names no definition", where, ref)
		}
		return map[string]any{"$ref": ref}, nil
	}
	out := map[string]any{}
	// What the schema is made of: its reference, then each allOf entry,
	// merged in order; then its own keywords on top.
	var parts []any
	if hasRef {
		parts = append(parts, map[string]any{"$ref": ref})
	}
	if all, ok := m["allOf"].([]any); ok {
		parts = append(parts, all...)
	}
	for _, part := range parts {
		pm, _ := part.(map[string]any)
		var resolved map[string]any
		if r, ok := pm["$ref"].(string); ok {
			def, err := f.definition(strings.TrimPrefix(r, refPrefix))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			resolved = deepCopy(def).(map[string]any)
		} else {
			fs, err := f.schema(pm, where)
			if err != nil {
				return nil, err
			}
			resolved = fs.(map[string]any)
		}
		merge(out, resolved)
	}
	for k, v := range m {
		switch k {
		case "$ref", "allOf":
		case "properties":
			props, _ := v.(map[string]any)
			outProps, _ := out["properties"].(map[string]any)
			if outProps == nil {
				outProps = map[string]any{}
			}
			for _, name := range sortedKeys(props) {
				fs, err := f.schema(props[name], where+"."+name)
				if err != nil {
					return nil, err
				}
				outProps[name] = fs
			}
			out["properties"] = outProps
		case "items", "additionalProperties":
			fs, err := f.schema(v, where+"[]")
			if err != nil {
				return nil, err
			}
			out[k] = fs
		case "required":
			out[k] = union(out[k], v)
		default:
			out[k] = deepCopy(v)
		}
	}
	if _, typed := out["type"]; !typed {
		switch {
		case out["properties"] != nil:
			out["type"] = "object"
		case out["items"] != nil:
			out["type"] = "array"
		}
	}
	return out, nil
}

// merge adds src's keywords to dst: properties and required lists join,
// other keywords of src replace dst's.
func merge(dst, src map[string]any) {
	for k, v := range src {
		switch k {
		case "properties":
			props, _ := dst["properties"].(map[string]any)
			if props == nil {
				props = map[string]any{}
			}
			for name, p := range v.(map[string]any) {
				props[name] = p
			}
			dst["properties"] = props
		case "required":
			dst[k] = union(dst[k], v)
		default:
			dst[k] = v
		}
	}
}

// union joins two required lists, without repeats.
func union(a, b any) []any {
	var out []any
	seen := map[any]bool{}
	for _, l := range []any{a, b} {
		list, _ := l.([]any)
		for _, e := range list {
			if !seen[e] {
				seen[e] = true
				out = append(out, e)
			}
		}
	}
	return out
}

// prune removes the definitions that no operation reaches, directly or
// through other definitions (those only inlined wrappers referenced).
func prune(d map[string]any) {
	defs, _ := d["definitions"].(map[string]any)
	reached := map[string]bool{}
	var visit func(v any)
	visit = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok && strings.HasPrefix(ref, refPrefix) {
				name := strings.TrimPrefix(ref, refPrefix)
				if !reached[name] {
					reached[name] = true
					visit(defs[name])
				}
			}
			for _, e := range x {
				visit(e)
			}
		case []any:
			for _, e := range x {
				visit(e)
			}
		}
	}
	visit(d["paths"])
	for name := range defs {
		if !reached[name] {
			delete(defs, name)
		}
	}
}
