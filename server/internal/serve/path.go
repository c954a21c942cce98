package serve

import (
	"errors"
	"net/url"
	"strings"
	"unicode/utf8"
)

// errBadPath reports a request path that no well-behaved client sends:
// an encoded slash, backslash or NUL, a bad escape, a control character,
// invalid UTF-8, an empty segment or a "." or ".." segment (clients remove
// dot segments before sending, RFC 3986 section 5.2.4). It is answered 400.
var errBadPath = errors.New("malformed path")

// cleanPath checks the escaped path of a request URL (as
// [url.URL.EscapedPath] returns it) and returns it decoded. A path it
// accepts starts with "/", has no empty, "." or ".." segment (only the last
// segment may be empty: a trailing slash), and holds no backslash, NUL,
// other control character or invalid UTF-8, so joined to a folder it never
// leaves it. It never rewrites a path into another one: whatever is not
// already clean is refused with errBadPath.
func cleanPath(escaped string) (string, error) {
	if !strings.HasPrefix(escaped, "/") {
		return "", errBadPath
	}
	// An encoded slash or backslash would be a separator once decoded,
	// and an encoded NUL ends a C string: refuse them before decoding.
	for i := strings.IndexByte(escaped, '%'); i >= 0; {
		if len(escaped) < i+3 {
			return "", errBadPath
		}
		switch strings.ToLower(escaped[i+1 : i+3]) {
		case "2f", "5c", "00":
			return "", errBadPath
		}
		j := strings.IndexByte(escaped[i+1:], '%')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	p, err := url.PathUnescape(escaped)
	if err != nil {
		return "", errBadPath
	}
	if !utf8.ValidString(p) {
		return "", errBadPath
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return "", errBadPath
		}
	}
	segs := strings.Split(p[1:], "/")
	for i, s := range segs {
		switch {
		case s == "" && i < len(segs)-1:
			return "", errBadPath // "//": an empty segment, or an absolute path after a prefix
		case s == "." || s == "..":
			return "", errBadPath
		}
	}
	return p, nil
}

// hiddenSegment reports whether a segment of the slash-separated name
// starts with a dot, as .git, .env or .DS_Store do: such files are never
// served.
func hiddenSegment(name string) bool {
	for _, s := range strings.Split(name, "/") {
		if strings.HasPrefix(s, ".") {
			return true
		}
	}
	return false
}
