// Package promadapter is the only package that imports Prometheus. It wraps
// an in-process TSDB head (no WAL, no blocks) and the PromQL engine behind
// a small API: a Store per goroutine, isolated Runs on it, series appended
// at explicit virtual timestamps and instant queries evaluated at explicit
// virtual times.
//
//	st, _ := promadapter.Open()
//	run, _ := st.NewRun()
//	vals, err := run.Query(ctx, `sum(rate(x[1m]))`, at)
//
// Limitations: a Store must not be shared between goroutines (the head's
// postings can be read inconsistently while series are created); float
// samples only.
package promadapter
