package engine

import (
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestDeploymentReady(t *testing.T) {
	now := time.Unix(1000, 0)
	cond := func(typ appsv1.DeploymentConditionType, status corev1.ConditionStatus, reason string, at time.Time) appsv1.DeploymentCondition {
		return appsv1.DeploymentCondition{Type: typ, Status: status, Reason: reason, LastUpdateTime: metav1.NewTime(at)}
	}
	dep := func(gen, observed int64, replicas, total, updated, available int32, cs ...appsv1.DeploymentCondition) *appsv1.Deployment {
		d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "app", Generation: gen}}
		d.Spec.Replicas = &replicas
		d.Status = appsv1.DeploymentStatus{ObservedGeneration: observed, Replicas: total, UpdatedReplicas: updated, AvailableReplicas: available, Conditions: cs}
		return d
	}
	progressing := cond(appsv1.DeploymentProgressing, corev1.ConditionTrue, "ReplicaSetUpdated", now)
	tests := []struct {
		name          string
		d             *appsv1.Deployment
		threshold     int
		wantReady     bool
		wantRetriable bool
	}{
		{name: "ready", d: dep(2, 2, 2, 2, 2, 2), threshold: 100, wantReady: true},
		{name: "generation lag", d: dep(3, 2, 2, 2, 2, 2), threshold: 100, wantRetriable: true},
		{name: "updating", d: dep(2, 2, 2, 2, 1, 1), threshold: 100, wantRetriable: true},
		{name: "old replicas", d: dep(2, 2, 2, 3, 2, 2), threshold: 100, wantRetriable: true},
		{name: "threshold 50 with 2 of 4", d: dep(2, 2, 4, 4, 4, 2), threshold: 50, wantReady: true},
		{name: "threshold 50 with 1 of 4", d: dep(2, 2, 4, 4, 4, 1), threshold: 50, wantRetriable: true},
		{name: "scaled to zero is ready", d: dep(2, 2, 0, 0, 0, 0), threshold: 100, wantReady: true},
		{name: "deadline not yet passed", threshold: 100, wantRetriable: true,
			d: dep(2, 2, 2, 2, 0, 0, progressing, cond(appsv1.DeploymentAvailable, corev1.ConditionFalse, reasonMinimumReplicasUnavailable, now.Add(-time.Minute)))},
		{name: "canary deadline passed", threshold: 100, wantRetriable: false,
			d: dep(2, 2, 2, 2, 0, 0, progressing, cond(appsv1.DeploymentAvailable, corev1.ConditionFalse, reasonMinimumReplicasUnavailable, now.Add(-11*time.Minute)))},
		{name: "deployment deadline exceeded", threshold: 100, wantRetriable: false,
			d: dep(2, 2, 2, 2, 2, 2, cond(appsv1.DeploymentProgressing, corev1.ConditionFalse, reasonProgressDeadlineExceeded, now))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nr := deploymentReady(tt.d, tt.threshold, 10*time.Minute, now)
			if (nr == nil) != tt.wantReady {
				t.Fatalf("ready = %v, want %v (%v)", nr == nil, tt.wantReady, nr)
			}
			if nr != nil && nr.Retriable != tt.wantRetriable {
				t.Errorf("retriable = %v, want %v (%s)", nr.Retriable, tt.wantRetriable, nr.Reason)
			}
		})
	}
}
