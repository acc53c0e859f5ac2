package connectors

import "time"

// Status is where a connection is in its lifecycle (contract §8).
type Status string

// A connection's statuses. The zero Status reads as StatusActive.
const (
	// StatusActive: its token works, as far as the gateway knows.
	StatusActive Status = "active"
	// StatusRefreshFailing: refreshing its token failed; it still works
	// until the token expires.
	StatusRefreshFailing Status = "refresh_failing"
	// StatusReauthorize: Instagram rejected its token (Graph code 190); it
	// needs a new one from its user.
	StatusReauthorize Status = "reauthorize"
)

// Statuses lists every status, in a fixed order.
var Statuses = []Status{StatusActive, StatusRefreshFailing, StatusReauthorize}

// Valid tells whether s is one of Statuses.
func (s Status) Valid() bool {
	return s == StatusActive || s == StatusRefreshFailing || s == StatusReauthorize
}

// LastError is the last failure that changed a connection's status. Its
// Message is the gateway's own caller-safe message: never a secret.
type LastError struct {
	Code    string    `json:"code"`
	Message string    `json:"message"`
	At      time.Time `json:"at"`
}

// Lifecycle is what the gateway knows of a connection's token (contract
// §8), written as one: a change of status, of token times or of the refresh
// schedule replaces it whole.
type Lifecycle struct {
	// Status is empty for StatusActive.
	Status    Status     `json:"status,omitempty"`
	LastError *LastError `json:"last_error,omitempty"`
	// TokenExpiresAt and TokenRefreshedAt are zero when unknown.
	TokenExpiresAt   time.Time `json:"token_expires_at,omitzero"`
	TokenRefreshedAt time.Time `json:"token_refreshed_at,omitzero"`
	// RefreshDueAt is when the token is next refreshed (or a failed
	// refresh retried); zero when it is not (StatusReauthorize, or a
	// record older than refreshing).
	RefreshDueAt time.Time `json:"refresh_due_at,omitzero"`
	// RefreshFailures counts the refreshes failed in a row.
	RefreshFailures int `json:"refresh_failures,omitempty"`
}

// Empty tells whether l holds nothing: active, no last error, no times.
func (l *Lifecycle) Empty() bool {
	return (l.Status == "" || l.Status == StatusActive) && l.LastError == nil && l.TokenExpiresAt.IsZero() &&
		l.TokenRefreshedAt.IsZero() && l.RefreshDueAt.IsZero() && l.RefreshFailures == 0
}

// Connection is one Instagram user's stored credentials. The upstream token is
// held only sealed (EncryptedToken); the API key only as its hash (KeyHash).
type Connection struct {
	ID              string    `json:"id"`
	Name            string    `json:"name,omitempty"`
	InstagramUserID string    `json:"instagram_user_id"`
	Username        string    `json:"username"`
	CreatedAt       time.Time `json:"created_at"`
	KeyHash         string    `json:"key_hash"`
	EncryptedToken  []byte    `json:"encrypted_token"`
	Lifecycle
	// CooldownUntil is set by lookups: until then upstream throttles this
	// connection and the gateway does not call it. Not persisted with the
	// record.
	CooldownUntil time.Time `json:"-"`
}

// StatusOrActive returns c's status, StatusActive when none is recorded.
func (c *Connection) StatusOrActive() Status {
	if c.Status == "" {
		return StatusActive
	}
	return c.Status
}

// ConnectionView is what the admin API shows of a connection: never a secret.
type ConnectionView struct {
	ID              string     `json:"id"`
	Name            string     `json:"name"`
	InstagramUserID string     `json:"instagram_user_id"`
	Username        string     `json:"username"`
	CreatedAt       time.Time  `json:"created_at"`
	Status          Status     `json:"status"`
	LastError       *LastError `json:"last_error,omitempty"`
	// TokenExpiresAt and TokenRefreshedAt are omitted when unknown.
	TokenExpiresAt   *time.Time `json:"token_expires_at,omitempty"`
	TokenRefreshedAt *time.Time `json:"token_refreshed_at,omitempty"`
	// TokenRefreshDueAt is when the gateway next refreshes the token (or
	// retries a failed refresh); omitted when it will not.
	TokenRefreshDueAt *time.Time `json:"token_refresh_due_at,omitempty"`
	// APIKey is set only in the answer that creates or rotates a key.
	APIKey string `json:"api_key,omitempty"`
}

// View returns the public view of c.
func (c *Connection) View() ConnectionView {
	v := ConnectionView{
		ID:              c.ID,
		Name:            c.Name,
		InstagramUserID: c.InstagramUserID,
		Username:        c.Username,
		CreatedAt:       c.CreatedAt,
		Status:          c.StatusOrActive(),
		TokenExpiresAt:  timeOrNil(c.TokenExpiresAt),
	}
	v.TokenRefreshedAt = timeOrNil(c.TokenRefreshedAt)
	v.TokenRefreshDueAt = timeOrNil(c.RefreshDueAt)
	if c.LastError != nil {
		e := *c.LastError
		v.LastError = &e
	}
	return v
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
