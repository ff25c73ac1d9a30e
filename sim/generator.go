package sim

import (
	"context"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/canarysim/canarysim/internal/promadapter"
)

// latencyCells are the histogram cells requests are drawn into: Istio's
// (Envoy's) bucket bounds plus the policy's latency bound (so slow requests
// are counted exactly). The cells are the same for every provider, so the
// draws, and the ground truth, do not depend on what the proxy exports;
// bucketMap refines them into a provider's own buckets.
type latencyCells struct {
	upper     []float64 // upper bound of each finite cell, ascending
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
		if boundMs > 0 && u == boundMs {
			lc.firstSlow = i + 1
		}
	}
	return lc
}

// bounds is cell i's range (lower, upper], upper +Inf for the last cell.
func (lc latencyCells) bounds(i int) (float64, float64) {
	lo, hi := 0.0, math.Inf(1)
	if i > 0 {
		lo = lc.upper[i-1]
	}
	if i < len(lc.upper) {
		hi = lc.upper[i]
	}
	return lo, hi
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

// workloadMetrics is one Deployment's traffic as its proxy exports it:
// cumulative values per status class, its random streams and its series
// in the TSDB (created on first request, as a proxy exports a series when
// it first sees traffic).
type workloadMetrics struct {
	name, namespace string
	smp             sampler
	sch             *schema
	bm              *bucketMap
	identity        []string
	ok, fail        statusClass
	buckets         []float64 // both classes, non-cumulative, +Inf last (!histPerClass)
	seriesBuckets   []*promadapter.Series
	meanMs          []float64 // scratch: mean latency per cell (schemas with a sum)
}

// statusClass is one status class's (2xx or 5xx) values and series.
type statusClass struct {
	n, sumMs      float64
	buckets       []float64 // non-cumulative per bucket (histPerClass)
	counter       *promadapter.Series
	count, sum    *promadapter.Series
	seriesBuckets []*promadapter.Series
}

func newWorkloadMetrics(name, namespace string, smp sampler, sch *schema, bm *bucketMap, identity []string) *workloadMetrics {
	w := &workloadMetrics{name: name, namespace: namespace, smp: smp, sch: sch, bm: bm, identity: identity}
	switch {
	case sch.hist == "":
	case sch.histPerClass:
		w.ok.buckets, w.fail.buckets = make([]float64, bm.n), make([]float64, bm.n)
	default:
		w.buckets = make([]float64, bm.n)
	}
	return w
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
	for i := lc.firstSlow; i < len(okCells); i++ {
		slow += okCells[i]
	}
	w.record(lc, c, okCells, errCells)
	w.ok.n += float64(n - e)
	w.fail.n += float64(e)
	return served{requests: n, errors: e, slow: slow}
}

// record adds drawn cell counts to the schema's buckets and sums.
func (w *workloadMetrics) record(lc latencyCells, c condition, okCells, errCells []int64) {
	switch {
	case w.sch.hist == "":
	case w.sch.histPerClass:
		w.bm.add(w.smp.buckets, lc, c, okCells, w.ok.buckets)
		w.bm.add(w.smp.buckets, lc, c, errCells, w.fail.buckets)
	default:
		w.bm.addBoth(w.smp.buckets, lc, c, okCells, errCells, w.buckets)
	}
	if w.sch.sum == "" {
		return
	}
	if w.meanMs == nil {
		w.meanMs = make([]float64, len(okCells))
	}
	for i := range okCells {
		if okCells[i]+errCells[i] > 0 {
			lo, hi := lc.bounds(i)
			w.meanMs[i] = mixtureMean(c.base, c.shifts, lo, hi)
		}
		w.ok.sumMs += float64(okCells[i]) * w.meanMs[i]
		w.fail.sumMs += float64(errCells[i]) * w.meanMs[i]
	}
}

// write appends the workload's current values at tMs, creating its series
// on first use: the success class (and the shared histogram) with the
// first request, the 5xx class with the first error.
func (w *workloadMetrics) write(run *promadapter.Run, b *promadapter.Batch, tMs int64) {
	if w.ok.n+w.fail.n == 0 {
		return
	}
	if w.ok.counter == nil && w.ok.count == nil && w.ok.seriesBuckets == nil {
		w.declare(run, &w.ok, w.sch.ok)
		if w.buckets != nil {
			w.seriesBuckets = w.bucketSeries(run, nil)
		}
	}
	if w.fail.n > 0 && w.fail.counter == nil && w.fail.count == nil && w.fail.seriesBuckets == nil {
		w.declare(run, &w.fail, w.sch.fail)
	}
	w.ok.write(b, tMs, w.sch.seconds)
	w.fail.write(b, tMs, w.sch.seconds)
	addCumulative(b, w.seriesBuckets, w.buckets, tMs)
}

// declare creates a status class's series.
func (w *workloadMetrics) declare(run *promadapter.Run, sc *statusClass, status []string) {
	s := w.sch
	if s.counter != "" {
		sc.counter = run.Series(w.labels(s.counter, status)...)
	}
	if s.histPerClass {
		sc.seriesBuckets = w.bucketSeries(run, status)
	}
	if s.count != "" {
		sc.count = run.Series(w.labels(s.count, status)...)
	}
	if s.sum != "" {
		sc.sum = run.Series(w.labels(s.sum, status)...)
	}
}

// bucketSeries declares one bucket series per bound and +Inf.
func (w *workloadMetrics) bucketSeries(run *promadapter.Run, status []string) []*promadapter.Series {
	out := make([]*promadapter.Series, 0, len(w.sch.boundsMs)+1)
	for i := range len(w.sch.boundsMs) + 1 {
		le := "+Inf"
		if i < len(w.sch.boundsMs) {
			v := w.sch.boundsMs[i]
			if w.sch.seconds {
				v /= 1000
			}
			le = strconv.FormatFloat(v, 'f', -1, 64)
		}
		out = append(out, run.Series(append(w.labels(w.sch.hist, status), "le", le)...))
	}
	return out
}

// labels is name, identity and status label pairs.
func (w *workloadMetrics) labels(name string, status []string) []string {
	l := make([]string, 0, 2+len(w.identity)+len(status)+2)
	l = append(l, "__name__", name)
	l = append(l, w.identity...)
	return append(l, status...)
}

// write appends a class's declared series.
func (sc *statusClass) write(b *promadapter.Batch, tMs int64, seconds bool) {
	if sc.counter != nil {
		b.Add(sc.counter, tMs, sc.n)
	}
	if sc.count != nil {
		b.Add(sc.count, tMs, sc.n)
	}
	if sc.sum != nil {
		v := sc.sumMs
		if seconds {
			v /= 1000
		}
		b.Add(sc.sum, tMs, v)
	}
	addCumulative(b, sc.seriesBuckets, sc.buckets, tMs)
}

// addCumulative appends bucket counts as Prometheus' cumulative buckets.
func addCumulative(b *promadapter.Batch, series []*promadapter.Series, counts []float64, tMs int64) {
	cum := 0.0
	for i, s := range series {
		cum += counts[i]
		b.Add(s, tMs, cum)
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
