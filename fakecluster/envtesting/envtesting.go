// Package envtesting shares one envtest control plane among the tests of a
// package outside fakecluster: Main starts it before the tests and always
// stops it after them; ControlPlane hands it to a test, skipping the test
// when the binaries are missing, or failing it under CI=true, where the
// real API server must always be exercised.
//
//	func TestMain(m *testing.M) { os.Exit(envtesting.Main(m)) }
package envtesting

import (
	"fmt"
	"os"
	"testing"

	"github.com/canarysim/canarysim/fakecluster"
)

var (
	shared    *fakecluster.ControlPlane
	sharedErr error
)

// Main starts the control plane (if the binaries exist), runs the tests and
// stops it, returning the exit code for os.Exit.
func Main(m *testing.M) int {
	shared, sharedErr = fakecluster.StartControlPlane()
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
