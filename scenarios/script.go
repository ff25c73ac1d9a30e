package scenarios

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
	corev1 "k8s.io/api/core/v1"
)

// Script is the resolved spec.script: typed, validated rules the simulator
// consults while it runs. The zero value scripts nothing.
type Script struct {
	Metrics   []MetricRule
	Readiness []ReadinessRule
	// Revisions are in increasing time order.
	Revisions []RevisionChange
	Webhooks  []WebhookRule
}

// Empty reports whether the script pins nothing.
func (s Script) Empty() bool {
	return len(s.Metrics)+len(s.Readiness)+len(s.Revisions)+len(s.Webhooks) == 0
}

// Window is when a rule applies. With Ticks set it holds for the listed
// analysis tick indexes (0 = D, the first tick at or after spec.revision);
// otherwise for virtual times since spec.revision in [From, Until), where
// Until 0 means no end. The simulator turns tick windows into time windows
// because only it knows the analysis interval.
type Window struct {
	Ticks []TickRange
	From  time.Duration
	Until time.Duration
}

// TickRange is the inclusive range of tick indexes First..Last.
type TickRange struct{ First, Last int }

// MetricOutcome is what a scripted metric check returns.
type MetricOutcome int

// Metric outcomes.
const (
	MetricValue  MetricOutcome = iota // a number
	MetricNoData                      // an empty result vector
	MetricNaN                         // NaN, read by Flagger as no data
	MetricError                       // a failed query
)

// MetricRule pins the check of the Canary's metric named Metric.
type MetricRule struct {
	Metric  string
	Window  Window
	Outcome MetricOutcome
	Value   float64 // MetricValue
	Error   string  // MetricError
}

// Workload names which Deployment a readiness rule affects.
type Workload string

// Workloads.
const (
	WorkloadCanary  Workload = "canary"  // the Canary's target Deployment
	WorkloadPrimary Workload = "primary" // <target>-primary
)

// ReadinessRule makes a workload not ready over its window: its pods
// unavailable, or with DeadlineExceeded its Progressing condition set to
// ProgressDeadlineExceeded.
type ReadinessRule struct {
	Workload         Workload
	Window           Window
	DeadlineExceeded bool
}

// RevisionChange is a further change of the target's pod template At a
// time since spec.revision. Revert restores the stable template.
type RevisionChange struct {
	At       time.Duration
	Revert   bool
	Image    string
	Template corev1.PodTemplateSpec
}

// HookAnswer is a scripted webhook answer.
type HookAnswer int

// Webhook answers.
const (
	HookPass    HookAnswer = iota // HTTP 200
	HookFail                      // HTTP 403
	HookTimeout                   // every attempt times out
	HookStatus                    // the HTTP status in WebhookRule.Status
)

// WebhookRule pins the answer of the Canary's webhook named Hook.
type WebhookRule struct {
	Hook   string
	Window Window
	Answer HookAnswer
	Status int // HookStatus
}

// script resolves spec.script against the Canary it scripts.
func (r specResolver) script(s *ScriptSpec, out *Loaded) Script {
	var sc Script
	if s == nil {
		return sc
	}
	const p = "spec.script"
	for i, m := range s.Metrics {
		sc.Metrics = append(sc.Metrics, r.metricRule(fmt.Sprintf("%s.metrics[%d]", p, i), m, out))
	}
	for i, rd := range s.Readiness {
		sc.Readiness = append(sc.Readiness, r.readinessRule(fmt.Sprintf("%s.readiness[%d]", p, i), rd))
	}
	var prev time.Duration
	for i, rv := range s.Revisions {
		c := r.revision(fmt.Sprintf("%s.revisions[%d]", p, i), rv, out)
		if i > 0 && c.At <= prev {
			r.errAt(fmt.Sprintf("%s.revisions[%d].at", p, i), "revisions must be in increasing time order")
		}
		prev = c.At
		sc.Revisions = append(sc.Revisions, c)
	}
	for i, w := range s.Webhooks {
		sc.Webhooks = append(sc.Webhooks, r.webhookRule(fmt.Sprintf("%s.webhooks[%d]", p, i), w, out))
	}
	return sc
}

// window resolves a ScriptWindow at path.
func (r specResolver) window(path string, w ScriptWindow) Window {
	if w.Ticks != "" && (w.From != "" || w.Until != "") {
		r.errAt(path+".ticks", "set ticks or from/until, not both")
		return Window{}
	}
	if w.Ticks != "" {
		return Window{Ticks: r.ticks(path+".ticks", w.Ticks)}
	}
	out := Window{From: r.duration(path+".from", w.From, 0), Until: r.duration(path+".until", w.Until, 0)}
	if w.Until != "" && out.Until <= out.From {
		r.errAt(path+".until", "must be after from (%s)", out.From)
	}
	return out
}

// MaxTickIndex bounds tick indexes: MaxHorizon at Flagger's shortest
// interval (10s).
const MaxTickIndex = int(MaxHorizon / (10 * time.Second))

// ticks parses "2", "4..6" or a comma-separated list of both.
func (r specResolver) ticks(path, s string) []TickRange {
	var out []TickRange
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		lo, hi, isRange := strings.Cut(item, "..")
		first, err1 := strconv.Atoi(strings.TrimSpace(lo))
		last, err2 := first, error(nil)
		if isRange {
			last, err2 = strconv.Atoi(strings.TrimSpace(hi))
		}
		switch {
		case err1 != nil || err2 != nil:
			r.errAt(path, "%q is not a tick index or range like 3 or 4..6", item)
			return nil
		case first < 0:
			r.errAt(path, "%q: tick indexes start at 0 (D, the first tick at or after the revision)", item)
			return nil
		case last < first:
			r.errAt(path, "%q: the range ends before it starts", item)
			return nil
		case last > MaxTickIndex:
			r.errAt(path, "%q: tick indexes stop at %d (the longest horizon at the shortest interval)", item, MaxTickIndex)
			return nil
		}
		out = append(out, TickRange{First: first, Last: last})
	}
	return out
}

func (r specResolver) metricRule(path string, m ScriptMetric, out *Loaded) MetricRule {
	rule := MetricRule{Metric: m.Metric, Window: r.window(path, m.ScriptWindow)}
	switch {
	case m.Metric == "":
		r.errAt(path+".metric", "required")
	case out.Canary != nil && !hasMetric(out.Canary, m.Metric):
		r.errAt(path+".metric", "the Canary has no metric named %q", m.Metric)
	}
	if !exactlyOne(m.Value != nil, m.NoData, m.NaN, m.Error != "") {
		r.errAt(path, "set exactly one of value, noData, nan or error")
		return rule
	}
	switch {
	case m.Value != nil:
		rule.Outcome, rule.Value = MetricValue, *m.Value
	case m.NoData:
		rule.Outcome = MetricNoData
	case m.NaN:
		rule.Outcome = MetricNaN
	default:
		rule.Outcome, rule.Error = MetricError, m.Error
	}
	return rule
}

func hasMetric(c *flaggerv1.Canary, name string) bool {
	if a := c.GetAnalysis(); a != nil {
		for _, m := range a.Metrics {
			if m.Name == name {
				return true
			}
		}
	}
	return false
}

func (r specResolver) readinessRule(path string, rd ScriptReadiness) ReadinessRule {
	rule := ReadinessRule{Workload: Workload(rd.Workload), Window: r.window(path, rd.ScriptWindow)}
	switch rule.Workload {
	case WorkloadCanary, WorkloadPrimary:
	case "":
		r.errAt(path+".workload", "required: canary or primary")
	default:
		r.errAt(path+".workload", "%q: want canary or primary", rd.Workload)
	}
	switch {
	case rd.Ready != nil && rd.ProgressDeadlineExceeded:
		r.errAt(path, "set ready: false or progressDeadlineExceeded: true, not both")
	case rd.Ready != nil && *rd.Ready:
		r.errAt(path+".ready", "workloads are ready by default; script the windows where they are not (ready: false)")
	case rd.Ready == nil && !rd.ProgressDeadlineExceeded:
		r.errAt(path, "set ready: false or progressDeadlineExceeded: true")
	}
	rule.DeadlineExceeded = rd.ProgressDeadlineExceeded
	return rule
}

func (r specResolver) revision(path string, rv ScriptRevision, out *Loaded) RevisionChange {
	c := RevisionChange{At: r.positive(path+".at", rv.At, 0), Revert: rv.Revert, Image: rv.Image}
	if rv.At == "" {
		r.errAt(path+".at", "required")
	}
	switch {
	case rv.Revert == (rv.Image != ""):
		r.errAt(path, "set image or revert: true, exactly one")
	case out.Target == nil:
	case rv.Revert:
		c.Template = *out.Target.Spec.Template.DeepCopy()
	default:
		c.Template = newTemplate(out.Target, rv.Image)
	}
	return c
}

func (r specResolver) webhookRule(path string, w ScriptWebhook, out *Loaded) WebhookRule {
	rule := WebhookRule{Hook: w.Hook, Window: r.window(path, w.ScriptWindow)}
	switch {
	case w.Hook == "":
		r.errAt(path+".hook", "required")
	case out.Canary != nil:
		r.checkHook(path+".hook", w.Hook, out.Canary)
	}
	switch {
	case (w.Answer != "") == (w.Status != nil):
		r.errAt(path, "set answer (pass, fail or timeout) or status, exactly one")
	case w.Status != nil:
		if *w.Status < 100 || *w.Status > 599 {
			r.errAt(path+".status", "%d is not an HTTP status code", *w.Status)
		}
		rule.Answer, rule.Status = HookStatus, *w.Status
	default:
		answers := map[string]HookAnswer{"pass": HookPass, "fail": HookFail, "timeout": HookTimeout}
		a, ok := answers[w.Answer]
		if !ok {
			r.errAt(path+".answer", "%q: want pass, fail or timeout", w.Answer)
		}
		rule.Answer = a
	}
	return rule
}

// checkHook reports a hook name the Canary does not define, or one the
// simulator never calls.
func (r specResolver) checkHook(path, name string, c *flaggerv1.Canary) {
	if a := c.GetAnalysis(); a != nil {
		for _, h := range a.Webhooks {
			if h.Name != name {
				continue
			}
			if h.Type == flaggerv1.EventHook {
				r.errAt(path, "%q is an event hook: it only receives events (recorded in the timeline) and has no answer to script", name)
			}
			return
		}
	}
	r.errAt(path, "the Canary has no webhook named %q", name)
}
