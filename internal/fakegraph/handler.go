package fakegraph

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
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
	if s.serveOAuth(w, r) {
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
	if len(segs) == 1 && segs[0] == "access_token" {
		s.exchange(w, r)
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
	case t.expiredBy(s.Now()):
		s.writeError(w, http.StatusBadRequest, sessionExpired(t, s.Now()))
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
	s.route(&request{w: w, r: r, user: user, tok: tok, version: strings.TrimPrefix(versionOf(r), "/")}, segs)
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

// Token rules, as Instagram documents them.
const (
	// ShortTokenLifetime is how long a short-lived token (the OAuth code
	// exchange's) lives after it was issued.
	ShortTokenLifetime = time.Hour
	// TokenLifetime is how long a long-lived token lives after it was
	// issued or refreshed.
	TokenLifetime = 60 * 24 * time.Hour
	// TokenMinRefreshAge is how old a token must be to be refreshed.
	TokenMinRefreshAge = 24 * time.Hour
)

// pacific is the zone of Instagram's expiry messages.
var pacific = func() *time.Location {
	if l, err := time.LoadLocation("America/Los_Angeles"); err == nil {
		return l
	}
	return time.FixedZone("PST", -8*3600)
}()

// sessionExpired is the 190/463 error of a token expired at now, worded as
// Instagram words it.
func sessionExpired(t *token, now time.Time) graphError {
	const layout = "Monday, 02-Jan-06 15:04:05 MST"
	return graphError{
		Message:      fmt.Sprintf("Error validating access token: Session has expired on %s. The current time is %s.", t.expiry().In(pacific).Format(layout), now.In(pacific).Format(layout)),
		Code:         190,
		ErrorSubcode: 463,
	}
}

// grantableLocked returns the token a refresh or an exchange acts on, or
// writes the error Instagram answers for it and returns nil: an unknown or
// revoked token is 190/463 without a date, an expired one 190/463 with its
// expiry. s.mu must be held.
func (s *Server) grantableLocked(w http.ResponseWriter, tok string, now time.Time) *token {
	t := s.tokens[tok]
	switch {
	case t == nil || t.revoked:
		s.writeError(w, http.StatusBadRequest, graphError{Message: "Error validating access token: Session has expired.", Code: 190, ErrorSubcode: 463})
		return nil
	case t.expiredBy(now):
		s.writeError(w, http.StatusBadRequest, sessionExpired(t, now))
		return nil
	}
	return t
}

// grantLocked issues a new long-lived token of userID at now and answers
// it as Instagram does. s.mu must be held.
func (s *Server) grantLocked(w http.ResponseWriter, userID string, now time.Time) {
	fresh := "IGAA" + traceID() + traceID() + traceID()
	s.tokens[fresh] = &token{userID: userID, issued: now}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": fresh, "token_type": "bearer", "expires_in": int64(TokenLifetime / time.Second)})
}

// refresh answers GET /refresh_access_token: a new long-lived token of the
// same user, issued now. The old token stays valid until its own expiry, as
// on Instagram. A token younger than TokenMinRefreshAge is refused with code
// 100 (Instagram answers an OAuthException; the fake uses 100, invalid
// parameter, since the token itself is valid), and so is a short-lived
// token: only long-lived tokens are refreshed.
func (s *Server) refresh(w http.ResponseWriter, r *http.Request) {
	if r.Form.Get("grant_type") != "ig_refresh_token" {
		s.writeError(w, http.StatusBadRequest, graphError{Message: "Unsupported grant_type: must be ig_refresh_token", Code: 100})
		return
	}
	tok := tokenOf(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	t := s.grantableLocked(w, tok, now)
	switch {
	case t == nil:
		return
	case t.short:
		s.writeError(w, http.StatusBadRequest, graphError{Message: "Invalid parameter: only a long-lived access token can be refreshed.", Code: 100})
		return
	case now.Sub(t.issued) < TokenMinRefreshAge:
		s.writeError(w, http.StatusBadRequest, graphError{Message: "Invalid parameter: the access token must be at least 24 hours old to be refreshed.", Code: 100})
		return
	}
	s.refreshes[t.userID]++
	s.grantLocked(w, t.userID, now)
}

// exchange answers GET
// /access_token?grant_type=ig_exchange_token&client_secret=…: a new
// long-lived token (TokenLifetime) of the same user, issued now, in place of
// a short-lived one, which stays valid until its own hour ends. The checks,
// in order: the grant type (code 100); the client secret, which must equal
// a non-empty AppSecret (101, "Error validating client secret."); the token
// (190/463 as for a refresh). A valid token that is not short-lived is
// refused with code 100: Instagram documents the exchange for short-lived
// tokens only and its answer for a long-lived one varies, so the fake
// picks 100, invalid parameter, as for a refresh too young.
func (s *Server) exchange(w http.ResponseWriter, r *http.Request) {
	if r.Form.Get("grant_type") != "ig_exchange_token" {
		s.writeError(w, http.StatusBadRequest, graphError{Message: "Unsupported grant_type: must be ig_exchange_token", Code: 100})
		return
	}
	tok := tokenOf(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	if secret := r.Form.Get("client_secret"); s.AppSecret == "" || subtle.ConstantTimeCompare([]byte(secret), []byte(s.AppSecret)) != 1 {
		s.writeError(w, http.StatusBadRequest, graphError{Message: "Error validating client secret.", Code: 101})
		return
	}
	now := s.Now()
	t := s.grantableLocked(w, tok, now)
	switch {
	case t == nil:
		return
	case !t.short:
		s.writeError(w, http.StatusBadRequest, graphError{Message: "Invalid parameter: only a short-lived access token can be exchanged for a long-lived one.", Code: 100})
		return
	}
	s.exchanges[t.userID]++
	s.grantLocked(w, t.userID, now)
}
