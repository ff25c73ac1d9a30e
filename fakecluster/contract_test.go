package fakecluster

import (
	"context"
	"testing"
	"time"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarysim/canarysim/engine"
)

var epoch = time.Unix(0, 0).UTC()

// delayByImage rolls out image "app:slow" in 90s and anything else in 30s.
type delayByImage struct{}

func (delayByImage) RolloutDelay(t *corev1.PodTemplateSpec) time.Duration {
	if t.Spec.Containers[0].Image == "app:slow" {
		return 90 * time.Second
	}
	return 30 * time.Second
}

// backendFactory builds a fresh backend for one contract case.
type backendFactory func(t *testing.T) Backend

// TestMemoryContract runs the backend contract against the in-memory backend.
func TestMemoryContract(t *testing.T) {
	runContract(t, func(t *testing.T) Backend {
		b, err := NewMemory(delayByImage{}, epoch)
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
}

// runContract is the suite every backend must pass.
func runContract(t *testing.T, newBackend backendFactory) {
	cases := []struct {
		name string
		fn   func(t *testing.T, b Backend)
	}{
		{"create and update bump generation", contractGeneration},
		{"readiness transitions in virtual time", contractReadiness},
		{"scale to zero is ready at once", contractScaleToZero},
		{"deployment progress deadline", contractProgressDeadline},
		{"crash-looping pods", contractCrashLoop},
		{"forced progress deadline", contractForcedDeadline},
		{"services are created once", contractServices},
		{"router holds the weights", contractRouter},
		{"canary status through the subresource", contractCanaryStatus},
		{"missing objects are not found", contractNotFound},
		{"engine creates the primary and promotes", contractPromote},
		{"engine rolls back", contractRollback},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, newBackend(t)) })
	}
}

func deployment(name, image string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "test"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: name, Image: image}}},
			},
		},
	}
}

func canary() *flaggerv1.Canary {
	return &flaggerv1.Canary{
		ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: "test"},
		Spec: flaggerv1.CanarySpec{
			TargetRef: flaggerv1.LocalObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "app"},
			Service:   flaggerv1.CanaryService{Port: 8080},
			Analysis:  &flaggerv1.CanaryAnalysis{Interval: "1m", Threshold: 1, StepWeight: 10},
		},
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, b Backend, name string) *appsv1.Deployment {
	t.Helper()
	d, err := b.GetDeployment(context.Background(), "test", name)
	must(t, err)
	return d
}

func contractGeneration(t *testing.T, b Backend) {
	ctx := context.Background()
	must(t, b.ApplyDeployment(ctx, deployment("app", "app:1", 2)))
	if g := get(t, b, "app").Generation; g != 1 {
		t.Fatalf("generation after create = %d, want 1", g)
	}
	setImage := func(img string) func(*appsv1.Deployment) {
		return func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = img }
	}
	_, err := b.UpdateDeployment(ctx, "test", "app", setImage("app:2"))
	must(t, err)
	if g := get(t, b, "app").Generation; g != 2 {
		t.Errorf("generation after spec change = %d, want 2", g)
	}
	rv := get(t, b, "app").ResourceVersion
	_, err = b.UpdateDeployment(ctx, "test", "app", setImage("app:2"))
	must(t, err)
	if d := get(t, b, "app"); d.Generation != 2 || d.ResourceVersion != rv {
		t.Errorf("no-op update changed generation %d or resourceVersion %s (was %s)", d.Generation, d.ResourceVersion, rv)
	}
	_, err = b.UpdateDeployment(ctx, "test", "app", func(d *appsv1.Deployment) { d.Annotations = map[string]string{"a": "b"} })
	must(t, err)
	if g := get(t, b, "app").Generation; g != 3 {
		t.Errorf("generation after an annotation change = %d, want 3 (annotations are copied to ReplicaSets)", g)
	}
	_, err = b.UpdateDeployment(ctx, "test", "app", func(d *appsv1.Deployment) { d.Labels = map[string]string{"team": "x"} })
	must(t, err)
	if g := get(t, b, "app").Generation; g != 3 {
		t.Errorf("label-only update bumped generation to %d", g)
	}
	must(t, b.ApplyDeployment(ctx, deployment("app", "app:3", 2)))
	if d := get(t, b, "app"); d.Generation != 4 || d.Spec.Template.Spec.Containers[0].Image != "app:3" {
		t.Errorf("apply: generation %d image %s, want 4 app:3", d.Generation, d.Spec.Template.Spec.Containers[0].Image)
	}
}

func contractReadiness(t *testing.T, b Backend) {
	ctx := context.Background()
	must(t, b.Advance(ctx, epoch))
	must(t, b.ApplyDeployment(ctx, deployment("app", "app:slow", 2)))
	due, ok := b.NextDue()
	if !ok || !due.Equal(epoch) {
		t.Fatalf("NextDue = %v %v, want the change time", due, ok)
	}
	must(t, b.Advance(ctx, epoch))
	st := get(t, b, "app").Status
	avail := conditionOf(st.Conditions, appsv1.DeploymentAvailable)
	if st.ObservedGeneration != 1 || st.UpdatedReplicas != 0 || avail == nil || avail.Status != corev1.ConditionFalse ||
		avail.Reason != "MinimumReplicasUnavailable" || !avail.LastUpdateTime.Time.Equal(epoch) {
		t.Fatalf("progressing status = %+v", st)
	}
	if s := b.Serving("app"); s.Available != 0 {
		t.Errorf("serving %d replicas before the rollout finished", s.Available)
	}
	due, _ = b.NextDue()
	if want := epoch.Add(90 * time.Second); !due.Equal(want) {
		t.Errorf("ready due at %v, want %v", due, want)
	}
	must(t, b.Advance(ctx, epoch.Add(89*time.Second)))
	if get(t, b, "app").Status.AvailableReplicas != 0 {
		t.Error("available before the rollout delay")
	}
	must(t, b.Advance(ctx, epoch.Add(90*time.Second)))
	st = get(t, b, "app").Status
	if st.AvailableReplicas != 2 || st.UpdatedReplicas != 2 || st.ReadyReplicas != 2 || st.ObservedGeneration != 1 {
		t.Errorf("ready status = %+v", st)
	}
	if s := b.Serving("app"); s.Available != 2 || s.Template.Spec.Containers[0].Image != "app:slow" {
		t.Errorf("serving = %d replicas of %v", s.Available, s.Template)
	}
	if _, ok := b.NextDue(); ok {
		t.Error("work still due after the rollout")
	}
}

func contractProgressDeadline(t *testing.T, b Backend) {
	ctx := context.Background()
	d := deployment("app", "app:slow", 2) // 90s rollout
	deadline := int32(60)
	d.Spec.ProgressDeadlineSeconds = &deadline
	must(t, b.Advance(ctx, epoch))
	must(t, b.ApplyDeployment(ctx, d))
	must(t, b.Advance(ctx, epoch))
	if due, _ := b.NextDue(); !due.Equal(epoch.Add(time.Minute)) {
		t.Errorf("deadline due at %v, want 1m", due)
	}
	must(t, b.Advance(ctx, epoch.Add(time.Minute)))
	p := conditionOf(get(t, b, "app").Status.Conditions, appsv1.DeploymentProgressing)
	if p == nil || p.Status != corev1.ConditionFalse || p.Reason != "ProgressDeadlineExceeded" {
		t.Fatalf("progressing condition after the deadline = %+v", p)
	}
	must(t, b.Advance(ctx, epoch.Add(90*time.Second)))
	if st := get(t, b, "app").Status; st.AvailableReplicas != 2 {
		t.Errorf("late rollout never completed: %+v", st)
	}
}

func contractCrashLoop(t *testing.T, b Backend) {
	ctx := context.Background()
	must(t, b.ApplyDeployment(ctx, deployment("app", "app:1", 2)))
	must(t, b.Advance(ctx, epoch.Add(time.Minute)))
	must(t, b.SetCrashing(ctx, "test", "app", true))
	st := get(t, b, "app").Status
	avail := conditionOf(st.Conditions, appsv1.DeploymentAvailable)
	if st.AvailableReplicas != 0 || avail == nil || avail.Status != corev1.ConditionFalse || !avail.LastUpdateTime.Time.Equal(epoch.Add(time.Minute)) {
		t.Fatalf("crash-looping status = %+v", st)
	}
	if s := b.Serving("app"); s.Available != 0 {
		t.Errorf("serving %d replicas while crash-looping", s.Available)
	}
	must(t, b.SetCrashing(ctx, "test", "app", false))
	if st := get(t, b, "app").Status; st.AvailableReplicas != 2 {
		t.Errorf("status after recovery = %+v", st)
	}
	if s := b.Serving("app"); s.Available != 2 {
		t.Errorf("serving %d replicas after recovery", s.Available)
	}
}

// contractForcedDeadline: SetDeadlineExceeded marks a ready Deployment's
// Progressing condition ProgressDeadlineExceeded at the current virtual
// time, keeps it through a rollout's status writes and lifts it again.
func contractForcedDeadline(t *testing.T, b Backend) {
	ctx := context.Background()
	must(t, b.ApplyDeployment(ctx, deployment("app", "app:1", 2)))
	must(t, b.Advance(ctx, epoch.Add(time.Minute)))
	must(t, b.SetDeadlineExceeded(ctx, "test", "app", true))
	p := conditionOf(get(t, b, "app").Status.Conditions, appsv1.DeploymentProgressing)
	if p == nil || p.Status != corev1.ConditionFalse || p.Reason != "ProgressDeadlineExceeded" || !p.LastUpdateTime.Time.Equal(epoch.Add(time.Minute)) {
		t.Fatalf("progressing condition after SetDeadlineExceeded = %+v", p)
	}
	_, err := b.UpdateDeployment(ctx, "test", "app", func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "app:2" })
	must(t, err)
	must(t, b.Advance(ctx, epoch.Add(2*time.Minute)))
	if p := conditionOf(get(t, b, "app").Status.Conditions, appsv1.DeploymentProgressing); p == nil || p.Reason != "ProgressDeadlineExceeded" {
		t.Fatalf("a completed rollout cleared the forced deadline: %+v", p)
	}
	must(t, b.SetDeadlineExceeded(ctx, "test", "app", false))
	st := get(t, b, "app").Status
	if p := conditionOf(st.Conditions, appsv1.DeploymentProgressing); p == nil || p.Status != corev1.ConditionTrue || p.Reason != "NewReplicaSetAvailable" {
		t.Fatalf("progressing condition after lifting = %+v", p)
	}
	if st.AvailableReplicas != 2 || st.ObservedGeneration != 2 {
		t.Errorf("status after lifting = %+v", st)
	}
}

func contractScaleToZero(t *testing.T, b Backend) {
	ctx := context.Background()
	must(t, b.ApplyDeployment(ctx, deployment("app", "app:1", 2)))
	must(t, b.Advance(ctx, epoch.Add(time.Minute)))
	zero := int32(0)
	_, err := b.UpdateDeployment(ctx, "test", "app", func(d *appsv1.Deployment) { d.Spec.Replicas = &zero })
	must(t, err)
	must(t, b.Advance(ctx, epoch.Add(time.Minute)))
	if st := get(t, b, "app").Status; st.Replicas != 0 || st.ObservedGeneration != 2 {
		t.Errorf("status after scale to zero = %+v", st)
	}
	if s := b.Serving("app"); s.Available != 0 {
		t.Errorf("serving %d after scale to zero", s.Available)
	}
}

func contractServices(t *testing.T, b Backend) {
	ctx := context.Background()
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "app-canary", Namespace: "test"},
		Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": "app"}, Ports: []corev1.ServicePort{{Name: "http", Port: 8080}}},
	}
	must(t, b.EnsureService(ctx, svc))
	must(t, b.EnsureService(ctx, svc))
}

func contractRouter(t *testing.T, b Backend) {
	ctx := context.Background()
	c := canary()
	if _, err := b.Routes(ctx, c); err == nil {
		t.Error("Routes before EnsureRouter succeeded")
	}
	must(t, b.EnsureRouter(ctx, c))
	must(t, b.EnsureRouter(ctx, c))
	r, err := b.Routes(ctx, c)
	must(t, err)
	if r != (engine.Routes{Primary: 100}) {
		t.Errorf("initial routes %+v, want 100/0", r)
	}
	for _, want := range []engine.Routes{{Primary: 70, Canary: 30}, {Primary: 100, Mirrored: true}, {Primary: 100}} {
		must(t, b.SetRoutes(ctx, c, want))
		if got, err := b.Routes(ctx, c); err != nil || got != want {
			t.Errorf("routes = %+v (%v), want %+v", got, err, want)
		}
	}
}

func contractCanaryStatus(t *testing.T, b Backend) {
	ctx := context.Background()
	c := canary()
	must(t, b.CreateCanary(ctx, c))
	st := flaggerv1.CanaryStatus{Phase: flaggerv1.CanaryPhaseProgressing, FailedChecks: 2, CanaryWeight: 30, LastAppliedSpec: "abc"}
	must(t, b.WriteCanaryStatus(ctx, c, st))
	st.Phase = flaggerv1.CanaryPhaseFailed
	must(t, b.WriteCanaryStatus(ctx, c, st))
	got := readCanary(t, b)
	if got.Status.Phase != flaggerv1.CanaryPhaseFailed || got.Status.FailedChecks != 2 || got.Status.CanaryWeight != 30 {
		t.Errorf("stored status %+v", got.Status)
	}
	if got.Spec.Analysis == nil || got.Spec.Analysis.StepWeight != 10 {
		t.Errorf("status write changed the spec: %+v", got.Spec.Analysis)
	}
}

// readCanary reads the Canary straight from the API client, not the cache.
func readCanary(t *testing.T, b Backend) *flaggerv1.Canary {
	t.Helper()
	cc, ok := b.(*clientCluster)
	if !ok {
		t.Fatalf("backend %T is not a clientCluster", b)
	}
	ns := "test"
	if cc.s.namespace != "" {
		ns = cc.s.namespace
	}
	c := &flaggerv1.Canary{}
	must(t, cc.s.c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "app"}, c))
	return c
}

func contractNotFound(t *testing.T, b Backend) {
	if _, err := b.GetDeployment(context.Background(), "test", "nope"); err == nil {
		t.Error("GetDeployment of a missing Deployment succeeded")
	}
}

func conditionOf(cs []appsv1.DeploymentCondition, typ appsv1.DeploymentConditionType) *appsv1.DeploymentCondition {
	for i := range cs {
		if cs[i].Type == typ {
			return &cs[i]
		}
	}
	return nil
}

// TestConflictRetry: a write from outside the backend makes its cached
// object stale; the next update hits 409 Conflict, re-reads and succeeds.
func TestConflictRetry(t *testing.T) {
	ctx := context.Background()
	b, err := NewMemory(delayByImage{}, epoch)
	must(t, err)
	must(t, b.ApplyDeployment(ctx, deployment("app", "app:1", 2)))
	cc := b.(*clientCluster)
	outside := &appsv1.Deployment{}
	must(t, cc.s.c.Get(ctx, client.ObjectKey{Namespace: "test", Name: "app"}, outside))
	outside.Annotations = map[string]string{"touched": "yes"}
	five := int32(5)
	outside.Spec.Replicas = &five
	must(t, cc.s.c.Update(ctx, outside))

	// The backend's cached copy is stale now: the first write conflicts,
	// the retry re-reads and re-applies only the mutation.
	_, err = b.UpdateDeployment(ctx, "test", "app", func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "app:2" })
	must(t, err)
	fresh := &appsv1.Deployment{}
	must(t, cc.s.c.Get(ctx, client.ObjectKey{Namespace: "test", Name: "app"}, fresh))
	if fresh.Spec.Template.Spec.Containers[0].Image != "app:2" {
		t.Errorf("update lost after conflict: image %s", fresh.Spec.Template.Spec.Containers[0].Image)
	}
	if fresh.Annotations["touched"] != "yes" || *fresh.Spec.Replicas != 5 {
		t.Errorf("the other writer's changes were overwritten: %v replicas %d", fresh.Annotations, *fresh.Spec.Replicas)
	}
	if fresh.Generation != 3 {
		t.Errorf("generation %d after two spec changes, want 3", fresh.Generation)
	}
}
