package engine

import (
	"context"
	"errors"
	"time"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// ErrNoValues is returned by a MetricSource when a query yields an empty
// vector or NaN: Flagger's "no values found", a failed check.
var ErrNoValues = errors.New("no values found")

// ErrNotFound is returned by a Cluster when an object does not exist.
var ErrNotFound = errors.New("not found")

// MetricSource evaluates PromQL. Query evaluates an instant query at the
// virtual time at and returns one value: the last series of the result
// vector (ordered by labels), or ErrNoValues when the vector is empty or
// that value is NaN. Any other error is a query failure. The engine never
// keeps the query string past the call.
type MetricSource interface {
	Query(ctx context.Context, query string, at time.Time) (float64, error)
}

// Routes are the traffic weights a router reports or is told to set.
// Primary + Canary is 100.
type Routes struct {
	Primary  int
	Canary   int
	Mirrored bool
}

// Deployments reads and writes Deployments. Get returns a copy the caller
// owns, or an error matching ErrNotFound (or an API NotFound). Create and
// Update write spec and metadata, never status; metadata.generation grows
// when the spec changes, as an API server does it. UpdateDeployment reads
// the current object, applies mutate and writes it; on a 409 Conflict it
// re-reads and re-applies mutate, as a controller retries, so concurrent
// changes to other fields survive. It returns the stored object.
type Deployments interface {
	GetDeployment(ctx context.Context, namespace, name string) (*appsv1.Deployment, error)
	CreateDeployment(ctx context.Context, d *appsv1.Deployment) error
	UpdateDeployment(ctx context.Context, namespace, name string, mutate func(*appsv1.Deployment)) (*appsv1.Deployment, error)
}

// Router holds the traffic split of one Canary. EnsureRouter creates the
// routing object with all traffic on the primary when it is absent;
// Routes reads the current split; SetRoutes writes a new one.
type Router interface {
	EnsureRouter(ctx context.Context, c *flaggerv1.Canary) error
	Routes(ctx context.Context, c *flaggerv1.Canary) (Routes, error)
	SetRoutes(ctx context.Context, c *flaggerv1.Canary, r Routes) error
}

// Services creates the ClusterIP services Flagger manages when absent.
type Services interface {
	EnsureService(ctx context.Context, svc *corev1.Service) error
}

// StatusWriter persists the Canary status through its status subresource.
// The engine owns the status value; the writer keeps a copy.
type StatusWriter interface {
	WriteCanaryStatus(ctx context.Context, c *flaggerv1.Canary, st flaggerv1.CanaryStatus) error
}

// Cluster is everything the engine does to Kubernetes.
type Cluster interface {
	Deployments
	Router
	Services
	StatusWriter
}

// Webhooks answers webhook calls made during the tick at time at. Call
// returns how long the call took in
// virtual time (timeouts and retries included) and nil when the hook
// succeeded (HTTP status <= 202 in Flagger), an error otherwise. Nothing is
// ever contacted: implementations answer from a script or a fixed policy.
type Webhooks interface {
	Call(ctx context.Context, hook flaggerv1.CanaryWebhook, phase flaggerv1.CanaryPhase, at time.Time) (time.Duration, error)
}

// ErrHookNotSignalled is what NeutralHooks answers to rollback hooks.
var ErrHookNotSignalled = errors.New("hook not signalling")

// NeutralHooks lets every gate and check hook pass at once and never
// signals a rollback: the behaviour of a Canary whose hooks are healthy.
type NeutralHooks struct{}

var _ Webhooks = NeutralHooks{}

// Call implements Webhooks.
func (NeutralHooks) Call(_ context.Context, hook flaggerv1.CanaryWebhook, _ flaggerv1.CanaryPhase, _ time.Time) (time.Duration, error) {
	if hook.Type == flaggerv1.RollbackHook {
		return 0, ErrHookNotSignalled
	}
	return 0, nil
}

// CheckScript pins what named metric checks return, for exact tests of a
// policy's state machine. Answer reports the scripted outcome of the check
// named metric at the tick time at, and false when the script says nothing
// (the check runs its query). A scripted outcome is a value (err nil),
// ErrNoValues (no data or NaN) or any other error (a failed query).
type CheckScript interface {
	Answer(metric string, at time.Time) (value float64, err error, ok bool)
}

// Options are the optional inputs of New.
type Options struct {
	// Hooks answers webhook calls; nil means NeutralHooks.
	Hooks Webhooks
	// Templates are the MetricTemplates that templateRef metrics may name.
	Templates []*flaggerv1.MetricTemplate
	// Script pins metric check answers; nil means every check queries.
	Script CheckScript
}
