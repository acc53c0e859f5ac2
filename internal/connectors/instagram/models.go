package instagram

// Shapes of the Instagram Graph API answers, as documented in the Swagger
// definition. The gateway passes upstream bodies through; these types exist
// for the definition and for clients generated from it.

// User is an Instagram professional account (Instagram Login).
type User struct {
	// The app-scoped ID of the Instagram user.
	ID string `json:"id" extensions:"x-ms-summary=ID" example:"17841400000000001"`
	// The Instagram professional account ID (the one webhooks name).
	UserID string `json:"user_id,omitempty" extensions:"x-ms-summary=Professional ID"`
	// The user's username.
	Username string `json:"username,omitempty" extensions:"x-ms-summary=Username" example:"sandbox_creator"`
	// The user's name.
	Name string `json:"name,omitempty" extensions:"x-ms-summary=Name"`
	// The account type: BUSINESS or MEDIA_CREATOR.
	AccountType string `json:"account_type,omitempty" extensions:"x-ms-summary=Type" example:"BUSINESS"`
	// The URL of the user's profile picture.
	ProfilePictureURL string `json:"profile_picture_url,omitempty" extensions:"x-ms-summary=Profile Picture URL"`
	// The number of accounts following the user.
	FollowersCount int `json:"followers_count,omitempty" extensions:"x-ms-summary=Followers Count"`
	// The number of accounts the user follows.
	FollowsCount int `json:"follows_count,omitempty" extensions:"x-ms-summary=Follows Count"`
	// The number of media objects the user has published.
	MediaCount int `json:"media_count,omitempty" extensions:"x-ms-summary=Media Count" example:"30"`
	// The user's biography.
	Biography string `json:"biography,omitempty" extensions:"x-ms-summary=Biography"`
	// The website on the user's profile.
	Website string `json:"website,omitempty" extensions:"x-ms-summary=Website"`
}

// Owner is the account that owns a media object.
type Owner struct {
	// The owner's Instagram user ID.
	ID string `json:"id" extensions:"x-ms-summary=ID"`
}

// Media is an Instagram photo, video, reel or carousel album.
type Media struct {
	// The media object's ID.
	ID string `json:"id" extensions:"x-ms-summary=ID" example:"17895695668004550"`
	// The caption, without hashtags of comments.
	Caption string `json:"caption,omitempty" extensions:"x-ms-summary=Caption"`
	// The media's type: IMAGE, VIDEO or CAROUSEL_ALBUM.
	MediaType string `json:"media_type,omitempty" extensions:"x-ms-summary=Type" example:"IMAGE"`
	// The surface the media was published on: FEED, REELS, STORY or AD.
	MediaProductType string `json:"media_product_type,omitempty" extensions:"x-ms-summary=Product Type"`
	// The media's URL. Omitted when the media holds copyrighted material.
	MediaURL string `json:"media_url,omitempty" extensions:"x-ms-summary=URL"`
	// The media's permanent URL. Omitted when the media holds copyrighted material.
	Permalink string `json:"permalink,omitempty" extensions:"x-ms-summary=Permalink"`
	// The media's shortcode.
	Shortcode string `json:"shortcode,omitempty" extensions:"x-ms-summary=Shortcode"`
	// The thumbnail image URL of a video.
	ThumbnailURL string `json:"thumbnail_url,omitempty" extensions:"x-ms-summary=Thumbnail URL"`
	// The publishing date, ISO 8601 in UTC.
	Timestamp string `json:"timestamp,omitempty" extensions:"x-ms-summary=Timestamp" example:"2026-11-24T12:00:00+0000"`
	// The username of the media's owner.
	Username string `json:"username,omitempty" extensions:"x-ms-summary=Username"`
	// The number of likes.
	LikeCount int `json:"like_count,omitempty" extensions:"x-ms-summary=Like Count"`
	// The number of comments.
	CommentsCount int `json:"comments_count,omitempty" extensions:"x-ms-summary=Comments Count"`
	// Whether comments are enabled.
	IsCommentEnabled bool `json:"is_comment_enabled,omitempty" extensions:"x-ms-summary=Comments Enabled"`
	// Whether a reel is also shown in the feed.
	IsSharedToFeed bool `json:"is_shared_to_feed,omitempty" extensions:"x-ms-summary=Shared to Feed"`
	// The alternative text of an image.
	AltText string `json:"alt_text,omitempty" extensions:"x-ms-summary=Alt Text"`
	// The media's owner.
	Owner *Owner `json:"owner,omitempty" extensions:"x-ms-summary=Owner"`
}

// Cursors mark the first and last item of a page.
type Cursors struct {
	// The cursor of the first item of the page.
	Before string `json:"before,omitempty" extensions:"x-ms-summary=Before Cursor"`
	// The cursor of the last item of the page.
	After string `json:"after,omitempty" extensions:"x-ms-summary=After Cursor"`
}

// Paging links to the pages around this one, on the gateway.
type Paging struct {
	// The cursors of this page.
	Cursors Cursors `json:"cursors" extensions:"x-ms-summary=Cursors"`
	// The gateway URL of the next page; absent on the last page.
	Next string `json:"next,omitempty" extensions:"x-ms-summary=Next Page"`
	// The gateway URL of the previous page; absent on the first page.
	Previous string `json:"previous,omitempty" extensions:"x-ms-summary=Previous Page"`
}

// MediaList is one page of media objects.
type MediaList struct {
	// The media objects of this page.
	Data []Media `json:"data" extensions:"x-ms-summary=Media"`
	// Links and cursors to the other pages.
	Paging *Paging `json:"paging,omitempty" extensions:"x-ms-summary=Paging"`
}

// PublishResult is the answer of Publish.
type PublishResult struct {
	// The ID of the published media object.
	ID string `json:"id" extensions:"x-ms-summary=ID" example:"17920238422030506"`
}

// PublishingLimitConfig is the publishing quota.
type PublishingLimitConfig struct {
	// Posts allowed in the quota's duration.
	QuotaTotal int `json:"quota_total" extensions:"x-ms-summary=Total"`
	// The quota's duration, in seconds.
	QuotaDuration int `json:"quota_duration" extensions:"x-ms-summary=Duration"`
}

// PublishingLimit is the account's use of its publishing quota.
type PublishingLimit struct {
	// Posts published in the current period.
	QuotaUsage int `json:"quota_usage" extensions:"x-ms-summary=Quota Usage"`
	// The quota.
	Config PublishingLimitConfig `json:"config" extensions:"x-ms-summary=Quota"`
}

// PublishingLimitList is the answer of Get Content Publishing Limit.
type PublishingLimitList struct {
	// One entry: the current period.
	Data []PublishingLimit `json:"data" extensions:"x-ms-summary=Limits"`
}

// CommentFrom is the account that wrote a comment.
type CommentFrom struct {
	// The commenter's Instagram-scoped ID.
	ID string `json:"id" extensions:"x-ms-summary=ID"`
	// The commenter's username.
	Username string `json:"username,omitempty" extensions:"x-ms-summary=Username"`
}

// CommentMedia is the media a comment is on.
type CommentMedia struct {
	// The media's ID.
	ID string `json:"id" extensions:"x-ms-summary=ID"`
	// The surface the media was published on: FEED, REELS, STORY or AD.
	MediaProductType string `json:"media_product_type,omitempty" extensions:"x-ms-summary=Product Type"`
}

// CommentUser is the account a comment belongs to, when it is the
// connection's own.
type CommentUser struct {
	// The account's ID.
	ID string `json:"id" extensions:"x-ms-summary=ID"`
}

// Reply is a reply to a comment, as the comment's replies field lists it.
type Reply struct {
	// The reply's ID.
	ID string `json:"id" extensions:"x-ms-summary=ID"`
	// The reply's text.
	Text string `json:"text,omitempty" extensions:"x-ms-summary=Text"`
	// The reply's date, ISO 8601 in UTC.
	Timestamp string `json:"timestamp,omitempty" extensions:"x-ms-summary=Timestamp"`
	// The username of the reply's author.
	Username string `json:"username,omitempty" extensions:"x-ms-summary=Username"`
}

// ReplyList is the replies field of a comment.
type ReplyList struct {
	// The replies.
	Data []Reply `json:"data" extensions:"x-ms-summary=Reply"`
}

// Comment is a comment on a media, or a reply to a comment.
type Comment struct {
	// The comment's ID.
	ID string `json:"id" extensions:"x-ms-summary=ID" example:"17870913679156914"`
	// The comment's text.
	Text string `json:"text,omitempty" extensions:"x-ms-summary=Text" example:"Lovely!"`
	// The comment's date, ISO 8601 in UTC.
	Timestamp string `json:"timestamp,omitempty" extensions:"x-ms-summary=Timestamp" example:"2026-11-24T12:00:00+0000"`
	// The username of the comment's author.
	Username string `json:"username,omitempty" extensions:"x-ms-summary=Username"`
	// The number of likes.
	LikeCount int `json:"like_count,omitempty" extensions:"x-ms-summary=Like Count"`
	// Whether the comment is hidden.
	Hidden bool `json:"hidden,omitempty" extensions:"x-ms-summary=Hidden"`
	// The ID of the comment this one replies to; absent on a top-level comment.
	ParentID string `json:"parent_id,omitempty" extensions:"x-ms-summary=Parent Comment ID"`
	// The comment's author.
	From *CommentFrom `json:"from,omitempty" extensions:"x-ms-summary=From"`
	// The media the comment is on.
	Media *CommentMedia `json:"media,omitempty" extensions:"x-ms-summary=Media"`
	// The connection's account, when it wrote the comment.
	User *CommentUser `json:"user,omitempty" extensions:"x-ms-summary=Account"`
	// The replies to the comment.
	Replies *ReplyList `json:"replies,omitempty" extensions:"x-ms-summary=Replies"`
}

// CommentList is one page of comments or replies.
type CommentList struct {
	// The comments of this page.
	Data []Comment `json:"data" extensions:"x-ms-summary=Comments"`
	// Links and cursors to the other pages.
	Paging *Paging `json:"paging,omitempty" extensions:"x-ms-summary=Paging"`
}

// ContainerStatus is the state of a media container.
type ContainerStatus struct {
	// The container's ID.
	ID string `json:"id,omitempty" extensions:"x-ms-summary=ID" example:"17889615691921648"`
	// IN_PROGRESS, FINISHED, PUBLISHED, ERROR or EXPIRED.
	StatusCode string `json:"status_code,omitempty" enums:"IN_PROGRESS,FINISHED,PUBLISHED,ERROR,EXPIRED" extensions:"x-ms-summary=Status Code" example:"FINISHED"`
	// Instagram's words on the status: why it failed, for one.
	Status string `json:"status,omitempty" extensions:"x-ms-summary=Status"`
}

// InsightValue is a metric's value over one period.
type InsightValue struct {
	// The value (online_followers' is an object of hours: read it through the Graph base path).
	Value int `json:"value" extensions:"x-ms-summary=Value"`
	// The end of the period, ISO 8601 in UTC.
	EndTime string `json:"end_time,omitempty" extensions:"x-ms-summary=End Time"`
}

// InsightBreakdownResult is a metric's value for one combination of
// dimension values.
type InsightBreakdownResult struct {
	// The dimension values, in the order of dimension_keys.
	DimensionValues []string `json:"dimension_values" extensions:"x-ms-summary=Dimension Values"`
	// The value.
	Value int `json:"value" extensions:"x-ms-summary=Value"`
}

// InsightBreakdown is a metric broken down by dimensions.
type InsightBreakdown struct {
	// The dimensions: media_product_type, follow_type, age…
	DimensionKeys []string `json:"dimension_keys" extensions:"x-ms-summary=Dimensions"`
	// The value of each combination.
	Results []InsightBreakdownResult `json:"results" extensions:"x-ms-summary=Results"`
}

// InsightTotal is a metric's total over the range asked (metric_type
// total_value), with its breakdowns.
type InsightTotal struct {
	// The total.
	Value int `json:"value" extensions:"x-ms-summary=Total"`
	// The total broken down, when a breakdown was asked.
	Breakdowns []InsightBreakdown `json:"breakdowns,omitempty" extensions:"x-ms-summary=Breakdowns"`
}

// Insight is one metric.
type Insight struct {
	// The metric's name: reach, views…
	Name string `json:"name" extensions:"x-ms-summary=Name" example:"reach"`
	// The period: day, week, days_28, month or lifetime.
	Period string `json:"period,omitempty" extensions:"x-ms-summary=Period" example:"lifetime"`
	// The metric's title.
	Title string `json:"title,omitempty" extensions:"x-ms-summary=Title"`
	// What the metric counts.
	Description string `json:"description,omitempty" extensions:"x-ms-summary=Description"`
	// The metric's ID.
	ID string `json:"id,omitempty" extensions:"x-ms-summary=ID"`
	// The values by period (metric_type time_series, and media metrics).
	Values []InsightValue `json:"values,omitempty" extensions:"x-ms-summary=Values"`
	// The total over the range (metric_type total_value).
	TotalValue *InsightTotal `json:"total_value,omitempty" extensions:"x-ms-summary=Total Value"`
}

// InsightList is the metrics asked.
type InsightList struct {
	// One entry per metric.
	Data []Insight `json:"data" extensions:"x-ms-summary=Metrics"`
	// Instagram's time windows, their links on the gateway.
	Paging *Paging `json:"paging,omitempty" extensions:"x-ms-summary=Paging"`
}

// IDResult is the ID of an object created.
type IDResult struct {
	// The new object's ID.
	ID string `json:"id" extensions:"x-ms-summary=ID" example:"17889615691921648"`
}

// SuccessResult is Instagram's answer to an update or a deletion.
type SuccessResult struct {
	// True when Instagram made the change.
	Success bool `json:"success" extensions:"x-ms-summary=Success" example:"true"`
}
