// Package sim runs one simulated rollout: a virtual clock that jumps from
// event to event (scrapes, analysis ticks, workload status changes, the
// revision), seeded random streams per generator, analytic traffic and
// failure generation per scrape written as Istio series into the embedded
// TSDB, and exact ground-truth tallies beside it. The engine decides; sim
// only feeds it and records what happened.
//
//	res, err := sim.Run(ctx, loaded, sim.Options{Seed: 7})
//
// Run is deterministic: the same Loaded scenario and seed give the same
// Result whatever GOMAXPROCS or the metrics store's history. A Store passed
// in Options must be confined to the calling goroutine.
//
// Limitations: one rollout per call (sweeps come later); one pod series per
// workload; a Knative target is modelled as two revisions, <target>-00001
// (primary) and <target>-00002 (canary, the latest created one); requests
// routed to a workload without available pods are counted as unserved
// failures but written to no metric (the destination proxy never sees them).
package sim
