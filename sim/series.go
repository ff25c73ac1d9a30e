package sim

import (
	"context"
	"strings"
	"time"

	"github.com/canarysim/canarysim/internal/promadapter"
	"github.com/canarysim/canarysim/scenarios"
)

// Workload roles and versions, as the {{ role }} and {{ version }}
// placeholders of derived series render them.
var (
	roleNames    = [2]string{"primary", "canary"}
	versionNames = [2]string{"stable", "canary"}
)

// counts are the requests one workload served with one version since the
// last scrape.
type counts struct{ ok, errors float64 }

// extraSeries writes a scenario's spec.series. Derived series reuse the
// traffic generator's per-segment draws (observe) and draw nothing
// themselves, so declaring them changes no other series; like the Istio
// series, once created they are written at every scrape. Literal series
// are written lazily, each sample once virtual time reaches it.
type extraSeries struct {
	namespace string
	workloads [2]string
	pending   [2][2]counts // [role][version]
	derived   []derivedState
	literal   []literalState
}

// derivedState is one derived series spec and its cumulative series, in
// creation order, keyed by their rendered labels.
type derivedState struct {
	spec   scenarios.DerivedSeries
	byKey  map[string]int
	series []*cumulative
}

type cumulative struct {
	s     *promadapter.Series
	value float64
}

// literalState is one literal series and the index of its next point.
type literalState struct {
	spec scenarios.LiteralSeries
	s    *promadapter.Series
	next int
}

func newExtraSeries(l *scenarios.Loaded, primary, canary string) *extraSeries {
	x := &extraSeries{namespace: l.Canary.Namespace, workloads: [2]string{primary, canary}}
	for _, d := range l.Derived {
		x.derived = append(x.derived, derivedState{spec: d, byKey: map[string]int{}})
	}
	for _, s := range l.Literal {
		x.literal = append(x.literal, literalState{spec: s})
	}
	return x
}

// observe adds one traffic segment's outcome of a workload.
func (x *extraSeries) observe(isCanary, isNew bool, got served) {
	if len(x.derived) == 0 {
		return
	}
	c := &x.pending[b2i(isCanary)][b2i(isNew)]
	c.ok += float64(got.requests - got.errors)
	c.errors += float64(got.errors)
}

// write appends, in one batch, the derived series' values when scraped is
// set and every literal point due at or before now.
func (x *extraSeries) write(ctx context.Context, run *promadapter.Run, now time.Duration, scraped bool) error {
	if len(x.literal) == 0 && (len(x.derived) == 0 || !scraped) {
		return nil
	}
	b := run.Begin(ctx)
	for i := range x.literal {
		x.literal[i].flush(run, b, now)
	}
	if scraped {
		for i := range x.derived {
			x.accumulate(run, &x.derived[i])
			for _, c := range x.derived[i].series {
				b.Add(c.s, now.Milliseconds(), c.value)
			}
		}
		x.pending = [2][2]counts{}
	}
	return b.Commit()
}

// accumulate adds the pending counts to d's series, creating a series the
// first time its value is not zero.
func (x *extraSeries) accumulate(run *promadapter.Run, d *derivedState) {
	for role := range x.pending {
		for version := range x.pending[role] {
			c := x.pending[role][version]
			for _, part := range d.parts(c) {
				if part.n == 0 {
					continue
				}
				vars := func(name string) string {
					switch name {
					case "workload":
						return x.workloads[role]
					case "role":
						return roleNames[role]
					case "version":
						return versionNames[version]
					case "namespace":
						return x.namespace
					case "status":
						return part.status
					}
					return ""
				}
				d.add(run, vars, d.spec.Factor*part.n)
			}
		}
	}
}

// statusCount is a count with the status code it stands for.
type statusCount struct {
	status string
	n      float64
}

// parts splits a workload's counts as the spec counts them: one part, or
// one per status code with {{ status }}.
func (d *derivedState) parts(c counts) []statusCount {
	switch {
	case d.spec.Count == scenarios.CountErrors:
		return []statusCount{{"500", c.errors}}
	case d.spec.Count == scenarios.CountSuccesses:
		return []statusCount{{"200", c.ok}}
	case d.spec.ByStatus:
		return []statusCount{{"200", c.ok}, {"500", c.errors}}
	}
	return []statusCount{{"", c.ok + c.errors}}
}

// add renders the labels with vars and adds v to that series.
func (d *derivedState) add(run *promadapter.Run, vars func(string) string, v float64) {
	pairs := make([]string, 0, 2*len(d.spec.Labels)+2)
	pairs = append(pairs, "__name__", d.spec.Name)
	for _, l := range d.spec.Labels {
		pairs = append(pairs, l.Name, scenarios.ExpandPlaceholders(l.Value, vars))
	}
	key := strings.Join(pairs, "\xff")
	i, ok := d.byKey[key]
	if !ok {
		i = len(d.series)
		d.byKey[key] = i
		d.series = append(d.series, &cumulative{s: run.Series(pairs...)})
	}
	d.series[i].value += v
}

// flush appends the points due at or before now: `_` writes nothing,
// `stale` a staleness marker.
func (l *literalState) flush(run *promadapter.Run, b *promadapter.Batch, now time.Duration) {
	for ; l.next < len(l.spec.Points); l.next++ {
		at := l.spec.Start + time.Duration(l.next)*l.spec.Interval
		if at > now {
			return
		}
		p := l.spec.Points[l.next]
		if p.Omitted {
			continue
		}
		if l.s == nil {
			l.s = run.Series(l.spec.Labels...)
		}
		if p.Stale {
			b.AddStale(l.s, at.Milliseconds())
			continue
		}
		b.Add(l.s, at.Milliseconds(), p.Value)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
