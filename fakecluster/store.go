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
type store struct {
	c       client.Client
	objects map[storeKey]client.Object
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
	if err := s.c.Get(ctx, key, obj); err != nil {
		return err
	}
	s.remember(obj)
	return nil
}

func (s *store) create(ctx context.Context, obj client.Object) error {
	return s.track(obj, s.c.Create(ctx, obj))
}

func (s *store) update(ctx context.Context, obj client.Object) error {
	return s.track(obj, s.c.Update(ctx, obj))
}

func (s *store) updateStatus(ctx context.Context, obj client.Object) error {
	return s.track(obj, s.c.Status().Update(ctx, obj))
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
