package fakegraph

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// graphError is the Graph API error object.
type graphError struct {
	Message      string `json:"message"`
	Type         string `json:"type"`
	Code         int    `json:"code"`
	ErrorSubcode int    `json:"error_subcode,omitempty"`
	IsTransient  bool   `json:"is_transient,omitempty"`
	UserTitle    string `json:"error_user_title,omitempty"`
	UserMsg      string `json:"error_user_msg,omitempty"`
	FBTraceID    string `json:"fbtrace_id"`
}

func (s *Server) writeError(w http.ResponseWriter, status int, e graphError) {
	e.FBTraceID = traceID()
	if e.Type == "" {
		e.Type = "OAuthException"
	}
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`OAuth "Facebook Platform" "invalid_request" "%s"`, strings.ReplaceAll(e.Message, `"`, "'")))
	writeJSON(w, status, map[string]any{"error": e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func unsupported(method, id string) graphError {
	return graphError{
		Message:      fmt.Sprintf("Unsupported %s request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api", strings.ToLower(method), id),
		Type:         "GraphMethodException",
		Code:         100,
		ErrorSubcode: 33,
	}
}

var versionRe = regexp.MustCompile(`^v[0-9]+\.[0-9]+$`)

// tokenOf reads the access token: the access_token parameter, or an
// Authorization header (Bearer or OAuth).
func tokenOf(r *http.Request) string {
	if t := r.Form.Get("access_token"); t != "" {
		return t
	}
	h := r.Header.Get("Authorization")
	for _, p := range []string{"Bearer ", "OAuth "} {
		if strings.HasPrefix(h, p) {
			return strings.TrimSpace(h[len(p):])
		}
	}
	return ""
}

// ServeHTTP serves the Graph API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if f := s.fault.Load(); f != nil && (f.Match == nil || f.Match(r)) {
		f.Handle(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.writeError(w, http.StatusBadRequest, graphError{Message: "Invalid parameters", Code: 100})
		return
	}
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(segs) > 0 && versionRe.MatchString(segs[0]) {
		segs = segs[1:]
	}
	if len(segs) == 1 && segs[0] == "refresh_access_token" {
		s.refresh(w, r)
		return
	}
	tok := tokenOf(r)
	if tok == "" {
		s.writeError(w, http.StatusBadRequest, graphError{Message: "An active access token must be used to query information about the current user.", Code: 2500})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokens[tok]
	switch {
	case t == nil:
		s.writeError(w, http.StatusBadRequest, graphError{Message: "Invalid OAuth access token - Cannot parse access token", Code: 190})
		return
	case t.expired:
		s.writeError(w, http.StatusBadRequest, graphError{Message: "Error validating access token: Session has expired.", Code: 190, ErrorSubcode: 463})
		return
	case t.revoked:
		s.writeError(w, http.StatusBadRequest, graphError{Message: "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.", Code: 190, ErrorSubcode: 460})
		return
	}
	user := s.users[t.userID]
	if hour := s.Now().Truncate(time.Hour); !hour.Equal(s.callsHour) {
		s.calls, s.callsHour = map[string]int{}, hour
	}
	s.calls[user.ID]++
	if th, ok := s.throttles[user.ID]; ok && s.Now().Before(th.until) {
		s.usageHeaders(w, user.ID, th.until.Sub(s.Now()))
		msgs := map[int]string{
			4:   "(#4) Application request limit reached",
			17:  "(#17) User request limit reached",
			32:  "(#32) Page request limit reached",
			613: "(#613) Calls to this api have exceeded the rate limit.",
		}
		s.writeError(w, http.StatusForbidden, graphError{Message: msgs[th.code], Code: th.code, IsTransient: true})
		return
	}
	s.usageHeaders(w, user.ID, 0)
	s.route(w, r, user, tok, segs)
}

// usageHeaders writes X-App-Usage and X-Business-Use-Case-Usage.
func (s *Server) usageHeaders(w http.ResponseWriter, userID string, regain time.Duration) {
	pct := min(100, s.calls[userID]*100/max(1, s.UsageBudget))
	if regain > 0 {
		pct = 100
	}
	app, _ := json.Marshal(map[string]int{"call_count": pct, "total_cputime": pct / 2, "total_time": pct / 2})
	buc, _ := json.Marshal(map[string][]map[string]any{userID: {{
		"type": "instagram", "call_count": pct, "total_cputime": pct / 2, "total_time": pct / 2,
		"estimated_time_to_regain_access": int(math.Ceil(regain.Minutes())),
	}}})
	w.Header().Set("X-App-Usage", string(app))
	w.Header().Set("X-Business-Use-Case-Usage", string(buc))
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, user *User, tok string, segs []string) {
	if len(segs) == 0 || segs[0] == "" {
		s.writeError(w, http.StatusBadRequest, graphError{Message: "Unsupported get request.", Code: 100})
		return
	}
	id := segs[0]
	if id == "me" {
		id = user.ID
	}
	switch {
	case len(segs) == 1 && r.Method == http.MethodGet:
		s.getNode(w, r, user, id)
	case len(segs) == 2 && segs[1] == "media" && id == user.ID && r.Method == http.MethodGet:
		s.listMedia(w, r, user, tok, segs)
	case len(segs) == 2 && segs[1] == "media" && id == user.ID && r.Method == http.MethodPost:
		s.createContainer(w, r, user)
	case len(segs) == 2 && segs[1] == "media_publish" && id == user.ID && r.Method == http.MethodPost:
		s.publish(w, r, user)
	case len(segs) == 2 && segs[1] == "children" && r.Method == http.MethodGet:
		m := s.media[id]
		if m == nil || m.OwnerID != user.ID {
			s.writeError(w, http.StatusBadRequest, unsupported(r.Method, segs[0]))
			return
		}
		s.children(w, r, m)
	case len(segs) == 2 && segs[1] == "content_publishing_limit" && id == user.ID && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"data": []any{map[string]any{
			"quota_usage": s.published[user.ID],
			"config":      map[string]int{"quota_total": 100, "quota_duration": 86400},
		}}})
	case len(segs) <= 2:
		s.writeError(w, http.StatusBadRequest, unsupported(r.Method, segs[0]))
	default:
		s.writeError(w, http.StatusBadRequest, graphError{Message: "Unknown path components: /" + strings.Join(segs[1:], "/"), Code: 2500})
	}
}

var (
	userFields      = []string{"id", "user_id", "username", "name", "account_type", "profile_picture_url", "followers_count", "follows_count", "media_count", "biography", "website"}
	mediaFields     = []string{"id", "caption", "comments_count", "is_comment_enabled", "is_shared_to_feed", "like_count", "media_product_type", "media_type", "media_url", "owner", "permalink", "shortcode", "thumbnail_url", "timestamp", "username", "alt_text"}
	containerFields = []string{"id", "status", "status_code"}
)

// pick returns the requested fields of node, or a #100 error naming the
// first field the node does not have.
func pick(r *http.Request, nodeType string, allowed []string, get func(string) (any, bool)) (map[string]any, *graphError) {
	fields := r.Form.Get("fields")
	if fields == "" {
		fields = "id"
	}
	out := map[string]any{}
	for _, f := range strings.Split(fields, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		ok := false
		for _, a := range allowed {
			ok = ok || a == f
		}
		if !ok {
			return nil, &graphError{Message: fmt.Sprintf("(#100) Tried accessing nonexisting field (%s) on node type (%s)", f, nodeType), Code: 100}
		}
		if v, present := get(f); present {
			out[f] = v
		}
	}
	if _, ok := out["id"]; !ok {
		if v, present := get("id"); present {
			out["id"] = v
		}
	}
	return out, nil
}

func (s *Server) getNode(w http.ResponseWriter, r *http.Request, user *User, id string) {
	var (
		out  map[string]any
		gerr *graphError
	)
	switch {
	case id == user.ID:
		out, gerr = pick(r, "User", userFields, func(f string) (any, bool) { return s.userField(user, f) })
	case s.media[id] != nil && s.media[id].OwnerID == user.ID:
		m := s.media[id]
		out, gerr = pick(r, "Media", mediaFields, func(f string) (any, bool) { return s.mediaField(m, user, f) })
	case s.containers[id] != nil && s.containers[id].OwnerID == user.ID:
		c := s.containers[id]
		state, reason := s.stateLocked(c)
		out, gerr = pick(r, "ShadowIGMediaBuilder", containerFields, func(f string) (any, bool) {
			switch f {
			case "id":
				return c.ID, true
			case "status_code":
				return state, true
			case "status":
				return reason, true
			}
			return nil, false
		})
	default:
		s.writeError(w, http.StatusBadRequest, unsupported(r.Method, id))
		return
	}
	if gerr != nil {
		s.writeError(w, http.StatusBadRequest, *gerr)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) userField(u *User, f string) (any, bool) {
	switch f {
	case "id":
		return u.ID, true
	case "user_id":
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

func (s *Server) mediaField(m *Media, u *User, f string) (any, bool) {
	switch f {
	case "id":
		return m.ID, true
	case "caption":
		return m.Caption, m.Caption != ""
	case "comments_count":
		return m.CommentsCount, true
	case "is_comment_enabled":
		return true, true
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
		return map[string]string{"id": m.OwnerID}, true
	case "permalink":
		return m.Permalink, true
	case "shortcode":
		return m.Shortcode, true
	case "thumbnail_url":
		return m.ThumbnailURL, m.ThumbnailURL != ""
	case "timestamp":
		return m.Timestamp.Format("2006-01-02T15:04:05-0700"), true
	case "username":
		return u.Username, true
	case "alt_text":
		return m.AltText, m.AltText != ""
	}
	return nil, false
}

// cursorPrefix starts every cursor's bytes: its standard base64 is "++//",
// so that every cursor the fake hands out holds "+" and "/", like
// Instagram's, and a client that mangles them (an unencoded "+" read as a
// space) is caught.
const cursorPrefix = "\xfb\xef\xff"

// cursorFormat is the position, fixed-width: with the prefix, 14 bytes, so
// every cursor also ends in "=".
const cursorFormat = "pos:%07d"

// Cursors are opaque to clients: standard base64 of the position.
func cursor(i int) string {
	return base64.StdEncoding.EncodeToString([]byte(cursorPrefix + fmt.Sprintf(cursorFormat, i)))
}

func uncursor(c string) (int, bool) {
	b, err := base64.StdEncoding.DecodeString(c)
	pos, ok := strings.CutPrefix(string(b), cursorPrefix+"pos:")
	if err != nil || !ok || len(pos) != 7 {
		return 0, false
	}
	n, err := strconv.Atoi(pos)
	return n, err == nil && n >= 0
}

func (s *Server) listMedia(w http.ResponseWriter, r *http.Request, user *User, tok string, segs []string) {
	ids := s.order[user.ID]
	s.page(w, r, user, tok, "/"+user.ID+"/media", ids, func(id string) *Media { return s.media[id] })
}

func (s *Server) children(w http.ResponseWriter, r *http.Request, m *Media) {
	user := s.users[m.OwnerID]
	tok := tokenOf(r)
	s.page(w, r, user, tok, "/"+m.ID+"/children", m.Children, func(id string) *Media { return s.media[id] })
}

// page answers one page of ids with Graph cursor paging.
func (s *Server) page(w http.ResponseWriter, r *http.Request, user *User, tok, path string, ids []string, get func(string) *Media) {
	limit := 25
	if l := r.Form.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n <= 0 {
			s.writeError(w, http.StatusBadRequest, graphError{Message: "(#100) Param limit must be a positive integer", Code: 100})
			return
		}
		limit = min(n, 100)
	}
	start := 0
	if a := r.Form.Get("after"); a != "" {
		n, ok := uncursor(a)
		if !ok {
			s.writeError(w, http.StatusBadRequest, graphError{Message: "(#100) Invalid cursor", Code: 100})
			return
		}
		start = n + 1
	} else if b := r.Form.Get("before"); b != "" {
		n, ok := uncursor(b)
		if !ok {
			s.writeError(w, http.StatusBadRequest, graphError{Message: "(#100) Invalid cursor", Code: 100})
			return
		}
		start = max(0, n-limit)
	}
	end := min(len(ids), start+limit)
	start = min(start, end)
	data := make([]map[string]any, 0, end-start)
	for _, id := range ids[start:end] {
		m := get(id)
		item, gerr := pick(r, "Media", mediaFields, func(f string) (any, bool) { return s.mediaField(m, user, f) })
		if gerr != nil {
			s.writeError(w, http.StatusBadRequest, *gerr)
			return
		}
		data = append(data, item)
	}
	out := map[string]any{"data": data}
	if end > start {
		paging := map[string]any{"cursors": map[string]string{"before": cursor(start), "after": cursor(end - 1)}}
		link := func(param, c string) string {
			q := url.Values{}
			q.Set("access_token", tok)
			if f := r.Form.Get("fields"); f != "" {
				q.Set("fields", f)
			}
			q.Set("limit", strconv.Itoa(limit))
			q.Set(param, c)
			return baseURL(r) + versionOf(r) + path + "?" + q.Encode()
		}
		if end < len(ids) {
			paging["next"] = link("after", cursor(end-1))
		}
		if start > 0 {
			paging["previous"] = link("before", cursor(start))
		}
		out["paging"] = paging
	}
	writeJSON(w, http.StatusOK, out)
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func versionOf(r *http.Request) string {
	segs := strings.SplitN(strings.Trim(r.URL.Path, "/"), "/", 2)
	if versionRe.MatchString(segs[0]) {
		return "/" + segs[0]
	}
	return ""
}

func (s *Server) refresh(w http.ResponseWriter, r *http.Request) {
	if r.Form.Get("grant_type") != "ig_refresh_token" {
		s.writeError(w, http.StatusBadRequest, graphError{Message: "Unsupported grant_type: must be ig_refresh_token", Code: 100})
		return
	}
	tok := tokenOf(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokens[tok]
	if t == nil || t.expired || t.revoked {
		s.writeError(w, http.StatusBadRequest, graphError{Message: "Error validating access token: Session has expired.", Code: 190, ErrorSubcode: 463})
		return
	}
	fresh := "IGAA" + traceID() + traceID() + traceID()
	s.tokens[fresh] = &token{userID: t.userID}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": fresh, "token_type": "bearer", "expires_in": 5183944})
}
