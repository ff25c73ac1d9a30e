package fakecluster

import (
	"context"
	"fmt"
	"sync"
	"time"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
	istiov1beta1 "github.com/fluxcd/flagger/pkg/apis/istio/v1beta1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarysim/canarysim/engine"
)

// Backend is the contract every cluster backend fulfils: the engine's
// Cluster port plus what the simulator does as the cluster's users and
// controllers (apply manifests, run the workload simulator, read back what
// is served). A Backend is confined to one goroutine.
type Backend interface {
	engine.Cluster
	// CreateCanary stores the Canary object (status written later by the
	// engine through the status subresource).
	CreateCanary(ctx context.Context, c *flaggerv1.Canary) error
	// ApplyDeployment creates d, or updates its spec as `kubectl apply` would.
	ApplyDeployment(ctx context.Context, d *appsv1.Deployment) error
	// Advance runs the workload simulator up to virtual time now: Deployments
	// whose rollout is due get their status written.
	Advance(ctx context.Context, now time.Time) error
	// NextDue is the next virtual time Advance has work, if any.
	NextDue() (time.Time, bool)
	// Serving says what a Deployment's ready pods run.
	Serving(name string) Serving
	// SetCrashing makes a Deployment's pods crash-loop from the current
	// virtual time (none ready or available; Available=False) or recover.
	SetCrashing(ctx context.Context, namespace, name string, crashing bool) error
	// SetDeadlineExceeded sets a Deployment's Progressing condition to
	// False/ProgressDeadlineExceeded from the current virtual time, as the
	// Deployment controller does when a rollout stalls (a non-retriable
	// not-ready for Flagger), and keeps it so across status writes until
	// called with false, which restores Progressing=True.
	SetDeadlineExceeded(ctx context.Context, namespace, name string, exceeded bool) error
	// Name identifies the backend in outputs ("fake", "envtest").
	Name() string
	// Close releases what the run used: the envtest backend deletes the
	// run's namespace. The backend is unusable afterwards.
	Close(ctx context.Context) error
}

// Scheme registers the kinds canarysim stores: Deployments, Services, the
// Flagger Canary and Istio's VirtualService. It is deliberately small:
// fake-client costs grow with the scheme. The scheme is built once and
// shared read-only; callers must not register more types in it.
func Scheme() (*runtime.Scheme, error) {
	schemeOnce.Do(func() {
		s := runtime.NewScheme()
		for _, add := range []func(*runtime.Scheme) error{
			appsv1.AddToScheme, corev1.AddToScheme, flaggerv1.AddToScheme, istiov1beta1.AddToScheme,
		} {
			if err := add(s); err != nil {
				schemeErr = fmt.Errorf("building scheme: %w", err)
				return
			}
		}
		scheme = s
	})
	return scheme, schemeErr
}

var (
	schemeOnce sync.Once
	scheme     *runtime.Scheme
	schemeErr  error
)

// clientCluster implements Backend over a controller-runtime client. The
// in-memory and envtest backends differ only in the client and in who
// bumps metadata.generation.
type clientCluster struct {
	s              *store
	bumpGeneration bool // true where no API server maintains generation
	workloads      *workloads
	canary         *flaggerv1.Canary // last stored copy, for status writes
	name           string
}

var _ Backend = (*clientCluster)(nil)

func (cc *clientCluster) Name() string { return cc.name }

// Close implements Backend.
func (cc *clientCluster) Close(ctx context.Context) error {
	if cc.s.namespace == "" {
		return nil
	}
	ns := &corev1.Namespace{}
	ns.Name = cc.s.namespace
	if err := cc.s.c.Delete(ctx, ns); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting namespace %s: %w", ns.Name, err)
	}
	return nil
}

// GetDeployment implements engine.Deployments.
func (cc *clientCluster) GetDeployment(ctx context.Context, namespace, name string) (*appsv1.Deployment, error) {
	d := &appsv1.Deployment{}
	if err := cc.s.get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, d); err != nil {
		return nil, err
	}
	return d, nil
}

// CreateDeployment implements engine.Deployments.
func (cc *clientCluster) CreateDeployment(ctx context.Context, d *appsv1.Deployment) error {
	d = d.DeepCopy()
	if cc.bumpGeneration {
		d.Generation = 1
	}
	d.Status = appsv1.DeploymentStatus{}
	if err := cc.s.create(ctx, d); err != nil {
		return err
	}
	cc.workloads.specChanged(d)
	return nil
}

// UpdateDeployment implements engine.Deployments.
func (cc *clientCluster) UpdateDeployment(ctx context.Context, namespace, name string, mutate func(*appsv1.Deployment)) (*appsv1.Deployment, error) {
	for attempt := 0; ; attempt++ {
		cur, err := cc.GetDeployment(ctx, namespace, name)
		if err != nil {
			return nil, err
		}
		next := cur.DeepCopy()
		mutate(next)
		if equality.Semantic.DeepEqual(cur.Spec, next.Spec) && equality.Semantic.DeepEqual(cur.Labels, next.Labels) &&
			equality.Semantic.DeepEqual(cur.Annotations, next.Annotations) {
			return cur, nil
		}
		err = cc.s.update(ctx, next)
		if apierrors.IsConflict(err) && attempt < maxConflictRetries {
			continue
		}
		if err != nil {
			return nil, err
		}
		if next.Generation != cur.Generation {
			cc.workloads.specChanged(next)
		}
		return next, nil
	}
}

// maxConflictRetries bounds re-read-and-retry loops on 409 Conflict.
const maxConflictRetries = 5

// ApplyDeployment implements Backend.
func (cc *clientCluster) ApplyDeployment(ctx context.Context, d *appsv1.Deployment) error {
	_, err := cc.GetDeployment(ctx, d.Namespace, d.Name)
	if apierrors.IsNotFound(err) {
		return cc.CreateDeployment(ctx, d)
	}
	if err != nil {
		return err
	}
	_, err = cc.UpdateDeployment(ctx, d.Namespace, d.Name, func(cur *appsv1.Deployment) {
		cur.Spec = *d.Spec.DeepCopy()
		cur.Labels, cur.Annotations = d.Labels, d.Annotations
	})
	return err
}

// EnsureService implements engine.Services.
func (cc *clientCluster) EnsureService(ctx context.Context, svc *corev1.Service) error {
	err := cc.s.create(ctx, svc.DeepCopy())
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// CreateCanary implements Backend.
func (cc *clientCluster) CreateCanary(ctx context.Context, c *flaggerv1.Canary) error {
	obj := c.DeepCopy()
	obj.Status = flaggerv1.CanaryStatus{}
	obj.ResourceVersion = ""
	if err := cc.s.create(ctx, obj); err != nil {
		return fmt.Errorf("creating canary %s.%s: %w", c.Name, c.Namespace, err)
	}
	cc.canary = obj
	return nil
}

// WriteCanaryStatus implements engine.StatusWriter through the status
// subresource, re-reading on conflict.
func (cc *clientCluster) WriteCanaryStatus(ctx context.Context, c *flaggerv1.Canary, st flaggerv1.CanaryStatus) error {
	obj := cc.canary
	for attempt := 0; ; attempt++ {
		if obj == nil {
			obj = &flaggerv1.Canary{}
			if err := cc.s.get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: c.Name}, obj); err != nil {
				return err
			}
		}
		obj.Status = *st.DeepCopy()
		err := cc.s.updateStatus(ctx, obj)
		if apierrors.IsConflict(err) && attempt < maxConflictRetries {
			obj = nil
			continue
		}
		if err != nil {
			cc.canary = nil
			return err
		}
		cc.canary = obj
		return nil
	}
}

// Advance implements Backend.
func (cc *clientCluster) Advance(ctx context.Context, now time.Time) error {
	return cc.workloads.advance(ctx, cc, now)
}

// NextDue implements Backend.
func (cc *clientCluster) NextDue() (time.Time, bool) { return cc.workloads.nextDue() }

// SetCrashing implements Backend.
func (cc *clientCluster) SetCrashing(ctx context.Context, namespace, name string, crashing bool) error {
	return cc.workloads.setCrashing(ctx, cc, client.ObjectKey{Namespace: namespace, Name: name}, crashing)
}

// SetDeadlineExceeded implements Backend.
func (cc *clientCluster) SetDeadlineExceeded(ctx context.Context, namespace, name string, exceeded bool) error {
	return cc.workloads.setDeadlineExceeded(ctx, cc, client.ObjectKey{Namespace: namespace, Name: name}, exceeded)
}

// Serving implements Backend.
func (cc *clientCluster) Serving(name string) Serving { return cc.workloads.serving(name) }

// writeStatus writes a Deployment's status, re-reading on conflict.
func (cc *clientCluster) writeStatus(ctx context.Context, key client.ObjectKey, mutate func(*appsv1.Deployment)) error {
	for attempt := 0; ; attempt++ {
		d := &appsv1.Deployment{}
		if err := cc.s.get(ctx, key, d); err != nil {
			return err
		}
		mutate(d)
		err := cc.s.updateStatus(ctx, d)
		if apierrors.IsConflict(err) && attempt < maxConflictRetries {
			continue
		}
		return err
	}
}
