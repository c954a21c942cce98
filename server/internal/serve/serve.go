// Package serve is the HTTP side of `warmstart serve`: a handler that
// serves the checked Fashion-MNIST files under /data/, the static files of
// the web folder under /web/ and hands every other path to the browser
// app's handler (go-app), and the http.Server around it.
//
// Only GET and HEAD are answered; the server takes no uploads. Paths are
// checked before anything else: encoded slashes, backslashes, NUL, dot
// segments and the like are refused with 400, hidden files, directories
// and symbolic links out of the web folder are 404, and no error body
// names a file.
//
// The dataset files are held in memory (about 30 MB): they are read once
// anyway to be checked, and serving the very bytes that were checked and
// hashed keeps the strong ETag true even if the files on disk change
// while the server runs. Static files are opened per request, so a rebuilt
// app.wasm is served at once, and revalidated by the browser (no-cache)
// unless their URL carries a version query (?v=...). [HeadersFor] and
// [WriteHeadersFile] give the same headers for static hosts.
package serve

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// MaxURLLength is the longest request target (path and query) answered;
// longer ones get 414. The app's URLs are short.
const MaxURLLength = 2048

// Write deadlines: every response gets baseWriteTimeout, and a file body
// one more second per minSendRate bytes, so that a 26 MB download over a
// slow link (16 KB/s: 27 minutes) completes while a client that stopped
// reading is dropped.
const (
	baseWriteTimeout = 30 * time.Second
	minSendRate      = 16 << 10 // bytes per second
)

// Options configure a [Handler].
type Options struct {
	// Data is the dataset served under /data/, from [LoadData]; nil
	// answers 404 there.
	Data *Data
	// WebDir is the folder served under /web/; "" answers 404 there.
	WebDir string
	// App serves every path outside /data/ and /web/: the browser app's
	// pages and go-app's resources (/app.js, /app-worker.js, /wasm_exec.js,
	// /manifest.webmanifest, /app.css). nil answers 404.
	App http.Handler
	// Log gets one Debug line per request (Warn for a 5xx answer); nil
	// discards them.
	Log *slog.Logger
}

// Handler serves the dataset, the web folder and the app; see the package
// documentation. Close releases the web folder.
type Handler struct {
	data *Data
	web  *webFiles
	app  http.Handler
	log  *slog.Logger
}

// New returns a Handler for opts. It fails if opts.WebDir is given but
// cannot be opened as a folder.
func New(opts Options) (*Handler, error) {
	h := &Handler{data: opts.Data, app: opts.App, log: opts.Log}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if opts.WebDir != "" {
		wf, err := openWebFiles(opts.WebDir)
		if err != nil {
			return nil, fmt.Errorf("web folder: %w", err)
		}
		h.web = wf
	}
	return h, nil
}

// Close closes the web folder.
func (h *Handler) Close() error {
	if h.web == nil {
		return nil
	}
	return h.web.Close()
}

// ServeHTTP answers one request and logs it.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w}
	h.serve(rec, r)
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	level := slog.LevelDebug
	if status >= 500 {
		level = slog.LevelWarn
	}
	path := r.URL.EscapedPath()
	if len(path) > 200 {
		path = path[:200] + "..."
	}
	h.log.Log(r.Context(), level, "request", "method", r.Method, "path", path,
		"status", status, "bytes", rec.bytes, "duration", time.Since(start).Round(time.Microsecond))
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header())
	extendDeadlines(w, 0)
	if len(r.RequestURI) > MaxURLLength {
		h.fail(w, http.StatusRequestURITooLong)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		h.fail(w, http.StatusMethodNotAllowed)
		return
	}
	if r.ContentLength != 0 {
		// No body is read: close the connection rather than parse what
		// is left of it as the next request.
		w.Header().Set("Connection", "close")
		h.fail(w, http.StatusRequestEntityTooLarge)
		return
	}
	p, err := cleanPath(r.URL.EscapedPath())
	if err != nil {
		h.fail(w, http.StatusBadRequest)
		return
	}
	switch {
	case p == "/data" || strings.HasPrefix(p, DataPrefix):
		h.serveData(w, r, strings.TrimPrefix(p, DataPrefix))
	case p == "/web" || strings.HasPrefix(p, WebPrefix):
		h.serveWeb(w, r, strings.TrimPrefix(p, WebPrefix))
	case h.app != nil:
		h.app.ServeHTTP(w, r)
	default:
		h.notFound(w)
	}
}

// serveData answers a GET or HEAD for the dataset file called name.
func (h *Handler) serveData(w http.ResponseWriter, r *http.Request, name string) {
	f := h.data.file(name)
	if f == nil {
		h.notFound(w)
		return
	}
	hdr := w.Header()
	for k, v := range HeadersFor(DataPrefix + name) {
		hdr[k] = v
	}
	if !f.Gzip {
		hdr.Set("Content-Type", "application/octet-stream")
	}
	hdr.Set("ETag", f.ETag())
	extendDeadlines(w, f.Size())
	// ServeContent answers If-None-Match (304), Range (206) and HEAD; it
	// never sets Content-Encoding.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.bytes))
}

func (h *Handler) notFound(w http.ResponseWriter) { h.fail(w, http.StatusNotFound) }

func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, err error) {
	h.log.Error("serve", "path", r.URL.EscapedPath(), "err", err)
	h.fail(w, http.StatusInternalServerError)
}

// fail answers with an error status and its standard text as the body,
// which never names a file, and drops the headers of a file.
func (h *Handler) fail(w http.ResponseWriter, code int) {
	hdr := w.Header()
	for _, k := range []string{"ETag", "Content-Encoding", "Vary", "Last-Modified", "Content-Length"} {
		hdr.Del(k)
	}
	hdr.Set("Cache-Control", cacheNever)
	hdr.Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	fmt.Fprintln(w, http.StatusText(code))
}

// extendDeadlines gives the response baseWriteTimeout plus the time to
// send size bytes at minSendRate. The read deadline moves with it: while
// the handler writes, the server reads the connection to notice a client
// that went away, and a timeout there would cancel the request's context
// in the middle of a long download. Writers without deadlines (tests) are
// left alone.
func extendDeadlines(w http.ResponseWriter, size int64) {
	d := time.Now().Add(baseWriteTimeout + time.Duration(size/minSendRate)*time.Second)
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(d)
	_ = rc.SetReadDeadline(d)
}

// recorder notes the status and the body size of a response for the log.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 && code >= 200 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// ReadFrom keeps the underlying writer's sendfile path for file bodies.
func (r *recorder) ReadFrom(src io.Reader) (int64, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := io.Copy(r.ResponseWriter, src)
	r.bytes += n
	return n, err
}

func (r *recorder) Flush() {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	_ = http.NewResponseController(r.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection's deadlines.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
