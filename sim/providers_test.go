package sim_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/canarysim/canarysim/engine"
	"github.com/canarysim/canarysim/scenarios"
	"github.com/canarysim/canarysim/sim"
)

// providerScenario is a progressive rollout (step 10, max 50, 1m checks,
// success rate >= 99 %, duration <= 500 ms) at 100 rps with provider. The
// kubernetes provider has no router (blue/green, users stay on the
// primary), so there a load test of 100 rps exercises the canary.
// stable and canary are the versions' YAML behaviours; faults is the
// faults list ("" for none).
func providerScenario(t *testing.T, provider, stable, canary, faults string) *scenarios.Loaded {
	t.Helper()
	doc := fmt.Sprintf(`apiVersion: canarysim.dev/v1alpha1
kind: Scenario
metadata: {name: provider}
spec:
  provider: %[1]q
  horizon: 15m
  revision: {at: 2m}
  traffic: {rps: 100%[5]s}
  versions:
    stable: %[2]s
    canary: %[3]s
  faults: [%[4]s]
---
apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: podinfo, namespace: test}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}
  ingressRef: {apiVersion: networking.k8s.io/v1, kind: Ingress, name: podinfo}
  routeRef: {apiVersion: apisix.apache.org/v2, kind: ApisixRoute, name: web}
  service: {port: 9898}
  analysis:
    interval: 1m
    threshold: 2
    maxWeight: 50
    stepWeight: 10
    metrics:
      - name: request-success-rate
        thresholdRange: {min: 99}
      - name: request-duration
        thresholdRange: {max: 500}
`, provider, stable, canary, faults, loadTest(provider))
	l, err := scenarios.LoadBytes("provider.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// knativeScenario is providerScenario for knative, whose Knative Service
// target the loader rejects (not simulated): the scenario is loaded with
// istio and switched to knative afterwards, to test the queries and the
// series schema.
func knativeScenario(t *testing.T, stable, canary, faults string) *scenarios.Loaded {
	t.Helper()
	l := providerScenario(t, "istio", stable, canary, faults)
	l.Provider, l.Canary.Spec.Provider = "knative", "knative"
	return l
}

// scenarioFor picks the scenario builder of a provider.
func scenarioFor(t *testing.T, provider, stable, canary, faults string) *scenarios.Loaded {
	t.Helper()
	if provider == "knative" {
		return knativeScenario(t, stable, canary, faults)
	}
	return providerScenario(t, provider, stable, canary, faults)
}

const (
	healthyVersion = `{latency: {p50: 20ms, p99: 80ms}}`
	// badVersion would fail both checks if a canary filter matched it.
	badVersion = `{errorPercent: 30, latency: {p50: 900ms, p99: 3s}}`
	// canaryFault: 20 % errors and one second more for every request.
	canaryFault = `{version: canary, start: 0s, errorPercent: 20, addedLatency: 1s}`
)

// providerCases are the providers of flagger-semantics §8.6 with a series
// name their builtins must query. mixesPrimary marks APISIX, whose
// builtins measure the whole route, primary traffic included.
var providerCases = []struct {
	provider, wantSeries string
	mixesPrimary         bool
}{
	{"istio", "istio_requests_total", false},
	{"linkerd", "response_latency_ms_bucket", false},
	{"appmesh", "envoy_cluster_upstream_rq_time_bucket", false},
	{"nginx", "nginx_ingress_controller_response_duration_seconds_sum", false},
	{"contour", "envoy_cluster_upstream_rq", false},
	{"gloo", "envoy_cluster_upstream_rq", false},
	{"traefik", "traefik_service_request_duration_seconds_bucket", false},
	{"skipper", "skipper_serve_route_duration_seconds_sum", false},
	{"kubernetes", "http_request_duration_seconds_bucket", false},
	{"gatewayapi:v1", "http_request_duration_seconds_count", false},
	{"osm", "osm_request_total", false},
	{"kuma", "envoy_cluster_upstream_rq", false},
	{"apisix", "apisix_http_status", true},
	{"knative", "envoy_cluster_upstream_rq", false},
}

// TestProviderHealthyCanary: the builtins of every provider find the
// canary's series (and only the canary's: the primary runs a version that
// would fail both checks), read a success rate of 100 % and a duration in
// plausible milliseconds, and the canary is promoted.
func TestProviderHealthyCanary(t *testing.T) {
	for _, tt := range providerCases {
		t.Run(tt.provider, func(t *testing.T) {
			stable := badVersion
			if tt.mixesPrimary {
				stable = healthyVersion
			}
			res := runProvider(t, scenarioFor(t, tt.provider, stable, healthyVersion, ""))
			checks := allChecks(res)
			if len(checks) < 8 {
				t.Fatalf("%d checks, want at least 8", len(checks))
			}
			for _, ck := range checks {
				if ck.Verdict != engine.VerdictPass || !ck.HasValue {
					t.Fatalf("check %s: verdict %v (value %v), want a passing value\nquery: %s", ck.Metric, ck.Verdict, ck.Value, ck.Query)
				}
				switch ck.Metric {
				case engine.MetricSuccessRate:
					if ck.Value != 100 {
						t.Errorf("success rate %v, want 100", ck.Value)
					}
				case engine.MetricDuration:
					// P99 of a 20ms/80ms log-normal, read through the
					// provider's buckets (Traefik's first bound is 100ms).
					if ck.Value < 20 || ck.Value > 120 {
						t.Errorf("duration %v ms, want 20..120", ck.Value)
					}
				}
			}
			if !strings.Contains(checks[0].Query+checks[1].Query, tt.wantSeries) {
				t.Errorf("queries do not read %s:\n%s\n%s", tt.wantSeries, checks[0].Query, checks[1].Query)
			}
			if res.Outcome != sim.Succeeded {
				t.Errorf("outcome %s, want Succeeded", res.Outcome)
			}
		})
	}
}

// TestProviderFaultyCanary: with errors on the canary, every provider's
// success-rate check fails on the first analysed tick; with added latency
// (and no errors) its success-rate check passes and its duration check
// fails. Either way the canary is rolled back. (Flagger stops a tick at
// its first failing check, so one fault is tested at a time.)
func TestProviderFaultyCanary(t *testing.T) {
	faults := []struct {
		name, fault, wantFailing string
	}{
		{"errors", `{version: canary, start: 0s, errorPercent: 20}`, engine.MetricSuccessRate},
		{"latency", `{version: canary, start: 0s, addedLatency: 1s}`, engine.MetricDuration},
	}
	for _, tt := range providerCases {
		for _, f := range faults {
			t.Run(tt.provider+"/"+f.name, func(t *testing.T) {
				res := runProvider(t, scenarioFor(t, tt.provider, healthyVersion, healthyVersion, f.fault))
				checks := allChecks(res)
				if len(checks) == 0 {
					t.Fatal("no checks")
				}
				last := checks[0]
				if f.wantFailing == engine.MetricDuration {
					if sr := checks[0]; sr.Metric != engine.MetricSuccessRate || sr.Verdict != engine.VerdictPass || sr.Value != 100 {
						t.Errorf("first check %s: %v at %v, want a passing success rate of 100", sr.Metric, sr.Verdict, sr.Value)
					}
					last = checks[1]
				}
				switch {
				case last.Metric != f.wantFailing || last.Verdict != engine.VerdictFail:
					t.Errorf("first failing check %s: %v at %v, want %s failing", last.Metric, last.Verdict, last.Value, f.wantFailing)
				case f.wantFailing == engine.MetricSuccessRate && !(last.Value > 70 && last.Value < 99):
					t.Errorf("success rate %v, want about 80 %% (98 %% for APISIX's whole route)", last.Value)
				case f.wantFailing == engine.MetricDuration && !(last.Value > 500 && last.Value < 5000):
					t.Errorf("duration %v ms, want 500..5000 ms", last.Value)
				}
				if res.Outcome != sim.Failed {
					t.Errorf("outcome %s, want Failed", res.Outcome)
				}
			})
		}
	}
}

// TestApisixMeasuresWholeRoute: APISIX's builtins read the canary
// ApisixRoute, which carries the primary's traffic too, so a bad primary
// fails a healthy canary's success-rate check.
func TestApisixMeasuresWholeRoute(t *testing.T) {
	res := runProvider(t, providerScenario(t, "apisix", badVersion, healthyVersion, ""))
	checks := allChecks(res)
	if len(checks) == 0 || checks[0].Metric != engine.MetricSuccessRate || checks[0].Verdict != engine.VerdictFail {
		t.Fatalf("first checks %+v, want a failing success rate", checks)
	}
}

// TestProviderDeterminism: same seed, same checks, for a provider whose
// buckets split the drawn cells (Linkerd) and a mean-based one (NGINX).
func TestProviderDeterminism(t *testing.T) {
	for _, p := range []string{"linkerd", "nginx", "traefik"} {
		l := providerScenario(t, p, healthyVersion, healthyVersion, canaryFault)
		a, b := allChecks(runProvider(t, l)), allChecks(runProvider(t, l))
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("%s: two runs with one seed differ:\n%v\n%v", p, a, b)
		}
	}
}

// TestProviderKeepsGroundTruth: the provider changes what is exported,
// never what happens: same seed, same decisions, same ground truth. (The
// kubernetes provider routes differently, so it is not compared.)
func TestProviderKeepsGroundTruth(t *testing.T) {
	want := runProvider(t, providerScenario(t, "istio", healthyVersion, healthyVersion, "")).Truth
	for _, tt := range providerCases {
		if tt.provider == engine.ProviderKubernetes {
			continue
		}
		got := runProvider(t, scenarioFor(t, tt.provider, healthyVersion, healthyVersion, "")).Truth
		if got != want {
			t.Errorf("%s: ground truth %+v, want istio's %+v", tt.provider, got, want)
		}
	}
}

// loadTest is the traffic fields a provider's scenario adds.
func loadTest(provider string) string {
	if provider == engine.ProviderKubernetes {
		return ", loadTestRPS: 100"
	}
	return ""
}

func runProvider(t *testing.T, l *scenarios.Loaded) *sim.Result {
	t.Helper()
	res, err := sim.Run(context.Background(), l, sim.Options{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// allChecks are the checks of every tick, in order.
func allChecks(res *sim.Result) []engine.Check {
	var out []engine.Check
	for _, tk := range res.Ticks {
		out = append(out, tk.Checks...)
	}
	return out
}
