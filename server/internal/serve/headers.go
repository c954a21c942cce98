package serve

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
)

// URL prefixes of the two folders the handler serves itself.
const (
	DataPrefix = "/data/" // the four dataset files, by name
	WebPrefix  = "/web/"  // the static files of the web folder
)

// ContentSecurityPolicy is sent on every response; browsers apply it to
// documents and workers and ignore it elsewhere. It allows what a go-app
// page and its Go WebAssembly workers need and nothing from other origins:
// scripts, workers and fetches from the page's own origin,
// WebAssembly compilation ('wasm-unsafe-eval', not 'unsafe-eval': no
// eval()), style attributes (go-app sets element styles with
// setAttribute), and data: or blob: images (a drawn or uploaded garment).
// Everything must come from the server itself, as an offline PWA needs
// anyway: go-app's default icons on raw.githubusercontent.com are refused,
// so the app must set its own.
const ContentSecurityPolicy = "default-src 'self'; " +
	"script-src 'self' 'wasm-unsafe-eval'; " +
	"style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; " +
	"font-src 'self'; " +
	"connect-src 'self'; " +
	"worker-src 'self' blob:; " +
	"manifest-src 'self'; " +
	"object-src 'none'; " +
	"base-uri 'self'; " +
	"form-action 'self'; " +
	"frame-ancestors 'none'"

// Cache policies.
const (
	// cacheImmutable is for content that never changes under its URL: the
	// dataset files (their content is checked against the published
	// SHA-256 before the server starts, so any file it serves under a name
	// is the same data) and /web/ URLs that carry a version query.
	cacheImmutable = "public, max-age=31536000, immutable"
	// cacheRevalidate is for files that a redeploy replaces under the same
	// URL: the browser may store them but asks every time, with the ETag,
	// and mostly gets a 304.
	cacheRevalidate = "no-cache"
	// cacheNever is for errors.
	cacheNever = "no-store"
)

// versionParam is the query parameter that marks a /web/ URL as
// versioned: its content never changes, a new version gets a new URL.
const versionParam = "v"

// typeGzip is the type of the dataset files, and of any .gz file: the
// bytes as stored, never with a Content-Encoding, so that no browser or
// proxy unpacks them on the way (failure case C10).
const typeGzip = "application/gzip"

// contentTypes maps a lower-case file extension to its Content-Type; a
// fixed table rather than mime.TypeByExtension, which depends on the
// machine's /etc/mime.types. Files of other extensions are sent as
// application/octet-stream, never sniffed.
var contentTypes = map[string]string{
	".wasm":        "application/wasm",
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".json":        "application/json",
	".map":         "application/json",
	".webmanifest": "application/manifest+json",
	".css":         "text/css; charset=utf-8",
	".html":        "text/html; charset=utf-8",
	".htm":         "text/html; charset=utf-8",
	".txt":         "text/plain; charset=utf-8",
	".md":          "text/markdown; charset=utf-8",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".jpg":         "image/jpeg",
	".jpeg":        "image/jpeg",
	".gif":         "image/gif",
	".webp":        "image/webp",
	".ico":         "image/x-icon",
	".woff2":       "font/woff2",
	".woff":        "font/woff",
	".gz":          typeGzip,
}

// contentType returns the Content-Type of a file called name.
func contentType(name string) string {
	if t, ok := contentTypes[strings.ToLower(path.Ext(name))]; ok {
		return t
	}
	return "application/octet-stream"
}

// securityHeaders are sent on every response, errors included.
func securityHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
}

// HeadersFor returns the headers the server sends, whatever the file's
// content, on a successful response for urlPath, a URL path with an
// optional query ("/web/app.wasm?v=3"). It leaves out what depends on the
// bytes (ETag, Content-Length, Content-Encoding and Vary of a precompressed
// variant) and what the App handler adds for its own paths (go-app sends
// Cache-Control: no-cache and its own Content-Type).
//
// One exception: a dataset file stored already decompressed under its .gz
// name is sent as application/octet-stream, not application/gzip.
func HeadersFor(urlPath string) http.Header {
	p, rawQuery, _ := strings.Cut(urlPath, "?")
	return headersFor(p, rawQuery)
}

// headersFor is HeadersFor for a decoded path and a raw query.
func headersFor(p, rawQuery string) http.Header {
	h := http.Header{}
	securityHeaders(h)
	switch {
	case strings.HasPrefix(p, DataPrefix):
		h.Set("Content-Type", typeGzip)
		h.Set("Cache-Control", cacheImmutable)
	case strings.HasPrefix(p, WebPrefix):
		h.Set("Content-Type", contentType(p))
		h.Set("Cache-Control", webCacheControl(rawQuery))
	}
	return h
}

// webCacheControl returns the Cache-Control of a /web/ file requested with
// the given raw query: long and immutable when the URL names a version,
// revalidated otherwise.
func webCacheControl(rawQuery string) string {
	q, err := url.ParseQuery(rawQuery)
	if err == nil && q.Get(versionParam) != "" {
		return cacheImmutable
	}
	return cacheRevalidate
}

// A HeaderRule gives headers for the URL paths that Pattern matches, in
// the path syntax of the _headers file of Netlify and Cloudflare Pages:
// "/*" is every path, "/web/*" every path under /web/.
type HeaderRule struct {
	Pattern string
	Header  http.Header
}

// HeaderRules returns the rules of the _headers file, one per URL area,
// such that every header name is set by at most one rule matching a given
// path: both hosts send the headers of every matching rule and join the
// values of a name set twice with commas, which would garble
// Cache-Control. The file cannot tell versioned /web/ URLs apart (rules
// match paths, not queries), so all of /web/ is revalidated there, which is
// never stale; application paths keep the host's default Cache-Control
// (revalidate, on both hosts). Static hosts choose Content-Encoding
// themselves, and the dataset's Content-Type is set so that a .gz file is
// not taken for a gzip-encoded one.
func HeaderRules() []HeaderRule {
	all := http.Header{}
	securityHeaders(all)
	return []HeaderRule{
		{"/*", all},
		{DataPrefix + "*", http.Header{
			"Content-Type":  {typeGzip},
			"Cache-Control": {cacheImmutable},
		}},
		{WebPrefix + "*", http.Header{
			"Cache-Control": {cacheRevalidate},
		}},
	}
}

// WriteHeadersFile writes the rules of [HeaderRules] as a _headers file for
// Netlify or Cloudflare Pages, after a comment naming its origin.
func WriteHeadersFile(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "# Written by warmstart (server/internal/serve.WriteHeadersFile): the headers")
	fmt.Fprintln(bw, "# that `warmstart serve` sends, for Netlify and Cloudflare Pages. Do not edit.")
	for _, r := range HeaderRules() {
		fmt.Fprintf(bw, "\n%s\n", r.Pattern)
		names := make([]string, 0, len(r.Header))
		for name := range r.Header {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			for _, v := range r.Header[name] {
				fmt.Fprintf(bw, "  %s: %s\n", name, v)
			}
		}
	}
	return bw.Flush()
}
