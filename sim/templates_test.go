package sim_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/canarysim/canarysim/engine"
	"github.com/canarysim/canarysim/sim"
)

const (
	templateFile        = "../testdata/templates/example-template.yaml"
	templateFailingFile = "../testdata/templates/example-template-failing.yaml"
)

// TestTemplateExample: a MetricTemplate over a derived app counter passes
// for a healthy canary (promoted) and fails for one answering 5 % errors
// (rolled back on its error-rate check), for every seed in 1..10.
func TestTemplateExample(t *testing.T) {
	healthy, failing := load(t, templateFile), load(t, templateFailingFile)
	for seed := uint64(1); seed <= 10; seed++ {
		if res := run(t, healthy, seed); res.Outcome != sim.Succeeded {
			t.Errorf("seed %d: healthy canary %s, want Succeeded", seed, res.Outcome)
		}
		res := run(t, failing, seed)
		if res.Outcome != sim.Failed {
			t.Fatalf("seed %d: faulty canary %s, want Failed", seed, res.Outcome)
		}
		fails := 0
		for _, tk := range res.Ticks {
			for _, ck := range tk.Checks {
				if ck.Metric == "error-rate" && ck.Verdict == engine.VerdictFail {
					fails++
				}
			}
		}
		if fails != 3 {
			t.Errorf("seed %d: %d failed error-rate checks, want threshold 3", seed, fails)
		}
	}
}

// TestDerivedSeriesFollowDraws: the derived series are the traffic
// generator's own counts, so every template check comparing them with the
// Istio series passes (difference within ±1e-6) and the canary promotes.
func TestDerivedSeriesFollowDraws(t *testing.T) {
	l := load(t, "testdata/derived-equals-istio.yaml")
	for seed := uint64(1); seed <= 5; seed++ {
		res := run(t, l, seed)
		checks := 0
		for _, tk := range res.Ticks {
			for _, ck := range tk.Checks {
				checks++
				if ck.Verdict != engine.VerdictPass {
					t.Errorf("seed %d at %s: %s = %v %s", seed, tk.T, ck.Metric, ck.Value, ck.Verdict)
				}
			}
		}
		if res.Outcome != sim.Succeeded || checks != 15 {
			t.Errorf("seed %d: %s with %d checks, want Succeeded with 15", seed, res.Outcome, checks)
		}
	}
}

// TestLiteralSeries: a series in expanding notation ("1+1x4 _ stale _ _
// 10+1x20", 1m apart from the revision) gives exactly the PromQL answers at
// each tick: max_over_time over 3m skips `_` and the staleness marker; the
// instant selector keeps the last sample through `_` and has no data from
// the marker on until the next sample.
func TestLiteralSeries(t *testing.T) {
	res := run(t, load(t, "testdata/literal-stale.yaml"), 1)
	want := []string{
		"+2m5s max-orders=3 last-orders=3",
		"+3m5s max-orders=4 last-orders=4",
		"+4m5s max-orders=5 last-orders=5",
		"+5m5s max-orders=5 last-orders=5",    // 5m is `_`: the 4m sample is still the last
		"+6m5s max-orders=5 last-orders=none", // stale at 6m
		"+7m5s max-orders=none",               // (4m5s, 7m5s] holds only `_` and the marker
		"+8m5s max-orders=none",
		"+9m5s max-orders=10 last-orders=10",
	}
	var got []string
	for _, tk := range res.Ticks {
		if len(tk.Checks) == 0 {
			continue
		}
		line := fmt.Sprintf("+%s", tk.T)
		for _, ck := range tk.Checks {
			v := "none"
			if ck.HasValue {
				v = fmt.Sprint(ck.Value)
			}
			line += fmt.Sprintf(" %s=%s", ck.Metric, v)
		}
		got = append(got, line)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("checks (-want +got):\n%s", diff)
	}
	if res.Outcome != sim.Succeeded {
		t.Errorf("outcome %s, want Succeeded", res.Outcome)
	}
}

// TestTemplateEmptyInterval reproduces §8.4: a template metric without
// interval renders `[]`, which is invalid PromQL, so the check fails on
// every tick with a query error and the canary is rolled back.
func TestTemplateEmptyInterval(t *testing.T) {
	l := load(t, templateFile)
	c := l.Canary.DeepCopy()
	c.Spec.Analysis.Metrics[0].Interval = ""
	cp := *l
	cp.Canary = c
	res := run(t, &cp, 1)
	if res.Outcome != sim.Failed {
		t.Fatalf("outcome %s, want Failed", res.Outcome)
	}
	errs := 0
	for _, tk := range res.Ticks {
		for _, ck := range tk.Checks {
			if ck.Verdict != engine.VerdictError || !strings.Contains(ck.Query, "[]") {
				t.Errorf("at %s: %s %s query %q, want a query error on [] ", tk.T, ck.Metric, ck.Verdict, ck.Query)
			}
			errs++
		}
		for _, ev := range tk.Events {
			if strings.HasPrefix(ev.Message, "Metric query failed for error-rate: ") {
				errs--
			}
		}
	}
	if errs != 0 {
		t.Errorf("%d query errors without Flagger's event", errs)
	}
	if last := res.Ticks[len(res.Ticks)-1].T; last != 5*time.Minute+5*time.Second {
		t.Errorf("rolled back at %s, want +5m5s (threshold 3, errors from +2m5s)", last)
	}
}
