package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeCurlLines runs every curl line of the README, as written, against
// a sandbox gateway, and checks each answer is a success envelope.
func TestReadmeCurlLines(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is required (apt-get install -y curl)")
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	inBlock := false
	for _, l := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(l, "```") {
			inBlock = !inBlock
			continue
		}
		if inBlock && (strings.HasPrefix(l, "curl ") || regexp.MustCompile(`^[A-Z_]+=\$\(curl `).MatchString(l)) {
			lines = append(lines, l)
		}
	}
	if len(lines) < 15 {
		t.Fatalf("found only %d curl lines in the README", len(lines))
	}
	g := startGateway(t, map[string]string{"GATEWAY_DATA_DIR": t.TempDir(), "GATEWAY_ADMIN_TOKEN": adminToken}, "--sandbox")
	key := sandboxKey(t, g)
	dir := t.TempDir()
	var script strings.Builder
	script.WriteString("set -eu\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "curl ") {
			fmt.Fprintf(&script, "%s > %s\n", l, filepath.Join(dir, fmt.Sprintf("%03d.json", i)))
		} else {
			script.WriteString(l + "\n")
		}
	}
	cmd := exec.Command("bash", "-c", script.String())
	cmd.Env = append(os.Environ(), "GW="+g.URL, "KEY="+key, "GATEWAY_ADMIN_TOKEN="+adminToken)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("README lines failed: %v\n%s", err, out)
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, "curl ") {
			continue
		}
		raw, _ := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%03d.json", i)))
		var env map[string]any
		if err := json.Unmarshal(raw, &env); err != nil {
			t.Errorf("%s\n  answered %q", l, raw)
			continue
		}
		data, _ := env["data"].(map[string]any)
		if _, isErr := data["error"]; env["data"] == nil || isErr {
			t.Errorf("%s\n  answered %s", l, raw)
		}
	}
}
