# canarysim — build, demo and tests. `make demo` and `make test` are the two
# commands a newcomer needs (see README.md).

GO       ?= go
BIN      := bin/canarysim
SEED     ?= 7
GOFLAGS_TEST ?= -count=1

.PHONY: all build demo test test-race vet fmt-check bench bench-envtest envtest-bin clean

# Where the envtest binaries are: KUBEBUILDER_ASSETS when it holds both,
# else the per-version cache the script builds (outside the clone).
ASSETS = $$(GO=$(GO) hack/envtest-binaries.sh)

all: build

build:
	$(GO) build -o $(BIN) ./cmd/canarysim

## demo: build, rehearse the seed example (healthy, then failing), then compare the
## three preset policies on the built-in scenario library over 100 seeds
demo: build
	@echo "=== healthy canary (testdata/seed/example-healthy.yaml) ==="
	./$(BIN) run -f testdata/seed/example-healthy.yaml
	@echo
	@echo "=== failing canary (testdata/seed/example-failing.yaml, seed $(SEED)) ==="
	./$(BIN) run -f testdata/seed/example-failing.yaml --seed $(SEED)
	@echo
	@echo "=== presets compared on the built-in scenarios (canarysim compare) ==="
	./$(BIN) compare

## envtest-bin: build (or reuse) kube-apiserver and etcd from Go modules; prints their directory
envtest-bin:
	@GO=$(GO) hack/envtest-binaries.sh

## test: every check CI runs: formatting, vet, unit, golden and envtest tests
test: fmt-check vet envtest-bin
	KUBEBUILDER_ASSETS="$(ASSETS)" $(GO) test $(GOFLAGS_TEST) ./...

## test-race: all tests under the race detector (run before sending a change;
## kept out of CI because race-compiling the dependencies adds ~8 minutes cold)
test-race: envtest-bin
	KUBEBUILDER_ASSETS="$(ASSETS)" $(GO) test $(GOFLAGS_TEST) -race ./...

vet:
	$(GO) vet ./...

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

## bench: the per-run benchmark of the seed example (in process, in-memory backend),
## then the sweep figures (default comparison time and RSS, rate flatness, worker scaling)
bench: build
	$(GO) test -run '^$$' -bench 'BenchmarkSeedRun$$' -benchmem -count 5 ./sim/
	bench/compare.sh

## bench-envtest: control-plane start-up and one seed-example run on a real API server
bench-envtest: envtest-bin
	KUBEBUILDER_ASSETS="$(ASSETS)" $(GO) test -run '^$$' -bench 'ControlPlaneStart' -benchtime 3x ./fakecluster/
	KUBEBUILDER_ASSETS="$(ASSETS)" $(GO) test -run '^$$' -bench 'SeedRunEnvtest' -benchmem -count 3 ./sim/

clean:
	rm -rf bin bench/out
