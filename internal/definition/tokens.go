package definition

import (
	"fmt"
	"sort"
	"strings"
)

// What the Power Automate designer lists for an operation, derived from
// the definition the way the designer's Swagger parser does: an input per
// parameter (a body's properties each one), an output token per leaf of
// the answer, titled by its ancestors' x-ms-summary and its own; an array
// of objects is a loop over its items.

// Input is one input of an action.
type Input struct {
	// Title is what the maker reads; Key where the value goes
	// ("path.$.IG_MEDIA_ID", "body.$.message").
	Title, Key, Type string
	// Visibility is important, advanced or empty.
	Visibility string
	Required   bool
	// Choices counts an enum's values; Picker names the operation whose
	// list fills the input's dropdown.
	Choices int
	Picker  string
}

// Token is one output token of an action.
type Token struct {
	// Title is what the maker reads ("Page Media Caption"); Key the
	// value's place in the answer ("body.$.data.data.[*].caption").
	Title, Key string
	// Type is string, integer, number, boolean, or array of one of those.
	Type string
	// Loops are the titles of the arrays the token is inside, outermost
	// first: a maker reading it gets an Apply to each.
	Loops []string
}

// Action is what the designer shows of one operation.
type Action struct {
	OperationID, Summary, Visibility string
	Pageable                         bool
	Inputs                           []Input
	Outputs                          []Token
}

// Designer returns what the designer lists for each operation of d, sorted
// by the name a maker sees.
func Designer(d map[string]any) []Action {
	defs := asMap(d["definitions"])
	var out []Action
	for _, o := range Operations(d) {
		a := Action{OperationID: o.ID()}
		a.Summary, _ = o.Op["summary"].(string)
		a.Visibility, _ = o.Op["x-ms-visibility"].(string)
		_, a.Pageable = o.Op["x-ms-pageable"]
		a.Inputs = inputs(o, defs)
		if s, ok := asMap(asMap(o.Op["responses"])["200"])["schema"]; ok {
			w := &tokenWalker{defs: defs}
			w.walk(asMap(s), "body.$", nil, nil)
			a.Outputs = w.tokens
		}
		out = append(out, a)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Summary < out[j].Summary })
	return out
}

// locationRank orders inputs as the designer does: path, query, header,
// then the body; within each, important inputs first and advanced ones
// last.
var locationRank = map[string]int{"path": 0, "query": 1, "header": 2, "formData": 3, "body": 4}

func visibilityRank(v string) int {
	switch v {
	case "important":
		return 0
	case "advanced":
		return 2
	}
	return 1
}

func inputs(o Operation, defs map[string]any) []Input {
	type ranked struct {
		Input
		loc int
	}
	var all []ranked
	for _, p := range o.Parameters() {
		if p["x-ms-visibility"] == "internal" {
			continue
		}
		in, _ := p["in"].(string)
		name, _ := p["name"].(string)
		if in == "body" {
			schema := resolveIn(defs, asMap(p["schema"]))
			if schema["type"] == "object" {
				for _, in := range bodyInputs(defs, schema, "body.$", "") {
					all = append(all, ranked{in, locationRank["body"]})
				}
				continue
			}
		}
		input := Input{Title: title(p, name), Key: in + ".$." + name, Type: typeName(defs, p)}
		input.Visibility, _ = p["x-ms-visibility"].(string)
		input.Required, _ = p["required"].(bool)
		input.Choices = len(asSlice(p["enum"]))
		input.Picker, _ = asMap(p["x-ms-dynamic-values"])["operationId"].(string)
		all = append(all, ranked{input, locationRank[in]})
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].loc != all[j].loc {
			return all[i].loc < all[j].loc
		}
		return visibilityRank(all[i].Visibility) < visibilityRank(all[j].Visibility)
	})
	out := make([]Input, len(all))
	for i, r := range all {
		out[i] = r.Input
	}
	return out
}

// bodyInputs are a body object's properties, each an input; an object
// property's own properties are inputs titled under it.
func bodyInputs(defs, schema map[string]any, key, prefix string) []Input {
	required := map[string]bool{}
	for _, r := range asSlice(schema["required"]) {
		required[fmt.Sprint(r)] = true
	}
	var out []Input
	props := asMap(schema["properties"])
	for _, name := range sortedKeys(props) {
		p := resolveIn(defs, asMap(props[name]))
		if p["x-ms-visibility"] == "internal" {
			continue
		}
		t := joinTitle(prefix, title(p, name))
		if p["type"] == "object" {
			out = append(out, bodyInputs(defs, p, key+"."+name, t)...)
			continue
		}
		in := Input{Title: t, Key: key + "." + name, Type: typeName(defs, p), Required: required[name]}
		in.Visibility, _ = p["x-ms-visibility"].(string)
		in.Choices = len(asSlice(p["enum"]))
		in.Picker, _ = asMap(p["x-ms-dynamic-values"])["operationId"].(string)
		out = append(out, in)
	}
	return out
}

type tokenWalker struct {
	defs   map[string]any
	tokens []Token
}

// walk adds the tokens of schema s, at key, titled under prefix, inside
// loops.
func (w *tokenWalker) walk(s map[string]any, key string, prefix, loops []string) {
	s = resolveIn(w.defs, s)
	switch s["type"] {
	case "object":
		props := asMap(s["properties"])
		for _, name := range sortedKeys(props) {
			p := asMap(props[name])
			w.walk(p, key+"."+name, append(prefix[:len(prefix):len(prefix)], title(resolveWithSummary(w.defs, p), name)), loops)
		}
		if len(props) == 0 {
			w.add(key, prefix, "object", loops)
		}
	case "array":
		items := resolveIn(w.defs, asMap(s["items"]))
		if items["type"] == "object" {
			w.walk(items, key+".[*]", prefix, append(loops[:len(loops):len(loops)], strings.Join(prefix, " ")))
			return
		}
		w.add(key, prefix, "array of "+typeName(w.defs, items), loops)
	default:
		w.add(key, prefix, typeName(w.defs, s), loops)
	}
}

func (w *tokenWalker) add(key string, prefix []string, typ string, loops []string) {
	t := strings.Join(prefix, " ")
	if t == "" {
		t = "Body"
	}
	w.tokens = append(w.tokens, Token{Title: t, Key: key, Type: typ, Loops: loops})
}

// resolveWithSummary resolves a plain $ref; a property keeps its own
// summary over the definition's.
func resolveWithSummary(defs, s map[string]any) map[string]any {
	if _, ok := s["x-ms-summary"]; ok {
		return s
	}
	return resolveIn(defs, s)
}

func resolveIn(defs, s map[string]any) map[string]any {
	for range 32 {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		s = asMap(defs[strings.TrimPrefix(ref, refPrefix)])
	}
	return s
}

func title(s map[string]any, name string) string {
	if t, ok := s["x-ms-summary"].(string); ok && t != "" {
		return t
	}
	return name
}

func joinTitle(prefix, t string) string {
	if prefix == "" {
		return t
	}
	return prefix + " " + t
}

// typeName is a schema's type as the designer names it: an array's with
// its items' ("array of string"); any when it has none.
func typeName(defs, s map[string]any) string {
	s = resolveIn(defs, s)
	t, _ := s["type"].(string)
	switch t {
	case "":
		return "any"
	case "array":
		return "array of " + typeName(defs, asMap(s["items"]))
	}
	return t
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

// Markdown is the table of what the designer lists for each action of d:
// its inputs (advanced ones marked, pickers named) and its output tokens,
// those inside a loop grouped under it.
func Markdown(d map[string]any) string {
	var b strings.Builder
	b.WriteString("| Action | Inputs | Output tokens |\n|---|---|---|\n")
	for _, a := range Designer(d) {
		name := a.Summary + "<br>`" + a.OperationID + "`"
		if a.Pageable {
			name += "<br>(pages)"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", name, markdownInputs(a.Inputs), markdownTokens(a.Outputs))
	}
	return b.String()
}

func markdownInputs(ins []Input) string {
	if len(ins) == 0 {
		return "none"
	}
	parts := make([]string, len(ins))
	for i, in := range ins {
		notes := []string{in.Type}
		if in.Required {
			notes = append(notes, "required")
		}
		if in.Visibility == "advanced" {
			notes = append(notes, "advanced")
		}
		if in.Choices > 0 {
			notes = append(notes, fmt.Sprintf("%d choices", in.Choices))
		}
		if in.Picker != "" {
			notes = append(notes, "dropdown from "+in.Picker)
		}
		parts[i] = "`" + in.Title + "` (" + strings.Join(notes, ", ") + ")"
	}
	return strings.Join(parts, " · ")
}

// markdownTokens lists the tokens outside loops first, then each loop's
// (named by its array's title, an inner loop after its outer one).
func markdownTokens(tokens []Token) string {
	var order []string
	groups := map[string][]string{}
	for _, t := range tokens {
		loop := strings.Join(t.Loops, " › ")
		if _, ok := groups[loop]; !ok {
			order = append(order, loop)
		}
		groups[loop] = append(groups[loop], "`"+t.Title+"` "+t.Type)
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i] == "" && order[j] != "" })
	lines := make([]string, len(order))
	for i, loop := range order {
		line := strings.Join(groups[loop], ", ")
		if loop != "" {
			line = "**each " + loop + ":** " + line
		}
		lines[i] = line
	}
	return strings.Join(lines, "<br>")
}
