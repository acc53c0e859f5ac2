package instagram

// The documented operations: one small annotated function per action of the
// table (actions.go), from which swag generates the Swagger definition. The
// functions hold no code: the gateway's pipeline runs every action from its
// row. A test fails, naming the action, when a row has no operation here or
// an operation no row (internal/server's TestDefinitionMatchesActionTable).

// getMyDetails godoc
//
//	@Summary			Get my details
//	@Description		Gets the profile of the connection's Instagram account. By default: its ID, username, account type and number of media.
//	@ID					GetMyDetails
//	@Tags				Instagram
//	@Produce			json
//	@Param				fields	query		string					false	"Comma-separated fields to return: id, user_id, username, name, account_type, profile_picture_url, followers_count, follows_count, media_count, biography, website."	extensions(x-ms-summary=Fields,x-ms-visibility=advanced)
//	@Success			200		{object}	UserAnswer	"The account"
//	@Failure			400		"A field the account does not have"
//	@Failure			401		"A missing or wrong API key, or an expired Instagram token"
//	@Failure			429		"The connection's rate limit is spent"
//	@Failure			502		"Instagram failed"
//	@Security			apiKey
//	@x-ms-visibility	"important"
//	@Router				/me [get]
func getMyDetails() {}

// getMyMedia godoc
//
//	@Summary			Get my media
//	@Description		Lists the media (photos, videos, reels, albums) of the connection's Instagram account, newest first, one page at a time; nextLink leads to the next page.
//	@ID					GetMyMedia
//	@Tags				Instagram
//	@Produce			json
//	@Param				fields	query		string					false	"Comma-separated fields of each media: id, caption, comments_count, is_comment_enabled, is_shared_to_feed, like_count, media_product_type, media_type, media_url, owner, permalink, shortcode, thumbnail_url, timestamp, username, alt_text."	extensions(x-ms-summary=Fields,x-ms-visibility=advanced)
//	@Param				limit	query		integer					false	"Media per page, 1 to 100 (Instagram's default is 25)."																																															minimum(1)	maximum(100)	extensions(x-ms-summary=Page size,x-ms-visibility=advanced)
//	@Param				after	query		string					false	"Cursor of the page after this one (from paging.cursors.after)."																																												extensions(x-ms-summary=After cursor,x-ms-visibility=advanced)
//	@Param				before	query		string					false	"Cursor of the page before this one (from paging.cursors.before)."																																												extensions(x-ms-summary=Before cursor,x-ms-visibility=advanced)
//	@Success			200		{object}	MediaPage		"One page of media"
//	@Failure			400		"A bad field, limit or cursor"
//	@Failure			401		"A missing or wrong API key, or an expired Instagram token"
//	@Failure			429		"The connection's rate limit is spent"
//	@Failure			502		"Instagram failed"
//	@Security			apiKey
//	@x-ms-pageable		{"nextLinkName":"nextLink"}
//	@x-ms-visibility	"important"
//	@Router				/me/media [get]
func getMyMedia() {}

// getMediaDetails godoc
//
//	@Summary		Get media details
//	@Description	Gets one media object of the connection's account by its ID: one object, not a list.
//	@ID				GetMediaDetails
//	@Tags			Instagram
//	@Produce		json
//	@Param			IG_MEDIA_ID	path		string					true	"The media's ID (digits only)."																																																				extensions(x-ms-summary=Media ID)
//	@Param			fields		query		string					false	"Comma-separated fields to return: id, caption, comments_count, is_comment_enabled, is_shared_to_feed, like_count, media_product_type, media_type, media_url, owner, permalink, shortcode, thumbnail_url, timestamp, username, alt_text."	extensions(x-ms-summary=Fields,x-ms-visibility=advanced)
//	@Success		200			{object}	MediaAnswer	"The media object"
//	@Failure		400			"An ID that is not all digits, or a bad field"
//	@Failure		401			"A missing or wrong API key, or an expired Instagram token"
//	@Failure		404			"No such media for this account"
//	@Failure		429			"The connection's rate limit is spent"
//	@Failure		502			"Instagram failed"
//	@Security		apiKey
//	@Router			/{IG_MEDIA_ID} [get]
func getMediaDetails() {}

// publish godoc
//
//	@Summary			Publish
//	@Description		Publishes a photo, video, reel, story or carousel to the connection's account. With image_url or video_url the gateway creates the media container, waits until Instagram has processed it, then publishes it; with creation_id it publishes an existing container.
//	@ID					Publish
//	@Tags				Instagram
//	@Accept				json
//	@Produce			json
//	@Param				IG_USER_ID	path		string						true	"The account's ID, or me."	default(me)	extensions(x-ms-summary=Account ID,x-ms-visibility=internal)
//	@Param				body		body		PublishRequest	true	"What to publish."			extensions(x-ms-summary=Post)
//	@Success			200			{object}	PublishAnswer		"The new media's ID"
//	@Failure			400			"A bad body: no media URL, a caption over 2,200 characters, more than 10 carousel items…"
//	@Failure			401			"A missing or wrong API key, or an expired Instagram token"
//	@Failure			422			"The container ended in ERROR or EXPIRED, or Instagram refused to publish it"
//	@Failure			429			"The connection's rate limit is spent"
//	@Failure			504			"The container did not finish in time; nothing was published"
//	@Security			apiKey
//	@x-ms-visibility	"important"
//	@Router				/{IG_USER_ID}/media_publish [post]
func publish() {}

// getMediaChildren godoc
//
//	@Summary			Get media children
//	@Description		Lists the items of a carousel album.
//	@ID					GetMediaChildren
//	@Tags				Instagram
//	@Produce			json
//	@Param				IG_MEDIA_ID	path		string					true	"The album's ID (digits only)."			extensions(x-ms-summary=Album ID)
//	@Param				fields		query		string					false	"Comma-separated fields of each item."	extensions(x-ms-summary=Fields,x-ms-visibility=advanced)
//	@Param				limit		query		integer					false	"Items per page, 1 to 100."				minimum(1)	maximum(100)	extensions(x-ms-summary=Page size,x-ms-visibility=advanced)
//	@Param				after		query		string					false	"Cursor of the page after this one."	extensions(x-ms-summary=After cursor,x-ms-visibility=advanced)
//	@Param				before		query		string					false	"Cursor of the page before this one."	extensions(x-ms-summary=Before cursor,x-ms-visibility=advanced)
//	@Success			200			{object}	MediaPage		"The album's items"
//	@Failure			400			"An ID that is not all digits, or a bad field"
//	@Failure			401			"A missing or wrong API key"
//	@Failure			404			"No such album for this account"
//	@Security			apiKey
//	@x-ms-visibility	"advanced"
//	@x-ms-pageable		{"nextLinkName":"nextLink"}
//	@Router				/{IG_MEDIA_ID}/children [get]
func getMediaChildren() {}

// getContentPublishingLimit godoc
//
//	@Summary			Get content publishing limit
//	@Description		Tells how many posts the account has published in the current 24-hour period, out of its quota.
//	@ID					GetContentPublishingLimit
//	@Tags				Instagram
//	@Produce			json
//	@Param				IG_USER_ID	path		string							true	"The account's ID, or me."						default(me)	extensions(x-ms-summary=Account ID,x-ms-visibility=internal)
//	@Param				fields		query		string							false	"Comma-separated fields: quota_usage, config."	extensions(x-ms-summary=Fields,x-ms-visibility=advanced)
//	@Success			200			{object}	PublishingLimitAnswer	"The quota and its use"
//	@Failure			401			"A missing or wrong API key"
//	@Security			apiKey
//	@x-ms-visibility	"advanced"
//	@Router				/{IG_USER_ID}/content_publishing_limit [get]
func getContentPublishingLimit() {}
