package sim_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/canarysim/canarysim/fakecluster/envtesting"
	"github.com/canarysim/canarysim/sim"
)

func TestMain(m *testing.M) { os.Exit(envtesting.Main(m)) }

// scenarioFiles are the seed examples and the scenarios in
// testdata/scenarios and testdata/strategies.
func scenarioFiles(t *testing.T) []string {
	t.Helper()
	more, err := filepath.Glob("../testdata/scenarios/*.yaml")
	if err != nil || len(more) < 3 {
		t.Fatalf("want at least 3 scenarios in testdata/scenarios: %v", err)
	}
	strategies, err := filepath.Glob("../testdata/strategies/*.yaml")
	if err != nil || len(strategies) < 4 {
		t.Fatalf("want at least 4 scenarios in testdata/strategies: %v", err)
	}
	return append(append([]string{healthyFile, failingFile}, more...), strategies...)
}

// TestScenarioOutcomes: every scenario ends as its expect says, for seeds 1..5.
func TestScenarioOutcomes(t *testing.T) {
	for _, f := range scenarioFiles(t) {
		l := load(t, f)
		want := map[string]sim.Outcome{"promote": sim.Succeeded, "rollback": sim.Failed}[l.Expect]
		for seed := uint64(1); seed <= 5; seed++ {
			if res := run(t, l, seed); res.Outcome != want {
				t.Errorf("%s seed %d: outcome %s, want %s", filepath.Base(f), seed, res.Outcome, want)
			}
		}
	}
}

// TestBackendsAgree is the differential test: the in-memory backend and a
// real API server give the same timeline and ground truth (the JSON
// documents differ only in the backend's name).
func TestBackendsAgree(t *testing.T) {
	cp := envtesting.ControlPlane(t)
	for _, f := range scenarioFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			l := load(t, f)
			fake := string(runJSON(t, l, sim.Options{Seed: 3}))
			real := string(runJSON(t, l, sim.Options{Seed: 3, Backend: cp.NewBackend}))
			real = strings.Replace(real, `"backend": "envtest"`, `"backend": "fake"`, 1)
			if fake != real {
				t.Errorf("timelines differ between backends:\n--- fake\n%s\n--- envtest\n%s", fake, real)
			}
		})
	}
}

// BenchmarkSeedRunEnvtest is one seed-example run against a real API server
// that is already started.
func BenchmarkSeedRunEnvtest(b *testing.B) {
	cp := envtesting.ControlPlane(b)
	l := load(b, failingFile)
	for i := 0; b.Loop(); i++ {
		if _, err := sim.Run(context.Background(), l, sim.Options{Seed: uint64(i), Backend: cp.NewBackend}); err != nil {
			b.Fatal(err)
		}
	}
}
