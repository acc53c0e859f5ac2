package fakegraph

import (
	"fmt"
	"net/http"
	"slices"
	"time"
	"unicode/utf8"
)

// comment is an IG Comment: a comment on a media object, or a reply to one.
type comment struct {
	id       string
	mediaID  string
	parentID string // the top-level comment a reply belongs to
	fromID   string // the commenter's Instagram-scoped ID
	username string
	text     string
	ts       time.Time
	likes    int
	hidden   bool
	replies  []string // oldest first
}

// maxCommentLength is the longest comment Instagram takes, in characters.
const maxCommentLength = 2200

// commenter is the n-th sandbox commenter.
func commenter(n int) (id, username string) {
	k := n % 8
	return fmt.Sprintf("178414000000010%02d", k), fmt.Sprintf("sandbox_fan_%d", k+1)
}

// AddComments adds n comments by sandbox commenters and returns their IDs,
// oldest first. parentID is a media object's ID (top-level comments) or a
// top-level comment's ID (replies to it); for any other ID it adds none.
func (s *Server) AddComments(parentID string, n int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addCommentsLocked(parentID, n)
}

func (s *Server) addCommentsLocked(parentID string, n int) []string {
	mediaID, parent := parentID, ""
	var after time.Time
	switch {
	case s.media[parentID] != nil:
		after = s.media[parentID].Timestamp
	case s.comments[parentID] != nil && s.comments[parentID].parentID == "":
		c := s.comments[parentID]
		mediaID, parent, after = c.mediaID, c.id, c.ts
	default:
		return nil
	}
	// Newer than what is there already, so that lists stay newest (or
	// oldest) first by timestamp too.
	if top := s.topComments[mediaID]; parent == "" && len(top) > 0 {
		after = later(after, s.comments[top[0]].ts)
	}
	if parent != "" && len(s.comments[parent].replies) > 0 {
		rs := s.comments[parent].replies
		after = later(after, s.comments[rs[len(rs)-1]].ts)
	}
	// Spread the comments between then and now, a minute apart at most.
	step := time.Minute
	if span := s.Now().Sub(after) / time.Duration(n+1); span < step {
		step = max(span, time.Millisecond)
	}
	ids := make([]string, 0, n)
	for i := range n {
		fromID, username := commenter(len(s.comments))
		kind := "comment"
		if parent != "" {
			kind = "reply"
		}
		c := s.addCommentLocked(mediaID, parent, fromID, username,
			fmt.Sprintf("Sandbox %s #%d", kind, i+1), after.Add(time.Duration(i+1)*step))
		ids = append(ids, c.id)
	}
	return ids
}

// addCommentLocked stores a comment and counts it on its media.
func (s *Server) addCommentLocked(mediaID, parentID, fromID, username, text string, ts time.Time) *comment {
	c := &comment{
		id: s.newIDLocked(commentIDBase), mediaID: mediaID, parentID: parentID,
		fromID: fromID, username: username, text: text, ts: ts.UTC(),
	}
	c.likes = int(c.ts.Unix() % 13)
	s.comments[c.id] = c
	if parentID == "" {
		s.topComments[mediaID] = append([]string{c.id}, s.topComments[mediaID]...)
	} else {
		p := s.comments[parentID]
		p.replies = append(p.replies, c.id)
	}
	s.media[mediaID].CommentsCount++
	return c
}

// postComment is POST /{ig-media-id}/comments (to nil) and POST
// /{ig-comment-id}/replies (to the comment). As Instagram documents, a
// reply to a reply is added to its top-level comment, and a hidden comment
// takes no reply.
func (s *Server) postComment(q *request, m *Media, to *comment) {
	msg := q.r.Form.Get("message")
	switch {
	case msg == "":
		s.fail(q, param("The parameter message is required."))
		return
	case utf8.RuneCountInString(msg) > maxCommentLength:
		s.fail(q, graphError{Message: "(#100) The comment is too long: 2,200 characters at most.", Code: 100})
		return
	case m.commentsOff:
		s.fail(q, graphError{Message: "(#100) Comments are disabled for this media.", Type: "IGApiException", Code: 100,
			UserTitle: "Comments are turned off", UserMsg: "The owner of this media has turned off commenting."})
		return
	}
	parent := ""
	if to != nil {
		if to.parentID != "" {
			to = s.comments[to.parentID]
		}
		if to.hidden {
			s.fail(q, graphError{Message: "(#100) You cannot reply to a hidden comment.", Type: "IGApiException", Code: 100})
			return
		}
		parent = to.id
	}
	c := s.addCommentLocked(m.ID, parent, q.user.ID, q.user.Username, msg, s.Now())
	writeJSON(q.w, http.StatusOK, map[string]string{"id": c.id})
}

// setCommentEnabled is POST /{ig-media-id}?comment_enabled=true|false.
func (s *Server) setCommentEnabled(q *request, m *Media) {
	on, err := boolParam(q, "comment_enabled")
	if err != nil {
		s.fail(q, *err)
		return
	}
	m.commentsOff = !on
	writeJSON(q.w, http.StatusOK, map[string]bool{"success": true})
}

// hideComment is POST /{ig-comment-id}?hide=true|false.
func (s *Server) hideComment(q *request, c *comment) {
	hide, err := boolParam(q, "hide")
	if err != nil {
		s.fail(q, *err)
		return
	}
	c.hidden = hide
	writeJSON(q.w, http.StatusOK, map[string]bool{"success": true})
}

// deleteCommentLocked removes a comment and its replies.
func (s *Server) deleteCommentLocked(c *comment) {
	for _, r := range c.replies {
		delete(s.comments, r)
	}
	delete(s.comments, c.id)
	if m := s.media[c.mediaID]; m != nil {
		m.CommentsCount -= 1 + len(c.replies)
	}
	if c.parentID == "" {
		s.topComments[c.mediaID] = slices.DeleteFunc(s.topComments[c.mediaID], func(id string) bool { return id == c.id })
	} else if p := s.comments[c.parentID]; p != nil {
		p.replies = slices.DeleteFunc(p.replies, func(id string) bool { return id == c.id })
	}
}

// deleteMediaLocked removes a media object, its album children and its
// comments, from every list that holds it.
func (s *Server) deleteMediaLocked(m *Media) {
	for _, child := range m.Children {
		delete(s.media, child)
	}
	for _, id := range s.topComments[m.ID] {
		for _, r := range s.comments[id].replies {
			delete(s.comments, r)
		}
		delete(s.comments, id)
	}
	delete(s.topComments, m.ID)
	delete(s.media, m.ID)
	drop := func(id string) bool { return id == m.ID }
	s.order[m.OwnerID] = slices.DeleteFunc(s.order[m.OwnerID], drop)
	s.stories[m.OwnerID] = slices.DeleteFunc(s.stories[m.OwnerID], drop)
	for u := range s.tags {
		s.tags[u] = slices.DeleteFunc(s.tags[u], drop)
	}
}

// storyLifetime is how long a story is current.
const storyLifetime = 24 * time.Hour

// currentStoriesLocked returns the user's stories of the last 24 hours,
// newest first.
func (s *Server) currentStoriesLocked(userID string) []string {
	now := s.Now()
	var out []string
	for _, id := range s.stories[userID] {
		if now.Sub(s.media[id].Timestamp) < storyLifetime {
			out = append(out, id)
		}
	}
	return out
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
