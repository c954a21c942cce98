package serve

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"warmstart/nn/data"
)

// checkSecurityHeaders checks the headers every response carries.
func checkSecurityHeaders(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	h := w.Header()
	if h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("X-Content-Type-Options %q", h.Get("X-Content-Type-Options"))
	}
	if h.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("Referrer-Policy %q", h.Get("Referrer-Policy"))
	}
	if h.Get("Content-Security-Policy") != ContentSecurityPolicy {
		t.Errorf("Content-Security-Policy %q", h.Get("Content-Security-Policy"))
	}
}

func TestDataFiles(t *testing.T) {
	s := newTestSite(t)
	for _, info := range data.PublishedFiles() {
		for _, ae := range []string{"", "gzip", "gzip, deflate, br, zstd"} {
			t.Run(info.Name+"/"+ae, func(t *testing.T) {
				w := s.do("GET", DataPrefix+info.Name, "Accept-Encoding", ae)
				if w.Code != http.StatusOK {
					t.Fatalf("status %d", w.Code)
				}
				want := s.data[info.Name]
				if !bytes.Equal(w.Body.Bytes(), want) {
					t.Errorf("body is not the file's bytes (%d bytes, want %d)", w.Body.Len(), len(want))
				}
				h := w.Header()
				// C10: the browser must get the gzip bytes as they are.
				if ce, ok := h["Content-Encoding"]; ok {
					t.Errorf("Content-Encoding %q on a dataset file", ce)
				}
				checks := map[string]string{
					"Content-Type":   "application/gzip",
					"Content-Length": fmt.Sprint(len(want)),
					"Cache-Control":  "public, max-age=31536000, immutable",
					"ETag":           s.h.data.file(info.Name).ETag(),
					"Accept-Ranges":  "bytes",
				}
				for k, v := range checks {
					if got := h.Get(k); got != v {
						t.Errorf("%s: %q, want %q", k, got, v)
					}
				}
				checkSecurityHeaders(t, w)
			})
		}
	}
}

func TestDataRawIDXIsNotCalledGzip(t *testing.T) {
	s := newTestSite(t)
	f := s.h.data.file(data.TestLabelsFile)
	f.bytes, f.Gzip = idxLabels(t, 3), false
	w := s.do("GET", DataPrefix+data.TestLabelsFile)
	if got := w.Header().Get("Content-Type"); got != "application/octet-stream" {
		t.Errorf("raw IDX sent as %q", got)
	}
}

func TestConditionalAndRange(t *testing.T) {
	s := newTestSite(t)
	name := data.TrainImagesFile
	file := s.data[name]
	n := len(file)
	etag := s.h.data.file(name).ETag()
	tests := []struct {
		name      string
		method    string
		headers   []string
		status    int
		body      []byte // nil: not checked
		header    map[string]string
		emptyBody bool
	}{
		{"If-None-Match with the ETag", "GET", []string{"If-None-Match", etag}, 304, nil,
			map[string]string{"ETag": etag}, true},
		{"If-None-Match among others", "GET", []string{"If-None-Match", `"x", ` + etag}, 304, nil, nil, true},
		{"If-None-Match *", "GET", []string{"If-None-Match", "*"}, 304, nil, nil, true},
		{"If-None-Match, HEAD", "HEAD", []string{"If-None-Match", etag}, 304, nil, nil, true},
		{"weak form of the ETag", "GET", []string{"If-None-Match", "W/" + etag}, 304, nil, nil, true},
		{"another ETag", "GET", []string{"If-None-Match", `"0123"`}, 200, file, nil, false},
		{"first bytes", "GET", []string{"Range", "bytes=0-9"}, 206, file[:10],
			map[string]string{"Content-Range": fmt.Sprintf("bytes 0-9/%d", n), "Content-Length": "10"}, false},
		{"suffix", "GET", []string{"Range", "bytes=-5"}, 206, file[n-5:],
			map[string]string{"Content-Range": fmt.Sprintf("bytes %d-%d/%d", n-5, n-1, n)}, false},
		{"open end", "GET", []string{"Range", "bytes=100-"}, 206, file[100:],
			map[string]string{"Content-Range": fmt.Sprintf("bytes 100-%d/%d", n-1, n)}, false},
		{"If-Range with the ETag", "GET", []string{"Range", "bytes=0-3", "If-Range", etag}, 206, file[:4], nil, false},
		{"If-Range with an old ETag", "GET", []string{"Range", "bytes=0-3", "If-Range", `"old"`}, 200, file, nil, false},
		{"unsatisfiable", "GET", []string{"Range", fmt.Sprintf("bytes=%d-", n+10)}, 416, nil,
			map[string]string{"Content-Range": fmt.Sprintf("bytes */%d", n)}, false},
		{"HEAD", "HEAD", nil, 200, nil, map[string]string{"Content-Length": fmt.Sprint(n),
			"Content-Type": "application/gzip", "ETag": etag}, true},
		{"HEAD with a range", "HEAD", []string{"Range", "bytes=0-9"}, 206, nil,
			map[string]string{"Content-Length": "10"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := s.do(tc.method, DataPrefix+name, tc.headers...)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d", w.Code, tc.status)
			}
			if tc.body != nil && !bytes.Equal(w.Body.Bytes(), tc.body) {
				t.Errorf("body: %d bytes, want %d", w.Body.Len(), len(tc.body))
			}
			if tc.emptyBody && w.Body.Len() > 0 {
				t.Errorf("body of %d bytes", w.Body.Len())
			}
			for k, v := range tc.header {
				if got := w.Header().Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			if ce := w.Header().Get("Content-Encoding"); ce != "" {
				t.Errorf("Content-Encoding %q", ce)
			}
		})
	}
}

func TestMethodsAndBodies(t *testing.T) {
	s := newTestSite(t)
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND"} {
		for _, target := range []string{"/", DataPrefix + data.TrainImagesFile, WebPrefix + "worker.js"} {
			w := s.do(m, target)
			if w.Code != http.StatusMethodNotAllowed {
				t.Errorf("%s %s: status %d, want 405", m, target, w.Code)
			}
			if got := w.Header().Get("Allow"); got != "GET, HEAD" {
				t.Errorf("%s %s: Allow %q", m, target, got)
			}
		}
	}

	// A GET with a body, of known or unknown length, is refused unread.
	for _, chunked := range []bool{false, true} {
		r := httptest.NewRequest("GET", WebPrefix+"worker.js", strings.NewReader("upload"))
		if chunked {
			r.ContentLength = -1
			r.TransferEncoding = []string{"chunked"}
		}
		w := httptest.NewRecorder()
		s.h.ServeHTTP(w, r)
		if w.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("GET with a body (chunked %v): status %d, want 413", chunked, w.Code)
		}
	}
	// A POST with a body is 405: the method is the first fault.
	r := httptest.NewRequest("POST", "/", strings.NewReader("x=1"))
	w := httptest.NewRecorder()
	s.h.ServeHTTP(w, r)
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST with a body: status %d, want 405", w.Code)
	}

	w = s.do("GET", "/web/worker.js?"+strings.Repeat("a", MaxURLLength))
	if w.Code != http.StatusRequestURITooLong {
		t.Errorf("long URL: status %d, want 414", w.Code)
	}
}

// TestPathSafety sends requests that try to reach outside the served
// folders, or at files that are not served, and checks that they fail
// without a trace of the file system in the answer.
func TestPathSafety(t *testing.T) {
	s := newTestSite(t)
	tests := []struct {
		target string
		status int
	}{
		// Dot segments, plain and encoded in every way.
		{"/web/../secret.txt", 400},
		{"/web/../../../../etc/passwd", 400},
		{"/web/%2e%2e/secret.txt", 400},
		{"/web/%2E%2E/secret.txt", 400},
		{"/web/.%2e/secret.txt", 400},
		{"/web/..%2fsecret.txt", 400},
		{"/web/..%2Fsecret.txt", 400},
		{"/web/%2e%2e%2fsecret.txt", 400},
		{"/web/sub/../worker.js", 400},
		{"/web/./worker.js", 400},
		{"/web/sub/..", 400},
		{"/data/../web/worker.js", 400},
		{"/data/%2e%2e/secret.txt", 400},
		{"/../secret.txt", 400},
		{"/%2e%2e/secret.txt", 400},
		// Backslashes, raw and encoded (a Windows separator).
		{`/web/..\secret.txt`, 400},
		{"/web/..%5csecret.txt", 400},
		{"/web/..%5Csecret.txt", 400},
		{`/web/sub\page.html`, 400},
		// NUL and control characters.
		{"/web/worker.js%00", 400},
		{"/web/worker.js%00.png", 400},
		{"/web/%00", 400},
		{"/web/a%0ab", 400},
		{"/web/a%7f", 400},
		// Encoded slashes where none may be.
		{"/web/sub%2fpage.html", 400},
		{"/data%2ftrain-images-idx3-ubyte.gz", 400},
		// Absolute paths after the prefix, and empty segments.
		{"//etc/passwd", 400},
		{"/web//etc/passwd", 400},
		{"/web//secret.txt", 400},
		{"/data//etc/passwd", 400},
		// Absolute-form request target: only its path counts.
		{"http://example.com/web/../secret.txt", 400},
		// Invalid UTF-8.
		{"/web/%ff.js", 400},
		// Double encoding is a literal name that does not exist.
		{"/web/%252e%252e/secret.txt", 404},
		{"/web/%252e%252e%252fsecret.txt", 404},
		// Hidden files and folders.
		{"/web/.env", 404},
		{"/web/.git/config", 404},
		{"/web/.git/", 404},
		{"/web/sub/.hidden", 404},
		{"/web/%2egit/config", 404},
		// Symbolic links out of the folder.
		{"/web/escape.txt", 404},
		{"/web/escdir/secret.txt", 404},
		{"/web/escdir/web/worker.js", 404},
		{"/web/abs.txt", 404},
		// Directories are never listed.
		{"/web", 404},
		{"/web/", 404},
		{"/web/sub", 404},
		{"/web/sub/", 404},
		{"/data", 404},
		{"/data/", 404},
		// Only the four dataset files exist under /data/.
		{"/data/secret.txt", 404},
		{"/data/train-images-idx3-ubyte", 404},
		{"/data/TRAIN-IMAGES-IDX3-UBYTE.GZ", 404},
		// Missing files, and names the file system could mistake.
		{"/web/missing.js", 404},
		{"/web/WORKER.JS", 404},
		{"/web/worker.js/", 404},
		{"/web/worker.js/x", 404},
		{"/web/worker.js%3Fv=1", 404}, // an encoded "?" is part of the name
	}
	for _, tc := range tests {
		for _, method := range []string{"GET", "HEAD"} {
			w := s.do(method, tc.target)
			if w.Code != tc.status {
				t.Errorf("%s %s: status %d, want %d", method, tc.target, w.Code, tc.status)
			}
			body := w.Body.String()
			if method == "GET" && body != http.StatusText(tc.status)+"\n" {
				t.Errorf("%s %s: body %q, want only the status text", method, tc.target, body)
			}
			for _, leak := range []string{secret, s.root, "stand-in app"} {
				if strings.Contains(body, leak) {
					t.Errorf("%s %s: body leaks %q", method, tc.target, leak)
				}
			}
			if got := w.Header().Get("Cache-Control"); got != "no-store" {
				t.Errorf("%s %s: error with Cache-Control %q", method, tc.target, got)
			}
			if w.Header().Get("ETag") != "" {
				t.Errorf("%s %s: error with an ETag", method, tc.target)
			}
			checkSecurityHeaders(t, w)
		}
	}

	// What is allowed still works: a link inside the folder, a query.
	for _, target := range []string{"/web/alias.js", "/web/worker.js?../../secret.txt", "/web/sub/page.html"} {
		if w := s.do("GET", target); w.Code != 200 {
			t.Errorf("GET %s: status %d, want 200", target, w.Code)
		}
	}
}

func TestStaticFiles(t *testing.T) {
	s := newTestSite(t)
	tests := []struct {
		name, ctype string
	}{
		{"app.wasm", "application/wasm"},
		{"worker.js", "text/javascript; charset=utf-8"},
		{"alias.js", "text/javascript; charset=utf-8"},
		{"style.css", "text/css; charset=utf-8"},
		{"icon.svg", "image/svg+xml"},
		{"icon.png", "image/png"},
		{"manifest.webmanifest", "application/manifest+json"},
		{"info.json", "application/json"},
		{"model.bin", "application/octet-stream"},
		{"sub/page.html", "text/html; charset=utf-8"},
		// A precompressed variant asked for by its own name is a plain
		// file: a .gz is sent as gzip bytes, never as an encoding.
		{"app.wasm.gz", "application/gzip"},
		{"app.wasm.br", "application/octet-stream"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := s.do("GET", WebPrefix+tc.name)
			if w.Code != 200 {
				t.Fatalf("status %d", w.Code)
			}
			h := w.Header()
			if got := h.Get("Content-Type"); got != tc.ctype {
				t.Errorf("Content-Type %q, want %q", got, tc.ctype)
			}
			if got := h.Get("Cache-Control"); got != "no-cache" {
				t.Errorf("Cache-Control %q, want no-cache", got)
			}
			if got := h.Get("Content-Encoding"); got != "" {
				t.Errorf("Content-Encoding %q without Accept-Encoding", got)
			}
			etag := h.Get("ETag")
			if len(etag) < 3 || etag[0] != '"' || etag[len(etag)-1] != '"' {
				t.Errorf("ETag %q is not a strong one", etag)
			}
			checkSecurityHeaders(t, w)
			name := tc.name
			if name == "alias.js" {
				name = "worker.js"
			}
			if !bytes.Equal(w.Body.Bytes(), s.web[name]) {
				t.Errorf("body differs from the file")
			}

			// Revalidation with the ETag: 304, no body.
			w = s.do("GET", WebPrefix+tc.name, "If-None-Match", etag)
			if w.Code != 304 || w.Body.Len() > 0 {
				t.Errorf("If-None-Match: status %d, %d bytes; want 304, none", w.Code, w.Body.Len())
			}

			// A versioned URL is cached for good.
			w = s.do("GET", WebPrefix+tc.name+"?v=3f2a")
			if got := w.Header().Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
				t.Errorf("versioned URL: Cache-Control %q", got)
			}
		})
	}
	for _, q := range []string{"?v=", "?x=1", "?version=2", "?v"} {
		w := s.do("GET", WebPrefix+"worker.js"+q)
		if got := w.Header().Get("Cache-Control"); got != "no-cache" {
			t.Errorf("query %q: Cache-Control %q, want no-cache", q, got)
		}
	}
}

// TestStaticETagFollowsContent checks that a redeployed file gets a new
// ETag, so no-cache revalidation picks it up.
func TestStaticETagFollowsContent(t *testing.T) {
	s := newTestSite(t)
	before := s.do("GET", "/web/info.json").Header().Get("ETag")
	writeFiles(t, s.webDir, map[string][]byte{"info.json": []byte(`{"ok":false,"version":2}`)})
	w := s.do("GET", "/web/info.json", "If-None-Match", before)
	if w.Code != 200 || w.Body.String() != `{"ok":false,"version":2}` {
		t.Fatalf("after a redeploy: status %d, body %q", w.Code, w.Body)
	}
	if after := w.Header().Get("ETag"); after == before {
		t.Errorf("ETag %s did not change with the content", after)
	}
}

func TestPrecompressed(t *testing.T) {
	s := newTestSite(t)
	wasm := s.web["app.wasm"]
	tests := []struct {
		accept string
		coding string // "" for the file itself
	}{
		{"", ""},
		{"identity", ""},
		{"deflate", ""},
		{"zstd", ""},
		{"gzip", "gzip"},
		{"x-gzip", "gzip"},
		{"GZIP", "gzip"},
		{"br", "br"},
		{"gzip, deflate, br", "br"},
		{"gzip, deflate, br, zstd", "br"},
		{"br;q=0, gzip", "gzip"},
		{"br;q=0.0, gzip;q=0.5", "gzip"},
		{"gzip;q=0, br;q=0", ""},
		{"*", "br"},
		{"*;q=0", ""},
		{"br;q=0, *", "gzip"},
		{"identity, *;q=0", ""},
		{"gzip;q=bogus", ""},
		{" gzip ; q=1 ", "gzip"},
	}
	etags := map[string]string{}
	for _, tc := range tests {
		t.Run(tc.accept, func(t *testing.T) {
			w := s.do("GET", "/web/app.wasm", "Accept-Encoding", tc.accept)
			if w.Code != 200 {
				t.Fatalf("status %d", w.Code)
			}
			h := w.Header()
			if got := h.Get("Content-Encoding"); got != tc.coding {
				t.Errorf("Content-Encoding %q, want %q", got, tc.coding)
			}
			if got := h.Get("Content-Type"); got != "application/wasm" {
				t.Errorf("Content-Type %q", got)
			}
			if got := h.Get("Vary"); got != "Accept-Encoding" {
				t.Errorf("Vary %q", got)
			}
			want := wasm
			if tc.coding != "" {
				want = s.web["app.wasm."+map[string]string{"br": "br", "gzip": "gz"}[tc.coding]]
			}
			if !bytes.Equal(w.Body.Bytes(), want) {
				t.Errorf("body is not the %q variant's bytes", tc.coding)
			}
			if got := h.Get("Content-Length"); got != fmt.Sprint(len(want)) {
				t.Errorf("Content-Length %s, want %d", got, len(want))
			}
			if tc.coding == "gzip" {
				// Compressed once: one gunzip gives the module back.
				zr, err := gzip.NewReader(bytes.NewReader(w.Body.Bytes()))
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(zr)
				if err != nil || !bytes.Equal(got, wasm) {
					t.Errorf("gunzip of the body is not the module (err %v)", err)
				}
			}
			tag := h.Get("ETag")
			if prev, ok := etags[tc.coding]; ok && prev != tag {
				t.Errorf("ETag %s, earlier %s for the same coding", tag, prev)
			}
			etags[tc.coding] = tag

			// The ETag of one coding revalidates that coding only.
			w = s.do("GET", "/web/app.wasm", "Accept-Encoding", tc.accept, "If-None-Match", tag)
			if w.Code != 304 {
				t.Errorf("If-None-Match with its own ETag: status %d", w.Code)
			}
		})
	}
	if len(etags) != 3 || etags[""] == etags["br"] || etags[""] == etags["gzip"] || etags["br"] == etags["gzip"] {
		t.Errorf("ETags per coding are not distinct: %v", etags)
	}
	w := s.do("GET", "/web/app.wasm", "Accept-Encoding", "gzip", "If-None-Match", etags["br"])
	if w.Code != 200 || w.Header().Get("Content-Encoding") != "gzip" {
		t.Errorf("gzip request with the br ETag: status %d, coding %q", w.Code, w.Header().Get("Content-Encoding"))
	}

	// A range of a compressed answer is a range of the compressed bytes.
	w = s.do("GET", "/web/app.wasm", "Accept-Encoding", "gzip", "Range", "bytes=0-1")
	if w.Code != 206 || !bytes.Equal(w.Body.Bytes(), []byte{0x1f, 0x8b}) || w.Header().Get("Content-Encoding") != "gzip" {
		t.Errorf("range of the gzip variant: status %d, body % x", w.Code, w.Body.Bytes())
	}

	// Only a .gz next to worker.js; a file without variants has no Vary.
	w = s.do("GET", "/web/worker.js", "Accept-Encoding", "br, gzip")
	if w.Header().Get("Content-Encoding") != "gzip" {
		t.Errorf("worker.js: Content-Encoding %q, want gzip", w.Header().Get("Content-Encoding"))
	}
	w = s.do("GET", "/web/style.css", "Accept-Encoding", "br, gzip")
	if w.Header().Get("Content-Encoding") != "" || w.Header().Get("Vary") != "" {
		t.Errorf("style.css without variants: Content-Encoding %q, Vary %q",
			w.Header().Get("Content-Encoding"), w.Header().Get("Vary"))
	}
	// A variant of the same size and time as its file still has its own
	// ETag (they are cached by name, size and time).
	writeFiles(t, s.webDir, map[string][]byte{"same.txt": []byte("plain"), "same.txt.gz": []byte("GZIPD")})
	mtime := time.Now().Add(-time.Hour).Truncate(time.Second)
	for _, n := range []string{"same.txt", "same.txt.gz"} {
		if err := os.Chtimes(filepath.Join(s.webDir, n), mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	plain := s.do("GET", "/web/same.txt")
	gz := s.do("GET", "/web/same.txt", "Accept-Encoding", "gzip")
	if plain.Body.String() != "plain" || gz.Body.String() != "GZIPD" || plain.Header().Get("ETag") == gz.Header().Get("ETag") {
		t.Errorf("same size and time: bodies %q, %q, ETags %s, %s", plain.Body, gz.Body,
			plain.Header().Get("ETag"), gz.Header().Get("ETag"))
	}

	// A variant with no original next to it is not served in its place.
	writeFiles(t, s.webDir, map[string][]byte{"lonely.js.br": []byte("x")})
	if w := s.do("GET", "/web/lonely.js", "Accept-Encoding", "br"); w.Code != 404 {
		t.Errorf("variant without its original: status %d, want 404", w.Code)
	}
}

func TestApp(t *testing.T) {
	s := newTestSite(t)
	for _, target := range []string{"/", "/app.js", "/app-worker.js", "/wasm_exec.js",
		"/manifest.webmanifest", "/app.css", "/train", "/results/seed1", "/.well-known/x", "/database"} {
		for _, method := range []string{"GET", "HEAD"} {
			w := s.do(method, target)
			if w.Code != 200 {
				t.Errorf("%s %s: status %d", method, target, w.Code)
			}
			if method == "GET" && w.Body.String() != appBody+target {
				t.Errorf("%s %s: body %q, want the app's", method, target, w.Body)
			}
			checkSecurityHeaders(t, w)
		}
	}

	h, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"/", "/web/app.wasm", "/data/" + data.TrainImagesFile} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", target, nil))
		if w.Code != 404 {
			t.Errorf("empty handler, %s: status %d, want 404", target, w.Code)
		}
	}
}

func TestNewFailsWithoutWebFolder(t *testing.T) {
	missing := t.TempDir() + "/nowhere"
	_, err := New(Options{WebDir: missing})
	if err == nil {
		t.Fatal("New accepted a missing web folder")
	}
}

// TestHeadersForMatchesServer checks that HeadersFor, which the _headers
// file follows, says what the server sends.
func TestHeadersForMatchesServer(t *testing.T) {
	s := newTestSite(t)
	targets := []string{"/web/app.wasm", "/web/app.wasm?v=12", "/web/worker.js", "/web/style.css",
		"/web/icon.svg", "/web/manifest.webmanifest", "/web/info.json", "/web/model.bin", "/", "/app.js"}
	for _, info := range data.PublishedFiles() {
		targets = append(targets, DataPrefix+info.Name)
	}
	for _, target := range targets {
		w := s.do("GET", target)
		want := HeadersFor(target)
		if len(want) < 3 {
			t.Errorf("%s: HeadersFor gives only %v", target, want)
		}
		for k := range want {
			if got, w := w.Header().Get(k), want.Get(k); got != w {
				t.Errorf("%s: server sends %s %q, HeadersFor says %q", target, k, got, w)
			}
		}
	}
}

func TestRequestLog(t *testing.T) {
	s := newTestSite(t)
	var buf bytes.Buffer
	s.h.log = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s.do("GET", "/web/worker.js")
	s.do("HEAD", "/data/"+data.TestLabelsFile)
	s.do("POST", "/")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d log lines for 3 requests:\n%s", len(lines), &buf)
	}
	wants := [][]string{
		{"level=DEBUG", "msg=request", "method=GET", "path=/web/worker.js", "status=200",
			fmt.Sprintf("bytes=%d", len(s.web["worker.js"])), "duration="},
		{"method=HEAD", "status=200", "bytes=0"},
		{"method=POST", "path=/", "status=405"},
	}
	for i, want := range wants {
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("log line %d lacks %q: %s", i, w, lines[i])
			}
		}
	}

	// At Info level (the default) requests are not logged.
	buf.Reset()
	s.h.log = slog.New(slog.NewTextHandler(&buf, nil))
	s.do("GET", "/web/worker.js")
	if buf.Len() > 0 {
		t.Errorf("a request logged at Info level: %s", &buf)
	}
}
