// Package fakegraph is a faithful fake of the Instagram Graph API
// (graph.instagram.com, Instagram API with Instagram Login): the gateway's
// tests run against it, and `gateway --sandbox` serves it.
//
// It reproduces the shapes that matter to a client: Graph error objects
// (message, type, code, error_subcode, fbtrace_id), cursor paging whose next
// and previous URLs embed the access token, the X-App-Usage and
// X-Business-Use-Case-Usage headers and throttling codes, the two-step
// publishing flow with its container state machine, and the token
// endpoints: GET /access_token (grant_type=ig_exchange_token: a short-lived
// token, 1 hour, exchanged for a long-lived one, 60 days, given the app
// secret in client_secret; see AppSecret) and GET /refresh_access_token
// (grant_type=ig_refresh_token: a long-lived token at least 24 hours old
// refreshed for another 60 days). One user's objects are invisible to
// another's token: another user's ID, or a deleted object's, answers code
// 100, subcode 33.
//
// Every route takes an optional /vNN.N/ prefix, and the token as an
// access_token parameter or an Authorization header. The catalog:
//
//   - GET /me and /{ig-user-id} (the token's own user), and its edges:
//     GET and POST /media (list; create a container), POST /media_publish,
//     GET /content_publishing_limit, /stories (the last 24 hours),
//     /tags (media of others the user is tagged in), /live_media (empty:
//     the sandbox seeds no live broadcast) and /insights;
//   - GET, POST (comment_enabled) and DELETE /{ig-media-id}, and GET
//     /children, GET and POST /comments, GET /insights;
//   - GET, POST (hide) and DELETE /{ig-comment-id}, and GET and POST
//     /replies (as Instagram documents, a reply to a reply goes to its
//     top-level comment; a hidden comment takes no reply);
//   - GET /{ig-container-id} (id, status, status_code).
//
// OAuth (Business Login for Instagram) is served on the same server, with
// no version prefix: GET /oauth/authorize is the consent dialog
// (www.instagram.com/oauth/authorize): given client_id (AppID),
// redirect_uri (an absolute http(s) URL; one of RedirectURIs when set),
// response_type=code, scope (comma-separated) and state, an HTML page
// whose form lists the scopes and the fake's users (<select
// name="user_id">, the demo user first) and posts to POST /oauth/authorize
// with the buttons #allow and #deny; allow redirects (302) to
// redirect_uri?code=…&state=…#_ with a single-use code valid CodeLifetime
// (1 hour), deny to
// redirect_uri?error=access_denied&error_reason=user_denied&error_description=Permissions+error&state=….
// A bad client_id, redirect_uri or response_type is an HTML error page,
// HTTP 400. POST /oauth/access_token (api.instagram.com/oauth/access_token)
// exchanges the code (client_id, client_secret = AppSecret,
// grant_type=authorization_code, the same redirect_uri) for a short-lived
// token: {"data":[{"access_token","user_id","permissions"}]}; its errors
// are api.instagram.com's, HTTP 400
// {"error_type":"OAuthException","code":400,"error_message":…}.
//
// Hashtag search (/ig_hashtag_search, /{hashtag-id}/recent_media and
// /top_media) and the business_discovery field belong to the Instagram API
// with Facebook Login; an Instagram User token gets a permission error
// (code 10, HTTP 403).
//
// The fields parameter takes field expansion (owner{username},
// from{id,username}, replies.limit(5){text}); a field the node's type lacks
// is Graph's "(#100) Tried accessing nonexisting field (x) on node type
// (IGUser|IGMedia|IGComment|ShadowIGMediaBuilder)". IDs are digits only,
// in one range per kind: users 178414…, comments 1785…, media 179…,
// containers 180… (the seeded DemoContainerID, 17889…, predates them).
// AccountMetrics and MediaMetrics list the insights metrics of an API
// version.
package fakegraph

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Container states (status_code).
const (
	StateInProgress = "IN_PROGRESS"
	StateFinished   = "FINISHED"
	StateError      = "ERROR"
	StateExpired    = "EXPIRED"
	StatePublished  = "PUBLISHED"
)

// User is an Instagram professional account.
type User struct {
	ID                string
	Username          string
	Name              string
	AccountType       string
	Biography         string
	Website           string
	ProfilePictureURL string
	FollowersCount    int
	FollowsCount      int
}

// Media is a published media object.
type Media struct {
	ID               string
	OwnerID          string
	Caption          string
	MediaType        string // IMAGE, VIDEO, CAROUSEL_ALBUM
	MediaProductType string // FEED, REELS, STORY, AD
	MediaURL         string
	ThumbnailURL     string
	Permalink        string
	Shortcode        string
	AltText          string
	Timestamp        time.Time
	LikeCount        int
	// CommentsCount counts the media's comments and their replies; the
	// fake keeps it as comments are added and deleted.
	CommentsCount int
	Children      []string
	// commentsOff is set by POST /{ig-media-id}?comment_enabled=false.
	commentsOff bool
	// album is the carousel a child belongs to.
	album string
}

// Container is a media container of the publishing flow.
type Container struct {
	ID             string
	OwnerID        string
	MediaType      string
	ImageURL       string
	VideoURL       string
	Caption        string
	AltText        string
	Children       []string
	IsCarouselItem bool
	Created        time.Time
	// readyAt is when processing ends; final is the state it ends in.
	readyAt time.Time
	final   string
	reason  string
	state   string // set once published
	mediaID string
}

type token struct {
	userID string
	// issued is when the token was issued (or, for a refreshed or
	// exchanged token, when the refresh or the exchange answered it); it
	// expires lifetime() later.
	issued time.Time
	// short marks a short-lived token (IssueShortToken): it lives
	// ShortTokenLifetime, cannot be refreshed, and is what GET
	// /access_token exchanges for a long-lived one.
	short bool
	// expiredAt is set by ExpireToken: the token is expired from then on,
	// whatever the clock says.
	expiredAt time.Time
	revoked   bool
}

// lifetime is how long t lives after issued.
func (t *token) lifetime() time.Duration {
	if t.short {
		return ShortTokenLifetime
	}
	return TokenLifetime
}

// expiry is when t stops working.
func (t *token) expiry() time.Time {
	if !t.expiredAt.IsZero() {
		return t.expiredAt
	}
	return t.issued.Add(t.lifetime())
}

// expiredBy reports whether t is expired at now.
func (t *token) expiredBy(now time.Time) bool {
	return !t.expiredAt.IsZero() || !now.Before(t.issued.Add(t.lifetime()))
}

type throttle struct {
	code  int
	until time.Time
}

// Server is the fake. Its zero value is not usable: call New.
type Server struct {
	// ProcessingTime is how long an image container stays IN_PROGRESS;
	// video containers take three times as long.
	ProcessingTime time.Duration
	// Now is the clock (time.Now by default).
	Now func() time.Time
	// UsageBudget is how many calls a user may make in an hour before the
	// usage headers read 100% (the percentages are calls / budget).
	UsageBudget int
	// AppSecret is the Instagram app's secret: GET /access_token exchanges
	// a short-lived token only when its client_secret equals it. Empty (the
	// sandbox) refuses every exchange with code 101. Set it before serving,
	// or with SetAppSecret or SetApp while the fake serves. POST
	// /oauth/access_token checks its client_secret against it too.
	AppSecret string
	// AppID is the Instagram app's ID: the OAuth consent dialog (GET and
	// POST /oauth/authorize) and the code exchange (POST
	// /oauth/access_token) take only this client_id. Empty refuses every
	// client. Set it before serving, or with SetApp while the fake serves.
	AppID string
	// AppName is the app's name on the consent page ("Sandbox App" when
	// empty).
	AppName string
	// RedirectURIs, when non-empty, are the app's registered redirect
	// URIs: the consent dialog takes only a redirect_uri equal to one of
	// them. Empty takes any absolute http or https URL. Set it before
	// serving, or with SetRedirectURIs while the fake serves.
	RedirectURIs []string

	mu         sync.Mutex
	users      map[string]*User
	tokens     map[string]*token
	media      map[string]*Media
	order      map[string][]string // user ID -> media IDs, newest first
	containers map[string]*Container
	throttles  map[string]throttle
	calls      map[string]int // user ID -> calls this hour, for the usage headers
	callsHour  time.Time
	published  map[string]int // user ID -> posts published
	refreshes  map[string]int // user ID -> successful token refreshes
	exchanges  map[string]int // user ID -> successful short-lived token exchanges
	comments   map[string]*comment
	// topComments holds each media's top-level comment IDs, newest first.
	topComments map[string][]string
	// stories and tags hold a user's story media and the media the user
	// is tagged in, newest first.
	stories map[string][]string
	tags    map[string][]string
	nextID  int64

	// codes holds the unspent authorization codes of the consent dialog;
	// codeExchanges counts, per user ID, the codes exchanged for a token.
	codes         map[string]*authCode
	codeExchanges map[string]int

	requests atomic.Int64
	fault    atomic.Pointer[Fault]
}

// Fault makes the fake misbehave for the requests it matches.
type Fault struct {
	// Match selects requests (nil: every request).
	Match func(*http.Request) bool
	// Handle answers instead of the fake; it may block until the request's
	// context ends (a hang).
	Handle http.HandlerFunc
}

// New returns an empty fake.
func New() *Server {
	return &Server{
		ProcessingTime: 300 * time.Millisecond,
		Now:            time.Now,
		UsageBudget:    100000,
		users:          map[string]*User{},
		tokens:         map[string]*token{},
		media:          map[string]*Media{},
		order:          map[string][]string{},
		containers:     map[string]*Container{},
		throttles:      map[string]throttle{},
		calls:          map[string]int{},
		published:      map[string]int{},
		refreshes:      map[string]int{},
		exchanges:      map[string]int{},
		codes:          map[string]*authCode{},
		codeExchanges:  map[string]int{},
		comments:       map[string]*comment{},
		topComments:    map[string][]string{},
		stories:        map[string][]string{},
		tags:           map[string][]string{},
		nextID:         1,
	}
}

// SetProcessingTime changes ProcessingTime while the fake serves.
func (s *Server) SetProcessingTime(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ProcessingTime = d
}

// SetUsageBudget changes UsageBudget while the fake serves.
func (s *Server) SetUsageBudget(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.UsageBudget = n
}

// SetAppSecret changes AppSecret while the fake serves.
func (s *Server) SetAppSecret(secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.AppSecret = secret
}

// Requests is the number of requests the fake has received.
func (s *Server) Requests() int64 { return s.requests.Load() }

// SetFault installs a fault (nil removes it).
func (s *Server) SetFault(f *Fault) { s.fault.Store(f) }

// AddUser adds a user and a token for it.
func (s *Server) AddUser(u User, tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := u
	if cp.AccountType == "" {
		cp.AccountType = "BUSINESS"
	}
	s.users[u.ID] = &cp
	s.tokens[tok] = &token{userID: u.ID, issued: s.Now()}
}

// AddToken adds another token for an existing user, issued now.
func (s *Server) AddToken(userID, tok string) {
	s.IssueToken(userID, tok, s.Now())
}

// IssueToken adds (or replaces) a long-lived token of an existing user,
// issued at the given time: it expires TokenLifetime later and may be
// refreshed from TokenMinRefreshAge after issued.
func (s *Server) IssueToken(userID, tok string, issued time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[tok] = &token{userID: userID, issued: issued}
}

// IssueShortToken adds (or replaces) a short-lived token of an existing
// user, as the OAuth code exchange answers it, issued at the given time: it
// expires ShortTokenLifetime later, cannot be refreshed, and GET
// /access_token exchanges it for a long-lived token.
func (s *Server) IssueShortToken(userID, tok string, issued time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[tok] = &token{userID: userID, issued: issued, short: true}
}

// TokenExpiry is when a token expires (false: no such token).
func (s *Server) TokenExpiry(tok string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokens[tok]
	if t == nil {
		return time.Time{}, false
	}
	return t.expiry(), true
}

// Refreshes is how many times GET /refresh_access_token succeeded with a
// token of the user.
func (s *Server) Refreshes(userID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshes[userID]
}

// Exchanges is how many times GET /access_token exchanged a short-lived
// token of the user for a long-lived one.
func (s *Server) Exchanges(userID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exchanges[userID]
}

// ExpireToken makes a token answer 190/463 (session expired) from now on,
// whatever the clock says later.
func (s *Server) ExpireToken(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.tokens[tok]; t != nil && t.expiredAt.IsZero() {
		t.expiredAt = s.Now()
		if end := t.issued.Add(t.lifetime()); end.Before(t.expiredAt) {
			t.expiredAt = end
		}
	}
}

// RevokeToken makes a token answer 190/460 (password changed, session
// invalidated).
func (s *Server) RevokeToken(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.tokens[tok]; t != nil {
		t.revoked = true
	}
}

// Throttle makes every call of the user's tokens answer the throttling code
// (4, 17, 32 or 613) for d.
func (s *Server) Throttle(userID string, code int, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttles[userID] = throttle{code: code, until: s.Now().Add(d)}
}

// AddMedia adds n media objects to a user (newest first), the i-th (from
// the oldest, 0-based) with i%5 comments, and returns their IDs, newest
// first.
func (s *Server) AddMedia(userID string, n int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addMediaLocked(userID, n)
}

func (s *Server) addMediaLocked(userID string, n int) []string {
	u := s.users[userID]
	base := s.Now().Add(-time.Duration(n) * time.Hour)
	for i := range n {
		m := &Media{
			ID:               s.newIDLocked(mediaIDBase),
			OwnerID:          userID,
			Caption:          fmt.Sprintf("Sandbox post #%d by %s", i+1, u.Username),
			MediaType:        "IMAGE",
			MediaProductType: "FEED",
			Timestamp:        base.Add(time.Duration(i) * time.Hour).UTC(),
			LikeCount:        (i * 7) % 50,
		}
		switch i % 5 {
		case 3:
			m.MediaType = "VIDEO"
			m.MediaProductType = "REELS"
		case 4:
			m.MediaType = "CAROUSEL_ALBUM"
			for range 2 {
				c := s.newIDLocked(mediaIDBase)
				s.media[c] = &Media{ID: c, OwnerID: userID, MediaType: "IMAGE", MediaProductType: "FEED", album: m.ID,
					Timestamp: m.Timestamp, MediaURL: cdnURL(c, "jpg"), Permalink: "https://www.instagram.com/p/" + shortcode(c) + "/", Shortcode: shortcode(c)}
				m.Children = append(m.Children, c)
			}
		}
		s.finishMediaLocked(m)
		s.addCommentsLocked(m.ID, i%5)
	}
	ids := s.order[userID]
	out := make([]string, n)
	copy(out, ids[:n])
	return out
}

func cdnURL(id, ext string) string {
	return "https://scontent.cdninstagram.com/v/sandbox/" + id + "." + ext
}

// shortcode is the media's shortcode: its ID's 8 bytes in URL base64, 11
// characters, one per media as on Instagram.
func shortcode(id string) string {
	n, _ := strconv.ParseUint(id, 10, 64)
	return base64.RawURLEncoding.EncodeToString(binary.BigEndian.AppendUint64(nil, n))
}

// finishMediaLocked fills derived fields and adds m newest-first.
func (s *Server) finishMediaLocked(m *Media) {
	m.Shortcode = shortcode(m.ID)
	m.Permalink = "https://www.instagram.com/p/" + m.Shortcode + "/"
	switch m.MediaType {
	case "VIDEO":
		if m.MediaURL == "" {
			m.MediaURL = cdnURL(m.ID, "mp4")
		}
		m.ThumbnailURL = cdnURL(m.ID, "thumb.jpg")
	default:
		if m.MediaURL == "" {
			m.MediaURL = cdnURL(m.ID, "jpg")
		}
	}
	s.media[m.ID] = m
	s.order[m.OwnerID] = append([]string{m.ID}, s.order[m.OwnerID]...)
}

// AddContainer adds a finished image container of userID, as step 1 of
// publishing would have left it.
func (s *Server) AddContainer(userID, id, imageURL string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	s.containers[id] = &Container{
		ID: id, OwnerID: userID, MediaType: "IMAGE", ImageURL: imageURL, Created: now,
		readyAt: now, final: StateFinished, reason: "Finished: Media has been uploaded and it is ready to be published.",
	}
}

// ID ranges: every ID is digits only, and the kind of node an ID names
// shows in its first digits (users are 178414…, set by AddUser; the seeded
// DemoContainerID predates the ranges and is 17889…).
const (
	mediaIDBase     = 17900000000000000
	commentIDBase   = 17850000000000000
	containerIDBase = 18000000000000000
)

func (s *Server) newIDLocked(base int64) string {
	s.nextID++
	return strconv.FormatInt(base+s.nextID, 10)
}

// Container returns a copy of a container, for tests.
func (s *Server) Container(id string) (Container, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.containers[id]
	if !ok {
		return Container{}, false
	}
	cp := *c
	cp.state, _ = s.stateLocked(c)
	return cp, true
}

// State returns a container's current state.
func (c Container) State() string { return c.state }

// MediaCount returns how many media a user has.
func (s *Server) MediaCount(userID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.order[userID])
}

func traceID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
