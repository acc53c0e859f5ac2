package fakegraph

import "time"

// Sandbox accounts: the data `gateway --sandbox` serves. The tokens are the
// fake's own and open nothing real.
const (
	DemoUserID   = "17841400000000001"
	DemoToken    = "IGAAsandboxDemoToken0000000000000001"
	OtherUserID  = "17841400000000002"
	OtherToken   = "IGAAsandboxOtherToken000000000000002"
	ExpiredToken = "IGAAsandboxExpiredToken00000000000003"
	// DemoContainerID is a finished image container of the demo account,
	// ready to be published (once) with {"creation_id": …}.
	DemoContainerID = "17889615691921648"
	// DemoCommentedMediaID is the demo account's third newest media (an
	// image) with 40 top-level comments, so that GET /{id}/comments pages;
	// DemoCommentID is its newest comment, with 30 replies (the last one
	// by the demo account itself).
	DemoCommentedMediaID = "17900000000000090"
	DemoCommentID        = "17850000000000141"
	demoMediaSize        = 30
	// Seeded counts: the demo reel (second newest media) has 27 comments,
	// the demo account has 3 current stories (not on /media nor in
	// media_count, as on Instagram) and is tagged in 12 media of a third
	// account, and has no live media.
	demoComments       = 40
	demoReplies        = 30
	demoReelComments   = 27
	demoStories        = 3
	demoTags           = 12
	friendUserID       = "17841400000000003"
	friendUsername     = "sandbox_friend"
	demoHiddenPosition = 4 // the fifth newest comment of DemoCommentedMediaID is hidden
)

// Seed adds the sandbox accounts: a demo creator with 30 media (comments
// on them, the most on DemoCommentedMediaID and its DemoCommentID), 3
// current stories, 12 media of a third account it is tagged in and a
// finished container; a second account with 3 media; and an expired token.
func (s *Server) Seed() {
	s.AddUser(User{
		ID: DemoUserID, Username: "sandbox_creator", Name: "Sandbox Creator", AccountType: "MEDIA_CREATOR",
		Biography: "A sandbox account of the connector gateway.", Website: "https://example.com",
		ProfilePictureURL: "https://scontent.cdninstagram.com/v/sandbox/profile.jpg", FollowersCount: 1234, FollowsCount: 56,
	}, DemoToken)
	ids := s.AddMedia(DemoUserID, demoMediaSize)
	s.seedDemo(ids)
	s.AddContainer(DemoUserID, DemoContainerID, "https://example.com/ready.jpg")
	s.AddUser(User{ID: OtherUserID, Username: "sandbox_other", Name: "Other Account", AccountType: "BUSINESS", FollowersCount: 10}, OtherToken)
	s.AddMedia(OtherUserID, 3)
	s.AddToken(DemoUserID, ExpiredToken)
	s.ExpireToken(ExpiredToken)
}

// seedDemo adds the demo account's comments, stories and tags; ids are its
// media, newest first.
func (s *Server) seedDemo(ids []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	commented, reel := s.media[ids[2]], s.media[ids[1]]
	s.addCommentsLocked(commented.ID, demoComments-len(s.topComments[commented.ID]))
	top := s.topComments[commented.ID]
	s.addCommentsLocked(top[0], demoReplies-1)
	own := s.comments[top[0]]
	s.addCommentLocked(commented.ID, own.id, DemoUserID, "sandbox_creator", "Thank you!", own.ts.Add(time.Duration(demoReplies)*time.Minute))
	s.comments[top[demoHiddenPosition]].hidden = true
	s.addCommentsLocked(reel.ID, demoReelComments-len(s.topComments[reel.ID]))

	now := s.Now()
	for i := range demoStories {
		id := s.newIDLocked(mediaIDBase)
		m := &Media{
			ID: id, OwnerID: DemoUserID, MediaType: "IMAGE", MediaProductType: "STORY", MediaURL: cdnURL(id, "jpg"),
			Timestamp: now.Add(-time.Duration(demoStories-i) * time.Hour).UTC(),
			Shortcode: shortcode(id), Permalink: "https://www.instagram.com/stories/sandbox_creator/" + id + "/",
		}
		if i == 1 {
			m.MediaType, m.MediaURL, m.ThumbnailURL = "VIDEO", cdnURL(id, "mp4"), cdnURL(id, "thumb.jpg")
		}
		s.media[id] = m
		s.stories[DemoUserID] = append([]string{m.ID}, s.stories[DemoUserID]...)
	}

	s.users[friendUserID] = &User{ID: friendUserID, Username: friendUsername, Name: "Sandbox Friend", AccountType: "BUSINESS", FollowersCount: 321}
	tagged := s.addMediaLocked(friendUserID, demoTags)
	for _, id := range tagged {
		s.media[id].Caption += " with @sandbox_creator"
	}
	s.tags[DemoUserID] = tagged
}
