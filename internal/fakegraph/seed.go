package fakegraph

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
	demoMediaSize   = 30
)

// Seed adds the sandbox accounts: a demo creator with 30 media and a
// finished container, a second account with 3, and an expired token.
func (s *Server) Seed() {
	s.AddUser(User{
		ID: DemoUserID, Username: "sandbox_creator", Name: "Sandbox Creator", AccountType: "MEDIA_CREATOR",
		Biography: "A sandbox account of the connector gateway.", Website: "https://example.com",
		ProfilePictureURL: "https://scontent.cdninstagram.com/v/sandbox/profile.jpg", FollowersCount: 1234, FollowsCount: 56,
	}, DemoToken)
	s.AddMedia(DemoUserID, demoMediaSize)
	s.AddContainer(DemoUserID, DemoContainerID, "https://example.com/ready.jpg")
	s.AddUser(User{ID: OtherUserID, Username: "sandbox_other", Name: "Other Account", AccountType: "BUSINESS", FollowersCount: 10}, OtherToken)
	s.AddMedia(OtherUserID, 3)
	s.AddToken(DemoUserID, ExpiredToken)
	s.ExpireToken(ExpiredToken)
}
