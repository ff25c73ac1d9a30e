package engine

import (
	"time"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// promotedMessages are the Promoted condition's messages per phase (§4.4).
var promotedMessages = map[flaggerv1.CanaryPhase]string{
	flaggerv1.CanaryPhaseInitializing:     "New Deployment detected, starting initialization.",
	flaggerv1.CanaryPhaseInitialized:      "Deployment initialization completed.",
	flaggerv1.CanaryPhaseWaiting:          "Waiting for approval.",
	flaggerv1.CanaryPhaseWaitingPromotion: "Waiting for approval.",
	flaggerv1.CanaryPhaseProgressing:      "New revision detected, progressing canary analysis.",
	flaggerv1.CanaryPhasePromoting:        "Canary analysis completed, starting primary rolling update.",
	flaggerv1.CanaryPhaseFinalising:       "Canary analysis completed, routing all traffic to primary.",
	flaggerv1.CanaryPhaseSucceeded:        "Canary analysis completed successfully, promotion finished.",
	flaggerv1.CanaryPhaseFailed:           "Canary analysis failed, Deployment scaled to zero.",
}

// syncCondition keeps the single Promoted condition in step with the phase
// (§4.4): True for Initialized and Succeeded, False for Failed, Unknown
// otherwise, reason = phase. It is replaced only when status or reason
// change, and its transition time survives a change of reason alone.
func syncCondition(st *flaggerv1.CanaryStatus, now time.Time) {
	status := corev1.ConditionUnknown
	switch st.Phase {
	case flaggerv1.CanaryPhaseInitialized, flaggerv1.CanaryPhaseSucceeded:
		status = corev1.ConditionTrue
	case flaggerv1.CanaryPhaseFailed:
		status = corev1.ConditionFalse
	}
	reason := string(st.Phase)
	at := metav1.NewTime(now)
	next := flaggerv1.CanaryCondition{
		Type: flaggerv1.PromotedType, Status: status, Reason: reason, Message: promotedMessages[st.Phase],
		LastUpdateTime: at, LastTransitionTime: at,
	}
	if len(st.Conditions) == 1 {
		cur := st.Conditions[0]
		if cur.Status == status && cur.Reason == reason {
			return
		}
		if cur.Status == status {
			next.LastTransitionTime = cur.LastTransitionTime
		}
	}
	st.Conditions = []flaggerv1.CanaryCondition{next}
}
