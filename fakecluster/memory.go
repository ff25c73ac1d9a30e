package fakecluster

import (
	"time"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	clienttesting "k8s.io/client-go/testing"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

// NewMemory returns the in-memory backend: controller-runtime's fake client
// with status subresources for Deployments and Canaries, a plain object
// tracker (no managed fields), typed updates (typedWrites) and our own
// generation bookkeeping, since no API server maintains
// metadata.generation here.
// epoch is the virtual time at which the cluster starts.
func NewMemory(b Behaviour, epoch time.Time) (Backend, error) {
	s, err := Scheme()
	if err != nil {
		return nil, err
	}
	tracker := clienttesting.NewObjectTracker(s, serializer.NewCodecFactory(s).UniversalDecoder())
	c := fake.NewClientBuilder().
		WithScheme(s).
		WithObjectTracker(tracker).
		WithStatusSubresource(&appsv1.Deployment{}, &flaggerv1.Canary{}).
		WithInterceptorFuncs(typedWrites{tracker: tracker, scheme: s}.funcs()).
		Build()
	return &clientCluster{s: newStore(c), bumpGeneration: true, workloads: newWorkloads(b, epoch), name: "fake"}, nil
}
