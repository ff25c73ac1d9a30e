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
	for _, m := range e.checks {
		ck, ev := m.evaluate(ctx, scriptedSource{e.metrics, e.script, m.spec.Name}, e.id(), e.now)
		e.tick.Checks = append(e.tick.Checks, ck)
		if ev != nil {
			e.tick.Events = append(e.tick.Events, *ev)
			return false
		}
	}
	return true
}

// scriptedSource answers a check from the CheckScript when it pins one,
// and from the metrics otherwise.
type scriptedSource struct {
	metrics MetricSource
	script  CheckScript
	metric  string
}

func (s scriptedSource) Query(ctx context.Context, query string, at time.Time) (float64, error) {
	if s.script != nil {
		if v, err, ok := s.script.Answer(s.metric, at); ok {
			return v, err
		}
	}
	return s.metrics.Query(ctx, query, at)
}
