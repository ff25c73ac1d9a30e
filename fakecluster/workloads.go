package fakecluster

import (
	"context"
	"fmt"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
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
	deadlineAt time.Time // zero when the rollout finishes within the deadline
	started    bool      // the "progressing" status has been written
	exceeded   bool      // ProgressDeadlineExceeded has been written
}

// defaultProgressDeadline is the API server's default for a Deployment's
// spec.progressDeadlineSeconds.
const defaultProgressDeadline = 600 * time.Second

// workloads plays the Deployment controller and kubelet in virtual time.
// Per spec change: at once, observedGeneration catches up with
// Progressing=True and (when nothing was available before)
// Available=False/MinimumReplicasUnavailable, keeping the timestamps of a
// condition whose status and reason do not change, as the controller does;
// if the rollout takes longer than the Deployment's progressDeadlineSeconds
// (default 600), Progressing turns False/ProgressDeadlineExceeded at the
// deadline; after the rollout delay all replicas are updated, ready and
// available.
type workloads struct {
	behaviour Behaviour
	now       time.Time
	pending   map[string]*rollout
	served    map[string]Serving
	crashing  map[string]bool
	stalled   map[string]bool // ProgressDeadlineExceeded forced by SetDeadlineExceeded
}

func newWorkloads(b Behaviour, epoch time.Time) *workloads {
	return &workloads{behaviour: b, now: epoch, pending: map[string]*rollout{}, served: map[string]Serving{}, crashing: map[string]bool{}, stalled: map[string]bool{}}
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
	served := w.served[d.Name]
	sameTemplate := served.Template != nil && equality.Semantic.DeepEqual(served.Template, t)
	if replicas > 0 && !(sameTemplate && replicas <= served.Available) {
		// New pods must start: a new template, or a scale-up.
		delay = w.behaviour.RolloutDelay(t)
	}
	r := &rollout{
		key: client.ObjectKeyFromObject(d), generation: d.Generation, replicas: replicas,
		template: t, startedAt: w.now, readyAt: w.now.Add(delay),
	}
	deadline := defaultProgressDeadline
	if d.Spec.ProgressDeadlineSeconds != nil {
		deadline = time.Duration(*d.Spec.ProgressDeadlineSeconds) * time.Second
	}
	if delay > deadline {
		r.deadlineAt = w.now.Add(deadline)
	}
	w.pending[d.Name] = r
}

// due is when the rollout next needs a status write.
func (r *rollout) due() time.Time {
	switch {
	case !r.started:
		return r.startedAt
	case !r.deadlineAt.IsZero() && !r.exceeded:
		return r.deadlineAt
	default:
		return r.readyAt
	}
}

// nextDue is the earliest time a pending rollout needs a status write.
func (w *workloads) nextDue() (time.Time, bool) {
	var next time.Time
	found := false
	for _, r := range w.pending {
		due := r.due()
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
		if err := cc.writeStatus(ctx, r.key, func(d *appsv1.Deployment) { readyStatus(d, r, w.now) }); err != nil {
			return err
		}
		if w.crashing[r.key.Name] {
			if err := w.crash(ctx, cc, r.key, true); err != nil {
				return err
			}
		}
		return w.restall(ctx, cc, r.key)
	}
	if !r.started && !r.startedAt.After(w.now) {
		r.started = true
		prev := w.served[r.key.Name].Available
		if err := cc.writeStatus(ctx, r.key, func(d *appsv1.Deployment) { progressingStatus(d, r, prev) }); err != nil {
			return err
		}
		if err := w.restall(ctx, cc, r.key); err != nil {
			return err
		}
	}
	if r.started && !r.exceeded && !r.deadlineAt.IsZero() && !r.deadlineAt.After(w.now) {
		r.exceeded = true
		return cc.writeStatus(ctx, r.key, func(d *appsv1.Deployment) { deadlineExceeded(d, r.deadlineAt) })
	}
	return nil
}

func progressingStatus(d *appsv1.Deployment, r *rollout, available int32) {
	at := metav1.NewTime(r.startedAt)
	avail := corev1.ConditionTrue
	reason := "MinimumReplicasAvailable"
	if available == 0 {
		avail, reason = corev1.ConditionFalse, "MinimumReplicasUnavailable"
	}
	old := d.Status.Conditions
	d.Status = appsv1.DeploymentStatus{
		ObservedGeneration: r.generation,
		Replicas:           r.replicas + available,
		UpdatedReplicas:    0,
		ReadyReplicas:      available,
		AvailableReplicas:  available,
		Conditions: []appsv1.DeploymentCondition{
			keep(old, appsv1.DeploymentCondition{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "ReplicaSetUpdated", LastUpdateTime: at, LastTransitionTime: at}),
			keep(old, appsv1.DeploymentCondition{Type: appsv1.DeploymentAvailable, Status: avail, Reason: reason, LastUpdateTime: at, LastTransitionTime: at}),
		},
	}
}

// keep returns the existing condition of c's type when its status and
// reason are unchanged (the controller leaves it alone), else c.
func keep(old []appsv1.DeploymentCondition, c appsv1.DeploymentCondition) appsv1.DeploymentCondition {
	for _, o := range old {
		if o.Type == c.Type && o.Status == c.Status && o.Reason == c.Reason {
			return o
		}
	}
	return c
}

// deadlineExceeded marks a rollout that made no progress within its
// progressDeadlineSeconds, as the Deployment controller does.
func deadlineExceeded(d *appsv1.Deployment, at time.Time) {
	t := metav1.NewTime(at)
	for i := range d.Status.Conditions {
		c := &d.Status.Conditions[i]
		if c.Type == appsv1.DeploymentProgressing {
			c.Status, c.Reason, c.LastUpdateTime, c.LastTransitionTime = corev1.ConditionFalse, "ProgressDeadlineExceeded", t, t
		}
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

// setCrashing makes a Deployment's pods crash-loop (none available) or
// recover. A rollout still in progress applies it when it completes.
func (w *workloads) setCrashing(ctx context.Context, cc *clientCluster, key client.ObjectKey, crashing bool) error {
	if w.crashing[key.Name] == crashing {
		return nil
	}
	w.crashing[key.Name] = crashing
	if _, rolling := w.pending[key.Name]; rolling {
		return nil
	}
	return w.crash(ctx, cc, key, crashing)
}

// crash writes the status of crash-looping pods (ready and available drop
// to zero, Available=False/MinimumReplicasUnavailable from now) or of
// recovered ones (everything available again).
func (w *workloads) crash(ctx context.Context, cc *clientCluster, key client.ObjectKey, crashing bool) error {
	s := w.served[key.Name]
	at := metav1.NewTime(w.now)
	err := cc.writeStatus(ctx, key, func(d *appsv1.Deployment) {
		replicas := d.Status.Replicas
		avail, status, reason := replicas, corev1.ConditionTrue, "MinimumReplicasAvailable"
		if crashing {
			avail, status, reason = 0, corev1.ConditionFalse, "MinimumReplicasUnavailable"
		}
		d.Status.ReadyReplicas, d.Status.AvailableReplicas = avail, avail
		for i := range d.Status.Conditions {
			c := &d.Status.Conditions[i]
			if c.Type == appsv1.DeploymentAvailable && (c.Status != status || c.Reason != reason) {
				c.Status, c.Reason, c.LastUpdateTime, c.LastTransitionTime = status, reason, at, at
			}
		}
		s.Available = avail
	})
	w.served[key.Name] = s
	return err
}

// setDeadlineExceeded forces (or lifts) ProgressDeadlineExceeded on a
// Deployment from the current virtual time. Lifting it restores
// Progressing=True with the reason of the Deployment's state: a rollout in
// progress (ReplicaSetUpdated) or a completed one (NewReplicaSetAvailable).
func (w *workloads) setDeadlineExceeded(ctx context.Context, cc *clientCluster, key client.ObjectKey, exceeded bool) error {
	if w.stalled[key.Name] == exceeded {
		return nil
	}
	w.stalled[key.Name] = exceeded
	if exceeded {
		return cc.writeStatus(ctx, key, func(d *appsv1.Deployment) { deadlineExceeded(d, w.now) })
	}
	reason := "NewReplicaSetAvailable"
	if _, rolling := w.pending[key.Name]; rolling {
		reason = "ReplicaSetUpdated"
	}
	at := metav1.NewTime(w.now)
	return cc.writeStatus(ctx, key, func(d *appsv1.Deployment) {
		for i := range d.Status.Conditions {
			c := &d.Status.Conditions[i]
			if c.Type == appsv1.DeploymentProgressing {
				c.Status, c.Reason, c.LastUpdateTime, c.LastTransitionTime = corev1.ConditionTrue, reason, at, at
			}
		}
	})
}

// restall re-applies a forced ProgressDeadlineExceeded after the workload
// simulator rewrote a Deployment's conditions.
func (w *workloads) restall(ctx context.Context, cc *clientCluster, key client.ObjectKey) error {
	if !w.stalled[key.Name] {
		return nil
	}
	return cc.writeStatus(ctx, key, func(d *appsv1.Deployment) { deadlineExceeded(d, w.now) })
}
