package scenarios

import (
	"fmt"
	"regexp"
	"time"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
)

// Builtin metric names Flagger evaluates without a template.
const (
	MetricSuccessRate = "request-success-rate"
	MetricDuration    = "request-duration"
)

// analysisIntervalRE is the pattern Flagger's CRD enforces on
// spec.analysis.interval.
var analysisIntervalRE = regexp.MustCompile(`^[0-9]+(m|s)`)

// promDurationRE accepts the PromQL range durations a metric window can use.
var promDurationRE = regexp.MustCompile(`^([0-9]+(ms|s|m|h|d|w|y))+$`)

// canary finds, decodes and validates the Canary.
func (l *loader) canary(scen document, src ObjectSource, embedded []document) *flaggerv1.Canary {
	d := l.source(scen, src, "spec.canary")
	if d == nil && src.File == "" && len(src.Inline) == 0 {
		d = l.pickEmbedded(scen, embedded, "Canary", "spec.canary")
	}
	if d == nil {
		if src.File == "" && len(src.Inline) == 0 && len(embedded) == 0 {
			line, col := scen.position("spec")
			l.errs.add(scen.file, line, col, "spec.canary", "no Canary: set spec.canary.file or spec.canary.inline, or add a flagger.app/v1beta1 Canary document to the file")
		}
		return nil
	}
	c := &flaggerv1.Canary{}
	before := len(l.errs)
	l.decodeObject(d, c)
	if len(l.errs) > before {
		return nil
	}
	if c.Namespace == "" {
		c.Namespace = "default"
	}
	l.canaryDoc = d
	l.validateCanary(*d, c)
	return c
}

// validateCanary checks what Flagger's CRD and controller would reject,
// and what the simulator does not model yet.
func (l *loader) validateCanary(d document, c *flaggerv1.Canary) {
	at, warn := l.reporters(d)
	if c.Name == "" {
		at("metadata.name", "required")
	}
	if k := c.Spec.TargetRef.Kind; k != "Deployment" {
		at("spec.targetRef.kind", "%q is not simulated; only Deployment targets are", k)
	}
	if c.Spec.TargetRef.Name == "" {
		at("spec.targetRef.name", "required")
	}
	if p := c.Spec.Provider; p != "" {
		if msg := providerWarning(p); msg != "" {
			warn("spec.provider", "%s", msg)
		}
		if msg := providerNeeds(p, c); msg != "" {
			at("spec.provider", "%s", msg)
		}
	}
	if c.Spec.AutoscalerRef != nil {
		warn("spec.autoscalerRef", "autoscalers are not simulated; replicas stay fixed")
	}
	if c.Spec.RevertOnDeletion {
		warn("spec.revertOnDeletion", "scenarios never delete the Canary; the field has no effect")
	}
	unmodelledService(warn, c)
	if c.Spec.ProgressDeadlineSeconds != nil && *c.Spec.ProgressDeadlineSeconds < 0 {
		at("spec.progressDeadlineSeconds", "must not be negative")
	}
	a := c.GetAnalysis()
	if a == nil {
		if !c.Spec.SkipAnalysis {
			at("spec.analysis", "required unless spec.skipAnalysis is true")
		}
		return
	}
	l.validateAnalysis(at, warn, a)
}

type reporter func(path, format string, args ...any)

// reporters report errors and warnings at field paths of document d.
func (l *loader) reporters(d document) (at, warn reporter) {
	at = func(path, format string, args ...any) { d.at(&l.errs, path, format, args...) }
	warn = func(path, format string, args ...any) {
		line, _ := d.position(path)
		l.warns = append(l.warns, fmt.Sprintf("%s:%d: %s: %s", d.file, line, joinPath(d.prefix, path), fmt.Sprintf(format, args...)))
	}
	return at, warn
}

func (l *loader) validateAnalysis(at, warn reporter, a *flaggerv1.CanaryAnalysis) {
	const p = "spec.analysis"
	if a.Interval != "" && !analysisIntervalRE.MatchString(a.Interval) {
		at(p+".interval", "%q is not a duration like 30s or 1m", a.Interval)
	} else if _, err := time.ParseDuration(a.Interval); a.Interval != "" && err != nil {
		at(p+".interval", "%q: %v", a.Interval, err)
	}
	weights := []struct {
		name string
		v    int
	}{{"maxWeight", a.MaxWeight}, {"stepWeight", a.StepWeight}, {"stepWeightPromotion", a.StepWeightPromotion}}
	for _, w := range weights {
		name, v := w.name, w.v
		switch {
		case v < 0:
			at(p+"."+name, "must not be negative, got %d", v)
		case v > 100:
			warn(p+"."+name, "%d is over 100: weights are capped at 100 (Flagger never promotes with maxWeight over 100)", v)
		}
	}
	for i, w := range a.StepWeights {
		if w < 0 || w > 100 {
			at(fmt.Sprintf("%s.stepWeights[%d]", p, i), "must be between 0 and 100, got %d", w)
		}
	}
	readiness := []struct {
		name string
		v    *int
	}{{"primaryReadyThreshold", a.PrimaryReadyThreshold}, {"canaryReadyThreshold", a.CanaryReadyThreshold}}
	for _, r := range readiness {
		name, v := r.name, r.v
		if v != nil && (*v < 0 || *v > 100) {
			at(p+"."+name, "must be between 0 and 100, got %d", *v)
		}
	}
	if a.SessionAffinity != nil {
		warn(p+".sessionAffinity", "session affinity is not simulated; traffic is split by weight only")
	}
	for i, al := range a.Alerts {
		if al.Severity == "" {
			warn(fmt.Sprintf("%s.alerts[%d].severity", p, i), "alert %q has no severity: Flagger v1.41.0 sends it nothing (the docs say info)", al.Name)
		}
	}
	for i, m := range a.Metrics {
		l.validateMetric(at, fmt.Sprintf("%s.metrics[%d]", p, i), m)
	}
	for i, h := range a.Webhooks {
		l.validateWebhook(at, warn, fmt.Sprintf("%s.webhooks[%d]", p, i), h)
	}
	if len(a.Webhooks) > 0 {
		warn(p+".webhooks[0]", "webhook URLs are never contacted: each hook answers as spec.script.webhooks says, and a hook without a script passes (a rollback hook does not signal)")
	}
}

func (l *loader) validateMetric(at reporter, path string, m flaggerv1.CanaryMetric) {
	if m.Name == "" {
		at(path+".name", "required")
	}
	if m.TemplateRef != nil && m.TemplateRef.Name == "" {
		at(path+".templateRef.name", "required")
	}
	builtin := m.Name == MetricSuccessRate || m.Name == MetricDuration
	if !builtin && m.Query == "" && m.TemplateRef == nil {
		at(path+".name", "%q is not a builtin metric (%s, %s) and has no query or templateRef: Flagger fails this check on every tick", m.Name, MetricSuccessRate, MetricDuration)
	}
	if m.Interval != "" && !promDurationRE.MatchString(m.Interval) {
		at(path+".interval", "%q is not a PromQL duration like 1m", m.Interval)
	}
	if r := m.ThresholdRange; r != nil && r.Min != nil && r.Max != nil && *r.Min > *r.Max {
		at(path+".thresholdRange", "min %v is greater than max %v", *r.Min, *r.Max)
	}
}

var knownHookTypes = map[flaggerv1.HookType]bool{
	flaggerv1.RolloutHook: true, flaggerv1.PreRolloutHook: true, flaggerv1.PostRolloutHook: true,
	flaggerv1.ConfirmRolloutHook: true, flaggerv1.ConfirmPromotionHook: true, flaggerv1.EventHook: true,
	flaggerv1.RollbackHook: true, flaggerv1.ConfirmTrafficIncreaseHook: true, "": true,
}

func (l *loader) validateWebhook(at, warn reporter, path string, h flaggerv1.CanaryWebhook) {
	if !knownHookTypes[h.Type] {
		at(path+".type", "unknown webhook type %q", h.Type)
		return
	}
	if h.Name == "" {
		at(path+".name", "required")
	}
	if h.Retries < 0 {
		at(path+".retries", "must not be negative, got %d", h.Retries)
	}
	if len(h.Timeout) >= 2 {
		if _, err := time.ParseDuration(h.Timeout); err != nil {
			at(path+".timeout", "%q is not a duration like 10s: Flagger fails every call of this hook", h.Timeout)
		}
	}
}

// unmodelledService warns about Canary fields that could change what users
// or the analysis see but that the simulator does not model. Fields that
// only shape generated objects (hosts, gateways, headers, CORS, metadata)
// do not change a rehearsal and pass silently.
func unmodelledService(warn reporter, c *flaggerv1.Canary) {
	svc := c.Spec.Service
	if c.Spec.MetricsServer != "" {
		warn("spec.metricsServer", "never contacted: builtin and inline queries run against the simulated Prometheus")
	}
	if svc.Retries != nil {
		warn("spec.service.retries", "mesh retries are not simulated: every failed request counts once, for users and in the metrics")
	}
	if svc.Timeout != "" {
		warn("spec.service.timeout", "request timeouts are not simulated: slow requests complete with their own latency")
	}
	if svc.TrafficPolicy != nil {
		warn("spec.service.trafficPolicy", "traffic policies (connection pools, outlier detection) are not simulated")
	}
	if len(svc.Mirror) > 0 {
		warn("spec.service.mirror", "Gateway API mirror filters are not simulated; use spec.analysis.mirror")
	}
	if len(svc.Match) > 0 {
		warn("spec.service.match", "the service's route match is not simulated: all traffic is taken to reach the service")
	}
}
