package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"

	webapp "warmstart/app"
	"warmstart/nn/data"
	"warmstart/server/internal/serve"
	"warmstart/wasm/protocol"
)

// defaultWebDir is the web folder, relative to the working directory or,
// failing that, to the repository of the executable (bin/warmstart).
const defaultWebDir = "web"

// serveOptions are the flags of the serve command.
type serveOptions struct {
	Addr    string
	DataDir string // "" means data.Locate's default search
	WebDir  string // "" means ./web, then web/ beside the executable's bin/
	Verbose bool
}

func newServeFlags() (*flag.FlagSet, *serveOptions) {
	o := &serveOptions{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.Addr, "addr", serve.DefaultAddr,
		"`host:port` to listen on; a non-loopback address (0.0.0.0, a LAN address) opens the server to the network")
	fs.StringVar(&o.DataDir, "data", "",
		"`directory` of the Fashion-MNIST files (default: ./data, then /usr/share/datasets/fashion-mnist)")
	fs.StringVar(&o.WebDir, "web", "",
		"`directory` of the static files served under /web/ (default: ./web, then the web/ beside the executable's bin/)")
	fs.BoolVar(&o.Verbose, "v", false, "log every request")
	return fs, o
}

// parseServeFlags parses the serve command's arguments; every error is a
// usageError, and flag.ErrHelp is returned as is for -h.
func parseServeFlags(args []string) (serveOptions, error) {
	fs, o := newServeFlags()
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return serveOptions{}, err
		}
		return serveOptions{}, usageError{err}
	}
	if fs.NArg() > 0 {
		return serveOptions{}, usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	if _, err := serve.CheckAddr(o.Addr); err != nil {
		return serveOptions{}, usageErrorf("-addr: %w", err)
	}
	return *o, nil
}

func printServeUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: warmstart serve [flags]

Serves the browser app: the page, the static files of the web folder under
/web/ and the four Fashion-MNIST files under /data/, which it checks first
(it refuses to start on a missing or corrupt file). It prints the URL to
open and runs until Ctrl-C or SIGTERM, then finishes the requests in flight
(exit status 0).

It listens on the loopback interface only unless -addr asks for another.

Examples:
  warmstart serve
  warmstart serve -addr 127.0.0.1:9000 -data /usr/share/datasets/fashion-mnist

Flags:
`)
	fs, _ := newServeFlags()
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// serve runs the serve command and returns the exit status.
func (a *app) serve(ctx context.Context, args []string) int {
	opts, err := parseServeFlags(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printServeUsage(a.stdout)
		return exitOK
	case err != nil:
		fmt.Fprintf(a.stderr, "warmstart serve: %v\nRun 'warmstart serve -h' for usage.\n", err)
		return exitUsage
	}
	if opts.Verbose {
		a.level.Set(slog.LevelDebug)
	}

	// Check everything before listening: a server that answers but cannot
	// serve the data or the app only fails later, in the browser.
	dir, err := data.Locate(opts.DataDir, data.AllParts)
	if err != nil {
		fmt.Fprintf(a.stderr, "warmstart serve: %v\n", err)
		return exitError
	}
	start := time.Now()
	ds, err := serve.LoadData(dir)
	if err != nil {
		fmt.Fprintf(a.stderr, "warmstart serve: %v\n", err)
		return exitError
	}
	a.log.Info("data", "dir", dir, "bytes", ds.Bytes(), "elapsed", time.Since(start).Round(time.Millisecond))
	webDir, err := findWebDir(opts.WebDir)
	if err != nil {
		fmt.Fprintf(a.stderr, "warmstart serve: %v\n", err)
		return exitError
	}
	if st, err := os.Stat(filepath.Join(webDir, "app.wasm")); err != nil || !st.Mode().IsRegular() {
		a.log.Warn("the browser app is not built: the page will not start", "missing", filepath.Join(webDir, "app.wasm"))
	}

	// go-app logs with fmt.Printf; stdout is for the URL only.
	goapp.DefaultLogger = func(format string, v ...any) {
		level := slog.LevelInfo
		for _, x := range v {
			if _, ok := x.(error); ok {
				level = slog.LevelError
			}
		}
		a.log.Log(context.Background(), level, "app: "+fmt.Sprintf(format, v...))
	}
	webapp.Routes()
	h, err := serve.New(serve.Options{
		Data:   ds,
		WebDir: webDir,
		App:    webapp.NewHandler(protocol.Build),
		Log:    a.log,
	})
	if err != nil {
		fmt.Fprintf(a.stderr, "warmstart serve: %v\n", err)
		return exitError
	}
	defer h.Close()

	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		fmt.Fprintf(a.stderr, "warmstart serve: %v\n", err)
		return exitError
	}
	if loopback, _ := serve.CheckAddr(opts.Addr); !loopback {
		a.log.Warn("listening on a non-loopback address: anyone who can reach this machine can load the app and the data",
			"addr", ln.Addr().String())
	}
	return a.runServer(ctx, serve.NewServer(h, a.log), ln, dir, webDir)
}

// runServer serves on ln until ctx ends or a signal comes, then shuts the
// server down, giving the requests in flight serve.ShutdownTimeout.
func (a *app) runServer(ctx context.Context, srv *http.Server, ln net.Listener, dataDir, webDir string) int {
	// The first signal starts the shutdown and restores the default
	// handling, so a second one ends the process at once.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	url := serve.URL(ln.Addr())
	a.log.Info("serving", "url", url, "data", dataDir, "web", webDir, "build", protocol.Build)
	fmt.Fprintln(a.stdout, url)

	select {
	case err := <-errc:
		a.log.Error("serve", "err", err)
		return exitError
	case <-ctx.Done():
	}
	stop()
	a.log.Info("shutting down", "timeout", serve.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), serve.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		a.log.Warn("requests still open at the deadline; closing their connections", "err", err)
		srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		a.log.Error("serve", "err", err)
		return exitError
	}
	a.log.Info("stopped")
	return exitOK
}

// findWebDir returns the web folder: dir if the user gave -web (it must
// exist), else ./web, else web/ in the repository of the executable (for
// bin/warmstart run from elsewhere).
func findWebDir(dir string) (string, error) {
	isDir := func(d string) bool {
		st, err := os.Stat(d)
		return err == nil && st.IsDir()
	}
	if dir != "" {
		if !isDir(dir) {
			return "", fmt.Errorf("-web %s: not a directory", dir)
		}
		return dir, nil
	}
	tried := []string{defaultWebDir}
	if isDir(defaultWebDir) {
		return defaultWebDir, nil
	}
	if exe, err := os.Executable(); err == nil {
		if exe, err = filepath.EvalSymlinks(exe); err == nil {
			d := filepath.Join(filepath.Dir(filepath.Dir(exe)), defaultWebDir)
			if isDir(d) {
				return d, nil
			}
			tried = append(tried, d)
		}
	}
	return "", fmt.Errorf("web folder not found (tried %v); run from the repository or pass -web DIR", tried)
}
