package definition

import "testing"

func TestTitleCase(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Like count", "Like Count"},
		{"Media ID", "Media ID"},
		{"share to feed", "Share to Feed"},
		{"number of likes", "Number of Likes"},
		{"the end", "The End"},
		{"Sign in", "Sign In"},
		{"URL", "URL"},
		{"  page   size ", "Page Size"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := TitleCase(tt.in); got != tt.want {
				t.Errorf("TitleCase(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if !IsTitleCase(tt.want) {
				t.Errorf("IsTitleCase(%q) = false", tt.want)
			}
		})
	}
	for _, s := range []string{"", "Like count", "like", " "} {
		if IsTitleCase(s) {
			t.Errorf("IsTitleCase(%q) = true", s)
		}
	}
}

func TestSentence(t *testing.T) {
	tests := []struct{ in, want string }{
		{"The account", "The account."},
		{"true hides the comment; false shows it again.", "True hides the comment; false shows it again."},
		{"nextLink leads to the next page", "nextLink leads to the next page."},
		{"image_url or video_url.", "image_url or video_url."},
		{"More than 10 items…", "More than 10 items…"},
		{"Is it?", "Is it?"},
		{" 2,200 characters at most ", "2,200 characters at most."},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := Sentence(tt.in); got != tt.want {
				t.Errorf("Sentence(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	for s, want := range map[string]bool{"The account.": true, "2 pages.": true, "the account.": false, "The account": false, "": false, "nextLink is absent.": false} {
		if IsSentence(s) != want {
			t.Errorf("IsSentence(%q) = %v", s, !want)
		}
	}
}

// Build applies the string rules and the URL encoding to every place.
func TestCertify(t *testing.T) {
	d := mustBuild(t)
	tests := []struct {
		name string
		path []string
		want string
	}{
		{"a property's summary", []string{"definitions", "things.Thing", "properties", "like_count", "x-ms-summary"}, `"Like Count"`},
		{"a property's description", []string{"definitions", "things.Thing", "properties", "like_count", "description"}, `"The number of likes."`},
		{"an inlined property's summary", []string{"definitions", "things.ThingPage", "properties", "nextLink", "x-ms-summary"}, `"Next Link"`},
		{"a parameter's summary", []string{"paths", "/{OWNER_ID}/things", "get", "parameters", "1", "x-ms-summary"}, `"Page Size"`},
		{"a parameter's description", []string{"paths", "/{OWNER_ID}/things", "get", "parameters", "1", "description"}, `"Things per page."`},
		{"an operation's description", []string{"paths", "/{OWNER_ID}/things", "get", "description"}, `"Lists an owner's things, one page at a time."`},
		{"a response's description", []string{"paths", "/{OWNER_ID}/things", "get", "responses", "400", "description"}, `"A bad limit."`},
		{"the definition's description", []string{"info", "description"}, `"Reads the things of an owner and their parts."`},
		{"a security definition's description", []string{"securityDefinitions", "apiKey", "description"}, `"The connection's key."`},
		{"a path parameter's encoding", []string{"paths", "/{THING_ID}", "get", "parameters", "0", "x-ms-url-encoding"}, `"single"`},
		{"not a query parameter's", []string{"paths", "/{THING_ID}", "get", "parameters", "1", "x-ms-url-encoding"}, `null`},
		{"an operation summary keeps its case", []string{"paths", "/{THING_ID}", "get", "summary"}, `"Get thing"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := jsonOf(at(t, d, tt.path...)); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}
