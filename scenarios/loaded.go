package scenarios

import (
	"time"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// Loaded is a validated, defaulted scenario with every referenced object
// parsed. Nothing after Load does I/O; the simulator reads only this.
type Loaded struct {
	// File is the scenario file as given; Name and Description come from
	// its metadata.
	File        string
	Name        string
	Description string
	// Digest is the hex SHA-256 of every input byte (scenario file and the
	// files it references, in reading order), so a result can be tied to
	// its inputs.
	Digest string
	// Warnings name fields that are accepted but not simulated.
	Warnings []string

	// Canary is the Flagger Canary, parsed with Flagger's own types.
	Canary *flaggerv1.Canary
	// Templates are the MetricTemplates (namespace defaulted to the
	// Canary's), every one of provider prometheus.
	Templates []*flaggerv1.MetricTemplate
	// Target is the Deployment running the stable version at start.
	Target *appsv1.Deployment
	// NewTemplate is the target's pod template after the revision.
	NewTemplate corev1.PodTemplateSpec
	// Provider is the effective spec.provider: the scenario's override,
	// else the Canary's, else istio. It selects the builtin queries (the
	// engine reads it from Canary.Spec.Provider, which holds the override)
	// and the schema of the generated series; a value with no builtin
	// queries of its own (smi:*, unknown) means istio queries and series,
	// as in Flagger, and a load warning.
	Provider string

	Horizon        time.Duration
	ScrapeInterval time.Duration
	TickOffset     time.Duration
	RevisionAt     time.Duration

	Traffic TrafficProfile
	// MatchFraction is the share (0..1) of requests matching the Canary's
	// analysis.match; 1 when the Canary has no match.
	MatchFraction float64
	// MatchDeclared: the scenario set traffic.matchPercent.
	MatchDeclared bool
	// LoadTestRPS is the load tester's rate to the canary service (0: none).
	LoadTestRPS float64
	Stable      VersionBehaviour
	New         VersionBehaviour
	Faults      []FaultSpec
	// Derived and Literal are the extra series of spec.series.
	Derived []DerivedSeries
	Literal []LiteralSeries
	// Expect is "promote", "rollback" or "" when the scenario does not say.
	Expect string
	// Script is the resolved spec.script (zero when absent).
	Script Script
}

// TrafficKind selects the traffic profile's shape.
type TrafficKind int

// Traffic shapes.
const (
	TrafficConstant TrafficKind = iota
	TrafficDiurnal
	TrafficSteps
)

// TrafficProfile is the request rate over virtual time since the Canary was
// created. Only the fields of Kind are set.
type TrafficProfile struct {
	Kind     TrafficKind
	RPS      float64 // constant
	MinRPS   float64 // diurnal
	MaxRPS   float64 // diurnal
	Period   time.Duration
	PeakAt   time.Duration
	StepAt   []time.Duration // steps, ascending, StepAt[0] == 0
	StepRPSs []float64
}

// VersionBehaviour is a version's healthy behaviour.
type VersionBehaviour struct {
	ErrorRate    float64 // fraction 0..1
	P50, P99     time.Duration
	RolloutDelay time.Duration
}

// FaultVersion says which version a fault degrades.
type FaultVersion int

// Fault targets.
const (
	FaultCanary FaultVersion = iota
	FaultStable
)

// FaultSpec is a validated fault. Times are relative to the revision.
type FaultSpec struct {
	Name    string
	Version FaultVersion
	// Start is used when WhenWeight is zero.
	Start time.Duration
	// WhenWeight > 0 starts the fault when the routed canary weight first
	// reaches it.
	WhenWeight int
	// End is zero when the fault lasts to the horizon.
	End             time.Duration
	Ramp            time.Duration
	ErrorRate       float64 // fraction 0..1
	AddedLatency    time.Duration
	LatencyFraction float64 // 0..1
	CrashLoop       bool
	// FullAtWeight > 0 scales the fault by canary weight / FullAtWeight.
	FullAtWeight int
}
