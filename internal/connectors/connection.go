package connectors

import "time"

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
	// CooldownUntil is set by lookups: until then upstream throttles this
	// connection and the gateway does not call it. Not persisted with the
	// record.
	CooldownUntil time.Time `json:"-"`
}

// ConnectionView is what the admin API shows of a connection: never a secret.
type ConnectionView struct {
	ID              string    `json:"id"`
	Name            string    `json:"name"`
	InstagramUserID string    `json:"instagram_user_id"`
	Username        string    `json:"username"`
	CreatedAt       time.Time `json:"created_at"`
	// APIKey is set only in the answer that creates or rotates a key.
	APIKey string `json:"api_key,omitempty"`
}

// View returns the public view of c.
func (c *Connection) View() ConnectionView {
	return ConnectionView{
		ID:              c.ID,
		Name:            c.Name,
		InstagramUserID: c.InstagramUserID,
		Username:        c.Username,
		CreatedAt:       c.CreatedAt,
	}
}
