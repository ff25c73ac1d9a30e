package fakecluster

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// controlPlane is started once for the package, on first use, when the
// envtest binaries can be found. Without them the envtest tests skip,
// except under CI=true where they fail: CI must always exercise the real
// API server.
var (
	controlPlaneOnce sync.Once
	controlPlane     *ControlPlane
	controlPlaneErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if controlPlane != nil {
		if err := controlPlane.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stopping envtest: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// needControlPlane returns the shared control plane, or skips (fails under
// CI=true) when it could not start.
func needControlPlane(t *testing.T) *ControlPlane {
	t.Helper()
	controlPlaneOnce.Do(func() { controlPlane, controlPlaneErr = StartControlPlane() })
	if controlPlane == nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("envtest is required under CI=true: %v", controlPlaneErr)
		}
		t.Skipf("envtest unavailable (run make envtest-bin): %v", controlPlaneErr)
	}
	return controlPlane
}

// TestEnvtestNamespaceCleanup: closing a run's backend deletes its namespace.
func TestEnvtestNamespaceCleanup(t *testing.T) {
	cp := needControlPlane(t)
	b, err := cp.NewBackend(delayByImage{}, epoch)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ns := b.(*clientCluster).s.namespace
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	got := &corev1.Namespace{}
	err = cp.client.Get(ctx, client.ObjectKey{Name: ns}, got)
	if err == nil && got.DeletionTimestamp == nil {
		t.Errorf("namespace %s still active after Close", ns)
	}
}

// TestEnvtestContract runs the backend contract against a real
// kube-apiserver and etcd.
func TestEnvtestContract(t *testing.T) {
	cp := needControlPlane(t)
	runContract(t, func(t *testing.T) Backend {
		b, err := cp.NewBackend(delayByImage{}, epoch)
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
}

// BenchmarkControlPlaneStart measures starting kube-apiserver and etcd with
// the CRDs installed, and stopping them again (reported separately).
func BenchmarkControlPlaneStart(b *testing.B) {
	if _, err := os.Stat(AssetsDir() + "/kube-apiserver"); err != nil {
		b.Skipf("envtest unavailable: %v", err)
	}
	var stop time.Duration
	for b.Loop() {
		cp, err := StartControlPlane()
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		t0 := time.Now()
		if err := cp.Stop(); err != nil {
			b.Fatal(err)
		}
		stop += time.Since(t0)
		b.StartTimer()
	}
	b.ReportMetric(stop.Seconds()/float64(b.N), "s-stop/op")
}
