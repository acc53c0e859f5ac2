package instagram

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/fakegraph"
)

// invoke builds a request as the gateway would and performs it for the
// demo account.
func invoke(t *testing.T, c *Connector, method, path, query, body string) (*connectors.Response, error) {
	t.Helper()
	r := connectors.NewRouter(c.Actions(), c.Unsupported(), c.Version)
	q, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	call, _, err := r.Build(method, path, q, []byte(body))
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	call.Token, call.UserID = fakegraph.DemoToken, fakegraph.DemoUserID
	return c.Invoke(context.Background(), call)
}

// Create Media Container answers the new container's ID at once (a
// carousel's after its items), publishes nothing, and the container
// publishes later with Publish's creation_id once Get Container Status says
// FINISHED.
func TestCreateMediaContainerFlow(t *testing.T) {
	tests := []struct {
		name, body string
	}{
		{"image", `{"image_url":"https://example.com/a.jpg","caption":"later","location_id":"123"}`},
		{"reel", `{"video_url":"https://example.com/a.mp4","share_to_feed":true,"thumb_offset":0}`},
		{"story", `{"media_type":"STORIES","image_url":"https://example.com/a.jpg"}`},
		{"carousel", `{"caption":"album","children":["https://example.com/a.jpg",{"video_url":"https://example.com/b.mp4"}]}`},
	}
	c, f := newConnector(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.MediaCount(fakegraph.DemoUserID)
			resp, err := invoke(t, c, "POST", "v21.0/me/media", "", tt.body)
			if err != nil {
				t.Fatal(err)
			}
			var created struct{ ID string }
			if err := json.Unmarshal(resp.Body, &created); err != nil || !connectors.ValidID(created.ID) {
				t.Fatalf("answer %s", resp.Body)
			}
			if _, ok := f.Container(created.ID); !ok {
				t.Fatalf("no container %s upstream", created.ID)
			}
			if f.MediaCount(fakegraph.DemoUserID) != before {
				t.Fatal("a container was published")
			}
			// Get Container Status, in the old format, until FINISHED.
			deadline := time.Now().Add(5 * time.Second)
			for {
				resp, err := invoke(t, c, "GET", "v21.0/ig_container_id", "IG_CONTAINER_ID="+created.ID, "")
				if err != nil {
					t.Fatal(err)
				}
				var st ContainerStatus
				json.Unmarshal(resp.Body, &st)
				if st.StatusCode == "FINISHED" {
					break
				}
				if st.StatusCode != "IN_PROGRESS" || time.Now().After(deadline) {
					t.Fatalf("status %s", resp.Body)
				}
				time.Sleep(20 * time.Millisecond)
			}
			if _, err := invoke(t, c, "POST", "v21.0/me/media_publish", "", `{"creation_id":"`+created.ID+`"}`); err != nil {
				t.Fatal(err)
			}
			if f.MediaCount(fakegraph.DemoUserID) != before+1 {
				t.Fatal("the container was not published")
			}
		})
	}
}

// The metrics the gateway accepts are those the fake Graph API answers, in
// every version: the account's, and the media's of any product type.
func TestMetricsMatchTheFake(t *testing.T) {
	sorted := func(s []string) []string {
		s = slices.Clone(s)
		slices.Sort(s)
		return slices.Compact(s)
	}
	for _, v := range []string{"v19.0", "v20.0", "v21.0", "v22.0", "v23.0", "v24.0"} {
		t.Run(v, func(t *testing.T) {
			if got, want := sorted(AccountMetrics(v)), sorted(fakegraph.AccountMetrics(v)); !slices.Equal(got, want) {
				t.Errorf("account metrics\n%v, the fake's\n%v", got, want)
			}
			var fake []string
			for _, p := range []string{"FEED", "REELS", "STORY", "AD"} {
				fake = append(fake, fakegraph.MediaMetrics(v, p)...)
			}
			if got, want := sorted(MediaMetrics(v)), sorted(fake); !slices.Equal(got, want) {
				t.Errorf("media metrics\n%v, the fake's\n%v", got, want)
			}
		})
	}
}

// Metrics deprecated in v22.0 are offered up to v21.0 only; the
// demographics' older windows up to v19.0.
func TestInsightsValuesByVersion(t *testing.T) {
	tests := []struct {
		version                       string
		impressions, plays, lastMonth bool
	}{
		{"v18.0", true, true, true},
		{"v19.0", true, true, true},
		{"v20.0", true, true, false},
		{"v21.0", true, true, false},
		{"v22.0", false, false, false},
		{"v24.0", false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			if got := slices.Contains(AccountMetrics(tt.version), "impressions"); got != tt.impressions {
				t.Errorf("account impressions: %v", got)
			}
			if got := slices.Contains(MediaMetrics(tt.version), "impressions"); got != tt.impressions {
				t.Errorf("media impressions: %v", got)
			}
			if got := slices.Contains(MediaMetrics(tt.version), "plays"); got != tt.plays {
				t.Errorf("plays: %v", got)
			}
			if got := slices.Contains(Timeframes(tt.version), "prev_month"); got != tt.lastMonth {
				t.Errorf("prev_month: %v", got)
			}
			if !slices.Contains(AccountMetrics(tt.version), "views") || !slices.Contains(MediaMetrics(tt.version), "views") {
				t.Error("no views")
			}
		})
	}
}
