package scenarios

import (
	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"

	"github.com/canarysim/canarysim/engine"
)

// validateStrategy checks the fields that pick Flagger's deployment
// strategy (progressive, A/B, blue/green, mirroring) against what the
// effective provider's router does with them. Flagger accepts most odd combinations
// and behaves in surprising ways; those are warnings that say what will
// happen, since the simulation reproduces it.
func validateStrategy(at, warn reporter, provider string, a *flaggerv1.CanaryAnalysis) {
	const p = "spec.analysis"
	caps := engine.RouterFor(provider, a)
	if a.Iterations < 0 {
		at(p+".iterations", "must not be negative, got %d", a.Iterations)
	}
	if a.MirrorWeight < 0 || a.MirrorWeight > 100 {
		at(p+".mirrorWeight", "must be a percentage between 0 and 100, got %d", a.MirrorWeight)
	}
	if a.Iterations > 0 && (a.StepWeight > 0 || len(a.StepWeights) > 0) {
		warn(p+".iterations", "Flagger's CRD accepts only one of iterations, stepWeight and stepWeights; the controller (and this simulation) runs iterations and ignores the weights")
	}
	if a.StepWeight > 0 && len(a.StepWeights) > 0 {
		warn(p+".stepWeights", "Flagger's CRD accepts only one of stepWeight and stepWeights; the controller (and this simulation) uses stepWeight")
	}
	if caps.Nop {
		kubernetesWarnings(warn, a)
		return
	}
	if len(a.Match) > 0 {
		switch {
		case !caps.Match:
			warn(p+".match", "the %s router ignores match: the A/B step routes ALL traffic to the canary, not only matching requests", provider)
		case a.Iterations == 0:
			warn(p+".match", "match without iterations is a progressive canary whose weights apply to matching requests only")
		}
	}
	if a.Mirror && !caps.Mirror {
		why := "the " + provider + " router does not mirror traffic"
		if len(a.Match) > 0 && engine.RouterFor(provider, nil).Mirror {
			why = "the " + provider + " router drops the mirror when analysis.match is set"
		}
		if a.Iterations > 0 {
			warn(p+".mirror", "%s: the iterations run without mirrored requests", why)
		} else {
			warn(p+".mirror", "%s: Flagger keeps re-entering the mirror stage and the canary never leaves weight 0", why)
		}
	}
	if a.MirrorWeight > 0 && (!a.Mirror || !caps.MirrorWeight) {
		warn(p+".mirrorWeight", "has no effect: only the istio router mirrors a percentage, and only with mirror: true (Gateway API mirrors every request)")
	}
}

// kubernetesWarnings says what Flagger does to a Canary on the kubernetes
// provider, which has no router (§6.7).
func kubernetesWarnings(warn reporter, a *flaggerv1.CanaryAnalysis) {
	const p = "spec.analysis"
	if len(a.Match) > 0 {
		warn(p+".match", "the kubernetes provider cannot do A/B testing: Flagger drops match (with a warning event every tick) and runs blue/green")
	}
	if a.Iterations < 1 {
		warn(p+".iterations", "the kubernetes provider only does blue/green: Flagger forces iterations to 10 (with warning events every tick)")
	}
	if a.Mirror {
		warn(p+".mirror", "the kubernetes provider does not mirror traffic")
	}
}
