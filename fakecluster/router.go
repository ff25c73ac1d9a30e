package fakecluster

import (
	"context"
	"fmt"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
	istiov1beta1 "github.com/fluxcd/flagger/pkg/apis/istio/v1beta1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarysim/canarysim/engine"
)

// The router is an Istio VirtualService named after the apex service, with
// one HTTP route splitting traffic between the -primary and -canary hosts,
// as Flagger's Istio router writes it.

// EnsureRouter implements engine.Router.
func (cc *clientCluster) EnsureRouter(ctx context.Context, c *flaggerv1.Canary) error {
	apex, primary, canary := c.GetServiceNames()
	vs := &istiov1beta1.VirtualService{
		ObjectMeta: metav1.ObjectMeta{Name: apex, Namespace: c.Namespace},
		Spec: istiov1beta1.VirtualServiceSpec{
			Hosts: []string{apex},
			Http: []istiov1beta1.HTTPRoute{{
				Route: []istiov1beta1.HTTPRouteDestination{
					{Destination: istiov1beta1.Destination{Host: primary}, Weight: 100},
					{Destination: istiov1beta1.Destination{Host: canary}, Weight: 0},
				},
			}},
		},
	}
	err := cc.s.create(ctx, vs)
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("creating VirtualService %s.%s: %w", apex, c.Namespace, err)
	}
	return nil
}

// Routes implements engine.Router: it reads the weights back from the
// VirtualService.
func (cc *clientCluster) Routes(ctx context.Context, c *flaggerv1.Canary) (engine.Routes, error) {
	vs, err := cc.virtualService(ctx, c)
	if err != nil {
		return engine.Routes{}, err
	}
	return routesOf(vs, c)
}

func routesOf(vs *istiov1beta1.VirtualService, c *flaggerv1.Canary) (engine.Routes, error) {
	_, primary, canary := c.GetServiceNames()
	var r engine.Routes
	if len(vs.Spec.Http) == 0 {
		return r, fmt.Errorf("VirtualService %s.%s has no http route", vs.Name, vs.Namespace)
	}
	h := vs.Spec.Http[0]
	for _, d := range h.Route {
		switch d.Destination.Host {
		case primary:
			r.Primary = d.Weight
		case canary:
			r.Canary = d.Weight
		}
	}
	r.Mirrored = h.Mirror != nil && h.Mirror.Host == canary
	return r, nil
}

// SetRoutes implements engine.Router. It writes what the provider's router
// would: with analysis.match and a router that supports it, the split
// applies to a route matching it and a second route sends everything else
// to the primary; a mirror is recorded (with analysis.mirrorWeight) only by
// routers that record one (engine.RouterFor).
func (cc *clientCluster) SetRoutes(ctx context.Context, c *flaggerv1.Canary, r engine.Routes) error {
	for attempt := 0; ; attempt++ {
		vs, err := cc.virtualService(ctx, c)
		if err != nil {
			return err
		}
		vs.Spec.Http = httpRoutes(c, r)
		err = cc.s.update(ctx, vs)
		if apierrors.IsConflict(err) && attempt < maxConflictRetries {
			continue
		}
		if err != nil {
			return fmt.Errorf("updating VirtualService %s.%s: %w", vs.Name, vs.Namespace, err)
		}
		return nil
	}
}

// httpRoutes builds the VirtualService routes for a split.
func httpRoutes(c *flaggerv1.Canary, r engine.Routes) []istiov1beta1.HTTPRoute {
	_, primary, canary := c.GetServiceNames()
	a := c.GetAnalysis()
	caps := engine.RouterFor(engine.Provider(c), a)
	h := istiov1beta1.HTTPRoute{Route: []istiov1beta1.HTTPRouteDestination{
		{Destination: istiov1beta1.Destination{Host: primary}, Weight: r.Primary},
		{Destination: istiov1beta1.Destination{Host: canary}, Weight: r.Canary},
	}}
	if r.Mirrored && caps.Mirror {
		h.Mirror = &istiov1beta1.Destination{Host: canary}
		if a.MirrorWeight > 0 && caps.MirrorWeight {
			h.MirrorPercentage = &istiov1beta1.Percent{Value: float64(a.MirrorWeight)}
		}
	}
	if !engine.SplitsByMatch(engine.Provider(c), a) {
		return []istiov1beta1.HTTPRoute{h}
	}
	h.Match = a.Match
	rest := istiov1beta1.HTTPRoute{Route: []istiov1beta1.HTTPRouteDestination{
		{Destination: istiov1beta1.Destination{Host: primary}, Weight: 100},
	}}
	return []istiov1beta1.HTTPRoute{h, rest}
}

func (cc *clientCluster) virtualService(ctx context.Context, c *flaggerv1.Canary) (*istiov1beta1.VirtualService, error) {
	apex, _, _ := c.GetServiceNames()
	vs := &istiov1beta1.VirtualService{}
	if err := cc.s.get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: apex}, vs); err != nil {
		return nil, fmt.Errorf("reading VirtualService %s.%s: %w", apex, c.Namespace, err)
	}
	return vs, nil
}
