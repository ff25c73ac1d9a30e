package engine

import (
	"testing"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
	istiov1beta1 "github.com/fluxcd/flagger/pkg/apis/istio/v1beta1"
)

// TestRouterFor: what each provider's router does with match and mirror
// (flagger-semantics §6.7, §6.8, §11; pkg/router/factory.go dispatch).
func TestRouterFor(t *testing.T) {
	plain := &flaggerv1.CanaryAnalysis{StepWeight: 10}
	bg := &flaggerv1.CanaryAnalysis{Iterations: 5, Mirror: true}
	ab := &flaggerv1.CanaryAnalysis{Iterations: 5, Match: []istiov1beta1.HTTPMatchRequest{{Name: "insiders"}}}
	tests := []struct {
		provider string
		a        *flaggerv1.CanaryAnalysis
		want     RouterCaps
	}{
		{"istio", plain, RouterCaps{Match: true, Mirror: true, MirrorWeight: true}},
		{"istio", ab, RouterCaps{Match: true}}, // the A/B rewrite drops the mirror
		{"smi:v1alpha2:foo", plain, RouterCaps{}},
		{"gatewayapi", plain, RouterCaps{Match: true, Mirror: true, MirrorWeight: true}}, // falls through to Istio
		{"gatewayapi:v1", plain, RouterCaps{Match: true}},
		{"gatewayapi:v1beta1", bg, RouterCaps{Match: true, Mirror: true}},
		{"appmesh:v1beta2", plain, RouterCaps{Match: true}},
		{"contour", plain, RouterCaps{Match: true}},
		{"gloo", plain, RouterCaps{Match: true}},
		{"nginx", plain, RouterCaps{Match: true}},
		{"linkerd", bg, RouterCaps{}},
		{"osm", plain, RouterCaps{}},
		{"skipper", plain, RouterCaps{}},
		{"traefik", plain, RouterCaps{}},
		{"apisix", plain, RouterCaps{}},
		{"kuma", plain, RouterCaps{}},
		{"knative", plain, RouterCaps{}},
		{"kubernetes", bg, RouterCaps{Nop: true}},
		{"somethingelse", plain, RouterCaps{Match: true, Mirror: true, MirrorWeight: true}},
	}
	for _, tt := range tests {
		if got := RouterFor(tt.provider, tt.a); got != tt.want {
			t.Errorf("RouterFor(%q, %+v) = %+v, want %+v", tt.provider, tt.a, got, tt.want)
		}
	}
}
