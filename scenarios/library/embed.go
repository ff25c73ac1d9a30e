// Package library is canarysim's built-in scenario library: one Canary and
// a scenario per common release story, embedded in the binary.
package library

import "embed"

// FS holds canary.yaml and the scenarios (*.yaml).
//
//go:embed *.yaml
var FS embed.FS
