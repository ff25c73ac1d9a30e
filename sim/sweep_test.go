package sim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/canarysim/canarysim/reports"
	"github.com/canarysim/canarysim/scenarios"
	"github.com/canarysim/canarysim/sim"
)

// sweepMeasures runs a small sweep and returns its measures as JSON, sorted
// by case and seed: the order-independent content of the sweep.
func sweepMeasures(t *testing.T, workers int) []byte {
	t.Helper()
	lib, err := scenarios.Library()
	if err != nil {
		t.Fatal(err)
	}
	var cases []*scenarios.Loaded
	var names []string
	for _, l := range lib[:4] {
		for _, p := range scenarios.Presets {
			c, err := p.Policy().Apply(l)
			if err != nil {
				t.Fatal(err)
			}
			cases = append(cases, c)
			names = append(names, p.Name)
		}
	}
	type rec struct {
		job sim.Job
		m   reports.RunMeasures
	}
	var got []rec
	err = sim.Sweep(context.Background(), cases, sim.SweepOptions{Seeds: []uint64{1, 2, 3}, Workers: workers},
		func(j sim.Job, res *sim.Result) error {
			got = append(got, rec{j, reports.Measure(res, names[j.Case], cases[j.Case].Expect)})
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(cases)*3 {
		t.Fatalf("%d results, want %d", len(got), len(cases)*3)
	}
	slices.SortFunc(got, func(a, b rec) int {
		if a.job.Case != b.job.Case {
			return a.job.Case - b.job.Case
		}
		return int(a.job.Seed) - int(b.job.Seed)
	})
	var b bytes.Buffer
	for _, r := range got {
		line, _ := json.Marshal(r.m)
		b.Write(append(line, '\n'))
	}
	return b.Bytes()
}

// TestSweepIndependentOfWorkers: 1 and 4 workers give the same runs.
func TestSweepIndependentOfWorkers(t *testing.T) {
	one, four := sweepMeasures(t, 1), sweepMeasures(t, 4)
	if !bytes.Equal(one, four) {
		t.Errorf("sweep results differ between 1 and 4 workers:\n%s\n---\n%s", one, four)
	}
}
