//go:build !js

package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"

	webapp "warmstart/app"
	"warmstart/nn/data"
	"warmstart/server/internal/serve"
	"warmstart/wasm/protocol"
)

// buildRoot holds the web folders that the tests build, shared by every
// test of the binary (a build takes tens of seconds).
var buildRoot string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "warmstart-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildRoot = dir
	// go-app logs with fmt.Printf; the tests say what matters themselves.
	goapp.DefaultLogger = func(string, ...any) {}
	webapp.Routes()
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// repoRoot returns the repository's root folder: the nearest parent with
// the go.mod of module warmstart.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.HasPrefix(string(b), "module warmstart\n") {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod of module warmstart above the working directory")
		}
		dir = parent
	}
}

// goTool returns the go command that runs this test: `go test` puts its
// own GOROOT/bin first on the PATH of the test binary, so the wasm files
// and wasm_exec.js come from the same Go release as this binary (and so
// as go-app's choice of wasm_exec.js, which follows runtime.Version).
func goTool(t testing.TB) (goBin, goroot string) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command on PATH: %v", err)
	}
	out, err := exec.Command(goBin, "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	return goBin, strings.TrimSpace(string(out))
}

// makeEnv is the environment of a make run from a test: that of the test
// without what an enclosing `make test` passes down (its flags and job
// server) and without GOEXPERIMENT, which `make test` sets for the native
// build only; make web runs without it.
func makeEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "GOEXPERIMENT", "GOOS", "GOARCH":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// runMake runs `make target WEB=dir BUILD=build` in the repository with
// this test's go command, the way a developer runs make web.
func runMake(t testing.TB, target, dir, build string) {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatalf("make is needed to build the web files as make web does: %v", err)
	}
	goBin, _ := goTool(t)
	cmd := exec.Command("make", "-s", "--no-print-directory", target, "WEB="+dir, "BUILD="+build, "GO="+goBin)
	cmd.Dir = repoRoot(t)
	cmd.Env = makeEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make %s WEB=%s BUILD=%s: %v\n%s", target, dir, build, err, out)
	}
}

// copyStatic copies the static files of the repository's web folder (the
// worker's bootstrap, the stylesheet, the icons) into dir: everything
// there except what make web builds.
func copyStatic(t testing.TB, dir string) {
	t.Helper()
	src := filepath.Join(repoRoot(t), "web")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || strings.HasPrefix(name, ".") || name == "wasm_exec.js" ||
			strings.HasSuffix(name, ".wasm") || strings.HasSuffix(name, ".gz") || strings.HasSuffix(name, ".br") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		n++
	}
	for _, need := range []string{"worker.js", "app.css", "icon.svg", "icon-192.png"} {
		if _, err := os.Stat(filepath.Join(dir, need)); err != nil {
			t.Fatalf("web/%s is missing: %v", need, err)
		}
	}
}

// webBuild is a web folder holding one build of the app: both wasm files
// built with id as their build id, the glue and the static files.
type webBuild struct {
	id, dir string
	took    time.Duration
}

var (
	buildsMu sync.Mutex
	builds   = map[string]*webBuild{}
)

// buildWeb builds the app as `make web-wasm` does (make web without the
// compressed copies) with build id id, once per test binary.
func buildWeb(t testing.TB, id string) *webBuild {
	t.Helper()
	buildsMu.Lock()
	defer buildsMu.Unlock()
	if b, ok := builds[id]; ok {
		return b
	}
	if buildRoot == "" {
		t.Fatal("buildRoot unset: TestMain did not run")
	}
	dir := filepath.Join(buildRoot, id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	runMake(t, "web-wasm", dir, id)
	copyStatic(t, dir)
	b := &webBuild{id: id, dir: dir, took: time.Since(start)}
	t.Logf("built the app (build %s) in %v", id, b.took.Round(100*time.Millisecond))
	builds[id] = b
	return b
}

var (
	dataOnce sync.Once
	dataDir  string
	dataSet  *serve.Data
	dataErr  error
)

// serverData returns the real dataset, checked as `warmstart serve` checks
// it, loaded once.
func serverData(t testing.TB) (string, *serve.Data) {
	t.Helper()
	dataOnce.Do(func() {
		dataDir, dataErr = data.Locate("", data.AllParts)
		if dataErr != nil {
			return
		}
		dataSet, dataErr = serve.LoadData(dataDir)
	})
	if dataErr != nil {
		t.Fatalf("the real Fashion-MNIST files are needed (make data): %v", dataErr)
	}
	return dataDir, dataSet
}

// request is one request as the server logged it.
type request struct {
	Method, Path string
	Status       int
}

// reqLog is the server's log: a slog handler that keeps the request lines
// of serve.Handler.
type reqLog struct {
	mu   sync.Mutex
	reqs []request
}

func (l *reqLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *reqLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *reqLog) WithGroup(string) slog.Handler            { return l }

func (l *reqLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "request" {
		return nil
	}
	var q request
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "method":
			q.Method = a.Value.String()
		case "path":
			q.Path = a.Value.String()
		case "status":
			q.Status = int(a.Value.Int64())
		}
		return true
	})
	l.mu.Lock()
	l.reqs = append(l.reqs, q)
	l.mu.Unlock()
	return nil
}

// mark returns a position in the log, for since.
func (l *reqLog) mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.reqs)
}

// since returns the requests logged after mark whose path starts with
// prefix.
func (l *reqLog) since(mark int, prefix string) []request {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []request
	for _, q := range l.reqs[mark:] {
		if strings.HasPrefix(q.Path, prefix) {
			out = append(out, q)
		}
	}
	return out
}

// server serves one build at a time on one loopback address, with the
// handler of `warmstart serve` (serve.New, the checked dataset, the web
// folder and the go-app handler of the build). use switches the build in
// place: same origin, as a redeploy behind the same address.
type server struct {
	t        testing.TB
	URL      string
	log      *reqLog
	cur      atomic.Pointer[serve.Handler]
	override atomic.Pointer[map[string][]byte] // paths answered with these bytes instead
}

func newServer(t testing.TB, b *webBuild) *server {
	t.Helper()
	s := &server{t: t, log: &reqLog{}}
	s.use(b)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := s.override.Load(); o != nil {
			if body, ok := (*o)[r.URL.Path]; ok {
				w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
				w.Header().Set("Cache-Control", "no-cache")
				w.Write(body)
				return
			}
		}
		s.cur.Load().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// use makes the server serve build b from now on.
func (s *server) use(b *webBuild) {
	s.t.Helper()
	_, ds := serverData(s.t)
	// The server prerenders the pages, whose footer shows protocol.Build.
	protocol.Build = b.id
	h, err := serve.New(serve.Options{
		Data:   ds,
		WebDir: b.dir,
		App:    webapp.NewHandler(b.id),
		Log:    slog.New(s.log),
	})
	if err != nil {
		s.t.Fatal(err)
	}
	if old := s.cur.Swap(h); old != nil {
		old.Close()
	}
	s.t.Cleanup(func() { h.Close() })
}

// get fetches path from the server and returns the body.
func (s *server) get(path string) []byte {
	s.t.Helper()
	resp, err := http.Get(s.URL + path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("GET %s: %s", path, resp.Status)
	}
	return b
}

// findChromium returns the browser's path. A full run fails without one:
// `make test` installs it (make chromium).
func findChromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium on PATH: the browser tests need it. Run `make chromium` " +
		"(apt-get install chromium), or skip them with go test -short.")
	return ""
}

// skipShort skips a browser test in -short mode.
func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test in headless Chromium on the real data: skipped with -short")
	}
}

// newBrowser starts headless Chromium with a profile of its own and
// returns the context of its first tab.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(findChromium(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 1000),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// page is a tab of the app.
type page struct {
	t    *testing.T
	ctx  context.Context
	base string

	consoleMu sync.Mutex
	console   []string // the last lines the page wrote to its console
}

// openPage opens base in a new tab of browser and follows its console;
// the last lines are logged if the test fails. The setup actions run in
// the tab before it loads the page.
func openPage(t *testing.T, browser context.Context, base string, setup ...chromedp.Action[chromedp.Void]) *page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	p := &page{t: t, ctx: ctx, base: base}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			p.consoleMu.Lock()
			p.console = append(p.console, time.Now().Format("15:04:05.000 ")+m.String())
			if len(p.console) > 40 {
				p.console = p.console[1:]
			}
			p.consoleMu.Unlock()
		}
	}()
	t.Cleanup(func() {
		if t.Failed() {
			p.consoleMu.Lock()
			t.Logf("the page's console, last lines:\n%s", strings.Join(p.console, "\n"))
			p.consoleMu.Unlock()
		}
	})
	p.do("set up the tab", setup...)
	p.navigate("/")
	return p
}

func (p *page) navigate(path string) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, chromedp.Navigate(p.base+path)); err != nil {
		p.t.Fatalf("open %s: %v", path, err)
	}
}

func (p *page) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v%s", what, err, p.state())
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](p *page, expr string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v%s", expr, err, p.state())
	}
	return v
}

// await evaluates an expression whose value is a promise.
func await[T any](p *page, expr string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v%s", expr, err, p.state())
	}
	return v
}

// wait polls the JavaScript expression expr until it is truthy and returns
// its value, failing the test after timeout with what it waited for.
func wait[T any](p *page, what, expr string, timeout time.Duration) T {
	p.t.Helper()
	v, err := tryWait[T](p, expr, timeout)
	if err != nil {
		p.t.Fatalf("waiting %v for %s: %v%s", timeout, what, err, p.state())
	}
	return v
}

func tryWait[T any](p *page, expr string, timeout time.Duration) (T, error) {
	return chromedp.Run(p.ctx, chromedp.Poll[T](expr,
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(timeout)))
}

// state describes what the page shows, for failure messages.
func (p *page) state() string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		const q = (s) => [...document.querySelectorAll(s)].map(e => e.innerText.trim().replace(/\s+/g, " ")).join(" | ");
		return "\n  url: " + location.href + "\n  banners: " + q(".banners") + "\n  main: " + q("main").slice(0, 1500) + "\n  footer: " + q("footer");
	})()`))
	if err != nil {
		return fmt.Sprintf(" (page state unavailable: %v)", err)
	}
	return s
}

// click clicks the element that the CSS selector sel finds, with the mouse.
func (p *page) click(sel string) {
	p.t.Helper()
	p.do("click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// clickButton clicks the button whose text is text.
func (p *page) clickButton(text string) {
	p.t.Helper()
	p.do("click the button "+text, chromedp.Click(chromedp.Search(fmt.Sprintf(`//button[normalize-space()=%q]`, text)), chromedp.NodeVisible))
}

// setField types v into the input with id, replacing what it held, and
// checks that the page took it.
func (p *page) setField(id, v string) {
	p.t.Helper()
	sel := chromedp.ID(id)
	p.do("type into #"+id,
		chromedp.Focus(sel),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.getElementById(%q).select()`, id))(ctx, t)
			return err
		}),
		chromedp.SendKeys(sel, v),
	)
	got := eval[string](p, fmt.Sprintf(`document.getElementById(%q).value`, id))
	if got != v {
		p.t.Fatalf("#%s holds %q after typing %q", id, got, v)
	}
}

// setChecked sets the checkbox with id by clicking it if needed.
func (p *page) setChecked(id string, on bool) {
	p.t.Helper()
	js := fmt.Sprintf(`document.getElementById(%q).checked`, id)
	if eval[bool](p, js) != on {
		p.click("#" + id)
	}
	if eval[bool](p, js) != on {
		p.t.Fatalf("#%s did not change", id)
	}
}

// screenshot saves a full-page PNG under out/test/e2e/ and logs its path.
func (p *page) screenshot(name string) {
	p.t.Helper()
	b, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	dir := filepath.Join(repoRoot(p.t), "out", "test", "e2e")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot: %s", path)
}
