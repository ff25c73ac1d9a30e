package engine

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// Deployment condition reasons Flagger reads.
const (
	reasonMinimumReplicasUnavailable = "MinimumReplicasUnavailable"
	reasonProgressDeadlineExceeded   = "ProgressDeadlineExceeded"
)

// notReady explains why a Deployment is not ready. Retriable is false when
// the progress deadline has passed: Flagger then rolls back.
type notReady struct {
	Retriable bool
	Reason    string
}

func (n *notReady) Error() string { return n.Reason }

// deploymentReady evaluates a Deployment the way Flagger's readiness check
// does (flagger-semantics §9.1): generation lag, the Canary's progress
// deadline against the Available=False condition, the Deployment's own
// ProgressDeadlineExceeded, then updated/old/available replica counts with
// the ready threshold (percent). It returns nil when ready.
func deploymentReady(d *appsv1.Deployment, thresholdPct int, deadline time.Duration, now time.Time) *notReady {
	st := d.Status
	if d.Generation > st.ObservedGeneration {
		return &notReady{Retriable: true, Reason: "waiting for rollout to finish: observed deployment generation less than desired generation"}
	}
	retriable := true
	progress := condition(st.Conditions, appsv1.DeploymentProgressing)
	if progress != nil {
		avail := condition(st.Conditions, appsv1.DeploymentAvailable)
		if avail != nil && avail.Status == corev1.ConditionFalse && avail.Reason == reasonMinimumReplicasUnavailable {
			retriable = !avail.LastUpdateTime.Add(deadline).Before(now)
		}
	}
	readyUpdated := int32(float32(st.UpdatedReplicas) * (float32(thresholdPct) / 100))
	switch {
	case progress != nil && progress.Reason == reasonProgressDeadlineExceeded:
		return &notReady{Retriable: false, Reason: fmt.Sprintf("deployment %q exceeded its progress deadline", d.Name)}
	case d.Spec.Replicas != nil && st.UpdatedReplicas < *d.Spec.Replicas:
		return &notReady{Retriable: retriable, Reason: fmt.Sprintf("waiting for rollout to finish: %d out of %d new replicas have been updated", st.UpdatedReplicas, *d.Spec.Replicas)}
	case st.Replicas > st.UpdatedReplicas:
		return &notReady{Retriable: retriable, Reason: fmt.Sprintf("waiting for rollout to finish: %d old replicas are pending termination", st.Replicas-st.UpdatedReplicas)}
	case st.AvailableReplicas < readyUpdated:
		return &notReady{Retriable: retriable, Reason: fmt.Sprintf("waiting for rollout to finish: %d of %d (readyThreshold %d%%) updated replicas are available", st.AvailableReplicas, readyUpdated, thresholdPct)}
	}
	return nil
}

func condition(cs []appsv1.DeploymentCondition, t appsv1.DeploymentConditionType) *appsv1.DeploymentCondition {
	for i := range cs {
		if cs[i].Type == t {
			return &cs[i]
		}
	}
	return nil
}
