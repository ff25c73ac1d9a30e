package scenarios_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	l, err := scenarios.Load("testdata/multidoc.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
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
	in, err := scenarios.Load("testdata/inline.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
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
			"canary.bad.yaml:22:17: spec.analysis.iterations: A/B testing and blue/green",
			"canary.bad.yaml:23:23: spec.analysis.stepWeights[1]: must be between 0 and 100, got 150",
			`canary.bad.yaml:25:15: spec.analysis.metrics[0].name: "error-budget" is not a builtin metric`,
			`canary.bad.yaml:27:19: spec.analysis.metrics[1].interval: "1 minute" is not a PromQL duration`,
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
	l, err := scenarios.Load("../testdata/seed/example-healthy.yaml")
	if err != nil {
		t.Fatal(err)
	}
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
	a := grid[3].Apply(l).Canary.Spec.Analysis
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
	for _, bad := range []string{"analysis.foo=1", "stepWeight=5", "analysis.threshold=-1", "analysis.interval=1 minute"} {
		if _, err := scenarios.ParseSet(bad); err == nil {
			t.Errorf("ParseSet(%q) accepted", bad)
		}
	}
	if _, err := scenarios.ParsePolicy("reckless"); err == nil {
		t.Error("unknown preset accepted")
	}
}
