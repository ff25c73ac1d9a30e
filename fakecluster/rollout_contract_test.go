package fakecluster

import (
	"context"
	"testing"
	"time"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
	appsv1 "k8s.io/api/apps/v1"

	"github.com/canarysim/canarysim/engine"
)

// fixedMetrics answers every query with one value.
type fixedMetrics float64

func (f fixedMetrics) Query(context.Context, string, time.Time) (float64, error) {
	return float64(f), nil
}

// driveRollout runs the engine on b through initialisation, a revision and
// ticks until it settles, returning the last phase.
func driveRollout(t *testing.T, b Backend, successRate float64) flaggerv1.CanaryPhase {
	t.Helper()
	ctx := context.Background()
	c := canary()
	min := 99.0
	c.Spec.Analysis.MaxWeight = 20
	c.Spec.Analysis.Metrics = []flaggerv1.CanaryMetric{{Name: "request-success-rate", ThresholdRange: &flaggerv1.CanaryThresholdRange{Min: &min}}}
	must(t, b.CreateCanary(ctx, c))
	must(t, b.ApplyDeployment(ctx, deployment("app", "app:1", 2)))
	eng, err := engine.New(c, b, fixedMetrics(successRate), engine.Options{})
	must(t, err)
	now := epoch
	tick := func() flaggerv1.CanaryPhase {
		must(t, b.Advance(ctx, now))
		rec := eng.Tick(ctx, now)
		now = now.Add(time.Minute)
		return rec.Phase
	}
	tick()
	if p := tick(); p != flaggerv1.CanaryPhaseInitialized {
		t.Fatalf("phase after two ticks = %s, want Initialized", p)
	}
	_, err = b.UpdateDeployment(ctx, "test", "app", func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "app:2" })
	must(t, err)
	phase := flaggerv1.CanaryPhase("")
	for i := 0; i < 12 && phase != flaggerv1.CanaryPhaseSucceeded && phase != flaggerv1.CanaryPhaseFailed; i++ {
		phase = tick()
	}
	return phase
}

// contractPromote: the engine creates the primary, shifts weights through
// the router and promotes: the primary runs the new template, the target
// is scaled to zero, routes are back to 100/0 and the stored Canary status
// says Succeeded.
func contractPromote(t *testing.T, b Backend) {
	if p := driveRollout(t, b, 100); p != flaggerv1.CanaryPhaseSucceeded {
		t.Fatalf("phase %s, want Succeeded", p)
	}
	if img := get(t, b, "app-primary").Spec.Template.Spec.Containers[0].Image; img != "app:2" {
		t.Errorf("primary image %s after promotion, want app:2", img)
	}
	if r := *get(t, b, "app").Spec.Replicas; r != 0 {
		t.Errorf("target replicas %d after promotion, want 0", r)
	}
	routes, err := b.Routes(context.Background(), canary())
	must(t, err)
	if routes != (engine.Routes{Primary: 100}) {
		t.Errorf("routes %+v after promotion, want 100/0", routes)
	}
	st := readCanary(t, b).Status
	if st.Phase != flaggerv1.CanaryPhaseSucceeded {
		t.Errorf("stored canary phase %s", st.Phase)
	}
	if len(st.Conditions) != 1 || st.Conditions[0].Type != flaggerv1.PromotedType || st.Conditions[0].Status != "True" || st.Conditions[0].Reason != "Succeeded" {
		t.Errorf("stored Promoted condition %+v, want True/Succeeded", st.Conditions)
	}
}

// contractRollback: failing checks roll the canary back: routes 100/0,
// target at zero, primary untouched, stored status Failed.
func contractRollback(t *testing.T, b Backend) {
	if p := driveRollout(t, b, 50); p != flaggerv1.CanaryPhaseFailed {
		t.Fatalf("phase %s, want Failed", p)
	}
	if img := get(t, b, "app-primary").Spec.Template.Spec.Containers[0].Image; img != "app:1" {
		t.Errorf("primary image %s after rollback, want app:1", img)
	}
	if r := *get(t, b, "app").Spec.Replicas; r != 0 {
		t.Errorf("target replicas %d after rollback, want 0", r)
	}
	st := readCanary(t, b).Status
	if st.Phase != flaggerv1.CanaryPhaseFailed || st.FailedChecks != 0 {
		t.Errorf("stored canary status %+v", st)
	}
	if len(st.Conditions) != 1 || st.Conditions[0].Status != "False" || st.Conditions[0].Reason != "Failed" {
		t.Errorf("stored Promoted condition %+v, want False/Failed", st.Conditions)
	}
}
