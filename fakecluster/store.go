package fakecluster

import (
	"context"
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// store is a write-through cache in front of the API client, as a
// controller's informer cache is: every object the backend wrote (or read
// once) is kept as the API server returned it, and reads are served from
// that copy. It is exact here because the backend is the cluster's only
// writer; a failed write drops the entry so the next read goes to the API.
//
// When namespace is set, every object is stored in that namespace on the
// API server whatever namespace the caller gives it (runs sharing one API
// server are isolated this way); callers and the cache see their own.
type store struct {
	c         client.Client
	objects   map[storeKey]client.Object
	namespace string
}

type storeKey struct {
	kind string
	key  client.ObjectKey
}

func newStore(c client.Client) *store {
	return &store{c: c, objects: map[storeKey]client.Object{}}
}

func keyOf(obj client.Object) storeKey {
	return storeKey{kind: fmt.Sprintf("%T", obj), key: client.ObjectKeyFromObject(obj)}
}

// get fills obj (a pointer to a typed object) with the stored object.
func (s *store) get(ctx context.Context, key client.ObjectKey, obj client.Object) error {
	k := storeKey{kind: fmt.Sprintf("%T", obj), key: key}
	if cached, ok := s.objects[k]; ok {
		copyInto(obj, cached)
		return nil
	}
	apiKey := key
	if s.namespace != "" {
		apiKey.Namespace = s.namespace
	}
	if err := s.c.Get(ctx, apiKey, obj); err != nil {
		return err
	}
	obj.SetNamespace(key.Namespace)
	s.remember(obj)
	return nil
}

func (s *store) create(ctx context.Context, obj client.Object) error {
	return s.track(obj, s.mapped(obj, func() error { return s.c.Create(ctx, obj) }))
}

func (s *store) update(ctx context.Context, obj client.Object) error {
	return s.track(obj, s.mapped(obj, func() error { return s.c.Update(ctx, obj) }))
}

func (s *store) updateStatus(ctx context.Context, obj client.Object) error {
	return s.track(obj, s.mapped(obj, func() error { return s.c.Status().Update(ctx, obj) }))
}

// mapped runs write with obj moved to the run's namespace, then restores
// the caller's namespace on obj.
func (s *store) mapped(obj client.Object, write func() error) error {
	if s.namespace == "" {
		return write()
	}
	ns := obj.GetNamespace()
	obj.SetNamespace(s.namespace)
	err := write()
	obj.SetNamespace(ns)
	return err
}

// track keeps the written object (updated in place by the client with the
// server's resourceVersion) or forgets the entry on error.
func (s *store) track(obj client.Object, err error) error {
	if err != nil {
		delete(s.objects, keyOf(obj))
		return err
	}
	s.remember(obj)
	return nil
}

func (s *store) remember(obj client.Object) {
	s.objects[keyOf(obj)] = obj.DeepCopyObject().(client.Object)
}

// copyInto sets *dst to a deep copy of src; both are pointers to the same type.
func copyInto(dst client.Object, src runtime.Object) {
	reflect.ValueOf(dst).Elem().Set(reflect.ValueOf(src.DeepCopyObject()).Elem())
}
