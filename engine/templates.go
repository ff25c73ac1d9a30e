package engine

import (
	"bytes"
	"fmt"
	"net/url"
	"regexp"
	"text/template"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
)

// templateProviders are the MetricTemplate provider types Flagger v1.41.0
// knows besides prometheus (pkg/metrics/providers/factory.go). They query
// other systems, which the simulator does not model; any other type, the
// empty one included, falls back to Prometheus in Flagger's factory.
var templateProviders = map[string]bool{
	"datadog": true, "cloudwatch": true, "newrelic": true, "graphite": true, "stackdriver": true,
	"influxdb": true, "dynatrace": true, "keptn": true, "splunk": true,
}

// IsPrometheusTemplate reports whether Flagger would query a template's
// provider type with its Prometheus client: "prometheus", and every type it
// does not know (the empty one included).
func IsPrometheusTemplate(providerType string) bool { return !templateProviders[providerType] }

// templateRefNamespace is where Flagger looks a template up: the ref's
// namespace when set, else the Canary's.
func templateRefNamespace(c *flaggerv1.Canary, ref *flaggerv1.CrossNamespaceObjectReference) string {
	if ref.Namespace != "" {
		return ref.Namespace
	}
	return c.Namespace
}

// findTemplate returns the template named by ref, or nil.
func findTemplate(templates []*flaggerv1.MetricTemplate, name, namespace string) *flaggerv1.MetricTemplate {
	for _, t := range templates {
		ns := t.Namespace
		if ns == "" {
			ns = "default"
		}
		if t.Name == name && ns == namespace {
			return t
		}
	}
	return nil
}

// templateCheck compiles a templateRef metric as Flagger's runMetricChecks
// does on every tick (flagger-semantics §8.1 pass 2, §8.4): look the
// template up, build its provider, render its query with the entry's raw
// interval (no default) and variables. Failures Flagger meets before
// querying (missing template, invalid provider address, render error) do
// not stop the engine: they become a check that fails on every tick with
// Flagger's event. Only provider types that query another system are
// rejected, with ErrUnsupported.
func templateCheck(c *flaggerv1.Canary, m flaggerv1.CanaryMetric, templates []*flaggerv1.MetricTemplate) (metricCheck, error) {
	ck := metricCheck{spec: m, kind: kindTemplate}
	ns := templateRefNamespace(c, m.TemplateRef)
	id := m.TemplateRef.Name + "." + ns
	t := findTemplate(templates, m.TemplateRef.Name, ns)
	if t == nil {
		ck.probeErr = fmt.Sprintf("metric template %s error: metrictemplate.flagger.app %q not found", id, m.TemplateRef.Name)
		ck.failure = "M" + ck.probeErr[1:]
		return ck, nil
	}
	p := t.Spec.Provider
	if !IsPrometheusTemplate(p.Type) {
		return ck, fmt.Errorf("metric %q: template %s: provider %q: %w", m.Name, id, p.Type, ErrUnsupported)
	}
	if _, err := url.Parse(p.Address); p.Address == "" || err != nil {
		ck.probeErr = fmt.Sprintf("metric template %s provider %s error: %s address %s is not a valid URL", id, p.Type, p.Type, p.Address)
		ck.failure = "M" + ck.probeErr[1:]
		return ck, nil
	}
	q, err := RenderTemplateQuery(t.Spec.Query, TemplateModel(c, m))
	if err != nil {
		ck.failure = fmt.Sprintf("Metric template %s query render error: %v", id, err)
		return ck, nil
	}
	ck.query = q
	return ck, nil
}

var spaceRE = regexp.MustCompile(`\s+`)

// RenderTemplateQuery renders a MetricTemplate query as Flagger v1.41.0
// does (pkg/metrics/observers/render.go): a text/template named "tmpl"
// with the model's functions and missingkey=error, with Flagger's error
// wording. Like Flagger's Prometheus client, it collapses every run of
// white space to one space, so multi-line YAML queries read as one line.
func RenderTemplateQuery(query string, model flaggerv1.MetricTemplateModel) (string, error) {
	t, err := template.New("tmpl").Option("missingkey=error").Funcs(model.TemplateFunctions()).Parse(query)
	if err != nil {
		return "", fmt.Errorf("template parsing failed: %w", err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, nil); err != nil {
		return "", fmt.Errorf("template excution failed: %w", err) // sic, Flagger's wording
	}
	return spaceRE.ReplaceAllString(b.String(), " "), nil
}

// TemplateModel is the model Flagger renders a templateRef metric of c
// with: the entry's raw interval (empty stays empty, §8.4) and its
// templateVariables.
func TemplateModel(c *flaggerv1.Canary, m flaggerv1.CanaryMetric) flaggerv1.MetricTemplateModel {
	model := templateModel(c, m.Interval)
	model.Variables = m.TemplateVariables
	return model
}
