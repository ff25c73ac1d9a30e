package scenarios

import "encoding/json"

// APIVersion and Kind identify a scenario document.
const (
	APIVersion = "canarysim.dev/v1alpha1"
	Kind       = "Scenario"
)

// Scenario is a scenario document as written in YAML. Durations are kept as
// strings here ("1m", "300ms") and are parsed, with positions, by Load.
type Scenario struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   Metadata `json:"metadata"`
	Spec       Spec     `json:"spec"`
}

// Metadata names the scenario.
type Metadata struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Spec is what a scenario says about one rollout.
type Spec struct {
	// Canary is the Flagger Canary: a file, inline, or (when empty) the one
	// Canary document in the scenario file itself.
	Canary ObjectSource `json:"canary,omitempty"`
	// Target is the Deployment the Canary targets; generated from the
	// Canary's targetRef when absent.
	Target *ObjectSource `json:"target,omitempty"`
	// MetricTemplates are Flagger MetricTemplates (file or inline), in
	// addition to the MetricTemplate documents of the scenario file itself.
	MetricTemplates []ObjectSource `json:"metricTemplates,omitempty"`
	// Series are extra series the simulator writes for template queries
	// (see SeriesSpec).
	Series []SeriesSpec `json:"series,omitempty"`
	// Provider overrides the Canary's spec.provider (see Loaded.Provider).
	Provider string `json:"provider,omitempty"`
	// Horizon bounds the simulated time after the revision is applied.
	Horizon string `json:"horizon,omitempty"`
	// ScrapeInterval is how often metrics are written (default 15s).
	ScrapeInterval string `json:"scrapeInterval,omitempty"`
	// TickOffset is when Flagger's first analysis tick runs after the Canary
	// is created (default 5s; Flagger's control loop runs every 10s).
	TickOffset string `json:"tickOffset,omitempty"`
	// Revision says when the new version is applied.
	Revision Revision `json:"revision,omitempty"`
	// Traffic is the request rate arriving at the service.
	Traffic Traffic `json:"traffic"`
	// Versions describe how the stable and the new version behave.
	Versions Versions `json:"versions"`
	// Faults change a version's behaviour over a time window.
	Faults []Fault `json:"faults,omitempty"`
	// Expect is the ground truth: "promote" or "rollback" (optional).
	Expect string `json:"expect,omitempty"`
	// Script pins exact answers for exact tests (optional, see ScriptSpec).
	Script *ScriptSpec `json:"script,omitempty"`
}

// ObjectSource points at a Kubernetes object: a file path (relative to the
// scenario file) or an inline object.
type ObjectSource struct {
	File   string          `json:"file,omitempty"`
	Inline json.RawMessage `json:"inline,omitempty"`
}

// Revision is the change of the target's pod template that starts a rollout.
type Revision struct {
	// At is the virtual time, since the Canary was created, at which the new
	// pod template is applied (default 3m, after initialisation).
	At string `json:"at,omitempty"`
	// Image replaces the first container's image; when empty an annotation
	// on the pod template is changed instead.
	Image string `json:"image,omitempty"`
}

// Traffic is one of: a constant rate, a diurnal wave, or steps.
type Traffic struct {
	RPS     *float64      `json:"rps,omitempty"`
	Diurnal *Diurnal      `json:"diurnal,omitempty"`
	Steps   []TrafficStep `json:"steps,omitempty"`
	// MatchPercent is the share of requests matching the Canary's
	// analysis.match rule (A/B testing), 0-100; required with match.
	MatchPercent *float64 `json:"matchPercent,omitempty"`
	// LoadTestRPS is a load tester's request rate sent straight to the
	// canary service while the new version runs, as a blue/green setup
	// with flagger-loadtester does; those requests reach no user.
	LoadTestRPS float64 `json:"loadTestRPS,omitempty"`
}

// Diurnal is a sine wave between MinRPS and MaxRPS with the given Period,
// reaching MaxRPS at PeakAt (virtual time since the Canary was created).
type Diurnal struct {
	MinRPS float64 `json:"minRPS"`
	MaxRPS float64 `json:"maxRPS"`
	Period string  `json:"period,omitempty"`
	PeakAt string  `json:"peakAt,omitempty"`
}

// TrafficStep sets the rate from At (virtual time since the Canary was
// created) until the next step.
type TrafficStep struct {
	At  string  `json:"at"`
	RPS float64 `json:"rps"`
}

// Versions holds the behaviour of the version running before the rollout
// (stable) and of the new revision (canary).
type Versions struct {
	Stable Behaviour `json:"stable"`
	Canary Behaviour `json:"canary"`
}

// Behaviour is how one version serves requests when healthy.
type Behaviour struct {
	// ErrorPercent is the share of requests answered with HTTP 500, 0-100.
	ErrorPercent float64 `json:"errorPercent,omitempty"`
	// Latency is the response time distribution (log-normal through P50, P99).
	Latency Latency `json:"latency"`
	// RolloutDelay is how long a Deployment running this version takes to
	// become ready after a spec change (default 30s).
	RolloutDelay string `json:"rolloutDelay,omitempty"`
}

// Latency gives the median and 99th percentile response time.
type Latency struct {
	P50 string `json:"p50"`
	P99 string `json:"p99"`
}

// Fault degrades one version over a window.
type Fault struct {
	Name string `json:"name,omitempty"`
	// Version is "canary" (the new revision, default) or "stable".
	Version string `json:"version,omitempty"`
	// Start is the virtual time since the revision was applied at which the
	// fault begins. Exclusive with WhenWeight.
	Start string `json:"start,omitempty"`
	// WhenWeight starts the fault the first time the routed canary weight
	// reaches this percentage. Exclusive with Start.
	WhenWeight *int `json:"whenWeight,omitempty"`
	// End is when the fault stops, since the revision was applied (optional).
	End string `json:"end,omitempty"`
	// Ramp is how long the fault takes to reach full strength (optional).
	Ramp string `json:"ramp,omitempty"`
	// ErrorPercent is the share of extra requests failing with HTTP 500.
	ErrorPercent float64 `json:"errorPercent,omitempty"`
	// AddedLatency is added to the response time of LatencyPercent of the
	// requests (default 100 % when AddedLatency is set).
	AddedLatency   string   `json:"addedLatency,omitempty"`
	LatencyPercent *float64 `json:"latencyPercent,omitempty"`
	// FullAtWeight makes the fault grow with load: its strength is scaled
	// by the routed canary weight over this percentage (capped at 1), so
	// it is mild at small weights and full from FullAtWeight on.
	FullAtWeight *int `json:"fullAtWeight,omitempty"`
	// CrashLoop makes the version's pods crash-loop while the fault is
	// active: none is ready, requests routed to them fail.
	CrashLoop bool `json:"crashLoop,omitempty"`
}
