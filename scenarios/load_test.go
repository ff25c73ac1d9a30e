package scenarios_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/canarysim/canarysim/scenarios"
)

func TestLoadGood(t *testing.T) {
	files, err := filepath.Glob("testdata/*.good.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no good files: %v", err)
	}
	files = append(files, "../testdata/seed/example-healthy.yaml", "../testdata/seed/example-failing.yaml")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			l, err := scenarios.Load(f)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if l.Canary == nil || l.Target == nil || l.Digest == "" {
				t.Fatalf("incomplete: canary %v target %v digest %q", l.Canary != nil, l.Target != nil, l.Digest)
			}
			if l.Target.Name != l.Canary.Spec.TargetRef.Name {
				t.Errorf("target %s, canary targets %s", l.Target.Name, l.Canary.Spec.TargetRef.Name)
			}
		})
	}
}

func TestLoadDefaultsAndValues(t *testing.T) {
	l := mustLoad(t, "testdata/multidoc.good.yaml")
	if l.Canary.Namespace != "shop" || l.Target.Namespace != "shop" || *l.Target.Spec.Replicas != 3 {
		t.Errorf("embedded objects not used: canary ns %s, target ns %s", l.Canary.Namespace, l.Target.Namespace)
	}
	if got := l.NewTemplate.Spec.Containers[0].Image; got != "ghcr.io/acme/web:2.0.0" {
		t.Errorf("revision image %s", got)
	}
	if l.RevisionAt != 5*time.Minute || l.Horizon != scenarios.DefaultHorizon || l.ScrapeInterval != 15*time.Second {
		t.Errorf("durations: revision %s horizon %s scrape %s", l.RevisionAt, l.Horizon, l.ScrapeInterval)
	}
	if len(l.Warnings) != 1 || !strings.Contains(l.Warnings[0], "spec.analysis.webhooks[0]") || !strings.Contains(l.Warnings[0], "multidoc.good.yaml:31") {
		t.Errorf("want one positioned warning for the webhook, got %q", l.Warnings)
	}
	in := mustLoad(t, "testdata/inline.good.yaml")
	if in.Canary.Namespace != "default" || in.Target.Spec.Template.Spec.Containers[0].Image != "app:stable" {
		t.Errorf("defaults: namespace %s image %s", in.Canary.Namespace, in.Target.Spec.Template.Spec.Containers[0].Image)
	}
	if in.NewTemplate.Annotations[scenarios.RevisionAnnotation] == "" {
		t.Error("new template has no revision annotation")
	}
	f := in.Faults[0]
	if f.Start != 2*time.Minute || f.End != 10*time.Minute || f.Ramp != time.Minute || f.LatencyFraction != 0.1 || f.AddedLatency != 200*time.Millisecond {
		t.Errorf("fault %+v", f)
	}
	if in.New.ErrorRate != 0.001 || in.New.RolloutDelay != time.Minute || in.Stable.RolloutDelay != scenarios.DefaultRolloutDelay {
		t.Errorf("behaviour stable %+v canary %+v", in.Stable, in.New)
	}
}

// TestLoadTemplatesAndSeries: MetricTemplates from a file, inline and a
// document, defaulted to the Canary's namespace and part of the digest;
// series resolved with their placeholders and expanding notation.
func TestLoadTemplatesAndSeries(t *testing.T) {
	l := mustLoad(t, "testdata/templates.good.yaml")
	var names []string
	for _, tpl := range l.Templates {
		names = append(names, tpl.Namespace+"/"+tpl.Name)
	}
	if got := strings.Join(names, " "); got != "shop/latency shop/orders shop/errors" {
		t.Errorf("templates %s", got)
	}
	if len(l.Warnings) != 1 || !strings.Contains(l.Warnings[0], `templates.good.yaml:15: spec.metricTemplates[1].inline.spec.provider.secretRef: secret "prom-auth" is not read`) {
		t.Errorf("warnings %q", l.Warnings)
	}
	d := l.Derived[0]
	if d.Name != "orders_total" || d.Count != scenarios.CountSuccesses || d.Factor != 0.3 || d.ByStatus || len(d.Labels) != 3 || d.Labels[2] != (scenarios.SeriesLabel{Name: "version", Value: "{{version}}"}) {
		t.Errorf("derived %+v", d)
	}
	lit := l.Literal[0]
	want := []scenarios.SeriesPoint{{Value: 0}, {Value: 1}, {Value: 2}, {Value: 3}, {Omitted: true}, {Stale: true}, {Value: 7}}
	if len(lit.Points) != len(want) || lit.Start != 2*time.Minute || lit.Interval != l.ScrapeInterval || strings.Join(lit.Labels, ",") != "__name__,checkout_errors_total,app,web" {
		t.Fatalf("literal %+v", lit)
	}
	for i, p := range lit.Points {
		if p.Omitted != want[i].Omitted || p.Stale != want[i].Stale || (!p.Stale && p.Value != want[i].Value) {
			t.Errorf("point %d = %+v, want %+v", i, p, want[i])
		}
	}
	// The referenced template file is part of the digest.
	dir := t.TempDir()
	for _, f := range []string{"templates.good.yaml", "template-latency.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tplFile := filepath.Join(dir, "template-latency.yaml")
	before := mustLoad(t, filepath.Join(dir, "templates.good.yaml"))
	f, err := os.OpenFile(tplFile, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString("# changed\n")
	_ = f.Close()
	after := mustLoad(t, filepath.Join(dir, "templates.good.yaml"))
	if before.Digest != l.Digest || after.Digest == before.Digest {
		t.Errorf("digest ignores the template file: %s %s %s", l.Digest, before.Digest, after.Digest)
	}
}

// TestLoadBad checks that every problem of each bad file is reported at
// once, with file, line and field path.
func TestLoadBad(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{file: "unknown-fields.bad.yaml", want: []string{
			"unknown-fields.bad.yaml:17:11: spec.canary.inline.spec.analysis.stepweight: unknown field",
			"unknown-fields.bad.yaml:19:5: spec.traffic.rsp: unknown field",
			"unknown-fields.bad.yaml:19:5: spec.traffic: set exactly one of rps, diurnal or steps",
		}},
		{file: "values.bad.yaml", want: []string{
			`values.bad.yaml:8:12: spec.horizon: "10 minutes" is not a duration`,
			"values.bad.yaml:13:21: spec.versions.stable.errorPercent: must be a percentage between 0 and 100, got 150",
			"values.bad.yaml:16:33: spec.versions.canary.latency.p99: must be greater than p50",
			"values.bad.yaml:18:7: spec.faults[0]: set start or whenWeight, not both",
			"values.bad.yaml:21:7: spec.faults[1]: a fault needs errorPercent, addedLatency or crashLoop",
			`values.bad.yaml:22:11: spec.expect: "maybe": want promote or rollback`,
		}},
		{file: "missing-file.bad.yaml", want: []string{
			"missing-file.bad.yaml:7:11: spec.canary.file: reading testdata/does-not-exist.yaml",
		}},
		{file: "types.bad.yaml", want: []string{
			"types.bad.yaml:9:10: spec.traffic.rps: cannot use a string here, want float64",
		}},
		{file: "canary.bad.yaml", want: []string{
			"canary.bad.yaml:16:13: spec.provider: the skipper router needs spec.ingressRef",
			`canary.bad.yaml:17:42: spec.targetRef.kind: "DaemonSet" is not simulated`,
			`canary.bad.yaml:20:15: spec.analysis.interval: "1 minute" is not a duration`,
			"canary.bad.yaml:22:17: spec.analysis.iterations: must not be negative, got -1",
			"canary.bad.yaml:23:23: spec.analysis.stepWeights[1]: must be between 0 and 100, got 150",
			`canary.bad.yaml:25:15: spec.analysis.metrics[0].name: "error-budget" is not a builtin metric`,
			`canary.bad.yaml:27:19: spec.analysis.metrics[1].interval: "1 minute" is not a PromQL duration`,
		}},
		{file: "strategy.bad.yaml", want: []string{
			"strategy.bad.yaml:23:19: spec.analysis.mirrorWeight: must be a percentage between 0 and 100, got 150",
			"strategy.bad.yaml:6:12: spec.traffic: matchPercent is required: the Canary routes by spec.analysis.match",
		}},
		{file: "script.bad.yaml", want: []string{
			`script.bad.yaml:11:15: spec.script.metrics[0].metric: the Canary has no metric named "error-rate"`,
			"script.bad.yaml:15:14: spec.script.metrics[1].ticks: set ticks or from/until, not both",
			"script.bad.yaml:18:7: spec.script.metrics[2]: set exactly one of value, noData, nan or error",
			`script.bad.yaml:19:14: spec.script.metrics[2].ticks: "5..4": the range ends before it starts`,
			"script.bad.yaml:24:14: spec.script.readiness[0].ready: workloads are ready by default",
			`script.bad.yaml:25:17: spec.script.readiness[1].workload: "baseline": want canary or primary`,
			"script.bad.yaml:28:7: spec.script.revisions[0]: set image or revert: true, exactly one",
			`script.bad.yaml:32:13: spec.script.webhooks[0].hook: the Canary has no webhook named "approve"`,
			`script.bad.yaml:35:15: spec.script.webhooks[1].answer: "maybe": want pass, fail or timeout`,
			`script.bad.yaml:36:13: spec.script.webhooks[2].hook: "events" is an event hook`,
			`script.bad.yaml:55:45: spec.analysis.webhooks[2].timeout: "10 seconds" is not a duration`,
		}},
		{file: "templates.bad.yaml", want: []string{
			`templates.bad.yaml:10:28: spec.metricTemplates[0].inline.spec.provider.type: provider "datadog" is not simulated`,
			`templates.bad.yaml:14:26: spec.metricTemplates[1].inline.spec.provider.address: "" is not a valid URL`,
			"templates.bad.yaml:17:72: spec.metricTemplates[2].inline.spec.querry: unknown field",
			"templates.bad.yaml:26:18: spec.provider.type: required (Flagger's CRD requires it)",
			"templates.bad.yaml:39:37: spec.analysis.metrics[0].templateRef: MetricTemplate default/missing is not loaded",
			"templates.bad.yaml:40:36: spec.analysis.metrics[1].templateRef: MetricTemplate elsewhere/notype is not loaded",
		}},
		{file: "series.bad.yaml", want: []string{
			`series.bad.yaml:13:15: spec.series[0].values: series "orders_total{app=\"web\"}" values "0+10x5 oops": 1:32: parse error: unexpected identifier "oops"`,
			`series.bad.yaml:15:21: spec.series[1].labels.pod: unknown placeholder "{{ pod }}"`,
			`series.bad.yaml:15:39: spec.series[1].labels.__x: "__x" is not a label name`,
			`series.bad.yaml:16:14: spec.series[1].count: "failures": want requests, errors or successes`,
			"series.bad.yaml:17:13: spec.series[2].name: istio_requests_total is written by the simulated mesh already",
			"series.bad.yaml:20:14: spec.series[3].start: -10m is before the Canary was created",
			"series.bad.yaml:21:7: spec.series[4]: name, labels, count and factor belong to derived series",
			"series.bad.yaml:21:7: spec.series[4].series: required with values",
		}},
		{file: "listtype.bad.yaml", want: []string{
			"listtype.bad.yaml:24:16: spec.analysis.webhooks[1].timeout: cannot use a number here, want string",
		}},
		{file: "syntax.bad.yaml", want: []string{"syntax.bad.yaml:5: line 5: did not find expected ',' or '}'"}},
		{file: "nokind.bad.yaml", want: []string{
			`nokind.bad.yaml:2:7: kind: unsupported document "v1 ConfigMap"`,
			"nokind.bad.yaml: no canarysim.dev/v1alpha1 Scenario document found",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := scenarios.Load(filepath.Join("testdata", tt.file))
			if err == nil {
				t.Fatal("Load succeeded, want errors")
			}
			if !errors.Is(err, scenarios.ErrInput) {
				t.Errorf("error does not match ErrInput: %v", err)
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("missing %q in:\n%s", w, msg)
				}
			}
			if n := strings.Count(msg, "\n") + 1; n != len(tt.want) {
				t.Errorf("%d errors reported, want %d:\n%s", n, len(tt.want), msg)
			}
		})
	}
}

// TestLoadScript: spec.script is resolved into typed rules.
func TestLoadScript(t *testing.T) {
	l := mustLoad(t, "../testdata/conformance/rollout-hook-timeout.yaml")
	want := scenarios.Script{
		Metrics: []scenarios.MetricRule{{Metric: "request-success-rate", Outcome: scenarios.MetricValue, Value: 100}},
		Webhooks: []scenarios.WebhookRule{
			{Hook: "load-test", Window: scenarios.Window{Ticks: []scenarios.TickRange{{First: 2, Last: 2}}}, Answer: scenarios.HookTimeout},
			{Hook: "load-test", Window: scenarios.Window{Ticks: []scenarios.TickRange{{First: 4, Last: 4}}}, Answer: scenarios.HookFail},
		},
	}
	if diff := cmp.Diff(want, l.Script); diff != "" {
		t.Errorf("script (-want +got):\n%s", diff)
	}
	r := mustLoad(t, "../testdata/conformance/restart-on-new-revision.yaml")
	if revs := r.Script.Revisions; len(revs) != 1 || revs[0].At != 3*time.Minute || revs[0].Template.Spec.Containers[0].Image != "podinfo:v3" {
		t.Errorf("revisions %+v", revs)
	}
	if w := r.Script.Webhooks[0].Window; w.Ticks != nil || w.From != time.Minute || w.Until != 0 {
		t.Errorf("from/until window %+v", w)
	}
}

// FuzzLoadBytes: no input makes Load panic.
func FuzzLoadBytes(f *testing.F) {
	for _, s := range []string{"", "a: [", "apiVersion: canarysim.dev/v1alpha1\nkind: Scenario\nspec: {traffic: {rps: -1}}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = scenarios.LoadBytes("fuzz.yaml", data)
	})
}

// TestLibrary: every built-in scenario loads, says what it expects and has
// a description.
func TestLibrary(t *testing.T) {
	lib, err := scenarios.Library()
	if err != nil {
		t.Fatal(err)
	}
	if len(lib) < 9 {
		t.Fatalf("%d built-in scenarios, want at least 9", len(lib))
	}
	for _, l := range lib {
		if l.Expect == "" || l.Description == "" {
			t.Errorf("%s: expect %q description %q", l.Name, l.Expect, l.Description)
		}
	}
}

func TestPolicies(t *testing.T) {
	l := mustLoad(t, "../testdata/seed/example-healthy.yaml")
	p, err := scenarios.ParsePolicy("conservative")
	if err != nil {
		t.Fatal(err)
	}
	sets, err := scenarios.ParseSet("analysis.stepWeight=5,10")
	if err != nil {
		t.Fatal(err)
	}
	th, err := scenarios.ParseSet("analysis.threshold=2,3")
	if err != nil {
		t.Fatal(err)
	}
	grid := scenarios.Grid([]scenarios.Policy{p}, [][]scenarios.Override{sets, th})
	if len(grid) != 4 || grid[3].Name != "conservative stepWeight=10 threshold=3" {
		t.Fatalf("grid %v", grid)
	}
	applied, err := grid[3].Apply(l)
	if err != nil {
		t.Fatal(err)
	}
	a := applied.Canary.Spec.Analysis
	if a.Interval != "2m" || a.MaxWeight != 30 || a.StepWeight != 10 || a.Threshold != 3 || len(a.Metrics) != 2 {
		t.Errorf("applied analysis %+v", a)
	}
	if l.Canary.Spec.Analysis.StepWeight != 10 || l.Canary.Spec.Analysis.Interval != "1m" {
		t.Error("Apply modified the scenario")
	}
	fromFile, err := scenarios.ParsePolicy("../testdata/seed/canary.yaml")
	if err != nil || fromFile.Analysis == nil || fromFile.Analysis.Threshold != 3 {
		t.Errorf("policy from a Canary file: %+v %v", fromFile, err)
	}
	it, err := scenarios.ParseSet("analysis.iterations=4")
	if err != nil {
		t.Fatal(err)
	}
	mw, err := scenarios.ParseSet("analysis.mirrorWeight=25")
	if err != nil {
		t.Fatal(err)
	}
	bgl, err := scenarios.Grid([]scenarios.Policy{{Name: "bg"}}, [][]scenarios.Override{it, mw})[0].Apply(l)
	if err != nil {
		t.Fatal(err)
	}
	bg := bgl.Canary.Spec.Analysis
	if bg.Iterations != 4 || bg.MirrorWeight != 25 {
		t.Errorf("iterations/mirrorWeight overrides: %+v", bg)
	}
	for _, bad := range []string{"analysis.foo=1", "stepWeight=5", "analysis.threshold=-1", "analysis.interval=1 minute", "analysis.mirrorWeight=150"} {
		if _, err := scenarios.ParseSet(bad); err == nil {
			t.Errorf("ParseSet(%q) accepted", bad)
		}
	}
	if _, err := scenarios.ParsePolicy("reckless"); err == nil {
		t.Error("unknown preset accepted")
	}
}

// TestLoadWarnsUnmodelledFields: every Canary field the simulator does not
// model is named in a positioned warning.
func TestLoadWarnsUnmodelledFields(t *testing.T) {
	l := mustLoad(t, filepath.Join("testdata", "unmodelled.good.yaml"))
	got := strings.Join(l.Warnings, "\n")
	for _, want := range []string{
		"unmodelled.good.yaml:16: spec.metricsServer: never contacted",
		"unmodelled.good.yaml:18: spec.autoscalerRef: autoscalers are not simulated",
		"unmodelled.good.yaml:19: spec.revertOnDeletion: scenarios never delete the Canary",
		"unmodelled.good.yaml:22: spec.service.timeout: request timeouts are not simulated",
		"unmodelled.good.yaml:23: spec.service.retries: mesh retries are not simulated",
		"unmodelled.good.yaml:28: spec.analysis.sessionAffinity: session affinity is not simulated",
		`unmodelled.good.yaml:30: spec.analysis.alerts[0].severity: alert "on-call" has no severity`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing warning %q in:\n%s", want, got)
		}
	}
	if len(l.Warnings) != 7 {
		t.Errorf("%d warnings, want 7:\n%s", len(l.Warnings), got)
	}
}

// TestPolicyAddingMatchNeedsMatchPercent: a policy that turns a Canary into
// an A/B test cannot run on a scenario that does not say what share of the
// traffic matches; one that does can.
func TestPolicyAddingMatchNeedsMatchPercent(t *testing.T) {
	ab, err := scenarios.ParsePolicy("../testdata/strategies/ab-testing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	healthy := mustLoad(t, "../testdata/seed/example-healthy.yaml")
	if _, err := ab.Apply(healthy); !errors.Is(err, scenarios.ErrInput) || !strings.Contains(err.Error(), "does not set spec.traffic.matchPercent") {
		t.Errorf("Apply = %v, want an input error about matchPercent", err)
	}
	abScenario := mustLoad(t, "../testdata/strategies/ab-testing.yaml")
	if _, err := ab.Apply(abScenario); err != nil {
		t.Errorf("Apply on a scenario with matchPercent: %v", err)
	}
}

// TestStrategyWarningsFollowOverride: the strategy warnings use the
// effective provider, the scenario's override included.
func TestStrategyWarningsFollowOverride(t *testing.T) {
	data, err := os.ReadFile("../testdata/strategies/mirroring.yaml")
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(strings.Replace(string(data), "  revision:\n", "  provider: linkerd\n  revision:\n", 1))
	l, err := scenarios.LoadBytes("mirroring.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(l.Warnings, "\n")
	if !strings.Contains(got, "spec.analysis.mirror: the linkerd router does not mirror traffic") {
		t.Errorf("warnings lack the linkerd mirror warning:\n%s", got)
	}
}

// TestSeriesReservedPerProvider: a scenario may not write a series the
// builtin queries of its provider read.
func TestSeriesReservedPerProvider(t *testing.T) {
	doc := `apiVersion: canarysim.dev/v1alpha1
kind: Scenario
metadata: {name: collide}
spec:
  provider: linkerd
  traffic: {rps: 10}
  versions:
    stable: {latency: {p50: 10ms, p99: 50ms}}
    canary: {latency: {p50: 10ms, p99: 50ms}}
  series:
    - name: response_total
      labels: {pod: "{{ workload }}"}
    - name: istio_requests_total
      labels: {pod: "{{ workload }}"}
---
apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: app}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: app}
  service: {port: 8080}
  analysis: {interval: 1m, threshold: 2, stepWeight: 10}
`
	_, err := scenarios.LoadBytes("collide.yaml", []byte(doc))
	if !errors.Is(err, scenarios.ErrInput) || !strings.Contains(err.Error(), "collide.yaml:11:13: spec.series[0].name: response_total is written by the simulated mesh already (the linkerd builtin queries read it)") {
		t.Errorf("err = %v, want the linkerd series reserved", err)
	}
	if strings.Contains(err.Error(), "istio_requests_total") {
		t.Errorf("istio series are free with linkerd: %v", err)
	}
}

// TestScriptBounds: tick indexes beyond any run and negative webhook
// retries are input errors.
func TestScriptBounds(t *testing.T) {
	doc := `apiVersion: canarysim.dev/v1alpha1
kind: Scenario
metadata: {name: bounds}
spec:
  traffic: {rps: 10}
  versions:
    stable: {latency: {p50: 10ms, p99: 50ms}}
    canary: {latency: {p50: 10ms, p99: 50ms}}
  script:
    webhooks:
    - hook: gate
      ticks: "0..9223372036854775807"
      answer: fail
---
apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: app}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: app}
  service: {port: 8080}
  analysis:
    interval: 1m
    threshold: 2
    stepWeight: 10
    webhooks:
    - {name: gate, type: confirm-promotion, url: "http://gate/", retries: -1}
`
	_, err := scenarios.LoadBytes("bounds.yaml", []byte(doc))
	for _, want := range []string{
		`bounds.yaml:12:14: spec.script.webhooks[0].ticks: "0..9223372036854775807": tick indexes stop at 259200`,
		"bounds.yaml:26:75: spec.analysis.webhooks[0].retries: must not be negative, got -1",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	}
}

// mustLoad loads a scenario that must be valid.
func mustLoad(t *testing.T, path string) *scenarios.Loaded {
	t.Helper()
	l, err := scenarios.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
