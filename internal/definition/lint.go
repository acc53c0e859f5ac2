package definition

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Rule names a rule Lint checks; each problem starts with its rule.
type Rule string

// The rules: what the Power Automate designer needs to show every field,
// and Microsoft's certification rules for connectors.
const (
	RuleTyped       Rule = "typed outputs"        // no collapsed schema in a response
	RuleEncoding    Rule = "url encoding"         // x-ms-url-encoding: single on path parameters
	RuleVisibility  Rule = "operation visibility" // x-ms-visibility on every operation
	RuleOneResponse Rule = "one response schema"  // the success's only; errors in words
	RuleSummary     Rule = "title case"           // x-ms-summary in Title Case everywhere
	RuleSentence    Rule = "sentences"            // descriptions are sentences
	RuleOpSummary   Rule = "operation summary"    // sentence case, ≤ 80 characters, no slash, no final punctuation
	RuleTitle       Rule = "title"                // ≤ 30 characters, no "API" or "connector"
	RuleContact     Rule = "contact"              // name, URL and email
	RuleTags        Rule = "tags"                 // every tag used is defined, with a description
	RulePaging      Rule = "paging"               // pageable answers carry value and nextLink at the root
	RulePicker      Rule = "picker"               // dynamic values point at a list that has them
)

// Rules are every rule Lint checks.
var Rules = []Rule{
	RuleTyped, RuleEncoding, RuleVisibility, RuleOneResponse, RuleSummary, RuleSentence,
	RuleOpSummary, RuleTitle, RuleContact, RuleTags, RulePaging, RulePicker,
}

// visibilities are the values of x-ms-visibility.
var visibilities = map[string]bool{"important": true, "advanced": true, "internal": true}

var (
	// opSummaryRe is sentence case: a capital, then lower-case words
	// (digits, and capitalized names such as Instagram or ID, allowed).
	opSummaryRe = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*( [a-z0-9][a-z0-9]*| [A-Z][A-Za-z0-9]*)*$`)
	forbiddenRe = regexp.MustCompile(`(?i)\b(apis?|connectors?)\b`)
	apiRe       = regexp.MustCompile(`(?i)\bapis?\b`)
)

// Lint returns how the Swagger 2.0 definition d breaks the rules, each
// problem naming its rule and where; none when it keeps them all.
func Lint(d map[string]any) []string {
	l := &linter{d: d, defs: asMap(d["definitions"])}
	l.info()
	l.tags()
	for _, name := range sortedKeys(l.defs) {
		l.strings(l.defs[name], "definition "+name)
	}
	for _, o := range Operations(d) {
		l.operation(o)
	}
	sort.Strings(l.problems)
	return l.problems
}

type linter struct {
	d        map[string]any
	defs     map[string]any
	problems []string
}

func (l *linter) fail(rule Rule, format string, args ...any) {
	l.problems = append(l.problems, string(rule)+": "+fmt.Sprintf(format, args...))
}

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }

func (l *linter) info() {
	info := asMap(l.d["info"])
	title, _ := info["title"].(string)
	if title == "" || len(title) > 30 || forbiddenRe.MatchString(title) {
		l.fail(RuleTitle, "the title %q must be 1 to 30 characters without API or connector", title)
	}
	if desc, _ := info["description"].(string); !IsSentence(desc) || apiRe.MatchString(desc) {
		l.fail(RuleSentence, "the description %q is not a sentence without the word API", desc)
	}
	contact := asMap(info["contact"])
	for _, k := range []string{"name", "url", "email"} {
		if s, _ := contact[k].(string); s == "" {
			l.fail(RuleContact, "the contact has no %s", k)
		}
	}
	if s, _ := contact["email"].(string); s != "" && !strings.Contains(s, "@") {
		l.fail(RuleContact, "the contact's email %q is not an address", s)
	}
}

func (l *linter) tags() {
	defined := map[string]bool{}
	tags, _ := l.d["tags"].([]any)
	for _, t := range tags {
		tm := asMap(t)
		name, _ := tm["name"].(string)
		defined[name] = true
		if desc, _ := tm["description"].(string); !IsSentence(desc) {
			l.fail(RuleTags, "tag %s has no description as a sentence", name)
		}
	}
	for _, o := range Operations(l.d) {
		used, _ := o.Op["tags"].([]any)
		for _, t := range used {
			if name, _ := t.(string); !defined[name] {
				l.fail(RuleTags, "%s uses tag %s, which tags does not define", o.ID(), name)
			}
		}
	}
}

func (l *linter) operation(o Operation) {
	id := o.ID()
	summary, _ := o.Op["summary"].(string)
	if len(summary) > 80 || strings.Contains(summary, "/") || !opSummaryRe.MatchString(summary) {
		l.fail(RuleOpSummary, "%s: summary %q is not a sentence-case name of at most 80 characters", id, summary)
	}
	if desc, _ := o.Op["description"].(string); !IsSentence(desc) {
		l.fail(RuleSentence, "%s: description %q is not a sentence", id, desc)
	}
	if v, _ := o.Op["x-ms-visibility"].(string); !visibilities[v] {
		l.fail(RuleVisibility, "%s has no x-ms-visibility (important, advanced or internal)", id)
	}
	inputs := map[string]bool{}
	for _, p := range o.Parameters() {
		name, _ := p["name"].(string)
		inputs[name] = true
		where := id + " parameter " + name
		if s, _ := p["x-ms-summary"].(string); !IsTitleCase(s) {
			l.fail(RuleSummary, "%s: x-ms-summary %q is not in Title Case", where, s)
		}
		if desc, _ := p["description"].(string); !IsSentence(desc) {
			l.fail(RuleSentence, "%s: description %q is not a sentence", where, desc)
		}
		if p["in"] == "path" && p["x-ms-url-encoding"] != "single" {
			l.fail(RuleEncoding, "%s: a path parameter without x-ms-url-encoding single", where)
		}
		if s, ok := p["schema"]; ok {
			l.strings(s, where)
		}
	}
	for _, p := range o.Parameters() {
		if dv, ok := p["x-ms-dynamic-values"]; ok {
			l.picker(id+" parameter "+fmt.Sprint(p["name"]), asMap(dv), inputs)
		}
	}
	responses := asMap(o.Op["responses"])
	var schemas []string
	for _, code := range sortedKeys(responses) {
		r := asMap(responses[code])
		if desc, _ := r["description"].(string); !IsSentence(desc) {
			l.fail(RuleSentence, "%s response %s: description %q is not a sentence", id, code, desc)
		}
		s, ok := r["schema"]
		if !ok {
			continue
		}
		schemas = append(schemas, code)
		l.strings(s, id+" response "+code)
		l.typed(s, id+" response "+code, map[string]bool{})
	}
	if len(schemas) != 1 || !strings.HasPrefix(schemas[0], "2") {
		l.fail(RuleOneResponse, "%s has response schemas %v: want the success's alone, errors in words", id, schemas)
	}
	if pg, ok := o.Op["x-ms-pageable"]; ok {
		l.paging(id, asMap(pg), responses)
	}
}

// resolve follows a plain $ref.
func (l *linter) resolve(s map[string]any) map[string]any {
	for range 32 {
		ref, ok := s["$ref"].(string)
		if !ok || len(s) != 1 {
			return s
		}
		s = asMap(l.defs[strings.TrimPrefix(ref, refPrefix)])
	}
	return s
}

// typed reports the schemas in s that the designer collapses: a $ref with
// siblings (the siblings are dropped), a composition (allOf, anyOf,
// oneOf), an object without type, a schema without type, an array whose
// items are not typed, and a property without x-ms-summary.
func (l *linter) typed(v any, where string, seen map[string]bool) {
	s := asMap(v)
	if ref, ok := s["$ref"].(string); ok {
		if len(s) != 1 {
			l.fail(RuleTyped, "%s: $ref %s with siblings %v", where, ref, siblings(s))
			return
		}
		name := strings.TrimPrefix(ref, refPrefix)
		if l.defs[name] == nil {
			l.fail(RuleTyped, "%s: $ref %s names no definition", where, ref)
			return
		}
		if seen[name] {
			return
		}
		seen[name] = true
		defer delete(seen, name)
		s = l.resolve(s)
	}
	for _, k := range []string{"allOf", "anyOf", "oneOf"} {
		if _, ok := s[k]; ok {
			l.fail(RuleTyped, "%s: %s collapses to one untyped token", where, k)
		}
	}
	typ, _ := s["type"].(string)
	switch {
	case typ == "":
		l.fail(RuleTyped, "%s: no type", where)
	case typ == "object":
		props := asMap(s["properties"])
		for _, name := range sortedKeys(props) {
			p := asMap(props[name])
			if _, ok := p["x-ms-summary"]; !ok {
				l.fail(RuleTyped, "%s.%s: no x-ms-summary", where, name)
			}
			l.typed(p, where+"."+name, seen)
		}
	case typ == "array":
		if s["items"] == nil {
			l.fail(RuleTyped, "%s: an array without items", where)
			return
		}
		l.typed(s["items"], where+"[]", seen)
	}
}

func siblings(s map[string]any) []string {
	var out []string
	for k := range s {
		if k != "$ref" {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// strings checks the summaries and descriptions of a schema and those in
// it (references are checked where they are defined).
func (l *linter) strings(v any, where string) {
	s := asMap(v)
	if desc, ok := s["description"].(string); ok && !IsSentence(desc) {
		l.fail(RuleSentence, "%s: description %q is not a sentence", where, desc)
	}
	props := asMap(s["properties"])
	for _, name := range sortedKeys(props) {
		p := asMap(props[name])
		if sum, _ := p["x-ms-summary"].(string); !IsTitleCase(sum) {
			l.fail(RuleSummary, "%s.%s: x-ms-summary %q is not in Title Case", where, name, sum)
		}
		l.strings(p, where+"."+name)
	}
	if items, ok := s["items"]; ok {
		l.strings(items, where+"[]")
	}
}

// paging checks a pageable operation: its next link is nextLink, and its
// answer has, at the root, the items in a typed value array and nextLink.
func (l *linter) paging(id string, pg map[string]any, responses map[string]any) {
	if pg["nextLinkName"] != NextLinkProperty {
		l.fail(RulePaging, "%s: x-ms-pageable %v, want nextLinkName %s", id, pg, NextLinkProperty)
	}
	root := l.resolve(asMap(asMap(responses["200"])["schema"]))
	props := asMap(root["properties"])
	if next := asMap(props[NextLinkProperty]); next["type"] != "string" {
		l.fail(RulePaging, "%s: the answer has no %s string at its root", id, NextLinkProperty)
	}
	value := asMap(props[ValueProperty])
	if value["type"] != "array" || l.resolve(asMap(value["items"]))["type"] == nil {
		l.fail(RulePaging, "%s: the answer has no %s array of typed items at its root", id, ValueProperty)
	}
}

// picker checks x-ms-dynamic-values: its operation exists and answers the
// value collection, whose items have the value and title paths; each of
// its parameters is one of that operation's, and a linked one an input of
// the operation that offers the picker.
func (l *linter) picker(where string, dv map[string]any, inputs map[string]bool) {
	id, _ := dv["operationId"].(string)
	var feeder *Operation
	for _, o := range Operations(l.d) {
		if o.ID() == id {
			feeder = &o
		}
	}
	if feeder == nil {
		l.fail(RulePicker, "%s: its list operation %q is not in the definition", where, id)
		return
	}
	collection, _ := dv["value-collection"].(string)
	root := l.resolve(asMap(asMap(asMap(feeder.Op["responses"])["200"])["schema"]))
	coll := asMap(asMap(root["properties"])[collection])
	items := asMap(l.resolve(asMap(coll["items"]))["properties"])
	if coll["type"] != "array" {
		l.fail(RulePicker, "%s: %s answers no %q array", where, id, collection)
	}
	for _, k := range []string{"value-path", "value-title"} {
		if path, _ := dv[k].(string); items[path] == nil {
			l.fail(RulePicker, "%s: the items of %s.%s have no %s %q", where, id, collection, k, path)
		}
	}
	takes := map[string]bool{}
	for _, p := range feeder.Parameters() {
		takes[fmt.Sprint(p["name"])] = true
	}
	params := asMap(dv["parameters"])
	for _, name := range sortedKeys(params) {
		if !takes[name] {
			l.fail(RulePicker, "%s: %s takes no parameter %s", where, id, name)
		}
		if input, ok := asMap(params[name])["parameter"].(string); ok && !inputs[input] {
			l.fail(RulePicker, "%s: parameter %s comes from input %s, which the operation does not have", where, name, input)
		}
	}
}
