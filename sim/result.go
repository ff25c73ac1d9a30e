package sim

import (
	"time"

	"github.com/canarysim/canarysim/engine"
)

// Outcome is how a run ended.
type Outcome string

// Outcomes.
const (
	Succeeded  Outcome = "Succeeded"  // promoted
	Failed     Outcome = "Failed"     // rolled back
	Incomplete Outcome = "Incomplete" // horizon reached first
)

// TickRecord is one analysis tick, stamped with T, the virtual time since the
// revision was applied (negative while the Canary initialises), with the
// routes read back from the router after the tick and whether a fault was
// active on the canary's version at that moment.
type TickRecord struct {
	T time.Duration
	// RouterReady is false until Flagger has created the router; Routes
	// are meaningless before.
	RouterReady bool
	// MatchOnly: the weights apply to requests matching analysis.match
	// (A/B); the others go to the primary.
	MatchOnly    bool
	CanaryFaulty bool
	// Scripted names the metrics whose checks spec.script answered.
	Scripted []string
	engine.Tick
}

// GroundTruth is exact request accounting from the revision on, kept beside
// the metrics (never read back from Prometheus).
type GroundTruth struct {
	// Stable and Canary tally requests served by each version, wherever
	// it runs (after promotion the primary serves the canary version).
	Stable Tally `json:"stable"`
	Canary Tally `json:"canary"`
	// FaultyCanary tallies requests served by the canary workload while a
	// fault was active on the version it runs: the blast radius.
	FaultyCanary Tally `json:"faultyCanary"`
	// Mirrored tallies the copies of live requests mirrored to the canary:
	// they reach its metrics but their responses reach no user, so they are
	// not in Canary or FaultyCanary.
	Mirrored Tally `json:"mirrored"`
	// LoadTest tallies the load tester's requests sent straight to the
	// canary service (traffic.loadTestRPS); like mirrored copies, no user
	// sent them.
	LoadTest Tally `json:"loadTest"`
	// Unserved counts requests routed to a workload with no available pods.
	Unserved int64 `json:"unserved"`
	// PeakFaultyWeight is the highest routed canary weight while faulty.
	PeakFaultyWeight int `json:"peakFaultyWeight"`
	// LatencyBoundMs is the policy's request-duration bound used to count
	// slow requests (0 when the policy has none).
	LatencyBoundMs float64 `json:"latencyBoundMs"`
}

// Result is everything one run produced.
type Result struct {
	Scenario string
	File     string
	Digest   string
	Seed     uint64
	Backend  string
	Warnings []string

	Outcome      Outcome
	RevisionAt   time.Duration  // since the Canary was created
	End          time.Duration  // since the revision
	PromotedAt   *time.Duration // since the revision, when Succeeded
	RolledBackAt *time.Duration // since the revision, when Failed
	Ticks        []TickRecord
	Truth        GroundTruth
	// FaultStartedAt is when a fault first became active on the canary
	// version, since the revision; nil when none did during the run.
	FaultStartedAt *time.Duration
	// PrimaryVersion is the version the primary serves when the run ends:
	// "stable", or "canary" once the new revision was promoted.
	PrimaryVersion string
}
