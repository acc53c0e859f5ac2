package instagram

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"slices"
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
	MaxUserTags         = 20
	MaxCollaborators    = 3
	MaxAudioName        = 255
	maxURL              = 2048
)

// Media types a container may be.
var mediaTypes = []string{"IMAGE", "VIDEO", "REELS", "STORIES", "CAROUSEL"}

// usernameRe is an Instagram username: letters, digits, periods and
// underscores, 30 at most.
var usernameRe = regexp.MustCompile(`^[A-Za-z0-9._]{1,30}$`)

// ContainerRequest is the body of Create Media Container: a media URL (or
// carousel children) with the container's options.
type ContainerRequest struct {
	// Public URL of a JPEG image.
	ImageURL string `json:"image_url,omitempty" extensions:"x-ms-summary=Image URL,x-ms-visibility=important" example:"https://example.com/photo.jpg"`
	// Public URL of a video (MP4 or MOV).
	VideoURL string `json:"video_url,omitempty" extensions:"x-ms-summary=Video URL"`
	// IMAGE, VIDEO, REELS, STORIES or CAROUSEL. Default: IMAGE for an image, REELS for a video (VIDEO for a carousel item), CAROUSEL with children.
	MediaType string `json:"media_type,omitempty" enums:"IMAGE,VIDEO,REELS,STORIES,CAROUSEL" extensions:"x-ms-summary=Media Type"`
	// The caption, at most 2,200 characters.
	Caption string `json:"caption,omitempty" extensions:"x-ms-summary=Caption,x-ms-visibility=important" maxLength:"2200"`
	// Alternative text of an image, at most 1,000 characters.
	AltText string `json:"alt_text,omitempty" extensions:"x-ms-summary=Alt Text,x-ms-visibility=advanced" maxLength:"1000"`
	// The items of a carousel: 2 to 10 images or videos.
	Children []PublishChild `json:"children,omitempty" extensions:"x-ms-summary=Carousel Items,x-ms-visibility=advanced" minItems:"2" maxItems:"10"`
	// ID of a location (a Facebook Page with a location) to tag, digits only.
	LocationID string `json:"location_id,omitempty" extensions:"x-ms-summary=Location ID,x-ms-visibility=advanced"`
	// Public accounts to tag: up to 20; on an image, each at x and y (0 to 1 from the top left).
	UserTags []UserTag `json:"user_tags,omitempty" extensions:"x-ms-summary=User Tags,x-ms-visibility=advanced" maxItems:"20"`
	// Usernames of up to 3 accounts invited as collaborators (not on stories).
	Collaborators []string `json:"collaborators,omitempty" extensions:"x-ms-summary=Collaborators,x-ms-visibility=advanced" maxItems:"3"`
	// Public URL of a reel's cover image.
	CoverURL string `json:"cover_url,omitempty" extensions:"x-ms-summary=Cover URL,x-ms-visibility=advanced"`
	// The frame of a video or reel to use as its thumbnail, in milliseconds from the start.
	ThumbOffset *int `json:"thumb_offset,omitempty" extensions:"x-ms-summary=Thumbnail Offset,x-ms-visibility=advanced" minimum:"0"`
	// Whether a reel also appears in the feed (Instagram's default: true).
	ShareToFeed *bool `json:"share_to_feed,omitempty" extensions:"x-ms-summary=Share to Feed,x-ms-visibility=advanced"`
	// The name of a reel's audio, at most 255 characters.
	AudioName string `json:"audio_name,omitempty" extensions:"x-ms-summary=Audio Name,x-ms-visibility=advanced" maxLength:"255"`
	// Makes an image or video container a carousel item, to list later in a carousel container's children (Create Media Container only).
	IsCarouselItem bool `json:"is_carousel_item,omitempty" extensions:"x-ms-summary=Carousel Item,x-ms-visibility=advanced"`
}

// PublishRequest is the body of Publish: creation_id alone, or what Create
// Media Container takes.
type PublishRequest struct {
	// ID of a FINISHED container to publish as it is; send it alone.
	CreationID string `json:"creation_id,omitempty" extensions:"x-ms-summary=Container ID,x-ms-visibility=advanced" example:"17889615691921648"`
	ContainerRequest
}

// PublishChild is one carousel item: an image or a video URL.
type PublishChild struct {
	// Public URL of an image item.
	ImageURL string `json:"image_url,omitempty" extensions:"x-ms-summary=Image URL"`
	// Public URL of a video item.
	VideoURL string `json:"video_url,omitempty" extensions:"x-ms-summary=Video URL"`
}

// UserTag is an account tagged in a media.
type UserTag struct {
	// The tagged account's username.
	Username string `json:"username" binding:"required" extensions:"x-ms-summary=Username"`
	// Horizontal position on an image, 0 (left) to 1 (right).
	X *float64 `json:"x,omitempty" extensions:"x-ms-summary=X" minimum:"0" maximum:"1"`
	// Vertical position on an image, 0 (top) to 1 (bottom).
	Y *float64 `json:"y,omitempty" extensions:"x-ms-summary=Y" minimum:"0" maximum:"1"`
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

// decodePublish decodes and validates a Publish body, before any upstream
// call.
func decodePublish(raw []byte) (any, error) {
	p, err := decodeMediaBody(raw, true)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// decodeContainer decodes and validates a Create Media Container body: what
// Publish takes, but creation_id.
func decodeContainer(raw []byte) (any, error) {
	p, err := decodeMediaBody(raw, false)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// decodeMediaBody is the one decoder of Publish (publish) and Create Media
// Container bodies.
func decodeMediaBody(raw []byte, publish bool) (*PublishRequest, error) {
	var p PublishRequest
	if err := decodeStrict(raw, &p, `{"creation_id":…} or {"image_url":…}`); err != nil {
		return nil, err
	}
	if err := p.validate(publish); err != nil {
		return nil, err
	}
	return &p, nil
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

func (p *PublishRequest) validate(publish bool) error {
	if p.CreationID != "" {
		if !publish {
			return bad("creation_id names a container to publish: send it to Publish")
		}
		if !reflect.ValueOf(p.ContainerRequest).IsZero() {
			return bad("creation_id publishes an existing container: send it alone")
		}
		if !connectors.ValidID(p.CreationID) {
			return bad("creation_id must be a numeric container ID")
		}
		return nil
	}
	if publish && p.IsCarouselItem {
		return bad("a carousel item is published only in its carousel: create it with Create Media Container")
	}
	return p.ContainerRequest.validate()
}

func (p *ContainerRequest) validate() error {
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
		case p.VideoURL != "" && p.IsCarouselItem:
			p.MediaType = "VIDEO"
		case p.VideoURL != "":
			p.MediaType = "REELS"
		default:
			p.MediaType = "IMAGE"
		}
	}
	if err := p.validateMedia(); err != nil {
		return err
	}
	if len(p.Children) > 0 && p.MediaType != "CAROUSEL" {
		return bad("children are only for media_type CAROUSEL")
	}
	for _, u := range [][2]string{{"image_url", p.ImageURL}, {"video_url", p.VideoURL}, {"cover_url", p.CoverURL}} {
		if u[1] != "" {
			if err := checkURL(u[0], u[1]); err != nil {
				return err
			}
		}
	}
	return p.validateOptions()
}

// validateMedia checks the media of the container's type.
func (p *ContainerRequest) validateMedia() error {
	switch p.MediaType {
	case "IMAGE":
		if p.ImageURL == "" {
			return bad("image_url is required for an image (or, to publish, send creation_id)")
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
			for _, u := range [][2]string{{"image_url", c.ImageURL}, {"video_url", c.VideoURL}} {
				if u[1] != "" {
					if err := checkURL(fmt.Sprintf("children[%d].%s", i, u[0]), u[1]); err != nil {
						return err
					}
				}
			}
		}
	default:
		return bad("media_type must be one of %s", strings.Join(mediaTypes, ", "))
	}
	return nil
}

// containerOption is an option of a container and the media types that
// take it.
type containerOption struct {
	name  string
	set   bool
	types []string
}

// validateOptions checks the container's options: each for the media types
// Instagram takes it on, with a valid value.
func (p *ContainerRequest) validateOptions() error {
	feed := []string{"IMAGE", "VIDEO", "REELS", "CAROUSEL"}
	for _, o := range []containerOption{
		{"alt_text", p.AltText != "", []string{"IMAGE"}},
		{"location_id", p.LocationID != "", feed},
		{"user_tags", len(p.UserTags) > 0, []string{"IMAGE", "VIDEO", "REELS", "STORIES"}},
		{"collaborators", len(p.Collaborators) > 0, feed},
		{"cover_url", p.CoverURL != "", []string{"REELS"}},
		{"thumb_offset", p.ThumbOffset != nil, []string{"VIDEO", "REELS"}},
		{"share_to_feed", p.ShareToFeed != nil, []string{"REELS"}},
		{"audio_name", p.AudioName != "", []string{"REELS"}},
		{"is_carousel_item", p.IsCarouselItem, []string{"IMAGE", "VIDEO"}},
	} {
		if o.set && !slices.Contains(o.types, p.MediaType) {
			return bad("%s is not an option of %s; it is one of %s", o.name, p.MediaType, strings.Join(o.types, ", "))
		}
	}
	if p.IsCarouselItem {
		for _, o := range []containerOption{
			{name: "caption", set: p.Caption != ""},
			{name: "location_id", set: p.LocationID != ""},
			{name: "collaborators", set: len(p.Collaborators) > 0},
		} {
			if o.set {
				return bad("%s belongs to the carousel, not to a carousel item", o.name)
			}
		}
	}
	if p.LocationID != "" && !connectors.ValidID(p.LocationID) {
		return bad("location_id must be a numeric location ID")
	}
	if n := len(p.UserTags); n > MaxUserTags {
		return bad("user_tags has %d tags; at most %d are allowed", n, MaxUserTags)
	}
	for i, t := range p.UserTags {
		if err := t.validate(i, p.MediaType == "IMAGE"); err != nil {
			return err
		}
	}
	if n := len(p.Collaborators); n > MaxCollaborators {
		return bad("collaborators has %d usernames; at most %d are allowed", n, MaxCollaborators)
	}
	for i, u := range p.Collaborators {
		if !usernameRe.MatchString(u) {
			return bad("collaborators[%d] is not an Instagram username", i)
		}
	}
	if p.ThumbOffset != nil && *p.ThumbOffset < 0 {
		return bad("thumb_offset must be 0 or more milliseconds")
	}
	if n := utf8.RuneCountInString(p.AudioName); n > MaxAudioName {
		return bad("audio_name has %d characters; at most %d are allowed", n, MaxAudioName)
	}
	return nil
}

// validate checks the i-th user tag; on an image, it needs its position.
func (t UserTag) validate(i int, image bool) error {
	if !usernameRe.MatchString(t.Username) {
		return bad("user_tags[%d].username is not an Instagram username", i)
	}
	if (t.X == nil) != (t.Y == nil) || image && t.X == nil {
		return bad("user_tags[%d] takes both x and y (required on an image)", i)
	}
	for _, v := range []struct {
		name string
		v    *float64
	}{{"x", t.X}, {"y", t.Y}} {
		if v.v != nil && !(*v.v >= 0 && *v.v <= 1) {
			return bad("user_tags[%d].%s must be from 0 to 1", i, v.name)
		}
	}
	return nil
}

// form returns the container's creation form (a carousel's children apart).
func (p *ContainerRequest) form() url.Values {
	form := url.Values{}
	set := func(k, v string) {
		if v != "" {
			form.Set(k, v)
		}
	}
	set("caption", p.Caption)
	switch p.MediaType {
	case "IMAGE":
		set("image_url", p.ImageURL)
		set("alt_text", p.AltText)
	case "VIDEO", "REELS":
		form.Set("media_type", p.MediaType)
		set("video_url", p.VideoURL)
	case "STORIES":
		form.Set("media_type", "STORIES")
		set("image_url", p.ImageURL)
		set("video_url", p.VideoURL)
	case "CAROUSEL":
		form.Set("media_type", "CAROUSEL")
	}
	set("location_id", p.LocationID)
	if len(p.UserTags) > 0 {
		b, _ := json.Marshal(p.UserTags)
		form.Set("user_tags", string(b))
	}
	if len(p.Collaborators) > 0 {
		b, _ := json.Marshal(p.Collaborators)
		form.Set("collaborators", string(b))
	}
	set("cover_url", p.CoverURL)
	if p.ThumbOffset != nil {
		form.Set("thumb_offset", strconv.Itoa(*p.ThumbOffset))
	}
	if p.ShareToFeed != nil {
		form.Set("share_to_feed", strconv.FormatBool(*p.ShareToFeed))
	}
	set("audio_name", p.AudioName)
	if p.IsCarouselItem {
		form.Set("is_carousel_item", "true")
	}
	return form
}

// userBase returns the upstream base path of the call's account:
// "/v21.0/1784…", "me" replaced by the connection's account.
func userBase(call *connectors.Call) string {
	user := call.Params["IG_USER_ID"]
	if user == "me" && call.UserID != "" {
		user = call.UserID
	}
	return "/" + call.Version + "/" + user
}

// publish runs the publishing flow: create the container(s), wait until
// FINISHED, publish. With creation_id it publishes that container alone.
func (c *Connector) publish(ctx context.Context, call *connectors.Call) (*connectors.Response, error) {
	p := call.Body.(*PublishRequest)
	base := userBase(call)
	creationID := p.CreationID
	if creationID == "" {
		deadline := time.Now().Add(c.PublishTimeout)
		wait := func(id string) error { return c.waitFinished(ctx, call, id, deadline) }
		var err error
		if _, creationID, err = c.createContainer(ctx, call, base, &p.ContainerRequest, wait); err != nil {
			return nil, err
		}
		if err := wait(creationID); err != nil {
			return nil, err
		}
	}
	return c.Client.Post(ctx, base+"/media_publish", url.Values{"creation_id": {creationID}}, call.Token)
}

// createMediaContainer creates a container and answers Instagram's {"id"}
// of it, without waiting for it or publishing it. A carousel's items are
// created first, and waited for: Instagram refuses a carousel whose items
// are not FINISHED.
func (c *Connector) createMediaContainer(ctx context.Context, call *connectors.Call) (*connectors.Response, error) {
	p := call.Body.(*PublishRequest)
	deadline := time.Now().Add(c.PublishTimeout)
	wait := func(id string) error { return c.waitFinished(ctx, call, id, deadline) }
	resp, _, err := c.createContainer(ctx, call, userBase(call), &p.ContainerRequest, wait)
	return resp, err
}

// createContainer creates the container of p, a carousel's children first,
// and returns Instagram's answer and the container's ID. waitChild, when
// set, is called on each child before the carousel is created.
func (c *Connector) createContainer(ctx context.Context, call *connectors.Call, base string, p *ContainerRequest, waitChild func(id string) error) (*connectors.Response, string, error) {
	form := p.form()
	if p.MediaType == "CAROUSEL" {
		ids := make([]string, 0, len(p.Children))
		for _, child := range p.Children {
			f := url.Values{"is_carousel_item": {"true"}}
			if child.ImageURL != "" {
				f.Set("image_url", child.ImageURL)
			} else {
				f.Set("media_type", "VIDEO")
				f.Set("video_url", child.VideoURL)
			}
			_, id, err := c.postContainer(ctx, base, f, call.Token)
			if err != nil {
				return nil, "", err
			}
			ids = append(ids, id)
		}
		if waitChild != nil {
			for _, id := range ids {
				if err := waitChild(id); err != nil {
					return nil, "", err
				}
			}
		}
		form.Set("children", strings.Join(ids, ","))
	}
	return c.postContainer(ctx, base, form, call.Token)
}

func (c *Connector) postContainer(ctx context.Context, base string, form url.Values, token string) (*connectors.Response, string, error) {
	resp, err := c.Client.Post(ctx, base+"/media", form, token)
	if err != nil {
		return nil, "", err
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(resp.Body, &out); err != nil || !connectors.ValidID(out.ID) {
		return nil, "", connectors.Errorf(connectors.CodeUpstreamError, "Instagram created a container without a valid id")
	}
	return resp, out.ID, nil
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
			// Upstream's words, scrubbed like every upstream message.
			reason := redactToken(capMessage(strings.TrimSpace(st.Status)), call.Token)
			return connectors.Errorf(connectors.CodePublishFailed, "container %s ended in %s: %s; nothing was published", id, st.StatusCode, reason)
		}
		left := time.Until(deadline)
		if left <= 0 {
			return connectors.Errorf(connectors.CodePublishTimeout,
				"container %s was still %s after %s; nothing was published (publish it later with creation_id %s)",
				id, knownStatus(st.StatusCode), c.PublishTimeout, id)
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

// knownStatus names a container status code Instagram documents, and
// nothing else of what upstream sent.
func knownStatus(s string) string {
	switch s {
	case "IN_PROGRESS", "FINISHED", "ERROR", "EXPIRED", "PUBLISHED":
		return s
	}
	return "not " + strconv.Quote("FINISHED")
}
