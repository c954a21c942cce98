//go:build !js

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	webapp "warmstart/app"
	"warmstart/nn"
	"warmstart/nn/data"
	"warmstart/server/internal/serve"
)

// buildA is the build id of the app that the browser tests serve; the
// redeploy test adds buildB.
const (
	buildA = "e2e-build-a"
	buildB = "e2e-build-b"
)

// seed is the seed the browser test types into the form and gives the
// native run.
const seed = 3

// maxAccDiff bounds, in percentage points, the difference between a test
// accuracy that the browser shows and the native run's of the same
// configuration, seed and number of workers (replicas natively). Both runs
// draw the same splits, initial weights, batch order and noise from the
// seed; only the order of float32 sums can differ (the native AVX2
// kernels, their fused multiply-adds and thread partitions, against
// WebAssembly's scalar kernels), so the weights differ in their last bits
// and a few of the 600 test images near a decision boundary may flip.
// Measured on this configuration (seed 3): no image flipped, from the
// scalar or the AVX2 build, the validation MSE 0.02% apart; while a real
// defect (a phase that does not train, a wrong encoder, another split)
// moves test accuracy by 10 points or more. Two points is 12 images.
// Adam turns tiny rounding differences in near-zero gradients into whole
// steps, so different summation orders can end further apart: one worker
// against two (a different order by design) differed by 2.5 points here,
// which is why the two-worker run is compared with two native replicas.
const maxAccDiff = 2.0

// maxMSERel bounds the relative difference of the autoencoder's
// validation MSE between the browser and the native run, for the same
// reason: rounding, not a different model.
const maxMSERel = 0.03

// clfEpochs is the number of epochs of each classifier phase in the
// browser test: one epoch is only eight steps, which leaves the CNNs near
// chance and too sensitive to rounding to compare; five take them past
// 60% for a few seconds more.
const clfEpochs = 5

// shortConfig is the configuration of the browser test: the autoencoder
// for one epoch, each classifier for clfEpochs, everything else SPEC's
// default (the form's "Quick test", then the classifiers' epochs).
func shortConfig() nn.Config {
	cfg := nn.DefaultConfig()
	cfg.Seed = seed
	cfg.DAE.Epochs = 1
	cfg.Baseline.Epochs, cfg.Pretrained.Epochs, cfg.FineTune.Epochs = clfEpochs, clfEpochs, clfEpochs
	return cfg
}

type nativeRun struct {
	rep  *nn.Report
	err  error
	took time.Duration
}

// runNative trains cfg natively in the test process, on the real data,
// data-parallel on the given number of replicas as that many browser
// workers train it (one replica is the plain run). It returns rank 0's
// report, which is what the page shows.
func runNative(ctx context.Context, cfg nn.Config, replicas int) nativeRun {
	start := time.Now()
	dir, err := data.Locate("", data.AllParts)
	if err != nil {
		return nativeRun{err: err}
	}
	ds, err := data.Load(dir, data.AllParts)
	if err != nil {
		return nativeRun{err: err}
	}
	if replicas <= 1 {
		rep, _, err := nn.RunWith(ctx, ds, cfg, nil, nn.RunOptions{})
		return nativeRun{rep: rep, err: err, took: time.Since(start)}
	}
	runs := make([]nativeRun, replicas)
	var wg sync.WaitGroup
	for i, r := range nn.LocalReplicas(replicas) {
		wg.Go(func() {
			rep, _, err := nn.RunWith(ctx, ds, cfg, nil, nn.RunOptions{Replicas: r})
			runs[i] = nativeRun{rep: rep, err: err}
		})
	}
	wg.Wait()
	for i, r := range runs {
		if r.err != nil {
			return nativeRun{err: fmt.Errorf("replica %d of %d: %w", i, replicas, r.err)}
		}
	}
	runs[0].took = time.Since(start)
	return runs[0]
}

// trackerJS records, in the page, when the user last clicked and when the
// main heading last changed, to time how fast the page answers a click;
// how many runs started (the Cancel button appeared); and the longest
// main-thread task since it was installed.
const trackerJS = `(() => {
	if (window.__e2e) return true;
	const w = window.__e2e = {click: 0, h1: "", h1At: 0, runs: 0, running: false, longest: 0};
	document.addEventListener("click", () => { w.click = performance.now(); }, true);
	const seen = () => {
		const h = document.querySelector("main h1");
		const s = h ? h.textContent : "";
		if (s !== w.h1) { w.h1 = s; w.h1At = performance.now(); }
		const running = !!document.querySelector("#settings button.danger");
		if (running && !w.running) w.runs++;
		w.running = running;
	};
	seen();
	new MutationObserver(seen).observe(document.body, {subtree: true, childList: true, characterData: true});
	try {
		new PerformanceObserver((l) => {
			for (const e of l.getEntries()) w.longest = Math.max(w.longest, e.duration);
		}).observe({type: "longtask", buffered: true});
	} catch (e) {}
	return true;
})()`

// runState is what the Train view says of the current run: "" while it
// runs, else its end ("The run finished. ...") or "error: ..." .
const runStateJS = `(() => {
	const b = document.querySelector(".banners [role=alert]");
	if (b) return "error: " + b.innerText;
	const e = document.querySelector(".run p.error");
	if (e) return "error: " + e.innerText;
	const d = document.querySelector(".run p.done");
	return d ? d.innerText : "";
})()`

// trainEnabledJS is true when the Train button is offered and enabled.
const trainEnabledJS = `(() => { const b = document.querySelector("#settings button[type=submit]"); return !!b && !b.disabled; })()`

// buildReadyJS is true when the page and its worker are both of build id
// and Train is enabled.
func buildReadyJS(id string) string {
	return fmt.Sprintf(`document.querySelector("footer.bottom").innerText.includes("warmstart build %s · worker build %s,") && %s`, id, id, trainEnabledJS)
}

// waitReady waits until the page runs its wasm and its worker of build id
// answered: the footer names the worker's build and Train is enabled.
func waitReady(p *page, id string, timeout time.Duration) {
	p.t.Helper()
	wait[bool](p, "the page and its worker of build "+id, buildReadyJS(id), timeout)
	eval[bool](p, trackerJS)
}

// waitBuildAcrossLoads is waitReady across page loads: the page may
// reload itself, and a poll does not survive a navigation, so it polls
// in rounds, for up to 90 s.
func waitBuildAcrossLoads(p *page, id, when string) {
	p.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		ok, err := tryWait[bool](p, buildReadyJS(id), 5*time.Second)
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s, the page and the worker are not of build %s: %v%s", when, id, err, p.state())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// goTo clicks the navigation link to path and waits for the view's
// heading; it returns how long the page took to show it after the click,
// measured in the page.
func goTo(p *page, path, heading string) time.Duration {
	p.t.Helper()
	p.click(fmt.Sprintf(`nav a[href=%q]`, path))
	wait[bool](p, "the heading "+heading, fmt.Sprintf(`__e2e.h1 === %q`, heading), 10*time.Second)
	ms := eval[float64](p, `__e2e.h1At - __e2e.click`)
	return time.Duration(ms * float64(time.Millisecond))
}

// train presses Train and waits until the run ends, returning how it
// ended (the Train view's message) and how long it took.
func train(p *page, timeout time.Duration) (string, time.Duration) {
	p.t.Helper()
	start := time.Now()
	runs := eval[int](p, `__e2e.runs`)
	p.click(`#settings button[type=submit]`)
	wait[bool](p, "the run to start", fmt.Sprintf(`__e2e.runs > %d`, runs), 10*time.Second)
	end := wait[string](p, "the run to end", `!__e2e.running && `+runStateJS, timeout)
	return end, time.Since(start)
}

// results is what the Results view shows: the accuracy table (metric →
// model → cell text), every confusion heat map (model → counts, row-major),
// the images of the autoencoder's grid, and its text.
type results struct {
	Table     map[string]map[string]string `json:"table"`
	Confusion map[string][]int             `json:"confusion"`
	Grid      []struct {
		Alt    string `json:"alt"`
		Loaded bool   `json:"loaded"`
		Src    string `json:"src"`
	} `json:"grid"`
	DAEText string `json:"dae"`
}

const resultsJS = `(() => {
	const t = document.querySelector("table.acc");
	if (!t) return null;
	const heads = [...t.querySelectorAll("thead th")].map(e => e.textContent.trim());
	const table = {};
	for (const tr of t.querySelectorAll("tbody tr")) {
		const cells = [...tr.children].map(e => e.textContent.trim());
		const row = {};
		heads.forEach((h, i) => { if (i > 0) row[h] = cells[i]; });
		table[cells[0]] = row;
	}
	const confusion = {};
	for (const svg of document.querySelectorAll("svg.heatmap")) {
		const title = svg.querySelector("title");
		confusion[title.id.replace(/^conf-/, "").replace(/-title$/, "")] =
			[...svg.querySelectorAll("rect.cell")].map(r => +r.querySelector("title").textContent.match(/: (\d+) \(/)[1]);
	}
	const grid = [...document.querySelectorAll("figure.image-grid img.pixels")].map(i =>
		({alt: i.alt, loaded: i.complete && i.naturalWidth > 0, src: i.src.slice(0, 22)}));
	const h = document.getElementById("dae-h");
	return {table, confusion, grid, dae: h ? h.parentElement.querySelector("p").textContent : ""};
})()`

// readResults opens the Results view with the link that the finished run
// offers and reads it.
func readResults(p *page) results {
	p.t.Helper()
	p.click(`.run p.done a[href="/results"]`)
	wait[bool](p, "the results", `!!document.querySelector("table.acc") && !!document.querySelector("figure.chart-box")`, 10*time.Second)
	return eval[results](p, resultsJS)
}

// pct parses a cell such as "74.67%" or "40.00% (24 of 60)".
func pct(t *testing.T, cell string) float64 {
	t.Helper()
	s, _, _ := strings.Cut(cell, "%")
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("accuracy cell %q: %v", cell, err)
	}
	return v
}

// compareAcc checks the browser's test accuracy of model against the
// native one, and returns the difference in points.
func compareAcc(t *testing.T, r results, model string, native *nn.ClassifierResult) float64 {
	t.Helper()
	cell, ok := r.Table["test accuracy"][model]
	if !ok {
		t.Errorf("the results show no test accuracy of the %s CNN: %v", model, r.Table["test accuracy"])
		return math.NaN()
	}
	got, want := pct(t, cell), 100*native.Test.Accuracy
	d := got - want
	if math.Abs(d) > maxAccDiff {
		t.Errorf("%s test accuracy: browser %.2f%%, native %.2f%%: %+.2f points, more than %.1f", model, got, want, d, maxAccDiff)
	}
	return d
}

// confusionDiff returns the number of test images whose cell differs
// between the browser's heat map and the native confusion matrix, half
// the sum of the absolute differences (a flip moves one image out of one
// cell into another).
func confusionDiff(t *testing.T, got []int, want *[nn.NumClasses][nn.NumClasses]int) int {
	t.Helper()
	if len(got) != nn.NumClasses*nn.NumClasses {
		t.Errorf("heat map with %d cells", len(got))
		return -1
	}
	d, total := 0, 0
	for i, n := range got {
		w := want[i/nn.NumClasses][i%nn.NumClasses]
		d += max(n-w, w-n)
		total += n
	}
	if total != 600 {
		t.Errorf("heat map of %d test images, want 600", total)
	}
	return d / 2
}

// TestBrowserEndToEnd drives the app in headless Chromium as a user would:
// it sets a short configuration in the form (every phase, the autoencoder
// for one epoch and the classifiers for clfEpochs,
// one worker), trains it to the end in the worker on the real data, and
// checks the Results view against a native run of the same configuration
// and seed; it checks that the page answers clicks during training, that a
// run on two workers completes, that Cancel stops a run, and saves
// screenshots under out/test/e2e/.
func TestBrowserEndToEnd(t *testing.T) {
	skipShort(t)
	testStart := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := shortConfig()
	// The two-worker run below trains the baseline alone; natively, that
	// is the same run on two replicas, whose gradients add in the same
	// order as the workers'.
	cfg2 := cfg
	cfg2.Phases = []nn.Phase{nn.PhaseBaseline}
	native, native2 := make(chan nativeRun, 1), make(chan nativeRun, 1)
	go func() {
		native <- runNative(ctx, cfg, 1)
		native2 <- runNative(ctx, cfg2, 2)
	}()

	b := buildWeb(t, buildA)
	srv := newServer(t, b)
	// The glue that the page and the worker load is Go's (case C13).
	_, goroot := goTool(t)
	glue, err := os.ReadFile(filepath.Join(goroot, "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/wasm_exec.js", "/web/wasm_exec.js?v=" + b.id} {
		if !bytes.Equal(srv.get(path), glue) {
			t.Errorf("%s differs from %s/lib/wasm/wasm_exec.js", path, goroot)
		}
	}

	browser := newBrowser(t)
	p := openPage(t, browser, srv.URL)
	waitReady(p, b.id, 90*time.Second)
	t.Logf("page and worker ready %v after the start of the test", time.Since(testStart).Round(time.Second))

	// The form, as a user fills it in: the quick test (every phase, one
	// epoch each), then the classifiers' epochs, the seed and one worker.
	p.clickButton("Quick test: 1 epoch each")
	p.setField("set-seed", strconv.Itoa(seed))
	p.setField("set-workers", "1")
	for _, ph := range nn.AllPhases {
		if v := eval[string](p, fmt.Sprintf(`document.getElementById("set-epochs-%s").value`, ph)); v != "1" {
			t.Fatalf("epochs of %s: %q after Quick test", ph, v)
		}
		if !eval[bool](p, fmt.Sprintf(`document.getElementById("set-phase-%s").checked`, ph)) {
			t.Fatalf("phase %s not selected after Quick test", ph)
		}
		if ph != nn.PhaseDAE {
			p.setField("set-epochs-"+string(ph), strconv.Itoa(clfEpochs))
		}
	}

	// Train, and while the autoencoder trains, use the page.
	start := time.Now()
	p.click(`#settings button[type=submit]`)
	wait[bool](p, "the autoencoder's batches",
		`(() => { const n = document.getElementById("phase-dae-name"); return !!n && /batch [1-9]/.test(n.parentElement.innerText); })()`,
		3*time.Minute)
	p.screenshot("train-running.png")
	about := goTo(p, "/about", "About warmstart")
	back := goTo(p, "/", "Train in your browser")
	t.Logf("during training the page showed About %v and Train %v after the click", about.Round(time.Millisecond), back.Round(time.Millisecond))
	for _, d := range []time.Duration{about, back} {
		if d > 500*time.Millisecond {
			t.Errorf("during training the page took %v to answer a click, more than 500 ms", d)
		}
	}
	if running := eval[bool](p, `!!document.querySelector("#settings button.danger")`); !running {
		t.Errorf("the run is not running after moving between views%s", p.state())
	}
	end := wait[string](p, "the run to end", `!__e2e.running && `+runStateJS, 12*time.Minute)
	took := time.Since(start)
	if !strings.HasPrefix(end, "The run finished.") {
		t.Fatalf("the run ended with %q%s", end, p.state())
	}
	longest := eval[float64](p, `__e2e.longest`)
	t.Logf("the browser ran the short configuration in %v (one worker); longest task of the page's main thread: %.0f ms",
		took.Round(time.Second), longest)

	r := readResults(p)
	p.screenshot("results.png")
	nat := <-native
	if nat.err != nil {
		t.Fatalf("native run: %v", nat.err)
	}
	t.Logf("native run of the same configuration: %v", nat.took.Round(time.Second))
	models := []struct {
		name, phase string
		c           *nn.ClassifierResult
	}{
		{"baseline", "baseline", nat.rep.Baseline},
		{"pretrained", "pretrained", nat.rep.Pretrained},
		{"fine-tuned", "finetune", nat.rep.FineTuned},
	}
	for _, m := range models {
		d := compareAcc(t, r, m.name, m.c)
		flips := -1
		if got, ok := r.Confusion[m.phase]; ok {
			flips = confusionDiff(t, got, &m.c.Confusion)
		}
		t.Logf("%-10s test accuracy: browser %s, native %.2f%% (%+.2f points); at least %d of 600 test images in another confusion cell",
			m.name, r.Table["test accuracy"][m.name], 100*m.c.Test.Accuracy, d, flips)
	}
	// Both heat maps the issue asks for (and fine-tuning's).
	for _, ph := range []string{"baseline", "pretrained"} {
		if _, ok := r.Confusion[ph]; !ok {
			t.Errorf("no confusion heat map of the %s CNN; found %d heat maps", ph, len(r.Confusion))
		}
	}
	// The autoencoder's clean, noisy and denoised images.
	if len(r.Grid) != 3 {
		t.Errorf("the image grid has %d rows of images, want 3 (clean, noisy, denoised)", len(r.Grid))
	}
	for i, g := range r.Grid {
		want := []string{"clean", "noisy", "denoised"}[min(i, 2)]
		if !strings.HasPrefix(g.Alt, want+":") || !g.Loaded || !strings.HasPrefix(g.Src, "data:image/png") {
			t.Errorf("image grid row %d: %+v, want the %s images, loaded", i, g, want)
		}
	}
	checkMSE(t, r.DAEText, nat.rep.DAE.ValMSE)

	// Classify: draw trousers on the pad, and every classifier answers.
	goTo(p, "/classify", "Classify")
	drawTrousers(p)
	n := wait[int](p, "the predictions of the drawing",
		`document.querySelector(".predictions figure.preview img.pixels") ? document.querySelectorAll(".predictions .prediction, .predictions section, .predictions figure").length : 0`,
		30*time.Second)
	t.Logf("Classify shows %d prediction elements for a drawing", n)
	p.screenshot("classify.png")

	// Two workers, data-parallel: the baseline alone. It is the
	// same training as the first run's baseline, its gradients added in
	// another order.
	goTo(p, "/", "Train in your browser")
	for _, ph := range nn.AllPhases {
		p.setChecked("set-phase-"+string(ph), ph == nn.PhaseBaseline)
	}
	p.setField("set-workers", "2")
	end, took = train(p, 5*time.Minute)
	if !strings.HasPrefix(end, "The run finished.") {
		t.Fatalf("the run on two workers ended with %q%s", end, p.state())
	}
	r2 := readResults(p)
	nat2 := <-native2
	if nat2.err != nil {
		t.Fatalf("native run on two replicas: %v", nat2.err)
	}
	d := compareAcc(t, r2, "baseline", nat2.rep.Baseline)
	flips := -1
	if got, ok := r2.Confusion["baseline"]; ok {
		flips = confusionDiff(t, got, &nat2.rep.Baseline.Confusion)
	}
	t.Logf("two workers trained the baseline in %v: test accuracy %s, native on two replicas %.2f%% (%+.2f points, %d images moved); one worker %.2f%%",
		took.Round(time.Second), r2.Table["test accuracy"]["baseline"], 100*nat2.rep.Baseline.Test.Accuracy, d, flips,
		100*nat.rep.Baseline.Test.Accuracy)
	if len(r2.Table["test accuracy"]) != 3 { // baseline and the two reference columns
		t.Errorf("after a baseline-only run the table shows %v", r2.Table["test accuracy"])
	}

	// Cancel stops a long run within a few seconds, and Train is offered
	// again.
	goTo(p, "/", "Train in your browser")
	p.setField("set-epochs-baseline", "1000")
	p.click(`#settings button[type=submit]`)
	wait[bool](p, "the long run's batches",
		`(() => { const n = document.getElementById("phase-baseline-name"); return !!n && /epoch [0-9]+ of 1000 · batch [1-9]/.test(n.parentElement.innerText); })()`,
		time.Minute)
	p.clickButton("Cancel")
	ms := wait[float64](p, "Train offered again after Cancel",
		`(() => { const d = document.querySelector(".run p.done"); return `+trainEnabledJS+` && d && d.innerText.startsWith("The run was cancelled.") ? performance.now() - __e2e.click : 0; })()`,
		30*time.Second)
	stopped := time.Duration(ms * float64(time.Millisecond))
	t.Logf("Cancel: the run stopped and Train was offered again %v after the click", stopped.Round(time.Millisecond))
	if stopped > 5*time.Second {
		t.Errorf("Cancel took %v to stop the run, more than 5 s", stopped)
	}
	if st := eval[string](p, `document.getElementById("phase-baseline-name").parentElement.querySelector(".status").textContent`); st != "stopped" {
		t.Errorf("the cancelled phase says %q, want stopped", st)
	}
	t.Logf("TestBrowserEndToEnd took %v in all", time.Since(testStart).Round(time.Second))
}

// checkMSE compares the autoencoder's validation MSE in the Results
// view's text ("... 0.0174 on the validation images.") with the native one.
func checkMSE(t *testing.T, text string, native float64) {
	t.Helper()
	i := strings.Index(text, " on the validation images")
	j := strings.LastIndex(text[:max(i, 0)], " ")
	if i < 0 || j < 0 {
		t.Errorf("no validation MSE in %q", text)
		return
	}
	got, err := strconv.ParseFloat(text[j+1:i], 64)
	if err != nil {
		t.Errorf("validation MSE in %q: %v", text, err)
		return
	}
	rel := math.Abs(got-native) / native
	t.Logf("autoencoder validation MSE: browser %g, native %.4g (relative difference %.2g)", got, native, rel)
	if rel > maxMSERel {
		t.Errorf("validation MSE: browser %g, native %g: relative difference %.3f, more than %g", got, native, rel, maxMSERel)
	}
}

// drawTrousers draws two legs on the Classify view's canvas with the mouse.
func drawTrousers(p *page) {
	p.t.Helper()
	type rect struct{ X, Y, W, H float64 }
	p.do("scroll to the pad", chromedp.ScrollIntoView(chromedp.ID("pad")))
	r := eval[rect](p, `(() => { const r = document.getElementById("pad").getBoundingClientRect(); return {X: r.x, Y: r.y, W: r.width, H: r.height}; })()`)
	if r.W < 50 || r.H < 50 {
		p.t.Fatalf("the drawing pad is %+v", r)
	}
	at := func(fx, fy float64) (float64, float64) { return r.X + fx*r.W, r.Y + fy*r.H }
	for _, leg := range []float64{0.38, 0.62} {
		x0, y0 := at(0.5, 0.12)
		x1, y1 := at(leg, 0.9)
		acts := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x0, y0, chromedp.ButtonLeft)}
		for i := 1; i <= 12; i++ {
			f := float64(i) / 12
			acts = append(acts, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x0+f*(x1-x0), y0+f*(y1-y0), chromedp.ButtonLeft))
		}
		acts = append(acts, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x1, y1, chromedp.ButtonLeft))
		p.do("draw on the pad", acts...)
	}
}

// TestWasmExecMatches is case C13, test 1: every wasm_exec.js the product
// serves is byte for byte the one of the Go that builds the wasm files,
// $(go env GOROOT)/lib/wasm/wasm_exec.js: go-app's /wasm_exec.js, which
// go-app picks by the Go version of the server, not of the wasm, and the
// training worker's /web/wasm_exec.js, which make web copies (the test
// runs that step of the Makefile, make web-glue, into a folder of its own).
func TestWasmExecMatches(t *testing.T) {
	_, goroot := goTool(t)
	want, err := os.ReadFile(filepath.Join(goroot, "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	runMake(t, "web-glue", dir, "glue")
	h, err := serve.New(serve.Options{WebDir: dir, App: webapp.NewHandler("glue")})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for _, path := range []string{"/wasm_exec.js", "/web/wasm_exec.js", "/web/wasm_exec.js?v=glue"} {
		for _, enc := range []string{"", "gzip, br"} {
			req := httptest.NewRequest("GET", path, nil)
			if enc != "" {
				req.Header.Set("Accept-Encoding", enc)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != 200 || w.Header().Get("Content-Encoding") != "" {
				t.Errorf("GET %s (Accept-Encoding %q): %d, Content-Encoding %q", path, enc, w.Code, w.Header().Get("Content-Encoding"))
				continue
			}
			if got := w.Body.Bytes(); !bytes.Equal(got, want) {
				t.Errorf("GET %s serves a wasm_exec.js of %d bytes that differs from %s/lib/wasm/wasm_exec.js (%d bytes): "+
					"a glue file of another Go release; rebuild with make web, or update go-app", path, len(got), goroot, len(want))
			}
		}
	}
}

// TestStaleWorkerGlue is case C13, test 2: served a wasm_exec.js of
// "another Go release" (Go's own with the runtime.nanotime1 import
// renamed) for its worker, the page says within 5 s that the training
// worker could not start, with the LinkError and that wasm_exec.js does
// not match the build; no spinner stays, and the page keeps working.
func TestStaleWorkerGlue(t *testing.T) {
	skipShort(t)
	b := buildWeb(t, buildA)
	_, goroot := goTool(t)
	glue, err := os.ReadFile(filepath.Join(goroot, "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		t.Fatal(err)
	}
	stale := bytes.Replace(glue, []byte(`"runtime.nanotime1"`), []byte(`"runtime.nanotime9"`), 1)
	if bytes.Equal(stale, glue) {
		t.Fatal(`wasm_exec.js has no "runtime.nanotime1" import to rename`)
	}
	srv := newServer(t, b)
	srv.override.Store(&map[string][]byte{"/web/wasm_exec.js": stale})

	browser := newBrowser(t)
	p := openPage(t, browser, srv.URL)
	banner := `document.querySelector(".banners [role=alert]")`
	ms := wait[float64](p, "the worker's error", fmt.Sprintf(`(() => { const b = %s; return b && b.innerText.includes("LinkError") ? performance.now() : 0; })()`, banner), 30*time.Second)
	// performance.now() counts from the navigation; the worker starts once
	// the page's wasm runs.
	workerAt := eval[float64](p, `(() => { const e = performance.getEntriesByType("resource").find(e => e.name.includes("/web/worker.js")); return e ? e.startTime : -1; })()`)
	t.Logf("the error shows %.0f ms after the page was opened (the worker's script was requested at %.0f ms)", ms, workerAt)
	if workerAt >= 0 && ms-workerAt > 5000 {
		t.Errorf("the error took %.0f ms from the worker's start, more than 5 s", ms-workerAt)
	}
	if ms > 15000 {
		t.Errorf("the error took %.0f ms from opening the page", ms)
	}
	text := eval[string](p, banner+".innerText")
	for _, want := range []string{"The training worker could not start", "LinkError", "wasm_exec.js does not match", "make web"} {
		if !strings.Contains(text, want) {
			t.Errorf("the error says %q; it does not say %q", text, want)
		}
	}
	// No spinner: nothing says the worker is still starting, now or a
	// moment later, and Train is not offered.
	time.Sleep(time.Second)
	if eval[bool](p, `document.body.innerText.includes("Starting the training worker")`) {
		t.Errorf("the page still says that the worker is starting%s", p.state())
	}
	if eval[bool](p, `(() => { const l = document.getElementById("app-wasm-loader"); return !!l && l.offsetParent !== null; })()`) {
		t.Errorf("go-app's loading screen is still shown")
	}
	if eval[bool](p, trainEnabledJS) {
		t.Errorf("Train is enabled without a worker")
	}
	p.screenshot("stale-glue.png")
	// The page itself works: its views open, and the error stays in view.
	eval[bool](p, trackerJS)
	if d := goTo(p, "/about", "About warmstart"); d > time.Second {
		t.Errorf("About took %v to open", d)
	}
	if !eval[bool](p, banner+` && `+banner+`.innerText.includes("LinkError")`) {
		t.Errorf("the error is gone in the About view")
	}
}

// recorderJS runs in every document the tab loads, before the page's own
// scripts: it appends to localStorage (which survives reloads) one entry
// per load and one per change of what the page shows of its builds: the
// page's build and its worker's (from the footer), whether Train is
// enabled, and whether the page says its worker is of another build.
const recorderJS = `(() => {
	if (window.top !== window || !location.protocol.startsWith("http")) return;
	const key = "e2e-log";
	const log = (e) => {
		e.t = Math.round(performance.timeOrigin + performance.now());
		const l = JSON.parse(localStorage.getItem(key) || "[]");
		l.push(e);
		localStorage.setItem(key, JSON.stringify(l));
	};
	log({kind: "load"});
	let last = "";
	const snap = () => {
		const f = document.querySelector("footer.bottom");
		if (!f) return;
		const m = f.textContent.match(/warmstart build (\S+) · (?:worker build ([^,\s]+),)?/);
		const b = document.querySelector("#settings button[type=submit]");
		const s = {kind: "state", page: m ? m[1] : "", worker: m && m[2] ? m[2] : "",
			train: !!b && !b.disabled, stale: !!document.querySelector(".banner.warn[role=alert]")};
		const k = JSON.stringify(s);
		if (k !== last) { last = k; log(s); }
	};
	document.addEventListener("DOMContentLoaded", () => {
		snap();
		new MutationObserver(snap).observe(document.documentElement, {subtree: true, childList: true, characterData: true, attributes: true});
	});
})()`

// logEntry is an entry of recorderJS's log.
type logEntry struct {
	Kind   string `json:"kind"`
	Page   string `json:"page"`
	Worker string `json:"worker"`
	Train  bool   `json:"train"`
	Stale  bool   `json:"stale"`
	T      int64  `json:"t"`
}

func readLog(p *page) []logEntry {
	p.t.Helper()
	return eval[[]logEntry](p, `JSON.parse(localStorage.getItem("e2e-log") || "[]")`)
}

// TestRedeploy is case C14: the server is redeployed with another build on
// the same origin, with the same dataset. Build A is served and its page
// loaded until its service worker is active, and a first run downloads the
// dataset. Then:
//
//   - idle: the server switches to build B and the page is reloaded once;
//     after at most one more (automatic) reload, the page and its worker
//     are both B;
//   - training: during a run of B the server switches back to A and the
//     page looks for an update (as it does every minute); it says that a
//     new version is there and does not reload, the run goes on; after
//     Cancel, its "Reload now" brings page and worker of A.
//
// Throughout, the page never offers to train with a worker of another
// build than its own, and after the first run the server sees no request
// for the dataset files: the last run reads them from the browser.
func TestRedeploy(t *testing.T) {
	skipShort(t)
	testStart := time.Now()
	a, b := buildWeb(t, buildA), buildWeb(t, buildB)
	srv := newServer(t, a)
	browser := newBrowser(t)
	p := openPage(t, browser, srv.URL, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: recorderJS})
		return err
	}))
	waitReady(p, a.id, 90*time.Second)
	state := wait[string](p, "the service worker to be activated", `(async () => { const r = await navigator.serviceWorker.ready; return r.active && r.active.state === "activated" ? r.active.scriptURL : ""; })()`, 30*time.Second)
	t.Logf("build A's service worker is active (%s)", state)

	// A short run downloads the dataset files it needs.
	p.clickButton("Quick test: 1 epoch each")
	for _, ph := range nn.AllPhases {
		p.setChecked("set-phase-"+string(ph), ph == nn.PhaseBaseline)
	}
	p.setField("set-workers", "1")
	if end, _ := train(p, 3*time.Minute); !strings.HasPrefix(end, "The run finished.") {
		t.Fatalf("the first run ended with %q%s", end, p.state())
	}
	got := srv.log.since(0, "/data/")
	if len(got) == 0 {
		t.Fatalf("the first run fetched no dataset file")
	}
	t.Logf("the first run fetched %d dataset file(s)", len(got))
	afterData := srv.log.mark()

	// Idle: redeploy B, reload once.
	srv.use(b)
	loads := len(filterLog(readLog(p), "load"))
	p.do("reload", chromedp.Reload())
	wait2 := time.Now()
	waitBuildAcrossLoads(p, b.id, "after the redeploy of B and a reload")
	after := len(filterLog(readLog(p), "load")) - loads
	t.Logf("after the redeploy of B: page and worker B %v after the reload, %d page load(s)", time.Since(wait2).Round(100*time.Millisecond), after)
	if after > 2 {
		t.Errorf("%d page loads after the redeploy, want the reload and at most one more", after)
	}
	p.screenshot("redeploy-idle.png")

	// Training: redeploy A while B trains.
	eval[bool](p, trackerJS)
	p.clickButton("Quick test: 1 epoch each")
	for _, ph := range nn.AllPhases {
		p.setChecked("set-phase-"+string(ph), ph == nn.PhaseBaseline)
	}
	p.setField("set-epochs-baseline", "1000")
	p.setField("set-workers", "1")
	p.click(`#settings button[type=submit]`)
	batchJS := `(() => { const n = document.getElementById("phase-baseline-name"); const m = n && n.parentElement.innerText.match(/epoch ([0-9]+) of 1000 · batch ([0-9]+)/); return m ? 1000 * +m[1] + +m[2] : 0; })()`
	wait[int](p, "the long run's batches", batchJS, time.Minute)
	loads = len(filterLog(readLog(p), "load"))
	srv.use(a)
	eval[bool](p, `(goappTryUpdate(), true)`) // what the page does every minute
	wait[bool](p, "the update notice during the run",
		`[...document.querySelectorAll(".banner")].some(b => b.innerText.includes("A new version of warmstart is available") && b.innerText.includes("will not interrupt this run"))`,
		60*time.Second)
	before := eval[int](p, batchJS)
	time.Sleep(2 * time.Second)
	if now := eval[int](p, batchJS); now <= before {
		t.Errorf("the run stopped moving after the update landed (batch %d, then %d)%s", before, now, p.state())
	}
	if n := len(filterLog(readLog(p), "load")) - loads; n != 0 {
		t.Errorf("the page reloaded %d time(s) on its own during the run", n)
	}
	p.screenshot("redeploy-training.png")
	p.clickButton("Cancel")
	wait[bool](p, "the end of the cancelled run", `(() => { const d = document.querySelector(".run p.done"); return !!d && d.innerText.startsWith("The run was cancelled."); })()`, 30*time.Second)
	if n := len(filterLog(readLog(p), "load")) - loads; n != 0 {
		t.Errorf("the page reloaded %d time(s) on its own when the run ended", n)
	}
	p.clickButton("Reload now")
	waitBuildAcrossLoads(p, a.id, "after Reload now")
	if n := len(filterLog(readLog(p), "load")) - loads; n > 2 {
		t.Errorf("%d page loads after Reload now, want at most 2", n)
	}

	// A last short run trains from the browser's copy of the dataset.
	eval[bool](p, trackerJS)
	p.clickButton("Quick test: 1 epoch each")
	for _, ph := range nn.AllPhases {
		p.setChecked("set-phase-"+string(ph), ph == nn.PhaseBaseline)
	}
	p.setField("set-workers", "1")
	if end, _ := train(p, 3*time.Minute); !strings.HasPrefix(end, "The run finished.") {
		t.Fatalf("the last run ended with %q%s", end, p.state())
	}
	if s := eval[string](p, `document.querySelector(".run details.data summary").innerText`); !strings.Contains(s, "no download") {
		t.Errorf("the last run's dataset: %q", s)
	}
	if got := srv.log.since(afterData, "/data/"); len(got) > 0 {
		t.Errorf("the server saw %d request(s) for the dataset after the first run: %v", len(got), got)
	}

	// The page never offered training with a worker of another build.
	entries := readLog(p)
	mixed := 0
	for _, e := range entries {
		if e.Kind != "state" || e.Page == "" || e.Worker == "" || e.Page == e.Worker {
			continue
		}
		mixed++
		if e.Train || !e.Stale {
			t.Errorf("page %s with worker %s: Train enabled %v, stale-worker notice %v", e.Page, e.Worker, e.Train, e.Stale)
		}
	}
	t.Logf("%d log entries, %d page loads; %d state(s) with a worker of another build, each refused",
		len(entries), len(filterLog(entries, "load")), mixed)
	t.Logf("TestRedeploy took %v in all", time.Since(testStart).Round(time.Second))
}

func filterLog(l []logEntry, kind string) []logEntry {
	var out []logEntry
	for _, e := range l {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}
