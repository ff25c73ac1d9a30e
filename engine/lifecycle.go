package engine

import (
	"context"
	"fmt"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
	appsv1 "k8s.io/api/apps/v1"
)

// checkCanaryStatus is §3 step 18: in Initialized, Succeeded, Failed and
// Waiting a detected revision passes the confirm-rollout gate, scales the
// target up and starts the run (tick D). It reports whether the tick goes on.
func (e *Engine) checkCanaryStatus(ctx context.Context, target *appsv1.Deployment) bool {
	switch e.status.Phase {
	case flaggerv1.CanaryPhaseProgressing, flaggerv1.CanaryPhaseWaitingPromotion,
		flaggerv1.CanaryPhasePromoting, flaggerv1.CanaryPhaseFinalising:
		return true
	}
	if hook, err := e.runHooks(ctx, flaggerv1.ConfirmRolloutHook, e.status.Phase); err != nil {
		if e.status.Phase != flaggerv1.CanaryPhaseWaiting {
			e.setPhase(flaggerv1.CanaryPhaseWaiting)
			e.event(EventWarning, "Halt %s advancement waiting for approval %s", e.id(), hook.Name)
			if !hook.MuteAlert {
				e.alert(flaggerv1.SeverityWarn, "Canary is waiting for approval.")
			}
		}
		return false
	}
	e.event(EventNormal, "New revision detected! Scaling up %s", e.targetID())
	e.alert(flaggerv1.SeverityInfo, "New revision detected, progressing canary analysis.")
	if err := e.scaleTarget(ctx, target, e.scaleUpReplicas(ctx, target)); err != nil {
		e.warn(err)
		return false
	}
	e.syncStatus(flaggerv1.CanaryPhaseProgressing, 0, 0, 0, templateHash(&target.Spec.Template))
	return false
}

// scaleUpReplicas is the target's own replica count when positive, else the
// primary's (no autoscaler is simulated), else 1.
func (e *Engine) scaleUpReplicas(ctx context.Context, target *appsv1.Deployment) int32 {
	if target.Spec.Replicas != nil && *target.Spec.Replicas > 0 {
		return *target.Spec.Replicas
	}
	p, err := e.cluster.GetDeployment(ctx, e.canary.Namespace, e.primaryName())
	if err == nil && p.Spec.Replicas != nil && *p.Spec.Replicas > 0 {
		return *p.Spec.Replicas
	}
	return 1
}

// restartOnRevision is §3 step 19: a new template during Progressing or
// WaitingPromotion snaps traffic back and restarts the run.
func (e *Engine) restartOnRevision(ctx context.Context, target *appsv1.Deployment) bool {
	if !inPhase(e.status.Phase, flaggerv1.CanaryPhaseProgressing, flaggerv1.CanaryPhaseWaitingPromotion) {
		return false
	}
	hash := templateHash(&target.Spec.Template)
	if !e.hasChanged(hash) {
		return false
	}
	e.event(EventNormal, "New revision detected! Restarting analysis for %s", e.targetID())
	if !e.setRoutes(ctx, Routes{Primary: totalWeight}) {
		return true
	}
	e.syncStatus(flaggerv1.CanaryPhaseProgressing, 0, 0, 0, hash)
	return true
}

// skipAnalysis is §10.3: promote in one tick without checks or hooks.
func (e *Engine) skipAnalysis(ctx context.Context, target *appsv1.Deployment) {
	if !e.setRoutes(ctx, Routes{Primary: totalWeight}) {
		return
	}
	e.event(EventNormal, "Copying %s template spec to %s.%s", e.targetID(), e.primaryName(), e.canary.Namespace)
	if !e.promote(ctx, target) {
		return
	}
	if err := e.scaleTarget(ctx, target, 0); err != nil {
		e.warn(err)
		return
	}
	e.setPhase(flaggerv1.CanaryPhaseSucceeded)
	e.event(EventNormal, "Promotion completed! Canary analysis was skipped for %s", e.targetID())
	e.alert(flaggerv1.SeverityInfo, "Canary analysis was skipped, promotion finished.")
}

// rollback is §5.3.
func (e *Engine) rollback(ctx context.Context) {
	if e.status.FailedChecks >= e.threshold() {
		e.event(EventWarning, "Rolling back %s failed checks threshold reached %d", e.id(), e.status.FailedChecks)
		e.alert(flaggerv1.SeverityError, fmt.Sprintf("Failed checks threshold reached %d", e.status.FailedChecks))
	}
	if !e.setRoutes(ctx, Routes{Primary: totalWeight}) {
		return
	}
	e.event(EventWarning, "Canary failed! Scaling down %s", e.id())
	target, ok := e.scaleDownTarget(ctx)
	if !ok {
		return
	}
	e.syncStatus(flaggerv1.CanaryPhaseFailed, 0, 0, 0, templateHash(&target.Spec.Template))
	e.postRollout(ctx, flaggerv1.CanaryPhaseFailed)
}

// scaleDownTarget reads the target and scales it to zero; false (after a
// warning) when either fails.
func (e *Engine) scaleDownTarget(ctx context.Context) (*appsv1.Deployment, bool) {
	target, ok := e.getTarget(ctx)
	if !ok {
		return nil, false
	}
	if err := e.scaleTarget(ctx, target, 0); err != nil {
		e.warn(err)
		return nil, false
	}
	return target, true
}

// promotionShift is §6.6, the Promoting phase.
func (e *Engine) promotionShift(ctx context.Context, r Routes) {
	if e.router.Nop {
		e.setPhase(flaggerv1.CanaryPhaseFinalising)
		return
	}
	q := e.analysis.StepWeightPromotion
	if q == 0 {
		e.event(EventNormal, "Routing all traffic to primary")
		if e.setRoutes(ctx, Routes{Primary: totalWeight}) {
			e.setPhase(flaggerv1.CanaryPhaseFinalising)
		}
		return
	}
	if r.Canary == 0 {
		return
	}
	next := Routes{Primary: min(totalWeight, r.Primary+q), Canary: max(0, r.Canary-q)}
	if !e.setRoutes(ctx, next) {
		return
	}
	e.event(EventNormal, "Advance %s primary weight %d", e.id(), next.Primary)
	if next.Primary == totalWeight {
		e.setPhase(flaggerv1.CanaryPhaseFinalising)
		return
	}
	e.status.CanaryWeight = next.Canary
}

// finalise is §3 step 24.
func (e *Engine) finalise(ctx context.Context) {
	if _, ok := e.scaleDownTarget(ctx); !ok {
		return
	}
	e.setPhase(flaggerv1.CanaryPhaseSucceeded)
	e.postRollout(ctx, flaggerv1.CanaryPhaseSucceeded)
	e.event(EventNormal, "Promotion completed! Scaling down %s", e.targetID())
	e.alert(flaggerv1.SeverityInfo, "Canary analysis completed successfully, promotion finished.")
}

// confirmPromotion is §7.5: a closed gate parks the canary in
// WaitingPromotion without counting a failed check.
func (e *Engine) confirmPromotion(ctx context.Context) bool {
	hook, err := e.runHooks(ctx, flaggerv1.ConfirmPromotionHook, flaggerv1.CanaryPhaseProgressing)
	if err == nil {
		return true
	}
	if e.status.Phase != flaggerv1.CanaryPhaseWaitingPromotion {
		e.setPhase(flaggerv1.CanaryPhaseWaitingPromotion)
		e.event(EventWarning, "Halt %s advancement waiting for promotion approval %s", e.id(), hook.Name)
		if !hook.MuteAlert {
			e.alert(flaggerv1.SeverityWarn, "Canary promotion is waiting for approval.")
		}
	} else {
		e.status.Iterations = e.iterations() - 1
	}
	return false
}

// promote copies the target's template and rollout settings to the primary.
func (e *Engine) promote(ctx context.Context, target *appsv1.Deployment) bool {
	label, value, ok := e.selector(target)
	if !ok {
		return false
	}
	_, err := e.cluster.UpdateDeployment(ctx, e.canary.Namespace, e.primaryName(), func(p *appsv1.Deployment) {
		copyRollout(p, target, label, value+"-primary")
		if target.Spec.Replicas != nil && *target.Spec.Replicas > 0 {
			r := *target.Spec.Replicas
			p.Spec.Replicas = &r
		}
	})
	if err != nil {
		e.warn(fmt.Errorf("updating deployment %s.%s template spec: %w", e.primaryName(), e.canary.Namespace, err))
		return false
	}
	return true
}

// readRoutes asks the router for the current split. The kubernetes
// provider's no-op router derives it from status.iterations (§6.7).
func (e *Engine) readRoutes(ctx context.Context) (Routes, error) {
	if e.router.Nop {
		if e.status.Iterations > 0 {
			return Routes{Canary: totalWeight}, nil
		}
		return Routes{Primary: totalWeight}, nil
	}
	return e.cluster.Routes(ctx, e.canary)
}

// setRoutes writes routes and records them on the tick; false on error.
// The kubernetes provider's router ignores the request.
func (e *Engine) setRoutes(ctx context.Context, r Routes) bool {
	if e.router.Nop {
		return true
	}
	if err := e.cluster.SetRoutes(ctx, e.canary, r); err != nil {
		e.warn(err)
		return false
	}
	e.tick.Routes = r
	return true
}
