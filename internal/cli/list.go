package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/canarysim/canarysim/scenarios"
)

func newPresetsCommand(s Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "presets",
		Short: "List the built-in policies and their analysis fields",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			tw := tabwriter.NewWriter(s.Out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "PRESET\tINTERVAL\tTHRESHOLD\tMAX WEIGHT\tSTEP WEIGHT\t")
			for _, p := range scenarios.Presets {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\n", p.Name, p.Interval, p.Threshold, p.MaxWeight, p.StepWeight, p.Summary)
			}
			return tw.Flush()
		},
	}
}

func newScenariosCommand(s Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "scenarios",
		Short: "List the built-in scenario library",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			lib, err := scenarios.Library()
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(s.Out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "SCENARIO\tEXPECT\tDESCRIPTION")
			for _, l := range lib {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", l.Name, l.Expect, l.Description)
			}
			return tw.Flush()
		},
	}
}
