package engine

import (
	"strings"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
)

// ProviderKubernetes is the L4 provider without a mesh router (§6.7).
const ProviderKubernetes = "kubernetes"

// RouterCaps is what a provider's router does with the routing request
// Flagger gives it (flagger-semantics §6.8, §11).
type RouterCaps struct {
	// Nop is the kubernetes provider's router: it stores nothing and
	// reports 0/100 while status.iterations > 0, else 100/0.
	Nop bool
	// Match: the router splits only requests matching analysis.match and
	// sends the others to the primary. A router without it ignores match
	// and applies the weights to all traffic.
	Match bool
	// Mirror: the router records a mirror and reports it back.
	Mirror bool
	// MirrorWeight: the recorded mirror honours analysis.mirrorWeight
	// (Istio's mirrorPercentage); otherwise every request is mirrored.
	MirrorWeight bool
}

// RouterFor is the router behaviour Flagger's router factory picks for a
// provider value. Values it does not know fall through to the Istio router,
// as Flagger's do (a bare "gatewayapi" included). Gateway API records a
// mirror only for blue/green (iterations > 0), without a percentage; Istio
// drops the mirror when it rewrites the routes for analysis.match.
func RouterFor(provider string, a *flaggerv1.CanaryAnalysis) RouterCaps {
	switch {
	case provider == ProviderKubernetes:
		return RouterCaps{Nop: true}
	case strings.HasPrefix(provider, "gatewayapi:v1"):
		return RouterCaps{Match: true, Mirror: a != nil && a.Iterations > 0}
	case strings.HasPrefix(provider, flaggerv1.AppMeshProvider), provider == flaggerv1.ContourProvider,
		strings.HasPrefix(provider, flaggerv1.GlooProvider), provider == flaggerv1.NGINXProvider:
		return RouterCaps{Match: true}
	case provider == flaggerv1.LinkerdProvider, strings.HasPrefix(provider, flaggerv1.SMIProvider+":v1alpha"),
		provider == flaggerv1.OsmProvider, provider == flaggerv1.SkipperProvider, provider == flaggerv1.TraefikProvider,
		provider == flaggerv1.ApisixProvider, provider == flaggerv1.KumaProvider, provider == flaggerv1.KnativeProvider:
		return RouterCaps{}
	}
	mirror := a == nil || len(a.Match) == 0
	return RouterCaps{Match: true, Mirror: mirror, MirrorWeight: mirror} // istio and anything else
}

// SplitsByMatch reports whether the provider's router applies the weights
// to the requests matching analysis.match only (the others go to the
// primary): a router that supports match, with a match set.
func SplitsByMatch(provider string, a *flaggerv1.CanaryAnalysis) bool {
	caps := RouterFor(provider, a)
	return a != nil && len(a.Match) > 0 && caps.Match && !caps.Nop
}
