package engine

import (
	"testing"
	"time"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
	corev1 "k8s.io/api/core/v1"
)

// TestSyncCondition: §4.4, the Promoted condition follows the phase; a
// change of reason alone keeps the transition time.
func TestSyncCondition(t *testing.T) {
	t0, t1, t2 := time.Unix(0, 0), time.Unix(60, 0), time.Unix(120, 0)
	st := &flaggerv1.CanaryStatus{Phase: flaggerv1.CanaryPhaseProgressing}
	syncCondition(st, t0)
	st.Phase = flaggerv1.CanaryPhasePromoting
	syncCondition(st, t1)
	c := st.Conditions[0]
	if c.Status != corev1.ConditionUnknown || c.Reason != "Promoting" || !c.LastTransitionTime.Time.Equal(t0) || !c.LastUpdateTime.Time.Equal(t1) {
		t.Errorf("after Progressing -> Promoting: %+v", c)
	}
	st.Phase = flaggerv1.CanaryPhaseSucceeded
	syncCondition(st, t2)
	c = st.Conditions[0]
	if len(st.Conditions) != 1 || c.Status != corev1.ConditionTrue || !c.LastTransitionTime.Time.Equal(t2) {
		t.Errorf("after Succeeded: %+v", st.Conditions)
	}
}
