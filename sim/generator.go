package sim

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/canarysim/canarysim/internal/promadapter"
)

// latencyCells are the histogram cells requests are drawn into: Istio's
// bucket bounds plus the policy's latency bound (so slow requests are
// counted exactly), each cell mapped to the Istio bucket it belongs to.
type latencyCells struct {
	upper     []float64 // upper bound of each finite cell, ascending
	bucket    []int     // Istio bucket index of each cell (len(istioBucketsMs) = +Inf)
	firstSlow int       // first cell above the latency bound; len(cells) when none
}

func newLatencyCells(boundMs float64) latencyCells {
	upper := slices.Clone(istioBucketsMs)
	if boundMs > 0 && !slices.Contains(upper, boundMs) {
		upper = append(upper, boundMs)
		slices.Sort(upper)
	}
	lc := latencyCells{upper: upper, firstSlow: len(upper) + 1}
	for i, u := range upper {
		lc.bucket = append(lc.bucket, bucketOf(u))
		if boundMs > 0 && u == boundMs {
			lc.firstSlow = i + 1
		}
	}
	lc.bucket = append(lc.bucket, len(istioBucketsMs))
	return lc
}

// bucketOf is the index of the first Istio bound >= ms.
func bucketOf(ms float64) int {
	i, _ := slices.BinarySearch(istioBucketsMs, ms)
	return i
}

// probs fills p with each cell's probability under c.
func (lc latencyCells) probs(c condition, p []float64) {
	prev := 0.0
	for i, u := range lc.upper {
		cur := mixtureCDF(c.base, c.shifts, u)
		p[i] = max(0, cur-prev)
		prev = cur
	}
	p[len(lc.upper)] = max(0, 1-prev)
}

// workloadMetrics is one Deployment's traffic: cumulative series values,
// its random streams and its series in the TSDB (created on first request,
// as a proxy exports a series when it first sees traffic).
type workloadMetrics struct {
	name, namespace, service string
	smp                      sampler
	ok, errors               float64
	buckets                  []float64 // non-cumulative per Istio bucket, +Inf last
	seriesOK, seriesErr      *promadapter.Series
	seriesBuckets            []*promadapter.Series
}

// served is one segment's outcome for a workload.
type served struct {
	requests, errors, slow int64
}

// draw generates n ~ Poisson(mean) requests under condition c and adds them
// to the workload's counters. It returns the exact tally.
func (w *workloadMetrics) draw(lc latencyCells, c condition, mean float64, okCells, errCells []int64, probs []float64) served {
	n := w.smp.poisson(mean)
	if n == 0 {
		return served{}
	}
	e := binomial(w.smp.errs, n, c.errorRate)
	lc.probs(c, probs)
	clear(okCells)
	clear(errCells)
	multinomial(w.smp.lat, n-e, probs, okCells)
	multinomial(w.smp.lat, e, probs, errCells)
	var slow int64
	for i := range okCells {
		cnt := okCells[i] + errCells[i]
		if cnt > 0 {
			w.buckets[lc.bucket[i]] += float64(cnt)
		}
		if i >= lc.firstSlow {
			slow += okCells[i]
		}
	}
	w.ok += float64(n - e)
	w.errors += float64(e)
	return served{requests: n, errors: e, slow: slow}
}

// write appends the workload's current values at tMs, creating its series
// on first use.
func (w *workloadMetrics) write(run *promadapter.Run, b *promadapter.Batch, tMs int64) {
	if w.ok+w.errors == 0 {
		return
	}
	if w.seriesOK == nil {
		w.seriesOK = run.Series(w.requestLabels("200")...)
		for i := range w.buckets {
			le := "+Inf"
			if i < len(istioBucketsMs) {
				le = strconv.FormatFloat(istioBucketsMs[i], 'f', -1, 64)
			}
			w.seriesBuckets = append(w.seriesBuckets, run.Series(w.bucketLabels(le)...))
		}
	}
	if w.seriesErr == nil && w.errors > 0 {
		w.seriesErr = run.Series(w.requestLabels("500")...)
	}
	b.Add(w.seriesOK, tMs, w.ok)
	if w.seriesErr != nil {
		b.Add(w.seriesErr, tMs, w.errors)
	}
	cum := 0.0
	for i, s := range w.seriesBuckets {
		cum += w.buckets[i]
		b.Add(s, tMs, cum)
	}
}

func (w *workloadMetrics) requestLabels(code string) []string {
	return []string{
		"__name__", "istio_requests_total",
		"reporter", "destination",
		"destination_service", w.service,
		"destination_workload", w.name,
		"destination_workload_namespace", w.namespace,
		"response_code", code,
	}
}

func (w *workloadMetrics) bucketLabels(le string) []string {
	return []string{
		"__name__", "istio_request_duration_milliseconds_bucket",
		"reporter", "destination",
		"destination_service", w.service,
		"destination_workload", w.name,
		"destination_workload_namespace", w.namespace,
		"le", le,
	}
}

// scrape writes every workload's values at virtual time t in one batch.
func scrape(ctx context.Context, run *promadapter.Run, ws []*workloadMetrics, t time.Duration) error {
	b := run.Begin(ctx)
	tMs := t.Milliseconds()
	for _, w := range ws {
		w.write(run, b, tMs)
	}
	return b.Commit()
}
