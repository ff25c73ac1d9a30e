package engine

import (
	"context"
	"time"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
)

// runChecks is §3 step 26: at weight 0 with no iterations (and not
// mirrored) the pre-rollout hooks run instead of the analysis; otherwise
// rollout hooks, then metric checks in Flagger's order. It stops at the
// first failure and reports whether everything passed.
func (e *Engine) runChecks(ctx context.Context, r Routes) bool {
	if r.Canary == 0 && e.status.Iterations == 0 && !(e.analysis.Mirror && r.Mirrored) {
		e.event(EventNormal, "Starting canary analysis for %s", e.targetID())
		if hook, err := e.runHooks(ctx, flaggerv1.PreRolloutHook, flaggerv1.CanaryPhaseProgressing); err != nil {
			e.event(EventWarning, "Halt %s advancement pre-rollout check %s failed %v", e.id(), hook.Name, err)
			return false
		}
		return true
	}
	if hook, err := e.runHooks(ctx, flaggerv1.RolloutHook, flaggerv1.CanaryPhaseProgressing); err != nil {
		e.event(EventWarning, "Halt %s advancement external check %s failed %v", e.id(), hook.Name, err)
		return false
	}
	// Flagger queries after the rollout hooks returned; a script answers
	// for the tick as a whole.
	queryAt := e.now.Add(e.tick.Busy)
	for _, m := range e.checks {
		ck, ev := m.evaluate(ctx, answerer{e.metrics, e.script, e.now, queryAt}, e.id())
		e.tick.Checks = append(e.tick.Checks, ck)
		if ev != nil {
			e.event(ev.Type, "%s", ev.Message)
			return false
		}
	}
	return true
}

// answerer gives a check its raw answer: the CheckScript's, when it pins
// the metric at the tick, else the query's at queryAt.
type answerer struct {
	metrics MetricSource
	script  CheckScript
	tickAt  time.Time
	queryAt time.Time
}

// answer returns the value or error and whether the script gave it.
func (a answerer) answer(ctx context.Context, metric, query string) (float64, error, bool) {
	if a.script != nil {
		if v, err, ok := a.script.Answer(metric, a.tickAt); ok {
			return v, err, true
		}
	}
	v, err := a.metrics.Query(ctx, query, a.queryAt)
	return v, err, false
}
