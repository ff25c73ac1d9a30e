package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Engine runs Flagger v1.41.0's analysis for one Canary, one tick at a time.
// It owns the Canary status; it reads no clock, starts no goroutine and
// touches the world only through its ports. It is not safe for concurrent
// use.
type Engine struct {
	canary   *flaggerv1.Canary
	analysis *flaggerv1.CanaryAnalysis // never nil; empty when skipped
	cluster  Cluster
	metrics  MetricSource
	hooks    Webhooks
	script   CheckScript
	checks   []metricCheck

	router RouterCaps
	// eventHooks are the names of the event webhooks, which receive every
	// event; notifications share the slice read-only.
	eventHooks []string

	status  flaggerv1.CanaryStatus
	written *flaggerv1.CanaryStatus // last status handed to the cluster

	// per-tick scratch, reset by Tick
	tick               *Tick
	now                time.Time
	iterationsOverride int // kubernetes provider: forced iterations (§3 step 27)
}

// ErrUnsupported is returned by New for Canary features the engine does not
// simulate yet.
var ErrUnsupported = errors.New("not supported by the engine")

// New prepares an engine for c (which it does not modify). The Canary
// starts in phase Initializing, as Flagger's controller stores it.
func New(c *flaggerv1.Canary, cluster Cluster, metrics MetricSource, opts Options) (*Engine, error) {
	hooks := opts.Hooks
	if hooks == nil {
		hooks = NeutralHooks{}
	}
	a := c.GetAnalysis()
	if a == nil {
		a = &flaggerv1.CanaryAnalysis{}
	}
	checks, err := compileMetrics(c, a, opts.Templates)
	if err != nil {
		return nil, fmt.Errorf("canary %s/%s: %w", c.Namespace, c.Name, err)
	}
	e := &Engine{
		canary: c.DeepCopy(), analysis: a.DeepCopy(), cluster: cluster, metrics: metrics, hooks: hooks, script: opts.Script, checks: checks,
		router: RouterFor(Provider(c), a), eventHooks: eventHookNames(a),
		status: flaggerv1.CanaryStatus{Phase: flaggerv1.CanaryPhaseInitializing},
	}
	return e, nil
}

// Interval is the analysis interval: the period between ticks.
func (e *Engine) Interval() time.Duration {
	if e.canary.GetAnalysis() == nil {
		return flaggerv1.AnalysisInterval
	}
	return e.canary.GetAnalysisInterval()
}

// Status returns a copy of the current Canary status.
func (e *Engine) Status() flaggerv1.CanaryStatus { return *e.status.DeepCopy() }

// Tick runs one analysis tick at virtual time now and returns what it did.
// Port errors end the tick with a warning event, as in Flagger.
func (e *Engine) Tick(ctx context.Context, now time.Time) Tick {
	e.now = now
	e.tick = &Tick{At: now, PhaseBefore: e.status.Phase}
	e.iterationsOverride = 0
	e.advance(ctx)
	e.flushStatus(ctx)
	t := e.tick
	t.Phase = e.status.Phase
	t.Status = e.Status()
	e.tick = nil
	return *t
}

// event records a Kubernetes event on the tick and forwards it to the
// event webhooks, as Flagger's recorder does.
func (e *Engine) event(typ EventType, format string, args ...any) {
	ev := Event{Type: typ, Message: fmt.Sprintf(format, args...)}
	e.tick.Events = append(e.tick.Events, ev)
	e.forwardEvent(ev)
}

func (e *Engine) warn(err error) { e.event(EventWarning, "%s", err.Error()) }

// id is "<name>.<namespace>", how Flagger names a canary in messages.
func (e *Engine) id() string { return e.canary.Name + "." + e.canary.Namespace }

// targetID is "<target>.<namespace>".
func (e *Engine) targetID() string { return e.canary.Spec.TargetRef.Name + "." + e.canary.Namespace }

// flushStatus writes the status through the status subresource when it
// changed during the tick, stamping lastTransitionTime with the tick time.
func (e *Engine) flushStatus(ctx context.Context) {
	if e.written != nil && statusEqual(*e.written, e.status) {
		return
	}
	e.status.LastTransitionTime = metav1.NewTime(e.now)
	syncCondition(&e.status, e.now)
	if err := e.cluster.WriteCanaryStatus(ctx, e.canary, e.status); err != nil {
		e.warn(fmt.Errorf("writing canary status: %w", err))
		return
	}
	w := *e.status.DeepCopy()
	e.written = &w
}

func statusEqual(a, b flaggerv1.CanaryStatus) bool {
	return a.Phase == b.Phase && a.FailedChecks == b.FailedChecks && a.CanaryWeight == b.CanaryWeight &&
		a.Iterations == b.Iterations && a.LastAppliedSpec == b.LastAppliedSpec && a.LastPromotedSpec == b.LastPromotedSpec
}

// syncStatus is Flagger's full status sync: phase and all three counters,
// and lastAppliedSpec from the target's current template.
func (e *Engine) syncStatus(phase flaggerv1.CanaryPhase, weight, failed, iterations int, specHash string) {
	e.status.Phase = phase
	e.status.CanaryWeight, e.status.FailedChecks, e.status.Iterations = weight, failed, iterations
	e.status.LastAppliedSpec = specHash
	if phase == flaggerv1.CanaryPhaseInitialized {
		e.status.LastPromotedSpec = specHash
	}
}

// setPhase is Flagger's SetStatusPhase: phases other than Progressing and
// Waiting zero the weight and iterations (WaitingPromotion sets iterations
// to analysis.iterations-1); Initialized and Succeeded record the promoted
// spec. failedChecks is never touched.
func (e *Engine) setPhase(phase flaggerv1.CanaryPhase) {
	e.status.Phase = phase
	if phase != flaggerv1.CanaryPhaseProgressing && phase != flaggerv1.CanaryPhaseWaiting {
		e.status.CanaryWeight = 0
		e.status.Iterations = 0
		if phase == flaggerv1.CanaryPhaseWaitingPromotion {
			e.status.Iterations = e.iterations() - 1
		}
	}
	if phase == flaggerv1.CanaryPhaseInitialized || phase == flaggerv1.CanaryPhaseSucceeded {
		e.status.LastPromotedSpec = e.status.LastAppliedSpec
	}
}

// templateHash identifies a pod template: FNV-32a over its JSON encoding.
func templateHash(t *corev1.PodTemplateSpec) string {
	data, err := json.Marshal(t)
	if err != nil {
		// A PodTemplateSpec always marshals; keep a stable fallback anyway.
		return "unhashable"
	}
	h := fnv.New32a()
	h.Write(data)
	return strconv.FormatUint(uint64(h.Sum32()), 16)
}
