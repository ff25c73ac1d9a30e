package promadapter

import (
	"errors"
	"fmt"
	"math"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/promql/parser"
)

// Point is one step of a series written in Prometheus's expanding
// notation: a value, no sample (`_`), or a staleness marker (`stale`).
type Point struct {
	Value   float64
	Omitted bool
	Stale   bool
}

// ErrHistogramPoint is returned by ParseSeries for native histogram values,
// which the simulator does not write.
var ErrHistogramPoint = errors.New("native histogram values are not supported")

// ParseSeries parses a series as promtool unit tests write it: a series
// selector such as `orders_total{app="podinfo"}` and values in expanding
// notation such as "0+10x100 _ stale 5", with Prometheus's own parser. It
// returns the label pairs (name, value, ...; "__name__" included, sorted by
// name) and one Point per step. Errors are the parser's, unwrapped.
func ParseSeries(series, values string) ([]string, []Point, error) {
	lbls, vals, err := parser.NewParser(parser.Options{}).ParseSeriesDesc(series + " " + values)
	if err != nil {
		return nil, nil, err
	}
	pairs := make([]string, 0, 2*lbls.Len())
	lbls.Range(func(l labels.Label) { pairs = append(pairs, l.Name, l.Value) })
	out := make([]Point, 0, len(vals))
	for i, v := range vals {
		if v.Histogram != nil {
			return nil, nil, fmt.Errorf("value %d: %w", i+1, ErrHistogramPoint)
		}
		out = append(out, Point{Value: v.Value, Omitted: v.Omitted, Stale: value.IsStaleNaN(v.Value)})
	}
	return pairs, out, nil
}

// AddStale appends a staleness marker at tMs: from then on the series is
// absent from instant selectors, as when a target stops exporting it.
func (b *Batch) AddStale(s *Series, tMs int64) {
	b.Add(s, tMs, math.Float64frombits(value.StaleNaN))
}
