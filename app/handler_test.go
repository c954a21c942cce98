//go:build !(js && wasm)

// go-app prerenders pages and runs its test engine only outside the
// browser; in a js/wasm build it drives the DOM instead.

package app

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const testBuild = "0123abcd4567"

// get answers a GET of path from a new handler of testBuild.
func get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	h := NewHandler(testBuild)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	res := rec.Result()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

func TestNewHandler(t *testing.T) {
	h := NewHandler(testBuild)
	if h.Version != testBuild {
		t.Errorf("Version %q, want the build %q: a redeploy must change app-worker.js", h.Version, testBuild)
	}
	for _, want := range []string{
		"/web/worker.js?v=" + testBuild,
		"/web/worker.wasm?v=" + testBuild,
		"/web/wasm_exec.js?v=" + testBuild,
	} {
		if !slices.Contains(h.CacheableResources, want) {
			t.Errorf("CacheableResources %v lack %s", h.CacheableResources, want)
		}
	}
	if h.Name != "warmstart" || h.Title == "" || h.Description == "" {
		t.Errorf("name %q, title %q, description %q", h.Name, h.Title, h.Description)
	}
	// Every icon and style is served from the app's own origin: the
	// server's Content-Security-Policy refuses go-app's default icons on
	// raw.githubusercontent.com.
	for _, u := range append([]string{h.Icon.Default, h.Icon.Large, h.Icon.SVG, h.Icon.Maskable}, h.Styles...) {
		if !strings.HasPrefix(u, "/web/") {
			t.Errorf("resource %q is not under /web/", u)
		}
		if _, err := os.Stat(filepath.Join("..", strings.Split(u, "?")[0])); err != nil {
			t.Errorf("resource %q: %v", u, err)
		}
	}
}

// TestNewHandlerWorkerURL checks that the page starts exactly the worker
// URL that the service worker caches for its build.
func TestNewHandlerWorkerURL(t *testing.T) {
	if !slices.Contains(NewHandler(testBuild).CacheableResources, workerURL(testBuild)) {
		t.Errorf("the service worker does not cache %s, the URL the page starts", workerURL(testBuild))
	}
}

func TestServiceWorker(t *testing.T) {
	res, js := get(t, "/app-worker.js")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/app-worker.js: %s", res.Status)
	}
	if !strings.Contains(js, `const cacheName = "app-" + "`+testBuild+`";`) {
		t.Errorf("the cache name is not app-<build>:\n%s", js)
	}
	if strings.Contains(js, "{{") {
		t.Errorf("a template placeholder is left:\n%s", js)
	}
	m := regexp.MustCompile(`const resourcesToCache = (\[.*\]);`).FindStringSubmatch(js)
	if m == nil {
		t.Fatalf("no resource list:\n%s", js)
	}
	var urls []string
	if err := json.Unmarshal([]byte(m[1]), &urls); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"/", "/web/app.wasm", "/app.js", "/wasm_exec.js", "/web/worker.js?v=" + testBuild,
		"/web/worker.wasm?v=" + testBuild, "/web/wasm_exec.js?v=" + testBuild} {
		if !slices.Contains(urls, want) {
			t.Errorf("the service worker does not cache %s: %v", want, urls)
		}
	}

	// The activate step deletes only caches named app-*: the worker's
	// warmstart-data-v1 and warmstart-store-v1 must survive an update.
	// go-app's default template deletes every cache but its own.
	if !strings.Contains(js, `key.startsWith(appCachePrefix) && key !== cacheName`) ||
		!strings.Contains(js, `const appCachePrefix = "app-";`) {
		t.Errorf("activate does not limit itself to app-* caches:\n%s", js)
	}
	if strings.Contains(js, "if (key !== cacheName)") {
		t.Error("the service worker still deletes every other cache, as go-app's default does")
	}
	// Install never caches an answer that is not OK.
	if !strings.Contains(js, "if (!response.ok)") || strings.Contains(js, "addAll(") {
		t.Error("install does not check each response before caching it")
	}
}

// TestServiceWorkerInNode runs the generated service worker through its
// install, activate and fetch events in Node, with fake Cache Storage.
func TestServiceWorkerInNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not found; TestServiceWorker checks the script's text")
	}
	_, js := get(t, "/app-worker.js")
	sw := filepath.Join(t.TempDir(), "app-worker.js")
	if err := os.WriteFile(sw, []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, "testdata/sw_harness.js", sw).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("harness: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	type step struct {
		Waited bool
		OK     bool
		Error  string
	}
	type fetched struct {
		Intercepted bool
		Status      int
		Body        string
		Error       string
	}
	var r struct {
		Update struct {
			Install, Activate step
			Cached            []string
			Caches            []string
			Claimed, Skipped  bool
			NoCache           bool
		}
		Fetch struct {
			Cached            fetched
			FromNetwork       int
			Post, Range, Data fetched
		}
		Offline struct{ Route, UnknownRoute, Asset fetched }
		Broken  struct {
			Install step
			Caches  []string
		}
		First struct {
			Activate step
			Claimed  bool
			Caches   []string
		}
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}

	u := r.Update
	if !u.Install.Waited || !u.Install.OK || !u.Activate.Waited || !u.Activate.OK {
		t.Fatalf("update: install %+v, activate %+v; want both awaited with waitUntil and OK", u.Install, u.Activate)
	}
	if !u.Skipped || !u.NoCache {
		t.Errorf("update: skipWaiting %v, fetched past the HTTP cache %v; want both", u.Skipped, u.NoCache)
	}
	mine := "app-" + testBuild
	wantCaches := []string{mine, "unrelated", "warmstart-data-v1", "warmstart-store-v1"}
	slices.Sort(u.Caches)
	if !slices.Equal(u.Caches, wantCaches) {
		t.Errorf("caches after the update: %v, want %v (only app-old deleted)", u.Caches, wantCaches)
	}
	if !slices.Contains(u.Cached, "/web/worker.wasm?v="+testBuild) || !slices.Contains(u.Cached, "/") {
		t.Errorf("cached %v", u.Cached)
	}
	if !u.Claimed {
		t.Error("an update did not claim the open pages, so they never hear of it")
	}

	f := r.Fetch
	if !f.Cached.Intercepted || f.Cached.Body != "body of /web/app.wasm" || f.FromNetwork != 0 {
		t.Errorf("a cached file: %+v, %d network fetches; want it from the cache", f.Cached, f.FromNetwork)
	}
	if f.Post.Intercepted || f.Range.Intercepted {
		t.Errorf("POST intercepted %v, range request intercepted %v; want neither", f.Post.Intercepted, f.Range.Intercepted)
	}
	if !f.Data.Intercepted || f.Data.Status != 200 {
		t.Errorf("dataset file: %+v; want it passed to the network", f.Data)
	}

	o := r.Offline
	if o.Route.Body != "body of /" {
		t.Errorf("offline /results?tab=2: %+v; want the app shell /", o.Route)
	}
	if o.UnknownRoute.Body != "body of /" {
		t.Errorf("offline unknown route: %+v; want the app shell /", o.UnknownRoute)
	}
	if o.Asset.Error == "" {
		t.Errorf("offline uncached asset: %+v; want the network error", o.Asset)
	}

	if r.Broken.Install.OK || !r.Broken.Install.Waited {
		t.Errorf("an install with a 404 succeeded: %+v", r.Broken.Install)
	}
	if slices.Contains(r.Broken.Caches, mine) || !slices.Contains(r.Broken.Caches, "app-old") {
		t.Errorf("after a refused install the caches are %v; want app-old kept and no %s", r.Broken.Caches, mine)
	}

	if !r.First.Activate.OK || r.First.Claimed {
		t.Errorf("first install: activate %+v, claimed %v; want OK and no claim (a claim would report an update)",
			r.First.Activate, r.First.Claimed)
	}
	if !slices.Contains(r.First.Caches, "warmstart-data-v1") {
		t.Errorf("first install removed the dataset cache: %v", r.First.Caches)
	}
}

func TestRoutesPrerender(t *testing.T) {
	Routes()
	for _, v := range views {
		res, body := get(t, v.path)
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: %s", v.path, res.Status)
			continue
		}
		if !strings.Contains(body, "<title>"+v.title+" · warmstart</title>") {
			t.Errorf("%s: title is not %q", v.path, v.title)
		}
		if !strings.Contains(body, `aria-current="page"`) || !strings.Contains(body, `class="shell"`) {
			t.Errorf("%s: the prerendered page lacks the shell", v.path)
		}
	}
	if res, _ := get(t, "/nowhere"); res.StatusCode != http.StatusNotFound {
		t.Errorf("/nowhere: %s, want 404", res.Status)
	}
}
