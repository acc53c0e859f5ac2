// Package tooltest finds the command-line tools tests drive (helm, swagger),
// which .ci/run installs with `go install`.
package tooltest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Find returns the path of a tool on PATH or in GOPATH/bin, or fails the test
// naming the command that installs it.
func Find(t testing.TB, name, install string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	out, _ := exec.Command("go", "env", "GOPATH").Output()
	p := filepath.Join(strings.TrimSpace(string(out)), "bin", name)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	t.Fatalf("%s is not installed: %s (.ci/run does)", name, install)
	return ""
}
