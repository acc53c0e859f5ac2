package instagram

// The gateway's answers for each action, as the definition documents them:
// the {"data": …} envelope around Instagram's shapes.

// UserAnswer is the answer of Get My Details.
type UserAnswer struct {
	// The account.
	Data User `json:"data" extensions:"x-ms-summary=Account"`
}

// MediaAnswer is the answer of Get Media Details.
type MediaAnswer struct {
	// The media object.
	Data Media `json:"data" extensions:"x-ms-summary=Media"`
}

// MediaPage is the answer of a media list: one page, and the gateway URL of
// the next page at the root (Power Automate's x-ms-pageable reads it there).
type MediaPage struct {
	// One page of media, with paging links on the gateway.
	Data MediaList `json:"data" extensions:"x-ms-summary=Page"`
	// The gateway URL of the next page; absent on the last page.
	NextLink string `json:"nextLink,omitempty" extensions:"x-ms-summary=Next link"`
}

// PublishAnswer is the answer of Publish.
type PublishAnswer struct {
	// The published media.
	Data PublishResult `json:"data" extensions:"x-ms-summary=Published media"`
}

// PublishingLimitAnswer is the answer of Get Content Publishing Limit.
type PublishingLimitAnswer struct {
	// The quota and its use.
	Data PublishingLimitList `json:"data" extensions:"x-ms-summary=Publishing limit"`
}
