package engine

import (
	"context"
	"time"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
)

// HookCall is one simulated webhook call: the hook, the phase sent in its
// payload, how long it took in virtual time and its answer. Err is empty
// when the hook succeeded (for a rollback hook: signalled a rollback).
type HookCall struct {
	Name  string
	Type  flaggerv1.HookType
	Phase flaggerv1.CanaryPhase
	Took  time.Duration
	Err   string
	// Before is how many of the tick's events were recorded before the
	// call, to put calls and events in one order.
	Before int
}

// passedLabel is how Flagger's "check passed" events name each gate type.
var passedLabel = map[flaggerv1.HookType]string{
	flaggerv1.ConfirmRolloutHook:         "Confirm-rollout",
	flaggerv1.PreRolloutHook:             "Pre-rollout",
	flaggerv1.ConfirmTrafficIncreaseHook: "Confirm-traffic-increase",
	flaggerv1.ConfirmPromotionHook:       "Confirm-promotion",
	flaggerv1.PostRolloutHook:            "Post-rollout",
}

// call asks the Webhooks port and records the call on the tick; its
// duration adds to the tick's busy time.
func (e *Engine) call(ctx context.Context, h flaggerv1.CanaryWebhook, phase flaggerv1.CanaryPhase) error {
	took, err := e.hooks.Call(ctx, h, phase, e.now)
	typ := h.Type
	if typ == "" {
		typ = flaggerv1.RolloutHook
	}
	rec := HookCall{Name: h.Name, Type: typ, Phase: phase, Took: took, Before: len(e.tick.Events)}
	if err != nil {
		rec.Err = err.Error()
	}
	e.tick.Hooks = append(e.tick.Hooks, rec)
	e.tick.Busy += took
	return err
}

// hookIs reports whether h is of type typ; the empty type counts as
// rollout.
func hookIs(h flaggerv1.CanaryWebhook, typ flaggerv1.HookType) bool {
	return h.Type == typ || (typ == flaggerv1.RolloutHook && h.Type == "")
}

// runHooks calls the hooks of one type in list order and stops at the
// first failure, returning that hook. Passing gate hooks record Flagger's
// "check passed" event (rollout hooks record none).
func (e *Engine) runHooks(ctx context.Context, typ flaggerv1.HookType, phase flaggerv1.CanaryPhase) (*flaggerv1.CanaryWebhook, error) {
	for _, h := range e.analysis.Webhooks {
		if !hookIs(h, typ) {
			continue
		}
		if err := e.call(ctx, h, phase); err != nil {
			return &h, err
		}
		if label, ok := passedLabel[typ]; ok {
			e.event(EventNormal, "%s check %s passed", label, h.Name)
		}
	}
	return nil, nil
}

// rollbackSignalled is §7.7: the first rollback hook that answers success
// asks for a rollback.
func (e *Engine) rollbackSignalled(ctx context.Context) bool {
	for _, h := range e.analysis.Webhooks {
		if !hookIs(h, flaggerv1.RollbackHook) {
			continue
		}
		err := e.call(ctx, h, e.status.Phase)
		if err == nil {
			e.event(EventWarning, "Rollback check %s passed", h.Name)
			e.event(EventWarning, "Rolling back %s manual webhook invoked", e.id())
			e.alert(flaggerv1.SeverityWarn, "Rolling back manual webhook invoked")
			return true
		}
		e.event(EventNormal, "Rollback hook %s not signaling a rollback", h.Name)
	}
	return false
}

// postRollout calls the post-rollout hooks; a failure is only a warning and
// stops the list.
func (e *Engine) postRollout(ctx context.Context, phase flaggerv1.CanaryPhase) {
	for _, h := range e.analysis.Webhooks {
		if !hookIs(h, flaggerv1.PostRolloutHook) {
			continue
		}
		if err := e.call(ctx, h, phase); err != nil {
			e.event(EventWarning, "Post-rollout hook %s failed %v", h.Name, err)
			return
		}
		e.event(EventNormal, "Post-rollout check %s passed", h.Name)
	}
}
