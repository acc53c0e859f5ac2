package connectors_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/connectors/instagram"
)

func TestValidCursor(t *testing.T) {
	tests := []struct {
		cursor string
		want   bool
	}{
		{"QVFIUm", true},
		{"abc+/def==", true},
		{"++//cG9zOjAwMDAwMDE=", true},
		{"QUZU-_", true},
		{"a?b&c#d", true},
		{strings.Repeat("a", connectors.MaxCursor), true},
		{"", false},
		{strings.Repeat("a", connectors.MaxCursor+1), false},
		{"a\x00b", false},
		{"a\nb", false},
		{"a\x7fb", false},
		{"a\u0085b", false},
		{"a\xffb", false},
	}
	for _, tt := range tests {
		t.Run(tt.cursor, func(t *testing.T) {
			if got := connectors.ValidCursor(tt.cursor); got != tt.want {
				t.Fatalf("ValidCursor(%q) = %v, want %v", tt.cursor, got, tt.want)
			}
		})
	}
}

// A base64 cursor with "+", "/" and "=", percent-encoded by the caller, is
// forwarded as it is.
func TestBuildQueryAcceptsBase64Cursors(t *testing.T) {
	media := instagram.Actions()[1]
	tests := []struct{ query, param, cursor string }{
		{"after=abc%2B%2Fdef%3D%3D", "after", "abc+/def=="},
		{"before=%2B%2F8%3D", "before", "+/8="},
		{"after=" + url.QueryEscape("QU+/ZQ=="), "after", "QU+/ZQ=="},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			q, _ := url.ParseQuery(tt.query)
			got, err := connectors.BuildQuery(media, "v21.0", q)
			if err != nil || got.Get(tt.param) != tt.cursor {
				t.Fatalf("got %q, %v; want %s=%q", got.Encode(), err, tt.param, tt.cursor)
			}
		})
	}
}
