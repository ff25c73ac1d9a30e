package sim

import (
	"math/rand/v2"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/canarysim/canarysim/scenarios"
)

// istioBucketsMs are Istio's default request-duration histogram bounds.
var istioBucketsMs = []float64{0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000}

// counters are the cumulative series values of one workload.
type counters struct {
	ok, errors float64
	buckets    []float64 // cumulative per istioBucketsMs bound, then +Inf
}

// Tally counts requests that reached users, exactly (not through metrics).
// Failed requests are errors plus successful requests slower than the
// policy's latency bound.
type Tally struct {
	Requests int64 `json:"requests"`
	Errors   int64 `json:"errors"`
	Slow     int64 `json:"slow"`
	Failed   int64 `json:"failed"`
}

func (t *Tally) add(o Tally) {
	t.Requests += o.Requests
	t.Errors += o.Errors
	t.Slow += o.Slow
	t.Failed += o.Failed
}

// sampler draws one workload's traffic from its own random streams.
type sampler struct {
	count, errs, lat rand.Source
	buckets          rand.Source // splits cells into a provider's buckets
}

func newSampler(seed uint64, scenario, workload string) sampler {
	return sampler{
		count: stream(seed, scenario, workload+"/requests"),
		errs:  stream(seed, scenario, workload+"/errors"),
		lat:   stream(seed, scenario, workload+"/latency"),
		// buckets is a stream of its own: splitting never shifts the
		// draws of the other streams, whatever the provider.
		buckets: stream(seed, scenario, workload+"/buckets"),
	}
}

func (s sampler) poisson(mean float64) int64 {
	if mean <= 0 {
		return 0
	}
	return int64(distuv.Poisson{Lambda: mean, Src: s.count}.Rand())
}

func binomial(src rand.Source, n int64, p float64) int64 {
	switch {
	case n <= 0 || p <= 0:
		return 0
	case p >= 1:
		return n
	}
	return int64(distuv.Binomial{N: float64(n), P: p, Src: src}.Rand())
}

// multinomial spreads n requests over cells with probabilities probs (summing
// to 1) by sequential conditional binomials, adding counts into out.
func multinomial(src rand.Source, n int64, probs []float64, out []int64) {
	rest := 1.0
	for i, p := range probs {
		if n == 0 {
			return
		}
		if i == len(probs)-1 || rest <= p {
			out[i] += n
			return
		}
		k := binomial(src, n, p/rest)
		out[i] += k
		n -= k
		rest -= p
	}
}

// condition is a version's behaviour at one moment, faults applied.
type condition struct {
	errorRate float64
	base      logNormal
	shifts    []shift
	faulty    bool
}

// behaviourAt combines a version's healthy behaviour with the faults
// active at virtual time t (since the Canary was created).
func behaviourAt(v scenarios.VersionBehaviour, faults []activeFault, t time.Duration) condition {
	c := condition{errorRate: v.ErrorRate, base: fitLogNormal(v.P50, v.P99)}
	ok := 1 - v.ErrorRate
	for _, f := range faults {
		s := f.strength(t)
		if s <= 0 {
			continue
		}
		c.faulty = true
		ok *= 1 - s*f.spec.ErrorRate
		if f.spec.AddedLatency > 0 {
			c.shifts = append(c.shifts, shift{fraction: s * f.spec.LatencyFraction, addMs: float64(f.spec.AddedLatency) / float64(time.Millisecond)})
		}
	}
	c.errorRate = 1 - ok
	return c
}

// activeFault is a fault with its start resolved to virtual time.
type activeFault struct {
	spec    scenarios.FaultSpec
	started bool
	start   time.Duration
	end     time.Duration // 0 = never
	weight  int           // routed canary weight now, for load-dependent faults
}

// strength is 0 before start and after end, ramping linearly to 1, and
// scaled by the canary's share of traffic for a load-dependent fault.
func (f activeFault) strength(t time.Duration) float64 {
	if !f.started || t < f.start || (f.end > 0 && t >= f.end) {
		return 0
	}
	s := 1.0
	if f.spec.Ramp > 0 {
		s = min(1, float64(t-f.start)/float64(f.spec.Ramp))
	}
	if f.spec.FullAtWeight > 0 {
		s *= min(1, float64(f.weight)/float64(f.spec.FullAtWeight))
	}
	return s
}
