// Package engine is canarysim's Flagger-compatible analysis: the phase state
// machine, weights, failed checks, gates, promotion and rollback of Flagger
// v1.41.0 as written in flagger-semantics.md.
//
// An Engine is driven from outside, one analysis tick at a time, with the
// virtual time passed in; it reads no clock, starts no goroutines and acts
// only through its ports (Cluster, MetricSource, Webhooks). Each Tick
// returns what happened as data (phase, routes, checks, events).
//
//	e, err := engine.New(canary, cluster, metrics, engine.Options{})
//	rec := e.Tick(ctx, now)
//
// The engine talks to its ports synchronously during a tick instead of
// raft's Ready/Advance hand-off, because Flagger's tick interleaves reads
// (readiness, metrics, hooks) and writes in one pass; the ports are
// deterministic, so same state plus same answers still gives the same
// actions.
//
// Limitations: Deployment targets only; the builtin queries of every
// provider are rendered (providers.go) with the global mesh provider taken
// as istio; routers are modelled by what they do with weights, match and
// mirror (routing.go); MetricTemplates of providers other than Prometheus
// are rejected by New with ErrUnsupported. Alerts and event-webhook
// deliveries are recorded on the Tick, never sent.
package engine
