package sim

import (
	"hash/fnv"
	"strconv"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"

	"github.com/canarysim/canarysim/engine"
)

// schema is how one provider's proxy exports a workload's requests: the
// series the builtin queries of its observer (engine.ObserverFor) read.
// Every request is counted once per status class (2xx or 5xx) in the
// class's series; latency goes to histogram buckets, to a sum, or both.
type schema struct {
	// counter counts requests per class; "" when the histogram's count or
	// +Inf bucket is the request counter.
	counter string
	// ok and fail are the status label pairs of a successful and of a 5xx
	// request, on every per-class series.
	ok, fail []string
	// hist names the bucket series ("" for none); histPerClass puts the
	// status labels on the buckets (one histogram per class) instead of
	// one histogram for both classes.
	hist         string
	histPerClass bool
	// count and sum name per-class histogram count and latency sum series
	// ("" for none).
	count, sum string
	// boundsMs are the bucket upper bounds in milliseconds; seconds writes
	// bounds and sums in seconds.
	boundsMs []float64
	seconds  bool
	// identity is the label pairs that name one workload's series.
	identity func(n names, w role) []string
}

// role is one of the two workloads a Canary runs.
type role struct {
	deployment string // <target>-primary or <target>
	service    string // Kubernetes Service in front of it
	primary    bool
}

// names are the object names of a Canary that proxies put in labels.
type names struct {
	ns, target, apex, ingress, route, port string
}

func canaryNames(c *flaggerv1.Canary) names {
	apex, _, _ := c.GetServiceNames()
	n := names{ns: c.Namespace, target: c.Spec.TargetRef.Name, apex: apex, port: strconv.Itoa(int(c.Spec.Service.Port))}
	n.ingress, n.route = n.target, n.target
	if c.Spec.IngressRef != nil {
		n.ingress = c.Spec.IngressRef.Name
	}
	if c.Spec.RouteRef != nil {
		n.route = c.Spec.RouteRef.Name
	}
	return n
}

// Default histogram bounds (ms) of the proxies, as they ship.
var (
	// envoyBucketsMs are Envoy's default histogram bounds, also Istio's.
	envoyBucketsMs = istioBucketsMs
	// linkerdBucketsMs are the Linkerd proxy's response_latency_ms bounds.
	linkerdBucketsMs = []float64{1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 100, 200, 300, 400, 500, 1000, 2000, 3000, 4000, 5000, 10000, 20000, 30000, 40000, 50000}
	// promDefBucketsMs are the Prometheus client libraries' default
	// buckets (5ms to 10s), used by Skipper and typical app instrumentation.
	promDefBucketsMs = []float64{5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000}
	// traefikBucketsMs are Traefik's default buckets: 0.1, 0.3, 1.2 and 5s.
	traefikBucketsMs = []float64{100, 300, 1200, 5000}
	// apisixBucketsMs are the APISIX prometheus plugin's default buckets.
	apisixBucketsMs = []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000, 60000}
)

var (
	httpCodes  = [2][]string{{"response_code", "200"}, {"response_code", "500"}}
	envoyCodes = [2][]string{{"envoy_response_code", "200"}, {"envoy_response_code", "500"}}
	codeLabel  = [2][]string{{"code", "200"}, {"code", "500"}}
	statusCode = [2][]string{{"status", "200"}, {"status", "500"}}
)

// envoy is the schema of Envoy cluster stats, with identity labels.
func envoy(identity func(names, role) []string) schema {
	return schema{counter: "envoy_cluster_upstream_rq", ok: envoyCodes[0], fail: envoyCodes[1],
		hist: "envoy_cluster_upstream_rq_time_bucket", boundsMs: envoyBucketsMs, identity: identity}
}

// schemas maps observer names to what the generator writes.
var schemas = map[string]schema{
	engine.ObserverIstio: {counter: "istio_requests_total", ok: httpCodes[0], fail: httpCodes[1],
		hist: "istio_request_duration_milliseconds_bucket", boundsMs: istioBucketsMs,
		identity: func(n names, w role) []string {
			return []string{"reporter", "destination", "destination_service", w.service + "." + n.ns + ".svc.cluster.local",
				"destination_workload", w.deployment, "destination_workload_namespace", n.ns}
		}},
	engine.ObserverLinkerd: {counter: "response_total",
		ok: []string{"classification", "success", "status_code", "200"}, fail: []string{"classification", "failure", "status_code", "500"},
		hist: "response_latency_ms_bucket", boundsMs: linkerdBucketsMs,
		identity: func(n names, w role) []string {
			return []string{"direction", "inbound", "namespace", n.ns, "deployment", w.deployment, "pod", podName(w.deployment)}
		}},
	engine.ObserverAppMesh: envoy(func(n names, w role) []string {
		return []string{"kubernetes_namespace", n.ns, "kubernetes_pod_name", podName(w.deployment)}
	}),
	engine.ObserverContour: envoy(func(n names, w role) []string {
		return []string{"envoy_cluster_name", n.ns + "_" + w.service + "_" + n.port}
	}),
	engine.ObserverGloo: envoy(func(n names, w role) []string {
		kind := "canaryupstream"
		if w.primary {
			kind = "primaryupstream"
		}
		return []string{"envoy_cluster_name", n.ns + "-" + n.apex + "-" + kind + "-" + n.port + "_" + n.ns}
	}),
	engine.ObserverKuma: envoy(func(n names, w role) []string {
		svc := w.service + "_" + n.ns + "_svc_" + n.port
		return []string{"service", svc, "envoy_cluster_name", svc}
	}),
	engine.ObserverKnative: envoy(func(n names, w role) []string {
		rev := engine.KnativeRevision(n.target, engine.KnativeLatestRevision)
		if w.primary {
			rev = engine.KnativeRevision(n.target, 1)
		}
		return []string{"envoy_cluster_name", n.ns + "/" + rev}
	}),
	engine.ObserverOSM: {counter: "osm_request_total", ok: httpCodes[0], fail: httpCodes[1],
		hist: "osm_request_duration_ms_bucket", boundsMs: envoyBucketsMs,
		identity: func(n names, w role) []string {
			return []string{"destination_namespace", n.ns, "destination_kind", "Deployment", "destination_name", w.deployment}
		}},
	engine.ObserverNginx: {counter: "nginx_ingress_controller_requests", ok: statusCode[0], fail: statusCode[1],
		count: "nginx_ingress_controller_response_duration_seconds_count", sum: "nginx_ingress_controller_response_duration_seconds_sum", seconds: true,
		identity: func(n names, w role) []string {
			l := []string{"namespace", n.ns, "ingress", n.ingress, "service", w.service}
			if !w.primary { // ingress-nginx names the canary upstream on canary traffic only
				l = append(l, "canary", n.ns+"-"+w.service+"-"+n.port)
			}
			return l
		}},
	engine.ObserverTraefik: {ok: codeLabel[0], fail: codeLabel[1],
		hist: "traefik_service_request_duration_seconds_bucket", histPerClass: true, boundsMs: traefikBucketsMs, seconds: true,
		identity: func(n names, w role) []string {
			return []string{"service", n.ns + "-" + w.service + "-" + n.port + "@kubernetescrd", "method", "GET", "protocol", "http"}
		}},
	engine.ObserverSkipper: {ok: codeLabel[0], fail: codeLabel[1],
		hist: "skipper_response_duration_seconds_bucket", histPerClass: true, boundsMs: promDefBucketsMs, seconds: true,
		count: "skipper_serve_route_duration_seconds_count", sum: "skipper_serve_route_duration_seconds_sum",
		identity: func(n names, w role) []string {
			return []string{"route", skipperRoute(n, w), "method", "GET"}
		}},
	engine.ObserverHTTP: {ok: statusCode[0], fail: statusCode[1],
		hist: "http_request_duration_seconds_bucket", histPerClass: true, boundsMs: promDefBucketsMs, seconds: true,
		count: "http_request_duration_seconds_count",
		identity: func(n names, w role) []string {
			return []string{"kubernetes_namespace", n.ns, "kubernetes_pod_name", podName(w.deployment)}
		}},
	engine.ObserverApisix: {counter: "apisix_http_status", ok: codeLabel[0], fail: codeLabel[1],
		hist: "apisix_http_latency_bucket", boundsMs: apisixBucketsMs,
		identity: func(n names, w role) []string {
			return []string{"route", apisixRoute(n), "type", "request", "node", podIP(w)}
		}},
}

// schemaFor is the schema the builtin queries of provider read.
func schemaFor(provider string) schema { return schemas[engine.ObserverFor(provider)] }

// skipperRoute is the Skipper route id of a workload's Ingress backend:
// kube_<ns>__<ingress>__<host>__<path>__<service>, non-word characters as
// "_". Canary traffic runs through Flagger's "<ingress>-canary" Ingress.
// The host is a fixed, made-up one.
func skipperRoute(n names, w role) string {
	ing := n.ingress
	if !w.primary {
		ing += "-canary"
	}
	return "kube_" + engine.SkipperEncode(n.ns) + "__" + engine.SkipperEncode(ing) + "__" +
		engine.SkipperEncode(n.apex+"."+n.ns+".example.com") + "____" + engine.SkipperEncode(w.service)
}

// apisixRoute is the route of Flagger's "<route>-<apex>-canary" ApisixRoute
// (rule "http"). It carries primary and canary traffic alike, told apart
// only by the upstream node: APISIX's builtin measures the whole route.
func apisixRoute(n names) string {
	return n.ns + "_" + n.route + "-" + n.apex + "-canary_http"
}

// podIP is a fixed address per workload, for APISIX's node label.
func podIP(w role) string {
	if w.primary {
		return "10.0.0.1"
	}
	return "10.0.0.2"
}

// podName is one pod of a Deployment, "<deployment>-<replicaset hash>-<pod
// hash>" in Kubernetes' hash alphabet, derived from the name only: the
// simulator exports one pod series per workload, kept across revisions.
func podName(deployment string) string {
	return deployment + "-" + kubeHash(deployment+"/replicaset", 10) + "-" + kubeHash(deployment+"/pod", 5)
}

// kubeHash is n characters of Kubernetes' safe alphabet hashed from s.
func kubeHash(s string, n int) string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	v := h.Sum64()
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[v%uint64(len(alphabet))]
		v /= uint64(len(alphabet))
	}
	return string(b)
}
