//go:build tools

// Package tools pins the kube-apiserver used by envtest. Nothing here is
// compiled; hack/envtest-binaries.sh builds the binary from this module.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
