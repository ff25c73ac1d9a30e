package engine

import (
	"context"
	"fmt"
	"time"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
	appsv1 "k8s.io/api/apps/v1"
)

// advance is one call of Flagger's advanceCanary (flagger-semantics §3). Each
// step that ends the tick returns; the step numbers refer to §3.
func (e *Engine) advance(ctx context.Context) {
	if e.canary.Spec.Suspend { // 2
		e.event(EventNormal, "skipping canary run as object is suspended")
		return
	}
	target, ok := e.getTarget(ctx) // 4
	if !ok {
		return
	}
	if !e.bootstrap(ctx, target) { // 5-13
		return
	}
	if !e.shouldAdvance(target) { // 14
		return
	}
	if !e.primaryReady(ctx) { // 16
		return
	}
	routes, err := e.readRoutes(ctx) // 17
	if err != nil {
		e.warn(err)
		return
	}
	e.tick.Routes = routes
	if !e.checkCanaryStatus(ctx, target) { // 18
		return
	}
	if e.restartOnRevision(ctx, target) { // 19
		return
	}
	if !e.canaryReady(ctx, target) { // 20
		return
	}
	if e.canary.SkipAnalysis() { // 21
		e.skipAnalysis(ctx, target)
		return
	}
	e.analyse(ctx, routes) // 22-30
}

// analyse runs §3 steps 22 to 30 on a ready canary.
func (e *Engine) analyse(ctx context.Context, routes Routes) {
	phase := e.status.Phase
	if inPhase(phase, flaggerv1.CanaryPhaseProgressing, flaggerv1.CanaryPhaseWaiting, flaggerv1.CanaryPhaseWaitingPromotion) && e.rollbackSignalled(ctx) { // 22
		e.rollback(ctx)
		return
	}
	switch phase {
	case flaggerv1.CanaryPhasePromoting: // 23
		e.promotionShift(ctx, routes)
		return
	case flaggerv1.CanaryPhaseFinalising: // 24
		e.finalise(ctx)
		return
	}
	if inPhase(phase, flaggerv1.CanaryPhaseProgressing, flaggerv1.CanaryPhaseWaitingPromotion) &&
		e.status.FailedChecks >= e.threshold() { // 25
		e.rollback(ctx)
		return
	}
	if !e.runChecks(ctx, routes) { // 26
		e.status.FailedChecks++
		return
	}
	e.strategyStep(ctx, routes) // 27-30
}

func inPhase(p flaggerv1.CanaryPhase, set ...flaggerv1.CanaryPhase) bool {
	for _, s := range set {
		if p == s {
			return true
		}
	}
	return false
}

func (e *Engine) threshold() int {
	if e.analysis.Threshold > 0 {
		return e.analysis.Threshold
	}
	return 1
}

func (e *Engine) getTarget(ctx context.Context) (*appsv1.Deployment, bool) {
	d, err := e.cluster.GetDeployment(ctx, e.canary.Namespace, e.canary.Spec.TargetRef.Name)
	if err != nil {
		e.warn(fmt.Errorf("deployment %s get query error: %w", e.targetID(), err))
		return nil, false
	}
	return d, true
}

// initializing reports whether the canary is still being set up.
func (e *Engine) initializing() bool {
	return e.status.Phase == "" || e.status.Phase == flaggerv1.CanaryPhaseInitializing
}

// shouldAdvance is §3 step 14: active phases always advance; otherwise only
// a changed target template starts something (a Failed canary first
// refreshes lastAppliedSpec from the live target).
func (e *Engine) shouldAdvance(target *appsv1.Deployment) bool {
	switch e.status.Phase {
	case flaggerv1.CanaryPhaseProgressing, flaggerv1.CanaryPhaseWaiting, flaggerv1.CanaryPhaseWaitingPromotion,
		flaggerv1.CanaryPhasePromoting, flaggerv1.CanaryPhaseFinalising:
		return true
	}
	hash := templateHash(&target.Spec.Template)
	changed := e.hasChanged(hash)
	if e.status.Phase == flaggerv1.CanaryPhaseFailed {
		// Flagger re-syncs a Failed canary's lastAppliedSpec after the test,
		// so reverting to the promoted template and re-applying the failed
		// one starts a run again (V-27).
		e.status.LastAppliedSpec = hash
	}
	return changed
}

// hasChanged is Flagger's revision test (§10.1): a template that differs
// from both the last applied and the last promoted one.
func (e *Engine) hasChanged(hash string) bool {
	if e.status.LastAppliedSpec == "" {
		return true
	}
	return hash != e.status.LastAppliedSpec && hash != e.status.LastPromotedSpec
}

// primaryReady is §3 step 16.
func (e *Engine) primaryReady(ctx context.Context) bool {
	if e.canary.SkipAnalysis() {
		return true
	}
	return e.workloadReady(ctx, e.primaryName(), e.primaryThreshold(), false)
}

// canaryReady is §3 step 20.
func (e *Engine) canaryReady(ctx context.Context, target *appsv1.Deployment) bool {
	if nr := deploymentReady(target, e.canaryThreshold(), e.deadline(), e.now); nr != nil {
		return e.notReady(ctx, fmt.Errorf("canary deployment %s not ready: %w", e.targetID(), nr), nr.Retriable)
	}
	return true
}

// workloadReady fetches a Deployment and checks it; not ready warns and,
// past the deadline, rolls back (unless noRollback, used while
// initialising where Flagger's rollback finds nothing to undo).
func (e *Engine) workloadReady(ctx context.Context, name string, thresholdPct int, noRollback bool) bool {
	d, err := e.cluster.GetDeployment(ctx, e.canary.Namespace, name)
	if err != nil {
		e.warn(fmt.Errorf("deployment %s.%s get query error: %w", name, e.canary.Namespace, err))
		return false
	}
	if nr := deploymentReady(d, thresholdPct, e.deadline(), e.now); nr != nil {
		return e.notReady(ctx, fmt.Errorf("%s.%s not ready: %w", name, e.canary.Namespace, nr), nr.Retriable || noRollback)
	}
	return true
}

func (e *Engine) notReady(ctx context.Context, err error, retriable bool) bool {
	e.warn(err)
	if !retriable {
		e.rollback(ctx)
	}
	return false
}

func (e *Engine) deadline() time.Duration {
	return time.Duration(e.canary.GetProgressDeadlineSeconds()) * time.Second
}

func (e *Engine) primaryThreshold() int {
	if e.analysis.PrimaryReadyThreshold != nil {
		return *e.analysis.PrimaryReadyThreshold
	}
	return flaggerv1.PrimaryReadyThreshold
}

func (e *Engine) canaryThreshold() int {
	if e.analysis.CanaryReadyThreshold != nil {
		return *e.analysis.CanaryReadyThreshold
	}
	return flaggerv1.CanaryReadyThreshold
}

func (e *Engine) primaryName() string { return e.canary.Spec.TargetRef.Name + "-primary" }
