package promadapter

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"
	"github.com/prometheus/prometheus/util/annotations"
)

// RunLabel is the hidden label that confines a run's series. Every query of
// a Run carries a matcher on it, so runs sharing one head never see each
// other's data. The double underscore keeps it out of any user's label space.
const RunLabel = "__canarysim_run__"

// rotateAfter is how many runs share one head before it is replaced by a
// fresh one, bounding the memory of long sweeps.
const rotateAfter = 256

// ErrClosed is returned when a closed Store is used.
var ErrClosed = errors.New("metrics store is closed")

// Store is an in-process Prometheus head (no WAL, no blocks) plus a PromQL
// engine. A Store is confined to one goroutine: it is not safe for
// concurrent use (see the postings race in the embedding notes), so a sweep
// uses one Store per worker. Runs opened on it are isolated from each other
// by RunLabel.
type Store struct {
	head    *tsdb.Head
	dir     string
	engine  *promql.Engine
	runs    uint64
	onHead  int
	closed  bool
	lookbck time.Duration
}

// Open creates an empty Store whose head chunks live in a fresh temporary
// directory, removed again by Close.
func Open() (*Store, error) {
	s := &Store{lookbck: 5 * time.Minute}
	s.engine = promql.NewEngine(promql.EngineOpts{
		MaxSamples:           50_000_000,
		Timeout:              time.Hour,
		LookbackDelta:        s.lookbck,
		EnableAtModifier:     true,
		EnableNegativeOffset: true,
		Parser:               parser.NewParser(parser.Options{}),
	})
	if err := s.openHead(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Store) openHead() error {
	dir, err := os.MkdirTemp("", "canarysim-tsdb-")
	if err != nil {
		return fmt.Errorf("creating head directory: %w", err)
	}
	ho := tsdb.DefaultHeadOptions()
	ho.ChunkRange = int64(24 * time.Hour / time.Millisecond)
	ho.ChunkDirRoot = dir
	ho.StripeSize = 256
	h, err := tsdb.NewHead(nil, nil, nil, nil, ho, nil)
	if err != nil {
		_ = os.RemoveAll(dir)
		return fmt.Errorf("opening head: %w", err)
	}
	if err := h.Init(math.MinInt64); err != nil {
		_ = h.Close()
		_ = os.RemoveAll(dir)
		return fmt.Errorf("initialising head: %w", err)
	}
	s.head, s.dir, s.onHead = h, dir, 0
	return nil
}

func (s *Store) closeHead() error {
	err := s.head.Close()
	if rmErr := os.RemoveAll(s.dir); err == nil {
		err = rmErr
	}
	return err
}

// Close releases the head and removes its directory.
func (s *Store) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	return s.closeHead()
}

// NewRun starts an isolated run on the store. Runs must be used one after
// the other: a run's series stay in memory until the head rotates.
func (s *Store) NewRun() (*Run, error) {
	if s.closed {
		return nil, ErrClosed
	}
	if s.onHead >= rotateAfter {
		if err := s.closeHead(); err != nil {
			return nil, err
		}
		if err := s.openHead(); err != nil {
			return nil, err
		}
	}
	s.runs++
	s.onHead++
	id := strconv.FormatUint(s.runs, 10)
	return &Run{
		store:   s,
		head:    s.head,
		id:      id,
		matcher: labels.MustNewMatcher(labels.MatchEqual, RunLabel, id),
	}, nil
}

// Run is one simulation's view of a Store: the series it appends and the
// queries it evaluates see nothing of other runs.
type Run struct {
	store   *Store
	head    *tsdb.Head
	id      string
	matcher *labels.Matcher
}

// Series is a handle on one series of a run, created by Run.Series and
// reused for every append so the head's series lookup happens once.
type Series struct {
	lbls labels.Labels
	ref  storage.SeriesRef
}

// Series declares a series by its label pairs (name, value, name, value...),
// including "__name__". It panics on an odd number of strings, which is a
// programming error, never user input.
func (r *Run) Series(pairs ...string) *Series {
	b := labels.NewScratchBuilder(len(pairs)/2 + 1)
	for i := 0; i+1 < len(pairs); i += 2 {
		b.Add(pairs[i], pairs[i+1])
	}
	if len(pairs)%2 != 0 {
		panic("promadapter: odd number of label strings")
	}
	b.Add(RunLabel, r.id)
	b.Sort()
	return &Series{lbls: b.Labels()}
}

// Batch collects samples of one scrape; Commit makes them visible.
type Batch struct {
	app storage.AppenderV2
	err error
}

// Begin starts a batch of appends.
func (r *Run) Begin(ctx context.Context) *Batch {
	return &Batch{app: r.head.AppenderV2(ctx)}
}

// Add appends a float sample at tMs (milliseconds of virtual time). Samples of
// one series must come in increasing time order. The first error is kept
// and returned by Commit.
func (b *Batch) Add(s *Series, tMs int64, v float64) {
	if b.err != nil {
		return
	}
	ref, err := b.app.Append(s.ref, s.lbls, 0, tMs, v, nil, nil, storage.AOptions{})
	if err != nil {
		b.err = fmt.Errorf("appending %s at %d: %w", s.lbls.String(), tMs, err)
		return
	}
	s.ref = ref
}

// Commit makes the batch's samples visible to queries; on an earlier append
// error it rolls back and returns that error.
func (b *Batch) Commit() error {
	if b.err != nil {
		_ = b.app.Rollback()
		return b.err
	}
	return b.app.Commit()
}

// Query evaluates an instant PromQL query at virtual time at. It returns the
// values of the result vector ordered by their label sets (deterministic),
// or, for a scalar result, that one value. An empty vector gives an empty
// slice and no error. Range-vector or string results are errors, as they
// are for Flagger's Prometheus client.
func (r *Run) Query(ctx context.Context, q string, at time.Time) ([]float64, error) {
	qry, err := r.store.engine.NewInstantQuery(ctx, r.queryable(), nil, q, at)
	if err != nil {
		return nil, err
	}
	defer qry.Close()
	res := qry.Exec(ctx)
	if res.Err != nil {
		return nil, res.Err
	}
	switch v := res.Value.(type) {
	case promql.Vector:
		return vectorValues(v), nil
	case promql.Scalar:
		return []float64{v.V}, nil
	default:
		return nil, fmt.Errorf("query returned %s, want an instant vector", res.Value.Type())
	}
}

func vectorValues(v promql.Vector) []float64 {
	if len(v) > 1 {
		// Histogram samples carry no float; Flagger cannot read them either.
		sortVector(v)
	}
	out := make([]float64, 0, len(v))
	for _, s := range v {
		if s.H != nil {
			out = append(out, math.NaN())
			continue
		}
		out = append(out, s.F)
	}
	return out
}

func sortVector(v promql.Vector) {
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && labels.Compare(v[j-1].Metric, v[j].Metric) > 0; j-- {
			v[j-1], v[j] = v[j], v[j-1]
		}
	}
}

func (r *Run) queryable() storage.Queryable {
	return storage.QueryableFunc(func(mint, maxt int64) (storage.Querier, error) {
		q, err := tsdb.NewBlockQuerier(tsdb.NewRangeHead(r.head, mint, maxt), mint, maxt)
		if err != nil {
			return nil, err
		}
		return runQuerier{Querier: q, m: r.matcher}, nil
	})
}

// runQuerier adds the run matcher to every selection.
type runQuerier struct {
	storage.Querier
	m *labels.Matcher
}

func (q runQuerier) Select(ctx context.Context, sortSeries bool, hints *storage.SelectHints, ms ...*labels.Matcher) storage.SeriesSet {
	return q.Querier.Select(ctx, sortSeries, hints, q.with(ms)...)
}

func (q runQuerier) LabelValues(ctx context.Context, name string, hints *storage.LabelHints, ms ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	return q.Querier.LabelValues(ctx, name, hints, q.with(ms)...)
}

func (q runQuerier) LabelNames(ctx context.Context, hints *storage.LabelHints, ms ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	return q.Querier.LabelNames(ctx, hints, q.with(ms)...)
}

func (q runQuerier) with(ms []*labels.Matcher) []*labels.Matcher {
	out := make([]*labels.Matcher, 0, len(ms)+1)
	out = append(out, ms...)
	return append(out, q.m)
}
