package instagram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/igconnect/gateway/internal/connectors"
)

// Limits of the Content Publishing API.
const (
	MaxCaption          = 2200
	MaxAltText          = 1000
	MinCarouselChildren = 2
	MaxCarouselChildren = 10
	maxURL              = 2048
)

// Media types a Publish call may ask for.
var mediaTypes = []string{"IMAGE", "VIDEO", "REELS", "STORIES", "CAROUSEL"}

// PublishRequest is the body of Publish: creation_id alone, or a media URL
// (or carousel children) with options.
type PublishRequest struct {
	// ID of a FINISHED container to publish as it is; send it alone.
	CreationID string `json:"creation_id,omitempty" extensions:"x-ms-summary=Container ID,x-ms-visibility=advanced" example:"17889615691921648"`
	// Public URL of a JPEG image to publish.
	ImageURL string `json:"image_url,omitempty" extensions:"x-ms-summary=Image URL,x-ms-visibility=important" example:"https://example.com/photo.jpg"`
	// Public URL of a video (MP4 or MOV) to publish.
	VideoURL string `json:"video_url,omitempty" extensions:"x-ms-summary=Video URL"`
	// IMAGE, VIDEO, REELS, STORIES or CAROUSEL. Default: IMAGE for an image, REELS for a video, CAROUSEL with children.
	MediaType string `json:"media_type,omitempty" enums:"IMAGE,VIDEO,REELS,STORIES,CAROUSEL" extensions:"x-ms-summary=Media type"`
	// The caption, at most 2,200 characters.
	Caption string `json:"caption,omitempty" extensions:"x-ms-summary=Caption,x-ms-visibility=important" maxLength:"2200"`
	// Alternative text of an image, at most 1,000 characters.
	AltText string `json:"alt_text,omitempty" extensions:"x-ms-summary=Alt text,x-ms-visibility=advanced" maxLength:"1000"`
	// The items of a carousel: 2 to 10 images or videos.
	Children []PublishChild `json:"children,omitempty" extensions:"x-ms-summary=Carousel items,x-ms-visibility=advanced" minItems:"2" maxItems:"10"`
}

// PublishChild is one carousel item: an image or a video URL.
type PublishChild struct {
	// Public URL of an image item.
	ImageURL string `json:"image_url,omitempty" extensions:"x-ms-summary=Image URL"`
	// Public URL of a video item.
	VideoURL string `json:"video_url,omitempty" extensions:"x-ms-summary=Video URL"`
}

// UnmarshalJSON also accepts a child given as a plain URL string (an image).
func (c *PublishChild) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &c.ImageURL)
	}
	type plain PublishChild
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode((*plain)(c))
}

func bad(format string, args ...any) error {
	return connectors.Errorf(connectors.CodeBadRequest, format, args...)
}

// decodePublish decodes and validates a Publish body, before any upstream
// call.
func decodePublish(raw []byte) (any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, bad("a JSON body is required: {\"creation_id\":…} or {\"image_url\":…}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var p PublishRequest
	if err := dec.Decode(&p); err != nil {
		return nil, bad("invalid JSON body: %s", jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, bad("invalid JSON body: unexpected data after the object")
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// jsonProblem describes a decoding error without echoing the input.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q must be %s", te.Field, te.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated"
	}
	return "not a JSON object"
}

func checkURL(name, u string) error {
	if len(u) > maxURL {
		return bad("%s is longer than %d characters", name, maxURL)
	}
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return bad("%s must be an absolute http(s) URL", name)
	}
	return nil
}

func (p *PublishRequest) validate() error {
	if p.CreationID != "" {
		if p.ImageURL != "" || p.VideoURL != "" || p.MediaType != "" || p.Caption != "" || p.AltText != "" || len(p.Children) > 0 {
			return bad("creation_id publishes an existing container: send it alone")
		}
		if !connectors.ValidID(p.CreationID) {
			return bad("creation_id must be a numeric container ID")
		}
		return nil
	}
	if n := utf8.RuneCountInString(p.Caption); n > MaxCaption {
		return bad("caption has %d characters; at most %d are allowed", n, MaxCaption)
	}
	if n := utf8.RuneCountInString(p.AltText); n > MaxAltText {
		return bad("alt_text has %d characters; at most %d are allowed", n, MaxAltText)
	}
	p.MediaType = strings.ToUpper(p.MediaType)
	if p.MediaType == "" {
		switch {
		case len(p.Children) > 0:
			p.MediaType = "CAROUSEL"
		case p.VideoURL != "":
			p.MediaType = "REELS"
		default:
			p.MediaType = "IMAGE"
		}
	}
	switch p.MediaType {
	case "IMAGE":
		if p.ImageURL == "" {
			return bad("image_url is required to publish an image (or send creation_id)")
		}
		if p.VideoURL != "" {
			return bad("an IMAGE takes image_url, not video_url")
		}
	case "VIDEO", "REELS":
		if p.VideoURL == "" {
			return bad("video_url is required for %s", p.MediaType)
		}
		if p.ImageURL != "" {
			return bad("%s takes video_url, not image_url", p.MediaType)
		}
	case "STORIES":
		if (p.ImageURL == "") == (p.VideoURL == "") {
			return bad("STORIES takes exactly one of image_url or video_url")
		}
	case "CAROUSEL":
		if p.ImageURL != "" || p.VideoURL != "" {
			return bad("a CAROUSEL takes its media in children, not image_url or video_url")
		}
		if n := len(p.Children); n < MinCarouselChildren || n > MaxCarouselChildren {
			return bad("a CAROUSEL takes %d to %d children, got %d", MinCarouselChildren, MaxCarouselChildren, n)
		}
		for i, c := range p.Children {
			if (c.ImageURL == "") == (c.VideoURL == "") {
				return bad("children[%d] takes exactly one of image_url or video_url", i)
			}
			for name, u := range map[string]string{"image_url": c.ImageURL, "video_url": c.VideoURL} {
				if u != "" {
					if err := checkURL(fmt.Sprintf("children[%d].%s", i, name), u); err != nil {
						return err
					}
				}
			}
		}
	default:
		return bad("media_type must be one of %s", strings.Join(mediaTypes, ", "))
	}
	if len(p.Children) > 0 && p.MediaType != "CAROUSEL" {
		return bad("children are only for media_type CAROUSEL")
	}
	for name, u := range map[string]string{"image_url": p.ImageURL, "video_url": p.VideoURL} {
		if u != "" {
			if err := checkURL(name, u); err != nil {
				return err
			}
		}
	}
	return nil
}

// publish runs the publishing flow: create the container(s), wait until
// FINISHED, publish. With creation_id it publishes that container alone.
func (c *Connector) publish(ctx context.Context, call *connectors.Call) (*connectors.Response, error) {
	p := call.Body.(*PublishRequest)
	user := call.Params["IG_USER_ID"]
	if user == "me" {
		user = call.UserID
	}
	base := "/" + call.Version + "/" + user
	creationID := p.CreationID
	if creationID == "" {
		deadline := time.Now().Add(c.PublishTimeout)
		var err error
		creationID, err = c.createContainer(ctx, call, base, p, deadline)
		if err != nil {
			return nil, err
		}
		if err := c.waitFinished(ctx, call, creationID, deadline); err != nil {
			return nil, err
		}
	}
	return c.Client.Post(ctx, base+"/media_publish", url.Values{"creation_id": {creationID}}, call.Token)
}

func (c *Connector) createContainer(ctx context.Context, call *connectors.Call, base string, p *PublishRequest, deadline time.Time) (string, error) {
	form := url.Values{}
	if p.Caption != "" {
		form.Set("caption", p.Caption)
	}
	switch p.MediaType {
	case "IMAGE":
		form.Set("image_url", p.ImageURL)
		if p.AltText != "" {
			form.Set("alt_text", p.AltText)
		}
	case "VIDEO", "REELS":
		form.Set("media_type", p.MediaType)
		form.Set("video_url", p.VideoURL)
	case "STORIES":
		form.Set("media_type", "STORIES")
		if p.ImageURL != "" {
			form.Set("image_url", p.ImageURL)
		} else {
			form.Set("video_url", p.VideoURL)
		}
	case "CAROUSEL":
		ids := make([]string, 0, len(p.Children))
		for _, child := range p.Children {
			f := url.Values{"is_carousel_item": {"true"}}
			if child.ImageURL != "" {
				f.Set("image_url", child.ImageURL)
			} else {
				f.Set("media_type", "VIDEO")
				f.Set("video_url", child.VideoURL)
			}
			id, err := c.postContainer(ctx, base, f, call.Token)
			if err != nil {
				return "", err
			}
			ids = append(ids, id)
		}
		for _, id := range ids {
			if err := c.waitFinished(ctx, call, id, deadline); err != nil {
				return "", err
			}
		}
		form.Set("media_type", "CAROUSEL")
		form.Set("children", strings.Join(ids, ","))
	}
	return c.postContainer(ctx, base, form, call.Token)
}

func (c *Connector) postContainer(ctx context.Context, base string, form url.Values, token string) (string, error) {
	resp, err := c.Client.Post(ctx, base+"/media", form, token)
	if err != nil {
		return "", err
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(resp.Body, &out); err != nil || !connectors.ValidID(out.ID) {
		return "", connectors.Errorf(connectors.CodeUpstreamError, "Instagram created a container without a valid id")
	}
	return out.ID, nil
}

// waitFinished polls a container's status with exponential backoff until it
// is FINISHED, ends in ERROR or EXPIRED (PUBLISH_FAILED with upstream's
// reason), or the deadline passes (PUBLISH_TIMEOUT).
func (c *Connector) waitFinished(ctx context.Context, call *connectors.Call, id string, deadline time.Time) error {
	wait := c.PollInterval
	q := url.Values{"fields": {"status_code,status"}}
	for {
		resp, err := c.Client.Get(ctx, "/"+call.Version+"/"+id, q, call.Token)
		if err != nil {
			return err
		}
		var st struct {
			StatusCode string `json:"status_code"`
			Status     string `json:"status"`
		}
		if err := json.Unmarshal(resp.Body, &st); err != nil {
			return connectors.Errorf(connectors.CodeUpstreamError, "Instagram answered an unreadable container status")
		}
		switch st.StatusCode {
		case "FINISHED":
			return nil
		case "ERROR", "EXPIRED", "PUBLISHED":
			return connectors.Errorf(connectors.CodePublishFailed, "container %s ended in %s: %s; nothing was published", id, st.StatusCode, strings.TrimSpace(st.Status))
		}
		left := time.Until(deadline)
		if left <= 0 {
			return connectors.Errorf(connectors.CodePublishTimeout,
				"container %s was still %s after %s; nothing was published (publish it later with creation_id %s)",
				id, orUnknown(st.StatusCode), c.PublishTimeout, id)
		}
		t := time.NewTimer(min(wait, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return connectors.Wrap(ctx.Err(), connectors.CodeUpstreamTimeout, "the call ended while waiting for container "+id)
		case <-t.C:
		}
		wait = min(wait*2, c.MaxPollInterval)
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "not " + strconv.Quote("FINISHED")
	}
	return s
}
