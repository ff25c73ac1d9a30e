// Package conformance holds the conformance suite: the scripted scenarios
// of testdata/conformance, one Flagger behaviour each (flagger-semantics.md
// §3-§10), run through the whole simulator and compared with their
// reviewed timelines (`canarysim run -f testdata/conformance/<name>.yaml`).
//
//	go test ./internal/conformance            # check
//	go test ./internal/conformance -update    # rewrite the .golden files
//
// The package has no code of its own; its test is the suite.
package conformance
