package fakecluster

import (
	"context"
	"errors"
	"strconv"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
	istiov1beta1 "github.com/fluxcd/flagger/pkg/apis/istio/v1beta1"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	clienttesting "k8s.io/client-go/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

// typedWrites serves Update and status Update of the kinds the simulator
// writes on every tick (Deployments, Canaries, VirtualServices) with typed
// deep copies on the fake client's own object tracker. The fake client
// would round-trip each write through JSON several times (about 100-170 µs
// a write, most of a simulated rollout); the API semantics stay those the
// contract suite checks against a real API server: optimistic concurrency
// on resourceVersion (409 Conflict), a per-object resourceVersion counter
// like the fake client's, the status subresource writing only status and a
// main-resource update keeping the stored status. Anything else (options,
// other kinds, other subresources) goes through the fake client unchanged.
type typedWrites struct {
	tracker clienttesting.ObjectTracker
	scheme  *runtime.Scheme
}

func (w typedWrites) funcs() interceptor.Funcs {
	return interceptor.Funcs{Update: w.update, SubResourceUpdate: w.subResourceUpdate}
}

func (w typedWrites) update(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
	if len(opts) > 0 || !handled(obj) {
		return c.Update(ctx, obj, opts...)
	}
	return w.write(obj, false)
}

func (w typedWrites) subResourceUpdate(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	if sub != "status" || len(opts) > 0 || !hasStatus(obj) {
		return c.SubResource(sub).Update(ctx, obj, opts...)
	}
	return w.write(obj, true)
}

func handled(obj client.Object) bool {
	switch obj.(type) {
	case *appsv1.Deployment, *flaggerv1.Canary:
		return true
	}
	return isVirtualService(obj)
}

func hasStatus(obj client.Object) bool {
	switch obj.(type) {
	case *appsv1.Deployment, *flaggerv1.Canary:
		return true
	}
	return false
}

var errModified = errors.New("the object has been modified; please apply your changes to the latest version and try again")

// write stores obj (statusOnly: only its status) and updates obj in place
// with the stored result, as the API server's response would.
func (w typedWrites) write(obj client.Object, statusOnly bool) error {
	gvk, err := apiutil.GVKForObject(obj, w.scheme)
	if err != nil {
		return err
	}
	gvr, _ := meta.UnsafeGuessKindToResource(gvk)
	cur, err := w.tracker.Get(gvr, obj.GetNamespace(), obj.GetName())
	if err != nil {
		return err
	}
	stored := cur.(client.Object)
	if rv := obj.GetResourceVersion(); rv != "" && rv != stored.GetResourceVersion() {
		return apierrors.NewConflict(gvr.GroupResource(), obj.GetName(), errModified)
	}
	var next client.Object
	if statusOnly {
		if statusEqual(stored, obj) {
			copyInto(obj, stored) // a no-op write changes nothing, not even the resourceVersion
			return nil
		}
		next = stored
		copyStatus(next, obj)
	} else {
		if specEqual(stored, obj) && equality.Semantic.DeepEqual(stored.GetLabels(), obj.GetLabels()) &&
			equality.Semantic.DeepEqual(stored.GetAnnotations(), obj.GetAnnotations()) {
			copyInto(obj, stored)
			return nil
		}
		next = obj.DeepCopyObject().(client.Object)
		copyStatus(next, stored)
		next.SetUID(stored.GetUID())
		next.SetCreationTimestamp(stored.GetCreationTimestamp())
		next.SetGeneration(nextGeneration(stored, next))
	}
	old, err := strconv.ParseUint(stored.GetResourceVersion(), 10, 64)
	if err != nil {
		return err
	}
	next.SetResourceVersion(strconv.FormatUint(old+1, 10))
	if err := w.tracker.Update(gvr, next, obj.GetNamespace()); err != nil {
		return err
	}
	copyInto(obj, next)
	return nil
}

// statusEqual compares the statuses of two objects of a kind with a status
// subresource.
func statusEqual(a, b client.Object) bool {
	switch x := a.(type) {
	case *appsv1.Deployment:
		return equality.Semantic.DeepEqual(x.Status, b.(*appsv1.Deployment).Status)
	case *flaggerv1.Canary:
		return equality.Semantic.DeepEqual(x.Status, b.(*flaggerv1.Canary).Status)
	}
	return false
}

// specEqual compares the specs of two objects of a handled kind.
func specEqual(a, b client.Object) bool {
	switch x := a.(type) {
	case *appsv1.Deployment:
		return equality.Semantic.DeepEqual(x.Spec, b.(*appsv1.Deployment).Spec)
	case *flaggerv1.Canary:
		return equality.Semantic.DeepEqual(x.Spec, b.(*flaggerv1.Canary).Spec)
	case *istiov1beta1.VirtualService:
		return equality.Semantic.DeepEqual(x.Spec, b.(*istiov1beta1.VirtualService).Spec)
	}
	return false
}

// nextGeneration is the API server's rule for Deployments: generation grows
// by one when the spec or the annotations change (annotations are copied to
// ReplicaSets); the other kinds keep theirs here.
func nextGeneration(stored, next client.Object) int64 {
	old, ok := stored.(*appsv1.Deployment)
	if !ok {
		return stored.GetGeneration()
	}
	n := next.(*appsv1.Deployment)
	if equality.Semantic.DeepEqual(old.Spec, n.Spec) && equality.Semantic.DeepEqual(old.Annotations, n.Annotations) {
		return old.Generation
	}
	return old.Generation + 1
}

// copyStatus sets dst's status to src's for kinds with a status subresource.
func copyStatus(dst, src client.Object) {
	switch d := dst.(type) {
	case *appsv1.Deployment:
		d.Status = *src.(*appsv1.Deployment).Status.DeepCopy()
	case *flaggerv1.Canary:
		d.Status = *src.(*flaggerv1.Canary).Status.DeepCopy()
	}
}

// isVirtualService reports an Istio VirtualService, which has no status
// subresource here: an update replaces the whole object.
func isVirtualService(obj client.Object) bool {
	_, ok := obj.(*istiov1beta1.VirtualService)
	return ok
}
