# canarysim — build, demo and tests. `make demo` and `make test` are the two
# commands a newcomer needs (see README.md).

GO       ?= go
BIN      := bin/canarysim
SEED     ?= 7
GOFLAGS_TEST ?= -count=1

.PHONY: all build demo test test-race vet fmt-check bench clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/canarysim

## demo: build and rehearse the seed example, healthy then failing
demo: build
	@echo "=== healthy canary (testdata/seed/example-healthy.yaml) ==="
	./$(BIN) run -f testdata/seed/example-healthy.yaml
	@echo
	@echo "=== failing canary (testdata/seed/example-failing.yaml, seed $(SEED)) ==="
	./$(BIN) run -f testdata/seed/example-failing.yaml --seed $(SEED)

## test: every check CI runs: formatting, vet, unit, golden and race tests
test: fmt-check vet
	$(GO) test $(GOFLAGS_TEST) ./...
	$(GO) test $(GOFLAGS_TEST) -race ./...

vet:
	$(GO) vet ./...

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

## bench: the per-run benchmark of the seed example (in process, in-memory backend)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./sim/

clean:
	rm -rf bin
