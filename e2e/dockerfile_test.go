package e2e

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// No container engine runs here, so CI builds the binary with the
// Dockerfile's own build line and checks what the image relies on.
func TestDockerfileBuildsStaticBinary(t *testing.T) {
	raw, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(raw)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^FROM golang:\d+\.\d+\.\d+-\S+ AS build$`),    // a pinned builder
		regexp.MustCompile(`(?m)^FROM gcr\.io/distroless/static\S*:nonroot$`), // minimal, non-root runtime
		regexp.MustCompile(`(?m)^USER 65532:65532$`),
		regexp.MustCompile(`(?m)^EXPOSE 8080$`),
		regexp.MustCompile(`(?m)^COPY go\.mod go\.sum \./\nRUN go mod download$`),
	} {
		if !want.MatchString(df) {
			t.Errorf("Dockerfile lacks %s", want)
		}
	}
	if regexp.MustCompile(`(?m)^(ENV|ARG)\s+GATEWAY_(ADMIN_TOKEN|ENCRYPTION_KEY|REDIS_URL)`).MatchString(df) {
		t.Error("Dockerfile bakes a secret in")
	}
	ignore, err := os.ReadFile("../.dockerignore")
	if err != nil || !strings.Contains(string(ignore), "*") {
		t.Fatalf(".dockerignore: %v", err)
	}

	build := regexp.MustCompile(`(?m)^RUN (CGO_ENABLED=0 go build .*)$`).FindStringSubmatch(df)
	if build == nil || !strings.Contains(build[1], "-trimpath") {
		t.Fatal("no CGO_ENABLED=0 go build -trimpath line")
	}
	out := filepath.Join(t.TempDir(), "out")
	line := strings.NewReplacer("${VERSION}", "1.2.3-test", "${COMMIT}", "abc1234", "/out/gateway", out+"/gateway").Replace(build[1])
	cmd := exec.Command("sh", "-c", line)
	cmd.Dir = ".."
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", line, err, b)
	}
	bin := filepath.Join(out, "gateway")
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Fatalf("the binary is not static: it has %v", p.Type)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Fatalf("the binary links %v", libs)
	}
	v, err := exec.Command(bin, "version").Output()
	if err != nil || strings.TrimSpace(string(v)) != "gateway 1.2.3-test (commit abc1234)" {
		t.Fatalf("version: %q %v", v, err)
	}
	info, _ := exec.Command("go", "version", "-m", bin).Output()
	for _, want := range []string{"-trimpath=true", "CGO_ENABLED=0"} {
		if !strings.Contains(string(info), want) {
			t.Errorf("build settings lack %s:\n%s", want, info)
		}
	}
}
