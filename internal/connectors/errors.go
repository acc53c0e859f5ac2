// Package connectors holds the gateway's vocabulary: actions, connections and
// the error codes of the contract. Connector packages (instagram, …) build on
// it; nothing here knows about HTTP routing or storage.
package connectors

import (
	"errors"
	"fmt"
)

// Error codes of the contract (§5). Each maps to one HTTP status in package
// normalize, and nowhere else.
const (
	CodeBadRequest           = "BAD_REQUEST"
	CodeInvalidAPIToken      = "INVALID_API_TOKEN"
	CodeInvalidAdminToken    = "INVALID_ADMIN_TOKEN"
	CodeUpstreamTokenInvalid = "UPSTREAM_TOKEN_INVALID"
	CodeForbidden            = "FORBIDDEN"
	CodeNotFound             = "NOT_FOUND"
	CodeMethodNotAllowed     = "METHOD_NOT_ALLOWED"
	CodeConflict             = "CONFLICT"
	CodePayloadTooLarge      = "PAYLOAD_TOO_LARGE"
	CodePublishFailed        = "PUBLISH_FAILED"
	CodeRateLimited          = "RATE_LIMITED"
	CodeUpstreamError        = "UPSTREAM_ERROR"
	CodeUnavailable          = "UNAVAILABLE"
	CodeUpstreamTimeout      = "UPSTREAM_TIMEOUT"
	CodePublishTimeout       = "PUBLISH_TIMEOUT"
	CodeInternal             = "INTERNAL"
)

// UpstreamDetail is the part of a Graph API error object that the contract
// passes on to callers. It never holds a token.
type UpstreamDetail struct {
	// The Graph API error code (190, 100, 4, …).
	Code int `json:"code" extensions:"x-ms-summary=Instagram Code"`
	// The Graph API error type (OAuthException, …).
	Type string `json:"type,omitempty" extensions:"x-ms-summary=Instagram Type"`
	// The Graph API error subcode.
	ErrorSubcode int `json:"error_subcode,omitempty" extensions:"x-ms-summary=Instagram Subcode"`
	// Instagram's trace ID, for Meta's support.
	FBTraceID string `json:"fbtrace_id,omitempty" extensions:"x-ms-summary=Trace ID"`
}

// Error is an error with a contract code and a message safe to show to the
// caller. Messages must never contain a secret.
type Error struct {
	Code     string
	Message  string
	Upstream *UpstreamDetail
	// RetryAfter, in seconds, is set on RATE_LIMITED errors.
	RetryAfter int
	// Transient marks an upstream error that upstream says may succeed if
	// tried again.
	Transient bool
	// Err is the internal cause, for logs only; it is never shown to callers
	// and must hold no secret either.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Message + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Message
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Err }

// Wrap returns an *Error with code and message whose cause is err.
func Wrap(err error, code, message string) *Error {
	return &Error{Code: code, Message: message, Err: err}
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the contract code of err, or CodeInternal when err carries
// none.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the caller-safe message of err. Errors without a code
// answer "Internal error": their text may hold anything.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error"
}

// AsError returns the *Error in err's chain, or an INTERNAL one.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeInternal, Message: "Internal error"}
}

// ErrNotFound is returned by stores for a connection or key they do not hold.
var ErrNotFound = Errorf(CodeNotFound, "connection not found")
