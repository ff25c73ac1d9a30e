package scenarios_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/canarysim/canarysim/scenarios"
)

// providerScenario is a scenario whose Canary has canaryProvider and whose
// spec.provider is scenarioProvider (each omitted when empty).
func providerScenario(scenarioProvider, canaryProvider string) []byte {
	line := func(key, v string) string {
		if v == "" {
			return ""
		}
		return fmt.Sprintf("%s: %q\n  ", key, v)
	}
	return []byte(`apiVersion: canarysim.dev/v1alpha1
kind: Scenario
metadata: {name: p}
spec:
  ` + line("provider", scenarioProvider) + `traffic: {rps: 10}
  versions:
    stable: {latency: {p50: 10ms, p99: 50ms}}
    canary: {latency: {p50: 10ms, p99: 50ms}}
---
apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: app}
spec:
  ` + line("provider", canaryProvider) + `targetRef: {apiVersion: apps/v1, kind: Deployment, name: app}
  ingressRef: {apiVersion: networking.k8s.io/v1, kind: Ingress, name: app}
  service: {port: 8080}
  analysis:
    interval: 1m
    threshold: 2
    stepWeight: 10
    maxWeight: 50
    metrics:
      - name: request-success-rate
        thresholdRange: {min: 99}
`)
}

func TestProviderSelection(t *testing.T) {
	tests := []struct {
		name                     string
		scenario, canary         string
		wantProvider, wantCanary string
		wantWarning              string
	}{
		{name: "default", wantProvider: "istio"},
		{name: "canary decides", canary: "linkerd", wantProvider: "linkerd", wantCanary: "linkerd"},
		{name: "scenario overrides", scenario: "nginx", canary: "linkerd", wantProvider: "nginx", wantCanary: "nginx"},
		{name: "prefix", scenario: "appmesh:v1beta2", wantProvider: "appmesh:v1beta2", wantCanary: "appmesh:v1beta2"},
		{name: "every table provider", scenario: "kuma", wantProvider: "kuma", wantCanary: "kuma"},
		{name: "unknown in scenario", scenario: "mesh-x", wantProvider: "mesh-x", wantCanary: "mesh-x",
			wantWarning: `p.yaml:5: spec.provider: "mesh-x" is not a provider Flagger knows`},
		{name: "unknown in canary", canary: "mesh-y", wantProvider: "mesh-y", wantCanary: "mesh-y",
			wantWarning: `p.yaml:14: spec.provider: "mesh-y" is not a provider Flagger knows`},
		{name: "smi", canary: "smi:v1alpha3:linkerd", wantProvider: "smi:v1alpha3:linkerd", wantCanary: "smi:v1alpha3:linkerd",
			wantWarning: "Flagger runs the istio queries for it"},
		{name: "bare gatewayapi", scenario: "gatewayapi", wantProvider: "gatewayapi", wantCanary: "gatewayapi",
			wantWarning: "falls through to the istio router"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := scenarios.LoadBytes("p.yaml", providerScenario(tt.scenario, tt.canary))
			if err != nil {
				t.Fatal(err)
			}
			if l.Provider != tt.wantProvider || l.Canary.Spec.Provider != tt.wantCanary {
				t.Errorf("Provider %q, Canary spec.provider %q; want %q, %q", l.Provider, l.Canary.Spec.Provider, tt.wantProvider, tt.wantCanary)
			}
			got := strings.Join(l.Warnings, "\n")
			if tt.wantWarning == "" && strings.Contains(got, "provider") {
				t.Errorf("unexpected provider warning:\n%s", got)
			}
			if !strings.Contains(got, tt.wantWarning) {
				t.Errorf("warnings\n%s\nlack %q", got, tt.wantWarning)
			}
		})
	}
}

// TestKnativeNeedsKnativeService: Flagger rejects a Deployment target with
// the knative provider, and Knative Services are not simulated.
func TestKnativeNeedsKnativeService(t *testing.T) {
	_, err := scenarios.LoadBytes("p.yaml", providerScenario("knative", ""))
	if !errors.Is(err, scenarios.ErrInput) || !strings.Contains(err.Error(), "p.yaml:5:13: spec.provider: the knative provider needs a Knative Service target") {
		t.Errorf("err = %v, want the Knative Service requirement at spec.provider", err)
	}
}

func TestProviderNeedsReferences(t *testing.T) {
	data := strings.Replace(string(providerScenario("apisix", "")), "  ingressRef:", "  #", 1)
	_, err := scenarios.LoadBytes("p.yaml", []byte(data))
	if !errors.Is(err, scenarios.ErrInput) || !strings.Contains(err.Error(), "p.yaml:5:13: spec.provider: the apisix router needs spec.routeRef") {
		t.Errorf("err = %v, want the missing routeRef at spec.provider", err)
	}
}
