//go:build unix

package serve

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestFIFOIsNotOpened checks that a named pipe in the web folder is
// passed over at once: opening it for reading would block the request
// until some writer came.
func TestFIFOIsNotOpened(t *testing.T) {
	s := newTestSite(t)
	for _, name := range []string{"pipe.js", "style.css.gz"} {
		if err := syscall.Mkfifo(filepath.Join(s.webDir, name), 0o644); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
	}
	// pipe.js is a FIFO; style.css.gz, a FIFO as a precompressed
	// variant, must be passed over for the file itself.
	for target, want := range map[string]int{"/web/pipe.js": 404, "/web/style.css": 200} {
		done := make(chan int, 1)
		go func() { done <- s.do("GET", target, "Accept-Encoding", "gzip").Code }()
		select {
		case code := <-done:
			if code != want {
				t.Errorf("%s: status %d, want %d", target, code, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: the request blocked on a FIFO", target)
		}
	}
}
