package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/canarysim/canarysim/reports"
	"github.com/canarysim/canarysim/scenarios"
	"github.com/canarysim/canarysim/sim"
)

type runOptions struct {
	file    string
	seed    uint64
	output  string
	cluster string
}

func newRunCommand(s Streams) *cobra.Command {
	o := &runOptions{}
	cmd := &cobra.Command{
		Use:   "run -f SCENARIO",
		Short: "Simulate one rollout of a scenario and print its timeline",
		Long: `Simulate one Flagger rollout in virtual time: synthetic traffic is written to an
embedded Prometheus TSDB, the Canary's real PromQL checks are evaluated against it,
and a Flagger-compatible engine drives the rollout on a cluster backend.

Exit codes: 0 ok, 1 the outcome contradicts the scenario's "expect",
2 invalid input, 3 internal error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRun(cmd, o, s)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.file, "file", "f", "", "scenario file (required)")
	f.Uint64Var(&o.seed, "seed", 1, "random seed of the simulation")
	f.StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	f.StringVar(&o.cluster, "cluster", "fake", "cluster backend: fake (in memory) or envtest (a real kube-apiserver and etcd)")
	return cmd
}

func runRun(cmd *cobra.Command, o *runOptions, s Streams) error {
	if o.file == "" {
		return usageError("run needs a scenario: -f FILE")
	}
	if o.output != "text" && o.output != "json" {
		return usageError("unknown output %q: want text or json", o.output)
	}
	if o.cluster != "fake" && o.cluster != "envtest" {
		return usageError("unknown cluster %q: want fake or envtest", o.cluster)
	}
	l, err := scenarios.Load(o.file)
	if err != nil {
		return err
	}
	for _, w := range l.Warnings {
		fmt.Fprintf(s.Err, "warning: %s\n", w)
	}
	opts := sim.Options{Seed: o.seed}
	if o.cluster == "envtest" {
		cp, err := startControlPlane(cmd.Context(), s.Err)
		if err != nil {
			return err
		}
		defer stopControlPlane(cp, s.Err)
		opts.Backend = cp.NewBackend
	}
	res, err := sim.Run(cmd.Context(), l, opts)
	if err != nil {
		return err
	}
	if err := write(s.Out, o.output, res); err != nil {
		return err
	}
	return expectation(l.Expect, res)
}

func write(w io.Writer, format string, res *sim.Result) error {
	if format == "json" {
		return reports.WriteJSON(w, res)
	}
	return reports.WriteTimeline(w, res)
}

// expectation compares the outcome with the scenario's ground truth.
func expectation(expect string, res *sim.Result) error {
	switch {
	case expect == "promote" && res.Outcome != sim.Succeeded,
		expect == "rollback" && res.Outcome != sim.Failed:
		return fmt.Errorf("%w: expected %s, outcome %s", errPolicy, expect, res.Outcome)
	}
	return nil
}
