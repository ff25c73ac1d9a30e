package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/canarysim/canarysim/internal/version"
	"github.com/canarysim/canarysim/scenarios"
)

// Exit codes of the canarysim command.
const (
	// ExitOK: everything ran and every expectation held.
	ExitOK = 0
	// ExitPolicy: the simulation ran but the policy did not do what the
	// scenario expects (e.g. expect: promote, outcome Failed).
	ExitPolicy = 1
	// ExitInput: an input file is missing or invalid.
	ExitInput = 2
	// ExitError: canarysim itself failed.
	ExitError = 3
	// ExitInterrupted: stopped by SIGINT or SIGTERM (128 + SIGINT).
	ExitInterrupted = 130
)

// Streams are the command's output streams.
type Streams struct {
	Out io.Writer
	Err io.Writer
}

// errPolicy is returned when a run contradicts the scenario's expectation.
var errPolicy = errors.New("policy verdict contradicts the scenario's expectation")

// NewCommand builds the canarysim root command.
func NewCommand(ctx context.Context, s Streams) *cobra.Command {
	root := &cobra.Command{
		Use:           "canarysim",
		Short:         "Rehearse Flagger canary releases offline, in virtual time",
		Version:       version.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.SetContext(ctx)
	root.AddCommand(newRunCommand(s), newCompareCommand(s), newPresetsCommand(s), newScenariosCommand(s))
	return root
}

// ExitCode maps an error returned by the command to an exit code.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, errPolicy):
		return ExitPolicy
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.Is(err, scenarios.ErrInput), errors.Is(err, errUsage):
		return ExitInput
	default:
		return ExitError
	}
}

// errUsage marks bad flags.
var errUsage = errors.New("usage")

func usageError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

// Execute runs the command and returns the exit code, printing any error to
// the error stream.
func Execute(ctx context.Context, args []string, s Streams) int {
	cmd := NewCommand(ctx, s)
	cmd.SetArgs(args)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return fmt.Errorf("%w: %w", errUsage, err) })
	err := cmd.ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintf(s.Err, "canarysim: %v\n", err)
	}
	return ExitCode(err)
}
