package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"

	webapp "warmstart/app"
	"warmstart/nn/data"
	"warmstart/server/internal/serve"
	"warmstart/wasm/protocol"
)

// distMarker marks a folder written by warmstart dist: dist replaces only
// such a folder, or an empty or missing one, never anything else.
const distMarker = ".warmstart-dist"

// distOptions are the flags of the dist command.
type distOptions struct {
	Out     string
	DataDir string // "" means data.Locate's default search
	WebDir  string // "" means ./web, then web/ beside the executable's bin/
}

func newDistFlags() (*flag.FlagSet, *distOptions) {
	o := &distOptions{}
	fs := flag.NewFlagSet("dist", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.Out, "out", "dist", "output `directory`; replaced if an earlier dist wrote it")
	fs.StringVar(&o.DataDir, "data", "",
		"`directory` of the Fashion-MNIST files (default: ./data, then /usr/share/datasets/fashion-mnist)")
	fs.StringVar(&o.WebDir, "web", "",
		"`directory` of the built web files (default: ./web, then the web/ beside the executable's bin/)")
	return fs, o
}

func printDistUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: warmstart dist [flags]

Writes a self-contained static site: the prerendered pages, go-app's
app.js, app-worker.js, wasm_exec.js and manifest, the web folder (the page
and worker wasm with their .gz and .br copies, worker.js, styles, icons),
the four Fashion-MNIST files under data/, which it checks first, and a
_headers file with the headers the host must send (Netlify and Cloudflare
Pages read it). Serve the folder at the root of an HTTPS origin.

Run 'make dist' rather than this command: it builds the web files of the
same build first. dist refuses web files of another build.

Flags:
`)
	fs, _ := newDistFlags()
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// dist runs the dist command and returns the exit status.
func (a *app) dist(ctx context.Context, args []string) int {
	fs, o := newDistFlags()
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printDistUsage(a.stdout)
			return exitOK
		}
		fmt.Fprintf(a.stderr, "warmstart dist: %v\nRun 'warmstart dist -h' for usage.\n", err)
		return exitUsage
	}
	if fs.NArg() > 0 || o.Out == "" {
		fmt.Fprintf(a.stderr, "warmstart dist: want -out DIR and no arguments\nRun 'warmstart dist -h' for usage.\n")
		return exitUsage
	}
	if err := a.writeDist(*o); err != nil {
		fmt.Fprintf(a.stderr, "warmstart dist: %v\n", err)
		return exitError
	}
	return exitOK
}

// webRequired are the built files the site cannot work without.
var webRequired = []string{"app.wasm", "worker.wasm", "wasm_exec.js", "worker.js"}

// writeDist checks the inputs, writes the site into a new folder beside
// o.Out and then puts it in o.Out's place.
func (a *app) writeDist(o distOptions) error {
	// Check everything first: the web files of this build and the data.
	webDir, err := findWebDir(o.WebDir)
	if err != nil {
		return err
	}
	for _, name := range webRequired {
		b, err := os.ReadFile(filepath.Join(webDir, name))
		if err != nil {
			return fmt.Errorf("%w (build the web files with `make web`)", err)
		}
		// Both wasm files carry the build id the Makefile gave them; a
		// site whose files come from two builds would tell its users to
		// reload forever.
		if strings.HasSuffix(name, ".wasm") && protocol.Build != "dev" && !bytes.Contains(b, []byte(protocol.Build)) {
			return fmt.Errorf("%s is not of build %s, this binary's: run `make dist`, which builds both",
				filepath.Join(webDir, name), protocol.Build)
		}
	}
	dataDir, err := data.Locate(o.DataDir, data.AllParts)
	if err != nil {
		return err
	}
	if _, err := serve.LoadData(dataDir); err != nil {
		return err
	}
	if err := checkReplaceable(o.Out); err != nil {
		return err
	}

	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(o.Out)), "."+filepath.Base(o.Out)+".tmp*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}

	// The pages and go-app's files.
	webapp.Routes()
	if err := goapp.GenerateStaticWebsite(tmp, webapp.NewHandler(protocol.Build)); err != nil {
		return fmt.Errorf("generate the pages: %w", err)
	}
	// go-app serves the wasm_exec.js of the Go release that built this
	// binary; the page needs the one of the release that built app.wasm,
	// which make web copied into the web folder (failure case C13).
	ours, err := os.ReadFile(filepath.Join(webDir, "wasm_exec.js"))
	if err != nil {
		return err
	}
	if theirs, err := os.ReadFile(filepath.Join(tmp, "wasm_exec.js")); err != nil || !bytes.Equal(ours, theirs) {
		a.log.Warn("go-app's wasm_exec.js differs from the one of the compiler that built the wasm; using the latter")
		if err := os.WriteFile(filepath.Join(tmp, "wasm_exec.js"), ours, 0o644); err != nil {
			return err
		}
	}

	// The web folder, the data and the headers.
	nWeb, err := copyTree(filepath.Join(tmp, "web"), webDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(tmp, "data"), 0o755); err != nil {
		return err
	}
	for _, f := range data.PublishedFiles() {
		if err := copyDataFile(filepath.Join(tmp, "data", f.Name), filepath.Join(dataDir, f.Name)); err != nil {
			return err
		}
	}
	var hdr bytes.Buffer
	if err := serve.WriteHeadersFile(&hdr); err != nil {
		return err
	}
	for name, b := range map[string][]byte{
		"_headers":  hdr.Bytes(),
		".nojekyll": nil, // GitHub Pages: serve the files as they are
		distMarker:  []byte("written by warmstart dist, build " + protocol.Build + "\n"),
	} {
		if err := os.WriteFile(filepath.Join(tmp, name), b, 0o644); err != nil {
			return err
		}
	}

	// Put the new site in place of the old one.
	if err := replaceDir(o.Out, tmp); err != nil {
		return err
	}
	size, err := dirSize(o.Out)
	if err != nil {
		return err
	}
	a.log.Info("dist", "out", o.Out, "build", protocol.Build, "web files", nWeb, "data", dataDir,
		"bytes", size)
	fmt.Fprintf(a.stdout, "wrote %s (%.1f MB): serve it at the root of an HTTPS origin (see README, Deploy)\n",
		o.Out, float64(size)/1e6)
	return nil
}

// checkReplaceable refuses an output folder that dist did not write.
func checkReplaceable(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case len(entries) == 0:
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, distMarker)); err != nil {
		return fmt.Errorf("%s exists and was not written by warmstart dist: remove it or choose another -out", dir)
	}
	return nil
}

// replaceDir puts the folder tmp at dir, removing what dir held.
func replaceDir(dir, tmp string) error {
	old := ""
	if _, err := os.Stat(dir); err == nil {
		old = tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			os.Rename(old, dir)
		}
		return err
	}
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}

// copyTree copies the regular, non-hidden files under src into dst and
// returns how many it copied.
func copyTree(dst, src string) (int, error) {
	n := 0
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if rel != "." && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		case d.Type().IsRegular():
			n++
			return copyFile(filepath.Join(dst, rel), path)
		}
		return nil // symbolic links and the like are not part of a site
	})
	return n, err
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return out.Close()
}

// copyDataFile copies a dataset file, compressing it on the way when it
// is stored decompressed under its .gz name (which the reader accepts):
// the site's _headers announce /data/* as application/gzip, and a static
// host cannot tell the two apart as warmstart serve does.
func copyDataFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	var magic [2]byte
	n, _ := io.ReadFull(in, magic[:])
	if n == 2 && magic == [2]byte{0x1f, 0x8b} {
		in.Close()
		return copyFile(dst, src)
	}
	if _, err := in.Seek(0, io.SeekStart); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	zw := gzip.NewWriter(out)
	_, err = io.Copy(zw, in)
	if err == nil {
		err = zw.Close()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("compress %s: %w", src, err)
	}
	return nil
}

func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			n += info.Size()
		}
		return err
	})
	return n, err
}
