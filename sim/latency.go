package sim

import (
	"math"
	"time"
)

// z99 is the standard normal quantile of 0.99.
const z99 = 2.3263478740408408

// logNormal is a latency distribution in milliseconds fitted through its
// median and 99th percentile.
type logNormal struct {
	mu, sigma float64
}

func fitLogNormal(p50, p99 time.Duration) logNormal {
	m50 := float64(p50) / float64(time.Millisecond)
	m99 := float64(p99) / float64(time.Millisecond)
	return logNormal{mu: math.Log(m50), sigma: (math.Log(m99) - math.Log(m50)) / z99}
}

// cdf is P(latency <= x ms).
func (l logNormal) cdf(x float64) float64 {
	if x <= 0 {
		return 0
	}
	return 0.5 * math.Erfc(-(math.Log(x)-l.mu)/(l.sigma*math.Sqrt2))
}

// shift is a share of requests that get extra latency.
type shift struct {
	fraction float64
	addMs    float64
}

// mixtureCDF is the latency CDF when each shift moves its fraction of the
// requests up by addMs; fractions beyond 1 in total are capped.
func mixtureCDF(base logNormal, shifts []shift, x float64) float64 {
	rest := 1.0
	total := 0.0
	for _, s := range shifts {
		f := min(s.fraction, rest)
		rest -= f
		total += f * base.cdf(x-s.addMs)
	}
	return total + rest*base.cdf(x)
}

// partial is E[X; a < X <= b] for the log-normal X (a may be <= 0, b +Inf).
func (l logNormal) partial(a, b float64) float64 {
	phi := func(x float64) float64 {
		if x <= 0 {
			return 0
		}
		if math.IsInf(x, 1) {
			return 1
		}
		return 0.5 * math.Erfc(-(math.Log(x)-l.mu-l.sigma*l.sigma)/(l.sigma*math.Sqrt2))
	}
	return math.Exp(l.mu+l.sigma*l.sigma/2) * (phi(b) - phi(a))
}

// mixtureMean is E[latency | a < latency <= b] (ms) under the same mixture
// as mixtureCDF; the cell's midpoint (or a, for the open top cell) when its
// probability vanishes numerically.
func mixtureMean(base logNormal, shifts []shift, a, b float64) float64 {
	rest := 1.0
	var mass, prob float64
	for _, s := range shifts {
		f := min(s.fraction, rest)
		rest -= f
		p := base.cdf(b-s.addMs) - base.cdf(a-s.addMs)
		mass += f * (base.partial(a-s.addMs, b-s.addMs) + s.addMs*p)
		prob += f * p
	}
	mass += rest * base.partial(a, b)
	prob += rest * (base.cdf(b) - base.cdf(a))
	switch {
	case prob > 1e-12:
		return mass / prob
	case math.IsInf(b, 1):
		return a
	}
	return (a + b) / 2
}
