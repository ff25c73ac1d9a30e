package sim_test

import (
	"math"
	"os"
	"strings"
	"testing"
	"time"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"

	"github.com/canarysim/canarysim/scenarios"
	"github.com/canarysim/canarysim/sim"
)

const strategies = "../testdata/strategies/"

// promotedTick is the number of analysis intervals from D to Succeeded.
func promotedTick(t *testing.T, res *sim.Result, interval time.Duration) int {
	t.Helper()
	if res.Outcome != sim.Succeeded {
		t.Fatalf("outcome %s, want Succeeded", res.Outcome)
	}
	ticks := analysisTicks(res)
	return int((*res.PromotedAt - ticks[0].T) / interval)
}

// TestABTesting: during the iterations only the matching 5 % of requests
// reach the canary, and the run ends Succeeded at D+N+3 (§12.4).
func TestABTesting(t *testing.T) {
	l := load(t, strategies+"ab-testing.yaml")
	for seed := uint64(1); seed <= 5; seed++ {
		res := run(t, l, seed)
		if got := promotedTick(t, res, time.Minute); got != 13 {
			t.Errorf("seed %d: Succeeded at D+%d, want D+13", seed, got)
		}
		for _, tk := range analysisTicks(res)[1:11] {
			if !tk.MatchOnly || tk.Routes.Canary != 100 {
				t.Fatalf("seed %d: %s routes %+v matchOnly=%v, want 0/100 on matching requests", seed, tk.T, tk.Routes, tk.MatchOnly)
			}
		}
	}
}

// TestABTestingBlastRadius: a faulty A/B canary exposes only the matching
// share of users: its peak weight is the match share.
func TestABTestingBlastRadius(t *testing.T) {
	l := load(t, strategies+"ab-testing.yaml")
	l.Faults = []scenarios.FaultSpec{{Name: "errors", ErrorRate: 0.05}}
	l.Expect = "rollback"
	res := run(t, l, 1)
	if res.Outcome != sim.Failed {
		t.Fatalf("outcome %s, want Failed", res.Outcome)
	}
	g := res.Truth
	if g.PeakFaultyWeight != 5 {
		t.Errorf("peak faulty weight %d%%, want 5%% (the matching share)", g.PeakFaultyWeight)
	}
	// D+1 → rollback at D+4: about 3 minutes of 5 % of 200 rps.
	if want := 0.05 * 200 * 180; math.Abs(float64(g.FaultyCanary.Requests)-want) > 0.3*want {
		t.Errorf("blast radius %d requests, want about %.0f", g.FaultyCanary.Requests, want)
	}
}

// TestBlueGreenMesh: no live traffic moves during the iterations, then
// everything goes to the canary for one more analysis: N+1 analyses,
// Succeeded at D+N+4 (§12.5); the load test reaches the canary throughout.
func TestBlueGreenMesh(t *testing.T) {
	l := load(t, strategies+"blue-green.yaml")
	res := run(t, l, 2)
	if got := promotedTick(t, res, time.Minute); got != 9 {
		t.Errorf("Succeeded at D+%d, want D+9", got)
	}
	ticks := analysisTicks(res)
	analyses := 0
	for i, tk := range ticks {
		if len(tk.Checks) > 0 {
			analyses++
		}
		if wantCanary := i == 6 || i == 7; (tk.Routes.Canary == 100) != wantCanary {
			t.Errorf("D+%d routes %+v", i, tk.Routes)
		}
	}
	if analyses != 6 {
		t.Errorf("%d analyses, want N+1 = 6", analyses)
	}
	if res.Truth.LoadTest.Requests == 0 {
		t.Error("the load test sent no request to the canary")
	}
}

// TestBlueGreenKubernetes: without a router no user reaches the canary
// before promotion; a faulty canary is caught by the load test alone and
// its blast radius is zero.
func TestBlueGreenKubernetes(t *testing.T) {
	l := load(t, strategies+"blue-green-kubernetes.yaml")
	if got := promotedTick(t, run(t, l, 1), time.Minute); got != 14 {
		t.Errorf("Succeeded at D+%d, want D+14 (forced 10 iterations)", got)
	}
	l.Faults = []scenarios.FaultSpec{{Name: "errors", ErrorRate: 0.05}}
	res := run(t, l, 1)
	if res.Outcome != sim.Failed {
		t.Fatalf("faulty canary: outcome %s, want Failed", res.Outcome)
	}
	if g := res.Truth; g.FaultyCanary.Requests != 0 || g.Canary.Requests != 0 || g.LoadTest.Errors == 0 {
		t.Errorf("truth %+v: want no user request on the canary and load-test errors", g)
	}
	for _, tk := range res.Ticks {
		if tk.RouterReady && tk.Routes.Canary != 0 {
			t.Fatalf("%s: live traffic routed to the canary: %+v", tk.T, tk.Routes)
		}
	}
}

// TestMirroring: a bad canary is rolled back during the mirroring stage:
// its failures are in the mirrored tally (half of the live traffic,
// mirrorWeight 50) and no user request reached it.
func TestMirroring(t *testing.T) {
	l := load(t, strategies+"mirroring.yaml")
	for seed := uint64(1); seed <= 5; seed++ {
		res := run(t, l, seed)
		if res.Outcome != sim.Failed {
			t.Fatalf("seed %d: outcome %s, want Failed", seed, res.Outcome)
		}
		g := res.Truth
		if g.FaultyCanary.Requests != 0 || g.Canary.Requests != 0 {
			t.Errorf("seed %d: users reached the canary: %+v", seed, g)
		}
		if g.Mirrored.Errors == 0 {
			t.Errorf("seed %d: no mirrored failures: %+v", seed, g.Mirrored)
		}
		// Mirroring from D+1 to the rollback at D+4: 3 minutes of half of 200 rps.
		if want := 0.5 * 200 * 180; math.Abs(float64(g.Mirrored.Requests)-want) > 0.1*want {
			t.Errorf("seed %d: %d mirrored requests, want about %.0f", seed, g.Mirrored.Requests, want)
		}
		d1 := analysisTicks(res)[1]
		if !d1.Routes.Mirrored || d1.Phase != flaggerv1.CanaryPhaseProgressing {
			t.Errorf("seed %d: D+1 %+v %s, want mirrored", seed, d1.Routes, d1.Phase)
		}
	}
}

// TestSyntheticTrafficKeepsUserDraws: mirrored copies and load tests draw
// from their own random streams, so turning them on leaves the users'
// traffic of the same seed unchanged (the checks are scripted, so both
// runs take the same decisions).
func TestSyntheticTrafficKeepsUserDraws(t *testing.T) {
	data, err := os.ReadFile(strategies + "blue-green.yaml")
	if err != nil {
		t.Fatal(err)
	}
	scripted := strings.Replace(string(data), "  expect: promote\n",
		"  script:\n    metrics:\n    - metric: request-success-rate\n      value: 100\n  expect: promote\n", 1)
	loadBytes := func(doc string) *scenarios.Loaded {
		l, err := scenarios.LoadBytes(strategies+"blue-green.yaml", []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	with := loadBytes(scripted)
	without := loadBytes(strings.Replace(scripted, "loadTestRPS: 20", "loadTestRPS: 0", 1))
	a, b := run(t, with, 4), run(t, without, 4)
	if a.Truth.LoadTest.Requests == 0 || b.Truth.LoadTest.Requests != 0 {
		t.Fatalf("load tests: %d with, %d without", a.Truth.LoadTest.Requests, b.Truth.LoadTest.Requests)
	}
	if a.Truth.Stable != b.Truth.Stable || a.Truth.Canary != b.Truth.Canary {
		t.Errorf("user traffic differs with a load test:\n%+v\n%+v", a.Truth, b.Truth)
	}
}
