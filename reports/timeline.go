package reports

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/canarysim/canarysim/engine"
	"github.com/canarysim/canarysim/internal/version"
	"github.com/canarysim/canarysim/sim"
)

// WriteTimeline renders a run like a Flagger log: one block per tick with
// the virtual time since the revision, phase, routed weights, failed
// checks, each check's value and verdict, then the tick's events.
func WriteTimeline(w io.Writer, r *sim.Result) error {
	doc := NewRunDoc(r)
	fmt.Fprintf(w, "canarysim %s  scenario %s  seed %d  cluster %s  inputs sha256:%.12s\n",
		version.Version, r.Scenario, r.Seed, r.Backend, r.Digest)
	fmt.Fprintf(w, "revision applied %s after the Canary was created; times below are relative to it\n\n", fmtDur(r.RevisionAt, false))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tPHASE\tPRIMARY\tCANARY\tFAILED\tCHECKS AND EVENTS")
	for i, t := range doc.Timeline {
		lines := tickLines(r.Ticks[i])
		if len(lines) == 0 {
			lines = []string{"-"}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", fmtDur(r.Ticks[i].T, true), t.Phase,
			weight(t.PrimaryWeight), canaryWeight(t), t.FailedChecks, lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(tw, "\t\t\t\t\t%s\n", l)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	writeSummary(w, r)
	return nil
}

func tickLines(t sim.TickRecord) []string {
	var out []string
	if len(t.Checks) > 0 {
		parts := make([]string, len(t.Checks))
		for i, c := range t.Checks {
			parts[i] = checkText(c)
			if slices.Contains(t.Scripted, c.Metric) {
				parts[i] += " (scripted)"
			}
		}
		out = append(out, strings.Join(parts, "  "))
	}
	// Hook calls, events and alerts in the order the tick recorded them;
	// event-webhook deliveries are summed up at the end.
	hooks, alerts := t.Hooks, t.Notifications
	flush := func(before int) {
		for len(alerts) > 0 && alerts[0].Before <= before {
			if n := alerts[0]; n.Channel == engine.ChannelAlert {
				out = append(out, fmt.Sprintf("alert %s to %s: %s", n.Severity, strings.Join(n.To, ", "), n.Message))
			}
			alerts = alerts[1:]
		}
		for len(hooks) > 0 && hooks[0].Before <= before {
			out = append(out, hookText(hooks[0]))
			hooks = hooks[1:]
		}
	}
	for i, e := range t.Events {
		flush(i)
		mark := ""
		if e.Type == engine.EventWarning {
			mark = "! "
		}
		out = append(out, mark+e.Message)
	}
	flush(len(t.Events))
	return append(out, eventWebhookLines(t.Notifications)...)
}

// eventWebhookLines says how many events each event webhook received.
func eventWebhookLines(ns []engine.Notification) []string {
	forwarded := map[string]int{}
	var hooks []string
	for _, n := range ns {
		if n.Channel != engine.ChannelEventWebhook {
			continue
		}
		for _, h := range n.To {
			if forwarded[h] == 0 {
				hooks = append(hooks, h)
			}
			forwarded[h]++
		}
	}
	var out []string
	for _, h := range hooks {
		noun := "events"
		if forwarded[h] == 1 {
			noun = "event"
		}
		out = append(out, fmt.Sprintf("event webhook %s received %d %s", h, forwarded[h], noun))
	}
	return out
}

// hookText describes one simulated webhook call and its answer.
func hookText(h engine.HookCall) string {
	answer := "passed"
	switch {
	case h.Type == "rollback" && h.Err == "":
		answer = "signalled a rollback"
	case h.Type == "rollback":
		answer = "not signalling"
	case h.Err != "":
		answer = "failed: " + h.Err
	}
	s := fmt.Sprintf("webhook %s %s %s", h.Type, h.Name, answer)
	if h.Took > 0 {
		s += " (took " + fmtDur(h.Took, false) + ")"
	}
	return s
}

func checkText(c engine.Check) string {
	val := string(c.Verdict)
	if c.HasValue {
		unit := ""
		switch c.Metric {
		case engine.MetricSuccessRate:
			unit = "%"
		case engine.MetricDuration:
			unit = "ms"
		}
		val = strconv.FormatFloat(c.Value, 'f', 2, 64) + unit + " " + string(c.Verdict)
	}
	var bounds []string
	if c.Min != nil {
		bounds = append(bounds, "min "+strconv.FormatFloat(*c.Min, 'f', -1, 64))
	}
	if c.Max != nil {
		bounds = append(bounds, "max "+strconv.FormatFloat(*c.Max, 'f', -1, 64))
	}
	s := c.Metric + " " + val
	if len(bounds) > 0 {
		s += " [" + strings.Join(bounds, ", ") + "]"
	}
	return s
}

func writeSummary(w io.Writer, r *sim.Result) {
	switch r.Outcome {
	case sim.Succeeded:
		fmt.Fprintf(w, "outcome: Succeeded, promoted %s after the revision\n", fmtDur(*r.PromotedAt, false))
	case sim.Failed:
		fmt.Fprintf(w, "outcome: Failed, rolled back %s after the revision\n", fmtDur(*r.RolledBackAt, false))
	default:
		fmt.Fprintf(w, "outcome: Incomplete, no decision within %s of the revision\n", fmtDur(r.End, false))
	}
	g := r.Truth
	fmt.Fprintf(w, "ground truth: stable served %d requests (%d failed), canary served %d (%d failed)\n",
		g.Stable.Requests, g.Stable.Failed, g.Canary.Requests, g.Canary.Failed)
	if g.FaultyCanary.Requests > 0 {
		fmt.Fprintf(w, "blast radius: %d requests served by the faulty canary, %d failed (errors or slower than %gms), peak weight %d%%\n",
			g.FaultyCanary.Requests, g.FaultyCanary.Failed, g.LatencyBoundMs, g.PeakFaultyWeight)
	}
	if m := g.Mirrored; m.Requests > 0 {
		fmt.Fprintf(w, "mirrored: %d requests copied to the canary (%d failed there); their responses reached no user and are not in the figures above\n", m.Requests, m.Failed)
	}
	if m := g.LoadTest; m.Requests > 0 {
		fmt.Fprintf(w, "load test: %d requests sent straight to the canary (%d failed); not user traffic, not in the figures above\n", m.Requests, m.Failed)
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
}

// canaryWeight is the canary column: the weight, marked when the router
// mirrors to the canary or splits matching requests only.
func canaryWeight(t TickDoc) string {
	s := weight(t.CanaryWeight)
	if t.Mirrored {
		s += " +mirror"
	}
	if t.MatchOnly && t.CanaryWeight != nil && *t.CanaryWeight > 0 {
		s += " of matching"
	}
	return s
}

func weight(p *int) string {
	if p == nil {
		return "-"
	}
	return strconv.Itoa(*p)
}

// fmtDur prints a virtual duration compactly ("5m5s"), with a sign when asked.
func fmtDur(d time.Duration, signed bool) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	} else if signed {
		sign = "+"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return sign + s
}
