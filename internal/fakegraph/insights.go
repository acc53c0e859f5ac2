package fakegraph

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// LatestVersion is the Graph API version the fake answers a path without a
// version prefix as (Graph uses the app's default version; the fake's is
// the newest it knows).
const LatestVersion = "v24.0"

// major reads a version ("v21.0", "21.0", "/v21.0"); anything else is
// LatestVersion.
func major(version string) int {
	v := strings.TrimPrefix(strings.TrimPrefix(version, "/"), "v")
	n, err := strconv.Atoi(strings.SplitN(v, ".", 2)[0])
	if err != nil || n <= 0 {
		return major(LatestVersion)
	}
	return n
}

// accountMetric is a metric of GET /{ig-user-id}/insights.
type accountMetric struct {
	name, title, desc string
	// periods the metric takes; timeSeries and totalValue, the metric
	// types.
	periods                []string
	timeSeries, totalValue bool
	breakdowns             []string
	// demographic metrics need a timeframe and are lifetime.
	demographic bool
	// lo and hi bound a day's value.
	lo, hi int
	// until is the last major version that has the metric (0: every one).
	until int
}

var (
	daily       = []string{"day"}
	rolling     = []string{"day", "week", "days_28"}
	lifetime    = []string{"lifetime"}
	demographic = []string{"age", "city", "country", "gender"}
	byProduct   = []string{"media_product_type"}
)

// accountMetrics is in the order Instagram lists them in its errors.
var accountMetrics = []accountMetric{
	{name: "impressions", title: "Impressions", desc: "The number of times your posts, stories, reels, videos and live videos were on screen, including in ads.", periods: rolling, timeSeries: true, totalValue: true, lo: 200, hi: 1500, until: 21},
	{name: "reach", title: "Accounts reached", desc: "The number of unique accounts that have seen your content, at least once, including in ads.", periods: rolling, timeSeries: true, totalValue: true, breakdowns: []string{"media_product_type", "follow_type"}, lo: 100, hi: 900},
	{name: "follower_count", title: "Follower count", desc: "The number of accounts that followed you in the given period.", periods: daily, timeSeries: true, lo: 0, hi: 20},
	{name: "website_clicks", title: "Website taps", desc: "The number of times that the link in your account's bio was tapped.", periods: daily, timeSeries: true, totalValue: true, lo: 0, hi: 30},
	{name: "profile_views", title: "Profile views", desc: "The number of times that your profile was visited.", periods: daily, timeSeries: true, totalValue: true, lo: 10, hi: 120},
	{name: "online_followers", title: "Online followers", desc: "The number of your followers who were online, by hour of the day.", periods: lifetime, timeSeries: true, lo: 0, hi: 400},
	{name: "accounts_engaged", title: "Accounts engaged", desc: "The number of accounts that have interacted with your content, including in ads.", periods: daily, totalValue: true, lo: 20, hi: 200},
	{name: "total_interactions", title: "Content interactions", desc: "The total number of post interactions, story interactions, reels interactions, video interactions and live video interactions, including any interactions on boosted content.", periods: daily, totalValue: true, breakdowns: byProduct, lo: 30, hi: 300},
	{name: "likes", title: "Likes", desc: "The number of likes on your posts, reels and videos.", periods: daily, totalValue: true, breakdowns: byProduct, lo: 20, hi: 250},
	{name: "comments", title: "Comments", desc: "The number of comments on your posts, reels, videos and live videos.", periods: daily, totalValue: true, breakdowns: byProduct, lo: 0, hi: 40},
	{name: "shares", title: "Shares", desc: "The number of shares of your posts, stories, reels, videos and live videos.", periods: daily, totalValue: true, breakdowns: byProduct, lo: 0, hi: 30},
	{name: "saves", title: "Saves", desc: "The number of saves of your posts, reels and videos.", periods: daily, totalValue: true, breakdowns: byProduct, lo: 0, hi: 30},
	{name: "replies", title: "Replies", desc: "The number of replies you received from your story, including text replies and quick reaction replies.", periods: daily, totalValue: true, breakdowns: byProduct, lo: 0, hi: 15},
	{name: "engaged_audience_demographics", title: "Engaged audience demographics", desc: "The demographic characteristics of the engaged audience, including countries, cities and gender distribution.", periods: lifetime, totalValue: true, breakdowns: demographic, demographic: true, lo: 5, hi: 300},
	{name: "reached_audience_demographics", title: "Reached audience demographics", desc: "The demographic characteristics of the reached audience, including countries, cities and gender distribution.", periods: lifetime, totalValue: true, breakdowns: demographic, demographic: true, lo: 5, hi: 500},
	{name: "follower_demographics", title: "Follower demographics", desc: "The demographic characteristics of followers, including countries, cities and gender distribution.", periods: lifetime, totalValue: true, breakdowns: demographic, demographic: true, lo: 5, hi: 400},
	{name: "follows_and_unfollows", title: "Follows and unfollows", desc: "The number of accounts that followed you and the number of accounts that unfollowed you or left Instagram in the selected time period.", periods: daily, totalValue: true, breakdowns: []string{"follow_type"}, lo: 0, hi: 20},
	{name: "profile_links_taps", title: "Profile links taps", desc: "The number of taps on your business address, call button, email button and text button.", periods: daily, totalValue: true, breakdowns: []string{"contact_button_type"}, lo: 0, hi: 25},
	{name: "views", title: "Views", desc: "The number of times your content was played or displayed.", periods: daily, totalValue: true, breakdowns: []string{"follower_type", "media_product_type"}, lo: 300, hi: 3000},
}

// AccountMetrics returns the metrics GET /{ig-user-id}/insights takes in
// an API version ("v21.0"; "" is LatestVersion), in Instagram's order.
func AccountMetrics(version string) []string {
	v := major(version)
	var out []string
	for _, m := range accountMetrics {
		if m.until == 0 || v <= m.until {
			out = append(out, m.name)
		}
	}
	return out
}

// mediaMetric is a metric of GET /{ig-media-id}/insights.
type mediaMetric struct {
	name, title, desc string
	// products are the media_product_types that have the metric.
	products  []string
	breakdown string
	lo, hi    int
	until     int
}

const (
	feed  = "FEED"
	reels = "REELS"
	story = "STORY"
)

var (
	everywhere  = []string{feed, reels, story}
	feedReels   = []string{feed, reels}
	feedStories = []string{feed, story}
)

// mediaMetrics is in the order Instagram lists them in its errors.
var mediaMetrics = []mediaMetric{
	{name: "impressions", title: "Impressions", desc: "Total number of times the media object has been seen.", products: feedStories, lo: 200, hi: 2000, until: 21},
	{name: "reach", title: "Accounts reached", desc: "The number of unique accounts that have seen this media, at least once.", products: everywhere, lo: 100, hi: 1500},
	{name: "replies", title: "Replies", desc: "The number of replies to the story.", products: []string{story}, lo: 0, hi: 15},
	{name: "saved", title: "Saved", desc: "The number of saves of the media.", products: feedReels, lo: 0, hi: 40},
	{name: "video_views", title: "Video views", desc: "Total number of times the video has been seen.", products: []string{feed}, lo: 100, hi: 3000, until: 21},
	{name: "likes", title: "Likes", desc: "The number of likes on the media.", products: feedReels},
	{name: "comments", title: "Comments", desc: "The number of comments on the media.", products: feedReels},
	{name: "shares", title: "Shares", desc: "The number of shares of the media.", products: everywhere, lo: 0, hi: 30},
	{name: "plays", title: "Plays", desc: "The number of times the reel started to play.", products: []string{reels}, lo: 300, hi: 5000, until: 21},
	{name: "total_interactions", title: "Interactions", desc: "The number of likes, saves, comments and shares on the media, minus the number of unlikes, unsaves and deleted comments.", products: everywhere, lo: 20, hi: 300},
	{name: "follows", title: "Follows", desc: "The number of accounts that started following you from this media.", products: feedStories, lo: 0, hi: 10},
	{name: "profile_visits", title: "Profile visits", desc: "The number of times your profile was visited from this media.", products: feedStories, lo: 0, hi: 40},
	{name: "profile_activity", title: "Profile activity", desc: "The number of actions people took on your profile after engaging with this media.", products: feedStories, breakdown: "action_type", lo: 0, hi: 30},
	{name: "navigation", title: "Navigation", desc: "The total number of actions taken from the story: taps forward and back, exits, swipes to the next story.", products: []string{story}, breakdown: "story_navigation_action_type", lo: 50, hi: 600},
	{name: "ig_reels_video_view_total_time", title: "Watch time", desc: "The total time the reel was played, including replays, in milliseconds.", products: []string{reels}, lo: 600000, hi: 9000000},
	{name: "ig_reels_avg_watch_time", title: "Average watch time", desc: "The average time the reel was played, in milliseconds.", products: []string{reels}, lo: 2000, hi: 15000},
	{name: "clips_replays_count", title: "Replays", desc: "The number of times the reel started to play again after its first play.", products: []string{reels}, lo: 10, hi: 500, until: 21},
	{name: "ig_reels_aggregated_all_plays_count", title: "Plays", desc: "The number of times the reel started to play, replays included.", products: []string{reels}, lo: 300, hi: 6000, until: 21},
	{name: "views", title: "Views", desc: "The number of times the media was played or displayed.", products: everywhere, lo: 300, hi: 4000},
}

// MediaMetrics returns the metrics GET /{ig-media-id}/insights takes, in an
// API version ("" is LatestVersion), for a media_product_type (FEED, REELS,
// STORY; AD is answered as FEED; "" is every product type), in Instagram's
// order. nil for another product type.
func MediaMetrics(version, mediaProductType string) []string {
	p := strings.ToUpper(mediaProductType)
	if p == "AD" {
		p = feed
	}
	v := major(version)
	var out []string
	for _, m := range mediaMetrics {
		if (m.until == 0 || v <= m.until) && (p == "" || slices.Contains(m.products, p)) {
			out = append(out, m.name)
		}
	}
	return out
}

// allMediaMetrics is every media metric of a version, whatever the product.
func allMediaMetrics(version string) []string { return MediaMetrics(version, "") }

// breakdownValues are each breakdown dimension's values.
var breakdownValues = map[string][]string{
	"age":                          {"13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"},
	"gender":                       {"F", "M", "U"},
	"country":                      {"US", "GB", "DE", "FR", "BR", "IN"},
	"city":                         {"London, England", "New York, New York", "Berlin, Berlin", "Paris, Île-de-France", "São Paulo, São Paulo"},
	"media_product_type":           {"AD", "CAROUSEL_CONTAINER", "POST", "REEL", "STORY"},
	"follow_type":                  {"FOLLOWER", "NON_FOLLOWER"},
	"follower_type":                {"FOLLOWER", "NON_FOLLOWER"},
	"contact_button_type":          {"BOOK_NOW", "CALL", "DIRECTION", "EMAIL", "INSTANT_EXPERIENCE", "TEXT", "UNDEFINED"},
	"action_type":                  {"BIO_LINK_CLICKED", "CALL", "DIRECTION", "EMAIL", "OTHER", "TEXT"},
	"story_navigation_action_type": {"SWIPE_FORWARD", "TAP_BACK", "TAP_EXIT", "TAP_FORWARD"},
}

// Insights periods, and the demographic timeframes (the older ones left
// in v20.0).
var (
	insightsPeriods  = []string{"day", "week", "days_28", "month", "lifetime"}
	timeframes       = []string{"this_week", "this_month"}
	timeframesBefore = []string{"last_14_days", "last_30_days", "last_90_days", "prev_month", "this_week", "this_month"}
)

// maxInsightsRange is the longest since..until range.
const maxInsightsRange = 30 * 24 * time.Hour

// valueOf is a metric's deterministic value for a key, in lo..hi.
func valueOf(lo, hi int, key ...string) int {
	h := fnv.New32a()
	h.Write([]byte(strings.Join(key, "|")))
	return lo + int(h.Sum32()%uint32(hi-lo+1))
}

func splitList(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func badParam(format string, a ...any) graphError {
	return graphError{Message: "(#100) " + fmt.Sprintf(format, a...), Code: 100}
}

// breakdownsOf answers total_value.breakdowns: every combination of the
// dimensions' values (45 at most, as Instagram returns the top 45).
func breakdownsOf(dims []string, key ...string) []any {
	combos := [][]string{{}}
	for _, d := range dims {
		var next [][]string
		for _, c := range combos {
			for _, v := range breakdownValues[d] {
				next = append(next, append(slices.Clone(c), v))
			}
		}
		combos = next
	}
	results := make([]any, 0, min(45, len(combos)))
	for _, c := range combos[:min(45, len(combos))] {
		results = append(results, map[string]any{"dimension_values": c, "value": valueOf(1, 200, append(slices.Clone(key), c...)...)})
	}
	return []any{map[string]any{"dimension_keys": dims, "results": results}}
}

// parseTime reads since or until: a UNIX timestamp or a date.
func parseTime(s string) (time.Time, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), true
	}
	for _, layout := range []string{"2006-01-02", time.RFC3339, timeLayout} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// dayEnds are the end_time of each day in (since, until]: Instagram's days
// end at 07:00 UTC (midnight Pacific). At least one.
func dayEnds(since, until time.Time) []time.Time {
	first := since.Truncate(24 * time.Hour).Add(7 * time.Hour)
	if !first.After(since) {
		first = first.Add(24 * time.Hour)
	}
	out := []time.Time{first}
	for t := first.Add(24 * time.Hour); !t.After(until); t = t.Add(24 * time.Hour) {
		out = append(out, t)
	}
	return out
}

// userInsights is GET /{ig-user-id}/insights.
func (s *Server) userInsights(q *request) {
	f, user := q.r.Form, q.user
	names := splitList(f.Get("metric"))
	if len(names) == 0 {
		s.fail(q, param("The parameter metric is required."))
		return
	}
	allowed := AccountMetrics(q.version)
	var ms []accountMetric
	for i, n := range names {
		if !slices.Contains(allowed, n) {
			if n == "impressions" {
				s.fail(q, badParam("Starting from version 22 and above, the impressions metric is no longer supported for the queried user. Please refer to the documentation at https://developers.facebook.com/docs/instagram-api/reference/ig-user/insights for a list of supported metrics."))
				return
			}
			s.fail(q, badParam("metric[%d] must be one of the following values: %s", i, strings.Join(allowed, ", ")))
			return
		}
		ms = append(ms, accountMetrics[slices.IndexFunc(accountMetrics, func(m accountMetric) bool { return m.name == n })])
	}
	period := f.Get("period")
	switch {
	case period == "":
		s.fail(q, param("The parameter period is required."))
		return
	case !slices.Contains(insightsPeriods, period):
		s.fail(q, badParam("period must be one of the following values: %s", strings.Join(insightsPeriods, ", ")))
		return
	}
	mt := f.Get("metric_type")
	if mt == "" {
		mt = "time_series"
	}
	if mt != "time_series" && mt != "total_value" {
		s.fail(q, badParam("metric_type must be one of the following values: time_series, total_value"))
		return
	}
	bds := splitList(f.Get("breakdown"))
	if len(bds) > 0 && mt != "total_value" {
		s.fail(q, badParam("breakdown is only supported with metric_type=total_value"))
		return
	}
	var needTotal, noTotal, badPeriod, demo []string
	for _, m := range ms {
		switch {
		case mt == "time_series" && !m.timeSeries:
			needTotal = append(needTotal, m.name)
		case mt == "total_value" && !m.totalValue:
			noTotal = append(noTotal, m.name)
		}
		if !slices.Contains(m.periods, period) {
			badPeriod = append(badPeriod, m.name)
		}
		for _, b := range bds {
			if !slices.Contains(m.breakdowns, b) {
				s.fail(q, badParam("The following metrics (%s) do not support the breakdown %s", m.name, b))
				return
			}
		}
		if m.demographic {
			demo = append(demo, m.name)
		}
	}
	switch {
	case len(needTotal) > 0:
		s.fail(q, badParam("The following metrics (%s) should be specified with parameter metric_type=total_value", strings.Join(needTotal, ", ")))
		return
	case len(noTotal) > 0:
		s.fail(q, badParam("The following metrics (%s) do not support metric_type=total_value", strings.Join(noTotal, ", ")))
		return
	case len(badPeriod) > 0:
		s.fail(q, badParam("The following metrics (%s) do not support the period %s", strings.Join(badPeriod, ", "), period))
		return
	}
	if len(demo) > 0 {
		tfs := timeframes
		if major(q.version) < 20 {
			tfs = timeframesBefore
		}
		switch tf := f.Get("timeframe"); {
		case tf == "":
			s.fail(q, badParam("The parameter timeframe is required for the metrics (%s)", strings.Join(demo, ", ")))
			return
		case !slices.Contains(tfs, tf):
			s.fail(q, badParam("timeframe must be one of the following values: %s", strings.Join(tfs, ", ")))
			return
		}
	}
	until, since := s.Now().UTC(), time.Time{}
	for _, p := range []struct {
		name string
		to   *time.Time
	}{{"since", &since}, {"until", &until}} {
		if v := f.Get(p.name); v != "" {
			t, ok := parseTime(v)
			if !ok {
				s.fail(q, badParam("Param %s must be a UNIX timestamp or a date (YYYY-MM-DD)", p.name))
				return
			}
			*p.to = t
		}
	}
	if since.IsZero() {
		since = until.Add(-48 * time.Hour)
	}
	switch {
	case !since.Before(until):
		s.fail(q, badParam("The parameter since must be earlier than until"))
		return
	case until.Sub(since) > maxInsightsRange:
		s.fail(q, badParam("There cannot be more than 30 days (2592000 s) between since and until"))
		return
	}
	ends := dayEnds(since, until)
	data := []any{}
	for _, m := range ms {
		if (m.name == "follower_count" || m.name == "online_followers") && user.FollowersCount < 100 {
			// Not available under 100 followers: Instagram leaves it out.
			continue
		}
		entry := map[string]any{"name": m.name, "period": period, "title": m.title, "description": m.desc,
			"id": user.ID + "/insights/" + m.name + "/" + period}
		if mt == "total_value" {
			tv := map[string]any{}
			if !m.demographic {
				sum := 0
				for _, e := range ends {
					sum += valueOf(m.lo, m.hi, user.ID, m.name, period, strconv.FormatInt(e.Unix(), 10))
				}
				tv["value"] = sum
			}
			if len(bds) > 0 {
				tv["breakdowns"] = breakdownsOf(bds, user.ID, m.name)
			}
			entry["total_value"] = tv
		} else {
			values := make([]any, 0, len(ends))
			for _, e := range ends {
				day := strconv.FormatInt(e.Unix(), 10)
				var v any = valueOf(m.lo, m.hi, user.ID, m.name, period, day)
				if m.name == "online_followers" {
					hours := map[string]int{}
					for h := range 24 {
						hours[strconv.Itoa(h)] = valueOf(m.lo, m.hi, user.ID, m.name, day, strconv.Itoa(h))
					}
					v = hours
				}
				values = append(values, map[string]any{"value": v, "end_time": e.Format(timeLayout)})
			}
			entry["values"] = values
		}
		data = append(data, entry)
	}
	out := map[string]any{"data": data}
	if mt == "time_series" {
		span := until.Sub(since)
		link := func(from, to time.Time) string {
			v := url.Values{}
			for k, vs := range f {
				v[k] = vs
			}
			v.Set("access_token", q.tok)
			v.Set("since", strconv.FormatInt(from.Unix(), 10))
			v.Set("until", strconv.FormatInt(to.Unix(), 10))
			return baseURL(q.r) + versionOf(q.r) + "/" + user.ID + "/insights?" + v.Encode()
		}
		out["paging"] = map[string]string{"previous": link(since.Add(-span), since), "next": link(until, until.Add(span))}
	}
	writeJSON(q.w, http.StatusOK, out)
}

// mediaInsights is GET /{ig-media-id}/insights: lifetime values.
func (s *Server) mediaInsights(q *request, m *Media) {
	f := q.r.Form
	names := splitList(f.Get("metric"))
	if len(names) == 0 {
		s.fail(q, param("The parameter metric is required."))
		return
	}
	if m.album != "" {
		s.fail(q, badParam("Insights data is not available for media within an album (carousel children)."))
		return
	}
	all, ours := allMediaMetrics(q.version), MediaMetrics(q.version, m.MediaProductType)
	var ms []mediaMetric
	for i, n := range names {
		switch {
		case !slices.Contains(all, n):
			s.fail(q, badParam("metric[%d] must be one of the following values: %s", i, strings.Join(all, ", ")))
			return
		case !slices.Contains(ours, n):
			s.fail(q, badParam("The Media Insights API does not support the %s metric for this media product type.", n))
			return
		}
		ms = append(ms, mediaMetrics[slices.IndexFunc(mediaMetrics, func(mm mediaMetric) bool { return mm.name == n })])
	}
	bds := splitList(f.Get("breakdown"))
	for _, mm := range ms {
		for _, b := range bds {
			if b != mm.breakdown {
				s.fail(q, badParam("The following metrics (%s) do not support the breakdown %s", mm.name, b))
				return
			}
		}
	}
	total := len(bds) > 0 || f.Get("metric_type") == "total_value"
	data := []any{}
	for _, mm := range ms {
		var v int
		switch mm.name {
		case "likes":
			v = m.LikeCount
		case "comments":
			v = m.CommentsCount
		default:
			v = valueOf(mm.lo, mm.hi, m.ID, mm.name)
		}
		entry := map[string]any{"name": mm.name, "period": "lifetime", "title": mm.title, "description": mm.desc,
			"id": m.ID + "/insights/" + mm.name + "/lifetime"}
		if total {
			tv := map[string]any{"value": v}
			if len(bds) > 0 {
				tv["breakdowns"] = breakdownsOf(bds, m.ID, mm.name)
			}
			entry["total_value"] = tv
		} else {
			entry["values"] = []any{map[string]any{"value": v}}
		}
		data = append(data, entry)
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"data": data})
}
