package serve

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// An encoding is a precompressed variant of a static file: X.br or X.gz
// next to X.
type encoding struct {
	token  string // the content-coding, as in Accept-Encoding
	suffix string // the file name suffix of the variant
}

// encodings lists the variants in order of preference.
var encodings = []encoding{{"br", ".br"}, {"gzip", ".gz"}}

// webFiles serves the files of one folder, through an [os.Root] so that no
// name, symbolic link included, reaches outside it.
type webFiles struct {
	root *os.Root

	mu    sync.Mutex
	etags map[etagKey]string
}

// etagKey identifies one version of one file: the ETag, a hash of the
// content, is recomputed when the size or the modification time changes.
type etagKey struct {
	name    string
	size    int64
	modTime time.Time
}

func openWebFiles(dir string) (*webFiles, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &webFiles{root: root, etags: map[etagKey]string{}}, nil
}

func (wf *webFiles) Close() error { return wf.root.Close() }

// errNotServed reports a name that exists but is no regular file, a hidden
// one, or one a symbolic link takes out of the folder: all answered 404,
// like a missing file.
var errNotServed = errors.New("not served")

// open opens the regular file called name (slash-separated, relative to
// the folder) and returns it with its size and modification time.
func (wf *webFiles) open(name string) (*os.File, fs.FileInfo, error) {
	// Stat first: opening a FIFO for reading would block until a writer
	// comes.
	st, err := wf.root.Stat(name)
	if err != nil {
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, nil, errNotServed
	}
	f, err := wf.root.Open(name)
	if err != nil {
		return nil, nil, err
	}
	st, err = f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, errNotServed
	}
	return f, st, nil
}

// etag returns the strong ETag of the open file f called name (a variant's
// own name): the first 128 bits of its SHA-256, and the content-coding of
// a variant.
func (wf *webFiles) etag(f *os.File, name, coding string, st fs.FileInfo) (string, error) {
	key := etagKey{name, st.Size(), st.ModTime()}
	wf.mu.Lock()
	tag, ok := wf.etags[key]
	wf.mu.Unlock()
	if ok {
		return tag, nil
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	tag = `"` + hex.EncodeToString(h.Sum(nil)[:16])
	if coding != "" {
		tag += "-" + coding
	}
	tag += `"`
	wf.mu.Lock()
	wf.etags[key] = tag
	wf.mu.Unlock()
	return tag, nil
}

// serve answers a GET or HEAD for the file called name: the variant
// precompressed with the best content-coding the request accepts if there
// is one, else the file itself.
func (h *Handler) serveWeb(w http.ResponseWriter, r *http.Request, name string) {
	wf := h.web
	if wf == nil || name == "" || strings.HasSuffix(name, "/") || hiddenSegment(name) {
		h.notFound(w)
		return
	}
	f, st, err := wf.open(name)
	if err != nil {
		h.notFound(w)
		return
	}
	served, coding := name, ""
	accepted := acceptedCodings(r.Header.Get("Accept-Encoding"))
	hasVariant := false
	for _, e := range encodings {
		vf, vst, err := wf.open(name + e.suffix)
		if err != nil {
			continue
		}
		hasVariant = true
		if coding != "" || !accepted[e.token] {
			vf.Close()
			continue
		}
		f.Close()
		f, st, served, coding = vf, vst, name+e.suffix, e.token
	}
	defer f.Close()

	tag, err := wf.etag(f, served, coding, st)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	hdr := w.Header()
	for k, v := range headersFor(WebPrefix+name, r.URL.RawQuery) {
		hdr[k] = v
	}
	hdr.Set("ETag", tag)
	if hasVariant {
		hdr.Set("Vary", "Accept-Encoding")
	}
	extendDeadlines(w, st.Size())
	if coding != "" {
		hdr.Set("Content-Encoding", coding)
		// ServeContent leaves Content-Length out when Content-Encoding
		// is set; a whole variant's length is known.
		w = &fullLength{w, st.Size()}
	}
	http.ServeContent(w, r, "", time.Time{}, f)
}

// fullLength sets Content-Length on a 200 answer that lacks it.
type fullLength struct {
	http.ResponseWriter
	size int64
}

func (w *fullLength) WriteHeader(code int) {
	if code == http.StatusOK && w.Header().Get("Content-Length") == "" {
		w.Header().Set("Content-Length", strconv.FormatInt(w.size, 10))
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *fullLength) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// acceptedCodings returns the content-codings of encodings that an
// Accept-Encoding header value allows: listed, or covered by "*", with a
// q-value above 0. An absent or empty header allows none (identity only).
func acceptedCodings(header string) map[string]bool {
	ok := map[string]bool{}
	if header == "" {
		return ok
	}
	explicit := map[string]bool{}
	star := false
	for item := range strings.SplitSeq(header, ",") {
		token, params, _ := strings.Cut(item, ";")
		token = strings.ToLower(strings.TrimSpace(token))
		switch token {
		case "":
			continue
		case "x-gzip":
			token = "gzip" // an alias, RFC 9110 section 8.4.1.3
		}
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			k, v, found := strings.Cut(p, "=")
			if found && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				} else {
					q = 0
				}
			}
		}
		if token == "*" {
			star = q > 0
			continue
		}
		explicit[token] = true
		ok[token] = q > 0
	}
	if star {
		for _, e := range encodings {
			if !explicit[e.token] {
				ok[e.token] = true
			}
		}
	}
	return ok
}
