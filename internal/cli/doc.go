// Package cli holds canarysim's cobra commands. main only sets up signals
// and calls Execute, which returns the exit code (ExitOK, ExitPolicy,
// ExitInput, ExitError).
//
//	os.Exit(cli.Execute(ctx, os.Args[1:], cli.Streams{Out: os.Stdout, Err: os.Stderr}))
package cli
