package engine

import (
	"context"
	"fmt"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// selectorLabels are the labels Flagger looks for, in order, in a target's
// selector (its -selector-labels default).
var selectorLabels = []string{"app", "name", "app.kubernetes.io/name"}

// bootstrap is §3 steps 5-13. Services, primary and router are reconciled
// only while initialising: afterwards Flagger's reconcile finds them in
// place and does nothing, so the simulator skips the reads.
func (e *Engine) bootstrap(ctx context.Context, target *appsv1.Deployment) bool {
	if !e.initializing() {
		return true
	}
	label, value, ok := e.selector(target)
	if !ok {
		return false
	}
	if err := e.ensureServices(ctx, label, value); err != nil { // 5
		e.warn(err)
		return false
	}
	if !e.canary.SkipAnalysis() { // 6
		e.probeProviders()
	}
	if !e.ensurePrimary(ctx, target, label, value) { // 8
		return false
	}
	if !e.router.Nop { // 12
		if err := e.cluster.EnsureRouter(ctx, e.canary); err != nil {
			e.warn(err)
			return false
		}
	}
	if err := e.scaleTarget(ctx, target, 0); err != nil { // 11
		e.warn(err)
		return false
	}
	hash := templateHash(&target.Spec.Template) // 13
	e.syncStatus(flaggerv1.CanaryPhaseInitialized, 0, 0, 0, hash)
	e.event(EventNormal, "Initialization done! %s", e.id())
	e.alert(flaggerv1.SeverityInfo, fmt.Sprintf("New %s detected, initialization completed.", e.canary.Spec.TargetRef.Kind))
	return true
}

// selector finds the target's selector label and value.
func (e *Engine) selector(target *appsv1.Deployment) (string, string, bool) {
	if target.Spec.Selector != nil {
		for _, l := range selectorLabels {
			if v, ok := target.Spec.Selector.MatchLabels[l]; ok {
				return l, v, true
			}
		}
	}
	e.warn(fmt.Errorf("deployment %s spec.selector.matchLabels must contain one of %v", e.targetID(), selectorLabels))
	return "", "", false
}

// ensureServices creates the apex, -primary and -canary ClusterIP services.
func (e *Engine) ensureServices(ctx context.Context, label, value string) error {
	apex, primary, canary := e.canary.GetServiceNames()
	port := e.canary.Spec.Service.Port
	svc := func(name, selected string) *corev1.Service {
		return &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: e.canary.Namespace, Labels: map[string]string{label: name}},
			Spec: corev1.ServiceSpec{
				Type:     corev1.ServiceTypeClusterIP,
				Selector: map[string]string{label: selected},
				Ports: []corev1.ServicePort{{
					Name: "http", Protocol: corev1.ProtocolTCP, Port: port, TargetPort: intstr.FromInt32(port),
				}},
			},
		}
	}
	for _, s := range []*corev1.Service{svc(canary, value), svc(primary, value+"-primary"), svc(apex, value+"-primary")} {
		if err := e.cluster.EnsureService(ctx, s); err != nil {
			return fmt.Errorf("creating service %s.%s: %w", s.Name, s.Namespace, err)
		}
	}
	return nil
}

// ensurePrimary creates <target>-primary when absent and, while
// initialising, waits for it to be ready.
func (e *Engine) ensurePrimary(ctx context.Context, target *appsv1.Deployment, label, value string) bool {
	_, err := e.cluster.GetDeployment(ctx, e.canary.Namespace, e.primaryName())
	switch {
	case isNotFound(err):
		p := newPrimary(target, label, value)
		if err := e.cluster.CreateDeployment(ctx, p); err != nil {
			e.warn(fmt.Errorf("creating deployment %s.%s: %w", p.Name, p.Namespace, err))
			return false
		}
	case err != nil:
		e.warn(err)
		return false
	}
	if e.canary.SkipAnalysis() {
		return true
	}
	return e.workloadReady(ctx, e.primaryName(), e.primaryThreshold(), true)
}

// newPrimary copies the target into <target>-primary with the selector
// label value suffixed -primary.
func newPrimary(target *appsv1.Deployment, label, value string) *appsv1.Deployment {
	replicas := int32(1)
	if target.Spec.Replicas != nil && *target.Spec.Replicas > 0 {
		replicas = *target.Spec.Replicas
	}
	pv := value + "-primary"
	p := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{
			Name: target.Name + "-primary", Namespace: target.Namespace,
			Labels: map[string]string{label: pv},
		},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{label: pv}},
		},
	}
	copyRollout(p, target, label, pv)
	return p
}

// copyRollout copies what Flagger's promotion copies from the target into
// the primary: pod template (selector label rewritten) and rollout knobs.
func copyRollout(primary, target *appsv1.Deployment, label, primaryValue string) {
	primary.Spec.MinReadySeconds = target.Spec.MinReadySeconds
	primary.Spec.ProgressDeadlineSeconds = target.Spec.ProgressDeadlineSeconds
	primary.Spec.RevisionHistoryLimit = target.Spec.RevisionHistoryLimit
	primary.Spec.Strategy = target.Spec.Strategy
	primary.Spec.Template = *target.Spec.Template.DeepCopy()
	if primary.Spec.Template.Labels == nil {
		primary.Spec.Template.Labels = map[string]string{}
	}
	primary.Spec.Template.Labels[label] = primaryValue
}

// scaleTarget sets the target's replicas.
func (e *Engine) scaleTarget(ctx context.Context, target *appsv1.Deployment, replicas int32) error {
	if target.Spec.Replicas != nil && *target.Spec.Replicas == replicas {
		return nil
	}
	d, err := e.cluster.UpdateDeployment(ctx, target.Namespace, target.Name, func(d *appsv1.Deployment) {
		d.Spec.Replicas = &replicas
	})
	if err != nil {
		return fmt.Errorf("scaling deployment %s to %d: %w", e.targetID(), replicas, err)
	}
	*target = *d
	return nil
}

// probeProviders is §3 step 6: while initialising Flagger checks that the
// metric providers answer. The simulated Prometheus always does; a
// template that is missing or has an invalid address fails the probe,
// which only records an event (the first problem, in metric order).
func (e *Engine) probeProviders() {
	for _, m := range e.checks {
		if m.probeErr != "" {
			e.event(EventWarning, "Error checking metric providers: %s", m.probeErr)
			return
		}
	}
	e.event(EventNormal, "all the metrics providers are available!")
}
