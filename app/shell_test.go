//go:build !(js && wasm)

// go-app prerenders pages and runs its test engine only outside the
// browser; in a js/wasm build it drives the DOM instead.

package app

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"warmstart/nn/spec"
	"warmstart/wasm/protocol"
)

// fakeConn records what the page sends to its worker.
type fakeConn struct {
	sent   []protocol.Message
	closed bool
}

func (c *fakeConn) post(m protocol.Message) error {
	if _, err := protocol.Encode(m); err != nil { // the page never sends an invalid message
		return err
	}
	c.sent = append(c.sent, m)
	return nil
}

func (c *fakeConn) close() { c.closed = true }

// hasTag reports whether html has a <tag> start tag with every one of
// attrs (`name="value"`, or a bare name), in any order: go-app writes
// attributes in map order.
func hasTag(html, tag string, attrs ...string) bool {
	for _, m := range regexp.MustCompile(`<`+tag+`\b[^>]*>`).FindAllString(html, -1) {
		ok := true
		for _, a := range attrs {
			if !regexp.MustCompile(`\s` + regexp.QuoteMeta(a) + `[\s>]`).MatchString(m) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// render mounts sh in a test engine and returns its HTML.
func render(t *testing.T, sh *shell) string {
	t.Helper()
	e := app.NewTestEngine()
	if err := e.Load(sh); err != nil {
		t.Fatal(err)
	}
	e.ConsumeAll()
	if err := app.Match(app.Div().Class("shell"), sh, 0); err != nil {
		t.Fatalf("the shell's root: %v", err)
	}
	return app.HTMLString(sh)
}

// sampleReport is a finished run of every phase, 600 test images.
func sampleReport() *spec.Report {
	cfg := spec.DefaultConfig()
	clf := func(p spec.Phase, acc float64) *spec.ClassifierResult {
		c := &spec.ClassifierResult{Phase: p, Confusion: sampleConfusion(),
			Train: spec.Eval{Accuracy: acc + 0.02, N: 1800}, Val: spec.Eval{Accuracy: acc - 0.01, N: 600},
			Test: spec.Eval{Accuracy: acc, N: 600}, Predictions: make([]uint8, 600)}
		for k := range spec.NumClasses {
			c.PerClass[k] = float64(c.Confusion[k][k]) / 60
		}
		for e := 1; e <= 10; e++ {
			c.History = append(c.History, spec.EpochStats{Epoch: e, TrainLoss: 2 / float64(e), ValLoss: 2.1 / float64(e),
				TrainAcc: acc * float64(e) / 10, ValAcc: acc * float64(e) / 11})
		}
		return c
	}
	n := 10 * 28 * 28
	grid := spec.SampleGrid{N: 10, Rows: 28, Cols: 28,
		Clean: make([]float32, n), Noisy: make([]float32, n), Denoised: make([]float32, n)}
	return &spec.Report{
		Provenance: spec.Provenance{GoVersion: "go1.26.8", GOOS: "js", GOARCH: "wasm",
			Started: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)},
		Config:     cfg,
		Baseline:   clf(spec.PhaseBaseline, 0.7467),
		Pretrained: clf(spec.PhasePretrained, 0.6950),
		FineTuned:  clf(spec.PhaseFineTune, 0.7083),
		DAE: &spec.DAEResult{TrainMSE: 0.01059, ValMSE: 0.01052, Grid: grid,
			History: []spec.EpochStats{{Epoch: 1, TrainLoss: 0.02, ValLoss: 0.018}}},
		Comparisons: []spec.Comparison{
			{APhase: spec.PhaseBaseline, BPhase: spec.PhasePretrained, N: 600, OnlyA: 55, OnlyB: 24, AccDiff: -31.0 / 600, PValue: 0.00064},
			{APhase: spec.PhaseBaseline, BPhase: spec.PhaseFineTune, N: 600, OnlyA: 30, OnlyB: 28, AccDiff: -2.0 / 600, PValue: 0.9},
		},
		EncoderPretrained: true,
		Seconds:           116,
	}
}

func TestResultsViewRendersReport(t *testing.T) {
	sh := &shell{view: "/results"}
	sh.s.result = &protocol.Result{Run: 1, Report: sampleReport(),
		Models: map[spec.Phase][]byte{spec.PhaseBaseline: {1, 2}, spec.PhasePretrained: {3}}}
	html := render(t, sh)

	if n := strings.Count(html, `<svg class="chart heatmap"`); n != 3 {
		t.Errorf("%d confusion heat maps, want 3 (baseline, pretrained, fine-tuned)", n)
	}
	for _, want := range []string{
		`<h1>Results</h1>`,
		`74.67%`,             // baseline test accuracy
		`8.82% (6 of 68)`,    // the published baseline's Shirt row
		`32.35% (22 of 68)`,  // and the pretrained one's
		`<tr class="shirt">`, // the Shirt row stands out
		`40.00% (24 of 60)`,  // ours: 24 of the 60 test shirts
		`0.00064`,            // McNemar's p-value
		`baseline significantly better (p &lt; 0.05)`,
		`no significant difference (p ≥ 0.05)`,
		`<svg class="chart bars"`, // per-class accuracy
		`>★ Shirt</text>`,
		`Validation accuracy per epoch`,
		`Fine-tuning continues the pretrained CNN&#39;s curve`,
		`Download the report (JSON)`,
		`Baseline model (2 bytes)`,
		`Pretrained model (1 bytes)`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("results view lacks %q", want)
		}
	}
	if n := len(regexp.MustCompile(`<img [^>]*src="data:image/png;base64,`).FindAllString(html, -1)); n != 3 {
		t.Errorf("%d image rows, want 3 (clean, noisy, denoised)", n)
	}
	if strings.Contains(html, "Fine-tuned model") {
		t.Error("a download is offered for a model the result does not hold")
	}
}

func TestResultsViewEmpty(t *testing.T) {
	// While the worker starts, the page is still asking for stored results.
	if html := render(t, &shell{view: "/results"}); !strings.Contains(html, "Looking for the results of your last run") {
		t.Errorf("results view while starting:\n%s", html)
	}
	sh := &shell{view: "/results"}
	sh.OnInit()
	sh.onMessage(app.Context{}, &protocol.NothingStored{})
	html := render(t, sh)
	if !strings.Contains(html, "No results yet") || strings.Contains(html, "heatmap") {
		t.Errorf("empty results view:\n%s", html)
	}
}

func TestSettingsFormShowsError(t *testing.T) {
	sh := &shell{}
	sh.OnInit()
	sh.s.worker = workerReady
	c := &fakeConn{}
	sh.conn = c
	sh.form.Epochs[1] = "-3"
	sh.train()
	if sh.s.running || len(c.sent) != 0 {
		t.Fatalf("a bad setting started a run: running %v, sent %v", sh.s.running, c.sent)
	}
	html := render(t, sh)
	// The message sits next to the form, in an alert, and the input at
	// fault is marked.
	if !hasTag(html, "p", `id="settings-error"`, `class="error"`, `role="alert"`) ||
		!regexp.MustCompile(`<p [^>]*id="settings-error"[^>]*>\s*Dae epochs -3 out of range \[0, 10000\]\.\s*</p>`).MatchString(html) {
		t.Errorf("no error next to the form:\n%s", html)
	}
	// go-app writes aria-invalid="true" bare in server HTML and sets it
	// with setAttribute in the browser.
	if !hasTag(html, "input", `id="set-epochs-dae"`, `aria-invalid`) {
		t.Error("the DAE epochs input is not marked invalid")
	}
	if hasTag(html, "input", `id="set-seed"`, `aria-invalid`) {
		t.Error("the seed input is marked invalid")
	}
}

func TestTrainSendsStart(t *testing.T) {
	sh := &shell{}
	sh.OnInit()
	c := &fakeConn{}
	sh.conn = c
	sh.restoreReq = true // no restore request in c.sent
	sh.onMessage(app.Context{}, &protocol.Ready{Build: protocol.Build, GoVersion: "go1.26.8", Cores: 2})
	if sh.s.worker != workerReady {
		t.Fatalf("worker state %v after ready", sh.s.worker)
	}
	sh.form = quickSettings(sh.form)
	sh.train()
	if len(c.sent) != 1 {
		t.Fatalf("sent %v, want one start", c.sent)
	}
	st, ok := c.sent[0].(*protocol.Start)
	if !ok {
		t.Fatalf("sent a %T, want *protocol.Start", c.sent[0])
	}
	want, _ := quickSettings(settingsFrom(spec.DefaultConfig())).config()
	// Two cores reported: two workers by default.
	if !reflect.DeepEqual(st.Config, want) || st.DataURL != "/data/" || st.Run != sh.s.runID || st.Workers != 2 {
		t.Errorf("start %+v", st)
	}
	html := render(t, sh)
	if !strings.Contains(html, ">Cancel</button>") || strings.Contains(html, ">Train</button>") {
		t.Error("a running page does not offer Cancel instead of Train")
	}
	if n := strings.Count(html, "<progress"); n != 4 {
		t.Errorf("%d progress bars, want one per phase", n)
	}

	sh.onCancel(app.Context{}, app.Event{})
	if cl, ok := c.sent[len(c.sent)-1].(*protocol.Cancel); !ok || cl.Run != st.Run || !sh.s.cancelling {
		t.Errorf("cancel sent %v, cancelling %v", c.sent[len(c.sent)-1], sh.s.cancelling)
	}
}

// TestUpdateDuringRun checks failure case C14's last point: a new version
// that lands during a run is offered, never loaded on its own.
func TestUpdateDuringRun(t *testing.T) {
	sh := &shell{}
	sh.OnInit()
	sh.s.startRun(1, quickConfig(1))
	sh.OnAppUpdate(app.Context{}) // a reload would need the browser; with a run in progress it must not be asked for
	html := render(t, sh)
	if !sh.updateReady || !strings.Contains(html, "It will not interrupt this run: reload the page when the run ends.") {
		t.Errorf("no update banner during a run:\n%s", html)
	}
	if strings.Contains(html, "Reload now") {
		t.Error("the page offers to reload in the middle of a run")
	}

	// Once the run ends, the banner offers the reload.
	after := &shell{updateReady: true}
	after.OnInit()
	after.s.startRun(1, quickConfig(1))
	after.s.gotResult(&protocol.Result{Run: 1, Report: &spec.Report{}})
	if html := render(t, after); !strings.Contains(html, "Reload now") {
		t.Error("no reload offered after the run")
	}
}

// TestWorkerCannotStart is failure case C13: web/worker.js reports a
// LinkError (wasm_exec.js of another Go release) before any Go runs; the
// page says so, does not restart the worker in a loop, and keeps working.
func TestWorkerCannotStart(t *testing.T) {
	sh := &shell{}
	sh.OnInit()
	sh.s.worker = workerStarting
	gen := sh.gen
	sh.onMessage(app.Context{}, &protocol.Error{Code: protocol.CodeVersion,
		Message: "the training worker could not start (WebAssembly LinkError: import object field 'runtime.nanotime2' is not a Function): " +
			"wasm_exec.js does not match the build of worker.wasm",
		Hint: "reload the page; if you built it yourself, rebuild with `make web`"})
	if sh.s.worker != workerFailed || sh.gen != gen {
		t.Errorf("worker %v, restarted %v; want failed, not restarted", sh.s.worker, sh.gen != gen)
	}
	html := render(t, sh)
	// go-app writes an element's attributes in no fixed order.
	if !regexp.MustCompile(`<div (class="banner error" role="alert"|role="alert" class="banner error")>`).MatchString(html) {
		t.Errorf("no error banner with role alert:\n%s", html)
	}
	for _, want := range []string{
		"The training worker could not start (WebAssembly LinkError",
		"wasm_exec.js does not match the build of worker.wasm",
		"Reload the page; if you built it yourself, rebuild with `make web`",
		">Try again</button>",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("banner lacks %q:\n%s", want, html)
		}
	}
	if strings.Contains(html, "Starting the training worker") {
		t.Error("the page still says the worker is starting")
	}
}

func TestReadyRestoresOrRefuses(t *testing.T) {
	sh := &shell{}
	sh.OnInit()
	c := &fakeConn{}
	sh.conn = c
	sh.onMessage(app.Context{}, &protocol.Ready{Build: protocol.Build, GoVersion: "go1.26.8", Cores: 2})
	if sh.s.worker != workerReady || len(c.sent) != 1 {
		t.Fatalf("worker %v, sent %v; want ready and a restore", sh.s.worker, c.sent)
	}
	if _, ok := c.sent[0].(*protocol.Restore); !ok {
		t.Errorf("sent %T, want *protocol.Restore", c.sent[0])
	}

	// A worker of another build is closed; the page asks for a reload.
	sh2 := &shell{}
	sh2.OnInit()
	c2 := &fakeConn{}
	sh2.conn = c2
	sh2.onMessage(app.Context{}, &protocol.Ready{Build: protocol.Build + "-other"})
	if sh2.s.worker != workerStale || !c2.closed || len(c2.sent) != 0 {
		t.Errorf("stale worker: state %v, closed %v, sent %v", sh2.s.worker, c2.closed, c2.sent)
	}
	if html := render(t, sh2); !strings.Contains(html, "A newer version of warmstart is available") || !strings.Contains(html, ">Reload</button>") {
		t.Error("no reload offered for a worker of another build")
	}
}

func TestBusyBanner(t *testing.T) {
	sh := &shell{}
	sh.OnInit()
	sh.s.worker = workerReady
	sh.s.startRun(4, quickConfig(1))
	sh.onMessage(app.Context{}, &protocol.Error{Run: 4, Code: protocol.CodeBusy, Message: "a run is in progress in another tab"})
	html := render(t, sh)
	if !strings.Contains(html, "Another tab is training.") || sh.s.running {
		t.Errorf("busy: running %v\n%s", sh.s.running, html)
	}
}

func TestClassifyViewShowsPredictions(t *testing.T) {
	sh := &shell{view: "/classify"}
	sh.OnInit()
	sh.s.worker = workerReady
	sh.loaded[spec.PhaseBaseline] = true
	var probs [spec.NumClasses]float64
	probs[1], probs[3], probs[6] = 0.8, 0.15, 0.05
	sh.s.classReq = 5
	sh.onMessage(app.Context{}, &protocol.Classified{Req: 5, Preview: make([]byte, 28*28),
		Predictions: []protocol.Prediction{{Phase: spec.PhaseBaseline, Class: 1, Probs: probs}}})
	html := render(t, sh)
	for _, tag := range [][]string{
		{"canvas", `id="pad"`, `width="280"`, `height="280"`, `aria-label="Drawing area: draw one garment with the mouse, a finger or a pen"`},
		{"input", `id="upload"`, `type="file"`, `accept="image/*"`},
		{"span", `class="bar c-baseline"`, `style="width:80.0%"`},
		{"img", `class="pixels"`, `alt="The 28 × 28 picture the classifiers received"`},
		{"tr", `class="best"`},
	} {
		if !hasTag(html, tag[0], tag[1:]...) {
			t.Errorf("classify view lacks <%s %s>", tag[0], strings.Join(tag[1:], " "))
		}
	}
	for _, want := range []string{`Baseline: `, `<strong>Trouser</strong>`, `(80%)`} {
		if !strings.Contains(html, want) {
			t.Errorf("classify view lacks %q", want)
		}
	}
	// A late answer to an older request is ignored.
	sh.onMessage(app.Context{}, &protocol.Classified{Req: 4, Preview: make([]byte, 28*28)})
	if sh.s.classified.Req != 5 {
		t.Error("an older answer replaced the newer one")
	}
}
