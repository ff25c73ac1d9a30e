package fakecluster

import (
	"context"
	"fmt"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Behaviour tells the workload simulator how a pod template behaves when
// rolled out. RolloutDelay is the virtual time from a spec change until all
// replicas are updated and available.
type Behaviour interface {
	RolloutDelay(t *corev1.PodTemplateSpec) time.Duration
}

// Serving is what a Deployment's available pods run: the template of its
// last completed rollout and how many replicas are available.
type Serving struct {
	Template  *corev1.PodTemplateSpec
	Available int32
}

// rollout is a Deployment spec change the simulator has yet to complete.
type rollout struct {
	key        client.ObjectKey
	generation int64
	replicas   int32
	template   *corev1.PodTemplateSpec
	startedAt  time.Time
	readyAt    time.Time
	started    bool // the "progressing" status has been written
}

// workloads plays the Deployment controller and kubelet in virtual time,
// in two stages per spec change: at once, observedGeneration catches up
// with Progressing=True and (when nothing was available before)
// Available=False/MinimumReplicasUnavailable; after the rollout delay all
// replicas are updated, ready and available.
type workloads struct {
	behaviour Behaviour
	now       time.Time
	pending   map[string]*rollout
	served    map[string]Serving
}

func newWorkloads(b Behaviour, epoch time.Time) *workloads {
	return &workloads{behaviour: b, now: epoch, pending: map[string]*rollout{}, served: map[string]Serving{}}
}

// specChanged schedules the rollout of d's stored spec from the current
// virtual time.
func (w *workloads) specChanged(d *appsv1.Deployment) {
	replicas := int32(1)
	if d.Spec.Replicas != nil {
		replicas = *d.Spec.Replicas
	}
	t := d.Spec.Template.DeepCopy()
	delay := time.Duration(0)
	if replicas > 0 {
		delay = w.behaviour.RolloutDelay(t)
	}
	w.pending[d.Name] = &rollout{
		key: client.ObjectKeyFromObject(d), generation: d.Generation, replicas: replicas,
		template: t, startedAt: w.now, readyAt: w.now.Add(delay),
	}
}

// nextDue is the earliest time a pending rollout needs a status write.
func (w *workloads) nextDue() (time.Time, bool) {
	var next time.Time
	found := false
	for _, r := range w.pending {
		due := r.readyAt
		if !r.started {
			due = r.startedAt
		}
		if !found || due.Before(next) {
			next, found = due, true
		}
	}
	return next, found
}

// advance writes every status that is due at now, in name order.
func (w *workloads) advance(ctx context.Context, cc *clientCluster, now time.Time) error {
	w.now = now
	if len(w.pending) == 0 {
		return nil
	}
	names := make([]string, 0, len(w.pending))
	for n := range w.pending {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := w.step(ctx, cc, w.pending[n]); err != nil {
			return fmt.Errorf("workload simulator: deployment %s: %w", n, err)
		}
	}
	return nil
}

func (w *workloads) step(ctx context.Context, cc *clientCluster, r *rollout) error {
	if !r.readyAt.After(w.now) {
		delete(w.pending, r.key.Name)
		w.served[r.key.Name] = Serving{Template: r.template, Available: r.replicas}
		return cc.writeStatus(ctx, r.key, func(d *appsv1.Deployment) { readyStatus(d, r, w.now) })
	}
	if r.started || r.startedAt.After(w.now) {
		return nil
	}
	r.started = true
	prev := w.served[r.key.Name].Available
	return cc.writeStatus(ctx, r.key, func(d *appsv1.Deployment) { progressingStatus(d, r, prev) })
}

func progressingStatus(d *appsv1.Deployment, r *rollout, available int32) {
	at := metav1.NewTime(r.startedAt)
	avail := corev1.ConditionTrue
	reason := "MinimumReplicasAvailable"
	if available == 0 {
		avail, reason = corev1.ConditionFalse, "MinimumReplicasUnavailable"
	}
	d.Status = appsv1.DeploymentStatus{
		ObservedGeneration: r.generation,
		Replicas:           r.replicas + available,
		UpdatedReplicas:    0,
		ReadyReplicas:      available,
		AvailableReplicas:  available,
		Conditions: []appsv1.DeploymentCondition{
			{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "ReplicaSetUpdated", LastUpdateTime: at, LastTransitionTime: at},
			{Type: appsv1.DeploymentAvailable, Status: avail, Reason: reason, LastUpdateTime: at, LastTransitionTime: at},
		},
	}
}

func readyStatus(d *appsv1.Deployment, r *rollout, now time.Time) {
	at := metav1.NewTime(now)
	d.Status = appsv1.DeploymentStatus{
		ObservedGeneration: r.generation,
		Replicas:           r.replicas,
		UpdatedReplicas:    r.replicas,
		ReadyReplicas:      r.replicas,
		AvailableReplicas:  r.replicas,
		Conditions: []appsv1.DeploymentCondition{
			{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "NewReplicaSetAvailable", LastUpdateTime: at, LastTransitionTime: at},
			{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable", LastUpdateTime: at, LastTransitionTime: at},
		},
	}
}

func (w *workloads) serving(name string) Serving { return w.served[name] }
