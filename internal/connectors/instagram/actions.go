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
	CommentFields = []string{"id", "from", "hidden", "like_count", "media", "parent_id", "replies", "text",
		"timestamp", "user", "username"}
	ContainerFields       = []string{"id", "status", "status_code"}
	PublishingLimitFields = []string{"quota_usage", "config"}
)

// Defaults of the Power Automate connector.
const (
	DefaultUserFields      = "id,username,account_type,media_count"
	DefaultMediaFields     = "id,caption,media_type,media_url,permalink,thumbnail_url,timestamp,username"
	DefaultCommentFields   = "id,text,timestamp,username,like_count,hidden"
	DefaultContainerFields = "status_code,status"
)

// Paging parameters of list actions.
var pagingQuery = []connectors.QueryParam{
	{Name: "limit", Kind: connectors.QueryInt, Min: 1, Max: 100},
	{Name: "after", Kind: connectors.QueryCursor},
	{Name: "before", Kind: connectors.QueryCursor},
}

// me: the path parameter IG_USER_ID also accepts "me".
var me = []string{"IG_USER_ID"}

// Action operation IDs.
const (
	OpGetMyDetails              = "GetMyDetails"
	OpGetMyMedia                = "GetMyMedia"
	OpGetMediaDetails           = "GetMediaDetails"
	OpGetUserDetails            = "GetUserDetails"
	OpGetComment                = "GetComment"
	OpGetContainerStatus        = "GetContainerStatus"
	OpUpdateMedia               = "UpdateMedia"
	OpHideComment               = "HideComment"
	OpDeleteMedia               = "DeleteMedia"
	OpDeleteComment             = "DeleteComment"
	OpGetMediaInsights          = "GetMediaInsights"
	OpGetAccountInsights        = "GetAccountInsights"
	OpGetStories                = "GetStories"
	OpGetTaggedMedia            = "GetTaggedMedia"
	OpGetLiveMedia              = "GetLiveMedia"
	OpGetContentPublishingLimit = "GetContentPublishingLimit"
	OpCreateMediaContainer      = "CreateMediaContainer"
	OpPublish                   = "Publish"
	OpGetMediaChildren          = "GetMediaChildren"
	OpGetMediaComments          = "GetMediaComments"
	OpCreateComment             = "CreateComment"
	OpGetCommentReplies         = "GetCommentReplies"
	OpReplyToComment            = "ReplyToComment"
)

// maxUnixTime bounds since and until (Unix seconds).
const maxUnixTime = connectors.MaxUnixTime

// Query parameters of Get Account Insights, as Instagram defines them.
var accountInsightsQuery = []connectors.QueryParam{
	{Name: "metric", Kind: connectors.QueryList, Values: AccountMetrics, Required: true},
	{Name: "period", Kind: connectors.QueryEnum, Values: fixed(AccountPeriods), Required: true}, // Instagram refuses account insights without one
	{Name: "since", Kind: connectors.QueryInt, Min: 1, Max: maxUnixTime},
	{Name: "until", Kind: connectors.QueryInt, Min: 1, Max: maxUnixTime},
	{Name: "metric_type", Kind: connectors.QueryEnum, Values: fixed(MetricTypes)},
	{Name: "breakdown", Kind: connectors.QueryList, Values: fixed(AccountBreakdowns)},
	{Name: "timeframe", Kind: connectors.QueryEnum, Values: Timeframes},
}

// Query parameters of Get Media Insights.
var mediaInsightsQuery = []connectors.QueryParam{
	{Name: "metric", Kind: connectors.QueryList, Values: MediaMetrics, Required: true},
	{Name: "metric_type", Kind: connectors.QueryEnum, Values: fixed(MetricTypes)},
	{Name: "breakdown", Kind: connectors.QueryList, Values: fixed(MediaBreakdowns)},
}

// Actions returns the connector's action table (a new copy each call).
//
// Order matters where rows share a new-format path (/{ID}, /{ID}/insights):
// the router resolves such a request to the first row, in order, that
// accepts its IDs, query and body, and to the first row when none does. So
// the media rows come first (an ID alone is a media), then the user,
// comment and container rows, which the fields, metrics or body they take
// tell apart.
func Actions() []*connectors.Action {
	return []*connectors.Action{
		{
			Name: "Get My Details", OperationID: OpGetMyDetails, Method: http.MethodGet,
			Path: "me", Fields: UserFields, DefaultFields: DefaultUserFields,
		},
		{
			Name: "Get my Media", OperationID: OpGetMyMedia, Method: http.MethodGet,
			Path: "{IG_USER_ID}/media", MeParams: me, Fields: MediaFields, DefaultFields: DefaultMediaFields,
			Query: pagingQuery, Paged: true,
		},
		// GET /{ID}: a media, a user, a comment or a container.
		{
			Name: "Get Media Details", OperationID: OpGetMediaDetails, Method: http.MethodGet,
			Path: "{IG_MEDIA_ID}", Fields: MediaFields, DefaultFields: DefaultMediaFields,
		},
		{
			Name: "Get User Details", OperationID: OpGetUserDetails, Method: http.MethodGet,
			Path: "{IG_USER_ID}", MeParams: me, Fields: UserFields, DefaultFields: DefaultUserFields,
		},
		{
			Name: "Get Comment Details", OperationID: OpGetComment, Method: http.MethodGet,
			Path: "{IG_COMMENT_ID}", Fields: CommentFields, DefaultFields: DefaultCommentFields,
		},
		{
			Name: "Get Container Status", OperationID: OpGetContainerStatus, Method: http.MethodGet,
			Path: "{IG_CONTAINER_ID}", Fields: ContainerFields, DefaultFields: DefaultContainerFields,
		},
		// POST /{ID}: a media's comments switch, or a comment's visibility.
		{
			Name: "Update Media", OperationID: OpUpdateMedia, Method: http.MethodPost,
			Path: "{IG_MEDIA_ID}", Body: decodeUpdateMedia,
		},
		{
			Name: "Hide Comment", OperationID: OpHideComment, Method: http.MethodPost,
			Path: "{IG_COMMENT_ID}", Body: decodeHideComment,
		},
		// DELETE /{ID}: a media or a comment.
		{
			Name: "Delete Media", OperationID: OpDeleteMedia, Method: http.MethodDelete,
			Path: "{IG_MEDIA_ID}",
		},
		{
			Name: "Delete Comment", OperationID: OpDeleteComment, Method: http.MethodDelete,
			Path: "{IG_COMMENT_ID}",
		},
		// GET /{ID}/insights: a media's or the account's.
		{
			Name: "Get Media Insights", OperationID: OpGetMediaInsights, Method: http.MethodGet,
			Path: "{IG_MEDIA_ID}/insights", Query: mediaInsightsQuery, Paged: true,
		},
		{
			Name: "Get Account Insights", OperationID: OpGetAccountInsights, Method: http.MethodGet,
			Path: "{IG_USER_ID}/insights", MeParams: me, Query: accountInsightsQuery, Paged: true,
		},
		// The account's other edges.
		{
			Name: "Get Stories", OperationID: OpGetStories, Method: http.MethodGet,
			Path: "{IG_USER_ID}/stories", MeParams: me, Fields: MediaFields, DefaultFields: DefaultMediaFields,
			Query: pagingQuery, Paged: true,
		},
		{
			Name: "Get Tagged Media", OperationID: OpGetTaggedMedia, Method: http.MethodGet,
			Path: "{IG_USER_ID}/tags", MeParams: me, Fields: MediaFields, DefaultFields: DefaultMediaFields,
			Query: pagingQuery, Paged: true,
		},
		{
			Name: "Get Live Media", OperationID: OpGetLiveMedia, Method: http.MethodGet,
			Path: "{IG_USER_ID}/live_media", MeParams: me, Fields: MediaFields, DefaultFields: DefaultMediaFields,
			Query: pagingQuery, Paged: true,
		},
		{
			Name: "Get Content Publishing Limit", OperationID: OpGetContentPublishingLimit, Method: http.MethodGet,
			Path: "{IG_USER_ID}/content_publishing_limit", MeParams: me,
			Fields: PublishingLimitFields, DefaultFields: "quota_usage,config",
		},
		// Publishing.
		{
			Name: "Create Media Container", OperationID: OpCreateMediaContainer, Method: http.MethodPost,
			Path: "{IG_USER_ID}/media", MeParams: me, Body: decodeContainer,
		},
		{
			Name: "Publish", OperationID: OpPublish, Method: http.MethodPost,
			Path: "{IG_USER_ID}/media_publish", MeParams: me,
			Body: decodePublish, Publishes: true,
		},
		// A media's edges, and comments.
		{
			Name: "Get Media Children", OperationID: OpGetMediaChildren, Method: http.MethodGet,
			Path: "{IG_MEDIA_ID}/children", Fields: MediaFields, DefaultFields: DefaultMediaFields,
			Query: pagingQuery, Paged: true,
		},
		{
			Name: "Get Comments on Media", OperationID: OpGetMediaComments, Method: http.MethodGet,
			Path: "{IG_MEDIA_ID}/comments", Fields: CommentFields, DefaultFields: DefaultCommentFields,
			Query: pagingQuery, Paged: true,
		},
		{
			Name: "Create Comment", OperationID: OpCreateComment, Method: http.MethodPost,
			Path: "{IG_MEDIA_ID}/comments", Body: decodeMessage,
		},
		{
			Name: "Get Comment Replies", OperationID: OpGetCommentReplies, Method: http.MethodGet,
			Path: "{IG_COMMENT_ID}/replies", Fields: CommentFields, DefaultFields: DefaultCommentFields,
			Query: pagingQuery, Paged: true,
		},
		{
			Name: "Reply to Comment", OperationID: OpReplyToComment, Method: http.MethodPost,
			Path: "{IG_COMMENT_ID}/replies", Body: decodeMessage,
		},
	}
}
