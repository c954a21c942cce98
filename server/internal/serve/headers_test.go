package serve

import (
	"bufio"
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestHeadersFor(t *testing.T) {
	tests := []struct {
		path string
		want map[string]string // "" : must be absent
	}{
		{"/data/train-images-idx3-ubyte.gz", map[string]string{
			"Content-Type": "application/gzip", "Cache-Control": "public, max-age=31536000, immutable",
			"Content-Encoding": ""}},
		{"/web/app.wasm", map[string]string{"Content-Type": "application/wasm", "Cache-Control": "no-cache"}},
		{"/web/app.wasm?v=abc", map[string]string{"Cache-Control": "public, max-age=31536000, immutable"}},
		{"/web/app.wasm?x=1&v=abc", map[string]string{"Cache-Control": "public, max-age=31536000, immutable"}},
		{"/web/app.wasm?v=", map[string]string{"Cache-Control": "no-cache"}},
		{"/web/app.wasm?v=%zz", map[string]string{"Cache-Control": "no-cache"}},
		{"/web/worker.js", map[string]string{"Content-Type": "text/javascript; charset=utf-8"}},
		{"/web/a/b/STYLE.CSS", map[string]string{"Content-Type": "text/css; charset=utf-8"}},
		{"/web/manifest.webmanifest", map[string]string{"Content-Type": "application/manifest+json"}},
		{"/web/icon.svg", map[string]string{"Content-Type": "image/svg+xml"}},
		{"/web/icon.png", map[string]string{"Content-Type": "image/png"}},
		{"/web/x.json", map[string]string{"Content-Type": "application/json"}},
		{"/web/noext", map[string]string{"Content-Type": "application/octet-stream"}},
		{"/", map[string]string{"Content-Type": "", "Cache-Control": ""}},
		{"/app.js", map[string]string{"Content-Type": "", "Cache-Control": ""}},
	}
	for _, tc := range tests {
		h := HeadersFor(tc.path)
		for k, v := range tc.want {
			if got := h.Get(k); got != v {
				t.Errorf("%s: %s %q, want %q", tc.path, k, got, v)
			}
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff",
			"Referrer-Policy": "no-referrer", "Content-Security-Policy": ContentSecurityPolicy} {
			if got := h.Get(k); got != v {
				t.Errorf("%s: %s %q, want %q", tc.path, k, got, v)
			}
		}
	}
	// The map is the caller's.
	HeadersFor("/web/a.js").Set("Content-Type", "changed")
	if HeadersFor("/web/a.js").Get("Content-Type") == "changed" {
		t.Error("HeadersFor returns a shared map")
	}
}

func TestCSPAllowsWebAssembly(t *testing.T) {
	for _, want := range []string{"script-src 'self' 'wasm-unsafe-eval'", "object-src 'none'", "frame-ancestors 'none'"} {
		if !strings.Contains(ContentSecurityPolicy, want) {
			t.Errorf("CSP lacks %q", want)
		}
	}
	if strings.Contains(ContentSecurityPolicy, "'unsafe-eval'") {
		t.Error("CSP allows eval()")
	}
}

const wantHeadersFile = `# Written by warmstart (server/internal/serve.WriteHeadersFile): the headers
# that ` + "`warmstart serve`" + ` sends, for Netlify and Cloudflare Pages. Do not edit.

/*
  Content-Security-Policy: ` + ContentSecurityPolicy + `
  Referrer-Policy: no-referrer
  X-Content-Type-Options: nosniff

/data/*
  Cache-Control: public, max-age=31536000, immutable
  Content-Type: application/gzip

/web/*
  Cache-Control: no-cache
`

func TestWriteHeadersFile(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteHeadersFile(&buf); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != wantHeadersFile {
		t.Errorf("_headers:\n%s\nwant:\n%s", got, wantHeadersFile)
	}

	// Read the file back as a host would and check, for sample paths,
	// that every matching rule together gives what HeadersFor says, with
	// no header set by two rules (hosts would join the values).
	rules := parseHeadersFile(t, buf.String())
	for _, p := range []string{"/", "/app.js", "/train", "/data/train-images-idx3-ubyte.gz",
		"/data/t10k-labels-idx1-ubyte.gz", "/web/app.wasm", "/web/sub/x.js"} {
		got := http.Header{}
		for _, r := range rules {
			if !matchPattern(r.Pattern, p) {
				continue
			}
			for k, v := range r.Header {
				if _, dup := got[k]; dup {
					t.Errorf("%s: %s set by two rules", p, k)
				}
				got[k] = v
			}
		}
		want := HeadersFor(p)
		for k := range want {
			if k == "Content-Type" && strings.HasPrefix(p, WebPrefix) {
				continue // the host types static files by extension
			}
			if got.Get(k) != want.Get(k) {
				t.Errorf("%s: _headers gives %s %q, the server %q", p, k, got.Get(k), want.Get(k))
			}
		}
		for k := range got {
			if want.Get(k) != got.Get(k) {
				t.Errorf("%s: _headers gives %s %q, the server %q", p, k, got.Get(k), want.Get(k))
			}
		}
	}
}

func TestWriteHeadersFileError(t *testing.T) {
	if err := WriteHeadersFile(failWriter{}); err == nil {
		t.Error("no error from a failing writer")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// parseHeadersFile reads the _headers syntax: a path line, then indented
// "Name: value" lines; # starts a comment.
func parseHeadersFile(t *testing.T, text string) []HeaderRule {
	t.Helper()
	var rules []HeaderRule
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#"):
		case !strings.HasPrefix(line, " "):
			rules = append(rules, HeaderRule{Pattern: line, Header: http.Header{}})
		default:
			name, value, ok := strings.Cut(strings.TrimSpace(line), ": ")
			if !ok || len(rules) == 0 {
				t.Fatalf("bad line %q", line)
			}
			rules[len(rules)-1].Header.Add(name, value)
		}
	}
	return rules
}

// matchPattern matches a path against a _headers pattern whose only
// wildcard is a trailing "*".
func matchPattern(pattern, p string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(p, prefix)
	}
	return pattern == p
}
