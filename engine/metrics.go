package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
)

// Builtin metric names.
const (
	MetricSuccessRate = "request-success-rate"
	MetricDuration    = "request-duration"
)

// defaultMetricWindow is the window of builtin metrics without interval.
const defaultMetricWindow = "1m"

// metricKind says how a check's value is read and compared.
type metricKind int

const (
	kindSuccessRate metricKind = iota
	kindDuration
	kindCustom
	kindUnusable
	kindTemplate
)

// metricCheck is a metric entry with its query rendered once at New.
type metricCheck struct {
	spec  flaggerv1.CanaryMetric
	kind  metricKind
	query string
	// failure, when set, is the error event of a template check that
	// fails before its query runs, on every tick (see templateCheck);
	// probeErr is what Flagger's provider probe says about it while
	// initialising.
	failure, probeErr string
	// provider names the metrics provider in no-data warnings of builtins
	// (empty means istio); secondsToMs marks a duration read in seconds.
	provider    string
	secondsToMs bool
	// wrapErrors: the builtin's observer reports errors as "running query
	// failed: <err>".
	wrapErrors bool
}

// templateModel is the model Flagger renders metric queries with.
func templateModel(c *flaggerv1.Canary, window string) flaggerv1.MetricTemplateModel {
	svc, _, _ := c.GetServiceNames()
	ingress, route := c.Spec.TargetRef.Name, c.Spec.TargetRef.Name
	if c.Spec.IngressRef != nil {
		ingress = c.Spec.IngressRef.Name
	}
	if c.Spec.RouteRef != nil {
		route = c.Spec.RouteRef.Name
	}
	return flaggerv1.MetricTemplateModel{
		Name: c.Name, Namespace: c.Namespace, Target: c.Spec.TargetRef.Name,
		Service: svc, Ingress: ingress, Route: route, Interval: window,
	}
}

// compileMetrics renders the Canary's metric checks in evaluation order:
// Flagger's builtin/inline pass, then its template pass (§8.1). In the first
// pass a builtin name and an inline query are separate tests, so a metric
// with both is evaluated twice, as in Flagger. A metric with neither (and
// no templateRef) is kept as unusable: it fails. In the second pass a
// templateRef metric renders its MetricTemplate (templateCheck), so a
// builtin name or inline query with a templateRef is evaluated twice.
func compileMetrics(c *flaggerv1.Canary, a *flaggerv1.CanaryAnalysis, templates []*flaggerv1.MetricTemplate) ([]metricCheck, error) {
	var first, second []metricCheck
	obs := builtinsFor(c)
	for _, m := range a.Metrics {
		window := m.Interval
		if window == "" {
			window = defaultMetricWindow
		}
		model := templateModel(c, window)
		model.Variables = m.TemplateVariables
		for _, kind := range []metricKind{kindSuccessRate, kindDuration, kindCustom} {
			q, ok := queryFor(kind, m, obs)
			if !ok {
				continue
			}
			mdl := model
			if kind != kindCustom {
				mdl = obs.model(c, model)
			}
			rendered, err := RenderTemplateQuery(q, mdl) // Flagger has one renderer for all queries
			if err != nil {
				return nil, fmt.Errorf("metric %q: %w", m.Name, err)
			}
			if kind == kindCustom {
				first = append(first, metricCheck{spec: m, kind: kind, query: rendered})
			} else {
				first = append(first, obs.check(m, kind, rendered))
			}
		}
		switch {
		case m.TemplateRef != nil:
			ck, err := templateCheck(c, m, templates)
			if err != nil {
				return nil, err
			}
			second = append(second, ck)
		case m.Query == "" && m.Name != MetricSuccessRate && m.Name != MetricDuration:
			second = append(second, metricCheck{spec: m, kind: kindUnusable})
		}
	}
	return append(first, second...), nil
}

// queryFor is the query template a metric runs as kind, if it runs as it;
// builtins come from the Canary's observer.
func queryFor(kind metricKind, m flaggerv1.CanaryMetric, obs builtins) (string, bool) {
	switch {
	case kind == kindSuccessRate && m.Name == MetricSuccessRate,
		kind == kindDuration && m.Name == MetricDuration:
		return obs.query(kind)
	case kind == kindCustom && m.Query != "":
		return m.Query, true
	}
	return "", false
}

// evaluate runs one check at now and returns it with its verdict and the
// warning Flagger would record when it fails.
func (m metricCheck) evaluate(ctx context.Context, src answerer, target string) (Check, *Event) {
	ck := Check{Metric: m.spec.Name, Query: m.query}
	if r := m.spec.ThresholdRange; r != nil {
		ck.Min, ck.Max = r.Min, r.Max
	}
	if m.kind == kindUnusable {
		ck.Verdict = VerdictError
		return ck, &Event{EventWarning, "Metric query failed for no usable metrics template and query were configured"}
	}
	if m.failure != "" {
		ck.Verdict = VerdictError
		return ck, &Event{EventWarning, m.failure}
	}
	v, err, scripted := src.answer(ctx, m.spec.Name, m.query)
	switch {
	case errors.Is(err, ErrNoValues):
		ck.Verdict = VerdictNoData
		return ck, &Event{EventWarning, m.noDataMessage(target)}
	case err != nil:
		ck.Verdict = VerdictError
		return ck, &Event{EventWarning, m.errorMessage(err)}
	}
	if m.kind == kindDuration {
		// Flagger reads whole milliseconds; a script gives milliseconds.
		v = durationMs(v, m.secondsToMs && !scripted)
	}
	ck.Value, ck.HasValue = v, true
	msg := m.breach(v, target)
	if msg == "" {
		ck.Verdict = VerdictPass
		return ck, nil
	}
	ck.Verdict = VerdictFail
	return ck, &Event{EventWarning, msg}
}

// noDataMessage is Flagger's warning for an empty result or NaN.
func (m metricCheck) noDataMessage(target string) string {
	if m.kind == kindTemplate {
		return fmt.Sprintf("Halt advancement no values found for custom metric: %s: %v", m.spec.Name, ErrNoValues)
	}
	if m.kind == kindCustom {
		return "Halt advancement no values found for metric: " + m.spec.Name
	}
	provider := m.provider
	if provider == "" {
		provider = DefaultProvider
	}
	msg := fmt.Sprintf("Halt advancement no values found for %s metric %s probably %s is not receiving traffic", provider, m.spec.Name, target)
	if m.kind == kindSuccessRate { // only this message carries the error
		msg += ": " + m.observerError(ErrNoValues)
	}
	return msg
}

// observerError is how the builtin's observer words a query error.
func (m metricCheck) observerError(err error) string {
	if m.wrapErrors {
		return "running query failed: " + err.Error()
	}
	return err.Error()
}

// errorMessage is Flagger's event for a failed query (recorded at error
// level as a Warning event).
func (m metricCheck) errorMessage(err error) string {
	if m.kind == kindTemplate {
		return fmt.Sprintf("Metric query failed for %s: %v", m.spec.Name, err)
	}
	if m.kind == kindCustom {
		return fmt.Sprintf("Prometheus query failed for %s: %v", m.spec.Name, err)
	}
	return "Prometheus query failed: " + m.observerError(err)
}

// breach applies Flagger's pass/fail rule (§8.2) and returns the halt
// message, or "" when the value passes. Bounds are inclusive.
func (m metricCheck) breach(v float64, target string) string {
	r := m.spec.ThresholdRange
	halt := "Halt " + target + " advancement "
	switch m.kind {
	case kindSuccessRate:
		switch {
		case r != nil && r.Min != nil && v < *r.Min:
			return fmt.Sprintf("%ssuccess rate %.2f%% < %v%%", halt, v, *r.Min)
		case r != nil && r.Max != nil && v > *r.Max:
			return fmt.Sprintf("%ssuccess rate %.2f%% > %v%%", halt, v, *r.Max)
		case r == nil && v < m.spec.Threshold:
			return fmt.Sprintf("%ssuccess rate %.2f%% < %v%%", halt, v, m.spec.Threshold)
		}
	case kindDuration:
		d := time.Duration(v) * time.Millisecond
		switch {
		case r != nil && r.Min != nil && d < time.Duration(*r.Min)*time.Millisecond:
			return fmt.Sprintf("%srequest duration %v < %v", halt, d, time.Duration(*r.Min)*time.Millisecond)
		case r != nil && r.Max != nil && d > time.Duration(*r.Max)*time.Millisecond:
			return fmt.Sprintf("%srequest duration %v > %v", halt, d, time.Duration(*r.Max)*time.Millisecond)
		case r == nil && d > time.Duration(m.spec.Threshold)*time.Millisecond:
			return fmt.Sprintf("%srequest duration %v > %v", halt, d, time.Duration(m.spec.Threshold)*time.Millisecond)
		}
	default:
		switch {
		case r != nil && r.Min != nil && v < *r.Min:
			return fmt.Sprintf("%s%s %.2f < %v", halt, m.spec.Name, v, *r.Min)
		case r != nil && r.Max != nil && v > *r.Max:
			return fmt.Sprintf("%s%s %.2f > %v", halt, m.spec.Name, v, *r.Max)
		case r == nil && v > m.spec.Threshold:
			return fmt.Sprintf("%s%s %.2f > %v", halt, m.spec.Name, v, m.spec.Threshold)
		}
	}
	return ""
}
