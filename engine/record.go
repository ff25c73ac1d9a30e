package engine

import (
	"time"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
)

// EventType is Kubernetes' event type.
type EventType string

// Event types, as Flagger records them.
const (
	EventNormal  EventType = "Normal"
	EventWarning EventType = "Warning"
)

// Event is one message Flagger would have recorded on the Canary.
type Event struct {
	Type    EventType
	Message string
}

// Verdict is the outcome of one metric check.
type Verdict string

// Verdicts.
const (
	VerdictPass   Verdict = "pass"
	VerdictFail   Verdict = "fail"
	VerdictNoData Verdict = "no-data"
	VerdictError  Verdict = "error"
)

// Check is one evaluated metric. Value is meaningful only with HasValue; for
// request-duration it is in milliseconds, truncated as Flagger truncates.
type Check struct {
	Metric   string
	Query    string
	Value    float64
	HasValue bool
	Verdict  Verdict
	Min, Max *float64
}

// Tick is what one analysis tick did, returned as data for the caller to
// render. Routes are the weights after the tick as the engine last read or
// wrote them; Status is the Canary status after the tick.
type Tick struct {
	At          time.Time
	PhaseBefore flaggerv1.CanaryPhase
	Phase       flaggerv1.CanaryPhase
	Routes      Routes
	Status      flaggerv1.CanaryStatus
	Checks      []Check
	Events      []Event
	// Hooks are the webhook calls of the tick, in order.
	Hooks []HookCall
	// Notifications are the alerts and forwarded events of the tick.
	Notifications []Notification
	// Busy is the virtual time the tick spent in webhook calls; a tick
	// busier than the interval delays the next one (Go ticker semantics).
	Busy time.Duration
}
