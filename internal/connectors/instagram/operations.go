package instagram

// The documented operations: one small annotated function per action of the
// table (actions.go), from which swag generates the Swagger definition. The
// functions hold no code: the gateway's pipeline runs every action from its
// row. A test fails, naming the action, when a row has no operation here or
// an operation no row (internal/server's TestDefinitionMatchesActionTable).
//
// Rows that share a new-format path template with a media row (/{IG_USER_ID},
// /{IG_COMMENT_ID}, /{IG_CONTAINER_ID}, /{IG_USER_ID}/insights) are
// documented in the old format (/ig_user_id?IG_USER_ID=…), so that no two
// documented paths are the same template; the gateway answers both formats.

// getMyDetails godoc
//
//	@Summary			Get my details
//	@Description		Gets the profile of the connection's Instagram account. By default: its ID, username, account type and number of media.
//	@ID					GetMyDetails
//	@Tags				Instagram
//	@Produce			json
//	@Param				fields	query		string		false	"Comma-separated fields to return: id, user_id, username, name, account_type, profile_picture_url, followers_count, follows_count, media_count, biography, website."	extensions(x-ms-summary=Fields,x-ms-visibility=advanced)
//	@Success			200		{object}	UserAnswer	"The account."
//	@Failure			400		"A field the account does not have."
//	@Failure			401		"A missing or wrong API key, or an expired Instagram token."
//	@Failure			429		"The connection's rate limit is spent."
//	@Failure			502		"Instagram failed."
//	@Security			apiKey
//	@x-ms-visibility	"important"
//	@Router				/me [get]
func getMyDetails() {}

// getMyMedia godoc
//
//	@Summary			Get my media
//	@Description		Lists the media (photos, videos, reels, albums) of the connection's Instagram account, newest first, one page at a time; nextLink leads to the next page. Also answers /me/media.
//	@ID					GetMyMedia
//	@Tags				Instagram
//	@Produce			json
//	@Param				IG_USER_ID	path		string		true	"The account's ID, or me."																																																						default(me)	extensions(x-ms-summary=Account ID,x-ms-visibility=internal)
//	@Param				fields		query		string		false	"Comma-separated fields of each media: id, caption, comments_count, is_comment_enabled, is_shared_to_feed, like_count, media_product_type, media_type, media_url, owner, permalink, shortcode, thumbnail_url, timestamp, username, alt_text."	extensions(x-ms-summary=Fields,x-ms-visibility=advanced)
//	@Param				limit		query		integer		false	"Media per page, 1 to 100 (Instagram's default is 25)."																																															minimum(1)	maximum(100)	extensions(x-ms-summary=Page Size,x-ms-visibility=advanced)
//	@Param				after		query		string		false	"Cursor of the page after this one (from paging.cursors.after)."																																												extensions(x-ms-summary=After Cursor,x-ms-visibility=advanced)
//	@Param				before		query		string		false	"Cursor of the page before this one (from paging.cursors.before)."																																												extensions(x-ms-summary=Before Cursor,x-ms-visibility=advanced)
//	@Success			200			{object}	MediaPage	"One page of media."
//	@Failure			400			"A bad field, limit or cursor."
//	@Failure			401			"A missing or wrong API key, or an expired Instagram token."
//	@Failure			429			"The connection's rate limit is spent."
//	@Failure			502			"Instagram failed."
//	@Security			apiKey
//	@x-ms-pageable		{"nextLinkName":"nextLink"}
//	@x-ms-visibility	"important"
//	@Router				/{IG_USER_ID}/media [get]
func getMyMedia() {}

// getMediaDetails godoc
//
//	@Summary		Get media details
//	@Description	Gets one media object of the connection's account by its ID: one object, not a list.
//	@ID				GetMediaDetails
//	@Tags			Instagram
//	@Produce		json
//	@Param			IG_MEDIA_ID	path		string		true	"The media's ID (digits only)."																																																				extensions(x-ms-summary=Media ID)
//	@Param			fields		query		string		false	"Comma-separated fields to return: id, caption, comments_count, is_comment_enabled, is_shared_to_feed, like_count, media_product_type, media_type, media_url, owner, permalink, shortcode, thumbnail_url, timestamp, username, alt_text."	extensions(x-ms-summary=Fields,x-ms-visibility=advanced)
//	@Success		200			{object}	MediaAnswer	"The media object."
//	@Failure		400			"An ID that is not all digits, or a bad field."
//	@Failure		401			"A missing or wrong API key, or an expired Instagram token."
//	@Failure		404			"No such media for this account."
//	@Failure		429			"The connection's rate limit is spent."
//	@Failure		502			"Instagram failed."
//	@Security		apiKey
//	@x-ms-visibility	"important"
//	@Router			/{IG_MEDIA_ID} [get]
func getMediaDetails() {}

// getUserDetails godoc
//
//	@Summary			Get user details
//	@Description		Gets the profile of an Instagram account by its ID (the connection's own, or me). Documented in the old path format; /{IG_USER_ID} answers too, as a user when the fields asked are a user's.
//	@ID					GetUserDetails
//	@Tags				Instagram
//	@Produce			json
//	@Param				IG_USER_ID	query		string		true	"The account's ID, or me."																																				default(me)	extensions(x-ms-summary=Account ID,x-ms-visibility=internal)
//	@Param				fields		query		string		false	"Comma-separated fields to return: id, user_id, username, name, account_type, profile_picture_url, followers_count, follows_count, media_count, biography, website."	extensions(x-ms-summary=Fields,x-ms-visibility=advanced)
//	@Success			200			{object}	UserAnswer	"The account."
//	@Failure			400			"An ID that is not all digits, or a bad field."
//	@Failure			401			"A missing or wrong API key, or an expired Instagram token."
//	@Failure			404			"No such account."
//	@Failure			429			"The connection's rate limit is spent."
//	@Failure			502			"Instagram failed."
//	@Security			apiKey
//	@x-ms-visibility	"advanced"
//	@Router				/ig_user_id [get]
func getUserDetails() {}

// getComment godoc
//
//	@Summary		Get comment details
//	@Description	Gets one comment (or reply) by its ID. Documented in the old path format; /{IG_COMMENT_ID} answers too, as a comment when the fields asked are a comment's (text, for one).
//	@ID				GetComment
//	@Tags			Instagram
//	@Produce		json
//	@Param			IG_COMMENT_ID	query		string			true	"The comment's ID (digits only)."																								extensions(x-ms-summary=Comment ID)
//	@Param			fields			query		string			false	"Comma-separated fields to return: id, from, hidden, like_count, media, parent_id, replies, text, timestamp, user, username."	extensions(x-ms-summary=Fields,x-ms-visibility=advanced)
//	@Success		200				{object}	CommentAnswer	"The comment."
//	@Failure		400				"An ID that is not all digits, or a bad field."
//	@Failure		401				"A missing or wrong API key, or an expired Instagram token."
//	@Failure		404				"No such comment for this account."
//	@Failure		429				"The connection's rate limit is spent."
//	@Failure		502				"Instagram failed."
//	@Security		apiKey
//	@x-ms-visibility	"advanced"
//	@Router			/ig_comment_id [get]
func getComment() {}

// getContainerStatus godoc
//
//	@Summary			Get container status
//	@Description		Tells whether a media container is ready to publish: IN_PROGRESS, FINISHED, PUBLISHED, ERROR or EXPIRED. Documented in the old path format; /{IG_CONTAINER_ID} answers too, as a container when the fields asked are a container's (status_code, for one).
//	@ID					GetContainerStatus
//	@Tags				Instagram
//	@Produce			json
//	@Param				IG_CONTAINER_ID	query		string					true	"The container's ID (digits only)."								extensions(x-ms-summary=Container ID)
//	@Param				fields			query		string					false	"Comma-separated fields to return: id, status, status_code."	extensions(x-ms-summary=Fields,x-ms-visibility=advanced)
//	@Success			200				{object}	ContainerStatusAnswer	"The container's status."
//	@Failure			400				"An ID that is not all digits, or a bad field."
//	@Failure			401				"A missing or wrong API key, or an expired Instagram token."
//	@Failure			404				"No such container for this account."
//	@Failure			429				"The connection's rate limit is spent."
//	@Failure			502				"Instagram failed."
//	@Security			apiKey
//	@x-ms-visibility	"advanced"
//	@Router				/ig_container_id [get]
func getContainerStatus() {}

// updateMedia godoc
//
//	@Summary		Update media
//	@Description	Turns comments on a media of the connection's account on or off.
//	@ID				UpdateMedia
//	@Tags			Instagram
//	@Accept			json
//	@Produce		json
//	@Param			IG_MEDIA_ID	path		string				true	"The media's ID (digits only)."	extensions(x-ms-summary=Media ID)
//	@Param			body		body		UpdateMediaRequest	true	"Whether comments are enabled."	extensions(x-ms-summary=Update)
//	@Success		200			{object}	SuccessAnswer		"Instagram made the change."
//	@Failure		400			"An ID that is not all digits, or a bad body."
//	@Failure		401			"A missing or wrong API key, or an expired Instagram token."
//	@Failure		404			"No such media for this account."
//	@Failure		429			"The connection's rate limit is spent."
//	@Failure		502			"Instagram failed."
//	@Security		apiKey
//	@x-ms-visibility	"advanced"
//	@Router			/{IG_MEDIA_ID} [post]
func updateMedia() {}

// hideComment godoc
//
//	@Summary		Hide comment
//	@Description	Hides a comment on a media of the connection's account, or shows it again. Documented in the old path format; POST /{IG_COMMENT_ID} with {"hide":…} answers too.
//	@ID				HideComment
//	@Tags			Instagram
//	@Accept			json
//	@Produce		json
//	@Param			IG_COMMENT_ID	query		string				true	"The comment's ID (digits only)."	extensions(x-ms-summary=Comment ID)
//	@Param			body			body		HideCommentRequest	true	"Whether to hide the comment."		extensions(x-ms-summary=Visibility)
//	@Success		200				{object}	SuccessAnswer		"Instagram made the change."
//	@Failure		400				"An ID that is not all digits, or a bad body."
//	@Failure		401				"A missing or wrong API key, or an expired Instagram token."
//	@Failure		404				"No such comment for this account."
//	@Failure		429				"The connection's rate limit is spent."
//	@Failure		502				"Instagram failed."
//	@Security		apiKey
//	@x-ms-visibility	"advanced"
//	@Router			/ig_comment_id [post]
func hideComment() {}

// deleteMedia godoc
//
//	@Summary			Delete media
//	@Description		Deletes a media of the connection's account. It takes no body.
//	@ID					DeleteMedia
//	@Tags				Instagram
//	@Produce			json
//	@Param				IG_MEDIA_ID	path		string			true	"The media's ID (digits only)."	extensions(x-ms-summary=Media ID)
//	@Success			200			{object}	SuccessAnswer	"The media is deleted."
//	@Failure			400			"An ID that is not all digits, or a body."
//	@Failure			401			"A missing or wrong API key, or an expired Instagram token."
//	@Failure			404			"No such media for this account."
//	@Failure			429			"The connection's rate limit is spent."
//	@Failure			502			"Instagram failed."
//	@Security			apiKey
//	@x-ms-visibility	"advanced"
//	@Router				/{IG_MEDIA_ID} [delete]
func deleteMedia() {}

// deleteComment godoc
//
//	@Summary			Delete comment
//	@Description		Deletes a comment on a media of the connection's account. It takes no body. Documented in the old path format; DELETE /{IG_COMMENT_ID} reaches the same comment.
//	@ID					DeleteComment
//	@Tags				Instagram
//	@Produce			json
//	@Param				IG_COMMENT_ID	query		string			true	"The comment's ID (digits only)."	extensions(x-ms-summary=Comment ID)
//	@Success			200				{object}	SuccessAnswer	"The comment is deleted."
//	@Failure			400				"An ID that is not all digits, or a body."
//	@Failure			401				"A missing or wrong API key, or an expired Instagram token."
//	@Failure			404				"No such comment for this account."
//	@Failure			429				"The connection's rate limit is spent."
//	@Failure			502				"Instagram failed."
//	@Security			apiKey
//	@x-ms-visibility	"advanced"
//	@Router				/ig_comment_id [delete]
func deleteComment() {}

// getMediaInsights godoc
//
//	@Summary		Get media insights
//	@Description	Gets metrics of a media of the connection's account: reach, likes, views… Insights come in one page.
//	@ID				GetMediaInsights
//	@Tags			Instagram
//	@Produce		json
//	@Param			IG_MEDIA_ID	path		string			true	"The media's ID (digits only)."																																																																										extensions(x-ms-summary=Media ID)
//	@Param			metric		query		string			true	"Comma-separated metrics: reach, likes, comments, shares, saved, total_interactions, follows, profile_visits, profile_activity, views, ig_reels_avg_watch_time, ig_reels_video_view_total_time, navigation, replies; up to v21.0 also impressions, plays, clips_replays_count, ig_reels_aggregated_all_plays_count, video_views."	extensions(x-ms-summary=Metrics)
//	@Param			metric_type	query		string			false	"One total (the default with a breakdown), or the lifetime value."																																																																	Enums(total_value,time_series)	extensions(x-ms-summary=Metric Type,x-ms-visibility=advanced)
//	@Param			breakdown	query		string			false	"Comma-separated dimensions to break a metric down by: action_type (profile_activity), story_navigation_action_type (navigation)."																																																	extensions(x-ms-summary=Breakdown,x-ms-visibility=advanced)
//	@Success		200			{object}	InsightsAnswer	"The metrics."
//	@Failure		400			"An ID that is not all digits, or a metric this version does not offer (the error lists the valid ones)."
//	@Failure		401			"A missing or wrong API key, or an expired Instagram token."
//	@Failure		404			"No such media for this account."
//	@Failure		429			"The connection's rate limit is spent."
//	@Failure		502			"Instagram failed."
//	@Security		apiKey
//	@x-ms-pageable	{"nextLinkName":"nextLink"}
//	@x-ms-visibility	"advanced"
//	@Router			/{IG_MEDIA_ID}/insights [get]
func getMediaInsights() {}

// getAccountInsights godoc
//
//	@Summary		Get account insights
//	@Description	Gets metrics of the connection's account: reach, views, followers… by period, as totals or series, with breakdowns. Insights come in one page; ask for another range with since and until. Documented in the old path format; /{IG_USER_ID}/insights and /me/insights answer too.
//	@ID				GetAccountInsights
//	@Tags			Instagram
//	@Produce		json
//	@Param			IG_USER_ID	query		string			true	"The account's ID, or me."																																																																																default(me)	extensions(x-ms-summary=Account ID,x-ms-visibility=internal)
//	@Param			metric		query		string			true	"Comma-separated metrics: reach, follower_count, website_clicks, profile_views, online_followers, accounts_engaged, total_interactions, likes, comments, shares, saves, replies, follows_and_unfollows, profile_links_taps, views, engaged_audience_demographics, reached_audience_demographics, follower_demographics; up to v21.0 also impressions."	extensions(x-ms-summary=Metrics)
//	@Param			period		query		string			false	"The period each value covers."																																																																															Enums(day,week,days_28,month,lifetime)	extensions(x-ms-summary=Period)
//	@Param			since		query		integer			false	"Start of the range, in Unix seconds."																																																																													minimum(1)								maximum(2147483647)	extensions(x-ms-summary=Since,x-ms-visibility=advanced)
//	@Param			until		query		integer			false	"End of the range, in Unix seconds."																																																																													minimum(1)								maximum(2147483647)	extensions(x-ms-summary=Until,x-ms-visibility=advanced)
//	@Param			metric_type	query		string			false	"One total over the range, or a series by period."																																																																										Enums(total_value,time_series)			extensions(x-ms-summary=Metric Type,x-ms-visibility=advanced)
//	@Param			breakdown	query		string			false	"Comma-separated dimensions to break a total_value metric down by: media_product_type, follow_type, follower_type, contact_button_type, age, city, country, gender."																																													extensions(x-ms-summary=Breakdown,x-ms-visibility=advanced)
//	@Param			timeframe	query		string			false	"The window of a demographics metric (before v20.0 also last_14_days, last_30_days, last_90_days, prev_month)."																																																											Enums(this_week,this_month)	extensions(x-ms-summary=Timeframe,x-ms-visibility=advanced)
//	@Success		200			{object}	InsightsAnswer	"The metrics."
//	@Failure		400			"A metric this version does not offer (the error lists the valid ones), or a bad period, range or breakdown."
//	@Failure		401			"A missing or wrong API key, or an expired Instagram token."
//	@Failure		429			"The connection's rate limit is spent."
//	@Failure		502			"Instagram failed."
//	@Security		apiKey
//	@x-ms-pageable	{"nextLinkName":"nextLink"}
//	@x-ms-visibility	"advanced"
//	@Router			/ig_user_id/insights [get]
func getAccountInsights() {}

// getStories godoc
//
//	@Summary		Get stories
//	@Description	Lists the connection's account's stories live now (the last 24 hours), one page at a time.
//	@ID				GetStories
//	@Tags			Instagram
//	@Produce		json
//	@Param			IG_USER_ID	path		string		true	"The account's ID, or me."																																																						default(me)	extensions(x-ms-summary=Account ID,x-ms-visibility=internal)
//	@Param			fields		query		string		false	"Comma-separated fields of each story: id, caption, comments_count, is_comment_enabled, is_shared_to_feed, like_count, media_product_type, media_type, media_url, owner, permalink, shortcode, thumbnail_url, timestamp, username, alt_text."	extensions(x-ms-summary=Fields,x-ms-visibility=advanced)
//	@Param			limit		query		integer		false	"Stories per page, 1 to 100 (Instagram's default is 25)."																																														minimum(1)	maximum(100)	extensions(x-ms-summary=Page Size,x-ms-visibility=advanced)
//	@Param			after		query		string		false	"Cursor of the page after this one (from paging.cursors.after)."																																												extensions(x-ms-summary=After Cursor,x-ms-visibility=advanced)
//	@Param			before		query		string		false	"Cursor of the page before this one (from paging.cursors.before)."																																												extensions(x-ms-summary=Before Cursor,x-ms-visibility=advanced)
//	@Success		200			{object}	MediaPage	"One page of stories."
//	@Failure		400			"A bad field, limit or cursor."
//	@Failure		401			"A missing or wrong API key, or an expired Instagram token."
//	@Failure		429			"The connection's rate limit is spent."
//	@Failure		502			"Instagram failed."
//	@Security		apiKey
//	@x-ms-pageable	{"nextLinkName":"nextLink"}
//	@x-ms-visibility	"advanced"
//	@Router			/{IG_USER_ID}/stories [get]
func getStories() {}

// getTaggedMedia godoc
//
//	@Summary		Get tagged media
//	@Description	Lists the media in which the connection's account is tagged, one page at a time; nextLink leads to the next page.
//	@ID				GetTaggedMedia
//	@Tags			Instagram
//	@Produce		json
//	@Param			IG_USER_ID	path		string		true	"The account's ID, or me."																																																						default(me)	extensions(x-ms-summary=Account ID,x-ms-visibility=internal)
//	@Param			fields		query		string		false	"Comma-separated fields of each media: id, caption, comments_count, is_comment_enabled, is_shared_to_feed, like_count, media_product_type, media_type, media_url, owner, permalink, shortcode, thumbnail_url, timestamp, username, alt_text."	extensions(x-ms-summary=Fields,x-ms-visibility=advanced)
//	@Param			limit		query		integer		false	"Media per page, 1 to 100 (Instagram's default is 25)."																																															minimum(1)	maximum(100)	extensions(x-ms-summary=Page Size,x-ms-visibility=advanced)
//	@Param			after		query		string		false	"Cursor of the page after this one (from paging.cursors.after)."																																												extensions(x-ms-summary=After Cursor,x-ms-visibility=advanced)
//	@Param			before		query		string		false	"Cursor of the page before this one (from paging.cursors.before)."																																												extensions(x-ms-summary=Before Cursor,x-ms-visibility=advanced)
//	@Success		200			{object}	MediaPage	"One page of media."
//	@Failure		400			"A bad field, limit or cursor."
//	@Failure		401			"A missing or wrong API key, or an expired Instagram token."
//	@Failure		429			"The connection's rate limit is spent."
//	@Failure		502			"Instagram failed."
//	@Security		apiKey
//	@x-ms-pageable	{"nextLinkName":"nextLink"}
//	@x-ms-visibility	"advanced"
//	@Router			/{IG_USER_ID}/tags [get]
func getTaggedMedia() {}

// getLiveMedia godoc
//
//	@Summary			Get live media
//	@Description		Lists the connection's account's live video broadcasting now, if any.
//	@ID					GetLiveMedia
//	@Tags				Instagram
//	@Produce			json
//	@Param				IG_USER_ID	path		string		true	"The account's ID, or me."																																																							default(me)	extensions(x-ms-summary=Account ID,x-ms-visibility=internal)
//	@Param				fields		query		string		false	"Comma-separated fields of each live media: id, caption, comments_count, is_comment_enabled, is_shared_to_feed, like_count, media_product_type, media_type, media_url, owner, permalink, shortcode, thumbnail_url, timestamp, username, alt_text."	extensions(x-ms-summary=Fields,x-ms-visibility=advanced)
//	@Param				limit		query		integer		false	"Media per page, 1 to 100 (Instagram's default is 25)."																																																minimum(1)	maximum(100)	extensions(x-ms-summary=Page Size,x-ms-visibility=advanced)
//	@Param				after		query		string		false	"Cursor of the page after this one (from paging.cursors.after)."																																													extensions(x-ms-summary=After Cursor,x-ms-visibility=advanced)
//	@Param				before		query		string		false	"Cursor of the page before this one (from paging.cursors.before)."																																													extensions(x-ms-summary=Before Cursor,x-ms-visibility=advanced)
//	@Success			200			{object}	MediaPage	"The live media."
//	@Failure			400			"A bad field, limit or cursor."
//	@Failure			401			"A missing or wrong API key, or an expired Instagram token."
//	@Failure			429			"The connection's rate limit is spent."
//	@Failure			502			"Instagram failed."
//	@Security			apiKey
//	@x-ms-pageable		{"nextLinkName":"nextLink"}
//	@x-ms-visibility	"advanced"
//	@Router				/{IG_USER_ID}/live_media [get]
func getLiveMedia() {}

// getContentPublishingLimit godoc
//
//	@Summary			Get content publishing limit
//	@Description		Tells how many posts the account has published in the current 24-hour period, out of its quota.
//	@ID					GetContentPublishingLimit
//	@Tags				Instagram
//	@Produce			json
//	@Param				IG_USER_ID	path		string					true	"The account's ID, or me."						default(me)	extensions(x-ms-summary=Account ID,x-ms-visibility=internal)
//	@Param				fields		query		string					false	"Comma-separated fields: quota_usage, config."	extensions(x-ms-summary=Fields,x-ms-visibility=advanced)
//	@Success			200			{object}	PublishingLimitAnswer	"The quota and its use."
//	@Failure			400			"A bad field."
//	@Failure			401			"A missing or wrong API key, or an expired Instagram token."
//	@Failure			429			"The connection's rate limit is spent."
//	@Failure			502			"Instagram failed."
//	@Security			apiKey
//	@x-ms-visibility	"advanced"
//	@Router				/{IG_USER_ID}/content_publishing_limit [get]
func getContentPublishingLimit() {}

// createMediaContainer godoc
//
//	@Summary			Create media container
//	@Description		Creates a media container (a photo, video, reel, story, carousel item or carousel) and answers its ID without waiting for it or publishing it: publish it later with Publish's creation_id once Get container status says FINISHED. A carousel's items are created first and waited for, since Instagram takes only finished items.
//	@ID					CreateMediaContainer
//	@Tags				Instagram
//	@Accept				json
//	@Produce			json
//	@Param				IG_USER_ID	path		string				true	"The account's ID, or me."		default(me)	extensions(x-ms-summary=Account ID,x-ms-visibility=internal)
//	@Param				body		body		ContainerRequest	true	"The media and its options."	extensions(x-ms-summary=Media)
//	@Success			200			{object}	IDAnswer			"The new container's ID."
//	@Failure			400			"A bad body: no media URL, a caption over 2,200 characters, an option the media type does not take…"
//	@Failure			401			"A missing or wrong API key, or an expired Instagram token."
//	@Failure			422			"A carousel item ended in ERROR or EXPIRED."
//	@Failure			429			"The connection's rate limit is spent."
//	@Failure			502			"Instagram failed."
//	@Failure			504			"A carousel item did not finish in time."
//	@Security			apiKey
//	@x-ms-visibility	"advanced"
//	@Router				/{IG_USER_ID}/media [post]
func createMediaContainer() {}

// publish godoc
//
//	@Summary			Publish
//	@Description		Publishes a photo, video, reel, story or carousel to the connection's account. With image_url or video_url the gateway creates the media container, waits until Instagram has processed it, then publishes it; with creation_id it publishes an existing container.
//	@ID					Publish
//	@Tags				Instagram
//	@Accept				json
//	@Produce			json
//	@Param				IG_USER_ID	path		string			true	"The account's ID, or me."	default(me)	extensions(x-ms-summary=Account ID,x-ms-visibility=internal)
//	@Param				body		body		PublishRequest	true	"What to publish."			extensions(x-ms-summary=Post)
//	@Success			200			{object}	PublishAnswer	"The new media's ID."
//	@Failure			400			"A bad body: no media URL, a caption over 2,200 characters, more than 10 carousel items…"
//	@Failure			401			"A missing or wrong API key, or an expired Instagram token."
//	@Failure			422			"The container ended in ERROR or EXPIRED, or Instagram refused to publish it."
//	@Failure			429			"The connection's rate limit is spent."
//	@Failure			504			"The container did not finish in time; nothing was published."
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
//	@Param				IG_MEDIA_ID	path		string		true	"The album's ID (digits only)."																																																					extensions(x-ms-summary=Album ID)
//	@Param				fields		query		string		false	"Comma-separated fields of each item: id, caption, comments_count, is_comment_enabled, is_shared_to_feed, like_count, media_product_type, media_type, media_url, owner, permalink, shortcode, thumbnail_url, timestamp, username, alt_text."	extensions(x-ms-summary=Fields,x-ms-visibility=advanced)
//	@Param				limit		query		integer		false	"Items per page, 1 to 100 (Instagram's default is 25)."																																															minimum(1)	maximum(100)	extensions(x-ms-summary=Page Size,x-ms-visibility=advanced)
//	@Param				after		query		string		false	"Cursor of the page after this one (from paging.cursors.after)."																																												extensions(x-ms-summary=After Cursor,x-ms-visibility=advanced)
//	@Param				before		query		string		false	"Cursor of the page before this one (from paging.cursors.before)."																																												extensions(x-ms-summary=Before Cursor,x-ms-visibility=advanced)
//	@Success			200			{object}	MediaPage	"The album's items."
//	@Failure			400			"An ID that is not all digits, or a bad field."
//	@Failure			401			"A missing or wrong API key, or an expired Instagram token."
//	@Failure			404			"No such album for this account."
//	@Failure			429			"The connection's rate limit is spent."
//	@Failure			502			"Instagram failed."
//	@Security			apiKey
//	@x-ms-pageable		{"nextLinkName":"nextLink"}
//	@x-ms-visibility	"advanced"
//	@Router				/{IG_MEDIA_ID}/children [get]
func getMediaChildren() {}

// getMediaComments godoc
//
//	@Summary			Get comments on media
//	@Description		Lists the top-level comments on a media of the connection's account, one page at a time; nextLink leads to the next page.
//	@ID					GetMediaComments
//	@Tags				Instagram
//	@Produce			json
//	@Param				IG_MEDIA_ID	path		string		true	"The media's ID (digits only)."																										extensions(x-ms-summary=Media ID)
//	@Param				fields		query		string		false	"Comma-separated fields of each comment: id, from, hidden, like_count, media, parent_id, replies, text, timestamp, user, username."	extensions(x-ms-summary=Fields,x-ms-visibility=advanced)
//	@Param				limit		query		integer		false	"Comments per page, 1 to 100 (Instagram's default is 25)."																			minimum(1)	maximum(100)	extensions(x-ms-summary=Page Size,x-ms-visibility=advanced)
//	@Param				after		query		string		false	"Cursor of the page after this one (from paging.cursors.after)."																	extensions(x-ms-summary=After Cursor,x-ms-visibility=advanced)
//	@Param				before		query		string		false	"Cursor of the page before this one (from paging.cursors.before)."																	extensions(x-ms-summary=Before Cursor,x-ms-visibility=advanced)
//	@Success			200			{object}	CommentPage	"One page of comments."
//	@Failure			400			"An ID that is not all digits, or a bad field, limit or cursor."
//	@Failure			401			"A missing or wrong API key, or an expired Instagram token."
//	@Failure			404			"No such media for this account."
//	@Failure			429			"The connection's rate limit is spent."
//	@Failure			502			"Instagram failed."
//	@Security			apiKey
//	@x-ms-pageable		{"nextLinkName":"nextLink"}
//	@x-ms-visibility	"important"
//	@Router				/{IG_MEDIA_ID}/comments [get]
func getMediaComments() {}

// createComment godoc
//
//	@Summary		Create comment
//	@Description	Comments on a media of the connection's account.
//	@ID				CreateComment
//	@Tags			Instagram
//	@Accept			json
//	@Produce		json
//	@Param			IG_MEDIA_ID	path		string			true	"The media's ID (digits only)."	extensions(x-ms-summary=Media ID)
//	@Param			body		body		CommentRequest	true	"The comment."					extensions(x-ms-summary=Comment)
//	@Success		200			{object}	IDAnswer		"The new comment's ID."
//	@Failure		400			"An ID that is not all digits, or a blank message or one over 2,200 characters."
//	@Failure		401			"A missing or wrong API key, or an expired Instagram token."
//	@Failure		404			"No such media for this account."
//	@Failure		429			"The connection's rate limit is spent."
//	@Failure		502			"Instagram failed."
//	@Security		apiKey
//	@x-ms-visibility	"important"
//	@Router			/{IG_MEDIA_ID}/comments [post]
func createComment() {}

// getCommentReplies godoc
//
//	@Summary		Get comment replies
//	@Description	Lists the replies to a comment, one page at a time; nextLink leads to the next page.
//	@ID				GetCommentReplies
//	@Tags			Instagram
//	@Produce		json
//	@Param			IG_COMMENT_ID	path		string		true	"The comment's ID (digits only)."																									extensions(x-ms-summary=Comment ID)
//	@Param			fields			query		string		false	"Comma-separated fields of each reply: id, from, hidden, like_count, media, parent_id, replies, text, timestamp, user, username."	extensions(x-ms-summary=Fields,x-ms-visibility=advanced)
//	@Param			limit			query		integer		false	"Replies per page, 1 to 100 (Instagram's default is 25)."																			minimum(1)	maximum(100)	extensions(x-ms-summary=Page Size,x-ms-visibility=advanced)
//	@Param			after			query		string		false	"Cursor of the page after this one (from paging.cursors.after)."																	extensions(x-ms-summary=After Cursor,x-ms-visibility=advanced)
//	@Param			before			query		string		false	"Cursor of the page before this one (from paging.cursors.before)."																	extensions(x-ms-summary=Before Cursor,x-ms-visibility=advanced)
//	@Success		200				{object}	CommentPage	"One page of replies."
//	@Failure		400				"An ID that is not all digits, or a bad field, limit or cursor."
//	@Failure		401				"A missing or wrong API key, or an expired Instagram token."
//	@Failure		404				"No such comment for this account."
//	@Failure		429				"The connection's rate limit is spent."
//	@Failure		502				"Instagram failed."
//	@Security		apiKey
//	@x-ms-pageable	{"nextLinkName":"nextLink"}
//	@x-ms-visibility	"advanced"
//	@Router			/{IG_COMMENT_ID}/replies [get]
func getCommentReplies() {}

// replyToComment godoc
//
//	@Summary		Reply to comment
//	@Description	Replies to a comment on a media of the connection's account.
//	@ID				ReplyToComment
//	@Tags			Instagram
//	@Accept			json
//	@Produce		json
//	@Param			IG_COMMENT_ID	path		string			true	"The comment's ID (digits only)."	extensions(x-ms-summary=Comment ID)
//	@Param			body			body		CommentRequest	true	"The reply."						extensions(x-ms-summary=Reply)
//	@Success		200				{object}	IDAnswer		"The new reply's ID."
//	@Failure		400				"An ID that is not all digits, or a blank message or one over 2,200 characters."
//	@Failure		401				"A missing or wrong API key, or an expired Instagram token."
//	@Failure		404				"No such comment for this account."
//	@Failure		429				"The connection's rate limit is spent."
//	@Failure		502				"Instagram failed."
//	@Security		apiKey
//	@x-ms-visibility	"important"
//	@Router			/{IG_COMMENT_ID}/replies [post]
func replyToComment() {}
