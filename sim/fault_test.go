package sim_test

import (
	"fmt"
	"testing"

	"github.com/canarysim/canarysim/scenarios"
)

// TestShortFaultWindow: a fault shorter than a scrape interval still hits
// exactly its own window: at 1000 rps and 10 % canary weight, a 6 s window
// of 100 % errors serves about 600 requests, every one failed.
func TestShortFaultWindow(t *testing.T) {
	for _, w := range []struct{ start, end string }{{"1m16s", "1m22s"}, {"1m18s", "1m24s"}} {
		doc := fmt.Sprintf(`apiVersion: canarysim.dev/v1alpha1
kind: Scenario
metadata: {name: short-fault}
spec:
  canary: {file: ../testdata/seed/canary.yaml}
  horizon: 2m
  traffic: {rps: 1000}
  versions:
    stable: {latency: {p50: 40ms, p99: 120ms}}
    canary: {latency: {p50: 40ms, p99: 120ms}}
  faults:
    - {start: %s, end: %s, errorPercent: 100}
`, w.start, w.end)
		l, err := scenarios.LoadBytes("../testdata/short-fault.yaml", []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		res := run(t, l, 1)
		f := res.Truth.FaultyCanary
		if f.Requests < 450 || f.Requests > 750 || f.Errors != f.Requests {
			t.Errorf("fault %s-%s: faulty canary tally %+v, want about 600 requests, all errors", w.start, w.end, f)
		}
		if res.Truth.PeakFaultyWeight != 10 {
			t.Errorf("peak faulty weight %d, want 10", res.Truth.PeakFaultyWeight)
		}
	}
}
