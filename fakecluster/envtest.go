package fakecluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// ErrNoBinaries is returned by StartControlPlane when kube-apiserver or
// etcd cannot be found; its message says how to build them.
var ErrNoBinaries = errors.New("envtest binaries not found: run `make envtest-bin` (builds kube-apiserver and etcd from Go modules) and set KUBEBUILDER_ASSETS to the directory it prints")

// ControlPlane is a real kube-apiserver and etcd started through
// controller-runtime's envtest, shared by many runs: each run gets its own
// namespace. Stop must always be called; it stops both processes and
// removes their temporary directories.
type ControlPlane struct {
	env    *envtest.Environment
	client client.Client

	mu     sync.Mutex
	runs   int
	closed bool
}

// AssetsDir is where the envtest binaries are looked for: KUBEBUILDER_ASSETS
// when set, else the directory `make envtest-bin` builds into.
func AssetsDir() string {
	if d := os.Getenv("KUBEBUILDER_ASSETS"); d != "" {
		return d
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(cache, "canarysim", "envtest", EnvtestVersion)
}

// EnvtestVersion names the versions of the binaries `make envtest-bin`
// builds; it keys their cache directory.
const EnvtestVersion = "k8s-1.37.2-etcd-3.6.7"

// StartControlPlane starts kube-apiserver and etcd and installs the CRDs of
// Flagger's Canary and MetricTemplate and of Istio's VirtualService, with
// status subresources where those projects have them. It returns ErrNoBinaries when the
// binaries are missing.
func StartControlPlane() (*ControlPlane, error) {
	dir := AssetsDir()
	for _, bin := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(dir, bin)); err != nil {
			return nil, fmt.Errorf("%w (looked in %q)", ErrNoBinaries, dir)
		}
	}
	s, err := Scheme()
	if err != nil {
		return nil, err
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory:    dir,
		CRDs:                     crds(),
		Scheme:                   s,
		ControlPlaneStartTimeout: time.Minute,
		ControlPlaneStopTimeout:  30 * time.Second,
	}
	cfg, err := env.Start()
	if err != nil {
		_ = env.Stop()
		return nil, fmt.Errorf("starting envtest control plane: %w", err)
	}
	cfg.QPS, cfg.Burst = 1000, 2000
	c, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		_ = env.Stop()
		return nil, fmt.Errorf("creating API client: %w", err)
	}
	return &ControlPlane{env: env, client: c}, nil
}

// Stop stops the control plane; calling it twice is harmless.
func (cp *ControlPlane) Stop() error {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if cp.closed {
		return nil
	}
	cp.closed = true
	return cp.env.Stop()
}

// NewBackend returns a Backend for one run in a fresh namespace. Objects
// keep the namespace the scenario gives them; the backend maps it to the
// run's namespace at the API boundary. It has the signature of
// sim.NewBackend.
func (cp *ControlPlane) NewBackend(b Behaviour, epoch time.Time) (Backend, error) {
	cp.mu.Lock()
	cp.runs++
	ns := fmt.Sprintf("canarysim-run-%d", cp.runs)
	cp.mu.Unlock()
	ctx := context.Background()
	if err := cp.client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return nil, fmt.Errorf("creating namespace %s: %w", ns, err)
	}
	st := newStore(cp.client)
	st.namespace = ns
	return &clientCluster{s: st, bumpGeneration: false, workloads: newWorkloads(b, epoch), name: "envtest"}, nil
}

// crds are minimal definitions of the Flagger kinds (Canary, MetricTemplate)
// and the router kind (Istio VirtualService) canarysim uses: the
// schema accepts any fields (the scenario loader already decoded the Canary
// strictly with Flagger's types); status is a subresource for the Canary,
// as in Flagger's CRD, and not for the VirtualService, as in Istio's.
func crds() []*apiextensionsv1.CustomResourceDefinition {
	return []*apiextensionsv1.CustomResourceDefinition{
		crd("flagger.app", "v1beta1", "Canary", "canaries", true),
		crd("flagger.app", "v1beta1", "MetricTemplate", "metrictemplates", true),
		crd("networking.istio.io", "v1beta1", "VirtualService", "virtualservices", false),
	}
}

func crd(group, version, kind, plural string, status bool) *apiextensionsv1.CustomResourceDefinition {
	preserve := true
	v := apiextensionsv1.CustomResourceDefinitionVersion{
		Name: version, Served: true, Storage: true,
		Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
			Type: "object", XPreserveUnknownFields: &preserve,
		}},
	}
	if status {
		v.Subresources = &apiextensionsv1.CustomResourceSubresources{Status: &apiextensionsv1.CustomResourceSubresourceStatus{}}
	}
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: plural + "." + group},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: group,
			Names: apiextensionsv1.CustomResourceDefinitionNames{
				Kind: kind, ListKind: kind + "List", Plural: plural, Singular: lower(kind),
			},
			Scope:    apiextensionsv1.NamespaceScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{v},
		},
	}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
