package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestObserverFor(t *testing.T) {
	tests := []struct {
		provider, want, reason string
	}{
		{"istio", ObserverIstio, "exact"},
		{"linkerd", ObserverLinkerd, "exact"},
		{"linkerd:service", ObserverIstio, "a suffixed key is no exact match"},
		{"appmesh", ObserverAppMesh, "prefix"},
		{"appmesh:v1beta2", ObserverAppMesh, "prefix"},
		{"nginx", ObserverNginx, "exact"},
		{"contour", ObserverContour, "exact"},
		{"gloo", ObserverGloo, "prefix"},
		{"gloo:v1", ObserverGloo, "prefix"},
		{"traefik", ObserverTraefik, "exact"},
		{"skipper", ObserverSkipper, "exact"},
		{"kubernetes", ObserverHTTP, "generic HTTP"},
		{"kubernetes:service", ObserverIstio, "only the bare key is generic HTTP"},
		{"gatewayapi", ObserverHTTP, "prefix, even without a version"},
		{"gatewayapi:v1", ObserverHTTP, "prefix"},
		{"osm", ObserverOSM, "exact"},
		{"kuma", ObserverKuma, "exact"},
		{"apisix", ObserverApisix, "exact"},
		{"knative", ObserverKnative, "exact"},
		{"smi:v1alpha3:linkerd", ObserverIstio, "smi falls back to istio"},
		{"crossover", ObserverIstio, "fallback"},
		{"", ObserverIstio, "fallback"},
	}
	for _, tt := range tests {
		t.Run(tt.provider, func(t *testing.T) {
			if got := ObserverFor(tt.provider); got != tt.want {
				t.Errorf("ObserverFor(%q) = %q, want %q (%s)", tt.provider, got, tt.want, tt.reason)
			}
		})
	}
}

func TestProviderDefaultsToIstio(t *testing.T) {
	c := providerCanary("")
	if got := Provider(c); got != "istio" {
		t.Errorf("Provider without spec.provider = %q, want istio", got)
	}
	c.Spec.Provider = "smi:v1alpha2:osm"
	if got := Provider(c); got != "smi:v1alpha2:osm" {
		t.Errorf("Provider = %q, want spec.provider", got)
	}
}

func TestDurationMs(t *testing.T) {
	tests := []struct {
		name        string
		v           float64
		secondsToMs bool
		want        float64
	}{
		{"ms are truncated", 250.99, false, 250},
		{"below one ms is zero", 0.7, false, 0},
		{"seconds times 1000 then truncated", 0.25099, true, 250},
		{"one second", 1, true, 1000},
		{"seconds below one ms", 0.0009, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := durationMs(tt.v, tt.secondsToMs); got != tt.want {
				t.Errorf("durationMs(%v, %v) = %v, want %v", tt.v, tt.secondsToMs, got, tt.want)
			}
		})
	}
}

// TestBuiltinQueriesPerProvider renders both builtins per provider and
// checks the series and filters each must select.
func TestBuiltinQueriesPerProvider(t *testing.T) {
	tests := []struct {
		provider          string
		wantSR, wantDur   []string
		wantSecondsToMs   bool
		wantNoDataMessage string
	}{
		{"", []string{`istio_requests_total{`, `destination_workload=~"podinfo"`}, []string{`istio_request_duration_milliseconds_bucket{`}, false, "istio"},
		{"linkerd", []string{`response_total{namespace="test",deployment=~"podinfo",direction="inbound",classification!="failure"}`}, []string{`response_latency_ms_bucket{`}, false, "linkerd"},
		{"appmesh:v1beta2", []string{`envoy_cluster_upstream_rq{kubernetes_namespace="test",kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)",envoy_response_code!~"5.*"}`}, []string{`envoy_cluster_upstream_rq_time_bucket{`}, false, "appmesh:v1beta2"},
		{"nginx", []string{`nginx_ingress_controller_requests{namespace="test",ingress="web",canary!="",status!~"5.*"}`}, []string{`nginx_ingress_controller_response_duration_seconds_sum{`, `_count{`, `* 1000`}, false, "nginx"},
		{"contour", []string{`envoy_cluster_name=~"test_front-canary_[0-9a-zA-Z-]+"`}, []string{`envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name=~"test_front-canary_`}, false, "contour"},
		{"gloo", []string{`envoy_cluster_name=~"test-podinfo-canaryupstream-[0-9a-zA-Z-]+_[0-9a-zA-Z-]+"`}, []string{`histogram_quantile(0.99`}, false, "gloo"},
		{"traefik", []string{`traefik_service_request_duration_seconds_bucket{service=~"test-podinfo-canary-[0-9a-zA-Z-]+@kubernetescrd",le="+Inf",code!~"5.."}`}, []string{`by (le)) * 1000`}, false, "traefik"},
		{"skipper", []string{`route=~"kube(ew)?_test__web_canary__.*__front_canary(_[0-9]+)?",le="+Inf",code!~"5.."`}, []string{`skipper_serve_route_duration_seconds_sum{`, `* 1000`}, false, "skipper"},
		{"kubernetes", []string{`http_request_duration_seconds_count{kubernetes_namespace="test",kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)",status!~"5.*"}`}, []string{`http_request_duration_seconds_bucket{`}, true, "kubernetes"},
		{"gatewayapi:v1", []string{`http_request_duration_seconds_count{`}, []string{`http_request_duration_seconds_bucket{`}, true, "gatewayapi:v1"},
		{"osm", []string{`osm_request_total{destination_namespace="test",destination_kind="Deployment",destination_name="podinfo",response_code!~"5.*"}`}, []string{`osm_request_duration_ms_bucket{`}, false, "osm"},
		{"kuma", []string{`service=~"podinfo-canary_test_svc_[0-9a-zA-Z-]+"`}, []string{`envoy_cluster_upstream_rq_time_bucket{`}, false, "kuma"},
		{"apisix", []string{`apisix_http_status{route=~"test_ar-podinfo-canary_.+",code!~"5.."}`}, []string{`apisix_http_latency_bucket{type=~"request",route=~"test_ar-podinfo-canary_.+"}`}, false, "apisix"},
		{"knative", []string{`envoy_cluster_name=~"test/podinfo-00002"`}, []string{`envoy_cluster_name=~"test/podinfo-00002"`}, false, "knative"},
		{"smi:v1alpha3:linkerd", []string{`istio_requests_total{`}, []string{`istio_request_duration_milliseconds_bucket{`}, false, "smi:v1alpha3:linkerd"},
	}
	for _, tt := range tests {
		t.Run(tt.provider, func(t *testing.T) {
			c := providerCanary(tt.provider)
			checks, err := compileMetrics(c, c.GetAnalysis(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(checks) != 2 {
				t.Fatalf("got %d checks, want 2", len(checks))
			}
			sr, dur := checks[0], checks[1]
			for _, w := range tt.wantSR {
				if !strings.Contains(sr.query, w) {
					t.Errorf("success-rate query\n%s\nlacks %s", sr.query, w)
				}
			}
			for _, w := range tt.wantDur {
				if !strings.Contains(dur.query, w) {
					t.Errorf("duration query\n%s\nlacks %s", dur.query, w)
				}
			}
			if sr.secondsToMs || dur.secondsToMs != tt.wantSecondsToMs {
				t.Errorf("secondsToMs = %v/%v, want false/%v", sr.secondsToMs, dur.secondsToMs, tt.wantSecondsToMs)
			}
			_, ev := dur.evaluate(context.Background(), answerer{metrics: constSource{err: ErrNoValues}}, "podinfo.test")
			want := "Halt advancement no values found for " + tt.wantNoDataMessage + " metric request-duration probably podinfo.test is not receiving traffic"
			if ev == nil || ev.Message != want {
				t.Errorf("no-data event = %+v, want %q", ev, want)
			}
		})
	}
}

// TestDurationUnitsInEvaluate: the generic HTTP observer reads seconds,
// the others milliseconds; both truncate before the threshold test.
func TestDurationUnitsInEvaluate(t *testing.T) {
	tests := []struct {
		provider  string
		value     float64
		wantValue float64
		wantPass  bool
	}{
		{"istio", 500.9, 500, true},
		{"istio", 501.2, 501, false},
		{"kubernetes", 0.5009, 500, true},
		{"gatewayapi:v1beta1", 0.501, 501, false},
		{"nginx", 500.99, 500, true},
	}
	for _, tt := range tests {
		t.Run(tt.provider, func(t *testing.T) {
			c := providerCanary(tt.provider)
			checks, err := compileMetrics(c, c.GetAnalysis(), nil)
			if err != nil {
				t.Fatal(err)
			}
			ck, _ := checks[1].evaluate(context.Background(), answerer{metrics: constSource{v: tt.value}}, "podinfo.test")
			if ck.Value != tt.wantValue || (ck.Verdict == VerdictPass) != tt.wantPass {
				t.Errorf("value %v verdict %v, want %v pass=%v", ck.Value, ck.Verdict, tt.wantValue, tt.wantPass)
			}
		})
	}
}

// constSource answers every query with one value or error: a port stub for
// the engine's reading of values, not a stand-in for PromQL (the sim
// package runs the builtin queries against the real engine).
type constSource struct {
	v   float64
	err error
}

func (s constSource) Query(context.Context, string, time.Time) (float64, error) { return s.v, s.err }

func providerCanary(provider string) *flaggerv1.Canary {
	maxMs := 500.0
	return &flaggerv1.Canary{
		ObjectMeta: metav1.ObjectMeta{Name: "podinfo", Namespace: "test"},
		Spec: flaggerv1.CanarySpec{
			Provider:   provider,
			TargetRef:  flaggerv1.LocalObjectReference{Kind: "Deployment", Name: "podinfo"},
			IngressRef: &flaggerv1.LocalObjectReference{Name: "web"},
			RouteRef:   &flaggerv1.LocalObjectReference{Name: "ar"},
			Service:    flaggerv1.CanaryService{Name: "front", Port: 9898},
			Analysis: &flaggerv1.CanaryAnalysis{Metrics: []flaggerv1.CanaryMetric{
				{Name: MetricSuccessRate, ThresholdRange: &flaggerv1.CanaryThresholdRange{Min: ptr(99.0)}},
				{Name: MetricDuration, ThresholdRange: &flaggerv1.CanaryThresholdRange{Max: &maxMs}},
			}},
		},
	}
}

func ptr[T any](v T) *T { return &v }

// TestBuiltinSeries: the metric names each provider's builtin queries read.
func TestBuiltinSeries(t *testing.T) {
	tests := map[string]string{
		"istio":         "istio_request_duration_milliseconds_bucket istio_requests_total",
		"linkerd":       "response_latency_ms_bucket response_total",
		"nginx":         "nginx_ingress_controller_requests nginx_ingress_controller_response_duration_seconds_count nginx_ingress_controller_response_duration_seconds_sum",
		"gatewayapi:v1": "http_request_duration_seconds_bucket http_request_duration_seconds_count",
	}
	for provider, want := range tests {
		if got := strings.Join(BuiltinSeries(provider), " "); got != want {
			t.Errorf("BuiltinSeries(%q) = %q, want %q", provider, got, want)
		}
	}
}
