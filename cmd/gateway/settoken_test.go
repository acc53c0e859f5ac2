package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/igconnect/gateway/internal/fakegraph"
)

// TestConnectionsSetTokenSandbox: set-token works offline with --sandbox,
// its token from the flag or from stdin, and refuses a token of another
// Instagram user.
func TestConnectionsSetTokenSandbox(t *testing.T) {
	dir := t.TempDir()
	env := func(string) string { return "" }
	cli := func(stdin string, args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"connections"}, args...), env, strings.NewReader(stdin), &out, &bytes.Buffer{})
		return out.String(), err
	}
	out, err := cli("", "add", "--sandbox", "--data-dir", dir, "--access-token", fakegraph.OtherToken, "--name", "cli")
	if err != nil {
		t.Fatalf("add: %v\n%s", err, out)
	}
	var created struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.Data.ID == "" {
		t.Fatalf("add answered %s", out)
	}
	id := created.Data.ID
	tests := []struct {
		name    string
		stdin   string
		args    []string
		wantErr string // "": success
		wantOut []string
	}{
		{"flag", "", []string{"set-token", id, "--sandbox", "--data-dir", dir, "--access-token", fakegraph.OtherToken},
			"", []string{`"id": "` + id + `"`, `"username": "sandbox_other"`, `"name": "cli"`}},
		{"stdin", fakegraph.OtherToken + "\n", []string{"set-token", id, "--sandbox", "--data-dir", dir, "--access-token", "-"},
			"", []string{`"id": "` + id + `"`, `"instagram_user_id": "` + fakegraph.OtherUserID + `"`}},
		{"ID last", "", []string{"set-token", "--sandbox", "--data-dir", dir, "--access-token", fakegraph.OtherToken, id},
			"", []string{`"id": "` + id + `"`}},
		{"other user's token", fakegraph.DemoToken, []string{"set-token", id, "--sandbox", "--data-dir", dir, "--access-token", "-"},
			"belongs to Instagram user " + fakegraph.DemoUserID, []string{`"code":"CONFLICT"`}},
		{"rejected token", "", []string{"set-token", id, "--sandbox", "--data-dir", dir, "--access-token", "IGAAunknown"},
			"Instagram rejected the access token", []string{`"code":"BAD_REQUEST"`}},
		{"unknown connection", "", []string{"set-token", "conn_0000000000000000000f", "--sandbox", "--data-dir", dir, "--access-token", fakegraph.OtherToken},
			"connection not found", []string{`"code":"NOT_FOUND"`}},
		{"no ID", "", []string{"set-token", "--sandbox", "--data-dir", dir, "--access-token", fakegraph.OtherToken},
			"a connection ID is required", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := cli(tt.stdin, tt.args...)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q\n%s", err, tt.wantErr, out)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out, w) {
					t.Fatalf("output lacks %s:\n%s", w, out)
				}
			}
			for _, secret := range []string{"api_key", fakegraph.OtherToken, fakegraph.DemoToken} {
				if strings.Contains(out, secret) {
					t.Fatalf("output shows %q:\n%s", secret, out)
				}
			}
		})
	}
	if out, _ := cli("", "list", "--sandbox", "--data-dir", dir); strings.Count(out, `"id": "conn_`) != 1 || !strings.Contains(out, id) {
		t.Fatalf("list after set-token: %s", out)
	}
}
