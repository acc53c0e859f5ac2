package fakegraph

import (
	"encoding/base64"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// errOf returns a Graph error answer's error object (nil for another body).
func errOf(body map[string]any) map[string]any {
	e, _ := body["error"].(map[string]any)
	return e
}

func list(body map[string]any) []map[string]any {
	raw, _ := body["data"].([]any)
	out := make([]map[string]any, len(raw))
	for i, x := range raw {
		out[i], _ = x.(map[string]any)
	}
	return out
}

// seeded returns the IDs of the seeded demo objects a test needs.
func seeded(t *testing.T, f *Server) (reel, story, tagged, otherMedia string) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.order[DemoUserID][1], f.stories[DemoUserID][0], f.tags[DemoUserID][0], f.order[OtherUserID][0]
}

// albumChild returns a child of the demo account's newest media, a carousel.
func albumChild(t *testing.T, f *Server) string {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.media[f.order[DemoUserID][0]].Children[0]
}

func TestSeedCatalog(t *testing.T) {
	f, _ := newFake(t)
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.media[DemoCommentedMediaID]
	c := f.comments[DemoCommentID]
	switch {
	case m == nil || m.OwnerID != DemoUserID || m.MediaType != "IMAGE" || f.order[DemoUserID][2] != m.ID:
		t.Fatalf("DemoCommentedMediaID: %+v", m)
	case len(f.topComments[m.ID]) != demoComments || m.CommentsCount != demoComments+demoReplies:
		t.Fatalf("%d comments, comments_count %d", len(f.topComments[m.ID]), m.CommentsCount)
	case c == nil || c.mediaID != m.ID || f.topComments[m.ID][0] != c.id || len(c.replies) != demoReplies:
		t.Fatalf("DemoCommentID: %+v", c)
	case f.comments[c.replies[demoReplies-1]].fromID != DemoUserID:
		t.Fatal("the last reply is not the demo account's")
	case len(f.topComments[f.order[DemoUserID][1]]) != demoReelComments || f.media[f.order[DemoUserID][1]].MediaProductType != "REELS":
		t.Fatal("the demo reel's comments")
	case len(f.stories[DemoUserID]) != demoStories || len(f.tags[DemoUserID]) != demoTags || len(f.order[DemoUserID]) != demoMediaSize:
		t.Fatalf("%d stories, %d tags, %d media", len(f.stories[DemoUserID]), len(f.tags[DemoUserID]), len(f.order[DemoUserID]))
	}
	// Every ID is digits only, in its kind's range.
	ranges := []struct {
		kind string
		ids  []string
		re   *regexp.Regexp
	}{
		{"users", slices.Collect(maps.Keys(f.users)), regexp.MustCompile(`^178414\d{11}$`)},
		{"media", slices.Collect(maps.Keys(f.media)), regexp.MustCompile(`^179\d{14}$`)},
		{"comments", slices.Collect(maps.Keys(f.comments)), regexp.MustCompile(`^1785\d{13}$`)},
	}
	for _, r := range ranges {
		for _, id := range r.ids {
			if !r.re.MatchString(id) {
				t.Fatalf("%s: %s", r.kind, id)
			}
		}
	}
}

// TestCatalog: every endpoint's success shape, and its errors: another
// user's object invisible, unknown fields, bad metrics.
func TestCatalog(t *testing.T) {
	f, srv := newFake(t)
	reel, story, tagged, otherMedia := seeded(t, f)
	child := albumChild(t, f)
	type check func(t *testing.T, body map[string]any)
	ok := func(checks ...check) check {
		return func(t *testing.T, body map[string]any) {
			for _, c := range checks {
				c(t, body)
			}
		}
	}
	has := func(key string, want any) check {
		return func(t *testing.T, body map[string]any) {
			if body[key] != want {
				t.Fatalf("%s = %v, want %v: %v", key, body[key], want, body)
			}
		}
	}
	items := func(n int, each func(map[string]any) bool) check {
		return func(t *testing.T, body map[string]any) {
			data := list(body)
			if len(data) != n {
				t.Fatalf("%d items, want %d: %v", len(data), n, body)
			}
			for _, it := range data {
				if each != nil && !each(it) {
					t.Fatalf("item %v", it)
				}
			}
		}
	}
	noPaging := func(t *testing.T, body map[string]any) {
		if _, ok := body["paging"]; ok {
			t.Fatalf("paging on an empty list: %v", body)
		}
	}
	lastPage := func(t *testing.T, body map[string]any) {
		p, _ := body["paging"].(map[string]any)
		if c, _ := p["cursors"].(map[string]any); c["after"] == nil || p["next"] != nil || p["previous"] != nil {
			t.Fatalf("paging on a one-page list: %v", body)
		}
	}
	hasNext := func(t *testing.T, body map[string]any) {
		p, _ := body["paging"].(map[string]any)
		if next, _ := p["next"].(string); !strings.Contains(next, "access_token="+DemoToken) {
			t.Fatalf("paging %v", p)
		}
	}
	insight := func(id string, shape string) check {
		return func(t *testing.T, body map[string]any) {
			data := list(body)
			if len(data) == 0 {
				t.Fatalf("no data: %v", body)
			}
			for _, d := range data {
				name, period := d["name"].(string), d["period"].(string)
				if d["id"] != id+"/insights/"+name+"/"+period || d["title"] == "" || d["description"] == "" || d[shape] == nil {
					t.Fatalf("insight %v", d)
				}
				if vs, ok := d["values"].([]any); ok && shape == "values" && len(vs) == 0 {
					t.Fatalf("no values: %v", d)
				}
			}
		}
	}
	// errors
	type graphErr struct {
		status    int
		code, sub float64
		typ, msg  string
	}
	invisible := func(id string) *graphErr {
		return &graphErr{400, 100, 33, "GraphMethodException", "Object with ID '" + id + "' does not exist, cannot be loaded due to missing permissions, or does not support this operation"}
	}
	field := func(name, typ string) *graphErr {
		return &graphErr{400, 100, 0, "OAuthException", "(#100) Tried accessing nonexisting field (" + name + ") on node type (" + typ + ")"}
	}
	bad := func(msg string) *graphErr { return &graphErr{400, 100, 0, "OAuthException", msg} }
	fbLogin := &graphErr{403, 10, 0, "OAuthException", "Facebook Login"}

	v21Metrics := strings.Join(AccountMetrics("v21.0"), ", ")
	latestMedia := strings.Join(allMediaMetrics(""), ", ")
	tests := []struct {
		name, method, path, tok string
		form                    url.Values
		want                    check
		err                     *graphErr
	}{
		// 1. the user node
		{"user by id", "GET", "/v21.0/" + DemoUserID + "?fields=username,media_count,followers_count", DemoToken, nil,
			ok(has("id", DemoUserID), has("username", "sandbox_creator"), has("media_count", float64(demoMediaSize))), nil},
		{"user by me, unversioned", "GET", "/me?fields=user_id", DemoToken, nil, has("user_id", DemoUserID), nil},
		{"another user", "GET", "/v21.0/" + OtherUserID + "?fields=username", DemoToken, nil, nil, invisible(OtherUserID)},
		{"tagging user is no node", "GET", "/v21.0/" + friendUserID, DemoToken, nil, nil, invisible(friendUserID)},
		{"user unknown field", "GET", "/v21.0/me?fields=id,caption", DemoToken, nil, nil, field("caption", "IGUser")},
		{"fields syntax", "GET", "/v21.0/me?fields=id,owner{", DemoToken, nil, nil, &graphErr{400, 2500, 0, "OAuthException", "Syntax error"}},
		{"unknown edge", "GET", "/v21.0/me/feed", DemoToken, nil, nil, &graphErr{400, 2500, 0, "OAuthException", "Unknown path components: /feed"}},
		{"delete a user", "DELETE", "/v21.0/me", DemoToken, nil, nil, invisible("me")},
		// 2. stories
		{"stories", "GET", "/v21.0/me/stories?fields=id,media_product_type,media_type,media_url,permalink,timestamp", DemoToken, nil,
			ok(items(demoStories, func(m map[string]any) bool { return m["media_product_type"] == "STORY" && m["media_url"] != nil }), lastPage), nil},
		{"stories by id", "GET", "/v22.0/" + DemoUserID + "/stories", DemoToken, nil, items(demoStories, nil), nil},
		{"another user's stories", "GET", "/v21.0/" + DemoUserID + "/stories", OtherToken, nil, nil, invisible(DemoUserID)},
		{"stories unknown field", "GET", "/v21.0/me/stories?fields=text", DemoToken, nil, nil, field("text", "IGMedia")},
		{"story node", "GET", "/v21.0/" + story + "?fields=media_product_type", DemoToken, nil, has("media_product_type", "STORY"), nil},
		// 3. tags
		{"tags", "GET", "/v21.0/me/tags?fields=id,username,owner,caption", DemoToken, nil,
			items(demoTags, func(m map[string]any) bool {
				return m["username"] == friendUsername && m["owner"] == nil && strings.Contains(m["caption"].(string), "@sandbox_creator")
			}), nil},
		{"tags paged", "GET", "/v21.0/me/tags?limit=5", DemoToken, nil, ok(items(5, nil), hasNext), nil},
		{"tagged media node is the owner's", "GET", "/v21.0/" + tagged, DemoToken, nil, nil, invisible(tagged)},
		{"tags unknown field", "GET", "/v21.0/me/tags?fields=hidden", DemoToken, nil, nil, field("hidden", "IGMedia")},
		{"another user's tags", "GET", "/v21.0/" + DemoUserID + "/tags", OtherToken, nil, nil, invisible(DemoUserID)},
		// 4. live media
		{"live media", "GET", "/v21.0/me/live_media?fields=id,media_type", DemoToken, nil, ok(items(0, nil), noPaging), nil},
		{"live media unknown field", "GET", "/v21.0/me/live_media?fields=nope", DemoToken, nil, nil, field("nope", "IGMedia")},
		// 5. account insights
		{"reach", "GET", "/v21.0/me/insights?metric=reach&period=day", DemoToken, nil, insight(DemoUserID, "values"), nil},
		{"reach week, range", "GET", "/v21.0/me/insights?metric=reach,impressions&period=week&since=2024-05-01&until=2024-05-08", DemoToken, nil,
			ok(insight(DemoUserID, "values"), func(t *testing.T, body map[string]any) {
				vs := list(body)[0]["values"].([]any)
				if len(vs) != 7 || vs[0].(map[string]any)["end_time"] != "2024-05-01T07:00:00+0000" {
					t.Fatalf("values %v", vs)
				}
				if p, _ := body["paging"].(map[string]any); p["next"] == nil || p["previous"] == nil {
					t.Fatalf("paging %v", body["paging"])
				}
			}), nil},
		{"total value", "GET", "/v22.0/me/insights?metric=likes,views,accounts_engaged&period=day&metric_type=total_value", DemoToken, nil,
			ok(insight(DemoUserID, "total_value"), func(t *testing.T, body map[string]any) {
				if v := list(body)[0]["total_value"].(map[string]any)["value"]; v == nil {
					t.Fatalf("no value: %v", body)
				}
			}), nil},
		{"breakdown", "GET", "/v22.0/me/insights?metric=reach&period=day&metric_type=total_value&breakdown=media_product_type", DemoToken, nil,
			func(t *testing.T, body map[string]any) {
				b := list(body)[0]["total_value"].(map[string]any)["breakdowns"].([]any)[0].(map[string]any)
				if len(b["results"].([]any)) != 5 || b["dimension_keys"].([]any)[0] != "media_product_type" {
					t.Fatalf("breakdowns %v", b)
				}
			}, nil},
		{"demographics", "GET", "/v22.0/me/insights?metric=follower_demographics&period=lifetime&metric_type=total_value&breakdown=age,gender&timeframe=this_month", DemoToken, nil,
			func(t *testing.T, body map[string]any) {
				b := list(body)[0]["total_value"].(map[string]any)["breakdowns"].([]any)[0].(map[string]any)
				r := b["results"].([]any)[0].(map[string]any)
				if len(b["results"].([]any)) != 21 || len(r["dimension_values"].([]any)) != 2 {
					t.Fatalf("breakdowns %v", b)
				}
			}, nil},
		{"online followers", "GET", "/v21.0/me/insights?metric=online_followers&period=lifetime", DemoToken, nil,
			func(t *testing.T, body map[string]any) {
				v := list(body)[0]["values"].([]any)[0].(map[string]any)["value"].(map[string]any)
				if len(v) != 24 {
					t.Fatalf("value %v", v)
				}
			}, nil},
		{"follower count under 100 followers", "GET", "/v21.0/me/insights?metric=follower_count&period=day", OtherToken, nil, items(0, nil), nil},
		{"impressions gone in v22", "GET", "/v22.0/me/insights?metric=impressions&period=day", DemoToken, nil, nil, bad("Starting from version 22 and above, the impressions metric is no longer supported")},
		{"unknown metric", "GET", "/v21.0/me/insights?metric=reach,bogus&period=day", DemoToken, nil, nil, bad("(#100) metric[1] must be one of the following values: " + v21Metrics)},
		{"media metric on a user", "GET", "/v21.0/me/insights?metric=saved&period=day", DemoToken, nil, nil, bad("(#100) metric[0] must be one of the following values: ")},
		{"no metric", "GET", "/v21.0/me/insights?period=day", DemoToken, nil, nil, bad("metric is required")},
		{"no period", "GET", "/v21.0/me/insights?metric=reach", DemoToken, nil, nil, bad("period is required")},
		{"bad period", "GET", "/v21.0/me/insights?metric=reach&period=year", DemoToken, nil, nil, bad("period must be one of the following values: day, week, days_28, month, lifetime")},
		{"incompatible period", "GET", "/v21.0/me/insights?metric=follower_count&period=week", DemoToken, nil, nil, bad("(follower_count) do not support the period week")},
		{"total value needed", "GET", "/v21.0/me/insights?metric=reach,likes,shares&period=day", DemoToken, nil, nil, bad("(#100) The following metrics (likes, shares) should be specified with parameter metric_type=total_value")},
		{"no timeframe", "GET", "/v21.0/me/insights?metric=follower_demographics&period=lifetime&metric_type=total_value", DemoToken, nil, nil, bad("timeframe")},
		{"old timeframe", "GET", "/v21.0/me/insights?metric=follower_demographics&period=lifetime&metric_type=total_value&timeframe=last_30_days", DemoToken, nil, nil, bad("timeframe must be one of the following values: this_week, this_month")},
		{"bad breakdown", "GET", "/v21.0/me/insights?metric=accounts_engaged&period=day&metric_type=total_value&breakdown=age", DemoToken, nil, nil, bad("do not support the breakdown age")},
		{"range too long", "GET", "/v21.0/me/insights?metric=reach&period=day&since=2024-01-01&until=2024-03-01", DemoToken, nil, nil, bad("30 days")},
		{"another user's insights", "GET", "/v21.0/" + OtherUserID + "/insights?metric=reach&period=day", DemoToken, nil, nil, invisible(OtherUserID)},
		// 6. media insights
		{"media insights", "GET", "/v21.0/" + DemoCommentedMediaID + "/insights?metric=reach,likes,comments,saved,impressions", DemoToken, nil,
			ok(insight(DemoCommentedMediaID, "values"), func(t *testing.T, body map[string]any) {
				if c := list(body)[2]["values"].([]any)[0].(map[string]any)["value"]; c != float64(demoComments+demoReplies) {
					t.Fatalf("comments %v", c)
				}
			}), nil},
		{"reel insights", "GET", "/v22.0/" + reel + "/insights?metric=views,ig_reels_avg_watch_time,ig_reels_video_view_total_time", DemoToken, nil, insight(reel, "values"), nil},
		{"story insights", "GET", "/v22.0/" + story + "/insights?metric=navigation,replies,reach,views", DemoToken, nil, insight(story, "values"), nil},
		{"story navigation breakdown", "GET", "/v22.0/" + story + "/insights?metric=navigation&breakdown=story_navigation_action_type", DemoToken, nil,
			ok(insight(story, "total_value"), func(t *testing.T, body map[string]any) {
				if b := list(body)[0]["total_value"].(map[string]any)["breakdowns"].([]any); len(b) != 1 {
					t.Fatalf("breakdowns %v", b)
				}
			}), nil},
		{"breakdown a metric lacks", "GET", "/v22.0/" + story + "/insights?metric=navigation,replies&breakdown=story_navigation_action_type", DemoToken, nil, nil, bad("(replies) do not support the breakdown story_navigation_action_type")},
		{"reels metric on an image", "GET", "/v22.0/" + DemoCommentedMediaID + "/insights?metric=reach,ig_reels_avg_watch_time", DemoToken, nil, nil, bad("(#100) The Media Insights API does not support the ig_reels_avg_watch_time metric for this media product type.")},
		{"plays gone in v22", "GET", "/v22.0/" + reel + "/insights?metric=plays", DemoToken, nil, nil, bad("(#100) metric[0] must be one of the following values: " + latestMedia)},
		{"unknown media metric", "GET", "/v21.0/" + reel + "/insights?metric=views,bogus", DemoToken, nil, nil, bad("(#100) metric[1] must be one of the following values: ")},
		{"another user's media insights", "GET", "/v21.0/" + otherMedia + "/insights?metric=reach", DemoToken, nil, nil, invisible(otherMedia)},
		// 7. containers
		{"container", "GET", "/v21.0/" + DemoContainerID + "?fields=id,status,status_code", DemoToken, nil,
			ok(has("id", DemoContainerID), has("status_code", StateFinished)), nil},
		{"container unknown field", "GET", "/v21.0/" + DemoContainerID + "?fields=caption", DemoToken, nil, nil, field("caption", "ShadowIGMediaBuilder")},
		{"another user's container", "GET", "/v21.0/" + DemoContainerID + "?fields=status_code", OtherToken, nil, nil, invisible(DemoContainerID)},
		// media node
		{"media unknown field", "GET", "/v21.0/" + DemoCommentedMediaID + "?fields=text", DemoToken, nil, nil, field("text", "IGMedia")},
		{"media owner expansion", "GET", "/v21.0/" + DemoCommentedMediaID + "?fields=owner{username}", DemoToken, nil,
			func(t *testing.T, body map[string]any) {
				if o := body["owner"].(map[string]any); o["username"] != "sandbox_creator" || o["id"] != DemoUserID {
					t.Fatalf("owner %v", o)
				}
			}, nil},
		{"media owner expansion unknown field", "GET", "/v21.0/" + DemoCommentedMediaID + "?fields=owner{text}", DemoToken, nil, nil, field("text", "IGUser")},
		{"another user's media", "GET", "/v21.0/" + otherMedia, DemoToken, nil, nil, invisible(otherMedia)},
		{"another user's media comment_enabled", "POST", "/v21.0/" + otherMedia, DemoToken, url.Values{"comment_enabled": {"false"}}, nil, invisible(otherMedia)},
		{"comment_enabled not a boolean", "POST", "/v21.0/" + DemoCommentedMediaID, DemoToken, url.Values{"comment_enabled": {"maybe"}}, nil, bad("comment_enabled must be a boolean")},
		{"album child", "GET", "/v21.0/" + child + "?fields=media_type", DemoToken, nil, has("media_type", "IMAGE"), nil},
		{"album child comment_enabled", "POST", "/v21.0/" + child, DemoToken, url.Values{"comment_enabled": {"false"}}, nil, invisible(child)},
		{"album child delete", "DELETE", "/v21.0/" + child, DemoToken, nil, nil, invisible(child)},
		{"album child insights", "GET", "/v21.0/" + child + "/insights?metric=reach", DemoToken, nil, nil, bad("album")},
		{"another user deletes media", "DELETE", "/v21.0/" + DemoCommentedMediaID, OtherToken, nil, nil, invisible(DemoCommentedMediaID)},
		// 10, 11. comments
		{"comments", "GET", "/v21.0/" + DemoCommentedMediaID + "/comments", DemoToken, nil,
			ok(items(25, func(c map[string]any) bool {
				return len(c) == 3 && c["id"] != nil && c["text"] != nil && c["timestamp"] != nil
			}), hasNext), nil},
		{"comments fields", "GET", "/v21.0/" + DemoCommentedMediaID + "/comments?limit=50&fields=id,from,hidden,like_count,media,username,parent_id", DemoToken, nil,
			items(demoComments, func(c map[string]any) bool {
				from, media := c["from"].(map[string]any), c["media"].(map[string]any)
				return from["username"] == c["username"] && from["id"] != nil && media["id"] == DemoCommentedMediaID && c["parent_id"] == nil && c["hidden"] != nil
			}), nil},
		{"comments unknown field", "GET", "/v21.0/" + DemoCommentedMediaID + "/comments?fields=id,caption", DemoToken, nil, nil, field("caption", "IGComment")},
		{"another user's comments", "GET", "/v21.0/" + DemoCommentedMediaID + "/comments", OtherToken, nil, nil, invisible(DemoCommentedMediaID)},
		{"comment without message", "POST", "/v21.0/" + DemoCommentedMediaID + "/comments", DemoToken, url.Values{}, nil, bad("The parameter message is required.")},
		{"comment too long", "POST", "/v21.0/" + DemoCommentedMediaID + "/comments", DemoToken, url.Values{"message": {strings.Repeat("é", 2201)}}, nil, bad("2,200")},
		{"comment on another user's media", "POST", "/v21.0/" + otherMedia + "/comments", DemoToken, url.Values{"message": {"hi"}}, nil, invisible(otherMedia)},
		// 12. comment node and replies
		{"comment node", "GET", "/v21.0/" + DemoCommentID + "?fields=id,text,from{username},media{id,media_type},replies.limit(3){text,parent_id},username,like_count,hidden", DemoToken, nil,
			func(t *testing.T, body map[string]any) {
				from, media, replies := body["from"].(map[string]any), body["media"].(map[string]any), body["replies"].(map[string]any)
				if from["id"] == nil || from["username"] != body["username"] || media["media_type"] != "IMAGE" || len(list(replies)) != 3 ||
					list(replies)[0]["parent_id"] != DemoCommentID || replies["paging"].(map[string]any)["next"] == nil {
					t.Fatalf("comment %v", body)
				}
			}, nil},
		{"comment node default fields", "GET", "/v21.0/" + DemoCommentID, DemoToken, nil,
			func(t *testing.T, body map[string]any) {
				if len(body) != 3 || body["text"] == nil || body["timestamp"] == nil {
					t.Fatalf("comment %v", body)
				}
			}, nil},
		{"replies", "GET", "/v21.0/" + DemoCommentID + "/replies?fields=id,parent_id,user,username", DemoToken, nil,
			ok(items(25, func(c map[string]any) bool { return c["parent_id"] == DemoCommentID && c["user"] == nil }), hasNext), nil},
		{"comment unknown field", "GET", "/v21.0/" + DemoCommentID + "?fields=caption", DemoToken, nil, nil, field("caption", "IGComment")},
		{"comment from unknown field", "GET", "/v21.0/" + DemoCommentID + "?fields=from{name}", DemoToken, nil, nil, field("name", "IGCommentFromUser")},
		{"another user's comment", "GET", "/v21.0/" + DemoCommentID, OtherToken, nil, nil, invisible(DemoCommentID)},
		{"another user's replies", "GET", "/v21.0/" + DemoCommentID + "/replies", OtherToken, nil, nil, invisible(DemoCommentID)},
		{"another user hides", "POST", "/v21.0/" + DemoCommentID, OtherToken, url.Values{"hide": {"true"}}, nil, invisible(DemoCommentID)},
		{"another user deletes a comment", "DELETE", "/v21.0/" + DemoCommentID, OtherToken, nil, nil, invisible(DemoCommentID)},
		{"another user replies", "POST", "/v21.0/" + DemoCommentID + "/replies", OtherToken, url.Values{"message": {"hi"}}, nil, invisible(DemoCommentID)},
		{"hide without hide", "POST", "/v21.0/" + DemoCommentID, DemoToken, url.Values{}, nil, bad("The parameter hide is required.")},
		{"reply without message", "POST", "/v21.0/" + DemoCommentID + "/replies", DemoToken, url.Values{}, nil, bad("The parameter message is required.")},
		// 13. Facebook Login only
		{"hashtag search", "GET", "/v21.0/ig_hashtag_search?user_id=" + DemoUserID + "&q=coke", DemoToken, nil, nil, fbLogin},
		{"recent media", "GET", "/v21.0/17843853986012965/recent_media?user_id=" + DemoUserID, DemoToken, nil, nil, fbLogin},
		{"top media", "GET", "/17843853986012965/top_media?user_id=" + DemoUserID, DemoToken, nil, nil, fbLogin},
		{"business discovery", "GET", "/v21.0/" + DemoUserID + "?fields=business_discovery.username(bluebottle){followers_count,media_count}", DemoToken, nil, nil, fbLogin},
		{"business discovery on another user", "GET", "/v21.0/" + OtherUserID + "?fields=business_discovery.username(x){id}", DemoToken, nil, nil, invisible(OtherUserID)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := srv.URL + tt.path
			var form url.Values
			if tt.method == http.MethodPost {
				form = tt.form
				if form == nil {
					form = url.Values{}
				}
			}
			before := f.Requests()
			st, h, body := call(t, tt.method, u, tt.tok, form)
			if f.Requests() != before+1 || h.Get("X-App-Usage") == "" || h.Get("X-Business-Use-Case-Usage") == "" {
				t.Fatalf("not counted, or no usage headers: %v", h)
			}
			if tt.err == nil {
				if st != 200 || errOf(body) != nil {
					t.Fatalf("%d %v", st, body)
				}
				tt.want(t, body)
				return
			}
			e := errOf(body)
			code, sub := errCode(body)
			if st != tt.err.status || code != tt.err.code || sub != tt.err.sub || e["type"] != tt.err.typ || !strings.Contains(e["message"].(string), tt.err.msg) {
				t.Fatalf("%d %v, want %d %v/%v %s %q", st, e, tt.err.status, tt.err.code, tt.err.sub, tt.err.typ, tt.err.msg)
			}
		})
	}
}

// TestPagingAcrossPages walks the comments, replies and tags edges page by
// page through their next links, then back through before, with base64
// cursors.
func TestPagingAcrossPages(t *testing.T) {
	_, srv := newFake(t)
	tests := []struct {
		name, path string
		total      int
	}{
		{"media", "/v21.0/me/media", demoMediaSize},
		{"comments", "/v21.0/" + DemoCommentedMediaID + "/comments", demoComments},
		{"replies", "/v21.0/" + DemoCommentID + "/replies", demoReplies},
		{"tags", "/v21.0/me/tags", demoTags},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := srv.URL + tt.path + "?fields=id,timestamp&limit=7"
			var pages [][]string
			seen := map[string]bool{}
			for next != "" && len(pages) < 20 {
				st, _, body := call(t, "GET", next, DemoToken, nil)
				if st != 200 {
					t.Fatalf("%d %v", st, body)
				}
				var ids []string
				for _, it := range list(body) {
					id := it["id"].(string)
					if seen[id] || it["timestamp"] == nil {
						t.Fatalf("item %v (seen: %v)", it, seen[id])
					}
					seen[id] = true
					ids = append(ids, id)
				}
				pages = append(pages, ids)
				paging := body["paging"].(map[string]any)
				cursors := paging["cursors"].(map[string]any)
				for _, c := range []string{cursors["before"].(string), cursors["after"].(string)} {
					if _, err := base64.StdEncoding.DecodeString(c); err != nil || !strings.ContainsAny(c, "+/") || !strings.HasSuffix(c, "=") {
						t.Fatalf("cursor %q", c)
					}
				}
				next, _ = paging["next"].(string)
				if next != "" {
					u, _ := url.Parse(next)
					if u.Query().Get("after") != cursors["after"] || u.Query().Get("fields") != "id,timestamp" || !strings.HasPrefix(u.Path, "/v21.0/") {
						t.Fatalf("next %s", next)
					}
				}
				if prev, _ := paging["previous"].(string); len(pages) > 1 && prev == "" {
					t.Fatal("no previous link after the first page")
				}
			}
			if want := (tt.total + 6) / 7; len(seen) != tt.total || len(pages) != want {
				t.Fatalf("%d items over %d pages, want %d over %d", len(seen), len(pages), tt.total, want)
			}
			// Back from the second page to the first.
			_, _, second := call(t, "GET", srv.URL+tt.path+"?limit=7&after="+url.QueryEscape(cursor(6)), DemoToken, nil)
			before := second["paging"].(map[string]any)["cursors"].(map[string]any)["before"].(string)
			_, _, first := call(t, "GET", srv.URL+tt.path+"?limit=7&before="+url.QueryEscape(before), DemoToken, nil)
			var got []string
			for _, it := range list(first) {
				got = append(got, it["id"].(string))
			}
			if !slices.Equal(got, pages[0]) {
				t.Fatalf("before: %v, want %v", got, pages[0])
			}
		})
	}
}

// TestStateChanges: POST and DELETE change what GET answers.
func TestStateChanges(t *testing.T) {
	f, srv := newFake(t)
	base := srv.URL + "/v21.0/"
	get := func(t *testing.T, path string) map[string]any {
		t.Helper()
		st, _, body := call(t, "GET", base+path, DemoToken, nil)
		if st != 200 {
			t.Fatalf("GET %s: %d %v", path, st, body)
		}
		return body
	}
	do := func(t *testing.T, method, path string, form url.Values) (int, map[string]any) {
		t.Helper()
		st, _, body := call(t, method, base+path, DemoToken, form)
		return st, body
	}
	mustOK := func(t *testing.T, method, path string, form url.Values) map[string]any {
		t.Helper()
		st, body := do(t, method, path, form)
		if st != 200 {
			t.Fatalf("%s %s: %d %v", method, path, st, body)
		}
		return body
	}
	gone := func(t *testing.T, id string) {
		t.Helper()
		_, _, body := call(t, "GET", base+id, DemoToken, nil)
		if c, s := errCode(body); c != 100 || s != 33 {
			t.Fatalf("%s still answers: %v", id, body)
		}
	}
	count := func(t *testing.T, media string) float64 {
		t.Helper()
		return get(t, media+"?fields=comments_count")["comments_count"].(float64)
	}
	success := func(t *testing.T, body map[string]any) {
		t.Helper()
		if body["success"] != true || len(body) != 1 {
			t.Fatalf("answer %v", body)
		}
	}
	media := DemoCommentedMediaID

	t.Run("comments off and on", func(t *testing.T) {
		success(t, mustOK(t, "POST", media, url.Values{"comment_enabled": {"false"}}))
		if get(t, media+"?fields=is_comment_enabled")["is_comment_enabled"] != false {
			t.Fatal("still enabled")
		}
		for _, path := range []string{media + "/comments", DemoCommentID + "/replies"} {
			st, body := do(t, "POST", path, url.Values{"message": {"hi"}})
			if e := errOf(body); st != 400 || e["code"] != 100.0 || e["type"] != "IGApiException" || !strings.Contains(e["message"].(string), "disabled") {
				t.Fatalf("%s with comments off: %d %v", path, st, body)
			}
		}
		success(t, mustOK(t, "POST", media, url.Values{"comment_enabled": {"true"}}))
		if get(t, media+"?fields=is_comment_enabled")["is_comment_enabled"] != true {
			t.Fatal("still disabled")
		}
	})

	var mine string
	t.Run("comment", func(t *testing.T) {
		before := count(t, media)
		body := mustOK(t, "POST", media+"/comments", url.Values{"message": {"Hello from the API"}})
		mine, _ = body["id"].(string)
		if len(body) != 1 || !regexp.MustCompile(`^1785\d{13}$`).MatchString(mine) {
			t.Fatalf("answer %v", body)
		}
		if count(t, media) != before+1 {
			t.Fatal("comments_count unchanged")
		}
		if first := list(get(t, media+"/comments?limit=1"))[0]; first["id"] != mine || first["text"] != "Hello from the API" {
			t.Fatalf("newest comment %v", first)
		}
		c := get(t, mine+"?fields=user,username,from")
		if c["user"].(map[string]any)["id"] != DemoUserID || c["username"] != "sandbox_creator" {
			t.Fatalf("own comment %v", c)
		}
	})

	t.Run("replies", func(t *testing.T) {
		before := count(t, media)
		reply := mustOK(t, "POST", DemoCommentID+"/replies", url.Values{"message": {"a reply"}})["id"].(string)
		// A reply to a reply goes to the top-level comment.
		nested := mustOK(t, "POST", reply+"/replies", url.Values{"message": {"a reply to a reply"}})["id"].(string)
		if p := get(t, nested+"?fields=parent_id")["parent_id"]; p != DemoCommentID {
			t.Fatalf("parent %v", p)
		}
		replies := list(get(t, DemoCommentID+"/replies?limit=100"))
		if len(replies) != demoReplies+2 || replies[len(replies)-1]["id"] != nested || count(t, media) != before+2 {
			t.Fatalf("%d replies", len(replies))
		}
		if n := len(list(get(t, reply+"/replies"))); n != 0 {
			t.Fatalf("a reply has %d replies", n)
		}
	})

	t.Run("hide", func(t *testing.T) {
		success(t, mustOK(t, "POST", mine, url.Values{"hide": {"true"}}))
		if get(t, mine+"?fields=hidden")["hidden"] != true {
			t.Fatal("not hidden")
		}
		if st, body := do(t, "POST", mine+"/replies", url.Values{"message": {"hi"}}); st != 400 || !strings.Contains(errOf(body)["message"].(string), "hidden") {
			t.Fatalf("reply to a hidden comment: %d %v", st, body)
		}
		success(t, mustOK(t, "POST", mine, url.Values{"hide": {"false"}}))
		mustOK(t, "POST", mine+"/replies", url.Values{"message": {"now visible"}})
	})

	t.Run("delete reply", func(t *testing.T) {
		before := count(t, media)
		replies := list(get(t, DemoCommentID+"/replies?limit=100"))
		last := replies[len(replies)-1]["id"].(string)
		success(t, mustOK(t, "DELETE", last, nil))
		gone(t, last)
		if n := len(list(get(t, DemoCommentID+"/replies?limit=100"))); n != len(replies)-1 || count(t, media) != before-1 {
			t.Fatalf("%d replies, comments_count %v", n, count(t, media))
		}
	})

	t.Run("delete comment", func(t *testing.T) {
		before := count(t, media)
		replies := float64(len(list(get(t, DemoCommentID+"/replies?limit=100"))))
		success(t, mustOK(t, "DELETE", DemoCommentID, nil))
		gone(t, DemoCommentID)
		if count(t, media) != before-1-replies {
			t.Fatalf("comments_count %v, want %v", count(t, media), before-1-replies)
		}
		for _, c := range list(get(t, media+"/comments?limit=100")) {
			if c["id"] == DemoCommentID {
				t.Fatal("still listed")
			}
		}
	})

	t.Run("delete media", func(t *testing.T) {
		before := f.MediaCount(DemoUserID)
		success(t, mustOK(t, "DELETE", media, nil))
		gone(t, media)
		gone(t, mine)
		if f.MediaCount(DemoUserID) != before-1 || get(t, "me?fields=media_count")["media_count"] != float64(before-1) {
			t.Fatal("media_count unchanged")
		}
		if st, _ := do(t, "DELETE", media, nil); st != 400 {
			t.Fatal("deleted twice")
		}
	})

	t.Run("delete story", func(t *testing.T) {
		_, story, _, _ := seeded(t, f)
		success(t, mustOK(t, "DELETE", story, nil))
		if n := len(list(get(t, "me/stories"))); n != demoStories-1 {
			t.Fatalf("%d stories", n)
		}
	})

	t.Run("published story is current", func(t *testing.T) {
		f.AddContainer(DemoUserID, "18000000000999999", "https://example.com/s.jpg")
		f.mu.Lock()
		f.containers["18000000000999999"].MediaType = "STORIES"
		f.mu.Unlock()
		id := mustOK(t, "POST", "me/media_publish", url.Values{"creation_id": {"18000000000999999"}})["id"].(string)
		if s := list(get(t, "me/stories")); s[0]["id"] != id {
			t.Fatalf("stories %v", s)
		}
	})
}

// TestThrottledEverywhere: throttling and usage headers apply to the new
// endpoints as to the others.
func TestThrottledEverywhere(t *testing.T) {
	f, srv := newFake(t)
	f.Throttle(DemoUserID, 4, time.Minute)
	for _, path := range []string{"/me/stories", "/me/tags", "/me/insights?metric=reach&period=day", "/" + DemoCommentedMediaID + "/comments", "/" + DemoCommentID, "/ig_hashtag_search?q=x"} {
		st, h, body := call(t, "GET", srv.URL+"/v21.0"+path, DemoToken, nil)
		if c, _ := errCode(body); st != 403 || c != 4 || !strings.Contains(h.Get("X-Business-Use-Case-Usage"), `"call_count":100`) {
			t.Fatalf("%s: %d %v %v", path, st, body, h)
		}
	}
}

func TestMetricLists(t *testing.T) {
	tests := []struct {
		version, product string
		has, hasNot      []string
	}{
		{"v21.0", "account", []string{"impressions", "reach", "follower_count", "online_followers", "views", "follower_demographics", "website_clicks", "profile_views"}, nil},
		{"v22.0", "account", []string{"reach", "views", "profile_links_taps", "follows_and_unfollows"}, []string{"impressions"}},
		{"", "account", []string{"reach"}, []string{"impressions"}},
		{"v19.0", "account", []string{"impressions"}, nil},
		{"v21.0", "FEED", []string{"impressions", "video_views", "reach", "saved", "follows", "profile_visits", "profile_activity", "views"}, []string{"navigation", "replies", "plays", "ig_reels_avg_watch_time"}},
		{"v22.0", "FEED", []string{"reach", "likes", "comments", "shares", "saved", "total_interactions", "views"}, []string{"impressions", "video_views"}},
		{"v21.0", "REELS", []string{"plays", "clips_replays_count", "ig_reels_aggregated_all_plays_count", "ig_reels_avg_watch_time", "ig_reels_video_view_total_time"}, []string{"impressions", "navigation"}},
		{"v22.0", "reels", []string{"views", "ig_reels_avg_watch_time", "ig_reels_video_view_total_time"}, []string{"plays", "clips_replays_count", "ig_reels_aggregated_all_plays_count"}},
		{"v22.0", "STORY", []string{"navigation", "replies", "reach", "views", "shares"}, []string{"impressions", "saved", "likes"}},
		{"v21.0", "STORY", []string{"impressions", "navigation"}, nil},
		{"v21.0", "", []string{"impressions", "plays", "video_views", "navigation", "saved", "ig_reels_avg_watch_time"}, nil},
		{"v22.0", "", []string{"navigation", "replies", "saved", "ig_reels_avg_watch_time", "views"}, []string{"impressions", "plays", "video_views"}},
	}
	for _, tt := range tests {
		t.Run(tt.version+"/"+tt.product, func(t *testing.T) {
			got := AccountMetrics(tt.version)
			if tt.product != "account" {
				got = MediaMetrics(tt.version, tt.product)
			}
			for _, m := range tt.has {
				if !slices.Contains(got, m) {
					t.Errorf("%s missing from %v", m, got)
				}
			}
			for _, m := range tt.hasNot {
				if slices.Contains(got, m) {
					t.Errorf("%s in %v", m, got)
				}
			}
		})
	}
	if MediaMetrics("v22.0", "IGTV") != nil {
		t.Fatal("a product type that has no metrics")
	}
}

// TestEveryListedMetricAnswers: every metric the lists name is answered.
func TestEveryListedMetricAnswers(t *testing.T) {
	f, srv := newFake(t)
	reel, story, _, _ := seeded(t, f)
	for _, version := range []string{"v19.0", "v21.0", "v22.0", "v24.0"} {
		for _, name := range AccountMetrics(version) {
			m := accountMetrics[slices.IndexFunc(accountMetrics, func(m accountMetric) bool { return m.name == name })]
			q := url.Values{"metric": {name}, "period": {m.periods[0]}}
			if !m.timeSeries {
				q.Set("metric_type", "total_value")
			}
			if m.demographic {
				q.Set("timeframe", "this_week")
			}
			st, _, body := call(t, "GET", srv.URL+"/"+version+"/me/insights?"+q.Encode(), DemoToken, nil)
			if st != 200 || len(list(body)) != 1 {
				t.Fatalf("%s %s: %d %v", version, name, st, body)
			}
		}
		for product, id := range map[string]string{"FEED": DemoCommentedMediaID, "REELS": reel, "STORY": story} {
			metrics := MediaMetrics(version, product)
			st, _, body := call(t, "GET", srv.URL+"/"+version+"/"+id+"/insights?metric="+strings.Join(metrics, ","), DemoToken, nil)
			if st != 200 || len(list(body)) != len(metrics) {
				t.Fatalf("%s %s: %d %v", version, product, st, body)
			}
		}
	}
}

func TestParseFields(t *testing.T) {
	tests := []struct {
		in, want string
		err      bool
	}{
		{"", "", false},
		{"id,caption", "id,caption", false},
		{" id , caption ,", "id,caption", false},
		{"id,from{id,username},media{id}", "id,from{id,username},media{id}", false},
		{"replies.limit(5){text,from{username}}", "replies.limit(5){text,from{username}}", false},
		{"business_discovery.username(bluebottle){media_count}", "business_discovery.username(bluebottle){media_count}", false},
		{"id,from{", "", true},
		{"id}", "", true},
		{"replies.limit(5", "", true},
		{"id,{x}", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			fs, err := parseFields(tt.in)
			if (err != nil) != tt.err {
				t.Fatalf("error %v", err)
			}
			if err != nil {
				if err.Code != 2500 || !strings.HasPrefix(err.Message, "Syntax error") {
					t.Fatalf("error %+v", err)
				}
				return
			}
			if got := formatFields(fs); got != tt.want {
				t.Fatalf("%q, want %q", got, tt.want)
			}
		})
	}
}

func TestAddComments(t *testing.T) {
	f, _ := newFake(t)
	reply := func() string {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.comments[DemoCommentID].replies[0]
	}()
	tests := []struct {
		name, parent string
		n, want      int
		replies      bool
	}{
		{"on a media object", DemoCommentedMediaID, 3, 3, false},
		{"on a comment", DemoCommentID, 2, 2, true},
		{"on a reply", reply, 2, 0, false},
		{"on a user", DemoUserID, 2, 0, false},
		{"on nothing", "1234", 2, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.mu.Lock()
			before := f.media[DemoCommentedMediaID].CommentsCount
			f.mu.Unlock()
			ids := f.AddComments(tt.parent, tt.n)
			f.mu.Lock()
			defer f.mu.Unlock()
			if parent, ok := f.comments[tt.parent]; ok && tt.want > 0 && !f.comments[ids[0]].ts.After(f.comments[parent.replies[len(parent.replies)-tt.want-1]].ts) {
				t.Fatal("replies older than the ones there")
			}
			if top := f.topComments[DemoCommentedMediaID]; tt.parent == DemoCommentedMediaID && (top[0] != ids[len(ids)-1] || !f.comments[top[0]].ts.After(f.comments[top[tt.want]].ts)) {
				t.Fatal("comments not newest first")
			}
			if len(ids) != tt.want || f.media[DemoCommentedMediaID].CommentsCount != before+tt.want {
				t.Fatalf("%v, comments_count %d", ids, f.media[DemoCommentedMediaID].CommentsCount)
			}
			for i, id := range ids {
				c := f.comments[id]
				if (c.parentID != "") != tt.replies || c.ts.After(f.Now()) || (i > 0 && !c.ts.After(f.comments[ids[i-1]].ts)) {
					t.Fatalf("comment %+v", c)
				}
			}
		})
	}
}

// Every media has a shortcode of its own, and so a permalink of its own.
func TestShortcodesDistinct(t *testing.T) {
	f, _ := newFake(t)
	f.mu.Lock()
	defer f.mu.Unlock()
	seen := map[string]string{}
	for id, m := range f.media {
		if len(m.Shortcode) != 11 || (m.MediaProductType != "STORY" && !strings.Contains(m.Permalink, "/p/"+m.Shortcode+"/")) {
			t.Fatalf("%s: shortcode %q, permalink %q", id, m.Shortcode, m.Permalink)
		}
		if other, dup := seen[m.Shortcode]; dup {
			t.Fatalf("%s and %s share %s", id, other, m.Shortcode)
		}
		seen[m.Shortcode] = id
	}
}
