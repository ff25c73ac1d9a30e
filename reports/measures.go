package reports

import (
	"cmp"
	"math"
	"slices"
	"time"

	"gonum.org/v1/gonum/stat"

	"github.com/canarysim/canarysim/sim"
)

// Verdicts compare a run's outcome with the scenario's ground truth.
const (
	VerdictCorrectPromotion = "correct-promotion"
	VerdictCorrectRollback  = "correct-rollback"
	VerdictFalseRollback    = "false-rollback" // healthy canary rolled back
	VerdictEscape           = "escape"         // faulty canary promoted
	VerdictIncomplete       = "incomplete"     // no decision within the horizon
	VerdictUnknown          = "no-expectation" // the scenario states no ground truth
)

// RunMeasures are the measures of one run (DESIGN.md §7). Times are seconds
// since the revision; nil when not applicable.
type RunMeasures struct {
	Scenario         string   `json:"scenario"`
	Policy           string   `json:"policy"`
	Seed             uint64   `json:"seed"`
	Outcome          string   `json:"outcome"`
	Expect           string   `json:"expect"`
	Verdict          string   `json:"verdict"`
	TimeToPromote    *float64 `json:"timeToPromoteSeconds"`
	TimeToRollback   *float64 `json:"timeToRollbackSeconds"`
	TimeToDetect     *float64 `json:"timeToDetectSeconds"`
	CanaryExposure   int64    `json:"canaryExposure"`
	BlastRequests    int64    `json:"blastRadiusRequests"`
	BlastFailed      int64    `json:"blastRadiusFailed"`
	PeakFaultyWeight int      `json:"peakFaultyWeight"`
}

// Measure computes a run's measures. time-to-detect runs from the first
// moment a fault is active on the canary to the rollback.
func Measure(res *sim.Result, policy, expect string) RunMeasures {
	g := res.Truth
	m := RunMeasures{
		Scenario: res.Scenario, Policy: policy, Seed: res.Seed, Outcome: string(res.Outcome), Expect: expect,
		Verdict:        verdict(res.Outcome, expect),
		TimeToPromote:  optSeconds(res.PromotedAt),
		TimeToRollback: optSeconds(res.RolledBackAt),
		CanaryExposure: g.Canary.Requests, BlastRequests: g.FaultyCanary.Requests, BlastFailed: g.FaultyCanary.Failed,
		PeakFaultyWeight: g.PeakFaultyWeight,
	}
	if res.RolledBackAt != nil && res.FaultStartedAt != nil && *res.FaultStartedAt <= *res.RolledBackAt {
		d := *res.RolledBackAt - *res.FaultStartedAt
		m.TimeToDetect = optSeconds(&d)
	}
	return m
}

func verdict(o sim.Outcome, expect string) string {
	switch {
	case o == sim.Incomplete:
		return VerdictIncomplete
	case expect == "":
		return VerdictUnknown
	case expect == "promote" && o == sim.Succeeded:
		return VerdictCorrectPromotion
	case expect == "promote":
		return VerdictFalseRollback
	case o == sim.Failed:
		return VerdictCorrectRollback
	default:
		return VerdictEscape
	}
}

// Rate is a proportion with its 95 % Wilson score interval.
type Rate struct {
	Value float64 `json:"value"`
	Low   float64 `json:"low"`
	High  float64 `json:"high"`
}

// wilson is the 95 % Wilson score interval of k successes in n trials.
func wilson(k, n int) Rate {
	if n == 0 {
		return Rate{}
	}
	const z = 1.959963984540054
	p := float64(k) / float64(n)
	nn := float64(n)
	den := 1 + z*z/nn
	centre := (p + z*z/(2*nn)) / den
	half := z * math.Sqrt(p*(1-p)/nn+z*z/(4*nn*nn)) / den
	return Rate{Value: p, Low: max(0, centre-half), High: min(1, centre+half)}
}

// Dist summarises a measure over the runs that have it.
type Dist struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	Max float64 `json:"max"`
}

func distOf(xs []float64) Dist {
	if len(xs) == 0 {
		return Dist{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return Dist{
		N:   len(s),
		P50: stat.Quantile(0.5, stat.Empirical, s, nil),
		P95: stat.Quantile(0.95, stat.Empirical, s, nil),
		Max: s[len(s)-1],
	}
}

// Summary aggregates one scenario under one policy over its seeds.
type Summary struct {
	Scenario      string          `json:"scenario"`
	Policy        string          `json:"policy"`
	Expect        string          `json:"expect"`
	Runs          int             `json:"runs"`
	Verdicts      map[string]Rate `json:"verdicts"`
	Promote       Rate            `json:"promoteRate"`
	FalseRollback Rate            `json:"falseRollbackRate"`
	Escape        Rate            `json:"escapeRate"`
	TimeToPromote Dist            `json:"timeToPromoteSeconds"`
	TimeToDetect  Dist            `json:"timeToDetectSeconds"`
	BlastRequests Dist            `json:"blastRadiusRequests"`
	BlastFailed   Dist            `json:"blastRadiusFailed"`
}

// Summarise aggregates measures per (scenario, policy), in the order the
// pairs first appear in order (the sweep's case order), whatever order the
// runs finished in.
func Summarise(ms []RunMeasures, order []CaseKey) []Summary {
	groups := map[CaseKey][]RunMeasures{}
	for _, m := range ms {
		k := CaseKey{m.Scenario, m.Policy}
		groups[k] = append(groups[k], m)
	}
	out := make([]Summary, 0, len(order))
	for _, k := range order {
		if g, ok := groups[k]; ok {
			out = append(out, summarise(k, g))
		}
	}
	return out
}

// CaseKey names one scenario under one policy.
type CaseKey struct {
	Scenario string
	Policy   string
}

func summarise(k CaseKey, g []RunMeasures) Summary {
	slices.SortFunc(g, func(a, b RunMeasures) int { return cmp.Compare(a.Seed, b.Seed) })
	counts := map[string]int{}
	var ttp, ttd, blastReq, blastFail []float64
	for _, m := range g {
		counts[m.Verdict]++
		if m.TimeToPromote != nil {
			ttp = append(ttp, *m.TimeToPromote)
		}
		if m.TimeToDetect != nil {
			ttd = append(ttd, *m.TimeToDetect)
		}
		blastReq = append(blastReq, float64(m.BlastRequests))
		blastFail = append(blastFail, float64(m.BlastFailed))
	}
	n := len(g)
	s := Summary{
		Scenario: k.Scenario, Policy: k.Policy, Expect: g[0].Expect, Runs: n, Verdicts: map[string]Rate{},
		Promote:       wilson(counts[VerdictCorrectPromotion]+counts[VerdictEscape], n),
		FalseRollback: wilson(counts[VerdictFalseRollback], n),
		Escape:        wilson(counts[VerdictEscape], n),
		TimeToPromote: distOf(ttp), TimeToDetect: distOf(ttd),
		BlastRequests: distOf(blastReq), BlastFailed: distOf(blastFail),
	}
	for v, c := range counts {
		s.Verdicts[v] = wilson(c, n)
	}
	return s
}

// durationText prints seconds as a compact duration ("5m5s"), "-" for none.
func durationText(d Dist, pick func(Dist) float64) string {
	if d.N == 0 {
		return "-"
	}
	return fmtDur(time.Duration(pick(d)*float64(time.Second)).Round(time.Second), false)
}
