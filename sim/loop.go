package sim

import (
	"context"
	"fmt"
	"math"
	"time"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/canarysim/canarysim/engine"
	"github.com/canarysim/canarysim/internal/promadapter"
	"github.com/canarysim/canarysim/scenarios"
)

// loop jumps from event to event until the rollout ends or the horizon is
// reached. At one instant the order is: workload status, revision, scrape,
// analysis tick, so a tick sees the samples scraped at its own time. Fault
// boundaries (start, end of ramp, end) are events too, so no traffic
// segment straddles one: within a segment a fault's strength is linear and
// its value at the midpoint is the segment's exact mean.
func (r *runner) loop(ctx context.Context) error {
	end := r.l.RevisionAt + r.l.Horizon
	nextScrape, nextTick := time.Duration(0), r.l.TickOffset
	grid := nextTick // the job's ticker fires at TickOffset + k × interval
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		now := min(nextScrape, nextTick)
		if !r.revised {
			now = min(now, r.l.RevisionAt)
		}
		if due, ok := r.cl.NextDue(); ok {
			now = min(now, due.Sub(Epoch))
		}
		if b, ok := r.nextFaultBoundary(); ok {
			now = min(now, b)
		}
		if b, ok := r.nextScriptEvent(); ok {
			now = min(now, b)
		}
		if now > end {
			r.accrue(r.accrued, end)
			r.endedAt = end
			return nil
		}
		r.accrue(r.accrued, now)
		if err := r.cl.Advance(ctx, Epoch.Add(now)); err != nil {
			return err
		}
		if err := r.updateCrashes(ctx, now); err != nil {
			return err
		}
		if err := r.updateDeadlines(ctx, now); err != nil {
			return err
		}
		if !r.revised && now == r.l.RevisionAt {
			if err := r.applyRevision(ctx); err != nil {
				return err
			}
		}
		if err := r.applyScriptRevisions(ctx, now); err != nil {
			return err
		}
		scraped := now == nextScrape
		if scraped {
			if err := scrape(ctx, r.metrics, r.workloads, now); err != nil {
				return err
			}
			nextScrape += r.scrapeIv
		}
		if err := r.extra.write(ctx, r.metrics, now, scraped); err != nil {
			return err
		}
		if now == nextTick {
			over, busy := r.tick(ctx, now)
			if over {
				r.endedAt = now
				return nil
			}
			nextTick, grid = nextTickAfter(now, busy, grid, r.interval)
		}
	}
}

// applyRevision changes the target's pod template, as `kubectl set image`
// would: the live replica count (scaled to zero by Flagger) is kept.
func (r *runner) applyRevision(ctx context.Context) error {
	r.revised = true
	if p := r.eng.Status().Phase; p == "" || p == flaggerv1.CanaryPhaseInitializing {
		r.warnings = append(r.warnings, fmt.Sprintf(
			"the revision was applied at %s, before Flagger finished initialising the Canary: Flagger makes it the primary without any analysis; set spec.revision.at later", r.l.RevisionAt))
	}
	t := r.l.Target
	_, err := r.cl.UpdateDeployment(ctx, t.Namespace, t.Name, func(d *appsv1.Deployment) {
		d.Spec.Template = *r.l.NewTemplate.DeepCopy()
	})
	return err
}

// nextTickAfter is when the next tick runs after one at now that spent busy
// in webhook calls: the job's Go ticker fires on a fixed grid and buffers
// one fire, so a tick that overruns the next fire is followed at once by
// the buffered tick and any further fires are dropped (§1.3).
func nextTickAfter(now, busy, grid, interval time.Duration) (next, newGrid time.Duration) {
	for grid <= now {
		grid += interval
	}
	return max(grid, now+busy), grid
}

// tick runs one analysis tick and reports whether the rollout is over and
// how long the tick was busy.
func (r *runner) tick(ctx context.Context, now time.Duration) (bool, time.Duration) {
	r.script.takeAnswered()
	rec := r.eng.Tick(ctx, Epoch.Add(now))
	r.readRoutes(ctx, rec.Phase)
	rec.Routes = r.routes
	r.startWeightFaults(now)
	r.ticks = append(r.ticks, TickRecord{
		T: now - r.l.RevisionAt, RouterReady: r.routerReady, MatchOnly: r.matchRouting,
		CanaryFaulty: r.canaryFaulty(now), Scripted: r.script.takeAnswered(), Tick: rec,
	})
	if now <= r.l.RevisionAt || r.nextRev < len(r.l.Script.Revisions) {
		// Before the revision nothing is decided; with scripted revisions
		// still to come the run goes on past Succeeded or Failed.
		return false, rec.Busy
	}
	switch rec.Phase {
	case flaggerv1.CanaryPhaseSucceeded:
		r.outcome = Succeeded
		return true, rec.Busy
	case flaggerv1.CanaryPhaseFailed:
		r.outcome = Failed
		return true, rec.Busy
	}
	return false, rec.Busy
}

// readRoutes refreshes the split traffic follows from the router. With the
// kubernetes provider there is no router: once Flagger has initialised,
// the apex service sends everything to the primary.
func (r *runner) readRoutes(ctx context.Context, phase flaggerv1.CanaryPhase) {
	switch {
	case r.router.Nop:
		if phase != "" && phase != flaggerv1.CanaryPhaseInitializing {
			r.routes, r.routerReady = engine.Routes{Primary: 100}, true
		}
	default:
		if routes, err := r.cl.Routes(ctx, r.l.Canary); err == nil {
			r.routes, r.routerReady = routes, true
		}
	}
	r.share = r.splitOf(r.routes, r.routerReady)
}

// trafficShare is how live traffic splits between the workloads: the
// share each serves, the share mirrored to the canary (copies whose
// responses reach nobody), and the canary's share in whole percent, what
// load-dependent faults and the blast radius's peak weight follow (0
// before the router exists).
type trafficShare struct {
	primary, canary, mirrored float64
	weight                    int
}

// splitOf is the share for routes. Before the router exists everything
// goes to the target. With analysis.match on a router that honours it,
// the weights apply to the matching share only.
func (r *runner) splitOf(routes engine.Routes, ready bool) trafficShare {
	if !ready {
		return trafficShare{canary: 1}
	}
	s := trafficShare{canary: float64(routes.Canary) / 100}
	if r.matchRouting {
		s.canary *= r.l.MatchFraction
	}
	s.primary = 1 - s.canary
	if routes.Mirrored {
		s.mirrored = s.primary * r.mirrorFraction
	}
	s.weight = int(math.Round(s.canary * 100))
	return s
}

// nextFaultBoundary is the earliest fault start, ramp end or end after the
// traffic generated so far.
func (r *runner) nextFaultBoundary() (time.Duration, bool) {
	var next time.Duration
	found := false
	for _, f := range r.faults {
		if !f.started {
			continue
		}
		for _, b := range []time.Duration{f.start, f.start + f.spec.Ramp, f.end} {
			if b > r.accrued && (!found || b < next) {
				next, found = b, true
			}
		}
	}
	return next, found
}

// updateCrashes makes a workload's pods crash-loop (none available) while
// a crashLoop fault is active on the version it runs or the script holds
// it not ready, and recover afterwards.
func (r *runner) updateCrashes(ctx context.Context, now time.Duration) error {
	return r.syncWorkloads(ctx, r.crashing, r.cl.SetCrashing, func(w *workloadMetrics) bool {
		want := r.script.unavailable(r.role(w), now)
		if s := r.cl.Serving(w.name); s.Template != nil {
			for _, f := range r.faultsFor(r.isNew(s.Template)) {
				want = want || (f.spec.CrashLoop && f.strength(now) > 0)
			}
		}
		return want
	})
}

// syncWorkloads sets a per-workload condition in the cluster when want
// differs from what was last set (kept in last), so the cluster is written
// only on changes.
func (r *runner) syncWorkloads(ctx context.Context, last map[string]bool,
	set func(ctx context.Context, namespace, name string, on bool) error, want func(*workloadMetrics) bool) error {
	for _, w := range r.workloads {
		on := want(w)
		if on == last[w.name] {
			continue
		}
		last[w.name] = on
		if err := set(ctx, w.namespace, w.name, on); err != nil {
			return err
		}
	}
	return nil
}

// startWeightFaults starts faults triggered by the routed canary weight.
func (r *runner) startWeightFaults(now time.Duration) {
	for i := range r.faults {
		f := &r.faults[i]
		if !f.started && f.spec.WhenWeight > 0 && r.share.weight >= f.spec.WhenWeight {
			f.started, f.start = true, now
		}
	}
}

// canaryFaulty reports whether a fault is active on the version the canary
// workload serves at t.
func (r *runner) canaryFaulty(t time.Duration) bool {
	s := r.cl.Serving(r.canary.name)
	if s.Template == nil {
		return false
	}
	for _, f := range r.faultsFor(r.isNew(s.Template)) {
		if f.strength(t) > 0 {
			return true
		}
	}
	return false
}

// accrue generates the traffic of [a, b) with the routes and serving state
// of a, and tallies ground truth for the part after the revision.
func (r *runner) accrue(a, b time.Duration) {
	if b <= a {
		return
	}
	r.accrued = b
	total := expectedRequests(r.l.Traffic, a, b)
	mid := a + (b-a)/2
	counted := a >= r.l.RevisionAt
	r.serve(r.primary, r.share.primary*total, mid, counted, roleServing)
	r.serve(r.canary, r.share.canary*total, mid, counted, roleCanary)
	if r.share.mirrored > 0 {
		r.serve(r.canary, r.share.mirrored*total, mid, counted, roleMirror)
	}
	if rps := r.l.LoadTestRPS; rps > 0 && a >= r.l.RevisionAt {
		if s := r.cl.Serving(r.canary.name); s.Available > 0 && s.Template != nil && r.isNew(s.Template) {
			r.serve(r.canary, rps*(b-a).Seconds(), mid, counted, roleLoadTest)
		}
	}
}

// trafficRole is what a workload does with a share of the traffic.
type trafficRole int

const (
	roleServing  trafficRole = iota // the primary serving users
	roleCanary                      // the canary serving users
	roleMirror                      // the canary receiving mirrored copies
	roleLoadTest                    // the canary receiving a load tester's requests
)

// syntheticTally is the tally of requests no user sent or received
// (mirrored copies, load tests), nil for live traffic.
func (r *runner) syntheticTally(ro trafficRole) *Tally {
	switch ro {
	case roleMirror:
		return &r.truth.Mirrored
	case roleLoadTest:
		return &r.truth.LoadTest
	}
	return nil
}

func (r *runner) serve(w *workloadMetrics, mean float64, mid time.Duration, counted bool, ro trafficRole) {
	if mean <= 0 {
		return
	}
	if smp := r.synthetic[ro]; smp != nil {
		userSmp := w.smp
		w.smp = *smp
		defer func() { w.smp = userSmp }()
	}
	s := r.cl.Serving(w.name)
	if s.Available == 0 || s.Template == nil {
		n := w.smp.poisson(mean)
		if !counted {
			return
		}
		if syn := r.syntheticTally(ro); syn != nil {
			syn.add(Tally{Requests: n, Errors: n, Failed: n})
			return
		}
		r.truth.Unserved += n
		if ro == roleCanary && s.Template != nil && behaviourAt(r.l.New, r.faultsFor(r.isNew(s.Template)), mid).faulty {
			// Users routed to a crash-looping canary get errors: blast radius.
			r.truth.FaultyCanary.add(Tally{Requests: n, Errors: n, Failed: n})
			r.truth.PeakFaultyWeight = max(r.truth.PeakFaultyWeight, r.share.weight)
		}
		return
	}
	isNew := r.isNew(s.Template)
	v := r.l.Stable
	if isNew {
		v = r.l.New
	}
	cond := behaviourAt(v, r.faultsFor(isNew), mid)
	got := w.draw(r.cells, cond, mean, r.okCells, r.errCells, r.probs)
	r.extra.observe(ro != roleServing, isNew, got)
	if !counted {
		return
	}
	t := Tally{Requests: got.requests, Errors: got.errors, Slow: got.slow, Failed: got.errors + got.slow}
	if syn := r.syntheticTally(ro); syn != nil {
		syn.add(t)
		return
	}
	switch {
	case isNew:
		r.truth.Canary.add(t)
	default:
		r.truth.Stable.add(t)
	}
	if ro == roleCanary && cond.faulty {
		r.truth.FaultyCanary.add(t)
		r.truth.PeakFaultyWeight = max(r.truth.PeakFaultyWeight, r.share.weight)
	}
}

// faultsFor returns the faults that apply to one version. It runs per
// traffic segment, so it reuses one buffer: the result is valid until the
// next call.
func (r *runner) faultsFor(isNew bool) []activeFault {
	want := scenarios.FaultStable
	if isNew {
		want = scenarios.FaultCanary
	}
	out := r.faultBuf[:0]
	for _, f := range r.faults {
		if f.spec.Version == want {
			f.weight = r.share.weight
			out = append(out, f)
		}
	}
	r.faultBuf = out
	return out
}

// isNew tells whether a pod template runs a new revision (behaving as
// versions.canary): any template whose revision annotation or container
// images differ from the stable one. spec.revision and every later
// spec.script revision are new; a revert is stable again.
func (r *runner) isNew(t *corev1.PodTemplateSpec) bool {
	st := &r.l.Target.Spec.Template
	if st.Annotations[scenarios.RevisionAnnotation] != t.Annotations[scenarios.RevisionAnnotation] {
		return true
	}
	if len(st.Spec.Containers) != len(t.Spec.Containers) {
		return true
	}
	for i := range st.Spec.Containers {
		if st.Spec.Containers[i].Image != t.Spec.Containers[i].Image {
			return true
		}
	}
	return false
}

// versionDelays gives the workload simulator each version's rollout delay.
type versionDelays struct{ r *runner }

func (v versionDelays) RolloutDelay(t *corev1.PodTemplateSpec) time.Duration {
	if v.r.isNew(t) {
		return v.r.l.New.RolloutDelay
	}
	return v.r.l.Stable.RolloutDelay
}

// queryAdapter serves the engine's MetricSource from the run's TSDB view,
// with Flagger's reading of a result: the last series wins; an empty
// vector or NaN is "no values".
type queryAdapter struct{ run *promadapter.Run }

var _ engine.MetricSource = queryAdapter{}

func (q queryAdapter) Query(ctx context.Context, query string, at time.Time) (float64, error) {
	vals, err := q.run.Query(ctx, query, at)
	if err != nil {
		return 0, err
	}
	if len(vals) == 0 {
		return 0, engine.ErrNoValues
	}
	v := vals[len(vals)-1]
	if math.IsNaN(v) {
		return 0, engine.ErrNoValues
	}
	return v, nil
}
