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
		if inBlock && (strings.HasPrefix(l, "curl ") || strings.HasPrefix(l, "sleep ") || regexp.MustCompile(`^[A-Z_]+=\$\(curl `).MatchString(l)) {
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

// TestQuickStartIsWhatCIRuns: the README's quick start has exactly two
// commands, and the second (the test command) is the one .ci/run runs, so
// that a green CI means the README's promise holds on a fresh machine.
func TestQuickStartIsWhatCIRuns(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "## Quick start")
	if !ok {
		t.Fatal("README has no Quick start section")
	}
	_, block, ok := strings.Cut(after, "```sh\n")
	if !ok {
		t.Fatal("Quick start has no sh block")
	}
	block, _, _ = strings.Cut(block, "```")
	var cmds []string
	for _, l := range strings.Split(block, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			cmds = append(cmds, l)
		}
	}
	if len(cmds) != 2 || cmds[0] != "go run ./cmd/gateway --sandbox" {
		t.Fatalf("quick start commands: %q", cmds)
	}
	ci, err := os.ReadFile("../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ci), "\nexec "+cmds[1]+"\n") {
		t.Fatalf(".ci/run does not run the README's test command %q:\n%s", cmds[1], ci)
	}
	if _, err := os.Stat("../" + strings.Fields(cmds[1])[1]); err != nil {
		t.Fatal(err)
	}
}

// TestReadmeCLILines runs the README's `gateway connections` lines, as
// written (go run replaced by the built binary), on a fresh data directory.
func TestReadmeCLILines(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var script strings.Builder
	script.WriteString("set -eu\n")
	n := 0
	inBlock := false
	for _, l := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(l, "```") {
			inBlock = !inBlock
			continue
		}
		if inBlock && strings.Contains(l, "go run ./cmd/gateway connections ") {
			script.WriteString(strings.ReplaceAll(l, "go run ./cmd/gateway", binary) + "\n")
			n++
		}
	}
	if n < 5 {
		t.Fatalf("found only %d CLI lines in the README", n)
	}
	cmd := exec.Command("bash", "-c", script.String())
	cmd.Dir = t.TempDir() // the default ./data lands here
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("README CLI lines failed: %v\n%s", err, out)
	}
	for _, want := range []string{`"username": "sandbox_other"`, `"deleted": true`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
}
