package serve

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"warmstart/nn/data"
)

// fixtureCheck checks a fixture's kind and format as LoadData does, but
// not its count or published SHA-256, which tiny fixtures cannot match.
func fixtureCheck(name string, r io.Reader) error {
	var err error
	if strings.Contains(filepath.Base(name), "images") {
		_, err = data.DecodeImages(name, r)
	} else {
		_, err = data.DecodeLabels(name, r)
	}
	return err
}

// idxImages returns n valid 28x28 images in raw IDX.
func idxImages(t testing.TB, n int) []byte {
	t.Helper()
	im := &data.Images{N: n, Rows: 28, Cols: 28, Pix: make([]uint8, n*28*28)}
	for i := range im.Pix {
		im.Pix[i] = uint8(i * 7)
	}
	var b bytes.Buffer
	if err := data.EncodeImages(&b, im); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// idxLabels returns n valid labels in raw IDX.
func idxLabels(t testing.TB, n int) []byte {
	t.Helper()
	labels := make([]uint8, n)
	for i := range labels {
		labels[i] = uint8(i % data.NumClasses)
	}
	var b bytes.Buffer
	if err := data.EncodeLabels(&b, labels); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fixtureFiles returns valid gzip-compressed contents for the four
// dataset file names.
func fixtureFiles(t testing.TB) map[string][]byte {
	t.Helper()
	return map[string][]byte{
		data.TrainImagesFile: data.GzipBytes(idxImages(t, 5)),
		data.TrainLabelsFile: data.GzipBytes(idxLabels(t, 5)),
		data.TestImagesFile:  data.GzipBytes(idxImages(t, 3)),
		data.TestLabelsFile:  data.GzipBytes(idxLabels(t, 3)),
	}
}

func writeFiles(t testing.TB, dir string, files map[string][]byte) {
	t.Helper()
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// testSite is a handler over fixture data and a web folder, with a stand-in
// app, and the files behind them.
type testSite struct {
	h       *Handler
	root    string // parent of data/ and web/, holding secret.txt too
	dataDir string
	webDir  string
	data    map[string][]byte
	web     map[string][]byte
}

const secret = "SECRET-CONTENT-OUTSIDE-THE-WEB-FOLDER"

// appBody is what the stand-in app answers, after the path it was given.
const appBody = "stand-in app: "

func standInApp() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		io.WriteString(w, appBody+r.URL.Path)
	})
}

func newTestSite(t testing.TB) *testSite {
	t.Helper()
	root := t.TempDir()
	s := &testSite{
		root:    root,
		dataDir: filepath.Join(root, "data"),
		webDir:  filepath.Join(root, "web"),
		data:    fixtureFiles(t),
	}
	wasm := bytes.Repeat([]byte("\x00asm\x01\x00\x00\x00 fake module "), 200)
	s.web = map[string][]byte{
		"app.wasm":             wasm,
		"app.wasm.br":          []byte("pretend-brotli-of-app.wasm"),
		"app.wasm.gz":          data.GzipBytes(wasm),
		"worker.js":            []byte("self.onmessage = () => {};\n"),
		"worker.js.gz":         data.GzipBytes([]byte("self.onmessage = () => {};\n")),
		"style.css":            []byte("body { margin: 0 }\n"),
		"icon.svg":             []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`),
		"icon.png":             []byte("\x89PNG\r\n\x1a\n fake"),
		"manifest.webmanifest": []byte(`{"name":"warmstart"}`),
		"info.json":            []byte(`{"ok":true}`),
		"model.bin":            []byte("binary"),
		"sub/page.html":        []byte("<!doctype html><p>sub"),
		".env":                 []byte(secret),
		".git/config":          []byte(secret),
		"sub/.hidden":          []byte(secret),
	}
	writeFiles(t, s.dataDir, s.data)
	writeFiles(t, s.webDir, s.web)
	writeFiles(t, root, map[string][]byte{"secret.txt": []byte(secret)})
	for link, target := range map[string]string{
		"escape.txt": "../secret.txt",                   // a file outside the folder
		"escdir":     "..",                              // a folder outside it
		"abs.txt":    filepath.Join(root, "secret.txt"), // an absolute link out
		"alias.js":   "worker.js",                       // a link that stays inside
	} {
		if err := os.Symlink(target, filepath.Join(s.webDir, link)); err != nil {
			t.Skipf("symbolic links: %v", err)
		}
	}
	d, err := loadData(s.dataDir, fixtureCheck)
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Options{Data: d, WebDir: s.webDir, App: standInApp()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	s.h = h
	return s
}

// do sends a request with the raw request target and headers (name,
// value pairs) to the site's handler.
func (s *testSite) do(method, target string, headers ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	s.h.ServeHTTP(w, r)
	return w
}
