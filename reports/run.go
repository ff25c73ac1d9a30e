package reports

import (
	"encoding/json"
	"io"
	"math"
	"time"

	"github.com/canarysim/canarysim/engine"
	"github.com/canarysim/canarysim/internal/version"
	"github.com/canarysim/canarysim/sim"
)

// RunDoc is the stable JSON document of one run (`canarysim run -o json`).
// Times are seconds of virtual time since the revision was applied.
type RunDoc struct {
	Tool                  string          `json:"tool"`
	Version               string          `json:"version"`
	Scenario              string          `json:"scenario"`
	File                  string          `json:"file"`
	InputDigest           string          `json:"inputDigest"`
	Seed                  uint64          `json:"seed"`
	Backend               string          `json:"backend"`
	Outcome               sim.Outcome     `json:"outcome"`
	RevisionAppliedAt     float64         `json:"revisionAppliedAtSeconds"`
	TimeToPromoteSeconds  *float64        `json:"timeToPromoteSeconds"`
	TimeToRollbackSeconds *float64        `json:"timeToRollbackSeconds"`
	EndSeconds            float64         `json:"endSeconds"`
	PrimaryVersion        string          `json:"primaryVersion"`
	Timeline              []TickDoc       `json:"timeline"`
	GroundTruth           sim.GroundTruth `json:"groundTruth"`
	Warnings              []string        `json:"warnings"`
}

// TickDoc is one analysis tick. Weights are null before the router exists.
type TickDoc struct {
	T             float64 `json:"t"`
	Phase         string  `json:"phase"`
	PrimaryWeight *int    `json:"primaryWeight"`
	CanaryWeight  *int    `json:"canaryWeight"`
	// Mirrored: the router mirrors traffic to the canary. MatchOnly: the
	// weights apply to requests matching analysis.match only (A/B).
	Mirrored     bool       `json:"mirrored,omitempty"`
	MatchOnly    bool       `json:"matchOnly,omitempty"`
	FailedChecks int        `json:"failedChecks"`
	CanaryFaulty bool       `json:"canaryFaulty"`
	Checks       []CheckDoc `json:"checks"`
	Events       []EventDoc `json:"events"`
	// Hooks and Notifications are absent when the tick had none.
	Hooks         []HookDoc         `json:"hooks,omitempty"`
	Notifications []NotificationDoc `json:"notifications,omitempty"`
}

// HookDoc is one simulated webhook call: error is absent when the hook
// succeeded (for a rollback hook: signalled a rollback).
type HookDoc struct {
	Type        string  `json:"type"`
	Name        string  `json:"name"`
	Phase       string  `json:"phase"`
	TookSeconds float64 `json:"tookSeconds"`
	Error       string  `json:"error,omitempty"`
}

// NotificationDoc is an alert (channel "alert", severity info|warn|error)
// or an event forwarded to event webhooks (channel "event-webhook",
// severity Normal|Warning) that Flagger would have sent.
type NotificationDoc struct {
	Channel  string   `json:"channel"`
	To       []string `json:"to"`
	Severity string   `json:"severity"`
	Message  string   `json:"message"`
}

// CheckDoc is one metric check; Value is null without data.
type CheckDoc struct {
	Metric  string         `json:"metric"`
	Value   *float64       `json:"value"`
	Verdict engine.Verdict `json:"verdict"`
	Min     *float64       `json:"min,omitempty"`
	Max     *float64       `json:"max,omitempty"`
}

// EventDoc is one Kubernetes event the engine recorded.
type EventDoc struct {
	Type    engine.EventType `json:"type"`
	Message string           `json:"message"`
}

// NewRunDoc converts a result to its JSON document.
func NewRunDoc(r *sim.Result) RunDoc {
	d := RunDoc{
		Tool: "canarysim", Version: version.Version, Scenario: r.Scenario, File: r.File,
		InputDigest: "sha256:" + r.Digest, Seed: r.Seed, Backend: r.Backend, Outcome: r.Outcome,
		RevisionAppliedAt:     seconds(r.RevisionAt),
		TimeToPromoteSeconds:  optSeconds(r.PromotedAt),
		TimeToRollbackSeconds: optSeconds(r.RolledBackAt),
		EndSeconds:            seconds(r.End),
		PrimaryVersion:        r.PrimaryVersion,
		GroundTruth:           r.Truth,
		Warnings:              append([]string{}, r.Warnings...),
		Timeline:              make([]TickDoc, 0, len(r.Ticks)),
	}
	for _, t := range r.Ticks {
		d.Timeline = append(d.Timeline, tickDoc(t))
	}
	return d
}

func tickDoc(t sim.TickRecord) TickDoc {
	td := TickDoc{
		T: seconds(t.T), Phase: string(t.Phase), FailedChecks: t.Status.FailedChecks, CanaryFaulty: t.CanaryFaulty,
		Checks: make([]CheckDoc, 0, len(t.Checks)), Events: make([]EventDoc, 0, len(t.Events)),
	}
	if t.RouterReady {
		p, c := t.Routes.Primary, t.Routes.Canary
		td.PrimaryWeight, td.CanaryWeight = &p, &c
		td.Mirrored, td.MatchOnly = t.Routes.Mirrored, t.MatchOnly
	}
	for _, c := range t.Checks {
		cd := CheckDoc{Metric: c.Metric, Verdict: c.Verdict, Min: c.Min, Max: c.Max}
		if c.HasValue && !math.IsInf(c.Value, 0) {
			v := c.Value
			cd.Value = &v
		}
		td.Checks = append(td.Checks, cd)
	}
	for _, e := range t.Events {
		td.Events = append(td.Events, EventDoc{Type: e.Type, Message: e.Message})
	}
	for _, h := range t.Hooks {
		td.Hooks = append(td.Hooks, HookDoc{Type: string(h.Type), Name: h.Name, Phase: string(h.Phase), TookSeconds: h.Took.Seconds(), Error: h.Err})
	}
	for _, n := range t.Notifications {
		td.Notifications = append(td.Notifications, NotificationDoc{Channel: n.Channel, To: n.To, Severity: n.Severity, Message: n.Message})
	}
	return td
}

func seconds(d time.Duration) float64 { return d.Seconds() }

func optSeconds(d *time.Duration) *float64 {
	if d == nil {
		return nil
	}
	s := d.Seconds()
	return &s
}

// WriteJSON writes the run document, indented, with a trailing newline.
func WriteJSON(w io.Writer, r *sim.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(NewRunDoc(r))
}
