package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"warmstart/nn/data"
)

func TestDistRefusesForeignFolder(t *testing.T) {
	dir := t.TempDir()
	if err := checkReplaceable(filepath.Join(dir, "missing")); err != nil {
		t.Errorf("a missing folder: %v", err)
	}
	if err := checkReplaceable(dir); err != nil {
		t.Errorf("an empty folder: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "thesis.tex"), []byte("mine"), 0o644)
	if err := checkReplaceable(dir); err == nil || !strings.Contains(err.Error(), "not written by warmstart dist") {
		t.Errorf("a folder of someone else's files: %v, want a refusal", err)
	}
	os.WriteFile(filepath.Join(dir, distMarker), nil, 0o644)
	if err := checkReplaceable(dir); err != nil {
		t.Errorf("a folder dist wrote: %v", err)
	}
}

// fakeWeb writes a web folder with stand-ins for the built files.
func fakeWeb(t *testing.T) string {
	t.Helper()
	web := t.TempDir()
	for name, body := range map[string]string{
		"app.wasm":     "\x00asm page",
		"app.wasm.gz":  "gz",
		"worker.wasm":  "\x00asm worker",
		"worker.js":    "// worker",
		"wasm_exec.js": "// wasm_exec.js of the compiler that built the wasm",
		"app.css":      "body{}",
		".hidden":      "never copied",
	} {
		if err := os.WriteFile(filepath.Join(web, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return web
}

func TestDistWritesSite(t *testing.T) {
	dataDir, err := data.Locate("", data.AllParts)
	if err != nil {
		t.Skip("no Fashion-MNIST files here:", err)
	}
	web := fakeWeb(t)
	out := filepath.Join(t.TempDir(), "site")
	a, stdout, stderr := newTestApp()
	if code := a.dist(context.Background(), []string{"-out", out, "-web", web, "-data", dataDir}); code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout.String(), "wrote "+out) {
		t.Errorf("stdout %q", stdout)
	}
	for _, name := range []string{
		"index.html", "results.html", "classify.html", "about.html",
		"app.js", "app-worker.js", "manifest.webmanifest", "wasm_exec.js", "_headers", distMarker,
		"web/app.wasm", "web/app.wasm.gz", "web/worker.wasm", "web/worker.js",
		"data/train-images-idx3-ubyte.gz", "data/train-labels-idx1-ubyte.gz",
		"data/t10k-images-idx3-ubyte.gz", "data/t10k-labels-idx1-ubyte.gz",
	} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("site lacks %s: %v", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "web", ".hidden")); err == nil {
		t.Error("a hidden file was copied")
	}
	// The site's /wasm_exec.js is the one of the compiler that built the
	// wasm, not go-app's copy (failure case C13).
	got, _ := os.ReadFile(filepath.Join(out, "wasm_exec.js"))
	if want, _ := os.ReadFile(filepath.Join(web, "wasm_exec.js")); !bytes.Equal(got, want) {
		t.Errorf("/wasm_exec.js is not the web folder's copy: %.60q", got)
	}
	hdr, _ := os.ReadFile(filepath.Join(out, "_headers"))
	if !strings.Contains(string(hdr), "/data/*") || !strings.Contains(string(hdr), "Content-Security-Policy") {
		t.Errorf("_headers:\n%s", hdr)
	}
	page, _ := os.ReadFile(filepath.Join(out, "results.html"))
	if !strings.Contains(string(page), "<title>Results · warmstart</title>") {
		t.Errorf("results.html is not the prerendered Results view")
	}

	// A second run replaces the site it wrote.
	os.WriteFile(filepath.Join(out, "stale.txt"), nil, 0o644)
	if code := a.dist(context.Background(), []string{"-out", out, "-web", web, "-data", dataDir}); code != exitOK {
		t.Fatalf("second run: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "stale.txt")); err == nil {
		t.Error("the second run kept a file of the first site")
	}
}

func TestDistNeedsBuiltWeb(t *testing.T) {
	web := fakeWeb(t)
	os.Remove(filepath.Join(web, "worker.wasm"))
	a, _, stderr := newTestApp()
	if code := a.dist(context.Background(), []string{"-out", filepath.Join(t.TempDir(), "site"), "-web", web}); code != exitError {
		t.Errorf("exit %d, want %d", code, exitError)
	}
	if !strings.Contains(stderr.String(), "worker.wasm") || !strings.Contains(stderr.String(), "make web") {
		t.Errorf("stderr %q does not name the missing file and the fix", stderr)
	}
}

// TestDistCompressesRawData: a dataset file kept decompressed under its
// .gz name (which the reader accepts) is gzipped in the site, whose
// _headers announce /data/* as application/gzip.
func TestDistCompressesRawData(t *testing.T) {
	dataDir, err := data.Locate("", data.AllParts)
	if err != nil {
		t.Skip("no Fashion-MNIST files here:", err)
	}
	mixed := t.TempDir()
	raw := data.TrainLabelsFile
	var want []byte
	for _, f := range data.PublishedFiles() {
		b, err := os.ReadFile(filepath.Join(dataDir, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == raw {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if b, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
			want = b
		}
		if err := os.WriteFile(filepath.Join(mixed, f.Name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "site")
	a, _, stderr := newTestApp()
	if code := a.dist(context.Background(), []string{"-out", out, "-web", fakeWeb(t), "-data", mixed}); code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	b, err := os.ReadFile(filepath.Join(out, "data", raw))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the site's %s is not gzip: %v", raw, err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("the site's %s decompresses to %d bytes (%v), want the %d of the original", raw, len(got), err, len(want))
	}
	// A file that was gzip already is copied byte for byte.
	orig, _ := os.ReadFile(filepath.Join(dataDir, data.TestLabelsFile))
	if copied, _ := os.ReadFile(filepath.Join(out, "data", data.TestLabelsFile)); !bytes.Equal(copied, orig) {
		t.Errorf("%s was not copied as it is", data.TestLabelsFile)
	}
}
