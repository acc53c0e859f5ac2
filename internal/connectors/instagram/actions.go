// Package instagram is the Instagram connector: its action table, fields and
// defaults, and the client of the Instagram Graph API (Instagram Login).
package instagram

import (
	"net/http"

	"github.com/igconnect/gateway/internal/connectors"
)

// Fields of the nodes, as the Graph API reference lists them for the
// Instagram API with Instagram Login.
var (
	UserFields = []string{"id", "user_id", "username", "name", "account_type", "profile_picture_url",
		"followers_count", "follows_count", "media_count", "biography", "website"}
	MediaFields = []string{"id", "caption", "comments_count", "is_comment_enabled", "is_shared_to_feed",
		"like_count", "media_product_type", "media_type", "media_url", "owner", "permalink", "shortcode",
		"thumbnail_url", "timestamp", "username", "alt_text"}
	PublishingLimitFields = []string{"quota_usage", "config"}
)

// Defaults of the Power Automate connector.
const (
	DefaultUserFields  = "id,username,account_type,media_count"
	DefaultMediaFields = "id,caption,media_type,media_url,permalink,thumbnail_url,timestamp,username"
)

// Paging parameters of list actions.
var pagingQuery = []connectors.QueryParam{
	{Name: "limit", Kind: connectors.QueryInt, Min: 1, Max: 100},
	{Name: "after", Kind: connectors.QueryCursor},
	{Name: "before", Kind: connectors.QueryCursor},
}

// Action operation IDs.
const (
	OpGetMyDetails              = "GetMyDetails"
	OpGetMyMedia                = "GetMyMedia"
	OpGetMediaDetails           = "GetMediaDetails"
	OpPublish                   = "Publish"
	OpGetMediaChildren          = "GetMediaChildren"
	OpGetContentPublishingLimit = "GetContentPublishingLimit"
)

// Actions returns the connector's action table (a new copy each call).
func Actions() []*connectors.Action {
	return []*connectors.Action{
		{
			Name: "Get My Details", OperationID: OpGetMyDetails, Method: http.MethodGet,
			Path: "me", Fields: UserFields, DefaultFields: DefaultUserFields,
		},
		{
			Name: "Get my Media", OperationID: OpGetMyMedia, Method: http.MethodGet,
			Path: "me/media", Fields: MediaFields, DefaultFields: DefaultMediaFields,
			Query: pagingQuery, Paged: true,
		},
		{
			Name: "Get Media Details", OperationID: OpGetMediaDetails, Method: http.MethodGet,
			Path: "{IG_MEDIA_ID}", Fields: MediaFields, DefaultFields: DefaultMediaFields,
		},
		{
			Name: "Publish", OperationID: OpPublish, Method: http.MethodPost,
			Path: "{IG_USER_ID}/media_publish", MeParams: []string{"IG_USER_ID"},
			Body: decodePublish, Publishes: true,
		},
		{
			Name: "Get Media Children", OperationID: OpGetMediaChildren, Method: http.MethodGet,
			Path: "{IG_MEDIA_ID}/children", Fields: MediaFields, DefaultFields: DefaultMediaFields,
			Query: pagingQuery, Paged: true,
		},
		{
			Name: "Get Content Publishing Limit", OperationID: OpGetContentPublishingLimit, Method: http.MethodGet,
			Path: "{IG_USER_ID}/content_publishing_limit", MeParams: []string{"IG_USER_ID"},
			Fields: PublishingLimitFields, DefaultFields: "quota_usage,config",
		},
	}
}
