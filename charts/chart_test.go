// Package charts_test checks the Helm chart with the real helm binary: lint,
// render with realistic value sets, decode every rendered document strictly
// with the Kubernetes API types, and refuse the combinations the gateway
// cannot run. The machines cannot download kubeconform's schemas, so the
// types themselves (k8s.io/api, through client-go's scheme, and the
// Prometheus Operator's for ServiceMonitor) are the schema.
package charts_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/redis/go-redis/v9"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"

	"github.com/igconnect/gateway/internal/config"
	"github.com/igconnect/gateway/internal/tooltest"
)

const (
	chart = "instagram-gateway"
	// helmVersion is the release .ci/run installs.
	helmVersion = "v3.22.0"
	// kubeVersion is the oldest Kubernetes the chart supports (Chart.yaml's
	// kubeVersion): the preStop hook's sleep action is on by default from 1.30.
	kubeVersion = "1.30.0"
)

func helmPath(t *testing.T) string {
	return tooltest.Find(t, "helm", "go install helm.sh/helm/v3/cmd/helm@"+helmVersion)
}

// helm runs the helm binary with a private home, so that no user
// configuration or repository cache takes part.
func helm(t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(helmPath(t), args...)
	home := t.TempDir()
	cmd.Env = append(os.Environ(),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
	)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("helm %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return out, nil
}

// valueSets are the realistic configurations the chart must render; "" is
// the default values.
var valueSets = []string{"", "external-redis.yaml", "bundled-redis.yaml", "embedded-pvc.yaml", "embedded-existing-claim.yaml"}

func valuesArgs(file string) []string {
	if file == "" {
		return nil
	}
	return []string{"--values", filepath.Join("testdata", file)}
}

func TestLint(t *testing.T) {
	for _, file := range valueSets {
		t.Run(name(file), func(t *testing.T) {
			args := append([]string{"lint", "--strict", "--kube-version", kubeVersion, chart}, valuesArgs(file)...)
			if out, err := helm(t, args...); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
		})
	}
}

func name(file string) string {
	if file == "" {
		return "default"
	}
	return strings.TrimSuffix(file, ".yaml")
}

// scheme knows every built-in kind and the Prometheus Operator's.
func scheme(t *testing.T) *runtime.Scheme {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := monitoringv1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return s
}

// rendered is one release's objects, by kind and name.
type rendered struct {
	objects map[string]runtime.Object // "Kind/name"
	order   []string
}

func (r *rendered) get(kind, name string) runtime.Object { return r.objects[kind+"/"+name] }

func (r *rendered) kinds() []string {
	var ks []string
	for _, k := range r.order {
		ks = append(ks, strings.SplitN(k, "/", 2)[0])
	}
	return ks
}

// decode splits helm's output into documents and decodes each strictly: an
// unknown field, a duplicate field, a wrong type or an unknown kind fails.
func decode(t *testing.T, out []byte) *rendered {
	t.Helper()
	codecs := serializer.NewCodecFactory(scheme(t), serializer.EnableStrict)
	dec := codecs.UniversalDeserializer()
	r := &rendered{objects: map[string]runtime.Object{}}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(out)))
	for i := 0; ; i++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		js, err := yaml.YAMLToJSON(doc)
		if err != nil {
			t.Fatalf("document %d is not YAML: %v\n%s", i, err, doc)
		}
		if string(js) == "null" {
			continue // comments only
		}
		obj, gvk, err := dec.Decode(doc, nil, nil)
		if err != nil {
			t.Fatalf("document %d does not decode strictly as a Kubernetes object: %v\n%s", i, err, doc)
		}
		m, err := metaOf(obj)
		if err != nil {
			t.Fatal(err)
		}
		if m.GetNamespace() != "" {
			t.Errorf("%s/%s sets a namespace: the release's must apply", gvk.Kind, m.GetName())
		}
		if n := m.GetName(); len(n) > 63 || n == "" {
			t.Errorf("%s name %q: must be 1 to 63 characters", gvk.Kind, n)
		}
		key := gvk.Kind + "/" + m.GetName()
		if _, dup := r.objects[key]; dup {
			t.Errorf("%s rendered twice", key)
		}
		r.objects[key] = obj
		r.order = append(r.order, key)
	}
	return r
}

func metaOf(obj runtime.Object) (metav1.Object, error) {
	m, ok := obj.(metav1.Object)
	if !ok {
		return nil, fmt.Errorf("%T has no object metadata", obj)
	}
	return m, nil
}

func render(t *testing.T, release string, args ...string) ([]byte, error) {
	t.Helper()
	return helm(t, append([]string{"template", release, chart, "--kube-version", kubeVersion}, args...)...)
}

// Every value set renders, every document decodes strictly, and the objects
// fit together the way the gateway needs.
func TestRender(t *testing.T) {
	tests := []struct {
		file        string
		mode        string
		replicas    int32 // 0: the HPA owns the count
		want, never []string
	}{
		{"", "redis", 2,
			[]string{"ConfigMap", "Secret", "ServiceAccount", "Service", "Deployment", "StatefulSet", "PodDisruptionBudget", "Pod"},
			[]string{"HorizontalPodAutoscaler", "PersistentVolumeClaim", "ServiceMonitor", "NetworkPolicy"}},
		{"external-redis.yaml", "redis", 0,
			[]string{"ConfigMap", "ServiceAccount", "Service", "Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "ServiceMonitor", "NetworkPolicy", "Pod"},
			[]string{"Secret", "StatefulSet", "PersistentVolumeClaim"}},
		{"bundled-redis.yaml", "redis", 2,
			[]string{"ConfigMap", "Secret", "Service", "Deployment", "StatefulSet", "ServiceMonitor", "NetworkPolicy"},
			[]string{"HorizontalPodAutoscaler", "PersistentVolumeClaim"}},
		{"embedded-pvc.yaml", "embedded", 1,
			[]string{"ConfigMap", "Secret", "Service", "Deployment", "PersistentVolumeClaim", "NetworkPolicy"},
			[]string{"StatefulSet", "HorizontalPodAutoscaler", "PodDisruptionBudget", "ServiceMonitor"}},
		{"embedded-existing-claim.yaml", "embedded", 1,
			[]string{"ConfigMap", "Service", "Deployment"},
			[]string{"Secret", "ServiceAccount", "PersistentVolumeClaim", "StatefulSet", "PodDisruptionBudget"}},
	}
	for _, tt := range tests {
		t.Run(name(tt.file), func(t *testing.T) {
			out, err := render(t, "rel", valuesArgs(tt.file)...)
			if err != nil {
				t.Fatal(err)
			}
			r := decode(t, out)
			kinds := r.kinds()
			for _, k := range tt.want {
				if !slices.Contains(kinds, k) {
					t.Errorf("no %s rendered (got %v)", k, kinds)
				}
			}
			for _, k := range tt.never {
				if slices.Contains(kinds, k) {
					t.Errorf("%s rendered, but this value set must not have one", k)
				}
			}
			const full = "rel-instagram-gateway"
			dep, ok := r.get("Deployment", full).(*appsv1.Deployment)
			if !ok {
				t.Fatalf("no Deployment %s", full)
			}
			checkDeployment(t, dep, tt.mode, tt.replicas)
			checkEnvironment(t, r, dep, tt.mode)
			checkSelectors(t, r, dep)
			if tt.mode == "embedded" {
				checkEmbeddedVolume(t, r, dep)
			}
			if sts, ok := r.get("StatefulSet", full+"-redis").(*appsv1.StatefulSet); ok {
				checkBundledRedis(t, r, sts)
			}
		})
	}
}

func checkDeployment(t *testing.T, dep *appsv1.Deployment, mode string, replicas int32) {
	t.Helper()
	if replicas == 0 {
		if dep.Spec.Replicas != nil {
			t.Errorf("replicas = %d with an HPA: the HPA must own the count", *dep.Spec.Replicas)
		}
	} else if dep.Spec.Replicas == nil || *dep.Spec.Replicas != replicas {
		t.Errorf("replicas = %v, want %d", dep.Spec.Replicas, replicas)
	}
	wantStrategy := appsv1.RollingUpdateDeploymentStrategyType
	if mode == "embedded" {
		wantStrategy = appsv1.RecreateDeploymentStrategyType // one pod owns the file
	}
	if dep.Spec.Strategy.Type != wantStrategy {
		t.Errorf("strategy = %s, want %s", dep.Spec.Strategy.Type, wantStrategy)
	}
	pod := dep.Spec.Template.Spec
	psc := pod.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod security context is not restricted: %+v", psc)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("the service account token is mounted: the gateway never calls the Kubernetes API")
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Containers))
	}
	c := pod.Containers[0]
	sc := c.SecurityContext
	if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		t.Errorf("container security context is not restricted: %+v", sc)
	}
	if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Errorf("liveness probe: %+v", c.LivenessProbe)
	}
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Errorf("readiness probe: %+v", c.ReadinessProbe)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources: %+v", c.Resources)
	}
	if len(c.Ports) != 1 || c.Ports[0].ContainerPort != 8080 || c.Ports[0].Name != "http" {
		t.Errorf("ports: %+v", c.Ports)
	}
	// The distroless image has no shell: preStop must be the native sleep.
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil || c.Lifecycle.PreStop.Exec != nil {
		t.Fatalf("preStop must be a sleep action: %+v", c.Lifecycle)
	}
	if dep.Spec.Template.Annotations["checksum/config"] == "" {
		t.Error("no checksum/config annotation: pods would not roll when the ConfigMap changes")
	}
}

// checkEnvironment checks that every variable the chart sets is one the
// gateway reads, that every Secret key referenced exists, and that the
// gateway accepts the resulting configuration, which it returns.
func checkEnvironment(t *testing.T, r *rendered, dep *appsv1.Deployment, mode string) *config.Config {
	t.Helper()
	c := dep.Spec.Template.Spec.Containers[0]
	env := map[string]string{}
	known := config.Names()
	for _, from := range c.EnvFrom {
		if from.ConfigMapRef == nil {
			t.Fatalf("envFrom: %+v", from)
		}
		cm, ok := r.get("ConfigMap", from.ConfigMapRef.Name).(*corev1.ConfigMap)
		if !ok {
			t.Fatalf("ConfigMap %s is not rendered", from.ConfigMapRef.Name)
		}
		for k, v := range cm.Data {
			if !slices.Contains(known, k) {
				t.Errorf("ConfigMap sets %s, which the gateway does not read", k)
			}
			env[k] = v
		}
	}
	for _, e := range c.Env {
		if !strings.HasPrefix(e.Name, "GATEWAY_") {
			continue // extraEnv, GOMEMLIMIT and the like
		}
		if !slices.Contains(known, e.Name) {
			t.Errorf("env sets %s, which the gateway does not read", e.Name)
		}
		switch {
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			sec, ok := r.get("Secret", ref.Name).(*corev1.Secret)
			if !ok {
				// existingSecret: the operator's; stand in for its values.
				env[e.Name] = map[string]string{
					"admin-token":          "operator-admin-token-0123456789",
					"encryption-key":       "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
					"redis-password":       "operator-redis-password",
					"instagram-app-secret": "operator-instagram-app-secret",
				}[ref.Key]
				continue
			}
			v, ok := sec.Data[ref.Key]
			if !ok && (ref.Optional == nil || !*ref.Optional) {
				t.Errorf("%s refers to key %s, which Secret %s lacks", e.Name, ref.Key, ref.Name)
			}
			env[e.Name] = string(v)
		default:
			env[e.Name] = e.Value
		}
	}
	if (env["GATEWAY_REDIS_URL"] != "") != (mode == "redis") {
		t.Errorf("mode %s with GATEWAY_REDIS_URL=%q", mode, env["GATEWAY_REDIS_URL"])
	}
	cfg, err := config.Parse(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatalf("the gateway refuses the chart's configuration: %v", err)
	}
	if cfg.AdminToken == "" || cfg.EncryptionKey == nil {
		t.Error("the admin token or the encryption key is missing")
	}
	// SIGTERM comes after preStop; the kubelet must wait for the whole grace.
	pod := dep.Spec.Template.Spec
	preStop := int64(pod.Containers[0].Lifecycle.PreStop.Sleep.Seconds)
	if pod.TerminationGracePeriodSeconds == nil || *pod.TerminationGracePeriodSeconds <= preStop+int64(cfg.ShutdownGrace.Seconds()) {
		t.Errorf("terminationGracePeriodSeconds %v must exceed preStop %d s + shutdown grace %s", pod.TerminationGracePeriodSeconds, preStop, cfg.ShutdownGrace)
	}
	return cfg
}

// checkSelectors checks that Service, PDB, HPA, ServiceMonitor and
// NetworkPolicy all point at the gateway's pods and ports.
func checkSelectors(t *testing.T, r *rendered, dep *appsv1.Deployment) {
	t.Helper()
	podLabels := labels.Set(dep.Spec.Template.Labels)
	sel, err := metav1.LabelSelectorAsSelector(dep.Spec.Selector)
	if err != nil || !sel.Matches(podLabels) {
		t.Fatalf("the Deployment's selector does not match its pods: %v", err)
	}
	svc, ok := r.get("Service", dep.Name).(*corev1.Service)
	if !ok {
		t.Fatal("no Service")
	}
	if !labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels) {
		t.Error("the Service's selector does not match the gateway's pods")
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort.String() != "http" || svc.Spec.Ports[0].Name != "http" {
		t.Errorf("Service ports: %+v", svc.Spec.Ports)
	}
	if pdb, ok := r.get("PodDisruptionBudget", dep.Name).(*policyv1.PodDisruptionBudget); ok {
		s, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err != nil || !s.Matches(podLabels) {
			t.Error("the PDB's selector does not match the gateway's pods")
		}
	}
	if hpa, ok := r.get("HorizontalPodAutoscaler", dep.Name).(*autoscalingv2.HorizontalPodAutoscaler); ok {
		if hpa.Spec.ScaleTargetRef.Kind != "Deployment" || hpa.Spec.ScaleTargetRef.Name != dep.Name {
			t.Errorf("HPA targets %+v", hpa.Spec.ScaleTargetRef)
		}
	}
	if sm, ok := r.get("ServiceMonitor", dep.Name).(*monitoringv1.ServiceMonitor); ok {
		s, err := metav1.LabelSelectorAsSelector(&sm.Spec.Selector)
		if err != nil || !s.Matches(labels.Set(svc.Labels)) {
			t.Error("the ServiceMonitor's selector does not match the Service")
		}
		if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != "http" || sm.Spec.Endpoints[0].Path != "/metrics" {
			t.Errorf("ServiceMonitor endpoints: %+v", sm.Spec.Endpoints)
		}
	}
	if np, ok := r.get("NetworkPolicy", dep.Name).(*networkingv1.NetworkPolicy); ok {
		s, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
		if err != nil || !s.Matches(podLabels) {
			t.Error("the NetworkPolicy does not select the gateway's pods")
		}
	}
	if pod, ok := r.get("Pod", dep.Name+"-test-ready").(*corev1.Pod); ok {
		if pod.Annotations["helm.sh/hook"] != "test" {
			t.Error("the test pod is not a helm test hook")
		}
	}
}

func checkEmbeddedVolume(t *testing.T, r *rendered, dep *appsv1.Deployment) {
	t.Helper()
	var claim string
	for _, v := range dep.Spec.Template.Spec.Volumes {
		if v.Name == "data" && v.PersistentVolumeClaim != nil {
			claim = v.PersistentVolumeClaim.ClaimName
		}
	}
	if claim == "" {
		t.Fatal("embedded mode without a PersistentVolumeClaim volume")
	}
	if pvc, ok := r.get("PersistentVolumeClaim", claim).(*corev1.PersistentVolumeClaim); ok {
		if pvc.Annotations["helm.sh/resource-policy"] != "keep" {
			t.Error("uninstalling would delete the claim holding every connection")
		}
	} else if claim != "gateway-data" {
		t.Errorf("claim %s is neither rendered nor the existing one", claim)
	}
	mounted := false
	for _, m := range dep.Spec.Template.Spec.Containers[0].VolumeMounts {
		mounted = mounted || (m.Name == "data" && m.MountPath == "/data")
	}
	if !mounted {
		t.Error("the claim is not mounted at /data (GATEWAY_DATA_DIR)")
	}
}

func checkBundledRedis(t *testing.T, r *rendered, sts *appsv1.StatefulSet) {
	t.Helper()
	if sts.Spec.Replicas == nil || *sts.Spec.Replicas != 1 {
		t.Error("the bundled Redis must be a single node")
	}
	c := sts.Spec.Template.Spec.Containers[0]
	script := strings.Join(c.Command, " ")
	if !strings.Contains(script, "--appendonly yes") {
		t.Errorf("the bundled Redis does not persist with an append-only file: %s", script)
	}
	if strings.Contains(script, "--requirepass") {
		t.Error("the Redis password is on the command line")
	}
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("Redis container security context: %+v", sc)
	}
	svc, ok := r.get("Service", sts.Name).(*corev1.Service)
	if !ok || !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(sts.Spec.Template.Labels)) {
		t.Error("the Redis Service does not select the Redis pod")
	}
}

// The schema refuses what the gateway cannot run, naming the field; without
// the schema, the templates refuse it with a sentence saying what to change.
func TestRefused(t *testing.T) {
	tests := []struct {
		name       string
		set        []string
		schema     string // in helm's schema error
		template   string // in the template's fail message ("": the schema alone refuses it)
		valuesFile string
	}{
		{"embedded with two replicas", []string{"mode=embedded", "replicaCount=2"},
			"/replicaCount': value must be 1", "set replicaCount=1", ""},
		{"embedded with autoscaling", []string{"mode=embedded", "replicaCount=1", "autoscaling.enabled=true"},
			"/autoscaling/enabled': value must be false", "cannot autoscale", ""},
		{"embedded without a claim", []string{"mode=embedded", "replicaCount=1", "embedded.persistence.enabled=false"},
			"/embedded/persistence/enabled': value must be true", "needs a PersistentVolumeClaim", ""},
		{"redis with no Redis", []string{"redis.bundled.enabled=false"},
			"/redis/url': minLength", "mode=redis needs a Redis", ""},
		{"redis url and bundled both", []string{"redis.url=redis://redis:6379/0"},
			"/redis/bundled/enabled': value must be false", "choose one", ""},
		{"unknown mode", []string{"mode=cluster"}, "/mode': value must be one of", "mode must be redis or embedded", ""},
		{"credentials in the URL", []string{"redis.bundled.enabled=false", "redis.url=redis://:hunter2@redis:6379/0"}, "/redis/url'", "", ""},
		{"credentials in a cluster URL", []string{"redis.bundled.enabled=false", "redis.url=redis+cluster://:hunter2@redis-0:6379"}, "/redis/url'", "", ""},
		{"a cluster's database other than 0", []string{"redis.bundled.enabled=false", "redis.url=redis+cluster://redis-0:6379/1"}, "/redis/url'", "", ""},
		{"a cluster URL's option beside its seeds", []string{"redis.bundled.enabled=false", "redis.url=redis+cluster://redis-0:6379?addr=redis-1:6379&password=x"}, "/redis/url'", "", ""},
		{"short admin token", []string{"secrets.adminToken=short"}, "/secrets/adminToken'", "", ""},
		{"bad encryption key", []string{"secrets.encryptionKey=not-a-key"}, "/secrets/encryptionKey'", "", ""},
		{"bad rate limit", []string{"gateway.rateLimit=100/min"}, "/gateway/rateLimit'", "", ""},
		{"token min age not a duration", []string{"gateway.tokenRefresh.minAge=soon"}, "/gateway/tokenRefresh/minAge'", "", ""},
		{"negative token refresh window", []string{"gateway.tokenRefresh.refreshBefore=-1h"}, "/gateway/tokenRefresh/refreshBefore'", "", ""},
		{"token check interval without a unit", []string{"gateway.tokenRefresh.checkInterval=60"}, "/gateway/tokenRefresh/checkInterval'", "", ""},
		{"unknown token refresh value", []string{"gateway.tokenRefresh.maxAge=1h"}, "additional properties 'maxAge' not allowed", "", ""},
		{"app secret with a space", []string{"secrets.instagramAppSecret=app secret"}, "/secrets/instagramAppSecret'", "", ""},
		{"unknown value", []string{"replicas=3"}, "additional properties 'replicas' not allowed", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{}
			for _, s := range tt.set {
				args = append(args, "--set", s)
			}
			out, err := render(t, "rel", args...)
			if err == nil {
				t.Fatalf("rendered:\n%s", out)
			}
			if !strings.Contains(err.Error(), tt.schema) {
				t.Errorf("schema error does not say %q:\n%v", tt.schema, err)
			}
			if strings.Contains(err.Error(), "hunter2") && !strings.Contains(err.Error(), "does not match pattern") {
				t.Errorf("error shows the password: %v", err)
			}
			if tt.template == "" {
				return
			}
			_, err = render(t, "rel", append(args, "--skip-schema-validation")...)
			if err == nil || !strings.Contains(err.Error(), tt.template) {
				t.Errorf("without the schema: %v, want a failure saying %q", err, tt.template)
			}
		})
	}
}

// The token refresh's timing reaches every replica through the ConfigMap as
// the durations given, and the gateway reads them as such.
// A Redis Cluster's URL (seeds) reaches the gateway as it is.
func TestRedisClusterURL(t *testing.T) {
	for _, u := range []string{
		"redis+cluster://redis-0.redis:6379?addr=redis-1.redis:6379&addr=redis-2.redis:6379",
		"rediss+cluster://clustercfg.example.cache.amazonaws.com:6379",
	} {
		t.Run(u, func(t *testing.T) {
			out, err := render(t, "rel", "--set", "redis.bundled.enabled=false", "--set", "redis.url="+u)
			if err != nil {
				t.Fatal(err)
			}
			cm, ok := decode(t, out).get("ConfigMap", "rel-instagram-gateway").(*corev1.ConfigMap)
			if !ok || cm.Data["GATEWAY_REDIS_URL"] != u {
				t.Fatalf("GATEWAY_REDIS_URL = %q", cm.Data["GATEWAY_REDIS_URL"])
			}
		})
	}
}

func TestTokenRefresh(t *testing.T) {
	tests := []struct {
		name                     string
		args                     []string
		mode                     string
		minAge, before, interval time.Duration
	}{
		{"default", nil, "redis", 24 * time.Hour, 720 * time.Hour, time.Hour},
		{"set", []string{"--set", "gateway.tokenRefresh.minAge=36h", "--set", "gateway.tokenRefresh.refreshBefore=240h", "--set", "gateway.tokenRefresh.checkInterval=1m30s"},
			"redis", 36 * time.Hour, 240 * time.Hour, 90 * time.Second},
		{"one set, the others default", []string{"--set", "gateway.tokenRefresh.checkInterval=500ms"},
			"redis", 24 * time.Hour, 720 * time.Hour, 500 * time.Millisecond},
		{"production example", valuesArgs("external-redis.yaml"), "redis", 48 * time.Hour, 360 * time.Hour, 15 * time.Minute},
		{"embedded", []string{"--set", "mode=embedded", "--set", "replicaCount=1", "--set", "gateway.tokenRefresh.minAge=1h"},
			"embedded", time.Hour, 720 * time.Hour, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := render(t, "rel", tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			r := decode(t, out)
			cm, ok := r.get("ConfigMap", "rel-instagram-gateway").(*corev1.ConfigMap)
			if !ok {
				t.Fatal("no ConfigMap")
			}
			for k, want := range map[string]time.Duration{
				"GATEWAY_TOKEN_MIN_AGE":        tt.minAge,
				"GATEWAY_TOKEN_REFRESH_BEFORE": tt.before,
				"GATEWAY_TOKEN_CHECK_INTERVAL": tt.interval,
			} {
				got, err := time.ParseDuration(cm.Data[k])
				if err != nil || got != want {
					t.Errorf("ConfigMap %s = %q, want %s", k, cm.Data[k], want)
				}
			}
			dep, ok := r.get("Deployment", "rel-instagram-gateway").(*appsv1.Deployment)
			if !ok {
				t.Fatal("no Deployment")
			}
			cfg := checkEnvironment(t, r, dep, tt.mode)
			if cfg.TokenMinAge != tt.minAge || cfg.TokenRefreshBefore != tt.before || cfg.TokenCheckInterval != tt.interval {
				t.Errorf("the gateway reads %s, %s, %s; want %s, %s, %s",
					cfg.TokenMinAge, cfg.TokenRefreshBefore, cfg.TokenCheckInterval, tt.minAge, tt.before, tt.interval)
			}
		})
	}
}

// The Instagram app's secret lives only in a Secret: the chart's, when
// secrets.instagramAppSecret is set, or the key instagram-app-secret of
// secrets.existingSecret, which may lack it (an optional reference). It is
// never in the ConfigMap nor in any other object, and a bad value is refused
// without being shown.
func TestInstagramAppSecret(t *testing.T) {
	const (
		value = "app-secret-0123456789abcdef"
		full  = "rel-instagram-gateway"
		key   = "instagram-app-secret"
	)
	tests := []struct {
		name     string
		set      []string
		mode     string
		ref      string // the Secret GATEWAY_INSTAGRAM_APP_SECRET refers to; "": no variable
		optional bool
		stored   bool // the chart's Secret holds the value
	}{
		{"unset", nil, "redis", "", false, false},
		{"set", []string{"secrets.instagramAppSecret=" + value}, "redis", full, false, true},
		{"set, embedded", []string{"mode=embedded", "replicaCount=1", "secrets.instagramAppSecret=" + value}, "embedded", full, false, true},
		{"existing Secret", []string{"secrets.existingSecret=mine"}, "redis", "mine", true, false},
		{"existing Secret and a value", []string{"secrets.existingSecret=mine", "secrets.instagramAppSecret=" + value}, "redis", "mine", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var args []string
			for _, s := range tt.set {
				args = append(args, "--set", s)
			}
			out, err := render(t, "rel", args...)
			if err != nil {
				t.Fatal(err)
			}
			r := decode(t, out)
			sec, hasSecret := r.get("Secret", full).(*corev1.Secret)
			if hasSecret {
				got, ok := sec.Data[key]
				if ok != tt.stored || (tt.stored && string(got) != value) {
					t.Errorf("the chart's Secret has %s = %q (%v), want it: %v", key, got, ok, tt.stored)
				}
			} else if tt.stored {
				t.Fatal("no Secret to hold the value")
			}
			for _, k := range r.order {
				if strings.HasPrefix(k, "Secret/") {
					continue
				}
				js, err := json.Marshal(r.objects[k])
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Contains(js, []byte(value)) || bytes.Contains(js, []byte(base64.StdEncoding.EncodeToString([]byte(value)))) {
					t.Errorf("%s holds the app secret", k)
				}
			}
			cm := r.get("ConfigMap", full).(*corev1.ConfigMap)
			if _, ok := cm.Data["GATEWAY_INSTAGRAM_APP_SECRET"]; ok {
				t.Error("the ConfigMap sets GATEWAY_INSTAGRAM_APP_SECRET")
			}
			dep := r.get("Deployment", full).(*appsv1.Deployment)
			var found *corev1.EnvVar
			for i, e := range dep.Spec.Template.Spec.Containers[0].Env {
				if e.Name == "GATEWAY_INSTAGRAM_APP_SECRET" {
					found = &dep.Spec.Template.Spec.Containers[0].Env[i]
				}
			}
			switch {
			case tt.ref == "" && found != nil:
				t.Errorf("GATEWAY_INSTAGRAM_APP_SECRET set with nothing to refer to: %+v", found)
			case tt.ref == "":
			case found == nil:
				t.Fatal("no GATEWAY_INSTAGRAM_APP_SECRET")
			case found.Value != "" || found.ValueFrom == nil || found.ValueFrom.SecretKeyRef == nil:
				t.Fatalf("GATEWAY_INSTAGRAM_APP_SECRET is not a Secret's key: %+v", found)
			default:
				ref := found.ValueFrom.SecretKeyRef
				optional := ref.Optional != nil && *ref.Optional
				if ref.Name != tt.ref || ref.Key != key || optional != tt.optional {
					t.Errorf("GATEWAY_INSTAGRAM_APP_SECRET refers to %s/%s, optional %v; want %s/%s, optional %v",
						ref.Name, ref.Key, optional, tt.ref, key, tt.optional)
				}
			}
			cfg := checkEnvironment(t, r, dep, tt.mode)
			if tt.stored && cfg.InstagramAppSecret != value {
				t.Errorf("the gateway reads the app secret %q, want %q", cfg.InstagramAppSecret, value)
			}
			if !tt.stored && tt.ref == "" && cfg.InstagramAppSecret != "" {
				t.Errorf("the gateway reads the app secret %q, want none", cfg.InstagramAppSecret)
			}
		})
	}

	// Pods roll when the chart's Secret gains the value (the other secrets
	// given, so that nothing is generated afresh).
	t.Run("pods roll", func(t *testing.T) {
		checksum := func(set ...string) string {
			t.Helper()
			args := valuesArgs("bundled-redis.yaml")
			args = append(args, "--set", "redis.bundled.enabled=false", "--set", "redis.url=redis://redis:6379/0")
			for _, s := range set {
				args = append(args, "--set", s)
			}
			out, err := render(t, "rel", args...)
			if err != nil {
				t.Fatal(err)
			}
			return decode(t, out).get("Deployment", full).(*appsv1.Deployment).Spec.Template.Annotations["checksum/secret"]
		}
		without, again := checksum("secrets.instagramAppSecret="), checksum("secrets.instagramAppSecret=")
		with := checksum("secrets.instagramAppSecret=" + value)
		if without == "" || without != again {
			t.Fatalf("checksum/secret %q, then %q, for the same values", without, again)
		}
		if with == without {
			t.Error("checksum/secret does not change with the app secret: pods would keep the old one")
		}
	})

	t.Run("refused without showing it", func(t *testing.T) {
		set := "secrets.instagramAppSecret=sekrit-0123 456"
		_, err := render(t, "rel", "--set", set)
		if err == nil {
			t.Fatal("a secret with a space rendered")
		}
		if shown := strings.ReplaceAll(err.Error(), set, ""); !strings.Contains(shown, "/secrets/instagramAppSecret'") || strings.Contains(shown, "sekrit") {
			t.Errorf("the error must name the value, not show it: %v", shown)
		}
	})
}

// Long release names are cut to Kubernetes' 63 characters, the bundled
// Redis's name included, and stay distinct.
func TestLongReleaseName(t *testing.T) {
	release := strings.Repeat("a", 53)
	out, err := render(t, release)
	if err != nil {
		t.Fatal(err)
	}
	r := decode(t, out) // fails on any name over 63
	var deps, redis int
	for _, k := range r.order {
		deps += boolInt(strings.HasPrefix(k, "Deployment/"))
		redis += boolInt(strings.HasPrefix(k, "StatefulSet/") && strings.HasSuffix(k, "-redis"))
	}
	if deps != 1 || redis != 1 {
		t.Fatalf("objects: %v", r.order)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// The values file documents itself: every key in values.yaml is in the
// schema (which refuses unknown keys), so a typo is an error, not a no-op.
func TestSchemaCoversDefaults(t *testing.T) {
	if _, err := render(t, "rel", "--values", filepath.Join(chart, "values.yaml")); err != nil {
		t.Fatal(err)
	}
}

// The bundled Redis's command, run as rendered (on loopback, in a temporary
// folder), takes its password from the environment through standard input,
// refuses clients without it, and persists with an append-only file.
func TestBundledRedisCommand(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal("redis-server not found: install it (apt-get install -y redis-server), as .ci/run does")
	}
	out, err := render(t, "rel")
	if err != nil {
		t.Fatal(err)
	}
	sts, ok := decode(t, out).get("StatefulSet", "rel-instagram-gateway-redis").(*appsv1.StatefulSet)
	if !ok {
		t.Fatal("no bundled Redis")
	}
	c := sts.Spec.Template.Spec.Containers[0]
	if len(c.Command) != 3 || c.Command[0] != "sh" || c.Command[1] != "-c" {
		t.Fatalf("command: %q", c.Command)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(addr)
	dir := t.TempDir()
	script := strings.Replace(c.Command[2], "--dir /data", "--dir "+dir, 1)
	script = strings.Replace(script, " <<EOF", " --bind 127.0.0.1 --port "+port+" <<EOF", 1)
	if script == c.Command[2] {
		t.Fatalf("cannot place the test's folder and port in %q", c.Command[2])
	}
	const password = "bundled-redis-pw-0123"
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = append(os.Environ(), "REDISCLI_AUTH="+password)
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	authed := redis.NewClient(&redis.Options{Addr: addr, Password: password})
	defer authed.Close()
	for ctx.Err() == nil && authed.Ping(ctx).Err() != nil {
		time.Sleep(20 * time.Millisecond)
	}
	if err := authed.Ping(ctx).Err(); err != nil {
		t.Fatalf("with the password: %v", err)
	}
	anon := redis.NewClient(&redis.Options{Addr: addr})
	defer anon.Close()
	if err := anon.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
		t.Errorf("without the password: %v, want NOAUTH", err)
	}
	got, err := authed.ConfigGet(ctx, "appendonly").Result()
	if err != nil || got["appendonly"] != "yes" {
		t.Errorf("appendonly = %v (%v)", got, err)
	}
	if ps, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", cmd.Process.Pid)); err == nil && bytes.Contains(ps, []byte(password)) {
		t.Error("the password is on the process's command line")
	}
}

// fakeKubernetes answers the discovery calls helm install makes (version,
// API groups and their kinds, from the scheme the tests decode with), and
// returns a kubeconfig pointing at it.
func fakeKubernetes(t *testing.T) string {
	t.Helper()
	answers := discovery(t)
	answers["/version"] = map[string]string{"major": "1", "minor": "30", "gitVersion": "v" + kubeVersion}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := answers[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(a)
	}))
	t.Cleanup(srv.Close)
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	conf := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: fake, cluster: {server: %q}}]
users: [{name: fake, user: {}}]
contexts: [{name: fake, context: {cluster: fake, user: fake, namespace: default}}]
current-context: fake
`, srv.URL)
	if err := os.WriteFile(kubeconfig, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return kubeconfig
}

// discovery is the legacy discovery documents, by path, of every kind the
// scheme knows.
func discovery(t *testing.T) map[string]any {
	resources := map[schema.GroupVersion][]metav1.APIResource{}
	for gvk := range scheme(t).AllKnownTypes() {
		if gvk.Version == runtime.APIVersionInternal || strings.HasSuffix(gvk.Kind, "List") {
			continue
		}
		plural, _ := meta.UnsafeGuessKindToResource(gvk)
		resources[gvk.GroupVersion()] = append(resources[gvk.GroupVersion()], metav1.APIResource{
			Name: plural.Resource, Kind: gvk.Kind, Namespaced: true, Verbs: metav1.Verbs{"get", "list", "create"},
		})
	}
	answers := map[string]any{"/api": metav1.APIVersions{TypeMeta: metav1.TypeMeta{Kind: "APIVersions"}, Versions: []string{"v1"}}}
	groups := metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}}
	for gv, list := range resources {
		path := "/apis/" + gv.String()
		if gv.Group == "" {
			path = "/api/" + gv.Version
		} else {
			v := metav1.GroupVersionForDiscovery{GroupVersion: gv.String(), Version: gv.Version}
			groups.Groups = append(groups.Groups, metav1.APIGroup{Name: gv.Group, Versions: []metav1.GroupVersionForDiscovery{v}, PreferredVersion: v})
		}
		answers[path] = metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: gv.String(), APIResources: list}
	}
	answers["/apis"] = groups
	return answers
}

// notes renders the chart's NOTES.txt: helm template leaves it out, so this
// is a client-side dry-run install against a fake API server.
func notes(t *testing.T, args ...string) string {
	t.Helper()
	out, err := helm(t, append([]string{"install", "rel", chart, "--dry-run=client", "--disable-openapi-validation", "--kubeconfig", fakeKubernetes(t), "--output", "json"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	var release struct {
		Info struct {
			Notes string `json:"notes"`
		} `json:"info"`
	}
	if err := json.Unmarshal(out, &release); err != nil || release.Info.Notes == "" {
		t.Fatalf("no notes (%v) in %.500s", err, out)
	}
	return release.Info.Notes
}

// Without gateway.publicURL, links follow the Host callers reached: NOTES
// says so, and how to set it behind an ingress.
func TestNotesWarnWithoutPublicURL(t *testing.T) {
	tests := []struct {
		name string
		set  []string
		warn bool
	}{
		{"default", nil, true},
		{"embedded", valuesArgs("embedded-pvc.yaml"), true},
		{"external redis, public URL set", valuesArgs("external-redis.yaml"), false},
		{"public URL set", []string{"--set", "gateway.publicURL=https://gateway.example.com"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := notes(t, tt.set...)
			for _, w := range []string{"gateway.publicURL is empty", "use the Host\nheader", "believed only\nfrom the proxies in gateway.trustedProxies"} {
				if strings.Contains(n, w) != tt.warn {
					t.Errorf("warning %q shown: %v, want %v:\n%s", w, !tt.warn, tt.warn, n)
				}
			}
			if !strings.Contains(n, "swagger/doc.json") {
				t.Errorf("not the chart's notes:\n%s", n)
			}
		})
	}
}

// TestNotesWarnWithoutTrustedProxies: without gateway.trustedProxies, every
// caller behind an ingress shares one address for the failed-authentication
// limit; the notes say so, and the value reaches the gateway.
func TestNotesWarnWithoutTrustedProxies(t *testing.T) {
	for _, tt := range []struct {
		name string
		set  []string
		warn bool
	}{
		{"default", nil, true},
		{"set", []string{"--set", "gateway.trustedProxies=10.0.0.0/8"}, false},
		{"external redis example", valuesArgs("external-redis.yaml"), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if n := notes(t, tt.set...); strings.Contains(n, "gateway.trustedProxies is empty") != tt.warn {
				t.Errorf("warning shown: %v, want %v:\n%s", !tt.warn, tt.warn, n)
			}
		})
	}
}
