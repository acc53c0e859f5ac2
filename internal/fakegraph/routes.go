package fakegraph

import (
	"net/http"
	"slices"
	"strings"
)

// request is one authenticated call being answered.
type request struct {
	w    http.ResponseWriter
	r    *http.Request
	user *User
	tok  string
	// version is the path's version ("v21.0"), "" when it names none.
	version string
	// fields is the parsed fields parameter of a GET.
	fields []field
}

func (s *Server) fail(q *request, e graphError) {
	s.writeError(q.w, http.StatusBadRequest, e)
}

// Node kinds.
const (
	kindUser      = "user"
	kindMedia     = "media"
	kindComment   = "comment"
	kindContainer = "container"
)

// kindLocked tells what id is to user: "" when it does not exist or is
// not user's (one user's objects are invisible to another).
func (s *Server) kindLocked(user *User, id string) string {
	if id == user.ID {
		return kindUser
	}
	if m := s.media[id]; m != nil && m.OwnerID == user.ID {
		return kindMedia
	}
	if c := s.comments[id]; c != nil && s.media[c.mediaID] != nil && s.media[c.mediaID].OwnerID == user.ID {
		return kindComment
	}
	if c := s.containers[id]; c != nil && c.OwnerID == user.ID {
		return kindContainer
	}
	return ""
}

// edges lists each node kind's edges and the methods they answer.
var edges = map[string]map[string][]string{
	kindUser: {
		"media": {http.MethodGet, http.MethodPost}, "media_publish": {http.MethodPost},
		"content_publishing_limit": {http.MethodGet}, "stories": {http.MethodGet}, "tags": {http.MethodGet},
		"live_media": {http.MethodGet}, "insights": {http.MethodGet},
	},
	kindMedia:   {"children": {http.MethodGet}, "comments": {http.MethodGet, http.MethodPost}, "insights": {http.MethodGet}},
	kindComment: {"replies": {http.MethodGet, http.MethodPost}},
}

func (s *Server) route(q *request, segs []string) {
	r := q.r
	switch {
	case len(segs) == 0 || segs[0] == "":
		s.fail(q, graphError{Message: "Unsupported get request.", Code: 100})
		return
	case len(segs) > 2:
		s.fail(q, graphError{Message: "Unknown path components: /" + strings.Join(segs[1:], "/"), Code: 2500})
		return
	case r.Method == http.MethodGet && (segs[0] == "ig_hashtag_search" || len(segs) == 2 && (segs[1] == "recent_media" || segs[1] == "top_media")):
		s.facebookLoginOnly(q, "Hashtag search")
		return
	}
	id := segs[0]
	if id == "me" {
		id = q.user.ID
	}
	kind := s.kindLocked(q.user, id)
	if kind == "" {
		s.fail(q, unsupported(r.Method, segs[0]))
		return
	}
	if r.Method == http.MethodGet {
		fs, err := parseFields(r.Form.Get("fields"))
		if err != nil {
			s.fail(q, *err)
			return
		}
		q.fields = fs
	}
	if len(segs) == 1 {
		switch r.Method {
		case http.MethodGet:
			s.getNode(q, kind, id)
		case http.MethodPost:
			s.updateNode(q, kind, id, segs[0])
		case http.MethodDelete:
			s.deleteNode(q, kind, id, segs[0])
		default:
			s.fail(q, unsupported(r.Method, segs[0]))
		}
		return
	}
	edge := segs[1]
	methods, ok := edges[kind][edge]
	switch {
	case !ok:
		s.fail(q, graphError{Message: "Unknown path components: /" + edge, Code: 2500})
		return
	case !slices.Contains(methods, r.Method):
		s.fail(q, unsupported(r.Method, segs[0]))
		return
	}
	user := q.user
	mediaItem := func(id string) map[string]any { return s.renderMedia(q, s.media[id], q.fields) }
	commentItem := func(id string) map[string]any { return s.renderComment(q, s.comments[id], q.fields) }
	switch kind + " " + r.Method + " " + edge {
	case "user GET media":
		s.list(q, typeMedia, "/"+user.ID+"/media", s.order[user.ID], mediaItem)
	case "user POST media":
		s.createContainer(q.w, r, user)
	case "user POST media_publish":
		s.publish(q.w, r, user)
	case "user GET content_publishing_limit":
		writeJSON(q.w, http.StatusOK, map[string]any{"data": []any{map[string]any{
			"quota_usage": s.published[user.ID],
			"config":      map[string]int{"quota_total": 100, "quota_duration": 86400},
		}}})
	case "user GET stories":
		s.list(q, typeMedia, "/"+user.ID+"/stories", s.currentStoriesLocked(user.ID), mediaItem)
	case "user GET tags":
		s.list(q, typeMedia, "/"+user.ID+"/tags", s.tags[user.ID], mediaItem)
	case "user GET live_media":
		s.list(q, typeMedia, "/"+user.ID+"/live_media", nil, mediaItem)
	case "user GET insights":
		s.userInsights(q)
	case "media GET children":
		s.list(q, typeMedia, "/"+id+"/children", s.media[id].Children, mediaItem)
	case "media GET comments":
		s.list(q, typeComment, "/"+id+"/comments", s.topComments[id], commentItem)
	case "media POST comments":
		s.postComment(q, s.media[id], nil)
	case "media GET insights":
		s.mediaInsights(q, s.media[id])
	case "comment GET replies":
		s.list(q, typeComment, "/"+id+"/replies", s.comments[id].replies, commentItem)
	case "comment POST replies":
		s.postComment(q, s.media[s.comments[id].mediaID], s.comments[id])
	}
}

// facebookLoginOnly answers a feature of the Instagram API with Facebook
// Login (hashtag search, business discovery): an Instagram User access
// token, the only kind graph.instagram.com takes, has no permission for it.
func (s *Server) facebookLoginOnly(q *request, what string) {
	s.writeError(q.w, http.StatusForbidden, graphError{
		Message: "(#10) Application does not have permission for this action: " + what +
			" is only available with the Instagram API with Facebook Login (a Facebook User access token on graph.facebook.com)",
		Code: 10,
	})
}

func (s *Server) getNode(q *request, kind, id string) {
	var (
		typ      string
		defaults = idOnly
		get      func(field) (any, bool)
	)
	switch kind {
	case kindUser:
		if slices.ContainsFunc(q.fields, func(f field) bool { return f.name == "business_discovery" }) {
			s.facebookLoginOnly(q, "Business discovery")
			return
		}
		typ, get = typeUser, func(f field) (any, bool) { return s.userValue(q.user, f) }
	case kindMedia:
		m := s.media[id]
		typ, get = typeMedia, func(f field) (any, bool) { return s.mediaValue(m, q.user, f) }
	case kindComment:
		c := s.comments[id]
		typ, defaults, get = typeComment, commentDefault, func(f field) (any, bool) { return s.commentValue(q, c, f) }
	case kindContainer:
		c := s.containers[id]
		state, reason := s.stateLocked(c)
		typ, get = typeContainer, func(f field) (any, bool) { return containerValue(c, state, reason, f) }
	}
	if err := checkFields(typ, q.fields); err != nil {
		s.fail(q, *err)
		return
	}
	writeJSON(q.w, http.StatusOK, render(q.fields, defaults, get))
}

// updateNode is POST /{id}: comment_enabled on a media object, hide on a
// comment.
func (s *Server) updateNode(q *request, kind, id, raw string) {
	switch kind {
	case kindMedia:
		if m := s.media[id]; m.album == "" {
			s.setCommentEnabled(q, m)
			return
		}
	case kindComment:
		s.hideComment(q, s.comments[id])
		return
	}
	s.fail(q, unsupported(q.r.Method, raw))
}

// deleteNode is DELETE /{id}: a media object (not an album's child) or a
// comment.
func (s *Server) deleteNode(q *request, kind, id, raw string) {
	switch kind {
	case kindMedia:
		if m := s.media[id]; m.album == "" {
			s.deleteMediaLocked(m)
			writeJSON(q.w, http.StatusOK, map[string]bool{"success": true})
			return
		}
	case kindComment:
		s.deleteCommentLocked(s.comments[id])
		writeJSON(q.w, http.StatusOK, map[string]bool{"success": true})
		return
	}
	s.fail(q, unsupported(q.r.Method, raw))
}

// boolParam reads a Graph boolean parameter (true/false, 1/0).
func boolParam(q *request, name string) (bool, *graphError) {
	switch v := q.r.Form.Get(name); v {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	case "":
		return false, &graphError{Message: "(#100) The parameter " + name + " is required.", Code: 100}
	}
	return false, &graphError{Message: "(#100) Param " + name + " must be a boolean", Code: 100}
}
