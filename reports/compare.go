package reports

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/canarysim/canarysim/internal/version"
)

// CompareDoc is the JSON document of a comparison (`canarysim compare -o json`).
type CompareDoc struct {
	Tool      string    `json:"tool"`
	Version   string    `json:"version"`
	Seeds     int       `json:"seeds"`
	Inputs    []Input   `json:"inputs"`
	Summaries []Summary `json:"summaries"`
}

// Input names one scenario and the digest of its files, for replay.
type Input struct {
	Scenario    string `json:"scenario"`
	File        string `json:"file"`
	Description string `json:"description,omitempty"`
	InputDigest string `json:"inputDigest"`
}

// Legend explains the comparison table's columns to a newcomer.
const Legend = `How to read this: each row is one policy rehearsed on one scenario over many seeds
(different random traffic). PROMOTED is how often the canary was promoted; FALSE
ROLLBACK how often a healthy canary was rolled back anyway; ESCAPED how often a faulty
canary was promoted (both should be 0 %; brackets give the 95 % interval). TIME TO
PROMOTE is from applying the new version to Flagger's "Succeeded" (median / 95th
percentile); TIME TO DETECT is from the moment the canary turned faulty to the rollback.
BLAST RADIUS is how many requests the faulty canary served, and how many of those
failed (errors, or slower than the policy's latency bound), median / 95th percentile.`

// WriteCompareTable renders one table per scenario, a row per policy,
// followed by the legend.
func WriteCompareTable(w io.Writer, doc CompareDoc) error {
	return writeTables(w, doc, false)
}

// WriteCompareMarkdown is WriteCompareTable as Markdown tables.
func WriteCompareMarkdown(w io.Writer, doc CompareDoc) error {
	return writeTables(w, doc, true)
}

var compareHeader = []string{"policy", "promoted", "false rollback", "escaped", "time to promote", "time to detect", "blast radius (failed)"}

func writeTables(w io.Writer, doc CompareDoc, markdown bool) error {
	fmt.Fprintf(w, "canarysim %s  %d seeds per policy\n", doc.Version, doc.Seeds)
	for i, in := range doc.Inputs {
		fmt.Fprintln(w)
		title := in.Scenario
		if in.Description != "" {
			title += ": " + in.Description
		}
		if markdown {
			title = "### " + title
		}
		fmt.Fprintln(w, title)
		if markdown {
			fmt.Fprintln(w)
		}
		opts := []tablewriter.Option{tablewriter.WithHeaderAutoFormat(tw.Off)}
		if markdown {
			opts = append(opts, tablewriter.WithRenderer(renderer.NewMarkdown()))
		}
		t := tablewriter.NewTable(w, opts...)
		t.Header(compareHeader)
		for _, s := range doc.Summaries {
			if s.Scenario != doc.Inputs[i].Scenario {
				continue
			}
			if err := t.Append(tableRow(s)); err != nil {
				return err
			}
		}
		if err := t.Render(); err != nil {
			return err
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, Legend)
	return nil
}

func tableRow(s Summary) []string {
	p50 := func(d Dist) float64 { return d.P50 }
	p95 := func(d Dist) float64 { return d.P95 }
	return []string{
		s.Policy,
		rateText(s.Promote),
		rateText(s.FalseRollback),
		rateText(s.Escape),
		durationText(s.TimeToPromote, p50) + " / " + durationText(s.TimeToPromote, p95),
		durationText(s.TimeToDetect, p50) + " / " + durationText(s.TimeToDetect, p95),
		fmt.Sprintf("%.0f (%.0f) / %.0f (%.0f)", s.BlastRequests.P50, s.BlastFailed.P50, s.BlastRequests.P95, s.BlastFailed.P95),
	}
}

func rateText(r Rate) string {
	return fmt.Sprintf("%.0f%% [%.0f-%.0f]", 100*r.Value, 100*r.Low, 100*r.High)
}

// WriteCompareJSON writes the comparison document, indented.
func WriteCompareJSON(w io.Writer, doc CompareDoc) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// WriteCompareCSV writes one row per scenario and policy.
func WriteCompareCSV(w io.Writer, doc CompareDoc) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"scenario", "policy", "expect", "runs",
		"promote_rate", "false_rollback_rate", "escape_rate",
		"ttp_p50_s", "ttp_p95_s", "ttd_p50_s", "ttd_p95_s",
		"blast_requests_p50", "blast_requests_p95", "blast_failed_p50", "blast_failed_p95"})
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	for _, s := range doc.Summaries {
		_ = cw.Write([]string{s.Scenario, s.Policy, s.Expect, strconv.Itoa(s.Runs),
			f(s.Promote.Value), f(s.FalseRollback.Value), f(s.Escape.Value),
			f(s.TimeToPromote.P50), f(s.TimeToPromote.P95), f(s.TimeToDetect.P50), f(s.TimeToDetect.P95),
			f(s.BlastRequests.P50), f(s.BlastRequests.P95), f(s.BlastFailed.P50), f(s.BlastFailed.P95)})
	}
	cw.Flush()
	return cw.Error()
}

// NewCompareDoc assembles the document of a finished comparison.
func NewCompareDoc(seeds int, inputs []Input, summaries []Summary) CompareDoc {
	return CompareDoc{Tool: "canarysim", Version: version.Version, Seeds: seeds, Inputs: inputs, Summaries: summaries}
}
