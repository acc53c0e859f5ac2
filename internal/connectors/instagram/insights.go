package instagram

import (
	"strconv"
	"strings"
)

// Insights' metrics and parameters, as Instagram defines them for the
// Instagram API with Instagram Login. A metric Instagram deprecated in a
// Graph API version is offered only in the versions before it.

// lastLegacyMajor is the last Graph API version (v21.0) that still offers the
// metrics Instagram deprecated in v22.0.
const lastLegacyMajor = 21

var (
	accountMetrics = []string{"reach", "follower_count", "website_clicks", "profile_views", "online_followers",
		"accounts_engaged", "total_interactions", "likes", "comments", "shares", "saves", "replies",
		"follows_and_unfollows", "profile_links_taps", "views", "engaged_audience_demographics",
		"reached_audience_demographics", "follower_demographics"}
	legacyAccountMetrics = []string{"impressions"}

	mediaMetrics = []string{"reach", "likes", "comments", "shares", "saved", "total_interactions", "follows",
		"profile_visits", "profile_activity", "views", "ig_reels_avg_watch_time",
		"ig_reels_video_view_total_time", "navigation", "replies"}
	legacyMediaMetrics = []string{"impressions", "plays", "clips_replays_count",
		"ig_reels_aggregated_all_plays_count", "video_views"}
)

// Values of the other insights parameters.
var (
	// AccountPeriods are the periods of account metrics.
	AccountPeriods = []string{"day", "week", "days_28", "month", "lifetime"}
	// MetricTypes tell whether a metric is one total or a series by period.
	MetricTypes = []string{"total_value", "time_series"}
	// AccountBreakdowns are the dimensions account metrics break down by.
	AccountBreakdowns = []string{"media_product_type", "follow_type", "follower_type", "contact_button_type",
		"age", "city", "country", "gender"}
	// MediaBreakdowns are the dimensions media metrics break down by
	// (profile_activity's and navigation's).
	MediaBreakdowns = []string{"action_type", "story_navigation_action_type"}

	timeframes       = []string{"this_week", "this_month"}
	legacyTimeframes = []string{"last_14_days", "last_30_days", "last_90_days", "prev_month"}
)

// lastLegacyTimeframeMajor is the last Graph API version (v19.0) that offers
// the demographics timeframes Instagram removed in v20.0.
const lastLegacyTimeframeMajor = 19

// Timeframes returns the windows of the demographics metrics in a Graph API
// version.
func Timeframes(version string) []string {
	out := append([]string(nil), timeframes...)
	if major, _, ok := parseVersion(version); ok && major <= lastLegacyTimeframeMajor {
		out = append(out, legacyTimeframes...)
	}
	return out
}

// AccountMetrics returns the account metrics Instagram offers in a Graph API
// version ("v21.0").
func AccountMetrics(version string) []string {
	return metrics(version, accountMetrics, legacyAccountMetrics)
}

// MediaMetrics returns the media metrics Instagram offers in a Graph API
// version, for media of any product type (feed, reels, stories).
func MediaMetrics(version string) []string {
	return metrics(version, mediaMetrics, legacyMediaMetrics)
}

func metrics(version string, current, legacy []string) []string {
	out := make([]string, 0, len(current)+len(legacy))
	out = append(out, current...)
	if legacyVersion(version) {
		out = append(out, legacy...)
	}
	return out
}

// legacyVersion tells whether version ("v21.0") is v21.0 or older.
func legacyVersion(version string) bool {
	major, minor, ok := parseVersion(version)
	return ok && (major < lastLegacyMajor || major == lastLegacyMajor && minor == 0)
}

// parseVersion reads a Graph API version: "v21.0" is 21, 0.
func parseVersion(version string) (major, minor int, ok bool) {
	ma, mi, _ := strings.Cut(strings.TrimPrefix(version, "v"), ".")
	major, err1 := strconv.Atoi(ma)
	minor, err2 := strconv.Atoi(mi)
	return major, minor, err1 == nil && err2 == nil
}

// fixed returns the Values of a parameter whose values do not depend on the
// version.
func fixed(values []string) func(string) []string {
	return func(string) []string { return values }
}
