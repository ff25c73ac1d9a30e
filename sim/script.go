package sim

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
	appsv1 "k8s.io/api/apps/v1"

	"github.com/canarysim/canarysim/engine"
	"github.com/canarysim/canarysim/scenarios"
)

// span is a half-open interval [from, until) of virtual time since the
// Canary was created.
type span struct{ from, until time.Duration }

// forever is the end of an open window.
const forever = time.Duration(math.MaxInt64)

// spans turns a script window into time spans. Tick k is the analysis tick
// at d + k×interval, d being the first tick at or after the revision; its
// span runs to the next tick, so the answer holds at that tick only.
func spans(w scenarios.Window, revisionAt, d, interval time.Duration) []span {
	if w.Ticks == nil {
		s := span{from: revisionAt + w.From, until: forever}
		if w.Until > 0 {
			s.until = revisionAt + w.Until
		}
		return []span{s}
	}
	out := make([]span, 0, len(w.Ticks))
	for _, r := range w.Ticks {
		out = append(out, span{from: d + time.Duration(r.First)*interval, until: d + time.Duration(r.Last+1)*interval})
	}
	return out
}

func within(ss []span, t time.Duration) bool {
	for _, s := range ss {
		if t >= s.from && t < s.until {
			return true
		}
	}
	return false
}

// firstTickAtOrAfter is the virtual time of D: the first analysis tick at
// or after the revision, ticks running at offset + n×interval.
func firstTickAtOrAfter(revisionAt, offset, interval time.Duration) time.Duration {
	if revisionAt <= offset {
		return offset
	}
	n := (revisionAt - offset + interval - 1) / interval
	return offset + n*interval
}

// script is a scenario's resolved script with its windows placed in time.
// It answers the engine's CheckScript and Webhooks ports and tells the
// event loop when workloads are not ready. It remembers which metrics it
// answered since the last call of takeAnswered, so the timeline can mark
// scripted checks.
type script struct {
	metrics   []placed[scenarios.MetricRule]
	readiness []placed[scenarios.ReadinessRule]
	hooks     []placed[scenarios.WebhookRule]
	bounds    []time.Duration // every window edge, for the event loop
	answered  []string
}

// placed is a script rule with its window placed on the time axis.
type placed[R any] struct {
	rule  R
	spans []span
}

var (
	_ engine.CheckScript = (*script)(nil)
	_ engine.Webhooks    = (*script)(nil)
)

// newScript places l.Script's windows on the time axis of a run whose
// ticks start at l.TickOffset and repeat every interval.
func newScript(l *scenarios.Loaded, interval time.Duration) *script {
	d := firstTickAtOrAfter(l.RevisionAt, l.TickOffset, interval)
	s := &script{}
	place := func(w scenarios.Window) []span {
		ss := spans(w, l.RevisionAt, d, interval)
		for _, sp := range ss {
			s.bounds = append(s.bounds, sp.from)
			if sp.until != forever {
				s.bounds = append(s.bounds, sp.until)
			}
		}
		return ss
	}
	for _, m := range l.Script.Metrics {
		s.metrics = append(s.metrics, placed[scenarios.MetricRule]{m, place(m.Window)})
	}
	for _, r := range l.Script.Readiness {
		s.readiness = append(s.readiness, placed[scenarios.ReadinessRule]{r, place(r.Window)})
	}
	for _, h := range l.Script.Webhooks {
		s.hooks = append(s.hooks, placed[scenarios.WebhookRule]{h, place(h.Window)})
	}
	return s
}

// Answer implements engine.CheckScript: the first metric rule naming
// metric whose window holds at. No data and NaN are engine.ErrNoValues, as
// Flagger reads both; a scripted error is a failed query with its text.
func (s *script) Answer(metric string, at time.Time) (float64, error, bool) { //nolint:revive,staticcheck // the port's signature
	t := at.Sub(Epoch)
	for _, m := range s.metrics {
		if m.rule.Metric != metric || !within(m.spans, t) {
			continue
		}
		s.answered = append(s.answered, metric)
		switch m.rule.Outcome {
		case scenarios.MetricValue:
			return m.rule.Value, nil, true
		case scenarios.MetricError:
			return 0, errors.New(m.rule.Error), true
		default:
			return 0, engine.ErrNoValues, true
		}
	}
	return 0, nil, false
}

// takeAnswered returns the metrics answered since the last call.
func (s *script) takeAnswered() []string {
	out := s.answered
	s.answered = nil
	return out
}

// unavailable and deadlineExceeded report what the readiness rules say
// about a workload at t.
func (s *script) unavailable(w scenarios.Workload, t time.Duration) bool {
	return s.readinessAt(w, t, false)
}

func (s *script) deadlineExceeded(w scenarios.Workload, t time.Duration) bool {
	return s.readinessAt(w, t, true)
}

func (s *script) readinessAt(w scenarios.Workload, t time.Duration, deadline bool) bool {
	for _, r := range s.readiness {
		if r.rule.Workload == w && r.rule.DeadlineExceeded == deadline && within(r.spans, t) {
			return true
		}
	}
	return false
}

// nextBound is the earliest window edge after t.
func (s *script) nextBound(t time.Duration) (time.Duration, bool) {
	next, found := time.Duration(0), false
	for _, b := range s.bounds {
		if b > t && (!found || b < next) {
			next, found = b, true
		}
	}
	return next, found
}

// Webhook timing, after Flagger's client (flagger-semantics §7.1): a
// timeout shorter than two characters means 10s; retries follow
// go-retryablehttp's default policy (transport errors, 429 and 5xx but 501
// are retried, waiting 1s, 2s, 4s ... capped at 30s between attempts).
const (
	defaultHookTimeout = 10 * time.Second
	retryWaitMin       = time.Second
	retryWaitMax       = 30 * time.Second
)

// Call implements engine.Webhooks: the first rule naming the hook whose
// window holds at answers; an unscripted hook passes, and an unscripted
// rollback hook does not signal. Nothing is contacted. The duration is
// the virtual time the call would take: attempts that time out plus the
// waits between retried attempts.
func (s *script) Call(_ context.Context, hook flaggerv1.CanaryWebhook, _ flaggerv1.CanaryPhase, at time.Time) (time.Duration, error) {
	t := at.Sub(Epoch)
	for _, h := range s.hooks {
		if h.rule.Hook == hook.Name && within(h.spans, t) {
			return answer(hook, h.rule)
		}
	}
	return engine.NeutralHooks{}.Call(context.Background(), hook, "", at)
}

// answer is the outcome of one scripted call.
func answer(hook flaggerv1.CanaryWebhook, r scenarios.WebhookRule) (time.Duration, error) {
	attempts := hook.Retries + 1
	switch r.Answer {
	case scenarios.HookPass:
		return 0, nil
	case scenarios.HookFail:
		return 0, errors.New("HTTP 403")
	case scenarios.HookTimeout:
		timeout := hookTimeout(hook)
		return time.Duration(attempts)*timeout + retryWaits(hook.Retries),
			fmt.Errorf("POST %s giving up after %d attempt(s): context deadline exceeded (Client.Timeout %s exceeded)", hook.URL, attempts, timeout)
	}
	switch {
	case r.Status <= 202:
		return 0, nil
	case retryable(r.Status):
		return retryWaits(hook.Retries), fmt.Errorf("POST %s giving up after %d attempt(s): HTTP %d", hook.URL, attempts, r.Status)
	default:
		return 0, fmt.Errorf("HTTP %d", r.Status)
	}
}

// retryable is go-retryablehttp's default policy for a response status:
// 429 and every 5xx but 501 are retried.
func retryable(status int) bool {
	return status == 429 || (status >= 500 && status != 501)
}

// hookTimeout is the per-attempt timeout of a hook (validated at load).
func hookTimeout(h flaggerv1.CanaryWebhook) time.Duration {
	if len(h.Timeout) < 2 {
		return defaultHookTimeout
	}
	d, err := time.ParseDuration(h.Timeout)
	if err != nil {
		return defaultHookTimeout
	}
	return d
}

// retryWaits is the total backoff before n retries.
func retryWaits(n int) time.Duration {
	total := time.Duration(0)
	for i := 0; i < n; i++ {
		w := retryWaitMax
		if i < 5 { // 2^5 s > 30s
			w = min(retryWaitMax, retryWaitMin<<i)
		}
		total += w
	}
	return total
}

// role says which scripted workload w is.
func (r *runner) role(w *workloadMetrics) scenarios.Workload {
	if w == r.primary {
		return scenarios.WorkloadPrimary
	}
	return scenarios.WorkloadCanary
}

// updateDeadlines forces or lifts ProgressDeadlineExceeded on each
// workload as the script's readiness rules say at now.
func (r *runner) updateDeadlines(ctx context.Context, now time.Duration) error {
	return r.syncWorkloads(ctx, r.stalled, r.cl.SetDeadlineExceeded, func(w *workloadMetrics) bool {
		return r.script.deadlineExceeded(r.role(w), now)
	})
}

// nextScriptEvent is the earliest script window edge or further revision
// after the traffic generated so far.
func (r *runner) nextScriptEvent() (time.Duration, bool) {
	next, found := r.script.nextBound(r.accrued)
	if revs := r.l.Script.Revisions; r.nextRev < len(revs) {
		at := r.l.RevisionAt + revs[r.nextRev].At
		if !found || at < next {
			next, found = at, true
		}
	}
	return next, found
}

// applyScriptRevisions applies the further revisions due at now, after
// spec.revision, keeping the live replica count as applyRevision does.
func (r *runner) applyScriptRevisions(ctx context.Context, now time.Duration) error {
	revs := r.l.Script.Revisions
	for r.nextRev < len(revs) && r.l.RevisionAt+revs[r.nextRev].At <= now {
		rv := revs[r.nextRev]
		r.nextRev++
		t := r.l.Target
		_, err := r.cl.UpdateDeployment(ctx, t.Namespace, t.Name, func(d *appsv1.Deployment) {
			d.Spec.Template = *rv.Template.DeepCopy()
		})
		if err != nil {
			return fmt.Errorf("applying revision %d of spec.script: %w", r.nextRev-1, err)
		}
	}
	return nil
}
