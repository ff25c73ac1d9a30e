// Package reports renders simulation results: the timeline of one run in
// the style of a Flagger log, and its stable JSON document (RunDoc). It
// re-runs nothing; everything comes from a sim.Result.
//
//	_ = reports.WriteTimeline(os.Stdout, result)
//
// Limitations: aggregation over seeds and comparison tables are not
// written yet.
package reports
