package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/canarysim/canarysim/fakecluster"
)

// startControlPlane starts kube-apiserver and etcd for --cluster envtest.
// If ctx is cancelled while they start (Ctrl-C), they are stopped again.
func startControlPlane(ctx context.Context, log io.Writer) (*fakecluster.ControlPlane, error) {
	fmt.Fprintf(log, "starting kube-apiserver and etcd from %s\n", fakecluster.AssetsDir())
	cp, err := fakecluster.StartControlPlane()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		stopControlPlane(cp, log)
		return nil, err
	}
	fmt.Fprintln(log, "control plane started")
	return cp, nil
}

// stopControlPlane stops the control plane, reporting a failure to stop.
func stopControlPlane(cp *fakecluster.ControlPlane, log io.Writer) {
	if err := cp.Stop(); err != nil {
		fmt.Fprintf(log, "canarysim: stopping the envtest control plane: %v\n", err)
	}
}
