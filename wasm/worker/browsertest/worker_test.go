//go:build !js

package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"warmstart/nn/data"
	"warmstart/nn/spec"
)

const build = "browsertest"

// page is the bare test page: it starts workers, posts wire-form
// messages to them and logs what they answer.
const page = `<!doctype html>
<meta charset="utf-8">
<title>worker test</title>
<script>
window.logs = {};
window.workers = {};
function startWorker(name, url) {
	const w = new Worker(url);
	logs[name] = [];
	w.onmessage = (e) => {
		const m = e.data;
		let body;
		try { body = JSON.parse(m.body); } catch (err) { body = {unparsed: String(m.body)}; }
		const blobs = {}, sums = {};
		for (const [k, v] of Object.entries(m.blobs || {})) {
			blobs[k] = v.byteLength;
			let h = 0;
			for (const b of new Uint8Array(v)) h = (Math.imul(h, 31) + b) >>> 0;
			sums[k] = h;
		}
		logs[name].push({kind: m.kind, body, blobs, sums, t: performance.now()});
	};
	workers[name] = w;
}
function send(name, kind, body, blobs) {
	blobs = blobs || {};
	workers[name].postMessage({v: 1, kind, body: JSON.stringify(body), blobs}, Object.values(blobs));
}
// Two dark trouser legs on white, as canvas ImageData holds them.
function trouser(side) {
	const px = new Uint8Array(side * side * 4).fill(255);
	for (let y = Math.floor(side / 8); y < side * 7 / 8; y++)
		for (let x = Math.floor(side * 3 / 10); x < side * 7 / 10; x++) {
			if (y > side / 3 && x > side * 0.45 && x < side * 0.55) continue;
			const i = 4 * (y * side + x); px[i] = px[i + 1] = px[i + 2] = 20;
		}
	return px.buffer;
}
</script>
<p>worker test</p>
`

// msg is a worker message as the page logged it.
type msg struct {
	Kind  string         `json:"kind"`
	Body  map[string]any `json:"body"`
	Blobs map[string]int `json:"blobs"`
	Sums  map[string]int `json:"sums"` // a checksum of each blob
	T     float64        `json:"t"`
}

func (m msg) str(k string) string { s, _ := m.Body[k].(string); return s }

// env is the browser, the server and the built worker of a test.
type env struct {
	t        *testing.T
	base     string
	tabs     map[string]context.Context
	dataGets atomic.Int64
}

func setup(t *testing.T) *env {
	if testing.Short() {
		t.Skip("headless Chromium: skipped in -short mode")
	}
	chrome := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			chrome = p
			break
		}
	}
	if chrome == "" {
		t.Skip("no Chromium found (apt-get install chromium)")
	}
	dataDir, err := data.Locate("", data.TestImages|data.TestLabels)
	if err != nil {
		t.Fatalf("the real t10k files are needed (make data): %v", err)
	}

	// Build the worker the way `make web` does, into a folder of our own.
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	web := t.TempDir()
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "build", "-ldflags", "-X warmstart/wasm/protocol.Build="+build,
		"-o", filepath.Join(web, "worker.wasm"), "./wasm/worker")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the worker: %v\n%s", err, out)
	}
	glue, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		t.Fatal(err)
	}
	bootstrap, err := os.ReadFile(filepath.Join(root, "web", "worker.js"))
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"wasm_exec.js": glue, "worker.js": bootstrap} {
		if err := os.WriteFile(filepath.Join(web, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Case C13: the glue of another Go release, made here by renaming
	// one import the wasm binary needs.
	stale := strings.Replace(string(glue), `"runtime.nanotime1"`, `"runtime.nanotime9"`, 1)
	if stale == string(glue) {
		t.Fatal(`wasm_exec.js has no "runtime.nanotime1" import to rename`)
	}

	// A wasm that panics as it starts, for worker.js's report of a Go
	// program that died.
	crash := t.TempDir()
	for name, src := range map[string]string{
		"go.mod":  "module crash\n\ngo 1.21\n",
		"main.go": "package main\n\nfunc main() { panic(\"boom at start\") }\n",
	} {
		if err := os.WriteFile(filepath.Join(crash, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd = exec.Command("go", "build", "-o", filepath.Join(crash, "worker.wasm"), ".")
	cmd.Dir = crash
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the crashing wasm: %v\n%s", err, out)
	}

	e := &env{t: t, tabs: map[string]context.Context{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/test.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(page))
	})
	mux.Handle("/web/", http.StripPrefix("/web/", http.FileServer(http.Dir(web))))
	mux.HandleFunc("/stale/wasm_exec.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		w.Write([]byte(stale))
	})
	mux.Handle("/stale/", http.StripPrefix("/stale/", http.FileServer(http.Dir(web))))
	mux.HandleFunc("/crash/worker.wasm", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(crash, "worker.wasm"))
	})
	mux.Handle("/crash/", http.StripPrefix("/crash/", http.FileServer(http.Dir(web))))
	mux.HandleFunc("/nowasm/worker.wasm", http.NotFound)
	mux.Handle("/nowasm/", http.StripPrefix("/nowasm/", http.FileServer(http.Dir(web))))
	files := http.StripPrefix("/data/", http.FileServer(http.Dir(dataDir)))
	mux.HandleFunc("/data/", func(w http.ResponseWriter, r *http.Request) {
		e.dataGets.Add(1)
		files.ServeHTTP(w, r)
	})
	// Case C10: a dead link whose server answers with an HTML page.
	mux.HandleFunc("/gone/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte("<!DOCTYPE html>\n<html><head><title>404</title></head><body>Not here</body></html>\n"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e.base = srv.URL

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	first, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	e.tabs["A"] = first
	e.open("A")
	return e
}

// open loads the test page in tab name, a new tab of the same browser
// (same origin, same storage) unless it is tab A.
func (e *env) open(name string) {
	e.t.Helper()
	tab, ok := e.tabs[name]
	if !ok {
		var cancel context.CancelFunc
		tab, cancel = chromedp.NewContext(e.tabs["A"])
		e.t.Cleanup(cancel)
		e.tabs[name] = tab
	}
	if err := chromedp.Do(tab, chromedp.Navigate(e.base+"/test.html")); err != nil {
		e.t.Fatalf("open tab %s: %v", name, err)
	}
}

// js runs src in tab.
func (e *env) js(tab, src string) {
	e.t.Helper()
	if _, err := chromedp.Run(e.tabs[tab], chromedp.Evaluate[any]("(() => {"+src+"; return null})()")); err != nil {
		e.t.Fatalf("tab %s: %s: %v", tab, src, err)
	}
}

func (e *env) send(tab, worker, kind string, body any) {
	e.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		e.t.Fatal(err)
	}
	e.js(tab, fmt.Sprintf(`send(%q, %q, %s)`, worker, kind, b))
}

// wait returns the first message of worker (in tab) that the JavaScript
// predicate pred accepts, failing after timeout.
func (e *env) wait(tab, worker, pred string, timeout time.Duration) msg {
	e.t.Helper()
	find := fmt.Sprintf(`(logs[%q] || []).find(%s)`, worker, pred)
	ctx := e.tabs[tab]
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool]("!!"+find,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(timeout))); err != nil {
		last, _ := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`JSON.stringify((logs[%q] || []).slice(-6)).slice(0, 3000)`, worker)))
		e.t.Fatalf("no message %s from worker %s within %v (%v); last messages: %s", pred, worker, timeout, err, last)
	}
	m, err := chromedp.Run(ctx, chromedp.Evaluate[msg](find))
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

// all returns the messages of worker that pred accepts.
func (e *env) all(tab, worker, pred string) []msg {
	e.t.Helper()
	m, err := chromedp.Run(e.tabs[tab], chromedp.Evaluate[[]msg](fmt.Sprintf(`(logs[%q] || []).filter(%s)`, worker, pred)))
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

func tinyConfig() spec.Config {
	cfg := spec.DefaultConfig()
	cfg.Phases = []spec.Phase{spec.PhaseBaseline}
	cfg.Baseline.Epochs = 1
	cfg.Splits.SupTrain, cfg.Splits.SupVal, cfg.Splits.SupTest = 500, 100, 100
	return cfg
}

func TestWorkerInChromium(t *testing.T) {
	e := setup(t)
	start := func(tab, worker string, run int, cfg spec.Config, dataURL string) {
		e.send(tab, worker, "start", map[string]any{"run": run, "config": cfg, "data_url": dataURL})
	}
	ended := func(run int) string {
		return fmt.Sprintf(`m => (m.kind === "result" || m.kind === "error") && m.body.run === %d`, run)
	}

	// C13: wasm_exec.js of another Go release. The worker must say so
	// within 5 s, as a version error, not hang.
	e.js("A", `startWorker("stale", "/stale/worker.js?v=`+build+`")`)
	e.send("A", "stale", "hello", map[string]string{"build": build})
	m := e.wait("A", "stale", `m => true`, 5*time.Second)
	if m.Kind != "error" || m.str("code") != "version" || !strings.Contains(m.str("message"), "LinkError") ||
		!strings.Contains(m.str("message"), "wasm_exec.js does not match") || !strings.Contains(m.str("hint"), "make web") {
		t.Errorf("stale wasm_exec.js: %+v", m)
	}

	// A Go program that dies is reported with its panic, not silence.
	e.js("A", `startWorker("crash", "/crash/worker.js?v=`+build+`")`)
	m = e.wait("A", "crash", `m => true`, 10*time.Second)
	if m.Kind != "error" || m.str("code") != "panic" || !strings.Contains(m.str("message"), "Go exited with code 2") ||
		!strings.Contains(m.str("message"), "panic: boom at start") {
		t.Errorf("crashing wasm: %+v", m)
	}
	t.Logf("a crashing wasm gives: %s", m.str("message"))
	// A missing worker.wasm names the file and the status.
	e.js("A", `startWorker("nowasm", "/nowasm/worker.js?v=`+build+`")`)
	m = e.wait("A", "nowasm", `m => true`, 10*time.Second)
	if m.Kind != "error" || m.str("code") != "panic" || !strings.Contains(m.str("message"), "worker.wasm?v="+build+": the server answered HTTP 404") {
		t.Errorf("missing worker.wasm: %+v", m)
	}

	e.js("A", `startWorker("w", "/web/worker.js?v=`+build+`")`)
	e.send("A", "w", "hello", map[string]string{"build": build})
	m = e.wait("A", "w", `m => true`, 30*time.Second)
	if m.Kind != "ready" || m.str("build") != build || m.Body["stored"] != false || m.str("go_version") == "" {
		t.Fatalf("hello: %+v", m)
	}

	// C10: the images URL answers with an HTML 404 page: a data error
	// that names the file and the status, and nothing is cached.
	start("A", "w", 1, tinyConfig(), "/gone/")
	m = e.wait("A", "w", ended(1), 30*time.Second)
	if msg := m.str("message"); m.Kind != "error" || m.str("code") != "data" || !strings.Contains(msg, data.TestImagesFile) ||
		!strings.Contains(msg, "HTTP 404") || !strings.Contains(msg, "HTML page") {
		t.Errorf("HTML instead of the dataset: %+v", m)
	}
	cached, err := chromedp.Run(e.tabs["A"], chromedp.Evaluate[[]string](
		`caches.open("warmstart-data-v1").then(c => c.keys()).then(ks => ks.map(r => r.url))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if len(cached) > 0 {
		t.Errorf("bad data was cached: %v", cached)
	}

	// A short run to its result, through Cache Storage and Web Locks.
	start("A", "w", 2, tinyConfig(), "/data/")
	m = e.wait("A", "w", ended(2), 120*time.Second)
	if m.Kind != "result" || m.Blobs["model/baseline"] == 0 || m.Blobs["confusion/baseline"] != 400 {
		t.Fatalf("run 2: %+v", m)
	}
	progress := e.all("A", "w", `m => m.kind === "progress" && m.body.run === 2`)
	if len(progress) < 3 || progress[0].str("event") != "phase-start" || progress[len(progress)-1].str("event") != "phase-end" {
		t.Errorf("run 2 sent %d progress messages", len(progress))
	}
	for _, p := range progress {
		if mem, _ := p.Body["memory_bytes"].(float64); mem < 16<<20 || mem > 512<<20 {
			t.Errorf("progress reports %v bytes of wasm memory", p.Body["memory_bytes"])
			break
		}
	}
	gets := e.dataGets.Load()

	// The trained model classifies a drawing.
	e.js("A", `send("w", "classify", {req: 1, width: 60, height: 60}, {rgba: trouser(60)})`)
	m = e.wait("A", "w", `m => m.body.req === 1`, 30*time.Second)
	if preds, _ := m.Body["predictions"].([]any); m.Kind != "classified" || len(preds) != 1 || m.Blobs["preview"] != 784 {
		t.Errorf("classify: %+v", m)
	}

	// A long run in tab A holds the lock: tab B may not train, and
	// this worker refuses a second run.
	long := tinyConfig()
	long.Baseline.Epochs = 10000
	long.Baseline.BatchSize = 50
	start("A", "w", 3, long, "/data/")
	e.wait("A", "w", `m => m.kind === "progress" && m.body.run === 3 && m.body.event === "batch"`, 60*time.Second)
	e.open("B")
	e.js("B", `startWorker("w", "/web/worker.js?v=`+build+`")`)
	e.send("B", "w", "hello", map[string]string{"build": build})
	if m = e.wait("B", "w", `m => true`, 30*time.Second); m.Kind != "ready" || m.Body["stored"] != true {
		t.Errorf("hello in tab B after a run: %+v", m)
	}
	start("B", "w", 1, tinyConfig(), "/data/")
	if m = e.wait("B", "w", ended(1), 30*time.Second); m.str("code") != "busy" || m.str("message") != "a run is in progress in another tab" {
		t.Errorf("start in tab B while A trains: %+v", m)
	}
	start("A", "w", 4, tinyConfig(), "/data/")
	if m = e.wait("A", "w", ended(4), 30*time.Second); m.str("code") != "busy" {
		t.Errorf("second start in tab A: %+v", m)
	}

	// Cancel: the result comes at the next batch, with Cancelled set.
	e.js("A", `window.cancelAt = performance.now(); send("w", "cancel", {run: 3})`)
	m = e.wait("A", "w", ended(3), 30*time.Second)
	if m.Kind != "result" || m.Body["cancelled"] != true {
		t.Errorf("cancel: %+v", m)
	}
	if lat, err := chromedp.Run(e.tabs["A"], chromedp.Evaluate[float64](`logs.w.find(`+ended(3)+`).t - cancelAt`)); err != nil || lat > 3000 {
		t.Errorf("the cancelled run ended %.0f ms after cancel (%v)", lat, err)
	} else {
		t.Logf("cancel answered in %.0f ms", lat)
	}

	// Tab B restores the stored results and trains from Cache Storage,
	// with no download.
	e.send("B", "w", "restore", map[string]any{})
	m = e.wait("B", "w", `m => m.kind === "result" || m.kind === "nothing-stored"`, 30*time.Second)
	if m.Kind != "result" || m.Body["restored"] != true || m.Blobs["model/baseline"] == 0 {
		t.Errorf("restore in tab B: %+v", m)
	}
	start("B", "w", 2, tinyConfig(), "/data/")
	if m = e.wait("B", "w", ended(2), 120*time.Second); m.Kind != "result" {
		t.Fatalf("run in tab B: %+v", m)
	}
	stages := e.all("B", "w", `m => m.kind === "data" && m.body.run === 2`)
	for _, s := range stages {
		if s.str("stage") == "download" {
			t.Errorf("tab B downloaded %s again", s.str("file"))
		}
	}
	if n := e.dataGets.Load() - gets; n != 0 {
		t.Errorf("%d dataset requests after the first run", n)
	}

	// Data-parallel training on two workers (the second one nested in
	// the first): twice with the same seed gives the same model, bit for
	// bit, and the helper workers are gone afterwards.
	par := tinyConfig()
	par.Baseline.BatchSize = 50
	var sums []int
	var accs []float64
	for _, run := range []int{3, 4, 5} {
		workers := 2
		if run == 5 {
			workers = 1
		}
		e.send("B", "w", "start", map[string]any{"run": run, "config": par, "data_url": "/data/", "workers": workers})
		m = e.wait("B", "w", ended(run), 120*time.Second)
		if m.Kind != "result" || m.Blobs["model/baseline"] == 0 {
			t.Fatalf("run %d on %d workers: %+v", run, workers, m)
		}
		sums = append(sums, m.Sums["model/baseline"])
		accs = append(accs, m.Body["report"].(map[string]any)["baseline"].(map[string]any)["test"].(map[string]any)["accuracy"].(float64))
	}
	if sums[0] != sums[1] {
		t.Errorf("two two-worker runs with one seed gave different models (checksums %d, %d)", sums[0], sums[1])
	}
	// One worker adds the gradients in another order: other bits, the
	// same model up to rounding, so test accuracy within a few images.
	if d := accs[0] - accs[2]; d > 0.03 || d < -0.03 {
		t.Errorf("test accuracy on two workers %.3f, on one %.3f", accs[0], accs[2])
	}

	// A page of another build is told to reload.
	e.send("B", "w", "hello", map[string]string{"build": "other"})
	m = e.wait("B", "w", `m => m.kind === "error" && m.body.code === "version"`, 30*time.Second)
	if want := "page build other, worker build " + build + ": reload the page"; m.str("message") != want {
		t.Errorf("hello of another build: %q, want %q", m.str("message"), want)
	}
}
