package engine

import (
	"context"
	"errors"
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
			e.event(EventWarning, "Halt %s advancement pre-rollout check %s failed %v", e.id(), hook, err)
			return false
		}
		return true
	}
	if hook, err := e.runHooks(ctx, flaggerv1.RolloutHook, flaggerv1.CanaryPhaseProgressing); err != nil {
		e.event(EventWarning, "Halt %s advancement external check %s failed %v", e.id(), hook, err)
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

// runHooks calls the hooks of one type in list order and stops at the first
// failure, returning that hook's name and error. The empty type counts as
// rollout. Passing gate hooks record Flagger's "check passed" event.
func (e *Engine) runHooks(ctx context.Context, typ flaggerv1.HookType, phase flaggerv1.CanaryPhase) (string, error) {
	for _, h := range e.analysis.Webhooks {
		if h.Type != typ && !(typ == flaggerv1.RolloutHook && h.Type == "") {
			continue
		}
		if _, err := e.hooks.Call(ctx, h, phase, e.now); err != nil {
			return h.Name, err
		}
		if typ != flaggerv1.RolloutHook {
			e.event(EventNormal, "%s check %s passed", typ, h.Name)
		}
	}
	return "", nil
}

// rollbackSignalled is §7.7: the first rollback hook that answers success
// asks for a rollback.
func (e *Engine) rollbackSignalled(ctx context.Context) bool {
	for _, h := range e.analysis.Webhooks {
		if h.Type != flaggerv1.RollbackHook {
			continue
		}
		_, err := e.hooks.Call(ctx, h, e.status.Phase, e.now)
		if err == nil {
			e.event(EventWarning, "Rolling back %s manual webhook invoked", e.id())
			return true
		}
		if !errors.Is(err, ErrHookNotSignalled) {
			e.event(EventNormal, "Rollback hook %s not signaling a rollback", h.Name)
		}
	}
	return false
}

// postRollout calls the post-rollout hooks; failures are only warnings.
func (e *Engine) postRollout(ctx context.Context, phase flaggerv1.CanaryPhase) {
	for _, h := range e.analysis.Webhooks {
		if h.Type != flaggerv1.PostRolloutHook {
			continue
		}
		if _, err := e.hooks.Call(ctx, h, phase, e.now); err != nil {
			e.event(EventWarning, "Post-rollout hook %s failed %v", h.Name, err)
		}
	}
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
