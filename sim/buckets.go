package sim

import (
	"math/rand/v2"
	"slices"
)

// bucketMap sends the counts of the drawn latency cells to a schema's
// histogram buckets. A cell inside one bucket goes there directly; a cell
// that a bucket bound cuts is split multinomially by the latency
// distribution, from the workload's own "buckets" stream, so the cells
// (and the ground truth drawn from them) stay the same for every provider.
type bucketMap struct {
	n      int      // buckets, +Inf included
	direct []int    // per cell: bucket index, or -1 when split
	parts  [][]part // per split cell: its sub-cells, ascending
	// scratch for splitting one cell
	probs  []float64
	counts []int64
}

// part is the piece of a cell below upper, counted in bucket.
type part struct {
	upper  float64
	bucket int
}

// newBucketMap maps lc's cells to the buckets with upper bounds boundsMs.
func newBucketMap(lc latencyCells, boundsMs []float64) *bucketMap {
	cells := len(lc.upper) + 1
	bm := &bucketMap{n: len(boundsMs) + 1, direct: make([]int, cells), parts: make([][]part, cells)}
	bucketOf := func(ms float64) int {
		i, _ := slices.BinarySearch(boundsMs, ms)
		return i
	}
	for i := range cells {
		lo, hi := lc.bounds(i)
		var ps []part
		for _, b := range boundsMs {
			if b > lo && b < hi {
				ps = append(ps, part{b, bucketOf(b)})
			}
		}
		bm.direct[i] = bucketOf(hi)
		if len(ps) > 0 {
			bm.direct[i] = -1
			bm.parts[i] = append(ps, part{hi, bucketOf(hi)})
			bm.probs = make([]float64, max(len(bm.probs), len(bm.parts[i])))
			bm.counts = make([]int64, len(bm.probs))
		}
	}
	return bm
}

// add adds cell counts into out (non-cumulative, one per bucket).
func (bm *bucketMap) add(src rand.Source, lc latencyCells, c condition, cells []int64, out []float64) {
	for i, cnt := range cells {
		bm.addCell(src, lc, c, i, cnt, out)
	}
}

// addBoth is add for the sum of two classes' cells (one histogram for
// both), with one split draw per cell.
func (bm *bucketMap) addBoth(src rand.Source, lc latencyCells, c condition, a, b []int64, out []float64) {
	for i := range a {
		bm.addCell(src, lc, c, i, a[i]+b[i], out)
	}
}

// addCell adds cnt requests of cell i: straight into its bucket, or split
// over the buckets the cell spans.
func (bm *bucketMap) addCell(src rand.Source, lc latencyCells, c condition, i int, cnt int64, out []float64) {
	if cnt == 0 {
		return
	}
	if b := bm.direct[i]; b >= 0 {
		out[b] += float64(cnt)
		return
	}
	bm.split(src, lc, c, i, cnt, out)
}

// split spreads cnt requests of cell i over its parts.
func (bm *bucketMap) split(src rand.Source, lc latencyCells, c condition, i int, cnt int64, out []float64) {
	ps := bm.parts[i]
	lo, _ := lc.bounds(i)
	probs, counts := bm.probs[:len(ps)], bm.counts[:len(ps)]
	prev, total := mixtureCDF(c.base, c.shifts, lo), 0.0
	for j, p := range ps {
		cur := 1.0
		if j < len(ps)-1 || i < len(lc.upper) {
			cur = mixtureCDF(c.base, c.shifts, p.upper)
		}
		probs[j] = max(0, cur-prev)
		total += probs[j]
		prev = cur
	}
	for j := range probs {
		if total > 0 {
			probs[j] /= total
		} else {
			probs[j] = 0
		}
	}
	clear(counts)
	multinomial(src, cnt, probs, counts)
	for j, p := range ps {
		out[p.bucket] += float64(counts[j])
	}
}
