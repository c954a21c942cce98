package serve

import (
	"io/fs"
	"net/url"
	"path"
	"strings"
	"testing"
	"unicode/utf8"
)

var cleanPathTests = []struct {
	escaped string
	want    string // "" : refused
}{
	{"/", "/"},
	{"/web/app.wasm", "/web/app.wasm"},
	{"/web/sub/", "/web/sub/"},
	{"/web/a%20b.js", "/web/a b.js"},
	{"/web/%C3%A9t%C3%A9.png", "/web/été.png"},
	{"/web/%252e%252e", "/web/%2e%2e"},
	{"/web/.hidden", "/web/.hidden"}, // well-formed; the static handler hides it
	{"/web/..hidden", "/web/..hidden"},
	{"/web/a..b", "/web/a..b"},
	{"/web/...", "/web/..."},
	{"", ""},
	{"web/app.wasm", ""},
	{"*", ""},
	{"/web/../x", ""},
	{"/web/..", ""},
	{"/..", ""},
	{"/.", ""},
	{"/./", ""},
	{"/web/./x", ""},
	{"/web/%2e%2e/x", ""},
	{"/web/%2E%2e/x", ""},
	{"/web/%2e/x", ""},
	{"/web/a%2fb", ""},
	{"/web/a%2Fb", ""},
	{"/web/a%5cb", ""},
	{`/web/a\b`, ""},
	{"/web/a%00", ""},
	{"/web/a\x00", ""},
	{"/web/a%0d%0aSet-Cookie:x", ""},
	{"/web/a%09", ""},
	{"/web/a%7F", ""},
	{"/web/%ff", ""},
	{"/web/%c3", ""},
	{"/web/%", ""},
	{"/web/%2", ""},
	{"/web/%zz", ""},
	{"//", ""},
	{"//x", ""},
	{"/web//x", ""},
	{"/web/x//", ""},
}

func TestCleanPath(t *testing.T) {
	for _, tc := range cleanPathTests {
		got, err := cleanPath(tc.escaped)
		if tc.want == "" {
			if err == nil {
				t.Errorf("cleanPath(%q) = %q, want it refused", tc.escaped, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("cleanPath(%q) = %q, %v; want %q", tc.escaped, got, err, tc.want)
		}
	}
}

func TestHiddenSegment(t *testing.T) {
	for name, want := range map[string]bool{
		"app.wasm": false, "sub/x.js": false, "a.b/c": false,
		".git": true, ".git/config": true, "sub/.env": true, "a/.b/c": true, "..x": true,
	} {
		if got := hiddenSegment(name); got != want {
			t.Errorf("hiddenSegment(%q) = %v", name, got)
		}
	}
}

// FuzzCleanPath checks that whatever path cleanPath accepts stays inside
// the folder it is joined to: no dot segments, no separators or NUL
// beyond the slashes, valid UTF-8, already clean, and the name under a
// prefix is one os.Root and fs.FS accept as relative.
func FuzzCleanPath(f *testing.F) {
	for _, tc := range cleanPathTests {
		f.Add(tc.escaped)
	}
	for _, s := range []string{"/web/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/web/..%c0%af..%c0%afetc",
		"/web/%u002e%u002e/x", "/web/.%00./x", "/data/train-images-idx3-ubyte.gz",
		"/web/C:/Windows/win.ini", "/web/%5c%5cserver%5cshare", "/web/" + strings.Repeat("../", 20)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, escaped string) {
		p, err := cleanPath(escaped)
		if err != nil {
			return
		}
		if !strings.HasPrefix(p, "/") {
			t.Fatalf("cleanPath(%q) = %q: not absolute", escaped, p)
		}
		if !utf8.ValidString(p) || strings.ContainsAny(p, "\\\x00") {
			t.Fatalf("cleanPath(%q) = %q: backslash, NUL or bad UTF-8", escaped, p)
		}
		trimmed := strings.TrimSuffix(p, "/")
		if trimmed != "" && path.Clean(trimmed) != trimmed {
			t.Fatalf("cleanPath(%q) = %q: not clean (%q)", escaped, p, path.Clean(trimmed))
		}
		for seg := range strings.SplitSeq(trimmed[min(1, len(trimmed)):], "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("cleanPath(%q) = %q: dot segment", escaped, p)
			}
		}
		// Under a prefix, the name is a valid relative file name.
		if name, ok := strings.CutPrefix(p, WebPrefix); ok && name != "" && !strings.HasSuffix(name, "/") {
			if !fs.ValidPath(name) {
				t.Fatalf("cleanPath(%q): name %q under /web/ is not a valid fs path", escaped, name)
			}
		}
		// Escaping the result again and cleaning gives it back.
		again, err := cleanPath((&url.URL{Path: p}).EscapedPath())
		if err != nil || again != p {
			t.Fatalf("cleanPath(%q) = %q, but its escaped form gives %q, %v", escaped, p, again, err)
		}
	})
}
