package sim_test

import (
	"bytes"
	"context"
	"runtime"
	"testing"
	"time"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"

	"github.com/canarysim/canarysim/engine"
	"github.com/canarysim/canarysim/internal/promadapter"
	"github.com/canarysim/canarysim/reports"
	"github.com/canarysim/canarysim/scenarios"
	"github.com/canarysim/canarysim/sim"
)

const (
	healthyFile = "../testdata/seed/example-healthy.yaml"
	failingFile = "../testdata/seed/example-failing.yaml"
)

func load(t testing.TB, path string) *scenarios.Loaded {
	t.Helper()
	l, err := scenarios.Load(path)
	if err != nil {
		t.Fatalf("loading %s: %v", path, err)
	}
	return l
}

func run(t testing.TB, l *scenarios.Loaded, seed uint64) *sim.Result {
	t.Helper()
	res, err := sim.Run(context.Background(), l, sim.Options{Seed: seed})
	if err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
	return res
}

// analysisTicks are the ticks from the detection tick D on.
func analysisTicks(res *sim.Result) []sim.TickRecord {
	for i, tk := range res.Ticks {
		if tk.T >= 0 {
			return res.Ticks[i:]
		}
	}
	return nil
}

// TestSeedHealthy: for every seed in 1..20 the healthy canary goes 10, 20,
// 30, 40, 50 % one analysis interval apart starting at D+1, is promoted at
// D+6 and Succeeded at D+8 (flagger-semantics §12.1), and the primary ends
// on the new version.
func TestSeedHealthy(t *testing.T) {
	l := load(t, healthyFile)
	interval := time.Minute
	for seed := uint64(1); seed <= 20; seed++ {
		res := run(t, l, seed)
		if res.Outcome != sim.Succeeded {
			t.Fatalf("seed %d: outcome %s, want Succeeded", seed, res.Outcome)
		}
		ticks := analysisTicks(res)
		if len(ticks) != 9 {
			t.Fatalf("seed %d: %d ticks from D, want 9 (D..D+8)", seed, len(ticks))
		}
		d := ticks[0]
		if d.Phase != flaggerv1.CanaryPhaseProgressing || d.Routes.Canary != 0 {
			t.Errorf("seed %d: D is %s at %d%%, want Progressing at 0%%", seed, d.Phase, d.Routes.Canary)
		}
		for k := 1; k <= 5; k++ {
			tk := ticks[k]
			if tk.Routes.Canary != 10*k || tk.T-d.T != time.Duration(k)*interval {
				t.Errorf("seed %d: D+%d weight %d at %s, want %d at D+%s", seed, k, tk.Routes.Canary, tk.T, 10*k, time.Duration(k)*interval)
			}
			if wantChecks := k > 1; (len(tk.Checks) > 0) != wantChecks {
				t.Errorf("seed %d: D+%d has %d checks; metrics must start at D+2", seed, k, len(tk.Checks))
			}
		}
		for k, want := range map[int]flaggerv1.CanaryPhase{6: flaggerv1.CanaryPhasePromoting, 7: flaggerv1.CanaryPhaseFinalising, 8: flaggerv1.CanaryPhaseSucceeded} {
			if ticks[k].Phase != want {
				t.Errorf("seed %d: D+%d phase %s, want %s", seed, k, ticks[k].Phase, want)
			}
		}
		if res.PromotedAt == nil || *res.PromotedAt != ticks[8].T {
			t.Errorf("seed %d: time to promote %v, want %s", seed, res.PromotedAt, ticks[8].T)
		}
		if res.PrimaryVersion != "canary" {
			t.Errorf("seed %d: primary serves %s after promotion", seed, res.PrimaryVersion)
		}
	}
}

// TestSeedFailing: for every seed in 1..20 the canary that degrades at 20 %
// fails three checks in a row at 20 %, then is rolled back: weight back to
// 0, failedChecks reset, primary still on the stable version.
func TestSeedFailing(t *testing.T) {
	l := load(t, failingFile)
	for seed := uint64(1); seed <= 20; seed++ {
		res := run(t, l, seed)
		if res.Outcome != sim.Failed {
			t.Fatalf("seed %d: outcome %s, want Failed", seed, res.Outcome)
		}
		ticks := analysisTicks(res)
		if n := len(ticks); n != 7 {
			t.Fatalf("seed %d: %d ticks from D, want 7 (D..D+6)", seed, n)
		}
		if ticks[2].Routes.Canary != 20 || !ticks[2].CanaryFaulty {
			t.Errorf("seed %d: D+2 at %d%% faulty=%v, want 20%% and faulty", seed, ticks[2].Routes.Canary, ticks[2].CanaryFaulty)
		}
		for k := 3; k <= 5; k++ {
			tk := ticks[k]
			if tk.Status.FailedChecks != k-2 || tk.Routes.Canary != 20 {
				t.Errorf("seed %d: D+%d failedChecks %d weight %d, want %d at 20", seed, k, tk.Status.FailedChecks, tk.Routes.Canary, k-2)
			}
			sr := tk.Checks[0]
			if sr.Verdict != engine.VerdictFail || sr.Value < 97 || sr.Value > 99 {
				t.Errorf("seed %d: D+%d success rate %v %s, want about 98 and fail", seed, k, sr.Value, sr.Verdict)
			}
		}
		last := ticks[6]
		if last.Phase != flaggerv1.CanaryPhaseFailed || last.Routes.Canary != 0 || last.Routes.Primary != 100 || last.Status.FailedChecks != 0 {
			t.Errorf("seed %d: last tick %s %d/%d fc=%d, want Failed 100/0 fc=0", seed, last.Phase, last.Routes.Primary, last.Routes.Canary, last.Status.FailedChecks)
		}
		if res.PrimaryVersion != "stable" {
			t.Errorf("seed %d: primary serves %s, want stable (untouched)", seed, res.PrimaryVersion)
		}
		if g := res.Truth.FaultyCanary; g.Requests == 0 || g.Failed == 0 || res.Truth.PeakFaultyWeight != 20 {
			t.Errorf("seed %d: blast radius %+v peak %d, want requests and failures at 20%%", seed, g, res.Truth.PeakFaultyWeight)
		}
	}
}

// TestFaultRaisesP99: the failing scenario's fault, not scripted values,
// pushes the canary's P99 above 300 ms. With request-duration evaluated
// first, the failing checks show it.
func TestFaultRaisesP99(t *testing.T) {
	l := load(t, failingFile)
	a := l.Canary.Spec.Analysis
	a.Metrics[0], a.Metrics[1] = a.Metrics[1], a.Metrics[0]
	for seed := uint64(1); seed <= 5; seed++ {
		res := run(t, l, seed)
		ticks := analysisTicks(res)
		if ticks[2].Checks[0].Value > 300 {
			t.Errorf("seed %d: P99 %v before the fault, want <= 300", seed, ticks[2].Checks[0].Value)
		}
		for k := 3; k <= 5; k++ {
			ck := ticks[k].Checks[0]
			if ck.Metric != engine.MetricDuration || ck.Value <= 300 || ck.Verdict != engine.VerdictFail {
				t.Errorf("seed %d: D+%d %s=%v %s, want request-duration above 300 failing", seed, k, ck.Metric, ck.Value, ck.Verdict)
			}
		}
	}
}

// TestDeterministic: same files and seed give byte-identical JSON, whether
// the store is fresh or reused, and with GOMAXPROCS 1 or 2.
func TestDeterministic(t *testing.T) {
	for _, f := range []string{healthyFile, failingFile} {
		l := load(t, f)
		var outs [][]byte
		for _, procs := range []int{1, 2} {
			prev := runtime.GOMAXPROCS(procs)
			outs = append(outs, runJSON(t, l, sim.Options{Seed: 7}))
			runtime.GOMAXPROCS(prev)
		}
		store, err := promadapter.Open()
		if err != nil {
			t.Fatal(err)
		}
		_ = runJSON(t, load(t, healthyFile), sim.Options{Seed: 3, Store: store}) // leave another run in the store
		outs = append(outs, runJSON(t, l, sim.Options{Seed: 7, Store: store}))
		if err := store.Close(); err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(outs); i++ {
			if !bytes.Equal(outs[0], outs[i]) {
				t.Errorf("%s: output %d differs from output 0", f, i)
			}
		}
		if bytes.Equal(outs[0], runJSON(t, l, sim.Options{Seed: 8})) {
			t.Errorf("%s: seeds 7 and 8 gave identical output; the seed is not used", f)
		}
	}
}

// runJSON runs l and renders its JSON document.
func runJSON(t *testing.T, l *scenarios.Loaded, opts sim.Options) []byte {
	t.Helper()
	res, err := sim.Run(context.Background(), l, opts)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := reports.WriteJSON(&b, res); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// BenchmarkSeedRun is one full seed-example run in process on the in-memory
// backend, with a metrics store reused across runs as a sweep worker does.
func BenchmarkSeedRun(b *testing.B) {
	for _, tc := range []struct{ name, file string }{{"healthy", healthyFile}, {"failing", failingFile}} {
		b.Run(tc.name, func(b *testing.B) {
			l := load(b, tc.file)
			store, err := promadapter.Open()
			if err != nil {
				b.Fatal(err)
			}
			defer store.Close()
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, err := sim.Run(context.Background(), l, sim.Options{Seed: uint64(i), Store: store}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
