package instagram

import (
	"net/url"
	"strings"
	"testing"

	"github.com/igconnect/gateway/internal/connectors"
)

// The small bodies decode strictly into the form Instagram takes.
func TestSmallBodies(t *testing.T) {
	tests := []struct {
		name   string
		decode func([]byte) (any, error)
		body   string
		form   string // "" when refused
	}{
		{"comments on", decodeUpdateMedia, `{"comment_enabled":true}`, "comment_enabled=true"},
		{"comments off", decodeUpdateMedia, `{"comment_enabled":false}`, "comment_enabled=false"},
		{"comments null", decodeUpdateMedia, `{"comment_enabled":null}`, ""},
		{"comments as text", decodeUpdateMedia, `{"comment_enabled":"false"}`, ""},
		{"comments and more", decodeUpdateMedia, `{"comment_enabled":true,"caption":"x"}`, ""},
		{"hide to update", decodeUpdateMedia, `{"hide":true}`, ""},
		{"comments, twice", decodeUpdateMedia, `{"comment_enabled":true}{}`, ""},
		{"hide", decodeHideComment, `{"hide":true}`, "hide=true"},
		{"show", decodeHideComment, `{"hide":false}`, "hide=false"},
		{"hide nothing", decodeHideComment, `{}`, ""},
		{"hide empty", decodeHideComment, ``, ""},
		{"hide an array", decodeHideComment, `[true]`, ""},
		{"message", decodeMessage, `{"message":"Thank you! 🎉"}`, "message=" + url.QueryEscape("Thank you! 🎉")},
		{"message with lines", decodeMessage, `{"message":"one\ntwo"}`, "message=one%0Atwo"},
		{"message at the limit", decodeMessage, `{"message":"` + strings.Repeat("é", MaxMessage) + `"}`, "message=" + url.QueryEscape(strings.Repeat("é", MaxMessage))},
		{"message over the limit", decodeMessage, `{"message":"` + strings.Repeat("é", MaxMessage+1) + `"}`, ""},
		{"blank message", decodeMessage, `{"message":" \t"}`, ""},
		{"no message", decodeMessage, `{}`, ""},
		{"message and more", decodeMessage, `{"message":"hi","media_id":"1"}`, ""},
		{"message not text", decodeMessage, `{"message":5}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := tt.decode([]byte(tt.body))
			if tt.form == "" {
				if connectors.ErrorCode(err) != connectors.CodeBadRequest {
					t.Fatalf("got %v, %v; want BAD_REQUEST", v, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := v.(url.Values).Encode(); got != tt.form {
				t.Fatalf("form %q, want %q", got, tt.form)
			}
		})
	}
}

// Create Media Container and Publish share one decoder: the container's
// options are checked for the media type that takes them; only Publish
// takes creation_id, only Create Media Container makes a carousel item.
func TestContainerBodies(t *testing.T) {
	const img = `"image_url":"https://example.com/a.jpg"`
	const vid = `"video_url":"https://example.com/a.mp4"`
	tests := []struct {
		name, body         string
		container, publish bool
		// form is the container's creation form (encoded), when accepted.
		form string
	}{
		{"image", `{` + img + `}`, true, true, "image_url=https%3A%2F%2Fexample.com%2Fa.jpg"},
		{"image with options", `{` + img + `,"caption":"hi","alt_text":"a cat","location_id":"123","user_tags":[{"username":"a.b_c","x":0.5,"y":1}],"collaborators":["friend"]}`, true, true,
			"alt_text=a+cat&caption=hi&collaborators=%5B%22friend%22%5D&image_url=https%3A%2F%2Fexample.com%2Fa.jpg&location_id=123&user_tags=%5B%7B%22username%22%3A%22a.b_c%22%2C%22x%22%3A0.5%2C%22y%22%3A1%7D%5D"},
		{"reel with options", `{` + vid + `,"cover_url":"https://example.com/c.jpg","thumb_offset":1500,"share_to_feed":false,"audio_name":"Theme","user_tags":[{"username":"friend"}]}`, true, true,
			"audio_name=Theme&cover_url=https%3A%2F%2Fexample.com%2Fc.jpg&media_type=REELS&share_to_feed=false&thumb_offset=1500&user_tags=%5B%7B%22username%22%3A%22friend%22%7D%5D&video_url=https%3A%2F%2Fexample.com%2Fa.mp4"},
		{"story", `{"media_type":"stories",` + img + `}`, true, true, "image_url=https%3A%2F%2Fexample.com%2Fa.jpg&media_type=STORIES"},
		{"carousel", `{"caption":"album","collaborators":["a","b","c"],"children":["https://example.com/a.jpg",{` + vid + `}]}`, true, true,
			"caption=album&collaborators=%5B%22a%22%2C%22b%22%2C%22c%22%5D&media_type=CAROUSEL"},
		{"image carousel item", `{` + img + `,"is_carousel_item":true,"user_tags":[{"username":"x","x":0,"y":0}]}`, true, false,
			"image_url=https%3A%2F%2Fexample.com%2Fa.jpg&is_carousel_item=true&user_tags=%5B%7B%22username%22%3A%22x%22%2C%22x%22%3A0%2C%22y%22%3A0%7D%5D"},
		{"video carousel item", `{` + vid + `,"is_carousel_item":true}`, true, false,
			"is_carousel_item=true&media_type=VIDEO&video_url=https%3A%2F%2Fexample.com%2Fa.mp4"},
		{"creation id", `{"creation_id":"1789"}`, false, true, ""},
		{"creation id with an option", `{"creation_id":"1789","share_to_feed":true}`, false, false, ""},
		{"creation id with an empty list", `{"creation_id":"1789","user_tags":[]}`, false, false, ""},
		{"alt text on a reel", `{` + vid + `,"alt_text":"x"}`, false, false, ""},
		{"cover on an image", `{` + img + `,"cover_url":"https://example.com/c.jpg"}`, false, false, ""},
		{"cover not a URL", `{` + vid + `,"cover_url":"c.jpg"}`, false, false, ""},
		{"share to feed on a story", `{"media_type":"STORIES",` + vid + `,"share_to_feed":true}`, false, false, ""},
		{"location on a story", `{"media_type":"STORIES",` + img + `,"location_id":"1"}`, false, false, ""},
		{"location not digits", `{` + img + `,"location_id":"Paris"}`, false, false, ""},
		{"collaborators on a story", `{"media_type":"STORIES",` + img + `,"collaborators":["a"]}`, false, false, ""},
		{"four collaborators", `{` + img + `,"collaborators":["a","b","c","d"]}`, false, false, ""},
		{"a collaborator with a space", `{` + img + `,"collaborators":["a b"]}`, false, false, ""},
		{"user tags on a carousel", `{"user_tags":[{"username":"a","x":0,"y":0}],"children":["https://example.com/a.jpg","https://example.com/b.jpg"]}`, false, false, ""},
		{"an image tag without a position", `{` + img + `,"user_tags":[{"username":"a"}]}`, false, false, ""},
		{"a tag with x only", `{` + vid + `,"user_tags":[{"username":"a","x":0.2}]}`, false, false, ""},
		{"a tag off the image", `{` + img + `,"user_tags":[{"username":"a","x":1.5,"y":0}]}`, false, false, ""},
		{"a tag without username", `{` + img + `,"user_tags":[{"x":0.5,"y":0.5}]}`, false, false, ""},
		{"a tag with more", `{` + img + `,"user_tags":[{"username":"a","x":0.5,"y":0.5,"z":1}]}`, false, false, ""},
		{"21 tags", `{` + vid + `,"user_tags":[` + strings.TrimSuffix(strings.Repeat(`{"username":"a"},`, 21), ",") + `]}`, false, false, ""},
		{"a negative thumb offset", `{` + vid + `,"thumb_offset":-1}`, false, false, ""},
		{"a fractional thumb offset", `{` + vid + `,"thumb_offset":1.5}`, false, false, ""},
		{"a thumb offset on an image", `{` + img + `,"thumb_offset":0}`, false, false, ""},
		{"a long audio name", `{` + vid + `,"audio_name":"` + strings.Repeat("a", MaxAudioName+1) + `"}`, false, false, ""},
		{"a carousel item reel", `{"media_type":"REELS",` + vid + `,"is_carousel_item":true}`, false, false, ""},
		{"a carousel item with a caption", `{` + img + `,"is_carousel_item":true,"caption":"x"}`, false, false, ""},
		{"a carousel of carousel items", `{"is_carousel_item":true,"children":["https://example.com/a.jpg","https://example.com/b.jpg"]}`, false, false, ""},
		{"an unknown option", `{` + img + `,"product_tags":[]}`, false, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, d := range []struct {
				name   string
				decode func([]byte) (any, error)
				ok     bool
			}{{"container", decodeContainer, tt.container}, {"publish", decodePublish, tt.publish}} {
				v, err := d.decode([]byte(tt.body))
				if (err == nil) != d.ok {
					t.Fatalf("%s: err = %v, want ok %v", d.name, err, d.ok)
				}
				if err != nil {
					if connectors.ErrorCode(err) != connectors.CodeBadRequest {
						t.Fatalf("%s: code %s", d.name, connectors.ErrorCode(err))
					}
					continue
				}
				p := v.(*PublishRequest)
				if tt.form != "" {
					if got := p.form().Encode(); got != tt.form {
						t.Fatalf("%s: form\n%s, want\n%s", d.name, got, tt.form)
					}
				}
			}
		})
	}
}
