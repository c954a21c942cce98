// Package browserrun runs the product's training worker (web/worker.js
// and a freshly built worker.wasm) in headless Chromium on the real
// dataset, with a bare driving page instead of the app, and watches the
// memory of the tab's renderer process while it trains. The commands
// bench/fullrun and bench/browsermem use it; it is not part of the
// product.
package browserrun

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/chromedp"

	"warmstart/nn"
	"warmstart/nn/data"
)

// Build puts the worker, its bootstrap and glue, and the driving page
// into dir. It runs in the repository's root.
func Build(dir string) error {
	cmd := exec.Command("go", "build", "-ldflags", "-s -w -X warmstart/wasm/protocol.Build=browserrun",
		"-o", filepath.Join(dir, "worker.wasm"), "./wasm/worker")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build the worker: %v\n%s", err, out)
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return err
	}
	for src, dst := range map[string]string{
		filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js"): "wasm_exec.js",
		"web/worker.js": "worker.js",
	} {
		b, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, dst), b, 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(dir, "index.html"), []byte(page), 0o644)
}

// page starts the worker with the configuration of the query string and
// keeps the result's report (without its arrays) in window.__report.
const page = `<!doctype html>
<meta charset="utf-8">
<script>
const q = new URLSearchParams(location.search);
const w = new Worker("worker.js?v=browserrun");
const send = (kind, body) => w.postMessage({v: 1, kind, body: JSON.stringify(body), blobs: {}}, []);
window.__last = "";
w.onmessage = (e) => {
  const m = e.data, b = JSON.parse(m.body);
  if (m.kind === "ready") send("start", {run: 1, config: JSON.parse(q.get("config")), data_url: "/data/", workers: Number(q.get("workers"))});
  else if (m.kind === "progress") {
    window.__last = b.phase + " " + b.event + " " + b.epoch + "/" + b.epochs;
    window.__mem = Math.max(window.__mem || 0, b.memory_bytes || 0);
  }
  else if (m.kind === "result") window.__report = JSON.stringify(b.report);
  else if (m.kind === "error" && b.code !== "storage") window.__error = b.code + ": " + b.message;
};
send("hello", {build: "browserrun"});
</script>`

// Result is one run in the browser.
type Result struct {
	Report *nn.Report
	Wall   time.Duration // from opening the page to the result
	// PeakPSS and PeakRSS are the largest proportional and resident set
	// sizes, in bytes, of the renderer process that holds the page and
	// its workers (Chromium runs dedicated workers in their page's
	// process), sampled every 200 ms; PSS counts memory shared with other
	// processes (libraries) in proportion, so it is what the tab costs.
	PeakPSS, PeakRSS int64
	// WasmMemory is the largest size of the first worker's WebAssembly
	// memory (its Go heap and stacks) that its progress messages gave.
	WasmMemory int64
}

// Run trains cfg on workers Web Workers in a fresh headless Chromium
// profile, serving dir (see Build) and the dataset files in dataDir.
// progress, if not nil, gets the worker's last progress line when it
// changes.
func Run(dir, dataDir string, cfg nn.Config, workers int, progress func(string)) (*Result, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/", http.FileServer(http.Dir(dir)))
	mux.Handle("/data/", http.StripPrefix("/data/", http.FileServer(http.Dir(dataDir))))
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".wasm") {
			w.Header().Set("Content-Type", "application/wasm")
		}
		mux.ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	defer srv.Close()

	ctx, profile, stop, err := launch()
	if err != nil {
		return nil, err
	}
	defer stop()

	js, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	mem := startSampler(profile)
	defer mem.stop()

	start := time.Now()
	u := "http://" + ln.Addr().String() + "/index.html?" + url.Values{"config": {string(js)}, "workers": {fmt.Sprint(workers)}}.Encode()
	if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
		return nil, err
	}
	last := ""
	for {
		time.Sleep(time.Second)
		state, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[window.__report || "", window.__error || "", window.__last, String(window.__mem || 0)]`))
		if err != nil {
			return nil, err
		}
		if state[1] != "" {
			return nil, fmt.Errorf("worker: %s", state[1])
		}
		if state[0] != "" {
			var rep nn.Report
			if err := json.Unmarshal([]byte(state[0]), &rep); err != nil {
				return nil, err
			}
			wall := time.Since(start)
			pss, rss := mem.stop()
			wasm, _ := strconv.ParseInt(state[3], 10, 64)
			return &Result{Report: &rep, Wall: wall, PeakPSS: pss, PeakRSS: rss, WasmMemory: wasm}, nil
		}
		if state[2] != last && progress != nil {
			last = state[2]
			progress(last)
		}
	}
}

// launch starts headless Chromium with a fresh profile and returns the
// context of its first tab, already open (so that its processes exist for
// the sampler), the profile folder, and a function that closes it all.
func launch() (ctx context.Context, profile string, stop func(), err error) {
	chrome, err := exec.LookPath("chromium")
	if err != nil {
		return nil, "", nil, fmt.Errorf("chromium not installed (make chromium, or apt-get install chromium)")
	}
	profile, err = os.MkdirTemp("", "warmstart-browserrun-profile-")
	if err != nil {
		return nil, "", nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chrome),
		chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.WindowSize(1280, 1000), chromedp.UserDataDir(profile))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	stop = func() {
		cancelTab()
		cancelAlloc()
		os.RemoveAll(profile)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		stop()
		return nil, "", nil, err
	}
	return ctx, profile, stop, nil
}

// Prepare builds the worker into a new temporary folder (see Build) and
// finds the dataset; cleanup removes the folder.
func Prepare() (dir, dataDir string, cleanup func(), err error) {
	dir, err = os.MkdirTemp("", "warmstart-browserrun-")
	if err != nil {
		return "", "", nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	if err := Build(dir); err != nil {
		cleanup()
		return "", "", nil, err
	}
	if dataDir, err = data.Locate("", data.AllParts); err != nil {
		cleanup()
		return "", "", nil, err
	}
	return dir, dataDir, cleanup, nil
}

// sampler records the peak memory of the renderer processes of one
// Chromium profile.
type sampler struct {
	profile  string
	done     chan struct{}
	wg       sync.WaitGroup
	once     sync.Once
	pss, rss int64
}

func startSampler(profile string) *sampler {
	s := &sampler{profile: profile, done: make(chan struct{})}
	s.wg.Go(func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			pss, rss := s.sample()
			s.pss, s.rss = max(s.pss, pss), max(s.rss, rss)
			select {
			case <-s.done:
				return
			case <-t.C:
			}
		}
	})
	return s
}

// stop ends the sampling and returns the peaks.
func (s *sampler) stop() (pss, rss int64) {
	s.once.Do(func() { close(s.done) })
	s.wg.Wait()
	return s.pss, s.rss
}

// sample returns the largest PSS and RSS among the profile's renderer
// processes now. The page's tab is the only renderer that trains; the
// others (about:blank, extensions) are small.
func (s *sampler) sample() (pss, rss int64) {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range procs {
		cmd, err := os.ReadFile(f)
		if err != nil || !bytes.Contains(cmd, []byte("--type=renderer")) || !bytes.Contains(cmd, []byte(s.profile)) {
			continue
		}
		p, r := smapsRollup(filepath.Join(filepath.Dir(f), "smaps_rollup"))
		pss, rss = max(pss, p), max(rss, r)
	}
	return pss, rss
}

// smapsRollup reads the Pss and Rss lines of a /proc/PID/smaps_rollup, in
// bytes.
func smapsRollup(path string) (pss, rss int64) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "Pss" && k != "Rss") {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			continue
		}
		if k == "Pss" {
			pss = n << 10
		} else {
			rss = n << 10
		}
	}
	return pss, rss
}

// Version returns Chromium's version line.
func Version() string {
	out, err := exec.Command("chromium", "--version").Output()
	if err != nil {
		return "Chromium"
	}
	return strings.TrimSpace(string(out))
}

// RunApp opens the app that a `warmstart serve` serves at base in a fresh
// headless Chromium profile, presses "Quick test" (every phase, one epoch
// each), sets the Workers field, trains, and waits for the run to end,
// sampling the tab's memory throughout. IdlePSS is the tab before Train.
func RunApp(base string, workers int) (res *Result, idlePSS int64, err error) {
	ctx, profile, stop, err := launch()
	if err != nil {
		return nil, 0, err
	}
	defer stop()
	mem := startSampler(profile)
	defer mem.stop()

	start := time.Now()
	poll := func(what, expr string, timeout time.Duration) error {
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr,
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(timeout)))
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		return nil
	}
	const trainEnabled = `(() => { const b = document.querySelector("#settings button[type=submit]"); return !!b && !b.disabled; })()`
	if err := chromedp.Do(ctx, chromedp.Navigate(base)); err != nil {
		return nil, 0, err
	}
	if err := poll("the page and its worker", trainEnabled, 2*time.Minute); err != nil {
		return nil, 0, err
	}
	time.Sleep(2 * time.Second) // let the page settle
	idlePSS, _ = mem.sample()
	quick := chromedp.Search(`//button[normalize-space()="Quick test: 1 epoch each"]`)
	workersField := chromedp.ID("set-workers")
	if err := chromedp.Do(ctx,
		chromedp.Click(quick, chromedp.NodeVisible),
		chromedp.Focus(workersField),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[chromedp.Void](`document.getElementById("set-workers").select()`)(ctx, t)
			return err
		}),
		chromedp.SendKeys(workersField, strconv.Itoa(workers)),
		chromedp.Click(chromedp.CSS(`#settings button[type=submit]`), chromedp.NodeVisible),
	); err != nil {
		return nil, 0, fmt.Errorf("fill in the form and train: %w", err)
	}
	if err := poll("the end of the run", `!!document.querySelector(".run p.done, .run p.error, .banners [role=alert]")`, 20*time.Minute); err != nil {
		return nil, 0, err
	}
	msg, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`(document.querySelector(".run p.done, .run p.error, .banners [role=alert]") || {}).innerText || ""`))
	if err != nil {
		return nil, 0, err
	}
	if !strings.HasPrefix(msg, "The run finished.") {
		return nil, 0, fmt.Errorf("the run ended with %q", msg)
	}
	wall := time.Since(start)
	pss, rss := mem.stop()
	return &Result{Wall: wall, PeakPSS: pss, PeakRSS: rss}, idlePSS, nil
}
