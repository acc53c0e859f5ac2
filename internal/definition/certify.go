package definition

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// certify applies Microsoft's string rules for connectors to d: every
// x-ms-summary of a parameter or property in Title Case, every description
// a sentence, and single URL encoding on every path parameter.
func certify(d map[string]any) {
	if info, ok := d["info"].(map[string]any); ok {
		sentenceOf(info)
	}
	tags, _ := d["tags"].([]any)
	for _, t := range tags {
		if tm, ok := t.(map[string]any); ok {
			sentenceOf(tm)
		}
	}
	secs, _ := d["securityDefinitions"].(map[string]any)
	for _, s := range secs {
		if sm, ok := s.(map[string]any); ok {
			sentenceOf(sm)
		}
	}
	defs, _ := d["definitions"].(map[string]any)
	for _, def := range defs {
		certifySchema(def)
	}
	for _, o := range Operations(d) {
		sentenceOf(o.Op)
		for _, p := range o.Parameters() {
			titleOf(p)
			sentenceOf(p)
			if p["in"] == "path" {
				p["x-ms-url-encoding"] = "single"
			}
			certifySchema(p["schema"])
		}
		responses, _ := o.Op["responses"].(map[string]any)
		for _, r := range responses {
			if rm, ok := r.(map[string]any); ok {
				sentenceOf(rm)
				certifySchema(rm["schema"])
			}
		}
	}
}

// certifySchema applies the string rules to a schema and the schemas in it.
func certifySchema(s any) {
	m, ok := s.(map[string]any)
	if !ok {
		return
	}
	titleOf(m)
	sentenceOf(m)
	props, _ := m["properties"].(map[string]any)
	for _, p := range props {
		certifySchema(p)
	}
	certifySchema(m["items"])
	certifySchema(m["additionalProperties"])
}

func titleOf(m map[string]any) {
	if s, ok := m["x-ms-summary"].(string); ok {
		m["x-ms-summary"] = TitleCase(s)
	}
}

func sentenceOf(m map[string]any) {
	if s, ok := m["description"].(string); ok {
		m["description"] = Sentence(s)
	}
}

// minorWords stay in lower case inside a title ("Number of Likes").
var minorWords = map[string]bool{
	"a": true, "an": true, "and": true, "as": true, "at": true, "but": true, "by": true, "for": true,
	"from": true, "in": true, "nor": true, "of": true, "on": true, "or": true, "per": true, "the": true,
	"to": true, "via": true, "with": true,
}

// TitleCase capitalizes each word of s but the minor words inside it
// ("Like count" → "Like Count"); words already capitalized, such as ID and
// URL, stay as they are.
func TitleCase(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		if i > 0 && i < len(words)-1 && minorWords[w] {
			continue
		}
		words[i] = upperFirst(w)
	}
	return strings.Join(words, " ")
}

// IsTitleCase tells whether s is a non-empty title in Title Case.
func IsTitleCase(s string) bool {
	return strings.TrimSpace(s) != "" && TitleCase(s) == s
}

// Sentence makes s a sentence: a first word in plain lower case is
// capitalized ("true hides it" → "True hides it."), and a final period is
// added when s ends without . ! ? or ….
func Sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	first, rest, _ := strings.Cut(s, " ")
	if isPlainWord(first) {
		s = upperFirst(first)
		if rest != "" {
			s += " " + rest
		}
	}
	if !endsSentence(s) {
		s += "."
	}
	return s
}

// IsSentence tells whether s starts with a capital letter or a digit and
// ends with . ! ? or ….
func IsSentence(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return (unicode.IsUpper(r) || unicode.IsDigit(r)) && endsSentence(s)
}

func endsSentence(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return strings.ContainsRune(".!?…", r)
}

// isPlainWord tells whether w is lower-case letters only, with perhaps a
// trailing comma or colon: an ordinary word, not a name such as nextLink
// or image_url, which keeps its case.
func isPlainWord(w string) bool {
	w = strings.TrimRight(w, ",:;")
	if w == "" {
		return false
	}
	for _, r := range w {
		if !unicode.IsLower(r) {
			return false
		}
	}
	return true
}

func upperFirst(w string) string {
	r, n := utf8.DecodeRuneInString(w)
	if !unicode.IsLower(r) {
		return w
	}
	return string(unicode.ToUpper(r)) + w[n:]
}
