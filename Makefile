# warmstart: see README.md. `make help` lists the targets.

GO        ?= go
BIN       := bin/warmstart
OUT       ?= out/experiment
ARGS      ?=
DATA_PKG  := dataset-fashion-mnist
SYS_DATA  := /usr/share/datasets/fashion-mnist
DATA_FILES := train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz
WASM_EXEC := $(shell $(GO) env GOROOT)/lib/wasm
WASM_ENV  := GOOS=js GOARCH=wasm PATH="$(WASM_EXEC):$$PATH"
# Packages that must also build and pass as WebAssembly.
WASM_PKGS := ./nn/...
# On amd64 the shipped binary uses Go's experimental SIMD (AVX2 kernels,
# chosen at run time when the CPU has them); the portable scalar build is
# tested too.
ifeq ($(shell $(GO) env GOARCH),amd64)
SIMD := GOEXPERIMENT=simd
endif

.DEFAULT_GOAL := help
.PHONY: help data build experiment run test test-native test-wasm lint fuzz bench bench-go clean

help: ## list the targets
	@echo "warmstart: what unsupervised pretraining buys when labels are scarce"
	@echo
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'
	@echo
	@echo "  make experiment ARGS='-seed 2 -epochs 5'   passes flags to the CLI (bin/warmstart experiment -h)"

data: ## make sure the four Fashion-MNIST files are present (installs Debian's package if needed)
	@echo "== data"
	@have() { for f in $(DATA_FILES); do [ -f "$$1/$$f" ] || return 1; done; }; \
	if have data; then echo "using ./data"; exit 0; fi; \
	if have $(SYS_DATA); then echo "using $(SYS_DATA)"; exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; \
	elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; \
	else \
		echo "Fashion-MNIST not found in ./data or $(SYS_DATA)."; \
		echo "Install it as root:  apt-get update && apt-get install -y $(DATA_PKG)"; \
		echo "or download the four files from https://github.com/zalandoresearch/fashion-mnist"; \
		echo "into ./data (or pass -data DIR to bin/warmstart):"; \
		echo "  $(DATA_FILES)"; \
		exit 1; \
	fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "No apt-get here: download the four files from https://github.com/zalandoresearch/fashion-mnist into ./data"; \
		exit 1; \
	fi; \
	echo "installing $(DATA_PKG) with apt-get"; \
	$$SUDO apt-get update && $$SUDO apt-get install -y $(DATA_PKG) && have $(SYS_DATA)

build: ## build the CLI into bin/warmstart
	@echo "== build"
	$(SIMD) $(GO) build -o $(BIN) ./server

experiment: data build ## run the full experiment headless on the real data, report in out/experiment
	@echo "== experiment"
	$(BIN) experiment -out $(OUT) $(ARGS)

run: experiment ## the main job: for now the headless experiment (the browser app comes later)

test: data lint test-native test-wasm ## everything CI runs: vet, unit tests with -race, end-to-end on real data, wasm tests
	@echo "== all tests passed"

test-native: ## native tests only (scalar build with -race, then the shipped build in full)
	@echo "== native tests, portable scalar build (race detector, short)"
	$(GO) test -race -short ./...
	@echo "== native tests, shipped build ($(or $(SIMD),scalar); full, end-to-end on real data)"
	$(SIMD) $(GO) test -timeout 25m ./...

test-wasm: ## the nn packages as WebAssembly under Node
	@echo "== wasm tests (GOOS=js GOARCH=wasm, Node)"
	$(WASM_ENV) $(GO) test -short $(WASM_PKGS)

lint: ## gofmt and go vet, native and wasm
	@echo "== lint"
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(if $(SIMD),$(SIMD) $(GO) vet ./...)
	GOOS=js GOARCH=wasm $(GO) vet $(WASM_PKGS)

fuzz: ## fuzz the IDX parsers for a while (FUZZTIME=60s each)
	@echo "== fuzz"
	$(GO) test -run '^$$' -fuzz FuzzDecodeImages -fuzztime $${FUZZTIME:-60s} ./nn/data
	$(GO) test -run '^$$' -fuzz FuzzDecodeLabels -fuzztime $${FUZZTIME:-60s} ./nn/data

bench: ## speed table: warmstart native, wasm in Node and Chromium, vs PyTorch and TF.js (bench/results.md)
	@echo "== bench"
	bench/install.sh
	$(GO) run ./bench/run -out bench/results.md

bench-go: ## Go benchmarks of every kernel and training step, native (both builds) and wasm
	@echo "== bench-go"
	$(GO) test -run '^$$' -bench . -benchtime 10x ./nn/internal/... ./nn
	$(SIMD) $(GO) test -run '^$$' -bench . -benchtime 10x ./nn/internal/... ./nn
	$(WASM_ENV) $(GO) test -run '^$$' -bench . -benchtime 5x ./nn/internal/...

clean: ## remove build and run outputs
	@echo "== clean"
	rm -rf bin out
