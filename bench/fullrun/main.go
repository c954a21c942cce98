// Command fullrun measures the whole default experiment (SPEC phases 1
// to 4, every setting at its default) in the product's training worker
// in headless Chromium, and writes the wall time of each phase, next to
// a native run's, to a Markdown file that the README quotes. It is slow
// (minutes) and run by hand or by `make bench-browser`, not by tests.
//
//	go run ./bench/fullrun -workers 2 -out bench/browser-run.md
package main

import (
	"context"
	"encoding/json"
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
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"warmstart/nn"
	"warmstart/nn/data"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("fullrun: ")
	workers := flag.Int("workers", runtime.NumCPU(), "Web Workers training data-parallel")
	out := flag.String("out", "bench/browser-run.md", "Markdown report")
	native := flag.String("native", "", "results.json of a native run of the default experiment to compare with (optional)")
	epochs := flag.Int("epochs", 0, "epochs of every phase (0: the default); for trying the tool out")
	flag.Parse()

	tmp, err := os.MkdirTemp("", "warmstart-fullrun-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	if err := build(tmp); err != nil {
		log.Fatal(err)
	}
	dataDir, err := data.Locate("", data.AllParts)
	if err != nil {
		log.Fatal(err)
	}
	cfg := nn.DefaultConfig()
	if *epochs > 0 {
		for _, p := range nn.AllPhases {
			t := cfg.TrainFor(p)
			t.Epochs = *epochs
			setTrain(&cfg, p, t)
		}
	}
	start := time.Now()
	rep, err := run(tmp, dataDir, cfg, *workers)
	if err != nil {
		log.Fatal(err)
	}
	wall := time.Since(start)

	var nat *nn.Report
	if *native != "" {
		b, err := os.ReadFile(*native)
		if err != nil {
			log.Fatal(err)
		}
		nat = new(nn.Report)
		if err := json.Unmarshal(b, nat); err != nil {
			log.Fatal(err)
		}
	}
	md := report(rep, nat, cfg, *workers, wall)
	if err := os.WriteFile(*out, []byte(md), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Print(md)
}

func setTrain(c *nn.Config, p nn.Phase, t nn.Train) {
	switch p {
	case nn.PhaseBaseline:
		c.Baseline = t
	case nn.PhaseDAE:
		c.DAE = t
	case nn.PhasePretrained:
		c.Pretrained = t
	default:
		c.FineTune = t
	}
}

// build puts the worker, its bootstrap and glue, and the driving page
// into dir.
func build(dir string) error {
	cmd := exec.Command("go", "build", "-ldflags", "-s -w -X warmstart/wasm/protocol.Build=fullrun",
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
const w = new Worker("worker.js?v=fullrun");
const send = (kind, body) => w.postMessage({v: 1, kind, body: JSON.stringify(body), blobs: {}}, []);
window.__last = "";
w.onmessage = (e) => {
  const m = e.data, b = JSON.parse(m.body);
  if (m.kind === "ready") send("start", {run: 1, config: JSON.parse(q.get("config")), data_url: "/data/", workers: Number(q.get("workers"))});
  else if (m.kind === "progress") window.__last = b.phase + " " + b.event + " " + b.epoch + "/" + b.epochs;
  else if (m.kind === "result") window.__report = JSON.stringify(b.report);
  else if (m.kind === "error" && b.code !== "storage") window.__error = b.code + ": " + b.message;
};
send("hello", {build: "fullrun"});
</script>`

func run(dir, dataDir string, cfg nn.Config, workers int) (*nn.Report, error) {
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

	chrome, err := exec.LookPath("chromium")
	if err != nil {
		return nil, fmt.Errorf("chromium not installed (apt-get install chromium)")
	}
	profile, err := os.MkdirTemp("", "warmstart-fullrun-profile-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(profile)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chrome),
		chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.UserDataDir(profile))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()

	js, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	u := "http://" + ln.Addr().String() + "/index.html?" + url.Values{"config": {string(js)}, "workers": {fmt.Sprint(workers)}}.Encode()
	if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
		return nil, err
	}
	last := ""
	for {
		time.Sleep(5 * time.Second)
		state, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[window.__report || "", window.__error || "", window.__last]`))
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
			return &rep, nil
		}
		if state[2] != last {
			last = state[2]
			log.Print(last)
		}
	}
}

func report(rep, nat *nn.Report, cfg nn.Config, workers int, wall time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# The whole experiment in the browser\n\n")
	fmt.Fprintf(&b, "Generated by `go run ./bench/fullrun` on %s. Do not edit by hand.\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "The product's training worker (web/worker.js, Go WebAssembly) in headless %s, %d data-parallel worker(s), "+
		"on %d logical CPUs; seed %d, every other setting SPEC's default. Wall time per phase, training and evaluation.\n\n",
		version(), workers, runtime.NumCPU(), cfg.Seed)
	fmt.Fprintf(&b, "| phase | epochs | browser | browser images/s (last epoch) | test accuracy |")
	if nat != nil {
		fmt.Fprintf(&b, " native | native test accuracy |")
	}
	fmt.Fprintf(&b, "\n|---|---|---|---|---|")
	if nat != nil {
		fmt.Fprintf(&b, "---|---|")
	}
	fmt.Fprintf(&b, "\n")
	type row struct {
		p       nn.Phase
		secs    float64
		rate    float64
		acc     string
		natSecs float64
		natAcc  string
	}
	phase := func(r *nn.Report, p nn.Phase) (float64, float64, string) {
		if r == nil {
			return 0, 0, ""
		}
		if p == nn.PhaseDAE {
			if r.DAE == nil {
				return 0, 0, ""
			}
			h := r.DAE.History
			return r.DAE.Seconds, h[len(h)-1].ImagesPerSec, fmt.Sprintf("val MSE %.4f", r.DAE.ValMSE)
		}
		var c *nn.ClassifierResult
		switch p {
		case nn.PhaseBaseline:
			c = r.Baseline
		case nn.PhasePretrained:
			c = r.Pretrained
		default:
			c = r.FineTuned
		}
		if c == nil {
			return 0, 0, ""
		}
		h := c.History
		return c.Seconds, h[len(h)-1].ImagesPerSec, fmt.Sprintf("%.2f%%", 100*c.Test.Accuracy)
	}
	var total, natTotal float64
	for _, p := range cfg.Phases {
		s, rate, acc := phase(rep, p)
		total += s
		fmt.Fprintf(&b, "| %s | %d | %s | %.0f | %s |", p, cfg.TrainFor(p).Epochs, dur(s), rate, acc)
		if nat != nil {
			ns, _, nacc := phase(nat, p)
			natTotal += ns
			fmt.Fprintf(&b, " %s | %s |", dur(ns), nacc)
		}
		fmt.Fprintf(&b, "\n")
	}
	fmt.Fprintf(&b, "| all phases | | %s | | |", dur(total))
	if nat != nil {
		fmt.Fprintf(&b, " %s | |", dur(natTotal))
	}
	fmt.Fprintf(&b, "\n\nFrom opening the page to the result, dataset download and checks included: %s.\n", dur(wall.Seconds()))
	return b.String()
}

func dur(s float64) string {
	d := time.Duration(s * float64(time.Second)).Round(time.Second)
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}

func version() string {
	out, err := exec.Command("chromium", "--version").Output()
	if err != nil {
		return "Chromium"
	}
	return strings.TrimSpace(string(out))
}
