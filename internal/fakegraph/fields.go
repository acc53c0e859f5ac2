package fakegraph

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Node types, as Graph names them in "nonexisting field" errors.
const (
	typeUser      = "IGUser"
	typeMedia     = "IGMedia"
	typeComment   = "IGComment"
	typeContainer = "ShadowIGMediaBuilder"
	typeFrom      = "IGCommentFromUser"
)

var (
	userFields      = []string{"id", "user_id", "username", "name", "account_type", "profile_picture_url", "followers_count", "follows_count", "media_count", "biography", "website"}
	mediaFields     = []string{"id", "caption", "comments_count", "is_comment_enabled", "is_shared_to_feed", "like_count", "media_product_type", "media_type", "media_url", "owner", "permalink", "shortcode", "thumbnail_url", "timestamp", "username", "alt_text"}
	containerFields = []string{"id", "status", "status_code"}
	commentFields   = []string{"id", "from", "hidden", "like_count", "media", "parent_id", "replies", "text", "timestamp", "user", "username"}
	fromFields      = []string{"id", "username"}
)

// nodeFields lists each node type's fields.
var nodeFields = map[string][]string{
	typeUser:      userFields,
	typeMedia:     mediaFields,
	typeComment:   commentFields,
	typeContainer: containerFields,
	typeFrom:      fromFields,
}

// objectFields names the node type an object-valued field leads to, for
// field expansion (owner{username}, from{id,username}, replies{text}).
var objectFields = map[string]map[string]string{
	typeMedia:   {"owner": typeUser},
	typeComment: {"from": typeFrom, "media": typeMedia, "user": typeUser, "replies": typeComment},
}

// field is one entry of a fields parameter: a name, its modifiers
// (.limit(5), .username(x)) and, with braces, the fields of the node it
// leads to.
type field struct {
	name string
	mods map[string]string
	sub  []field
}

// parseFields reads a Graph fields parameter: comma-separated names, each
// with optional .modifier(argument) parts and an optional {subfields} part.
// A syntax error is Graph's code 2500.
func parseFields(s string) ([]field, *graphError) {
	p := fieldParser{s: s}
	fs := p.list(0)
	if p.err == nil && p.i < len(s) {
		p.fail(`Expected end of string instead of "` + string(s[p.i]) + `".`)
	}
	return fs, p.err
}

type fieldParser struct {
	s   string
	i   int
	err *graphError
}

func (p *fieldParser) fail(what string) {
	if p.err == nil {
		p.err = &graphError{Message: fmt.Sprintf(`Syntax error "%s" at character %d: %s`, what, p.i, p.s), Code: 2500}
	}
}

func (p *fieldParser) space() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *fieldParser) name() string {
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c != '_' && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			break
		}
		p.i++
	}
	return p.s[start:p.i]
}

// list reads fields up to the end of the string or, nested, a "}".
func (p *fieldParser) list(depth int) []field {
	var out []field
	for p.err == nil {
		p.space()
		if p.i >= len(p.s) || (depth > 0 && p.s[p.i] == '}') {
			return out
		}
		if p.s[p.i] == ',' {
			p.i++
			continue
		}
		f := field{name: p.name()}
		if f.name == "" {
			p.fail("Expected a field name.")
			return out
		}
		for p.i < len(p.s) && p.s[p.i] == '.' {
			p.i++
			mod := p.name()
			if mod == "" || p.i >= len(p.s) || p.s[p.i] != '(' {
				p.fail(`Expected "(" after a modifier.`)
				return out
			}
			end := strings.IndexByte(p.s[p.i:], ')')
			if end < 0 {
				p.fail(`Expected ")".`)
				return out
			}
			if f.mods == nil {
				f.mods = map[string]string{}
			}
			f.mods[mod] = p.s[p.i+1 : p.i+end]
			p.i += end + 1
		}
		p.space()
		if p.i < len(p.s) && p.s[p.i] == '{' {
			p.i++
			f.sub = p.list(depth + 1)
			if p.err != nil {
				return out
			}
			if p.i >= len(p.s) || p.s[p.i] != '}' {
				p.fail(`Expected "}".`)
				return out
			}
			p.i++
			if f.sub == nil {
				f.sub = []field{}
			}
		}
		out = append(out, f)
		p.space()
		switch {
		case p.i >= len(p.s):
		case p.s[p.i] == ',':
			p.i++
		case depth > 0 && p.s[p.i] == '}':
		default:
			p.fail(`Expected end of string instead of "` + string(p.s[p.i]) + `".`)
		}
	}
	return out
}

// mustFields parses a constant fields list.
func mustFields(s string) []field {
	fs, err := parseFields(s)
	if err != nil {
		panic(err.Message)
	}
	return fs
}

// formatFields writes fields back as a fields parameter.
func formatFields(fs []field) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		var b strings.Builder
		b.WriteString(f.name)
		for _, k := range slices.Sorted(maps.Keys(f.mods)) {
			b.WriteString("." + k + "(" + f.mods[k] + ")")
		}
		if f.sub != nil {
			b.WriteString("{" + formatFields(f.sub) + "}")
		}
		parts[i] = b.String()
	}
	return strings.Join(parts, ",")
}

// checkFields answers Graph's #100 error for the first field that typ, or
// the node an expanded field leads to, does not have.
func checkFields(typ string, fs []field) *graphError {
	for _, f := range fs {
		if !slices.Contains(nodeFields[typ], f.name) {
			return &graphError{Message: fmt.Sprintf("(#100) Tried accessing nonexisting field (%s) on node type (%s)", f.name, typ), Code: 100}
		}
		if sub, ok := objectFields[typ][f.name]; ok && f.sub != nil {
			if err := checkFields(sub, f.sub); err != nil {
				return err
			}
		}
	}
	return nil
}

// render reads fs (defaults when none) from a node through get; the id is
// always returned, as Graph does.
func render(fs, defaults []field, get func(field) (any, bool)) map[string]any {
	if len(fs) == 0 {
		fs = defaults
	}
	out := map[string]any{}
	for _, f := range fs {
		if v, ok := get(f); ok {
			out[f.name] = v
		}
	}
	if _, ok := out["id"]; !ok {
		if v, ok := get(field{name: "id"}); ok {
			out["id"] = v
		}
	}
	return out
}

var (
	idOnly         = mustFields("id")
	commentDefault = mustFields("timestamp,text,id")
	fromDefault    = mustFields("id,username")
)

const timeLayout = "2006-01-02T15:04:05-0700"

func (s *Server) userValue(u *User, f field) (any, bool) {
	switch f.name {
	case "id", "user_id":
		return u.ID, true
	case "username":
		return u.Username, true
	case "name":
		return u.Name, u.Name != ""
	case "account_type":
		return u.AccountType, true
	case "profile_picture_url":
		return u.ProfilePictureURL, u.ProfilePictureURL != ""
	case "followers_count":
		return u.FollowersCount, true
	case "follows_count":
		return u.FollowsCount, true
	case "media_count":
		return len(s.order[u.ID]), true
	case "biography":
		return u.Biography, u.Biography != ""
	case "website":
		return u.Website, u.Website != ""
	}
	return nil, false
}

// mediaValue reads a field of m for viewer: owner is returned to the
// media's owner only (others, such as a tagged user, get username).
func (s *Server) mediaValue(m *Media, viewer *User, f field) (any, bool) {
	switch f.name {
	case "id":
		return m.ID, true
	case "caption":
		return m.Caption, m.Caption != ""
	case "comments_count":
		return m.CommentsCount, true
	case "is_comment_enabled":
		return !m.commentsOff, true
	case "is_shared_to_feed":
		return m.MediaProductType == "REELS", m.MediaProductType == "REELS"
	case "like_count":
		return m.LikeCount, true
	case "media_product_type":
		return m.MediaProductType, true
	case "media_type":
		return m.MediaType, true
	case "media_url":
		return m.MediaURL, m.MediaURL != ""
	case "owner":
		owner := s.users[m.OwnerID]
		if owner == nil || m.OwnerID != viewer.ID {
			return nil, false
		}
		if f.sub == nil {
			return map[string]string{"id": m.OwnerID}, true
		}
		return render(f.sub, idOnly, func(g field) (any, bool) { return s.userValue(owner, g) }), true
	case "permalink":
		return m.Permalink, true
	case "shortcode":
		return m.Shortcode, true
	case "thumbnail_url":
		return m.ThumbnailURL, m.ThumbnailURL != ""
	case "timestamp":
		return m.Timestamp.Format(timeLayout), true
	case "username":
		if owner := s.users[m.OwnerID]; owner != nil {
			return owner.Username, true
		}
		return nil, false
	case "alt_text":
		return m.AltText, m.AltText != ""
	}
	return nil, false
}

func containerValue(c *Container, state, reason string, f field) (any, bool) {
	switch f.name {
	case "id":
		return c.ID, true
	case "status_code":
		return state, true
	case "status":
		return reason, true
	}
	return nil, false
}

// commentValue reads a field of c for the media owner q.user; replies is an
// edge, paged like GET /{comment-id}/replies.
func (s *Server) commentValue(q *request, c *comment, f field) (any, bool) {
	switch f.name {
	case "id":
		return c.id, true
	case "text":
		return c.text, true
	case "timestamp":
		return c.ts.Format(timeLayout), true
	case "username":
		return c.username, true
	case "like_count":
		return c.likes, true
	case "hidden":
		return c.hidden, true
	case "parent_id":
		return c.parentID, c.parentID != ""
	case "from":
		return render(f.sub, fromDefault, func(g field) (any, bool) {
			switch g.name {
			case "id":
				return c.fromID, true
			case "username":
				return c.username, true
			}
			return nil, false
		}), true
	case "media":
		m := s.media[c.mediaID]
		return render(f.sub, idOnly, func(g field) (any, bool) { return s.mediaValue(m, q.user, g) }), true
	case "user":
		if c.fromID != q.user.ID {
			return nil, false
		}
		return render(f.sub, idOnly, func(g field) (any, bool) { return s.userValue(q.user, g) }), true
	case "replies":
		pq := pageQuery{limit: 25, fields: formatFields(f.sub)}
		if n, err := strconv.Atoi(f.mods["limit"]); err == nil && n > 0 {
			pq.limit = min(n, 100)
		}
		return s.pageOf(q, "/"+c.id+"/replies", c.replies, pq, func(id string) map[string]any {
			return s.renderComment(q, s.comments[id], f.sub)
		}), true
	}
	return nil, false
}

func (s *Server) renderComment(q *request, c *comment, fs []field) map[string]any {
	return render(fs, commentDefault, func(f field) (any, bool) { return s.commentValue(q, c, f) })
}

func (s *Server) renderMedia(q *request, m *Media, fs []field) map[string]any {
	return render(fs, idOnly, func(f field) (any, bool) { return s.mediaValue(m, q.user, f) })
}
