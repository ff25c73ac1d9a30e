package scenarios

import (
	"fmt"
	"net/url"
	"strings"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"

	"github.com/canarysim/canarysim/engine"
)

// templateTypes are the provider types Flagger's CRD allows
// (artifacts/flagger/crd.yaml, spec.provider.type enum).
var templateTypes = map[string]bool{
	"prometheus": true, "influxdb": true, "datadog": true, "stackdriver": true, "cloudwatch": true,
	"newrelic": true, "graphite": true, "dynatrace": true, "keptn": true, "splunk": true,
}

// loadedTemplate is a decoded MetricTemplate with its document.
type loadedTemplate struct {
	doc *document
	t   *flaggerv1.MetricTemplate
}

// templates decodes the MetricTemplates of spec.metricTemplates and the
// MetricTemplate documents of the scenario file, validates them and checks
// that every templateRef of the Canary names one of them. A template
// without namespace is placed in the Canary's, as `kubectl apply -n` would
// when both are applied together.
func (l *loader) templates(scen document, srcs []ObjectSource, embedded []document, c *flaggerv1.Canary) []*flaggerv1.MetricTemplate {
	var docs []*document
	for i, src := range srcs {
		path := fmt.Sprintf("spec.metricTemplates[%d]", i)
		if src.File == "" && len(src.Inline) == 0 {
			line, col := scen.position(path)
			l.errs.add(scen.file, line, col, path, "set file or inline")
			continue
		}
		if d := l.source(scen, src, path); d != nil {
			docs = append(docs, d)
		}
	}
	for i := range embedded {
		docs = append(docs, &embedded[i])
	}
	ns := "default"
	if c != nil {
		ns = c.Namespace
	}
	var loaded []loadedTemplate
	seen := map[string]bool{}
	for _, d := range docs {
		t := l.template(d, ns)
		if t == nil {
			continue
		}
		if key := t.Namespace + "/" + t.Name; seen[key] {
			d.at(&l.errs, "metadata.name", "second MetricTemplate %s", key)
			continue
		} else {
			seen[key] = true
		}
		loaded = append(loaded, loadedTemplate{doc: d, t: t})
	}
	if c != nil && l.canaryDoc != nil {
		l.checkTemplateRefs(c, loaded)
	}
	out := make([]*flaggerv1.MetricTemplate, 0, len(loaded))
	for _, lt := range loaded {
		out = append(out, lt.t)
	}
	return out
}

// template decodes and validates one MetricTemplate document; nil when it
// cannot be used.
func (l *loader) template(d *document, defaultNS string) *flaggerv1.MetricTemplate {
	t := &flaggerv1.MetricTemplate{}
	before := len(l.errs)
	l.decodeObject(d, t)
	if len(l.errs) > before {
		return nil
	}
	at := func(path, format string, args ...any) { d.at(&l.errs, path, format, args...) }
	if (t.APIVersion != "" && t.APIVersion != flaggerv1.SchemeGroupVersion.String()) || (t.Kind != "" && t.Kind != "MetricTemplate") {
		at("kind", "want apiVersion %s and kind MetricTemplate", flaggerv1.SchemeGroupVersion)
	}
	if t.Name == "" {
		at("metadata.name", "required")
	}
	if t.Namespace == "" {
		t.Namespace = defaultNS
	}
	p := t.Spec.Provider
	switch {
	case p.Type == "":
		at("spec.provider.type", "required (Flagger's CRD requires it); use prometheus")
	case !templateTypes[p.Type]:
		at("spec.provider.type", "%q is not a Flagger provider type; use prometheus", p.Type)
	case p.Type != "prometheus":
		at("spec.provider.type", "provider %q is not simulated; only prometheus templates are evaluated (against the simulated metrics)", p.Type)
	}
	if _, err := url.Parse(p.Address); p.Type == "prometheus" && (p.Address == "" || err != nil) {
		at("spec.provider.address", "%q is not a valid URL: Flagger fails every check of this template (\"prometheus address %s is not a valid URL\"); the simulator never contacts it, but it must be set", p.Address, p.Address)
	}
	if p.SecretRef != nil {
		l.warnAt(*d, "spec.provider.secretRef", "secret %q is not read: the simulator assumes it exists and holds valid credentials", p.SecretRef.Name)
	}
	if strings.TrimSpace(t.Spec.Query) == "" {
		at("spec.query", "required")
	}
	return t
}

// checkTemplateRefs reports a templateRef naming no loaded template (an
// error: Flagger would fail that check on every tick, which is never what
// a scenario means), and warns when the rendered query fails as it would in
// Flagger on every tick: a render error, or an empty interval (§8.4).
func (l *loader) checkTemplateRefs(c *flaggerv1.Canary, loaded []loadedTemplate) {
	a := c.GetAnalysis()
	if a == nil {
		return
	}
	d := *l.canaryDoc
	for i, m := range a.Metrics {
		if m.TemplateRef == nil || m.TemplateRef.Name == "" {
			continue
		}
		path := fmt.Sprintf("spec.analysis.metrics[%d]", i)
		ns := m.TemplateRef.Namespace
		if ns == "" {
			ns = c.Namespace
		}
		var t *flaggerv1.MetricTemplate
		for _, lt := range loaded {
			if lt.t.Name == m.TemplateRef.Name && lt.t.Namespace == ns {
				t = lt.t
			}
		}
		if t == nil {
			d.at(&l.errs, path+".templateRef", "MetricTemplate %s/%s is not loaded: add it to spec.metricTemplates or as a document of the scenario file (Flagger would fail this check on every tick)", ns, m.TemplateRef.Name)
			continue
		}
		if _, err := engine.RenderTemplateQuery(t.Spec.Query, engine.TemplateModel(c, m)); err != nil {
			l.warnAt(d, path+".templateRef", "rendering MetricTemplate %s/%s fails, so Flagger fails this check on every tick: %v", ns, t.Name, err)
		}
		if m.Interval == "" && strings.Contains(t.Spec.Query, "interval") {
			l.warnAt(d, path+".interval", "not set: {{ interval }} renders empty for template metrics (Flagger applies no default), the query is invalid PromQL and the check fails on every tick; set interval: 1m")
		}
	}
}

// warnAt records a warning naming the file, line and field path.
func (l *loader) warnAt(d document, path, format string, args ...any) {
	line, _ := d.position(path)
	l.warns = append(l.warns, fmt.Sprintf("%s:%d: %s: %s", d.file, line, joinPath(d.prefix, path), fmt.Sprintf(format, args...)))
}
