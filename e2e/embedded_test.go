package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/igconnect/gateway/internal/fakegraph"
)

func TestEmbeddedSurvivesRestart(t *testing.T) {
	_, fakeURL := startFake(t)
	dir := t.TempDir()
	env := map[string]string{"GATEWAY_DATA_DIR": dir, "GATEWAY_ADMIN_TOKEN": adminToken, "GATEWAY_INSTAGRAM_URL": fakeURL}
	g := startGateway(t, env)
	id, key := createConnection(t, g, fakegraph.DemoToken)
	if r := call(t, "GET", g.URL+"/instagram/v21.0/me?api_token="+key, nil); r.Status != 200 {
		t.Fatal(r.Raw)
	}
	g.stop(t)
	st, err := os.Stat(filepath.Join(dir, "encryption.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st, err)
	}
	keyFile, _ := os.ReadFile(filepath.Join(dir, "encryption.key"))
	db, _ := os.ReadFile(filepath.Join(dir, "gateway.db"))
	for _, s := range []string{fakegraph.DemoToken, key} {
		if strings.Contains(string(db), s) {
			t.Fatal("the store file holds a secret in clear")
		}
	}

	g2 := startGateway(t, env)
	if r := call(t, "GET", g2.URL+"/instagram/v21.0/me?api_token="+key, nil); r.Status != 200 || r.Data()["username"] != "sandbox_creator" {
		t.Fatalf("after restart: %s", r.Raw)
	}
	if r := admin(t, "GET", g2.URL+"/admin/connections/"+id, ""); r.Status != 200 {
		t.Fatal(r.Raw)
	}
	g2.stop(t)
	assertNoSecrets(t, []string{fakegraph.DemoToken, key, adminToken, strings.TrimSpace(string(keyFile))}, g, g2)
}

func TestSandbox(t *testing.T) {
	g := startGateway(t, map[string]string{"GATEWAY_DATA_DIR": t.TempDir()}, "--sandbox")
	key := sandboxKey(t, g)
	if !strings.Contains(g.stdout.String(), `curl -s "$GW/instagram/v21.0/me?api_token=$KEY"`) {
		t.Fatalf("no curl line: %s", g.stdout)
	}
	r := call(t, "GET", g.URL+"/instagram/v21.0/me?api_token="+key, nil)
	if r.Status != 200 || r.Data()["username"] != "sandbox_creator" {
		t.Fatal(r.Raw)
	}
	r = call(t, "POST", g.URL+"/instagram/v21.0/me/media_publish?api_token="+key, strings.NewReader(`{"image_url":"https://example.com/a.jpg"}`))
	if r.Status != 200 {
		t.Fatal(r.Raw)
	}
	g.stop(t)
	assertNoSecrets(t, []string{key, fakegraph.DemoToken}, g)
}

func TestBadConfigurationStops(t *testing.T) {
	tests := []struct{ env, value string }{
		{"GATEWAY_RATE_LIMIT", "lots"},
		{"GATEWAY_PUBLISH_TIMEOUT", "-5s"},
		{"GATEWAY_REDIS_URL", "redis://127.0.0.1:1"}, // no encryption key
		{"GATEWAY_ENCRYPTION_KEY", "dG9vIHNob3J0"},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			cmd := exec.Command(binary)
			cmd.Env = []string{"GATEWAY_ADDR=127.0.0.1:0", "GATEWAY_DATA_DIR=" + t.TempDir(), tt.env + "=" + tt.value}
			out, err := cmd.CombinedOutput()
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if err == nil || len(lines) != 1 || !strings.Contains(lines[0], "GATEWAY_") {
				t.Fatalf("err %v, output %q", err, out)
			}
			if tt.env == "GATEWAY_ENCRYPTION_KEY" && strings.Contains(string(out), tt.value) {
				t.Fatal("the secret was echoed")
			}
		})
	}
}

func TestCLI(t *testing.T) {
	_, fakeURL := startFake(t)
	env := []string{"GATEWAY_DATA_DIR=" + t.TempDir(), "GATEWAY_INSTAGRAM_URL=" + fakeURL}
	cli := func(stdin string, args ...string) (answer, error) {
		cmd := exec.Command(binary, append([]string{"connections"}, args...)...)
		cmd.Env = env
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.Output()
		var a answer
		a.Raw = string(out)
		if jerr := jsonUnmarshal(out, &a.Body); jerr != nil {
			t.Fatalf("%v: %q", args, out)
		}
		return a, err
	}
	a, err := cli(fakegraph.DemoToken+"\n", "add", "--access-token", "-", "--name", "cli")
	if err != nil || a.Data()["api_key"] == nil || a.Data()["username"] != "sandbox_creator" {
		t.Fatalf("add: %v %s", err, a.Raw)
	}
	id := a.Data()["id"].(string)
	if _, err := cli("", "add", "--access-token", "bogus"); err == nil {
		t.Fatal("a rejected token was added")
	}
	list, err := cli("", "list")
	if err != nil || len(list.Body["data"].([]any)) != 1 || strings.Contains(list.Raw, fakegraph.DemoToken) {
		t.Fatalf("list: %v %s", err, list.Raw)
	}
	rot, err := cli("", "rotate", id)
	if err != nil || rot.Data()["api_key"] == nil || rot.Data()["api_key"] == a.Data()["api_key"] {
		t.Fatalf("rotate: %v %s", err, rot.Raw)
	}
	if _, err := cli("", "delete", id); err != nil {
		t.Fatal(err)
	}
	if _, err := cli("", "delete", id); err == nil {
		t.Fatal("deleted twice")
	}
}
