// Command run is `make bench`: it measures training throughput (images/s
// at batch 256, DAE and classifier of SPEC.md) of warmstart natively, as
// WebAssembly in Node and in headless Chromium, and of the peers in bench/
// (PyTorch on the CPU, TensorFlow.js's WebAssembly backend in Node and in
// Chromium). Implementations take turns, repetition after repetition, in
// a rotating order, so that a busy moment of the machine does not fall on
// one of them; the table reports medians.
//
// It writes the table with machine details to -out (Markdown) and the raw
// measurements next to it (.json). Every implementation is a separate
// process started with a command line; a failed one is reported in the
// table, never silently dropped.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"warmstart/nn"
	"warmstart/nn/data"
)

// sample is one JSON line printed by an implementation.
type sample struct {
	Impl         string  `json:"impl"`
	Model        string  `json:"model"`
	Threads      int     `json:"threads"`
	Batch        int     `json:"batch"`
	ImagesPerSec float64 `json:"images_per_s"`
	BytesPerStep float64 `json:"bytes_per_step,omitempty"`
}

// impl is one contestant: a name for the table and a way to run it once
// for one model, returning its samples.
type impl struct {
	name    string
	group   string // what it is compared with: "native-1", "native-2", "node", "chromium"
	peer    bool
	run     func(ctx context.Context, model string) ([]sample, error)
	skipWhy string // set when it cannot run here
	workers int    // Web Workers training data-parallel, for the product's worker
}

type config struct {
	root    string
	tmp     string
	steps   int
	warmup  int
	chrome  string
	timeout time.Duration
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("bench: ")
	reps := flag.Int("reps", 5, "repetitions of every implementation")
	steps := flag.Int("steps", 20, "timed training steps per measurement")
	out := flag.String("out", "bench/results.md", "Markdown report (raw samples go next to it as .json)")
	only := flag.String("only", "", "comma list of substrings: run only implementations whose name matches")
	models := flag.String("models", "dae,cnn", "models to measure")
	flag.Parse()

	root, err := os.Getwd()
	if err != nil {
		log.Fatal(err)
	}
	tmp, err := os.MkdirTemp("", "warmstart-bench-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	cfg := config{root: root, tmp: tmp, steps: *steps, warmup: 3, timeout: 10 * time.Minute}
	cfg.chrome, _ = exec.LookPath("chromium")

	impls, err := buildAll(&cfg)
	if err != nil {
		log.Fatal(err)
	}
	if *only != "" {
		impls = slices.DeleteFunc(impls, func(im impl) bool {
			for _, s := range strings.Split(*only, ",") {
				if strings.Contains(im.name, s) {
					return false
				}
			}
			return true
		})
	}
	ms := strings.Split(*models, ",")

	results := map[string]map[string][]float64{} // impl → model → images/s
	bytesPerStep := map[string]map[string]float64{}
	failures := map[string]string{}
	ctx := context.Background()
	for r := 0; r < *reps; r++ {
		for k := range impls {
			im := impls[(k+r)%len(impls)]
			if im.skipWhy != "" || failures[im.name] != "" {
				continue
			}
			for _, m := range ms {
				log.Printf("rep %d/%d: %s, %s", r+1, *reps, im.name, m)
				c, cancel := context.WithTimeout(ctx, cfg.timeout)
				ss, err := im.run(c, m)
				cancel()
				if err != nil {
					failures[im.name] = err.Error()
					log.Printf("%s failed: %v", im.name, err)
					break
				}
				for _, s := range ss {
					if results[im.name] == nil {
						results[im.name] = map[string][]float64{}
						bytesPerStep[im.name] = map[string]float64{}
					}
					results[im.name][m] = append(results[im.name][m], s.ImagesPerSec)
					if s.BytesPerStep > 0 {
						bytesPerStep[im.name][m] = s.BytesPerStep
					}
				}
			}
		}
	}

	md := report(impls, ms, results, bytesPerStep, failures, *reps, *steps)
	if err := os.WriteFile(*out, []byte(md), 0o644); err != nil {
		log.Fatal(err)
	}
	raw, _ := json.MarshalIndent(map[string]any{"images_per_s": results, "bytes_per_step": bytesPerStep,
		"failures": failures}, "", "  ")
	if err := os.WriteFile(strings.TrimSuffix(*out, ".md")+".json", raw, 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Print(md)
}

// buildAll builds what warmstart's contestants need and lists every
// implementation, with the reason when one cannot run here.
func buildAll(cfg *config) ([]impl, error) {
	gostep := filepath.Join(cfg.tmp, "gostep")
	if err := goBuild(cfg, nil, "-o", gostep, "./bench/gostep"); err != nil {
		return nil, err
	}
	simd := filepath.Join(cfg.tmp, "gostep-simd")
	simdErr := goBuild(cfg, []string{"GOEXPERIMENT=simd"}, "-o", simd, "./bench/gostep")
	web := filepath.Join(cfg.tmp, "web")
	if err := os.MkdirAll(web, 0o755); err != nil {
		return nil, err
	}
	wasm := filepath.Join(web, "gostep.wasm")
	if err := goBuild(cfg, []string{"GOOS=js", "GOARCH=wasm"}, "-o", wasm, "./bench/gostep"); err != nil {
		return nil, err
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOROOT: %w", err)
	}
	wasmExec := filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm")
	for _, f := range []struct{ src, dst string }{
		{filepath.Join(wasmExec, "wasm_exec.js"), filepath.Join(web, "wasm_exec.js")},
		{filepath.Join(cfg.root, "bench/gostep/web/index.html"), filepath.Join(web, "index.html")},
		{filepath.Join(cfg.root, "bench/gostep/web/worker.html"), filepath.Join(web, "worker.html")},
		{filepath.Join(cfg.root, "web/worker.js"), filepath.Join(web, "worker.js")},
	} {
		b, err := os.ReadFile(f.src)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(f.dst, b, 0o644); err != nil {
			return nil, err
		}
	}

	// The product's worker, for whole short runs on one and on several
	// workers (data-parallel).
	workerErr := goBuild(cfg, []string{"GOOS=js", "GOARCH=wasm"}, "-ldflags", "-X warmstart/wasm/protocol.Build=bench",
		"-o", filepath.Join(web, "worker.wasm"), "./wasm/worker")
	dataDir, dataErr := data.Locate("", data.AllParts)

	goArgs := func(model string, threads int) []string {
		return []string{"-model", model, "-threads", fmt.Sprint(threads), "-steps", fmt.Sprint(cfg.steps),
			"-warmup", fmt.Sprint(cfg.warmup), "-reps", "1"}
	}
	var impls []impl
	for _, t := range []int{1, 2} {
		impls = append(impls, impl{
			name: fmt.Sprintf("warmstart native, %d thread%s", t, plural(t)), group: fmt.Sprintf("native-%d", t),
			run: func(ctx context.Context, m string) ([]sample, error) {
				return runLines(ctx, cfg.root, nil, gostep, goArgs(m, t)...)
			},
		})
		im := impl{
			name: fmt.Sprintf("warmstart native SIMD, %d thread%s", t, plural(t)), group: fmt.Sprintf("native-%d", t),
			run: func(ctx context.Context, m string) ([]sample, error) {
				return runLines(ctx, cfg.root, nil, simd, goArgs(m, t)...)
			},
		}
		if simdErr != nil {
			im.skipWhy = "GOEXPERIMENT=simd build failed: " + simdErr.Error()
		}
		impls = append(impls, im)
	}
	impls = append(impls, impl{
		name: "warmstart wasm, Node", group: "node",
		run: func(ctx context.Context, m string) ([]sample, error) {
			return runLines(ctx, cfg.root, nil, "node",
				append([]string{filepath.Join(wasmExec, "wasm_exec_node.js"), wasm}, goArgs(m, 1)...)...)
		},
	})
	impls = append(impls, impl{
		name: "warmstart wasm, Chromium", group: "chromium",
		run: func(ctx context.Context, m string) ([]sample, error) {
			return runPage(ctx, *cfg, web, "index.html?args="+strings.Join(goArgs(m, 1), ","))
		},
		skipWhy: missing(cfg.chrome, "chromium not installed (apt-get install chromium)"),
	})

	for _, w := range []int{1, 2} {
		im := impl{
			name: fmt.Sprintf("warmstart worker, Chromium, %d worker%s", w, plural(w)), group: "chromium", workers: w,
			run: func(ctx context.Context, m string) ([]sample, error) {
				return runWorker(ctx, *cfg, web, dataDir, m, w)
			},
			skipWhy: missing(cfg.chrome, "chromium not installed (apt-get install chromium)"),
		}
		switch {
		case workerErr != nil:
			im.skipWhy = "worker build failed: " + workerErr.Error()
		case dataErr != nil:
			im.skipWhy = "no dataset (make data): " + dataErr.Error()
		}
		impls = append(impls, im)
	}

	py := "/usr/bin/python3"
	pyScript := filepath.Join(cfg.root, "bench/pytorch/bench.py")
	torchWhy := ""
	if err := exec.Command(py, "-c", "import torch").Run(); err != nil {
		torchWhy = "PyTorch missing (bench/install.sh installs python3-torch)"
	}
	for _, t := range []int{1, 2} {
		impls = append(impls, impl{
			name: fmt.Sprintf("PyTorch CPU, %d thread%s", t, plural(t)), group: fmt.Sprintf("native-%d", t), peer: true,
			run: func(ctx context.Context, m string) ([]sample, error) {
				return runLines(ctx, cfg.root, nil, py, pyScript, "--model", m, "--threads", fmt.Sprint(t),
					"--steps", fmt.Sprint(cfg.steps), "--warmup", fmt.Sprint(cfg.warmup), "--reps", "1")
			},
			skipWhy: torchWhy,
		})
	}
	tfjs := filepath.Join(cfg.root, "bench/tfjs")
	tfWhy := ""
	if _, err := os.Stat(filepath.Join(tfjs, "node_modules")); err != nil {
		tfWhy = "TensorFlow.js missing (bench/install.sh runs npm ci in bench/tfjs)"
	}
	impls = append(impls, impl{
		name: "TF.js wasm, Node", group: "node", peer: true,
		run: func(ctx context.Context, m string) ([]sample, error) {
			return runLines(ctx, tfjs, nil, "node", "bench.mjs", "--model", m, "--backend", "wasm",
				"--steps", fmt.Sprint(cfg.steps), "--warmup", fmt.Sprint(cfg.warmup), "--reps", "1")
		},
		skipWhy: tfWhy,
	})
	impls = append(impls, impl{
		name: "TF.js wasm, Chromium", group: "chromium", peer: true,
		run: func(ctx context.Context, m string) ([]sample, error) {
			return runPage(ctx, *cfg, tfjs, fmt.Sprintf("browser.html?model=%s&steps=%d&warmup=%d&reps=1",
				m, cfg.steps, cfg.warmup))
		},
		skipWhy: tfWhy + missing(cfg.chrome, " chromium not installed"),
	})
	return impls, nil
}

func missing(path, why string) string {
	if path == "" {
		return why
	}
	return ""
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func goBuild(cfg *config, env []string, args ...string) error {
	cmd := exec.Command("go", append([]string{"build"}, args...)...)
	cmd.Dir = cfg.root
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %v: %v\n%s", env, err, out)
	}
	return nil
}

// runLines runs a command and parses the JSON lines it prints.
func runLines(ctx context.Context, dir string, env []string, name string, args ...string) ([]sample, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s: %v: %s", name, err, lastLine(stderr.String()))
	}
	return parseLines(out)
}

func parseLines(out []byte) ([]sample, error) {
	var ss []sample
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var s sample
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			return nil, fmt.Errorf("bad result line %q: %w", line, err)
		}
		ss = append(ss, s)
	}
	if len(ss) == 0 {
		return nil, errors.New("printed no result")
	}
	return ss, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// runWorker runs the product's worker in Chromium on workers workers:
// workerEpochs epochs of a short run of model, reporting the last epoch's
// training throughput. The first epochs warm up: V8 compiles the 30 MB
// module again, optimised, in the background, once per worker, and with
// as many workers as cores that compilation takes turns with training.
const workerEpochs = 6

func runWorker(ctx context.Context, cfg config, web, dataDir, model string, workers int) ([]sample, error) {
	c := nn.DefaultConfig()
	c.Splits.UnsupTrain, c.Splits.UnsupVal, c.GridImages = 5120, 256, 1
	c.Splits.SupTrain, c.Splits.SupVal, c.Splits.SupTest = 7680, 100, 100
	c.Phases = []nn.Phase{nn.PhaseDAE}
	c.DAE.Epochs = workerEpochs
	if model == "cnn" {
		c.Phases = []nn.Phase{nn.PhaseBaseline}
		c.Baseline.Epochs = workerEpochs
	}
	js, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	q := url.Values{"config": {string(js)}, "workers": {fmt.Sprint(workers)}, "model": {model},
		"impl": {fmt.Sprintf("warmstart worker, %d workers", workers)}}
	return runPage(ctx, cfg, web, "worker.html?"+q.Encode(), dataDir)
}

// runPage serves dir on a loopback port (and dataDir, if not empty,
// under /data/), opens page in headless Chromium and returns the samples
// it leaves in window.__benchResults.
func runPage(ctx context.Context, cfg config, dir, page string, dataDir ...string) ([]sample, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/", http.FileServer(http.Dir(dir)))
	for _, d := range dataDir {
		mux.Handle("/data/", http.StripPrefix("/data/", http.FileServer(http.Dir(d))))
	}
	srv := &http.Server{Handler: crossOriginIsolated(mux)}
	go srv.Serve(ln)
	defer srv.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(cfg.chrome),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(filepath.Join(cfg.tmp, "chrome-profile")),
	)
	actx, cancel := chromedp.NewExecAllocator(ctx, opts...)
	defer cancel()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()

	url := "http://" + ln.Addr().String() + "/" + page
	if err := chromedp.Do(bctx, chromedp.Navigate(url)); err != nil {
		return nil, fmt.Errorf("chromium %s: %w", page, err)
	}
	done := chromedp.Poll[bool](`window.__benchDone === true`,
		chromedp.WithPollingInterval(500*time.Millisecond), chromedp.WithPollingTimeout(cfg.timeout))
	if _, err := chromedp.Run(bctx, done); err != nil {
		return nil, fmt.Errorf("chromium %s: %w", page, err)
	}
	errText, err := chromedp.Run(bctx, chromedp.Evaluate[string](`String(window.__benchError || "")`))
	if err != nil {
		return nil, fmt.Errorf("chromium %s: %w", page, err)
	}
	if errText != "" {
		return nil, fmt.Errorf("page %s: %s", page, errText)
	}
	lines, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`window.__benchResults.map(r => typeof r === "string" ? r : JSON.stringify(r))`))
	if err != nil {
		return nil, fmt.Errorf("chromium %s: %w", page, err)
	}
	return parseLines([]byte(strings.Join(lines, "\n")))
}

// crossOriginIsolated adds the headers that let a page use
// SharedArrayBuffer (which threaded WebAssembly backends ask for) and
// serves .wasm with its media type.
func crossOriginIsolated(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cross-Origin-Opener-Policy", "same-origin")
		w.Header().Set("Cross-Origin-Embedder-Policy", "require-corp")
		w.Header().Set("Cache-Control", "no-store")
		if strings.HasSuffix(r.URL.Path, ".wasm") {
			w.Header().Set("Content-Type", "application/wasm")
		}
		h.ServeHTTP(w, r)
	})
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// report renders the Markdown table: medians per implementation and
// model, and each warmstart figure's ratio to the best peer of its group.
func report(impls []impl, models []string, res map[string]map[string][]float64,
	bps map[string]map[string]float64, failures map[string]string, reps, steps int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Training throughput\n\n")
	fmt.Fprintf(&b, "Generated by `make bench` (`go run ./bench/run`) on %s. Do not edit by hand.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "Machine: %s, %d logical CPUs, %s/%s, %s; %s; %s; %s.\n\n",
		cpuModel(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version(),
		version("node", "--version"), version("/usr/bin/python3", "-c", "import torch; print('PyTorch', torch.__version__)"),
		version("chromium", "--version"))
	fmt.Fprintf(&b, "Batch 256; images per second of training steps (forward, backward, Adam) in steady state; "+
		"median of %d repetitions of %d steps, implementations taking turns.\n\n", reps, steps)

	peerBest := map[string]map[string]float64{} // group → model → best peer median
	for _, im := range impls {
		if !im.peer {
			continue
		}
		for _, m := range models {
			if v := median(res[im.name][m]); v > 0 {
				if peerBest[im.group] == nil {
					peerBest[im.group] = map[string]float64{}
				}
				peerBest[im.group][m] = max(peerBest[im.group][m], v)
			}
		}
	}
	fmt.Fprintf(&b, "| implementation |")
	for _, m := range models {
		fmt.Fprintf(&b, " %s images/s | × peer |", m)
	}
	fmt.Fprintf(&b, " bytes allocated per DAE step |\n|---|")
	for range models {
		fmt.Fprintf(&b, "---|---|")
	}
	fmt.Fprintf(&b, "---|\n")
	for _, im := range impls {
		fmt.Fprintf(&b, "| %s |", im.name)
		for _, m := range models {
			v := median(res[im.name][m])
			switch {
			case im.skipWhy != "":
				fmt.Fprintf(&b, " skipped | |")
			case failures[im.name] != "" && v == 0:
				fmt.Fprintf(&b, " failed | |")
			default:
				ratio := ""
				if p := peerBest[im.group][m]; !im.peer && p > 0 {
					ratio = fmt.Sprintf("%.2f", v/p)
				}
				fmt.Fprintf(&b, " %.0f | %s |", v, ratio)
			}
		}
		if v := bps[im.name]["dae"]; v > 0 {
			fmt.Fprintf(&b, " %.0f |\n", v)
		} else {
			fmt.Fprintf(&b, " |\n")
		}
	}
	fmt.Fprintf(&b, "\n\"× peer\" divides by the fastest peer of the same kind: PyTorch at the same thread count "+
		"for native runs, TensorFlow.js's WebAssembly backend in the same runtime for wasm.\n")
	arithmetic(&b, impls, res)
	scaling(&b, impls, models, res)
	var notes []string
	for _, im := range impls {
		if im.skipWhy != "" {
			notes = append(notes, fmt.Sprintf("- %s: skipped, %s", im.name, im.skipWhy))
		}
		if f := failures[im.name]; f != "" {
			notes = append(notes, fmt.Sprintf("- %s: failed: %s", im.name, f))
		}
	}
	if len(notes) > 0 {
		fmt.Fprintf(&b, "\n%s\n", strings.Join(notes, "\n"))
	}
	return b.String()
}

// arithmetic reports what fraction of the machine's arithmetic the
// fastest single-threaded native DAE step uses. Every implementation does
// the same arithmetic per image (nn.StepFLOPs), so images/s convert to
// GFLOP/s alike.
func arithmetic(b *strings.Builder, impls []impl, res map[string]map[string][]float64) {
	daeFLOP := nn.StepFLOPs(nn.ArchDAE, 256) / 256
	cnnFLOP := nn.StepFLOPs(nn.ArchCNN, 256) / 256
	fmt.Fprintf(b, "\nOne training step at batch 256 is %.3f GFLOP for the DAE and %.3f GFLOP for the classifier "+
		"(convolutions and matrix products, a multiply-add counted as two; `nn.StepFLOPs`).",
		256*daeFLOP/1e9, 256*cnnFLOP/1e9)
	mhz := cpuMHz()
	for _, im := range impls {
		if im.group != "native-1" {
			continue
		}
		v := median(res[im.name]["dae"])
		if v == 0 {
			continue
		}
		gf := v * daeFLOP / 1e9
		fmt.Fprintf(b, " %s: %.1f GFLOP/s on the DAE", im.name, gf)
		if mhz > 0 {
			// AVX2 with two FMA units: 2 units × 8 float32 lanes × 2 FLOP per cycle.
			peak := 32 * mhz / 1000
			fmt.Fprintf(b, " (%.0f%% of one core's AVX2 FMA peak of %.0f GFLOP/s at %.0f MHz)", 100*gf/peak, peak, mhz)
		}
		fmt.Fprintf(b, ".")
	}
	fmt.Fprintf(b, "\n")
}

// cpuMHz returns the clock /proc/cpuinfo reports for the first CPU, or 0.
func cpuMHz() float64 {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "cpu MHz" {
			var f float64
			fmt.Sscan(strings.TrimSpace(v), &f)
			return f
		}
	}
	return 0
}

func version(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return name + " (not found)"
	}
	return strings.TrimSpace(string(out))
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// scaling reports the data-parallel speed-up of the product's worker:
// throughput on several workers over that on one.
func scaling(b *strings.Builder, impls []impl, models []string, res map[string]map[string][]float64) {
	var one string
	for _, im := range impls {
		if im.workers == 1 {
			one = im.name
		}
	}
	for _, im := range impls {
		if im.workers < 2 || one == "" {
			continue
		}
		var parts []string
		for _, m := range models {
			if a, c := median(res[im.name][m]), median(res[one][m]); a > 0 && c > 0 {
				parts = append(parts, fmt.Sprintf("%s %.2fx", m, a/c))
			}
		}
		if len(parts) > 0 {
			fmt.Fprintf(b, "\nData-parallel training in the browser, %d workers against 1 (the product's worker, "+
				"gradients summed in a fixed order): %s.\n", im.workers, strings.Join(parts, ", "))
		}
	}
}
