package sim

import (
	"math"
	"time"

	"github.com/canarysim/canarysim/scenarios"
)

// expectedRequests is the integral of the request rate over [a, b), times in
// virtual time since the Canary was created.
func expectedRequests(p scenarios.TrafficProfile, a, b time.Duration) float64 {
	if b <= a {
		return 0
	}
	switch p.Kind {
	case scenarios.TrafficDiurnal:
		return diurnalIntegral(p, b) - diurnalIntegral(p, a)
	case scenarios.TrafficSteps:
		return stepsIntegral(p, a, b)
	default:
		return p.RPS * (b - a).Seconds()
	}
}

// diurnalIntegral is the antiderivative of
// rate(t) = mid + amp*cos(2π(t-peak)/period) at t.
func diurnalIntegral(p scenarios.TrafficProfile, t time.Duration) float64 {
	mid := (p.MaxRPS + p.MinRPS) / 2
	amp := (p.MaxRPS - p.MinRPS) / 2
	period := p.Period.Seconds()
	w := 2 * math.Pi / period
	x := (t - p.PeakAt).Seconds()
	return mid*t.Seconds() + amp/w*math.Sin(w*x)
}

func stepsIntegral(p scenarios.TrafficProfile, a, b time.Duration) float64 {
	total := 0.0
	for i, start := range p.StepAt {
		end := time.Duration(math.MaxInt64)
		if i+1 < len(p.StepAt) {
			end = p.StepAt[i+1]
		}
		lo, hi := max(a, start), min(b, end)
		if hi > lo {
			total += p.StepRPSs[i] * (hi - lo).Seconds()
		}
	}
	return total
}
