#!/usr/bin/env bash
# envtest-binaries.sh: provide the kube-apiserver and etcd binaries that
# controller-runtime's envtest starts, built from Go modules only (no release
# tarballs, no images).
#
# Usage:  KUBEBUILDER_ASSETS="$(hack/envtest-binaries.sh)" go test ./...
#
# The last line of stdout is the absolute path of a directory holding both
# binaries; progress goes to stderr.
#
#   1. If KUBEBUILDER_ASSETS is set and already holds both binaries, that
#      directory is printed and nothing is built.
#   2. Otherwise both are built from the modules pinned in tools/envtest/
#      into a per-version cache directory outside the repository:
#        ${XDG_CACHE_HOME:-$HOME/.cache}/canarysim/envtest/k8s-<ver>-etcd-<ver>/
#      (override the parent with CANARYSIM_ENVTEST_CACHE). A binary already in
#      the cache is reused; each build goes to a temporary directory and is
#      renamed into place, so an interrupted build never leaves a partial one.
#
# Versions are read from tools/envtest/{kube-apiserver,etcd}/go.mod, so bumping
# a version there also changes the cache key. A cold build of kube-apiserver
# takes several minutes on a small machine.
set -euo pipefail

log() { printf 'envtest-binaries: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

GO=${GO:-go}
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
TOOLS_DIR="$REPO_ROOT/tools/envtest"
APISERVER_MOD="$TOOLS_DIR/kube-apiserver"
ETCD_MOD="$TOOLS_DIR/etcd"

has_both() { [[ -f "$1/kube-apiserver" && -x "$1/kube-apiserver" && -f "$1/etcd" && -x "$1/etcd" ]]; }

# 1. An explicit KUBEBUILDER_ASSETS wins if it is complete.
if [[ -n "${KUBEBUILDER_ASSETS:-}" ]]; then
	if has_both "$KUBEBUILDER_ASSETS"; then
		log "using KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS"
		(cd "$KUBEBUILDER_ASSETS" && pwd -P)
		exit 0
	fi
	log "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS lacks kube-apiserver and/or etcd; using the module-built cache instead"
fi

# modversion FILE MODULE: the version FILE's require directive gives MODULE.
modversion() {
	local v
	[[ -f "$1" ]] || die "$1 not found"
	v=$(awk -v m="$2" '$0 !~ /=>/ { for (i = 1; i < NF; i++) if ($i == m && $(i+1) ~ /^v[0-9]/) { print $(i+1); exit } }' "$1")
	[[ -n "$v" ]] || die "no version of $2 in $1"
	printf '%s\n' "$v"
}

K8S_VERSION=$(modversion "$APISERVER_MOD/go.mod" k8s.io/kubernetes)  # e.g. v1.37.2
ETCD_VERSION=$(modversion "$ETCD_MOD/go.mod" go.etcd.io/etcd/server/v3) # e.g. v3.6.7

if [[ -n "${CANARYSIM_ENVTEST_CACHE:-}" ]]; then
	CACHE_ROOT=$CANARYSIM_ENVTEST_CACHE
elif [[ -n "${XDG_CACHE_HOME:-}" ]]; then
	CACHE_ROOT="$XDG_CACHE_HOME/canarysim/envtest"
else
	[[ -n "${HOME:-}" ]] || die "neither XDG_CACHE_HOME, HOME nor CANARYSIM_ENVTEST_CACHE is set; cannot choose a cache directory"
	CACHE_ROOT="$HOME/.cache/canarysim/envtest"
fi
mkdir -p "$CACHE_ROOT" || die "cannot create cache directory $CACHE_ROOT"
CACHE_ROOT=$(cd "$CACHE_ROOT" && pwd -P)
case "$CACHE_ROOT/" in
"$REPO_ROOT"/*) die "cache directory $CACHE_ROOT is inside the repository; point XDG_CACHE_HOME or CANARYSIM_ENVTEST_CACHE elsewhere" ;;
esac
OUT_DIR="$CACHE_ROOT/k8s-${K8S_VERSION#v}-etcd-${ETCD_VERSION#v}"
mkdir -p "$OUT_DIR" || die "cannot create $OUT_DIR"

if has_both "$OUT_DIR"; then
	log "cached: $OUT_DIR"
	printf '%s\n' "$OUT_DIR"
	exit 0
fi

command -v "$GO" >/dev/null 2>&1 || die "'$GO' not found in PATH (set GO=/path/to/go)"

TMP_DIRS=()
cleanup() {
	local d
	for d in "${TMP_DIRS[@]+"${TMP_DIRS[@]}"}"; do rm -rf "$d"; done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

HOST_GOOS=$("$GO" env GOHOSTOS)
HOST_GOARCH=$("$GO" env GOHOSTARCH)

# build NAME MODULE_DIR PACKAGE LDFLAGS: build NAME into OUT_DIR atomically.
build() {
	local name=$1 moddir=$2 pkg=$3 ldflags=$4 tmp start
	if [[ -f "$OUT_DIR/$name" && -x "$OUT_DIR/$name" ]]; then
		log "cached: $OUT_DIR/$name"
		return 0
	fi
	tmp=$(mktemp -d "$OUT_DIR/.$name.tmp.XXXXXX") || die "cannot create a temporary directory in $OUT_DIR"
	TMP_DIRS+=("$tmp")
	log "building $name from $pkg (module $moddir) ..."
	start=$SECONDS
	# Pinned build environment: module-mode only (no workspace, no vendor,
	# go.mod/go.sum must be complete), no cgo, no VCS stamping, trimmed paths,
	# host platform, so the same toolchain gives the same binary.
	if ! (cd "$moddir" &&
		GOWORK=off GOFLAGS='-mod=readonly -buildvcs=false' CGO_ENABLED=0 \
			GOOS="$HOST_GOOS" GOARCH="$HOST_GOARCH" \
			"$GO" build -trimpath -ldflags "$ldflags" -o "$tmp/$name" "$pkg") >&2; then
		die "building $name failed (see the go output above)"
	fi
	"$tmp/$name" --version >/dev/null 2>&1 || die "the freshly built $name does not run ('$name --version' failed)"
	chmod 0755 "$tmp/$name"
	mv -f "$tmp/$name" "$OUT_DIR/$name"
	rm -rf "$tmp"
	log "built $OUT_DIR/$name in $((SECONDS - start))s"
}

# Version stamping as Kubernetes' hack/lib/version.sh does (the default would
# report v0.0.0-master); -s -w drops debug info like release builds do.
k8s_minor=${K8S_VERSION#v*.}
k8s_minor=${k8s_minor%%.*}
k8s_major=${K8S_VERSION#v}
k8s_major=${k8s_major%%.*}
K8S_LDFLAGS="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	K8S_LDFLAGS+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=$k8s_major -X $p.gitMinor=$k8s_minor -X $p.gitTreeState=clean"
done

# etcd's binary main package is the root of go.etcd.io/etcd/server/v3
# (server/main.go -> etcdmain.Main); its version constant comes from
# go.etcd.io/etcd/api/v3, which its go.mod pins to the same release.
build etcd "$ETCD_MOD" go.etcd.io/etcd/server/v3 "-s -w"
build kube-apiserver "$APISERVER_MOD" k8s.io/kubernetes/cmd/kube-apiserver "$K8S_LDFLAGS"

has_both "$OUT_DIR" || die "binaries missing from $OUT_DIR after the build"
printf '%s\n' "$OUT_DIR"
