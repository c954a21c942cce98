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
WASM_PKGS := ./nn/... ./wasm/...
# Packages that must also vet as WebAssembly (the page has no wasm tests).
WASM_VET  := $(WASM_PKGS) ./app/...
DIST      ?= dist
# BUILD names this build in the page, the worker and the server, which
# check that they match: the commit, plus "-dirty-" and a hash of the
# uncommitted changes, so that every local edit gets a new id and browsers
# install it. Set once, so that every file of one make run carries the same.
ifeq ($(origin BUILD), undefined)
BUILD := $(shell c=$$(git rev-parse --short=12 HEAD 2>/dev/null) || { echo dev; exit; }; \
	d=$$({ git diff HEAD; git ls-files -z --others --exclude-standard | xargs -0 -r cat; } 2>/dev/null | sha256sum | cut -c1-8); \
	if git diff --quiet HEAD 2>/dev/null && [ -z "$$(git ls-files --others --exclude-standard 2>/dev/null)" ]; \
	then echo $$c; else echo $$c-dirty-$$d; fi)
endif
LDFLAGS   := -X warmstart/wasm/protocol.Build=$(BUILD)
# WEB is the folder that make web fills; the browser tests (server/e2e)
# build into folders of their own with `make web-wasm WEB=DIR BUILD=ID`.
WEB       ?= web
WASM_OUT  := $(WEB)/app.wasm $(WEB)/worker.wasm $(WEB)/wasm_exec.js
# On amd64 the shipped binary uses Go's experimental SIMD (AVX2 kernels,
# chosen at run time when the CPU has them); the portable scalar build is
# tested too.
ifeq ($(shell $(GO) env GOARCH),amd64)
SIMD := GOEXPERIMENT=simd
endif

.DEFAULT_GOAL := help
.PHONY: help data chromium build web web-wasm web-glue experiment run dist test test-native test-wasm lint fuzz bench bench-browser bench-go clean

help: ## list the targets
	@echo "warmstart: what unsupervised pretraining buys when labels are scarce"
	@echo
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'
	@echo
	@echo "  make experiment ARGS='-seed 2 -epochs 5'   passes flags to the CLI (bin/warmstart experiment -h)"
	@echo "  make run SERVE_ARGS='-addr 127.0.0.1:9000'  passes flags to bin/warmstart serve"

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

chromium: ## make sure headless Chromium is installed for the browser tests (installs Debian's package if needed)
	@echo "== chromium"
	@for b in chromium chromium-browser google-chrome; do \
		if command -v $$b >/dev/null 2>&1; then echo "using $$(command -v $$b)"; exit 0; fi; \
	done; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; \
	elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; \
	else \
		echo "Chromium not found: the browser tests (server/e2e) need it."; \
		echo "Install it as root:  apt-get update && apt-get install -y chromium chromium-driver"; \
		exit 1; \
	fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "No apt-get here: install Chromium or Google Chrome so that chromium (or google-chrome) is on PATH."; \
		exit 1; \
	fi; \
	echo "installing chromium with apt-get"; \
	$$SUDO apt-get update && $$SUDO apt-get install -y chromium chromium-driver && command -v chromium

build: ## build the CLI and server into bin/warmstart
	@echo "== build ($(BUILD))"
	$(SIMD) $(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./server

web: web-wasm ## build the browser app into web/: app.wasm (page), worker.wasm (trainer), wasm_exec.js, .gz/.br copies
	$(GO) run ./server/internal/precompress $(WASM_OUT)

# web-wasm is make web without the compressed copies, and web-glue only
# its copy of wasm_exec.js: the browser tests run them (with WEB=DIR), so
# that they test the files this Makefile builds.
web-wasm: web-glue
	GOOS=js GOARCH=wasm $(GO) build -ldflags "-s -w $(LDFLAGS)" -o $(WEB)/app.wasm ./app/page
	GOOS=js GOARCH=wasm $(GO) build -ldflags "-s -w $(LDFLAGS)" -o $(WEB)/worker.wasm ./wasm/worker

# The glue must come from the GOROOT of the Go that builds the wasm (case
# C13): go-app's own copy follows the Go of the server instead.
web-glue:
	@echo "== web ($(BUILD)) into $(WEB)/"
	cp "$(WASM_EXEC)/wasm_exec.js" $(WEB)/wasm_exec.js

experiment: data build ## run the full experiment headless on the real data, report in out/experiment
	@echo "== experiment"
	$(BIN) experiment -out $(OUT) $(ARGS)

run: data web build ## the main job: serve the app on http://127.0.0.1:8080/ and train in the browser (SERVE_ARGS='-addr ...')
	@echo "== run"
	$(BIN) serve $(SERVE_ARGS)

dist: data web build ## write dist/: a static site with the app, the worker and the data, for any HTTPS host
	@echo "== dist"
	$(BIN) dist -out $(DIST) $(DIST_ARGS)

test: data chromium lint test-native test-wasm ## everything CI runs: vet, unit tests with -race, end-to-end on real data and in Chromium, wasm tests
	@echo "== all tests passed"

test-native: ## native tests only (scalar build with -race, then the shipped build in full, the browser tests included)
	@echo "== native tests, portable scalar build (race detector, short)"
	$(GO) test -race -short -timeout 20m ./...
	@echo "== native tests, shipped build ($(or $(SIMD),scalar); full, end-to-end on real data)"
	$(SIMD) $(GO) test -timeout 25m ./...

test-wasm: ## the nn and wasm packages as WebAssembly under Node
	@echo "== wasm tests (GOOS=js GOARCH=wasm, Node)"
	$(WASM_ENV) $(GO) test -short $(WASM_PKGS)

lint: ## gofmt and go vet, native and wasm
	@echo "== lint"
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(if $(SIMD),$(SIMD) $(GO) vet ./...)
	GOOS=js GOARCH=wasm $(GO) vet $(WASM_VET)

fuzz: ## fuzz the IDX parsers for a while (FUZZTIME=60s each)
	@echo "== fuzz"
	$(GO) test -run '^$$' -fuzz FuzzDecodeImages -fuzztime $${FUZZTIME:-60s} ./nn/data
	$(GO) test -run '^$$' -fuzz FuzzDecodeLabels -fuzztime $${FUZZTIME:-60s} ./nn/data

bench: ## speed table: warmstart native, wasm in Node and Chromium, vs PyTorch and TF.js (bench/results.md)
	@echo "== bench"
	bench/install.sh
	$(GO) run ./bench/run -out bench/results.md

bench-browser: data chromium web build ## slow (15 min): memory of training in Chromium, then the whole default experiment there and natively (bench/browser-*.md)
	@echo "== bench-browser"
	$(GO) run ./bench/browsermem -workers 1,2 -out bench/browser-memory.md
	bin/warmstart experiment -quiet -out out/bench-native
	$(GO) run ./bench/fullrun -native out/bench-native/results.json -out bench/browser-run.md

bench-go: ## Go benchmarks of every kernel and training step, native (both builds) and wasm
	@echo "== bench-go"
	$(GO) test -run '^$$' -bench . -benchtime 10x ./nn/internal/... ./nn
	$(SIMD) $(GO) test -run '^$$' -bench . -benchtime 10x ./nn/internal/... ./nn
	$(WASM_ENV) $(GO) test -run '^$$' -bench . -benchtime 5x ./nn/internal/...

clean: ## remove build and run outputs
	@echo "== clean"
	rm -rf bin out $(DIST)
	rm -f $(WASM_OUT) $(addsuffix .gz,$(WASM_OUT)) $(addsuffix .br,$(WASM_OUT))
