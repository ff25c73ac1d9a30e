package engine

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
)

// Observer names: the metric observers of Flagger v1.41.0
// (pkg/metrics/observers), one per family of builtin queries. ObserverHTTP
// is the generic HTTP observer of the kubernetes and gatewayapi providers.
const (
	ObserverIstio   = "istio"
	ObserverLinkerd = "linkerd"
	ObserverAppMesh = "appmesh"
	ObserverNginx   = "nginx"
	ObserverContour = "contour"
	ObserverGloo    = "gloo"
	ObserverTraefik = "traefik"
	ObserverSkipper = "skipper"
	ObserverHTTP    = "http"
	ObserverOSM     = "osm"
	ObserverKuma    = "kuma"
	ObserverApisix  = "apisix"
	ObserverKnative = "knative"
)

// DefaultProvider is Flagger's global mesh provider (its -mesh-provider
// flag defaults to istio). The simulator has no global setting, so a
// Canary without spec.provider uses it, and the linkerd and crossover
// overrides of a global provider never apply.
const DefaultProvider = "istio"

// Provider is the Canary's effective provider: spec.provider, or the
// global mesh provider when it is empty. It picks the router (RouterFor)
// and is the key Flagger selects the metrics observer with
// (flagger-semantics §8.5); only Deployment targets are simulated, so the
// ":service" suffix Flagger appends for Service targets never occurs.
func Provider(c *flaggerv1.Canary) string {
	if c.Spec.Provider != "" {
		return c.Spec.Provider
	}
	return DefaultProvider
}

// ObserverFor is Flagger's observer dispatch for a provider key: exact
// names, the prefixes appmesh, gloo and gatewayapi, kubernetes and
// gatewayapi* to the generic HTTP observer, and istio for anything else
// (smi:*, crossover, "linkerd:service" ...).
func ObserverFor(provider string) string {
	switch {
	case strings.HasPrefix(provider, "appmesh"):
		return ObserverAppMesh
	case strings.HasPrefix(provider, "gloo"):
		return ObserverGloo
	case provider == "kubernetes" || strings.HasPrefix(provider, "gatewayapi"):
		return ObserverHTTP
	}
	switch provider {
	case ObserverLinkerd, ObserverContour, ObserverNginx, ObserverSkipper, ObserverTraefik,
		ObserverOSM, ObserverKuma, ObserverApisix, ObserverKnative:
		return provider
	}
	return ObserverIstio
}

// KnativeRevision names revision n of the Knative Service target, as
// Knative does ("<target>-00002"). The simulator models a Knative target as
// two revisions: 1 is the stable one the primary serves, 2 the new one the
// canary serves and Knative's latest created revision, which the knative
// observer queries.
func KnativeRevision(target string, n int) string {
	return fmt.Sprintf("%s-%05d", target, n)
}

// KnativeLatestRevision is the revision number the knative observer reads
// as the Knative Service's latest created revision.
const KnativeLatestRevision = 2

var nonWord = regexp.MustCompile(`\W`)

// SkipperEncode replaces every non-word character with "_", as Skipper
// does in route ids and Flagger does to the names in its Skipper queries.
func SkipperEncode(s string) string { return nonWord.ReplaceAllString(s, "_") }

// istioQueries are the builtin queries of the istio provider, written from
// the shapes in flagger-semantics §8.6: the canary workload only, success
// rate in percent, P99 duration in milliseconds.
var istioQueries = map[string]string{
	MetricSuccessRate: `sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}",response_code!~"5.*"}[{{ interval }}])) / sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}"}[{{ interval }}])) * 100`,
	MetricDuration:    `histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}"}[{{ interval }}])) by (le))`,
}

// observer is one row of the builtin query table (flagger-semantics §8.6):
// the success-rate query in percent, the duration query, and how the
// duration value becomes milliseconds.
type observer struct {
	name        string
	successRate string
	duration    string
	// secondsToMs: the duration query yields seconds, multiplied by 1000 in
	// Go before truncation (the generic HTTP observer). Every other
	// observer reads milliseconds (nginx, traefik and skipper multiply by
	// 1000 inside PromQL).
	secondsToMs bool
}

// Shared label filters of the builtin queries.
const (
	envoyRq     = `envoy_cluster_upstream_rq`
	envoyRqTime = `envoy_cluster_upstream_rq_time_bucket`
	podRegex    = `kubernetes_namespace="{{ namespace }}",kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"`
	perWindow   = `[{{ interval }}]))`
)

// ratio is the success-rate shape: 100 × Σ rate(non-5xx) / Σ rate(all).
func ratio(series, filter, not5xx string) string {
	return `sum(rate(` + series + `{` + filter + `,` + not5xx + `}` + perWindow +
		` / sum(rate(` + series + `{` + filter + `}` + perWindow + ` * 100`
}

// p99 is the histogram_quantile shape over buckets by le.
func p99(bucket, filter string) string {
	return `histogram_quantile(0.99, sum(rate(` + bucket + `{` + filter + `}` + perWindow + ` by (le))`
}

// mean is Σ rate(sum) / Σ rate(count), times 1000 (seconds to ms).
func mean(prefix, filter string) string {
	return `sum(rate(` + prefix + `_sum{` + filter + `}` + perWindow + ` / sum(rate(` + prefix + `_count{` + filter + `}` + perWindow + ` * 1000`
}

// envoyObserver is an observer over Envoy cluster stats with one filter.
func envoyObserver(name, filter string) observer {
	return observer{name: name, successRate: ratio(envoyRq, filter, `envoy_response_code!~"5.*"`), duration: p99(envoyRqTime, filter)}
}

var (
	linkerdFilter = `namespace="{{ namespace }}",deployment=~"{{ target }}",direction="inbound"`
	nginxFilter   = `namespace="{{ namespace }}",ingress="{{ ingress }}",canary!=""`
	traefikFilter = `service=~"{{ namespace }}-{{ target }}-canary-[0-9a-zA-Z-]+@kubernetescrd"`
	skipperFilter = `route=~"kube(ew)?_{{ namespace }}__{{ ingress }}_canary__.*__{{ service }}_canary(_[0-9]+)?"`
	osmFilter     = `destination_namespace="{{ namespace }}",destination_kind="Deployment",destination_name="{{ target }}"`
	apisixFilter  = `route=~"{{ namespace }}_{{ route }}-{{ target }}-canary_.+"`
)

// observers is the builtin query table, by observer name.
var observers = map[string]observer{
	ObserverIstio: {name: ObserverIstio, successRate: istioQueries[MetricSuccessRate], duration: istioQueries[MetricDuration]},
	ObserverLinkerd: {name: ObserverLinkerd,
		successRate: ratio(`response_total`, linkerdFilter, `classification!="failure"`),
		duration:    p99(`response_latency_ms_bucket`, linkerdFilter)},
	ObserverAppMesh: envoyObserver(ObserverAppMesh, podRegex),
	ObserverNginx: {name: ObserverNginx,
		successRate: ratio(`nginx_ingress_controller_requests`, nginxFilter, `status!~"5.*"`),
		duration:    mean(`nginx_ingress_controller_response_duration_seconds`, nginxFilter)},
	ObserverContour: envoyObserver(ObserverContour, `envoy_cluster_name=~"{{ namespace }}_{{ service }}-canary_[0-9a-zA-Z-]+"`),
	ObserverGloo:    envoyObserver(ObserverGloo, `envoy_cluster_name=~"{{ namespace }}-{{ target }}-canaryupstream-[0-9a-zA-Z-]+_[0-9a-zA-Z-]+"`),
	ObserverTraefik: {name: ObserverTraefik,
		successRate: ratio(`traefik_service_request_duration_seconds_bucket`, traefikFilter+`,le="+Inf"`, `code!~"5.."`),
		duration:    p99(`traefik_service_request_duration_seconds_bucket`, traefikFilter) + ` * 1000`},
	ObserverSkipper: {name: ObserverSkipper,
		successRate: ratio(`skipper_response_duration_seconds_bucket`, skipperFilter+`,le="+Inf"`, `code!~"5.."`),
		duration:    mean(`skipper_serve_route_duration_seconds`, skipperFilter)},
	ObserverHTTP: {name: ObserverHTTP,
		successRate: ratio(`http_request_duration_seconds_count`, podRegex, `status!~"5.*"`),
		duration:    p99(`http_request_duration_seconds_bucket`, podRegex), secondsToMs: true},
	ObserverOSM: {name: ObserverOSM,
		successRate: ratio(`osm_request_total`, osmFilter, `response_code!~"5.*"`),
		duration:    p99(`osm_request_duration_ms_bucket`, osmFilter)},
	ObserverKuma: envoyObserver(ObserverKuma, `service=~"{{ target }}-canary_{{ namespace }}_svc_[0-9a-zA-Z-]+"`),
	ObserverApisix: {name: ObserverApisix,
		successRate: ratio(`apisix_http_status`, apisixFilter, `code!~"5.."`),
		duration:    p99(`apisix_http_latency_bucket`, `type=~"request",`+apisixFilter)},
	ObserverKnative: envoyObserver(ObserverKnative, `envoy_cluster_name=~"{{ namespace }}/{{ route }}"`),
}

// builtins is how a Canary's builtin checks are rendered and read: the
// observer chosen by its provider key, and that key for messages.
type builtins struct {
	observer
	provider string // the metrics provider key, named in no-data warnings
}

// builtinsFor selects the observer of c (flagger-semantics §8.5).
func builtinsFor(c *flaggerv1.Canary) builtins {
	key := Provider(c)
	return builtins{observer: observers[ObserverFor(key)], provider: key}
}

// query is the builtin query template of kind, if kind is a builtin.
func (b builtins) query(kind metricKind) (string, bool) {
	switch kind {
	case kindSuccessRate:
		return b.successRate, true
	case kindDuration:
		return b.duration, true
	}
	return "", false
}

// model adapts the template model for the observer's queries: Skipper
// encodes names as route ids; Knative's route is the latest created
// revision of the target (flagger-semantics §8.6).
func (b builtins) model(c *flaggerv1.Canary, m flaggerv1.MetricTemplateModel) flaggerv1.MetricTemplateModel {
	switch b.name {
	case ObserverSkipper:
		m.Ingress, m.Name, m.Namespace = SkipperEncode(m.Ingress), SkipperEncode(m.Name), SkipperEncode(m.Namespace)
		m.Service, m.Target = SkipperEncode(m.Service), SkipperEncode(m.Target)
	case ObserverKnative:
		m.Route = KnativeRevision(c.Spec.TargetRef.Name, KnativeLatestRevision)
	}
	return m
}

// check is a builtin check of kind with its rendered query.
func (b builtins) check(m flaggerv1.CanaryMetric, kind metricKind, query string) metricCheck {
	return metricCheck{
		spec: m, kind: kind, query: query, provider: b.provider,
		secondsToMs: b.secondsToMs && kind == kindDuration,
		// Every observer wraps query errors in "running query failed: ",
		// except the generic HTTP one's success rate.
		wrapErrors: !(b.name == ObserverHTTP && kind == kindSuccessRate),
	}
}

// durationMs is Flagger's reading of a duration query value: whole
// milliseconds, truncated toward zero, after ×1000 for seconds.
func durationMs(v float64, secondsToMs bool) float64 {
	if secondsToMs {
		v *= 1000
	}
	return float64(int64(v))
}

// seriesRE finds the metric names of a query: identifiers opening a
// selector.
var seriesRE = regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)\{`)

// BuiltinSeries lists, sorted, the metric names the builtin queries of a
// provider read: series a scenario must not write itself, or the builtin
// checks would read them too.
func BuiltinSeries(provider string) []string {
	o := observers[ObserverFor(provider)]
	seen := map[string]bool{}
	var out []string
	for _, q := range []string{o.successRate, o.duration} {
		for _, m := range seriesRE.FindAllStringSubmatch(q, -1) {
			if !seen[m[1]] {
				seen[m[1]] = true
				out = append(out, m[1])
			}
		}
	}
	slices.Sort(out)
	return out
}
