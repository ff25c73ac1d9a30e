package scenarios

import (
	"fmt"
	"strings"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
)

// Providers are the spec.provider values with builtin queries of their
// own in Flagger v1.41.0 (flagger-semantics §8.6), matched exactly.
// ProviderPrefixes match by prefix ("appmesh:v1beta2", "gatewayapi:v1").
var (
	Providers        = []string{"istio", "linkerd", "nginx", "contour", "traefik", "skipper", "kubernetes", "osm", "kuma", "apisix", "knative"}
	ProviderPrefixes = []string{"appmesh", "gloo", "gatewayapi"}
)

// knownProvider reports whether p selects builtin queries of its own.
func knownProvider(p string) bool {
	for _, k := range Providers {
		if p == k {
			return true
		}
	}
	for _, k := range ProviderPrefixes {
		if strings.HasPrefix(p, k) {
			return true
		}
	}
	return false
}

// providerWarning is the warning for a provider value that Flagger accepts
// but that does not select what its name suggests, or "".
func providerWarning(p string) string {
	switch {
	case p == "gatewayapi":
		return `Flagger's router needs a version ("gatewayapi:v1" or "gatewayapi:v1beta1"): a bare gatewayapi falls through to the istio router, while its metrics use the generic HTTP queries`
	case knownProvider(p):
		return ""
	case strings.HasPrefix(p, "smi:"):
		return fmt.Sprintf("%q has no builtin queries of its own: Flagger runs the istio queries for it, and the simulator writes istio series", p)
	}
	return fmt.Sprintf("%q is not a provider Flagger knows (%s, or %s*): Flagger falls back to the istio queries and router, and the simulator writes istio series",
		p, strings.Join(Providers, ", "), strings.Join(ProviderPrefixes, "*, "))
}

// providerNeeds is the error for a provider whose router cannot work with
// the Canary's references, or "": Flagger's ingress-based routers need
// spec.ingressRef, the APISIX router spec.routeRef, and Knative a Knative
// Service target (only Deployment targets are simulated).
func providerNeeds(p string, c *flaggerv1.Canary) string {
	switch {
	case (p == "nginx" || p == "skipper") && (c.Spec.IngressRef == nil || c.Spec.IngressRef.Name == ""):
		return fmt.Sprintf("the %s router needs spec.ingressRef (the Ingress Flagger clones into <name>-canary)", p)
	case p == "apisix" && (c.Spec.RouteRef == nil || c.Spec.RouteRef.Name == ""):
		return "the apisix router needs spec.routeRef (the ApisixRoute Flagger clones)"
	case p == "knative":
		return "the knative provider needs a Knative Service target (serving.knative.dev/v1 Service), which is not simulated; Flagger rejects a Deployment target with this provider"
	}
	return ""
}
