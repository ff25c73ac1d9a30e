package reports_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/canarysim/canarysim/reports"
	"github.com/canarysim/canarysim/scenarios"
	"github.com/canarysim/canarysim/sim"
)

// TestCompareGolden renders a small fixed sweep (three library scenarios ×
// the presets × seeds 1..4) as table and JSON against reviewed goldens.
func TestCompareGolden(t *testing.T) {
	lib, err := scenarios.Library()
	if err != nil {
		t.Fatal(err)
	}
	var scens []*scenarios.Loaded
	for _, l := range lib {
		switch l.Name {
		case "error-spike", "healthy-steady", "latency-regression":
			scens = append(scens, l)
		}
	}
	var cases []*scenarios.Loaded
	var keys []reports.CaseKey
	var inputs []reports.Input
	for _, l := range scens {
		inputs = append(inputs, reports.Input{Scenario: l.Name, File: l.File, Description: l.Description, InputDigest: "sha256:" + l.Digest})
		for _, p := range scenarios.Presets {
			c, err := p.Policy().Apply(l)
			if err != nil {
				t.Fatal(err)
			}
			cases = append(cases, c)
			keys = append(keys, reports.CaseKey{Scenario: l.Name, Policy: p.Name})
		}
	}
	var ms []reports.RunMeasures
	err = sim.Sweep(context.Background(), cases, sim.SweepOptions{Seeds: []uint64{1, 2, 3, 4}, Workers: 2},
		func(j sim.Job, res *sim.Result) error {
			ms = append(ms, reports.Measure(res, keys[j.Case].Policy, cases[j.Case].Expect))
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	doc := reports.NewCompareDoc(4, inputs, reports.Summarise(ms, keys))
	for _, r := range []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"compare.txt", func(b *bytes.Buffer) error { return reports.WriteCompareTable(b, doc) }},
		{"compare.json", func(b *bytes.Buffer) error { return reports.WriteCompareJSON(b, doc) }},
		{"compare.md", func(b *bytes.Buffer) error { return reports.WriteCompareMarkdown(b, doc) }},
		{"compare.csv", func(b *bytes.Buffer) error { return reports.WriteCompareCSV(b, doc) }},
	} {
		t.Run(r.name, func(t *testing.T) {
			var got bytes.Buffer
			if err := r.write(&got); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", r.name), got.Bytes())
		})
	}
}

func TestWilsonAndDistributions(t *testing.T) {
	ms := []reports.RunMeasures{}
	for seed := uint64(1); seed <= 10; seed++ {
		v := reports.VerdictCorrectPromotion
		ttp := float64(seed * 60)
		m := reports.RunMeasures{Scenario: "s", Policy: "p", Seed: seed, Expect: "promote", Verdict: v, TimeToPromote: &ttp}
		if seed > 8 {
			m.Verdict, m.TimeToPromote = reports.VerdictFalseRollback, nil
		}
		ms = append(ms, m)
	}
	s := reports.Summarise(ms, []reports.CaseKey{{Scenario: "s", Policy: "p"}})[0]
	if s.Runs != 10 || s.FalseRollback.Value != 0.2 || s.Promote.Value != 0.8 {
		t.Errorf("rates %+v %+v", s.FalseRollback, s.Promote)
	}
	// Wilson 95 % interval for 2 of 10: [0.057, 0.510].
	if d := s.FalseRollback.Low - 0.0567; d > 0.001 || d < -0.001 {
		t.Errorf("wilson low %v", s.FalseRollback.Low)
	}
	if d := s.FalseRollback.High - 0.5098; d > 0.001 || d < -0.001 {
		t.Errorf("wilson high %v", s.FalseRollback.High)
	}
	if s.TimeToPromote.N != 8 || s.TimeToPromote.P50 != 240 || s.TimeToPromote.Max != 480 {
		t.Errorf("time to promote %+v", s.TimeToPromote)
	}
}

// TestCompareHTML: one self-contained page with the table and three inline
// SVG plots per scenario, nothing loaded from elsewhere.
func TestCompareHTML(t *testing.T) {
	ttp := 300.0
	var runs []reports.RunMeasures
	for seed := uint64(1); seed <= 5; seed++ {
		for _, p := range []string{"balanced", "aggressive"} {
			runs = append(runs, reports.RunMeasures{Scenario: "s", Policy: p, Seed: seed, Expect: "promote",
				Verdict: reports.VerdictCorrectPromotion, TimeToPromote: &ttp, BlastFailed: int64(seed)})
		}
	}
	keys := []reports.CaseKey{{Scenario: "s", Policy: "balanced"}, {Scenario: "s", Policy: "aggressive"}}
	doc := reports.NewCompareDoc(5, []reports.Input{{Scenario: "s", Description: "a <healthy> canary"}}, reports.Summarise(runs, keys))
	traces := []reports.Trace{
		{Scenario: "s", Policy: "balanced", Seed: 1, Points: []reports.TracePoint{{T: 65, Canary: 10}, {T: 125, Canary: 20}}},
		{Scenario: "s", Policy: "aggressive", Seed: 1, Points: []reports.TracePoint{{T: 35, Canary: 20}, {T: 65, Canary: 40}}},
	}
	var b bytes.Buffer
	if err := reports.WriteCompareHTML(&b, doc, runs, traces); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{"<!DOCTYPE html>", "<td>balanced</td>", "<td>aggressive</td>", "a &lt;healthy&gt; canary", "canary weight, representative run", "time to promote (minutes)", "blast radius (failed requests)"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if n := strings.Count(page, "<svg"); n != 3 {
		t.Errorf("%d inline SVG plots, want 3", n)
	}
	for _, external := range []string{"src=", "href=", "<script", "<?xml"} {
		if strings.Contains(page, external) {
			t.Errorf("page is not self-contained: contains %q", external)
		}
	}
}
