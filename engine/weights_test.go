package engine

import (
	"testing"
	"testing/quick"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
)

func TestMaxWeight(t *testing.T) {
	tests := []struct {
		name   string
		a      flaggerv1.CanaryAnalysis
		want   int
		reason string
	}{
		{name: "maxWeight", a: flaggerv1.CanaryAnalysis{MaxWeight: 50, StepWeight: 10}, want: 50},
		{name: "default", a: flaggerv1.CanaryAnalysis{StepWeight: 10}, want: 100, reason: "§6.1: 100 when unset"},
		{name: "ladder replaces maxWeight", a: flaggerv1.CanaryAnalysis{MaxWeight: 30, StepWeights: []int{1, 2, 10, 80}}, want: 80},
		{name: "ladder capped", a: flaggerv1.CanaryAnalysis{StepWeights: []int{1, 2, 10, 200}}, want: 100},
		{name: "over 100 kept", a: flaggerv1.CanaryAnalysis{MaxWeight: 150, StepWeight: 50}, want: 150, reason: "V-8: never promotes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := maxWeight(&tt.a); got != tt.want {
				t.Errorf("maxWeight = %d, want %d (%s)", got, tt.want, tt.reason)
			}
		})
	}
}

func TestNextStepWeight(t *testing.T) {
	ladder := []int{1, 2, 10, 80}
	tests := []struct {
		name    string
		a       flaggerv1.CanaryAnalysis
		current int
		want    int
		reason  string
	}{
		{name: "linear", a: flaggerv1.CanaryAnalysis{StepWeight: 10}, current: 40, want: 10},
		{name: "none", a: flaggerv1.CanaryAnalysis{}, current: 0, want: 0, reason: "V-9: stuck"},
		{name: "stepWeight wins", a: flaggerv1.CanaryAnalysis{StepWeight: 5, StepWeights: ladder}, current: 0, want: 5},
		{name: "ladder first", a: flaggerv1.CanaryAnalysis{StepWeights: ladder}, current: 0, want: 1},
		{name: "ladder rung", a: flaggerv1.CanaryAnalysis{StepWeights: ladder}, current: 10, want: 70},
		{name: "off ladder jumps to 100", a: flaggerv1.CanaryAnalysis{StepWeights: []int{10, 20, 30}}, current: 15, want: 85, reason: "V-25"},
		{name: "last rung jumps to 100", a: flaggerv1.CanaryAnalysis{StepWeights: ladder}, current: 80, want: 20},
		{name: "no room", a: flaggerv1.CanaryAnalysis{StepWeights: ladder}, current: 100, want: 1},
		{name: "rung capped by room", a: flaggerv1.CanaryAnalysis{StepWeights: []int{1, 2, 10, 200}}, current: 10, want: 90},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := nextStepWeight(&tt.a, tt.current); got != tt.want {
				t.Errorf("nextStepWeight(%d) = %d, want %d (%s)", tt.current, got, tt.want, tt.reason)
			}
		})
	}
}

// TestStepsToMaxWeightQuick checks the number of linear increases to reach
// maxWeight against the closed form S = ceil(max/step) (§6.3), by walking
// advance() the naive way, and that weights always sum to 100.
func TestStepsToMaxWeightQuick(t *testing.T) {
	f := func(step, max uint8) bool {
		s, m := int(step%100)+1, int(max%100)+1
		a := &flaggerv1.CanaryAnalysis{StepWeight: s, MaxWeight: m}
		r := Routes{Primary: 100}
		steps := 0
		for r.Canary < maxWeight(a) {
			r = advance(r, nextStepWeight(a, r.Canary))
			steps++
			if r.Primary+r.Canary != 100 && r.Canary < 100 {
				return false
			}
		}
		return steps == (m+s-1)/s
	}
	if err := quick.Check(f, nil); err != nil {
		t.Error(err)
	}
}
