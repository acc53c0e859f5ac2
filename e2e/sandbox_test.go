package e2e

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// The sandbox keeps its store apart: its demo key, which holds a fake
// token, does not work once the gateway runs for real on the same data
// folder, and nothing reaches the real Instagram.
func TestSandboxStaysApart(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.String())
		mu.Unlock()
		http.Error(w, `{"error":{"message":"recorder","code":190}}`, http.StatusBadRequest)
	}))
	defer upstream.Close()
	dir := t.TempDir()

	sb := startGateway(t, map[string]string{"GATEWAY_DATA_DIR": dir}, "--sandbox")
	key := sandboxKey(t, sb)
	if r := call(t, "GET", sb.URL+"/instagram/v21.0/me?api_token="+key, nil); r.Status != 200 {
		t.Fatalf("sandbox: %s", r.Raw)
	}
	sb.stop(t)
	if _, err := os.Stat(filepath.Join(dir, "sandbox", "gateway.db")); err != nil {
		t.Errorf("the sandbox's store is not in <data-dir>/sandbox: %v", err)
	}

	prod := startGateway(t, map[string]string{"GATEWAY_DATA_DIR": dir, "GATEWAY_INSTAGRAM_URL": upstream.URL, "GATEWAY_ADMIN_TOKEN": adminToken})
	r := call(t, "GET", prod.URL+"/instagram/v21.0/me?api_token="+key, nil)
	if r.Status != 401 || r.Code() != "INVALID_API_TOKEN" {
		t.Errorf("the sandbox key in real mode: %d %s", r.Status, r.Raw)
	}
	if r := admin(t, "GET", prod.URL+"/admin/connections", ""); r.Status != 200 || !emptyList(r) {
		t.Errorf("real mode lists: %s", r.Raw)
	}
	prod.stop(t)
	mu.Lock()
	defer mu.Unlock()
	if len(seen) > 0 {
		t.Errorf("real mode called Instagram with sandbox data: %v", seen)
	}
}

func emptyList(a answer) bool {
	list, ok := a.Body["data"].([]any)
	return ok && len(list) == 0
}
