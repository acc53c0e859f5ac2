package connectors

import (
	"bytes"
	"cmp"
	"maps"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
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

// MaxUnixTime bounds Unix times (seconds) in parameters and in the time
// windows of the links the gateway builds: one rule for both.
const MaxUnixTime = math.MaxInt32

// ValidUnixTime tells whether s is a Unix time the gateway takes: digits,
// from 1 to MaxUnixTime.
func ValidUnixTime(s string) bool {
	n, err := strconv.ParseInt(s, 10, 64)
	return err == nil && n >= 1 && n <= MaxUnixTime && s[0] != '+' && s[0] != '-'
}

// ValidVersion tells whether v is a Graph API version segment: v21.0. It is
// the one rule for versions, in routes and in configuration.
func ValidVersion(v string) bool { return versionRe.MatchString(v) }

// Router matches request paths against an action table, in both formats.
type Router struct {
	actions           []*Action
	unsupportedRoutes []Unsupported
	defaultVersion    string
}

// NewRouter returns a router over actions; unsupported are routes the
// connector names but does not serve (answered 404 with their message).
func NewRouter(actions []*Action, unsupported []Unsupported, defaultVersion string) *Router {
	for _, a := range actions {
		a.segments = strings.Split(a.Path, "/")
	}
	return &Router{actions: actions, unsupportedRoutes: unsupported, defaultVersion: defaultVersion}
}

// Unsupported is a Graph API feature the connector does not serve, such as
// one that needs another login: requests for it answer 404 NOT_FOUND with
// Message, which says why.
type Unsupported struct {
	// Segment, when set, matches a path with this literal segment anywhere
	// ("ig_hashtag_search", "recent_media").
	Segment string
	// Field, when set, matches a fields query naming it
	// ("business_discovery").
	Field   string
	Message string
}

// Matches tells whether the path segments or the query name the feature.
func (u Unsupported) Matches(segs []string, query url.Values) bool {
	if u.Segment != "" && slices.Contains(segs, u.Segment) {
		return true
	}
	if u.Field != "" {
		for _, f := range strings.Split(query.Get("fields"), ",") {
			if name, _, _ := strings.Cut(strings.TrimSpace(f), "{"); name == u.Field {
				return true
			}
		}
	}
	return false
}

// Match is a route resolved to an action, before authentication.
type Match struct {
	Action  *Action
	Format  Format
	Version string
	Params  map[string]string
	// repeated names an old-format ID given more than once.
	repeated string
}

// Resolve finds the action for method and the path below the connector's
// prefix (rawPath is still escaped: "v21.0/1789…"), without looking at the
// query's fields or a body: where several actions share the path, the first
// of the table whose IDs are valid. It answers NOT_FOUND for a path no
// action has, METHOD_NOT_ALLOWED (with the allowed methods) for a known path
// with another method, and BAD_REQUEST for a bad ID.
func (r *Router) Resolve(method, rawPath string, query url.Values) (*Match, []string, error) {
	cands, allowed, err := r.candidates(method, rawPath, query)
	if err != nil {
		return nil, allowed, err
	}
	var first error
	for _, m := range cands {
		if err := m.checkIDs(); err != nil {
			first = cmp.Or(first, err)
			continue
		}
		return m, nil, nil
	}
	return nil, nil, first
}

// Build resolves the request to one action and builds its whole call:
// path parameters, version, the query to forward (fields with defaults,
// the action's parameters) and the decoded body. Every bad input is
// answered here, before authentication, the limiter or any upstream call.
//
// Where several actions share a path in the new format (/{ID} is a media, a
// user, a comment or a container), the node is resolved by what the request
// asks: the first action of the table, in order, that accepts the IDs, the
// query (fields, metrics, the other parameters) and the body. A candidate
// refuses a query parameter that another candidate declares and it does not
// (period names account insights, not media insights). With none of them,
// the table's first (a media) wins. The old format names the node, so it
// has one candidate. When no candidate accepts the request, the answer is
// the error of the candidate that got furthest (its IDs valid, then its
// parameters known; the first of those), with a Call that only names the
// action it was checked as (Action, Format, Version, Params), for logs and
// metrics.
func (r *Router) Build(method, rawPath string, query url.Values, body []byte) (*Call, []string, error) {
	cands, allowed, err := r.candidates(method, rawPath, query)
	if err != nil {
		return nil, allowed, err
	}
	var (
		best      *Match
		bestErr   error
		bestStage = -1
	)
	for _, m := range cands {
		call, stage, err := m.build(query, body, cands)
		if err == nil {
			return call, nil, nil
		}
		if stage > bestStage {
			best, bestErr, bestStage = m, err, stage
		}
	}
	return &Call{Action: best.Action, Format: best.Format, Version: best.Version, Params: best.Params}, nil, bestErr
}

// How far a candidate's build got before it failed.
const (
	stageIDs    = iota // a path parameter is not a valid ID
	stageParams        // it lacks a parameter another candidate declares
	stageInput         // its query or body is bad
)

// build checks the match's IDs, query and body and returns its call, or
// how far it got and why it failed. siblings are the other candidates for
// the same path.
func (m *Match) build(query url.Values, body []byte, siblings []*Match) (*Call, int, error) {
	if err := m.checkIDs(); err != nil {
		return nil, stageIDs, err
	}
	if err := m.checkSiblingParams(query, siblings); err != nil {
		return nil, stageParams, err
	}
	q, err := BuildQuery(m.Action, m.Version, query)
	if err != nil {
		return nil, stageInput, err
	}
	call := &Call{Action: m.Action, Format: m.Format, Version: m.Version, Params: m.Params, Query: q}
	if m.Action.Body != nil {
		if call.Body, err = m.Action.Body(body); err != nil {
			return nil, stageInput, err
		}
	} else if len(bytes.TrimSpace(body)) > 0 {
		return nil, stageInput, Errorf(CodeBadRequest, "%s takes no body", m.Action.Name)
	}
	return call, 0, nil
}

// checkSiblingParams refuses a request that gives a query parameter another
// candidate for the same path declares and this one does not: the
// parameter names the other node.
func (m *Match) checkSiblingParams(query url.Values, siblings []*Match) error {
	if len(siblings) < 2 {
		return nil
	}
	for _, name := range slices.Sorted(maps.Keys(query)) {
		if m.Action.Declares(name) {
			continue
		}
		for _, s := range siblings {
			if s.Action.Declares(name) {
				return Errorf(CodeBadRequest, "%s takes no %s parameter", m.Action.Name, truncate(name, 64))
			}
		}
	}
	return nil
}

// checkIDs checks every path parameter of the match.
func (m *Match) checkIDs() error {
	if m.repeated != "" {
		return Errorf(CodeBadRequest, "%s must be given once", m.repeated)
	}
	for _, name := range m.Action.PathParams() {
		if err := checkID(m.Action, name, m.Params[name]); err != nil {
			return err
		}
	}
	return nil
}

// candidates returns the actions whose template matches the path best,
// literal segments before parameters, in table order, or, when the best
// templates of the path have other methods, METHOD_NOT_ALLOWED with those
// methods.
func (r *Router) candidates(method, rawPath string, query url.Values) ([]*Match, []string, error) {
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
	if msg, ok := r.unsupported(segs, query); ok {
		return nil, nil, Errorf(CodeNotFound, "%s", msg)
	}
	// The best score of the path's templates whatever their method
	// (topScore), and of those with method (bestScore); scoring allocates
	// nothing, only the best candidates become matches.
	topScore, bestScore := -1, -1
	for _, a := range r.actions {
		score, ok := scoreAction(a, segs)
		if !ok {
			continue
		}
		topScore = max(topScore, score)
		if a.Method == method {
			bestScore = max(bestScore, score)
		}
	}
	switch {
	case topScore < 0:
		return nil, nil, Errorf(CodeNotFound, "no action at this path")
	case bestScore < topScore:
		// The path's best templates have other methods: /me is GET only,
		// even though DELETE /{IG_MEDIA_ID} would match "me".
		var allowed []string
		for _, a := range r.actions {
			if score, ok := scoreAction(a, segs); ok && score == topScore && !contains(allowed, a.Method) {
				allowed = append(allowed, a.Method)
			}
		}
		return nil, allowed, Errorf(CodeMethodNotAllowed, "method %s is not allowed here; allowed: %s", method, strings.Join(allowed, ", "))
	}
	var best []*Match
	for _, a := range r.actions {
		if score, ok := scoreAction(a, segs); ok && score == bestScore && a.Method == method {
			m := newMatch(a, segs, query)
			m.Version = version
			best = append(best, m)
		}
	}
	return best, nil, nil
}

// unsupported tells whether the path (or the fields asked) is a Graph API
// feature the connector knows but does not serve, and why.
func (r *Router) unsupported(segs []string, query url.Values) (string, bool) {
	for _, u := range r.unsupportedRoutes {
		if u.Matches(segs, query) {
			return u.Message, true
		}
	}
	return "", false
}

// Declares tells whether the action takes the query parameter name.
func (a *Action) Declares(name string) bool {
	if name == "fields" {
		return len(a.Fields) > 0
	}
	for _, p := range a.Query {
		if p.Name == name {
			return true
		}
	}
	return false
}

// scoreAction scores segs against a's template, or tells they do not
// match. Literal segments score more than parameters, so "me" wins over
// "{IG_MEDIA_ID}"; a parameter in the old format (its lower-case name)
// scores more than one in the new format.
func scoreAction(a *Action, segs []string) (int, bool) {
	tmpl := a.segs()
	if len(tmpl) != len(segs) {
		return 0, false
	}
	score := 0
	for i, t := range tmpl {
		switch s := segs[i]; {
		case !isParam(t):
			if s != t {
				return 0, false
			}
			score += 2
		case isLowerOf(s, t[1:len(t)-1]):
			score++
		}
	}
	return score, true
}

// newMatch returns the match of segs against a's template, which
// scoreAction matched: the path parameters' values, from the path or, in
// the old format, from the query.
func newMatch(a *Action, segs []string, query url.Values) *Match {
	m := &Match{Action: a, Format: FormatNew}
	for i, t := range a.segs() {
		if !isParam(t) {
			continue
		}
		name := t[1 : len(t)-1]
		if m.Params == nil {
			m.Params = make(map[string]string, 2)
		}
		if s := segs[i]; !isLowerOf(s, name) {
			m.Params[name] = s
			continue
		}
		// Old format: the value is in the query, once.
		m.Format = FormatOld
		if len(query[name]) > 1 {
			m.repeated = name
		}
		m.Params[name] = query.Get(name)
	}
	return m
}

// isLowerOf tells whether s is name in lower case (ASCII), without
// allocating.
func isLowerOf(s, name string) bool {
	if len(s) != len(name) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if s[i] != c {
			return false
		}
	}
	return true
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
	if !ValidID(v) {
		return Errorf(CodeBadRequest, "%s must be a numeric Instagram ID", name)
	}
	return nil
}

// ValidID tells whether v is an Instagram object ID: 1 to 32 digits. It is
// the one rule for IDs, in routes and in bodies.
func ValidID(v string) bool { return idRe.MatchString(v) }

// BuildQuery validates the caller's query against the action and returns the
// query to forward upstream: fields (defaults applied) and the action's other
// parameters. Unknown query parameters are ignored.
func BuildQuery(a *Action, version string, q url.Values) (url.Values, error) {
	out := url.Values{}
	if len(q["fields"]) > 1 {
		return nil, Errorf(CodeBadRequest, "fields must be given once")
	}
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
		val, err := checkQuery(p, version, v[0])
		if err != nil {
			return nil, err
		}
		if val == "" && p.Kind == QueryList {
			continue // an empty list is absent
		}
		out.Set(p.Name, val)
	}
	for _, p := range a.Query {
		if p.Required && out.Get(p.Name) == "" {
			if p.Kind == QueryList || p.Kind == QueryEnum {
				return nil, Errorf(CodeBadRequest, "%s is required; valid values: %s", p.Name, strings.Join(p.Values(version), ","))
			}
			return nil, Errorf(CodeBadRequest, "%s is required", p.Name)
		}
	}
	return out, nil
}

// checkQuery validates one query parameter and returns the value to
// forward (a list normalized).
func checkQuery(p QueryParam, version, v string) (string, error) {
	switch p.Kind {
	case QueryInt:
		n, err := strconv.Atoi(v)
		if err != nil || n < p.Min || n > p.Max {
			return "", Errorf(CodeBadRequest, "%s must be an integer from %d to %d", p.Name, p.Min, p.Max)
		}
	case QueryCursor:
		if !ValidCursor(v) {
			return "", Errorf(CodeBadRequest, "%s is not a valid paging cursor", p.Name)
		}
	case QueryText:
		if len(v) > p.Max || strings.IndexFunc(v, unicode.IsControl) >= 0 {
			return "", Errorf(CodeBadRequest, "%s must be at most %d characters, without control characters", p.Name, p.Max)
		}
	case QueryEnum:
		if allowed := p.Values(version); !contains(allowed, v) {
			return "", Errorf(CodeBadRequest, "%s must be one of: %s", p.Name, strings.Join(allowed, ","))
		}
	case QueryList:
		allowed := p.Values(version)
		var out []string
		for _, x := range strings.Split(v, ",") {
			if x = strings.TrimSpace(x); x == "" || contains(out, x) {
				continue
			}
			if !contains(allowed, x) {
				return "", Errorf(CodeBadRequest, "%s: %q is not valid in %s; valid values: %s", p.Name, truncate(x, 64), version, strings.Join(allowed, ","))
			}
			out = append(out, x)
		}
		return strings.Join(out, ","), nil
	}
	return v, nil
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
