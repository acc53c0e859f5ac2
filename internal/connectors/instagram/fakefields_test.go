package instagram

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/fakegraph"
)

// TestFakeServesEveryRow: every read row of the table, asked for all the
// fields it allows (and, for insights, every metric of the version), is
// answered by the fake, so the sandbox and every test can serve it. A row
// whose node or edge the fake lacks fails here, named.
func TestFakeServesEveryRow(t *testing.T) {
	c, f := newConnector(t)
	f.Seed()
	ctx := context.Background()
	album := ""
	for _, id := range f.AddMedia(fakegraph.DemoUserID, 6) {
		if r, err := c.Client.Get(ctx, "/v21.0/"+id, url.Values{"fields": {"media_type"}}, fakegraph.DemoToken); err == nil && strings.Contains(string(r.Body), "CAROUSEL_ALBUM") {
			album = id
			break
		}
	}
	ids := map[string]map[string]string{
		"GetMediaChildren": {"IG_MEDIA_ID": album},
	}
	defaults := map[string]string{
		"IG_USER_ID": "me", "IG_MEDIA_ID": fakegraph.DemoCommentedMediaID,
		"IG_COMMENT_ID": fakegraph.DemoCommentID, "IG_CONTAINER_ID": fakegraph.DemoContainerID,
	}
	for _, a := range c.Actions() {
		if a.Method != http.MethodGet {
			continue
		}
		t.Run(a.OperationID, func(t *testing.T) {
			params := map[string]string{}
			for _, p := range a.PathParams() {
				params[p] = defaults[p]
				if v := ids[a.OperationID][p]; v != "" {
					params[p] = v
				}
			}
			q := url.Values{}
			if len(a.Fields) > 0 {
				q.Set("fields", strings.Join(a.Fields, ","))
			}
			call := &connectors.Call{Action: a, Version: "v21.0", Params: params, Query: q, Token: fakegraph.DemoToken, UserID: fakegraph.DemoUserID}
			var metrics []string
			switch a.OperationID {
			case OpGetAccountInsights:
				metrics = AccountMetrics("v21.0")
			case OpGetMediaInsights:
				metrics = fakegraph.MediaMetrics("v21.0", "FEED") // a media offers its product type's
			}
			if len(metrics) == 0 {
				resp, err := c.Invoke(ctx, call)
				if err != nil {
					t.Fatalf("%s (%s): the fake does not serve %s with %s: %v", a.Name, a.OperationID, call.UpstreamPath(), q.Encode(), err)
				}
				checkObject(t, a, resp.Body)
				return
			}
			// Each metric, in one of the shapes Instagram asks for it.
			for _, m := range metrics {
				var last error
				for _, extra := range []string{"", "period=day", "period=day&metric_type=total_value", "period=lifetime", "period=lifetime&metric_type=total_value&timeframe=this_month&breakdown=country"} {
					call.Query, _ = url.ParseQuery("metric=" + m + "&" + extra)
					resp, err := c.Invoke(ctx, call)
					if last = err; err == nil {
						checkObject(t, a, resp.Body)
						break
					}
				}
				if last != nil {
					t.Errorf("%s (%s): the fake does not serve metric %s: %v", a.Name, a.OperationID, m, last)
				}
			}
		})
	}
}

func checkObject(t *testing.T, a *connectors.Action, raw []byte) {
	t.Helper()
	var body map[string]any
	if json.Unmarshal(raw, &body) != nil || len(body) == 0 {
		t.Fatalf("%s: unreadable answer %s", a.OperationID, raw)
	}
}
