package engine

import (
	"errors"
	"testing"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// compiled is what a test compares of one compiled check.
type compiled struct {
	Metric  string
	Kind    metricKind
	Query   string
	Failure string
}

func mtemplate(name, ns, provider, address, query string) *flaggerv1.MetricTemplate {
	return &flaggerv1.MetricTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: flaggerv1.MetricTemplateSpec{
			Provider: flaggerv1.MetricTemplateProvider{Type: provider, Address: address},
			Query:    query,
		},
	}
}

func ref(name, ns string) *flaggerv1.CrossNamespaceObjectReference {
	return &flaggerv1.CrossNamespaceObjectReference{Name: name, Namespace: ns}
}

// TestCompileTemplateMetrics checks pass 2 of flagger-semantics §8.1: the
// model Flagger renders with, the raw interval (§8.4), the lookup
// namespace, and the failures Flagger reports on every tick.
func TestCompileTemplateMetrics(t *testing.T) {
	const prom = "http://prometheus.istio-system:9090"
	all := mtemplate("all", "shop", "prometheus", prom,
		"{{ name }} {{ namespace }} {{ target }} {{ service }}\n  {{ ingress }} {{ route }} [{{ interval }}] {{ variables.code }}")
	errs := mtemplate("errors", "shop", "prometheus", prom, `sum(rate(http_requests_total{app="{{ target }}",status=~"{{ variables.code }}"}[{{ interval }}]))`)
	global := mtemplate("errors", "flagger-system", "", prom, `sum(errors_total{ns="{{ namespace }}"})`)
	noAddr := mtemplate("noaddr", "shop", "prometheus", "", `up`)
	dd := mtemplate("dd", "shop", "datadog", "https://api.datadoghq.com", `avg:errors{*}`)
	tpls := []*flaggerv1.MetricTemplate{all, errs, global, noAddr, dd}
	vars := map[string]string{"code": "5.."}
	tests := []struct {
		name    string
		metric  flaggerv1.CanaryMetric
		want    []compiled
		wantErr error
	}{
		{name: "every model function", metric: flaggerv1.CanaryMetric{Name: "m", Interval: "2m", TemplateRef: ref("all", ""), TemplateVariables: vars},
			want: []compiled{{Metric: "m", Kind: kindTemplate, Query: "podinfo shop podinfo podinfo-svc podinfo podinfo [2m] 5.."}}},
		{name: "empty interval renders empty (§8.4)", metric: flaggerv1.CanaryMetric{Name: "m", TemplateRef: ref("errors", "shop"), TemplateVariables: vars},
			want: []compiled{{Metric: "m", Kind: kindTemplate, Query: `sum(rate(http_requests_total{app="podinfo",status=~"5.."}[]))`}}},
		{name: "ref namespace wins", metric: flaggerv1.CanaryMetric{Name: "m", TemplateRef: ref("errors", "flagger-system")},
			want: []compiled{{Metric: "m", Kind: kindTemplate, Query: `sum(errors_total{ns="shop"})`}}},
		{name: "missing variable fails every tick", metric: flaggerv1.CanaryMetric{Name: "m", Interval: "1m", TemplateRef: ref("errors", "")},
			want: []compiled{{Metric: "m", Kind: kindTemplate, Failure: `Metric template errors.shop query render error: template excution failed: template: tmpl:1:60: executing "tmpl" at <variables>: map has no entry for key "code"`}}},
		{name: "template not found", metric: flaggerv1.CanaryMetric{Name: "m", TemplateRef: ref("nope", "")},
			want: []compiled{{Metric: "m", Kind: kindTemplate, Failure: `Metric template nope.shop error: metrictemplate.flagger.app "nope" not found`}}},
		{name: "empty address", metric: flaggerv1.CanaryMetric{Name: "m", TemplateRef: ref("noaddr", "")},
			want: []compiled{{Metric: "m", Kind: kindTemplate, Failure: "Metric template noaddr.shop provider prometheus error: prometheus address  is not a valid URL"}}},
		{name: "builtin name and templateRef run twice", metric: flaggerv1.CanaryMetric{Name: MetricSuccessRate, TemplateRef: ref("errors", "flagger-system")},
			want: []compiled{
				{Metric: MetricSuccessRate, Kind: kindSuccessRate, Query: `sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="shop",destination_workload=~"podinfo",response_code!~"5.*"}[1m])) / sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="shop",destination_workload=~"podinfo"}[1m])) * 100`},
				{Metric: MetricSuccessRate, Kind: kindTemplate, Query: `sum(errors_total{ns="shop"})`},
			}},
		{name: "other providers are not simulated", metric: flaggerv1.CanaryMetric{Name: "m", TemplateRef: ref("dd", "")}, wantErr: ErrUnsupported},
	}
	c := &flaggerv1.Canary{
		ObjectMeta: metav1.ObjectMeta{Name: "podinfo", Namespace: "shop"},
		Spec: flaggerv1.CanarySpec{
			TargetRef: flaggerv1.LocalObjectReference{Kind: "Deployment", Name: "podinfo"},
			Service:   flaggerv1.CanaryService{Name: "podinfo-svc"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checks, err := compileMetrics(c, &flaggerv1.CanaryAnalysis{Metrics: []flaggerv1.CanaryMetric{tt.metric}}, tpls)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			var got []compiled
			for _, ck := range checks {
				got = append(got, compiled{Metric: ck.spec.Name, Kind: ck.kind, Query: ck.query, Failure: ck.failure})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("checks (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTemplateVerdicts checks the pass/fail rule of template metrics
// (§8.2: the legacy threshold is a maximum) and Flagger's messages.
func TestTemplateVerdicts(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		name string
		spec flaggerv1.CanaryMetric
		v    float64
		want string
	}{
		{name: "legacy threshold is a maximum", spec: flaggerv1.CanaryMetric{Name: "errors", Threshold: 5}, v: 6, want: "Halt podinfo.shop advancement errors 6.00 > 5"},
		{name: "threshold bound inclusive", spec: flaggerv1.CanaryMetric{Name: "errors", Threshold: 5}, v: 5},
		{name: "range min", spec: flaggerv1.CanaryMetric{Name: "orders", ThresholdRange: &flaggerv1.CanaryThresholdRange{Min: f(10)}}, v: 9.5, want: "Halt podinfo.shop advancement orders 9.50 < 10"},
		{name: "range max", spec: flaggerv1.CanaryMetric{Name: "orders", ThresholdRange: &flaggerv1.CanaryThresholdRange{Max: f(10)}}, v: 11, want: "Halt podinfo.shop advancement orders 11.00 > 10"},
		{name: "no bound fails any positive value", spec: flaggerv1.CanaryMetric{Name: "errors"}, v: 0.1, want: "Halt podinfo.shop advancement errors 0.10 > 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := metricCheck{spec: tt.spec, kind: kindTemplate}
			if got := m.breach(tt.v, "podinfo.shop"); got != tt.want {
				t.Errorf("breach = %q, want %q", got, tt.want)
			}
		})
	}
}
