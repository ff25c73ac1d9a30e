//go:build tools

// Package tools pins the etcd server used by envtest. Nothing here is
// compiled; hack/envtest-binaries.sh builds the binary from this module.
//
// The etcd binary's main package is the root of go.etcd.io/etcd/server/v3
// (server/main.go, a wrapper around go.etcd.io/etcd/server/v3/etcdmain).
//
// etcd lives in its own module, separate from ../kube-apiserver, because
// k8s.io/apiserver v0.37.2 requires go.etcd.io/etcd/server/v3 v3.7.0: in a
// shared module, minimal version selection would silently upgrade etcd.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
)
