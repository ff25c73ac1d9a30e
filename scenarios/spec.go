package scenarios

import (
	"fmt"
	"time"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"

	"github.com/canarysim/canarysim/engine"
)

// Defaults for optional scenario fields.
const (
	DefaultHorizon        = 2 * time.Hour
	DefaultScrapeInterval = 15 * time.Second
	DefaultTickOffset     = 5 * time.Second
	DefaultRevisionAt     = 3 * time.Minute
	DefaultRolloutDelay   = 30 * time.Second
	DefaultDiurnalPeriod  = 24 * time.Hour
)

// specResolver turns the string-typed Spec into Loaded fields, reporting
// each problem at its position in the scenario document.
type specResolver struct {
	l   *loader
	doc document
}

func (r specResolver) errAt(path, format string, args ...any) {
	r.doc.at(&r.l.errs, path, format, args...)
}

func (r specResolver) warnAt(path, format string, args ...any) {
	line, _ := r.doc.position(path)
	r.l.warns = append(r.l.warns, fmt.Sprintf("%s:%d: %s: %s", r.doc.file, line, joinPath(r.doc.prefix, path), fmt.Sprintf(format, args...)))
}

// duration parses an optional non-negative duration, returning def when s
// is empty.
func (r specResolver) duration(path, s string, def time.Duration) time.Duration {
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		r.errAt(path, "%q is not a duration like 30s, 5m or 1h30m", s)
		return def
	}
	if d < 0 {
		r.errAt(path, "must not be negative, got %s", s)
		return def
	}
	return d
}

// positive is duration with the extra rule that zero is not allowed.
func (r specResolver) positive(path, s string, def time.Duration) time.Duration {
	d := r.duration(path, s, def)
	if s != "" && d == 0 {
		r.errAt(path, "must be greater than zero")
		return def
	}
	return d
}

// MaxRPS bounds request rates: far beyond any service, small enough that
// the generators' arithmetic stays exact.
const MaxRPS = 1e7

// MaxHorizon bounds the simulated time after the revision.
const MaxHorizon = 30 * 24 * time.Hour

// rate checks a request rate.
func (r specResolver) rate(path string, v float64) {
	if !(v >= 0 && v <= MaxRPS) {
		r.errAt(path, "must be between 0 and %g requests per second, got %v", float64(MaxRPS), v)
	}
}

// percent checks a 0..100 percentage and returns it as a fraction.
func (r specResolver) percent(path string, v float64) float64 {
	if !(v >= 0 && v <= 100) { // also rejects NaN
		r.errAt(path, "must be a percentage between 0 and 100, got %v", v)
		return 0
	}
	return v / 100
}

func (l *loader) resolveSpec(doc document, s *Scenario, out *Loaded) {
	r := specResolver{l: l, doc: doc}
	if s.APIVersion != APIVersion {
		r.errAt("apiVersion", "want %s", APIVersion)
	}
	if s.Metadata.Name == "" {
		r.errAt("metadata.name", "required")
	}
	sp := &s.Spec
	r.provider(sp.Provider, out)
	out.Horizon = r.positive("spec.horizon", sp.Horizon, DefaultHorizon)
	if out.Horizon > MaxHorizon {
		r.errAt("spec.horizon", "must be at most %s", MaxHorizon)
	}
	out.ScrapeInterval = r.positive("spec.scrapeInterval", sp.ScrapeInterval, DefaultScrapeInterval)
	out.TickOffset = r.duration("spec.tickOffset", sp.TickOffset, DefaultTickOffset)
	out.RevisionAt = r.duration("spec.revision.at", sp.Revision.At, DefaultRevisionAt)
	if out.ScrapeInterval < time.Second {
		r.errAt("spec.scrapeInterval", "must be at least 1s")
	}
	if out.Target != nil {
		out.NewTemplate = newTemplate(out.Target, sp.Revision.Image)
	}
	out.Traffic = r.traffic(sp.Traffic)
	if out.Canary != nil && out.Canary.GetAnalysis() != nil && r.l.canaryDoc != nil {
		at, warn := r.l.reporters(*r.l.canaryDoc)
		validateStrategy(at, warn, out.Provider, out.Canary.GetAnalysis())
	}
	out.MatchFraction = r.matchFraction(sp.Traffic.MatchPercent, out.Canary, out.Provider)
	out.MatchDeclared = sp.Traffic.MatchPercent != nil
	r.rate("spec.traffic.loadTestRPS", sp.Traffic.LoadTestRPS)
	out.LoadTestRPS = sp.Traffic.LoadTestRPS
	out.Stable = r.behaviour("spec.versions.stable", sp.Versions.Stable)
	out.New = r.behaviour("spec.versions.canary", sp.Versions.Canary)
	for i, f := range sp.Faults {
		out.Faults = append(out.Faults, r.fault(fmt.Sprintf("spec.faults[%d]", i), f))
	}
	out.Script = r.script(sp.Script, out)
	r.series(sp.Series, out)
	switch sp.Expect {
	case "", "promote", "rollback":
		out.Expect = sp.Expect
	default:
		r.errAt("spec.expect", "%q: want promote or rollback", sp.Expect)
	}
}

// matchFraction resolves traffic.matchPercent: an A/B Canary (one with
// analysis.match on a router that routes by it) needs it; with a router
// that ignores match it has no effect; without match it is a mistake.
func (r specResolver) matchFraction(pct *float64, c *flaggerv1.Canary, provider string) float64 {
	const p = "spec.traffic.matchPercent"
	a := (*flaggerv1.CanaryAnalysis)(nil)
	if c != nil {
		a = c.GetAnalysis()
	}
	hasMatch := a != nil && len(a.Match) > 0
	routed := engine.SplitsByMatch(provider, a)
	switch {
	case pct == nil && routed:
		r.errAt("spec.traffic", "matchPercent is required: the Canary routes by spec.analysis.match, so say what share of requests matches it")
	case pct != nil && !hasMatch:
		r.errAt(p, "the Canary has no spec.analysis.match; remove matchPercent")
	case pct != nil && !routed:
		r.warnAt(p, "has no effect: the %s router ignores spec.analysis.match", provider)
	case pct != nil:
		return r.percent(p, *pct)
	}
	return 1
}

// provider sets the effective provider: the scenario's spec.provider,
// else the Canary's, else istio. A scenario override is also written into
// the Canary's spec.provider, so the engine (builtin queries, router) and
// the generator (series schema) both follow it.
func (r specResolver) provider(p string, out *Loaded) {
	out.Provider = engine.DefaultProvider
	switch {
	case p != "":
		out.Provider = p
		if msg := providerWarning(p); msg != "" {
			r.warnAt("spec.provider", "%s", msg)
		}
		if out.Canary == nil {
			return
		}
		out.Canary.Spec.Provider = p
		if msg := providerNeeds(p, out.Canary); msg != "" {
			r.errAt("spec.provider", "%s", msg)
		}
	case out.Canary != nil && out.Canary.Spec.Provider != "":
		out.Provider = out.Canary.Spec.Provider
	}
}

func (r specResolver) traffic(t Traffic) TrafficProfile {
	const p = "spec.traffic"
	if !exactlyOne(t.RPS != nil, t.Diurnal != nil, len(t.Steps) > 0) {
		r.errAt(p, "set exactly one of rps, diurnal or steps")
		return TrafficProfile{}
	}
	switch {
	case t.RPS != nil:
		r.rate(p+".rps", *t.RPS)
		return TrafficProfile{Kind: TrafficConstant, RPS: *t.RPS}
	case t.Diurnal != nil:
		d := t.Diurnal
		r.rate(p+".diurnal.minRPS", d.MinRPS)
		r.rate(p+".diurnal.maxRPS", d.MaxRPS)
		if d.MaxRPS < d.MinRPS {
			r.errAt(p+".diurnal", "want minRPS <= maxRPS, got %v and %v", d.MinRPS, d.MaxRPS)
		}
		return TrafficProfile{
			Kind: TrafficDiurnal, MinRPS: d.MinRPS, MaxRPS: d.MaxRPS,
			Period: r.positive(p+".diurnal.period", d.Period, DefaultDiurnalPeriod),
			PeakAt: r.duration(p+".diurnal.peakAt", d.PeakAt, 0),
		}
	default:
		return r.steps(p+".steps", t.Steps)
	}
}

func (r specResolver) steps(p string, steps []TrafficStep) TrafficProfile {
	out := TrafficProfile{Kind: TrafficSteps}
	for i, s := range steps {
		path := fmt.Sprintf("%s[%d]", p, i)
		at := r.duration(path+".at", s.At, 0)
		if s.At == "" {
			r.errAt(path+".at", "required")
		}
		if i == 0 && at != 0 {
			r.errAt(path+".at", "the first step must start at 0s")
		}
		if i > 0 && at <= out.StepAt[i-1] {
			r.errAt(path+".at", "steps must be in increasing time order")
		}
		r.rate(path+".rps", s.RPS)
		out.StepAt = append(out.StepAt, at)
		out.StepRPSs = append(out.StepRPSs, s.RPS)
	}
	return out
}

func (r specResolver) behaviour(p string, b Behaviour) VersionBehaviour {
	out := VersionBehaviour{
		ErrorRate:    r.percent(p+".errorPercent", b.ErrorPercent),
		P50:          r.positive(p+".latency.p50", b.Latency.P50, 0),
		P99:          r.positive(p+".latency.p99", b.Latency.P99, 0),
		RolloutDelay: r.duration(p+".rolloutDelay", b.RolloutDelay, DefaultRolloutDelay),
	}
	switch {
	case b.Latency.P50 == "" || b.Latency.P99 == "":
		r.errAt(p+".latency", "p50 and p99 are required")
	case out.P99 <= out.P50:
		r.errAt(p+".latency.p99", "must be greater than p50 (%s)", b.Latency.P50)
	}
	return out
}

func (r specResolver) fault(p string, f Fault) FaultSpec {
	out := FaultSpec{Name: f.Name, ErrorRate: r.percent(p+".errorPercent", f.ErrorPercent)}
	switch f.Version {
	case "", "canary":
		out.Version = FaultCanary
	case "stable":
		out.Version = FaultStable
	default:
		r.errAt(p+".version", "%q: want canary or stable", f.Version)
	}
	switch {
	case f.Start != "" && f.WhenWeight != nil:
		r.errAt(p, "set start or whenWeight, not both")
	case f.WhenWeight != nil:
		if *f.WhenWeight < 1 || *f.WhenWeight > 100 {
			r.errAt(p+".whenWeight", "must be a percentage between 1 and 100, got %d", *f.WhenWeight)
		}
		out.WhenWeight = *f.WhenWeight
	default:
		out.Start = r.duration(p+".start", f.Start, 0)
	}
	out.End = r.duration(p+".end", f.End, 0)
	if f.End != "" && f.WhenWeight != nil {
		r.errAt(p+".end", "end is a time since the revision; it cannot be combined with whenWeight")
	} else if f.End != "" && out.End <= out.Start {
		r.errAt(p+".end", "must be after start")
	}
	out.Ramp = r.duration(p+".ramp", f.Ramp, 0)
	out.AddedLatency = r.duration(p+".addedLatency", f.AddedLatency, 0)
	switch {
	case f.LatencyPercent != nil && f.AddedLatency == "":
		r.errAt(p+".latencyPercent", "needs addedLatency")
	case f.LatencyPercent != nil:
		out.LatencyFraction = r.percent(p+".latencyPercent", *f.LatencyPercent)
	case f.AddedLatency != "":
		out.LatencyFraction = 1
	}
	out.CrashLoop = f.CrashLoop
	if f.FullAtWeight != nil {
		if *f.FullAtWeight < 1 || *f.FullAtWeight > 100 {
			r.errAt(p+".fullAtWeight", "must be a percentage between 1 and 100, got %d", *f.FullAtWeight)
		}
		out.FullAtWeight = *f.FullAtWeight
	}
	if out.ErrorRate == 0 && out.AddedLatency == 0 && !out.CrashLoop {
		r.errAt(p, "a fault needs errorPercent, addedLatency or crashLoop")
	}
	if out.CrashLoop && out.Ramp > 0 {
		r.errAt(p+".ramp", "a crash loop starts at once; ramp has no meaning for it")
	}
	return out
}

// exactlyOne reports whether exactly one of the options is set.
func exactlyOne(set ...bool) bool {
	n := 0
	for _, on := range set {
		if on {
			n++
		}
	}
	return n == 1
}
