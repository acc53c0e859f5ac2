package instagram

import (
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/igconnect/gateway/internal/connectors"
)

// MaxMessage is the longest comment or reply, in characters.
const MaxMessage = 2200

// UpdateMediaRequest is the body of Update Media.
type UpdateMediaRequest struct {
	// Whether people may comment on the media.
	CommentEnabled *bool `json:"comment_enabled" binding:"required" extensions:"x-ms-summary=Comments Enabled,x-ms-visibility=important"`
}

// HideCommentRequest is the body of Hide Comment.
type HideCommentRequest struct {
	// True hides the comment; false shows it again.
	Hide *bool `json:"hide" binding:"required" extensions:"x-ms-summary=Hide,x-ms-visibility=important"`
}

// CommentRequest is the body of Create Comment and Reply to Comment.
type CommentRequest struct {
	// The comment's text, at most 2,200 characters.
	Message string `json:"message" binding:"required" minLength:"1" maxLength:"2200" extensions:"x-ms-summary=Message,x-ms-visibility=important"`
}

func bad(format string, args ...any) error {
	return connectors.Errorf(connectors.CodeBadRequest, format, args...)
}

// decodeStrict decodes one JSON object into v: the one strict-JSON rule.
func decodeStrict(raw []byte, v any, example string) error {
	return connectors.DecodeJSON(raw, v, example)
}

// decodeUpdateMedia decodes {"comment_enabled":bool} into the form Instagram
// takes.
func decodeUpdateMedia(raw []byte) (any, error) {
	return decodeFlag(raw, "comment_enabled", func(b *UpdateMediaRequest) *bool { return b.CommentEnabled })
}

// decodeHideComment decodes {"hide":bool} into the form Instagram takes.
func decodeHideComment(raw []byte) (any, error) {
	return decodeFlag(raw, "hide", func(b *HideCommentRequest) *bool { return b.Hide })
}

// decodeFlag decodes a body of one required boolean, name, into the form
// Instagram takes.
func decodeFlag[T any](raw []byte, name string, flag func(*T) *bool) (any, error) {
	var b T
	if err := decodeStrict(raw, &b, `{"`+name+`":true}`); err != nil {
		return nil, err
	}
	v := flag(&b)
	if v == nil {
		return nil, bad("%s is required: true or false", name)
	}
	return url.Values{name: {strconv.FormatBool(*v)}}, nil
}

// decodeMessage decodes {"message":"…"}, a comment or a reply, into the form
// Instagram takes.
func decodeMessage(raw []byte) (any, error) {
	var b CommentRequest
	if err := decodeStrict(raw, &b, `{"message":"…"}`); err != nil {
		return nil, err
	}
	if strings.TrimSpace(b.Message) == "" {
		return nil, bad("message is required and may not be blank")
	}
	if n := utf8.RuneCountInString(b.Message); n > MaxMessage {
		return nil, bad("message has %d characters; at most %d are allowed", n, MaxMessage)
	}
	return url.Values{"message": {b.Message}}, nil
}
