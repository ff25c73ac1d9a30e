// Package fakecluster is the cluster the engine acts on. Backend is the
// contract: the engine's Cluster port (Deployments, Services, the Istio
// VirtualService that holds route weights, Canary status through the status
// subresource) plus the simulator's side (apply manifests, run the workload
// simulator in virtual time, read back what is served).
//
// NewMemory is the in-memory backend on controller-runtime's fake client.
// Backends share one implementation over a client.Client; they differ in the
// client and in who maintains metadata.generation.
//
//	cl, _ := fakecluster.NewMemory(behaviour, epoch)
//	_ = cl.ApplyDeployment(ctx, target)
//	_ = cl.Advance(ctx, now)
//
// No controllers run: the workload simulator writes Deployment status
// (observedGeneration, replica counts, Progressing/Available conditions)
// after each version's rollout delay. Limitations: Deployments only; no
// HPA; pods are not modelled individually.
package fakecluster
