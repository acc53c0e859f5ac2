package instagram

import "github.com/igconnect/gateway/internal/triggers"

// Trigger operation IDs.
const (
	OpWhenNewMediaIsPosted = "WhenNewMediaIsPosted"
)

// TimeLayout is the layout of Instagram's timestamps: 2026-11-24T12:00:00+0000.
const TimeLayout = "2006-01-02T15:04:05-0700"

// Triggers returns the connector's polling triggers (a new copy each
// call). Each is documented by an annotated function below, as the actions
// are in operations.go, and is no row of the action table: the gateway
// serves it at /instagram[/{version}]/{Path} (internal/server's
// TestTriggersAnswerWhereDocumented checks each one's documented path).
func Triggers() []triggers.Trigger {
	return []triggers.Trigger{
		{
			Name: "When a new media is posted", OperationID: OpWhenNewMediaIsPosted,
			Path: "triggers/new-media", List: "me/media", Poll: OpGetMyMedia,
			IDField: "id", TimeField: "timestamp", TimeLayout: TimeLayout,
		},
	}
}

// Triggers returns the connector's polling triggers.
func (c *Connector) Triggers() []triggers.Trigger { return Triggers() }

var _ triggers.Source = (*Connector)(nil)

// NewMediaAnswer is the answer of When a new media is posted when media
// are new: the media posted since the last poll, oldest first, in value
// (Power Automate's batch trigger runs the flow once per item), and the
// same list in data, the gateway's envelope.
type NewMediaAnswer struct {
	// The new media, oldest first.
	Value []Media `json:"value" extensions:"x-ms-summary=New Media"`
	// The same media, oldest first.
	Data []Media `json:"data" extensions:"x-ms-summary=Data"`
}

// whenNewMediaIsPosted godoc
//
//	@Summary			When a new media is posted
//	@Description		Runs the flow once for each media (photo, video, reel, album) posted on the connection's Instagram account after the flow was turned on, oldest first. Power Automate polls: while nothing is new the gateway answers 202 with Location (the next poll, with the trigger's signed state) and Retry-After; with new media it answers 200 and the media in value. No media runs the flow twice, none is skipped, whichever gateway replica answers.
//	@ID					WhenNewMediaIsPosted
//	@Tags				Instagram
//	@Produce			json
//	@Param				fields	query		string			false	"Comma-separated fields of each media: id, caption, comments_count, is_comment_enabled, is_shared_to_feed, like_count, media_product_type, media_type, media_url, owner, permalink, shortcode, thumbnail_url, timestamp, username, alt_text. id and timestamp always come."	extensions(x-ms-summary=Fields,x-ms-visibility=advanced)
//	@Param				state	query		string			false	"The trigger's state: the gateway sets it in Location; leave it empty."																																							extensions(x-ms-summary=State,x-ms-visibility=internal)
//	@Success			200		{object}	NewMediaAnswer	"The media posted since the last poll, oldest first."
//	@Success			202		"Nothing new yet: poll Location again after Retry-After seconds."
//	@Header				200,202	{string}		Location	"The URL of the next poll: this route with the trigger's new state."
//	@Header				200,202	{integer}		Retry-After	"Seconds to wait before the next poll."
//	@Failure			400		"A bad field, or a state the gateway did not give this connection."
//	@Failure			401		"A missing or wrong API key, or an expired Instagram token."
//	@Failure			429		"The connection's rate limit is spent."
//	@Failure			502		"Instagram failed."
//	@Security			apiKey
//	@x-ms-trigger		"batch"
//	@x-ms-trigger-hint	"To see it work now, post a photo on the connected Instagram account."
//	@x-ms-visibility	"important"
//	@Router				/triggers/new-media [get]
func whenNewMediaIsPosted() {}
