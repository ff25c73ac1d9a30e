// Package scenarios owns canarysim's input formats: the Scenario document
// (apiVersion canarysim.dev/v1alpha1), the Flagger Canary it rehearses
// (decoded with Flagger's own v1beta1 types), its MetricTemplates, the
// target Deployment and extra series for template queries (spec.series).
//
// Load decodes strictly (unknown or duplicate fields are errors), applies
// defaults and validates; every problem is a *FieldError naming file, line,
// column and field path, all returned at once and all matching ErrInput.
//
//	loaded, err := scenarios.Load("testdata/seed/example-healthy.yaml")
//
// Limitations: only Deployment targets are accepted. Every provider of
// Flagger's builtin query table is (see Providers); other values load with a
// warning and use the istio queries, as in Flagger. MetricTemplates of
// providers other than Prometheus are rejected with a clear error.
package scenarios
