package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/canarysim/canarysim/reports"
	"github.com/canarysim/canarysim/scenarios"
	"github.com/canarysim/canarysim/sim"
)

type compareOptions struct {
	files    []string
	policies []string
	sets     []string
	seeds    int
	workers  int
	output   string
	out      string
	resume   bool
	shard    string
}

func newCompareCommand(s Streams) *cobra.Command {
	o := &compareOptions{}
	cmd := &cobra.Command{
		Use:   "compare [-f SCENARIO|DIR]... [--policy NAME|CANARY.yaml]... [--set analysis.FIELD=V1,V2]...",
		Short: "Compare rollout policies over many seeds, side by side",
		Long: `Rehearse every scenario under every policy with many seeds and print, per scenario,
how often each policy promotes, rolls back a healthy canary (false rollback) or lets a
faulty one through (escape), how long promotion and detection take, and how many
requests a faulty canary serves (blast radius).

Without -f the built-in scenario library is used (canarysim scenarios lists it);
without --policy the three presets (canarysim presets). --set expands every policy
into a grid: --set analysis.stepWeight=5,10,20 --set analysis.threshold=2,5 gives six
variants of each. --out streams one JSON line per run as it finishes; --resume
completes an interrupted sweep from that file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runCompare(cmd, o, s) },
	}
	f := cmd.Flags()
	f.StringArrayVarP(&o.files, "file", "f", nil, "scenario file or directory of *.yaml (repeatable; default: the built-in library)")
	f.StringArrayVar(&o.policies, "policy", nil, "preset name or Canary file whose spec.analysis is the policy (repeatable; default: all presets)")
	f.StringArrayVar(&o.sets, "set", nil, "analysis.FIELD=V1,V2,... expands policies into a grid (repeatable)")
	f.IntVar(&o.seeds, "seeds", 100, "seeds per scenario and policy")
	f.IntVar(&o.workers, "workers", runtime.NumCPU(), "runs in parallel")
	f.StringVarP(&o.output, "output", "o", "table", "output format: table, json, csv, markdown or html (one self-contained page with SVG plots)")
	f.StringVar(&o.out, "out", "", "stream each run's measures as JSON lines to this file")
	f.BoolVar(&o.resume, "resume", false, "with --out: keep the runs already in the file and run only the missing ones")
	f.StringVar(&o.shard, "shard", "", "i/n: run only the i-th of n interleaved parts of the sweep (merge the parts' --out files with --resume)")
	return cmd
}

func runCompare(cmd *cobra.Command, o *compareOptions, s Streams) error {
	if err := o.validate(); err != nil {
		return err
	}
	relaxGC()
	scens, err := loadScenarios(o.files)
	if err != nil {
		return err
	}
	policies, err := loadPolicies(o.policies, o.sets)
	if err != nil {
		return err
	}
	cases, keys, err := buildCases(scens, policies)
	if err != nil {
		return err
	}
	seeds := make([]uint64, o.seeds)
	for i := range seeds {
		seeds[i] = uint64(i + 1)
	}
	rec, err := newRecorder(o.out, o.resume, keys, seeds)
	if err != nil {
		return err
	}
	defer rec.close()
	skip, share, err := shardFilter(o.shard, len(seeds), rec.skip)
	if err != nil {
		return err
	}
	prog := newProgress(s.Err, (len(cases)*len(seeds)-rec.done())/share)
	err = sim.Sweep(cmd.Context(), cases, sim.SweepOptions{Seeds: seeds, Workers: o.workers, Skip: skip},
		func(j sim.Job, res *sim.Result) error {
			prog.step()
			return rec.add(reports.Measure(res, keys[j.Case].Policy, cases[j.Case].Expect))
		})
	prog.finish()
	if err != nil {
		return err
	}
	doc := reports.NewCompareDoc(o.seeds, inputsOf(scens), reports.Summarise(rec.measures, keys))
	if o.output == "html" {
		traces, err := representativeTraces(cmd.Context(), cases, keys, seeds[0])
		if err != nil {
			return err
		}
		return reports.WriteCompareHTML(s.Out, doc, rec.measures, traces)
	}
	return writeCompare(s.Out, o.output, doc)
}

// representativeTraces runs every case once more with one seed to plot its
// canary weight over time (the sweep keeps measures only).
func representativeTraces(ctx context.Context, cases []*scenarios.Loaded, keys []reports.CaseKey, seed uint64) ([]reports.Trace, error) {
	out := make([]reports.Trace, 0, len(cases))
	for i, c := range cases {
		res, err := sim.Run(ctx, c, sim.Options{Seed: seed})
		if err != nil {
			return nil, err
		}
		out = append(out, reports.TraceOf(res, keys[i].Policy))
	}
	return out, nil
}

// sweepGCPercent trades memory for throughput in sweeps: with the default
// 100 the workers spend much of their time in the collector and two
// workers were only 1.5x as fast as one; at 400 they are about 1.8x, with
// the default comparison still under 250 MB (bench/compare.sh).
const sweepGCPercent = 400

// relaxGC applies sweepGCPercent unless the user set GOGC.
func relaxGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(sweepGCPercent)
	}
}

func (o *compareOptions) validate() error {
	switch {
	case !slices.Contains([]string{"table", "json", "csv", "markdown", "html"}, o.output):
		return usageError("unknown output %q: want table, json, csv, markdown or html", o.output)
	case o.seeds < 1:
		return usageError("--seeds must be at least 1")
	case o.workers < 1:
		return usageError("--workers must be at least 1")
	case o.resume && o.out == "":
		return usageError("--resume needs --out FILE")
	}
	return nil
}

// shardFilter adds --shard i/n to skip: job k (case-major, seed-minor) runs
// in shard k mod n + 1. It also returns n, the share of the sweep this is.
func shardFilter(spec string, seeds int, skip func(sim.Job) bool) (func(sim.Job) bool, int, error) {
	if spec == "" {
		return skip, 1, nil
	}
	var i, n int
	if _, err := fmt.Sscanf(spec, "%d/%d", &i, &n); err != nil || n < 1 || i < 1 || i > n || fmt.Sprintf("%d/%d", i, n) != spec {
		return nil, 0, usageError("--shard %q: want i/n with 1 <= i <= n", spec)
	}
	return func(j sim.Job) bool {
		k := j.Case*seeds + int(j.Seed) - 1
		return k%n != i-1 || skip(j)
	}, n, nil
}

// loadScenarios loads the files and directories given, or the library.
func loadScenarios(paths []string) ([]*scenarios.Loaded, error) {
	if len(paths) == 0 {
		return scenarios.Library()
	}
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, &scenarios.FieldError{File: p, Msg: fmt.Sprintf("reading scenario: %v", err)}
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		found, _ := filepath.Glob(filepath.Join(p, "*.yaml"))
		files = append(files, scenarioFiles(found)...)
	}
	var out []*scenarios.Loaded
	seen := map[string]string{}
	for _, f := range files {
		l, err := scenarios.Load(f)
		if err != nil {
			return nil, err
		}
		if prev, dup := seen[l.Name]; dup {
			return nil, &scenarios.FieldError{File: f, Path: "metadata.name", Msg: fmt.Sprintf("scenario %q is also defined in %s", l.Name, prev)}
		}
		seen[l.Name] = f
		out = append(out, l)
	}
	return out, nil
}

// scenarioFiles keeps the files of a directory that hold a Scenario (a
// directory may also hold the Canary files they reference).
func scenarioFiles(files []string) []string {
	var out []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err == nil && strings.Contains(string(data), "kind: Scenario") {
			out = append(out, f)
		}
	}
	return out
}

func loadPolicies(names, sets []string) ([]scenarios.Policy, error) {
	if len(names) == 0 {
		for _, p := range scenarios.Presets {
			names = append(names, p.Name)
		}
	}
	var base []scenarios.Policy
	for _, n := range names {
		p, err := scenarios.ParsePolicy(n)
		if err != nil {
			return nil, err
		}
		base = append(base, p)
	}
	var grid [][]scenarios.Override
	for _, s := range sets {
		o, err := scenarios.ParseSet(s)
		if err != nil {
			return nil, err
		}
		grid = append(grid, o)
	}
	return scenarios.Grid(base, grid), nil
}

// buildCases is every scenario under every policy, scenario-major. A
// policy a scenario cannot run under is an input error.
func buildCases(scens []*scenarios.Loaded, policies []scenarios.Policy) ([]*scenarios.Loaded, []reports.CaseKey, error) {
	var cases []*scenarios.Loaded
	var keys []reports.CaseKey
	var errs []error
	for _, l := range scens {
		for _, p := range policies {
			c, err := p.Apply(l)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			cases = append(cases, c)
			keys = append(keys, reports.CaseKey{Scenario: l.Name, Policy: p.Name})
		}
	}
	return cases, keys, errors.Join(errs...)
}

func inputsOf(scens []*scenarios.Loaded) []reports.Input {
	out := make([]reports.Input, len(scens))
	for i, l := range scens {
		out[i] = reports.Input{Scenario: l.Name, File: l.File, Description: l.Description, InputDigest: "sha256:" + l.Digest}
	}
	return out
}

func writeCompare(w io.Writer, format string, doc reports.CompareDoc) error {
	switch format {
	case "json":
		return reports.WriteCompareJSON(w, doc)
	case "csv":
		return reports.WriteCompareCSV(w, doc)
	case "markdown":
		return reports.WriteCompareMarkdown(w, doc)
	default:
		return reports.WriteCompareTable(w, doc)
	}
}
