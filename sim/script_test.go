package sim

import (
	"errors"
	"testing"
	"time"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"

	"github.com/canarysim/canarysim/engine"
	"github.com/canarysim/canarysim/scenarios"
)

// TestHookAnswers: Flagger's success rule (<= 202), the 10s default
// timeout and go-retryablehttp's backoff (1s, 2s, 4s ... capped at 30s).
func TestHookAnswers(t *testing.T) {
	hook := func(timeout string, retries int) flaggerv1.CanaryWebhook {
		return flaggerv1.CanaryWebhook{Name: "h", URL: "http://h/", Timeout: timeout, Retries: retries}
	}
	tests := []struct {
		name     string
		hook     flaggerv1.CanaryWebhook
		rule     scenarios.WebhookRule
		wantDur  time.Duration
		wantPass bool
	}{
		{"pass", hook("", 0), scenarios.WebhookRule{Answer: scenarios.HookPass}, 0, true},
		{"fail is not retried", hook("", 3), scenarios.WebhookRule{Answer: scenarios.HookFail}, 0, false},
		{"202 passes", hook("", 0), scenarios.WebhookRule{Answer: scenarios.HookStatus, Status: 202}, 0, true},
		{"203 fails", hook("", 2), scenarios.WebhookRule{Answer: scenarios.HookStatus, Status: 203}, 0, false},
		{"503 is retried with backoff", hook("", 3), scenarios.WebhookRule{Answer: scenarios.HookStatus, Status: 503}, 7 * time.Second, false},
		{"429 is retried", hook("", 1), scenarios.WebhookRule{Answer: scenarios.HookStatus, Status: 429}, time.Second, false},
		{"501 is not retried", hook("", 3), scenarios.WebhookRule{Answer: scenarios.HookStatus, Status: 501}, 0, false},
		{"timeout default 10s", hook("5", 0), scenarios.WebhookRule{Answer: scenarios.HookTimeout}, 10 * time.Second, false},
		{"timeout with retries", hook("5s", 1), scenarios.WebhookRule{Answer: scenarios.HookTimeout}, 11 * time.Second, false},
		{"backoff capped at 30s", hook("1s", 7), scenarios.WebhookRule{Answer: scenarios.HookTimeout}, 8*time.Second + (1+2+4+8+16+30+30)*time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := answer(tt.hook, tt.rule)
			if d != tt.wantDur || (err == nil) != tt.wantPass {
				t.Errorf("answer = %s, %v; want %s, pass %v", d, err, tt.wantDur, tt.wantPass)
			}
		})
	}
}

// TestScriptWindows: tick k is the tick at D + k×interval (D the first tick
// at or after the revision); time windows are since the revision; the
// first matching rule wins; unscripted hooks are neutral.
func TestScriptWindows(t *testing.T) {
	if d := firstTickAtOrAfter(3*time.Minute, 5*time.Second, time.Minute); d != 3*time.Minute+5*time.Second {
		t.Errorf("D = %s", d)
	}
	l := &scenarios.Loaded{RevisionAt: 3 * time.Minute, TickOffset: 5 * time.Second, Script: scenarios.Script{
		Metrics: []scenarios.MetricRule{
			{Metric: "m", Window: scenarios.Window{Ticks: []scenarios.TickRange{{First: 2, Last: 3}}}, Outcome: scenarios.MetricNaN},
			{Metric: "m", Window: scenarios.Window{From: time.Minute, Until: 10 * time.Minute}, Value: 7},
		},
		Readiness: []scenarios.ReadinessRule{{Workload: scenarios.WorkloadPrimary, Window: scenarios.Window{From: 9 * time.Minute}, DeadlineExceeded: true}},
		Webhooks:  []scenarios.WebhookRule{{Hook: "gate", Window: scenarios.Window{Until: 2 * time.Minute}, Answer: scenarios.HookFail}},
	}}
	s := newScript(l, time.Minute)
	at := func(d time.Duration) time.Time { return Epoch.Add(3*time.Minute + d) }
	if _, err, ok := s.Answer("m", at(2*time.Minute+5*time.Second)); !ok || !errors.Is(err, engine.ErrNoValues) {
		t.Errorf("tick 2: %v %v, want no values", err, ok)
	}
	if v, err, ok := s.Answer("m", at(4*time.Minute+5*time.Second)); !ok || err != nil || v != 7 {
		t.Errorf("tick 4: %v %v %v, want 7", v, err, ok)
	}
	if _, _, ok := s.Answer("m", at(30*time.Second)); ok {
		t.Error("answered before its windows")
	}
	if got := s.takeAnswered(); len(got) != 2 {
		t.Errorf("answered %v", got)
	}
	if !s.deadlineExceeded(scenarios.WorkloadPrimary, 12*time.Minute) || s.deadlineExceeded(scenarios.WorkloadPrimary, 11*time.Minute) || s.unavailable(scenarios.WorkloadPrimary, 13*time.Minute) {
		t.Error("readiness windows")
	}
	gate := flaggerv1.CanaryWebhook{Name: "gate", Type: flaggerv1.ConfirmPromotionHook}
	if _, err := s.Call(t.Context(), gate, "", at(time.Minute)); err == nil {
		t.Error("gate open inside its closed window")
	}
	if _, err := s.Call(t.Context(), gate, "", at(2*time.Minute)); err != nil {
		t.Errorf("unscripted gate: %v", err)
	}
	rb := flaggerv1.CanaryWebhook{Name: "rb", Type: flaggerv1.RollbackHook}
	if _, err := s.Call(t.Context(), rb, "", at(0)); !errors.Is(err, engine.ErrHookNotSignalled) {
		t.Errorf("unscripted rollback hook: %v", err)
	}
}
