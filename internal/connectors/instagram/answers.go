package instagram

// The gateway's answers for each action, as the definition documents them:
// the {"data": …} envelope around Instagram's shapes. A list answer (a
// *Page, InsightsAnswer) also carries, at its root where Power Automate
// pages, its items in value (the same as data.data) and the gateway URL of
// the next page in nextLink.

// UserAnswer is the answer of Get My Details and Get User Details.
type UserAnswer struct {
	// The account.
	Data User `json:"data" extensions:"x-ms-summary=Account"`
}

// MediaAnswer is the answer of Get Media Details.
type MediaAnswer struct {
	// The media object.
	Data Media `json:"data" extensions:"x-ms-summary=Media"`
}

// MediaPage is the answer of a media list (Get my Media, Get Stories, Get
// Tagged Media, Get Live Media, Get Media Children): Instagram's page, and
// at the root its media and the gateway URL of the next page (Power
// Automate's x-ms-pageable reads both there).
type MediaPage struct {
	// One page of media as Instagram answered it, with paging links on the gateway.
	Data MediaList `json:"data" extensions:"x-ms-summary=Page"`
	// The media of this page, the same as the page's own list.
	Value []Media `json:"value" extensions:"x-ms-summary=Media"`
	// The gateway URL of the next page; absent on the last page.
	NextLink string `json:"nextLink,omitempty" extensions:"x-ms-summary=Next Link"`
}

// PublishAnswer is the answer of Publish.
type PublishAnswer struct {
	// The published media.
	Data PublishResult `json:"data" extensions:"x-ms-summary=Published Media"`
}

// PublishingLimitAnswer is the answer of Get Content Publishing Limit.
type PublishingLimitAnswer struct {
	// The quota and its use.
	Data PublishingLimitList `json:"data" extensions:"x-ms-summary=Publishing Limit"`
}

// CommentAnswer is the answer of Get Comment Details.
type CommentAnswer struct {
	// The comment.
	Data Comment `json:"data" extensions:"x-ms-summary=Comment"`
}

// CommentPage is the answer of a comment list (Get Comments on Media, Get
// Comment Replies): Instagram's page, and at the root its comments and the
// gateway URL of the next page.
type CommentPage struct {
	// One page of comments as Instagram answered it, with paging links on the gateway.
	Data CommentList `json:"data" extensions:"x-ms-summary=Page"`
	// The comments of this page, the same as the page's own list.
	Value []Comment `json:"value" extensions:"x-ms-summary=Comments"`
	// The gateway URL of the next page; absent on the last page.
	NextLink string `json:"nextLink,omitempty" extensions:"x-ms-summary=Next Link"`
}

// ContainerStatusAnswer is the answer of Get Container Status.
type ContainerStatusAnswer struct {
	// The container's state.
	Data ContainerStatus `json:"data" extensions:"x-ms-summary=Container"`
}

// InsightsAnswer is the answer of Get Media Insights and Get Account
// Insights: Instagram's answer, and at the root its metrics and the gateway
// URL of the next time window (insights page by time, with since and
// until).
type InsightsAnswer struct {
	// The metrics as Instagram answered them.
	Data InsightList `json:"data" extensions:"x-ms-summary=Insights"`
	// One entry per metric, the same as the answer's own list.
	Value []Insight `json:"value" extensions:"x-ms-summary=Metrics"`
	// The gateway URL of the next time window; absent when there is none, or it would start after now.
	NextLink string `json:"nextLink,omitempty" extensions:"x-ms-summary=Next Link"`
}

// IDAnswer is the answer of an action that creates an object: Create Media
// Container, Create Comment, Reply to Comment.
type IDAnswer struct {
	// The new object.
	Data IDResult `json:"data" extensions:"x-ms-summary=Created"`
}

// SuccessAnswer is the answer of an update or a deletion:
// {"data":{"success":true}}.
type SuccessAnswer struct {
	// Instagram's answer.
	Data SuccessResult `json:"data" extensions:"x-ms-summary=Result"`
}
