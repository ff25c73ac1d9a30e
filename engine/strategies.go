package engine

import (
	"context"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
)

// defaultKubernetesIterations is what Flagger forces on the kubernetes
// provider when analysis.iterations is below 1 (§3 step 27).
const defaultKubernetesIterations = 10

// strategyStep is §3 steps 27 to 30, reached only when the tick's checks
// passed: A/B with match and iterations, blue/green with iterations, the
// progressive canary otherwise. The kubernetes provider drops match and
// forces iterations, in memory and for this tick only, as Flagger does.
func (e *Engine) strategyStep(ctx context.Context, r Routes) {
	match := len(e.analysis.Match) > 0
	if e.router.Nop {
		if match {
			e.event(EventWarning, "A/B testing is not supported when using the kubernetes provider")
			match = false
		}
		if e.analysis.Iterations < 1 {
			e.event(EventWarning, "Progressive traffic is not supported when using the kubernetes provider")
			e.event(EventWarning, "Setting canaryAnalysis.iterations: %d", defaultKubernetesIterations)
			e.iterationsOverride = defaultKubernetesIterations
		}
	}
	switch {
	case match && e.iterations() > 0:
		e.abStep(ctx)
	case e.iterations() > 0:
		e.blueGreenStep(ctx, r)
	default:
		e.progressiveStep(ctx, r)
	}
}

// iterations is analysis.iterations as this tick sees it.
func (e *Engine) iterations() int {
	if e.iterationsOverride > 0 {
		return e.iterationsOverride
	}
	return e.analysis.Iterations
}

// abStep is §6.4: matched traffic goes to the canary for the iterations,
// then, past the promotion gate, the canary is promoted.
func (e *Engine) abStep(ctx context.Context) {
	n := e.iterations()
	if n > e.status.Iterations {
		if !e.setRoutes(ctx, Routes{Canary: totalWeight}) {
			return
		}
		e.status.Iterations++
		e.event(EventNormal, "Advance %s canary iteration %d/%d", e.id(), e.status.Iterations, n)
		return
	}
	if !e.confirmPromotion(ctx) {
		return
	}
	if n == e.status.Iterations {
		e.promoteAndAdvance(ctx)
	}
}

// blueGreenStep is §6.5: the iterations run without shifting traffic
// (mirroring it when asked), then all live traffic goes to the canary for
// one more analysis, then the canary is promoted: N+1 analyses and two
// promotion-gate calls.
func (e *Engine) blueGreenStep(ctx context.Context, r Routes) {
	n := e.iterations()
	if n > e.status.Iterations {
		if !e.router.Nop && e.analysis.Mirror && !r.Mirrored {
			// Flagger only logs a failure to start mirroring here.
			_ = e.setRoutes(ctx, Routes{Primary: totalWeight, Mirrored: true})
		}
		e.status.Iterations++
		e.event(EventNormal, "Advance %s canary iteration %d/%d", e.id(), e.status.Iterations, n)
		return
	}
	if !e.confirmPromotion(ctx) {
		return
	}
	switch {
	case n == e.status.Iterations:
		if !e.router.Nop {
			if e.analysis.Mirror {
				e.event(EventNormal, "Stop traffic mirroring and route all traffic to canary")
			} else {
				e.event(EventNormal, "Routing all traffic to canary")
			}
			if !e.setRoutes(ctx, Routes{Canary: totalWeight}) {
				return
			}
		}
		e.status.Iterations++
	case n < e.status.Iterations:
		e.promoteAndAdvance(ctx)
	}
}

// progressiveStep is §3 step 30 and §6.3, with the mirroring pre-stage.
func (e *Engine) progressiveStep(ctx context.Context, r Routes) {
	step := nextStepWeight(e.analysis, r.Canary)
	if step <= 0 {
		return
	}
	gated := !r.Mirrored && !inPhase(e.status.Phase, flaggerv1.CanaryPhasePromoting,
		flaggerv1.CanaryPhaseWaitingPromotion, flaggerv1.CanaryPhaseFinalising)
	if gated {
		if hook, err := e.runHooks(ctx, flaggerv1.ConfirmTrafficIncreaseHook, flaggerv1.CanaryPhaseProgressing); err != nil {
			e.event(EventWarning, "Halt %s advancement waiting for traffic increase approval %s", e.id(), hook.Name)
			if !hook.MuteAlert {
				e.alert(flaggerv1.SeverityWarn, "Canary traffic increase is waiting for approval.")
			}
			return
		}
	}
	if r.Canary < maxWeight(e.analysis) {
		next := advance(r, step)
		if e.analysis.Mirror && r.Canary == 0 {
			next = Routes{Primary: totalWeight, Mirrored: true}
			if r.Mirrored {
				next = Routes{Primary: totalWeight - step, Canary: step}
			}
		}
		if !e.setRoutes(ctx, next) {
			return
		}
		e.status.CanaryWeight = next.Canary
		e.event(EventNormal, "Advance %s canary weight %d", e.id(), next.Canary)
		return
	}
	if !e.confirmPromotion(ctx) {
		return
	}
	e.promoteAndAdvance(ctx)
}

// promoteAndAdvance copies the target to the primary and enters Promoting.
func (e *Engine) promoteAndAdvance(ctx context.Context) {
	target, ok := e.getTarget(ctx)
	if !ok {
		return
	}
	e.event(EventNormal, "Copying %s template spec to %s.%s", e.targetID(), e.primaryName(), e.canary.Namespace)
	if e.promote(ctx, target) {
		e.setPhase(flaggerv1.CanaryPhasePromoting)
	}
}
