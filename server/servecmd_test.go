package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"warmstart/nn/data"
)

// TestServeRefusesBadData checks that serve does not start on a missing
// data folder or a corrupt file, with exit status 1 (missing or corrupt
// data, as for experiment) and a message that names the file, says what is
// wrong and how to get the data.
func TestServeRefusesBadData(t *testing.T) {
	corrupt := t.TempDir()
	for _, f := range data.PublishedFiles() {
		// A dead download link saved an HTML page under each name.
		page := "<!DOCTYPE html>\n<html><body>404 Not Found</body></html>\n"
		if err := os.WriteFile(filepath.Join(corrupt, f.Name), []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	partial := t.TempDir()
	if err := os.WriteFile(filepath.Join(partial, data.TrainImagesFile), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		dir  string
		want []string
	}{
		{"missing folder", filepath.Join(t.TempDir(), "nowhere"),
			[]string{"nowhere does not exist", "apt-get install dataset-fashion-mnist"}},
		{"missing files", partial,
			[]string{data.TrainLabelsFile, "apt-get install dataset-fashion-mnist"}},
		{"HTML pages under the .gz names", corrupt,
			[]string{filepath.Join(corrupt, data.TrainImagesFile), filepath.Join(corrupt, data.TestLabelsFile),
				"HTML page", "<!DOCTYPE", "apt-get install dataset-fashion-mnist", "./data"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, stdout, stderr := newTestApp()
			code := a.run(context.Background(), []string{"serve", "-addr", "127.0.0.1:0", "-data", tc.dir})
			if code != exitError {
				t.Fatalf("exit status %d, want %d; stderr:\n%s", code, exitError, stderr)
			}
			for _, want := range tc.want {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if stdout.Len() > 0 {
				t.Errorf("a URL was printed although the server did not start: %q", stdout)
			}
		})
	}
}

func TestServeUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "-addr", "8080"}, "missing port in address"},
		{[]string{"serve", "-addr", "127.0.0.1:99999"}, "bad port"},
		{[]string{"serve", "-port", "80"}, "flag provided but not defined: -port"},
		{[]string{"serve", "web"}, `unexpected argument "web"`},
	} {
		a, _, stderr := newTestApp()
		if code := a.run(context.Background(), tc.args); code != exitUsage {
			t.Errorf("%q: exit status %d, want %d", tc.args, code, exitUsage)
		}
		if !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%q: stderr lacks %q:\n%s", tc.args, tc.want, stderr)
		}
	}
	for _, args := range [][]string{{"serve", "-h"}, {"help", "serve"}} {
		a, stdout, _ := newTestApp()
		if code := a.run(context.Background(), args); code != exitOK {
			t.Errorf("%q: exit status %d", args, code)
		}
		for _, want := range []string{"Usage: warmstart serve", "-addr", "-data", "-web", "127.0.0.1:8080"} {
			if !strings.Contains(stdout.String(), want) {
				t.Errorf("%q: usage lacks %q", args, want)
			}
		}
	}
	a, stdout, _ := newTestApp()
	a.run(context.Background(), []string{"help"})
	if !strings.Contains(stdout.String(), "serve ") {
		t.Errorf("help does not list serve:\n%s", stdout)
	}
}

func TestServeRefusesMissingWebFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("checks the real dataset first")
	}
	a, _, stderr := newTestApp()
	missing := filepath.Join(t.TempDir(), "no-web")
	code := a.run(context.Background(), []string{"serve", "-addr", "127.0.0.1:0", "-web", missing})
	if code != exitError || !strings.Contains(stderr.String(), "no-web: not a directory") {
		t.Errorf("exit status %d; stderr:\n%s", code, stderr)
	}
}

// lockedBuffer is a bytes.Buffer safe for a writer and a reader in two
// goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServeEndToEnd starts the server on the real dataset, fetches a data
// file, a static file and the page, and stops it as Ctrl-C would.
func TestServeEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("checks the real dataset")
	}
	dir, err := data.Locate("", data.AllParts)
	if err != nil {
		t.Fatalf("real Fashion-MNIST needed (run `make data`): %v", err)
	}
	web := t.TempDir()
	if err := os.WriteFile(filepath.Join(web, "app.wasm"), []byte("\x00asm\x01\x00\x00\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr lockedBuffer
	a := &app{stdout: &stdout, stderr: &stderr, level: new(slog.LevelVar)}
	a.log = slog.New(slog.NewTextHandler(&stderr, &slog.HandlerOptions{Level: a.level}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- a.run(ctx, []string{"serve", "-addr", "127.0.0.1:0", "-data", dir, "-web", web}) }()

	var url string
	for deadline := time.Now().Add(30 * time.Second); url == "" && time.Now().Before(deadline); {
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d before printing its URL; stderr:\n%s", code, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if s := stdout.String(); strings.HasSuffix(s, "\n") {
			url = strings.TrimSpace(s)
		}
	}
	if !strings.HasPrefix(url, "http://127.0.0.1:") || !strings.HasSuffix(url, "/") {
		t.Fatalf("stdout %q is not the URL to open", url)
	}

	get := func(path string) (*http.Response, []byte) {
		t.Helper()
		resp, err := http.Get(url + strings.TrimPrefix(path, "/"))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, body
	}
	resp, body := get("/data/" + data.TestLabelsFile)
	want, err := os.ReadFile(filepath.Join(dir, data.TestLabelsFile))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !bytes.Equal(body, want) || resp.Header.Get("Content-Encoding") != "" ||
		resp.Header.Get("Content-Type") != "application/gzip" {
		t.Errorf("data file: status %d, %d bytes, headers %v", resp.StatusCode, len(body), resp.Header)
	}
	if resp, _ := get("/web/app.wasm"); resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/wasm" {
		t.Errorf("app.wasm: status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if resp, body := get("/"); resp.StatusCode != 200 || !strings.Contains(string(body), "<html") {
		t.Errorf("page: status %d, body %.200q", resp.StatusCode, body)
	}

	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("exit status %d after the stop, want %d; stderr:\n%s", code, exitOK, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
}
