package sim

import (
	"context"
	"fmt"
	"time"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"

	"github.com/canarysim/canarysim/engine"
	"github.com/canarysim/canarysim/fakecluster"
	"github.com/canarysim/canarysim/internal/promadapter"
	"github.com/canarysim/canarysim/scenarios"
)

// Epoch is virtual time zero, the moment the Canary is created. Sample
// timestamps and query times are offsets from it, never wall time.
var Epoch = time.Unix(0, 0).UTC()

// NewBackend builds the cluster a run acts on.
type NewBackend func(b fakecluster.Behaviour, epoch time.Time) (fakecluster.Backend, error)

// Options tune one run.
type Options struct {
	// Seed selects the random streams.
	Seed uint64
	// Store is a metrics store to reuse (sweeps keep one per worker); nil
	// opens and closes one for this run. It must not be used by another
	// goroutine during the run.
	Store *promadapter.Store
	// Backend builds the cluster; nil means the in-memory backend.
	Backend NewBackend
}

// Run simulates one rollout of l with opts.Seed and returns its timeline
// and ground truth. The same inputs and seed give the same Result.
func Run(ctx context.Context, l *scenarios.Loaded, opts Options) (*Result, error) {
	store := opts.Store
	if store == nil {
		s, err := promadapter.Open()
		if err != nil {
			return nil, err
		}
		defer s.Close()
		store = s
	}
	r, err := newRunner(ctx, l, opts, store)
	if err != nil {
		return nil, err
	}
	defer func() { _ = r.cl.Close(context.WithoutCancel(ctx)) }()
	if err := r.loop(ctx); err != nil {
		return nil, fmt.Errorf("simulating %s (seed %d): %w", l.Name, opts.Seed, err)
	}
	return r.result(), nil
}

// runner is the state of one run's event loop.
type runner struct {
	l       *scenarios.Loaded
	seed    uint64
	cl      fakecluster.Backend
	eng     *engine.Engine
	metrics *promadapter.Run
	cells   latencyCells
	primary *workloadMetrics
	canary  *workloadMetrics
	faults  []activeFault
	script  *script
	nextRev int // index of the next spec.script revision to apply

	routes      engine.Routes
	routerReady bool
	share       trafficShare // derived from routes by readRoutes
	router      engine.RouterCaps
	// matchRouting: the router splits only the requests matching
	// analysis.match (MatchFraction of the traffic).
	matchRouting   bool
	mirrorFraction float64       // share of primary-bound traffic mirrored when the router mirrors
	accrued        time.Duration // traffic generated up to here
	revised        bool
	ticks          []TickRecord
	warnings       []string
	crashing       map[string]bool
	stalled        map[string]bool            // ProgressDeadlineExceeded forced by the script
	faultBuf       []activeFault              // scratch of faultsFor
	workloads      []*workloadMetrics         // primary, canary
	synthetic      [roleLoadTest + 1]*sampler // random streams of mirrored and load-test requests; nil for users
	extra          *extraSeries               // spec.series
	truth          GroundTruth
	outcome        Outcome
	endedAt        time.Duration

	probs              []float64
	okCells, errCells  []int64
	interval, scrapeIv time.Duration
}

func newRunner(ctx context.Context, l *scenarios.Loaded, opts Options, store *promadapter.Store) (*runner, error) {
	r := &runner{l: l, seed: opts.Seed, scrapeIv: l.ScrapeInterval, outcome: Incomplete, crashing: map[string]bool{}, stalled: map[string]bool{}}
	newBackend := opts.Backend
	if newBackend == nil {
		newBackend = fakecluster.NewMemory
	}
	cl, err := newBackend(versionDelays{r}, Epoch)
	if err != nil {
		return nil, err
	}
	r.cl = cl
	run, err := store.NewRun()
	if err != nil {
		return nil, err
	}
	r.metrics = run
	src := queryAdapter{run}
	r.share = r.splitOf(engine.Routes{}, false) // no router yet
	r.interval = engineInterval(l.Canary)
	r.script = newScript(l, r.interval)
	eopts := engine.Options{Hooks: r.script, Script: r.script, Templates: l.Templates}
	if r.eng, err = engine.New(l.Canary, cl, src, eopts); err != nil {
		return nil, err
	}
	r.initRouting()
	r.truth.LatencyBoundMs = latencyBound(l.Canary)
	r.cells = newLatencyCells(r.truth.LatencyBoundMs)
	n := len(r.cells.upper) + 1
	r.probs, r.okCells, r.errCells = make([]float64, n), make([]int64, n), make([]int64, n)
	r.initWorkloads()
	r.initFaults()
	if err := cl.CreateCanary(ctx, l.Canary); err != nil {
		return nil, err
	}
	if err := cl.ApplyDeployment(ctx, l.Target); err != nil {
		return nil, fmt.Errorf("creating target deployment: %w", err)
	}
	return r, nil
}

// initWorkloads prepares the primary and canary workloads' metrics in the
// schema of the scenario's provider (Loaded.Provider).
func (r *runner) initWorkloads() {
	c := r.l.Canary
	_, primarySvc, canarySvc := c.GetServiceNames()
	sch := schemaFor(r.l.Provider)
	bm := newBucketMap(r.cells, sch.boundsMs)
	n := canaryNames(c)
	mk := func(w role) *workloadMetrics {
		return newWorkloadMetrics(w.deployment, c.Namespace, newSampler(r.seed, r.l.Name, w.deployment), &sch, bm, sch.identity(n, w))
	}
	r.primary = mk(role{deployment: c.Spec.TargetRef.Name + "-primary", service: primarySvc, primary: true})
	r.canary = mk(role{deployment: c.Spec.TargetRef.Name, service: canarySvc})
	r.workloads = []*workloadMetrics{r.primary, r.canary}
	// Mirrored copies and load tests draw from streams of their own, so
	// turning them on never shifts the draws of user traffic.
	mirror, loadTest := newSampler(r.seed, r.l.Name, r.canary.name+"/mirror"), newSampler(r.seed, r.l.Name, r.canary.name+"/load-test")
	r.synthetic[roleMirror], r.synthetic[roleLoadTest] = &mirror, &loadTest
	r.extra = newExtraSeries(r.l, r.primary.name, r.canary.name)
}

// initRouting reads how the provider's router treats match and mirror.
func (r *runner) initRouting() {
	a := r.l.Canary.GetAnalysis()
	r.router = engine.RouterFor(engine.Provider(r.l.Canary), a)
	r.matchRouting = engine.SplitsByMatch(engine.Provider(r.l.Canary), a)
	r.mirrorFraction = 1
	if a != nil && a.MirrorWeight > 0 && r.router.MirrorWeight {
		r.mirrorFraction = float64(min(a.MirrorWeight, 100)) / 100
	}
}

func (r *runner) initFaults() {
	for _, f := range r.l.Faults {
		af := activeFault{spec: f}
		if f.WhenWeight == 0 {
			af.started = true
			af.start = r.l.RevisionAt + f.Start
		}
		if f.End > 0 {
			af.end = r.l.RevisionAt + f.End
		}
		r.faults = append(r.faults, af)
	}
}

// engineInterval is the analysis interval the engine ticks at (the
// engine's Interval, known before the engine is built).
func engineInterval(c *flaggerv1.Canary) time.Duration {
	if c.GetAnalysis() == nil {
		return flaggerv1.AnalysisInterval
	}
	return c.GetAnalysisInterval()
}

// latencyBound is the request-duration bound (ms) of the Canary's policy.
func latencyBound(c *flaggerv1.Canary) float64 {
	a := c.GetAnalysis()
	if a == nil {
		return 0
	}
	for _, m := range a.Metrics {
		if m.Name != engine.MetricDuration {
			continue
		}
		if m.ThresholdRange != nil && m.ThresholdRange.Max != nil {
			return float64(int64(*m.ThresholdRange.Max))
		}
		if m.ThresholdRange == nil && m.Threshold > 0 {
			return float64(int64(m.Threshold))
		}
	}
	return 0
}

func (r *runner) result() *Result {
	res := &Result{
		Scenario: r.l.Name, File: r.l.File, Digest: r.l.Digest, Seed: r.seed, Backend: r.cl.Name(),
		Warnings: append(append([]string{}, r.l.Warnings...), r.warnings...), Outcome: r.outcome, RevisionAt: r.l.RevisionAt,
		End: r.endedAt - r.l.RevisionAt, Ticks: r.ticks, Truth: r.truth,
	}
	for _, f := range r.faults {
		if !f.started || f.spec.Version != scenarios.FaultCanary || f.start > r.endedAt {
			continue
		}
		if at := f.start - r.l.RevisionAt; res.FaultStartedAt == nil || at < *res.FaultStartedAt {
			res.FaultStartedAt = &at
		}
	}
	res.PrimaryVersion = "stable"
	if s := r.cl.Serving(r.primary.name); s.Template != nil && r.isNew(s.Template) {
		res.PrimaryVersion = "canary"
	}
	end := res.End
	switch r.outcome {
	case Succeeded:
		res.PromotedAt = &end
	case Failed:
		res.RolledBackAt = &end
	}
	return res
}
