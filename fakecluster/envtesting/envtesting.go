// Package envtesting shares one envtest control plane among the tests of a
// package outside fakecluster: ControlPlane starts it on first use (so
// tests and benchmarks that do not need it never pay for it) and hands it
// to a test, skipping the test when the binaries are missing, or failing
// it under CI=true, where the real API server must always be exercised;
// Main always stops it after the tests.
//
//	func TestMain(m *testing.M) { os.Exit(envtesting.Main(m)) }
package envtesting

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/canarysim/canarysim/fakecluster"
)

var (
	once      sync.Once
	shared    *fakecluster.ControlPlane
	sharedErr error
)

// Main runs the tests and stops the control plane if one was started,
// returning the exit code for os.Exit.
func Main(m *testing.M) int {
	code := m.Run()
	if shared != nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stopping envtest: %v\n", err)
			code = 1
		}
	}
	return code
}

// ControlPlane returns the shared control plane, or ends tb: skipped when it
// is unavailable, failed when CI=true.
func ControlPlane(tb testing.TB) *fakecluster.ControlPlane {
	tb.Helper()
	once.Do(func() { shared, sharedErr = fakecluster.StartControlPlane() })
	if shared == nil {
		Unavailable(tb, sharedErr)
	}
	return shared
}

// Unavailable ends tb because envtest cannot run: a skip locally, a failure
// under CI=true.
func Unavailable(tb testing.TB, reason error) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("envtest is required under CI=true: %v", reason)
	}
	tb.Skipf("envtest unavailable (run make envtest-bin): %v", reason)
}
