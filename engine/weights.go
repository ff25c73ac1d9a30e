package engine

import flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"

// totalWeight is the sum of primary and canary weights.
const totalWeight = 100

// maxWeight is the weight at which a progressive canary is promoted: the
// last rung of stepWeights (capped at 100), else maxWeight, else 100.
func maxWeight(a *flaggerv1.CanaryAnalysis) int {
	if n := len(a.StepWeights); n > 0 {
		return min(totalWeight, a.StepWeights[n-1])
	}
	if a.MaxWeight > 0 {
		return a.MaxWeight
	}
	return totalWeight
}

// nextStepWeight is the increment from the current canary weight. stepWeight
// wins over stepWeights; with a ladder, a weight that is not on it (or is
// its last rung) jumps to 100. When no room is left it returns 1, as Flagger
// does, since callers only test it for > 0.
func nextStepWeight(a *flaggerv1.CanaryAnalysis, current int) int {
	if a.StepWeight > 0 || len(a.StepWeights) == 0 {
		return a.StepWeight
	}
	room := totalWeight - current
	if room == 0 {
		return 1
	}
	if current == 0 {
		return min(room, a.StepWeights[0])
	}
	for i := 0; i < len(a.StepWeights)-1; i++ {
		if a.StepWeights[i] == current {
			return min(room, a.StepWeights[i+1]-current)
		}
	}
	return room
}

// advance returns the routes after one progressive step from r.
func advance(r Routes, step int) Routes {
	return Routes{
		Primary: max(0, r.Primary-step),
		Canary:  min(totalWeight, r.Canary+step),
	}
}
