// Command precompress writes gzip and Brotli copies of files, X.gz and X.br
// beside each X, for servers and static hosts that send a precompressed
// variant to browsers that accept it (warmstart serve does). make web runs
// it on the wasm files and wasm_exec.js:
//
//	go run ./server/internal/precompress web/app.wasm web/worker.wasm web/wasm_exec.js
//
// A copy that is not smaller than the file is not kept (a stale one is
// removed), and a copy newer than its file is left as it is.
package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/andybalholm/brotli"
)

// brotliQuality trades time for size: 11, the maximum, takes minutes on
// a 20 MB wasm file for about 3% less than 9.
const brotliQuality = 9

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: precompress FILE...")
		os.Exit(2)
	}
	for _, name := range os.Args[1:] {
		if err := compress(name); err != nil {
			fmt.Fprintln(os.Stderr, "precompress:", err)
			os.Exit(1)
		}
	}
}

// encoder is one content-coding: its file suffix and a writer.
type encoder struct {
	suffix string
	writer func(io.Writer) (io.WriteCloser, error)
}

var encoders = []encoder{
	{".gz", func(w io.Writer) (io.WriteCloser, error) { return gzip.NewWriterLevel(w, gzip.BestCompression) }},
	{".br", func(w io.Writer) (io.WriteCloser, error) {
		return brotli.NewWriterLevel(w, brotliQuality), nil
	}},
}

// compress writes name's compressed copies.
func compress(name string) error {
	st, err := os.Stat(name)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", name)
	}
	var src []byte
	for _, e := range encoders {
		dst := name + e.suffix
		if dst, err := os.Stat(dst); err == nil && dst.ModTime().After(st.ModTime()) {
			continue
		}
		if src == nil {
			if src, err = os.ReadFile(name); err != nil {
				return err
			}
		}
		var buf bytes.Buffer
		w, err := e.writer(&buf)
		if err != nil {
			return err
		}
		if _, err := w.Write(src); err != nil {
			return fmt.Errorf("compress %s: %w", name, err)
		}
		if err := w.Close(); err != nil {
			return fmt.Errorf("compress %s: %w", name, err)
		}
		if buf.Len() >= len(src) {
			if err := os.Remove(dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			continue
		}
		if err := writeAtomic(dst, buf.Bytes()); err != nil {
			return err
		}
		fmt.Printf("%s: %d bytes, %s %d bytes (%.0f%%)\n", name, len(src), e.suffix, buf.Len(),
			100*float64(buf.Len())/float64(len(src)))
	}
	return nil
}

// writeAtomic writes b to name through a temporary file in the same
// folder, so a server never sends a half-written copy.
func writeAtomic(name string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), name)
}
