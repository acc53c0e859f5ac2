package connectors

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

var (
	versionRe = regexp.MustCompile(`^v[0-9]{1,3}\.[0-9]{1,3}$`)
	idRe      = regexp.MustCompile(`^[0-9]{1,32}$`)
	fieldRe   = regexp.MustCompile(`^[a-z_]{1,64}$`)
)

// MaxCursor is the length, in bytes, of the longest paging cursor the
// gateway accepts from a caller or passes on from Instagram.
const MaxCursor = 2048

// ValidCursor tells whether c can be a paging cursor. Cursors are opaque:
// any text Instagram hands out is one (standard base64 with "+", "/" and "="
// included), within sane bounds: not empty, at most MaxCursor bytes, valid
// UTF-8 and no control character. It is the one rule for cursors, in query
// parameters and in the links the gateway builds.
func ValidCursor(c string) bool {
	if c == "" || len(c) > MaxCursor || !utf8.ValidString(c) {
		return false
	}
	return strings.IndexFunc(c, unicode.IsControl) < 0
}

// ValidVersion tells whether v is a Graph API version segment: v21.0. It is
// the one rule for versions, in routes and in configuration.
func ValidVersion(v string) bool { return versionRe.MatchString(v) }

// Router matches request paths against an action table, in both formats.
type Router struct {
	actions        []*Action
	defaultVersion string
}

// NewRouter returns a router over actions.
func NewRouter(actions []*Action, defaultVersion string) *Router {
	for _, a := range actions {
		a.segments = strings.Split(a.Path, "/")
	}
	return &Router{actions: actions, defaultVersion: defaultVersion}
}

// Match is a route resolved to an action, before authentication.
type Match struct {
	Action  *Action
	Format  Format
	Version string
	Params  map[string]string
}

// Resolve finds the action for method and the path below the connector's
// prefix (rawPath is still escaped: "v21.0/1789…"). It answers NOT_FOUND for
// a path no action has, METHOD_NOT_ALLOWED (with the allowed methods) for a
// known path with another method, and BAD_REQUEST for a bad ID.
func (r *Router) Resolve(method, rawPath string, query url.Values) (*Match, []string, error) {
	segs := strings.Split(strings.Trim(rawPath, "/"), "/")
	for i, s := range segs {
		u, err := url.PathUnescape(s)
		if err != nil || u != s {
			// An escaped segment is never a valid ID or name: it may hide a
			// separator (%2F, %2E, %3F …).
			return nil, nil, Errorf(CodeBadRequest, "path segment %d is not allowed: encoded characters", i+1)
		}
	}
	version := r.defaultVersion
	if len(segs) > 0 && ValidVersion(segs[0]) {
		version = segs[0]
		segs = segs[1:]
	}
	if len(segs) == 0 || (len(segs) == 1 && segs[0] == "") {
		return nil, nil, Errorf(CodeNotFound, "no action at this path")
	}

	var (
		best      *Match
		bestScore = -1
		allowed   []string
	)
	for _, a := range r.actions {
		m, score, ok := matchAction(a, segs, query)
		if !ok {
			continue
		}
		if a.Method != method {
			if !contains(allowed, a.Method) {
				allowed = append(allowed, a.Method)
			}
			continue
		}
		if score > bestScore {
			best, bestScore = m, score
		}
	}
	if best == nil {
		if len(allowed) > 0 {
			return nil, allowed, Errorf(CodeMethodNotAllowed, "method %s is not allowed here; allowed: %s", method, strings.Join(allowed, ", "))
		}
		return nil, nil, Errorf(CodeNotFound, "no action at this path")
	}
	best.Version = version
	for name, v := range best.Params {
		if err := checkID(best.Action, name, v); err != nil {
			return nil, nil, err
		}
	}
	return best, nil, nil
}

// matchAction matches segs against a's template. Literal segments score more
// than parameters, so "me/media" wins over "{IG_USER_ID}/media".
func matchAction(a *Action, segs []string, query url.Values) (*Match, int, bool) {
	tmpl := a.segs()
	if len(tmpl) != len(segs) {
		return nil, 0, false
	}
	m := &Match{Action: a, Format: FormatNew}
	score := 0
	for i, t := range tmpl {
		s := segs[i]
		if !isParam(t) {
			if s != t {
				return nil, 0, false
			}
			score += 2
			continue
		}
		name := t[1 : len(t)-1]
		if m.Params == nil {
			m.Params = make(map[string]string, 2)
		}
		if s == strings.ToLower(name) {
			// Old format: the value is in the query.
			m.Format = FormatOld
			m.Params[name] = query.Get(name)
			score++
			continue
		}
		m.Params[name] = s
	}
	return m, score, true
}

func checkID(a *Action, name, v string) error {
	if v == "" {
		return Errorf(CodeBadRequest, "%s is required", name)
	}
	if v == "me" {
		for _, p := range a.MeParams {
			if p == name {
				return nil
			}
		}
	}
	if !idRe.MatchString(v) {
		return Errorf(CodeBadRequest, "%s must be a numeric Instagram ID", name)
	}
	return nil
}

// BuildQuery validates the caller's query against the action and returns the
// query to forward upstream: fields (defaults applied) and the action's other
// parameters. Unknown query parameters are ignored.
func BuildQuery(a *Action, q url.Values) (url.Values, error) {
	out := url.Values{}
	if len(a.Fields) > 0 {
		fields, err := CheckFields(a, q.Get("fields"))
		if err != nil {
			return nil, err
		}
		out.Set("fields", fields)
	}
	for _, p := range a.Query {
		v, ok := q[p.Name]
		if !ok {
			continue
		}
		if len(v) != 1 {
			return nil, Errorf(CodeBadRequest, "%s must be given once", p.Name)
		}
		if err := checkQuery(p, v[0]); err != nil {
			return nil, err
		}
		out.Set(p.Name, v[0])
	}
	return out, nil
}

func checkQuery(p QueryParam, v string) error {
	switch p.Kind {
	case QueryInt:
		n, err := strconv.Atoi(v)
		if err != nil || n < p.Min || n > p.Max {
			return Errorf(CodeBadRequest, "%s must be an integer from %d to %d", p.Name, p.Min, p.Max)
		}
	case QueryCursor:
		if !ValidCursor(v) {
			return Errorf(CodeBadRequest, "%s is not a valid paging cursor", p.Name)
		}
	case QueryText:
		if len(v) > p.Max {
			return Errorf(CodeBadRequest, "%s is longer than %d characters", p.Name, p.Max)
		}
	}
	return nil
}

// CheckFields validates a comma-separated field list against the action's
// node and returns it normalized, or the action's defaults when it is empty.
func CheckFields(a *Action, fields string) (string, error) {
	fields = strings.TrimSpace(fields)
	if fields == "" {
		return a.DefaultFields, nil
	}
	parts := strings.Split(fields, ",")
	seen := make(map[string]bool, len(parts))
	out := parts[:0]
	for _, f := range parts {
		f = strings.TrimSpace(f)
		if f == "" || seen[f] {
			continue
		}
		if !fieldRe.MatchString(f) || !contains(a.Fields, f) {
			return "", Errorf(CodeBadRequest, "unknown field %q; valid fields: %s", truncate(f, 64), strings.Join(a.Fields, ","))
		}
		seen[f] = true
		out = append(out, f)
	}
	if len(out) == 0 {
		return a.DefaultFields, nil
	}
	return strings.Join(out, ","), nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// AllowHeader formats allowed methods for an Allow header.
func AllowHeader(methods []string) string {
	if len(methods) == 0 {
		return http.MethodGet
	}
	return strings.Join(methods, ", ")
}
