//go:build js && wasm

package jsenv

// These tests run under Node (GOOS=js GOARCH=wasm go test, with
// $(go env GOROOT)/lib/wasm on PATH). Node 20 has fetch, but no Cache
// Storage and no navigator.locks: the tests check the adapters' errors
// where the API is missing, and their logic against small JavaScript
// stand-ins that follow the browser's API; a real browser runs them in
// the worker smoke test.

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hack-pad/safejs"
	"io"
	"testing/iotest"
)

// eval runs JavaScript source as a function body and returns its value.
func eval(t *testing.T, src string, args ...any) safejs.Value {
	t.Helper()
	fn, err := safejs.Global().Get("Function")
	if err != nil {
		t.Fatal(err)
	}
	var params []any
	for i := range args {
		params = append(params, "a"+string(rune('0'+i)))
	}
	f, err := fn.New(append(params, src)...)
	if err != nil {
		t.Fatalf("compile %q: %v", src, err)
	}
	v, err := f.Invoke(args...)
	if err != nil {
		t.Fatalf("run %q: %v", src, err)
	}
	return v
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestAwait(t *testing.T) {
	v, err := Await(ctx(t), eval(t, `return new Promise(r => setTimeout(() => r(42), 5))`))
	if n, _ := v.Int(); err != nil || n != 42 {
		t.Errorf("resolved: %v, %v", n, err)
	}
	// A plain value is a resolved promise.
	if v, err := Await(ctx(t), eval(t, `return "x"`)); err != nil || v.Type() != safejs.TypeString {
		t.Errorf("plain value: %v", err)
	}
	for src, want := range map[string]*Error{
		`return Promise.reject(new TypeError("Failed to fetch"))`:                                       {Name: "TypeError", Message: "Failed to fetch"},
		`return Promise.reject(new DOMException("The quota has been exceeded.", "QuotaExceededError"))`: {Name: "QuotaExceededError", Message: "The quota has been exceeded."},
		`return Promise.reject("just a string")`:                                                        {Message: "just a string"},
		`return Promise.reject(undefined)`:                                                              {Message: "undefined"},
	} {
		_, err := Await(ctx(t), eval(t, src))
		var je *Error
		if !errors.As(err, &je) || *je != *want {
			t.Errorf("%s: got %#v, want %#v", src, err, want)
		}
	}
	// A context that ends first wins; the promise settles later.
	c, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := Await(c, eval(t, `return new Promise(r => setTimeout(r, 200))`)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("cancelled: %v", err)
	}
}

// fakeCaches installs a stand-in for Cache Storage that follows its API
// (open, match, put, delete, with Response bodies); failPut makes put
// reject as a full quota does.
func fakeCaches(t *testing.T, failPut bool) {
	eval(t, `
		const stores = new Map();
		globalThis.caches = {
			async open(name) {
				if (!stores.has(name)) stores.set(name, new Map());
				const m = stores.get(name);
				return {
					async match(key) { const b = m.get(String(key)); return b === undefined ? undefined : new Response(b.slice()); },
					async put(key, resp) {
						if (a0) throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
						if (!(resp instanceof Response)) throw new TypeError("not a Response");
						m.set(String(key), new Uint8Array(await resp.arrayBuffer()));
					},
					async delete(key) { return m.delete(String(key)); },
				};
			},
		};`, failPut)
	t.Cleanup(func() { eval(t, `delete globalThis.caches`) })
}

func TestCacheStore(t *testing.T) {
	c := CacheStore{Name: StoreCache}
	if _, _, err := c.Get(ctx(t), "/warmstart-store/report.json"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Get without Cache Storage: %v, want ErrUnavailable", err)
	}
	if err := c.Put(ctx(t), "/k", []byte{1}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Put without Cache Storage: %v, want ErrUnavailable", err)
	}

	fakeCaches(t, false)
	key := "/warmstart-store/model/baseline.model"
	if _, ok, err := c.Get(ctx(t), key); ok || err != nil {
		t.Errorf("Get of a missing key: %v, %v", ok, err)
	}
	want := bytes.Repeat([]byte{0, 1, 2, 250}, 50000)
	if err := c.Put(ctx(t), key, want); err != nil {
		t.Fatal(err)
	}
	got, ok, err := c.Get(ctx(t), key)
	if !ok || err != nil || !bytes.Equal(got, want) {
		t.Errorf("Get after Put: %d bytes, %v, %v", len(got), ok, err)
	}
	// Open streams the same bytes, in pieces of the reader's asking.
	r, size, ok, err := c.Open(ctx(t), key)
	if !ok || err != nil || size != int64(len(want)) {
		t.Fatalf("Open: %d bytes, %v, %v", size, ok, err)
	}
	streamed, err := io.ReadAll(iotest.HalfReader(r))
	if err != nil || !bytes.Equal(streamed, want) {
		t.Errorf("Open then read: %d bytes, %v", len(streamed), err)
	}
	if _, _, ok, err := c.Open(ctx(t), "/warmstart-store/missing"); ok || err != nil {
		t.Errorf("Open of a missing key: %v, %v", ok, err)
	}
	if _, ok, _ := (CacheStore{Name: DataCache}).Get(ctx(t), key); ok {
		t.Error("two caches share entries")
	}
	if err := c.Delete(ctx(t), key); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := c.Get(ctx(t), key); ok {
		t.Error("Get after Delete found the entry")
	}
}

func TestCacheStoreQuota(t *testing.T) {
	fakeCaches(t, true)
	err := CacheStore{Name: StoreCache}.Put(ctx(t), "/warmstart-store/report.json", []byte("{}"))
	var je *Error
	if !errors.As(err, &je) || je.Name != "QuotaExceededError" || !strings.Contains(err.Error(), "report.json") {
		t.Errorf("Put over the quota: %v", err)
	}
}

// server starts a Node HTTP server for the fetch tests and returns its
// base URL.
func server(t *testing.T) string {
	srv := eval(t, `
		const http = require("http");
		const html = "<!DOCTYPE html><html><body>" + "x".repeat(100000) + "</body></html>";
		const body = new Uint8Array(300000).map((_, i) => i % 251);
		const s = http.createServer((req, res) => {
			switch (req.url) {
			case "/ok":
				res.writeHead(200, {"Content-Type": "application/gzip", "Content-Length": body.length});
				// Several writes, so the body arrives in chunks.
				for (let i = 0; i < body.length; i += 65536) res.write(body.subarray(i, i + 65536));
				res.end();
				return;
			case "/nolength":
				res.writeHead(200, {"Content-Type": "application/gzip"});
				res.end(body.subarray(0, 1000));
				return;
			case "/missing":
				res.writeHead(404, "Not Found", {"Content-Type": "text/html"});
				res.end(html);
				return;
			case "/slow":
				res.writeHead(200, {"Content-Length": 1000000});
				res.write(body.subarray(0, 1000)); // and never the rest
				return;
			}
			res.writeHead(500); res.end();
		});
		return new Promise(r => s.listen(0, "127.0.0.1", () => r(s)));`)
	s, err := Await(ctx(t), srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Call("closeAllConnections")
		s.Call("close")
	})
	addr, err := s.Call("address")
	if err != nil {
		t.Fatal(err)
	}
	port, _ := addr.Get("port")
	p, _ := port.Int()
	return "http://127.0.0.1:" + itoa(p)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestFetch(t *testing.T) {
	base := server(t)
	var calls []int64
	var lastTotal int64
	r, err := Fetcher{}.Fetch(ctx(t), base+"/ok", func(n, total int64) {
		calls = append(calls, n)
		lastTotal = total
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != 200 || len(r.Body) != 300000 || r.Body[252] != 1 || r.Body[299999] != byte(299999%251) {
		t.Errorf("200: status %d, %d bytes", r.Status, len(r.Body))
	}
	if len(calls) < 3 || calls[0] != 0 || calls[len(calls)-1] != 300000 || lastTotal != 300000 {
		t.Errorf("progress calls %v, total %d", calls, lastTotal)
	}

	r, err = Fetcher{}.Fetch(ctx(t), base+"/nolength", func(n, total int64) { lastTotal = total })
	if err != nil || len(r.Body) != 1000 || lastTotal != 0 {
		t.Errorf("no Content-Length: %v, %d bytes, total %d", err, len(r.Body), lastTotal)
	}

	r, err = Fetcher{}.Fetch(ctx(t), base+"/missing", nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != 404 || r.StatusText != "Not Found" || len(r.Body) != 4096 || !bytes.HasPrefix(r.Body, []byte("<!DOCTYPE html>")) {
		t.Errorf("404: %d %q, %d bytes", r.Status, r.StatusText, len(r.Body))
	}

	// Cancel aborts a download that stalls.
	c, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := (Fetcher{}).Fetch(c, base+"/slow", nil); err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("stalled download: %v after %v", err, time.Since(start))
	}

	// A refused connection is an error, not a status.
	if _, err := (Fetcher{}).Fetch(ctx(t), "http://127.0.0.1:1/data", nil); err == nil {
		t.Error("fetch from a closed port succeeded")
	}
}

func TestLocks(t *testing.T) {
	if _, err := NewLocks(); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Node 20 has no navigator.locks, yet NewLocks gave %v", err)
	}
	// A stand-in with the Web Locks semantics of ifAvailable: the
	// callback gets null when the lock is held, and the lock is held
	// until the callback's promise settles.
	eval(t, `
		const held = new Set();
		globalThis.navigator = {locks: {
			request(name, opts, cb) {
				if (!opts || !opts.ifAvailable) return Promise.reject(new TypeError("test stand-in wants ifAvailable"));
				if (held.has(name)) return Promise.resolve().then(() => cb(null));
				held.add(name);
				return Promise.resolve().then(() => cb({name})).finally(() => held.delete(name));
			},
		}, heldNames: () => [...held].join(",")};`)
	t.Cleanup(func() { eval(t, `delete globalThis.navigator`) })
	l, err := NewLocks()
	if err != nil {
		t.Fatal(err)
	}
	release, ok, err := l.TryLock(ctx(t), "warmstart-train")
	if !ok || err != nil {
		t.Fatalf("first TryLock: %v, %v", ok, err)
	}
	if _, ok, err := l.TryLock(ctx(t), "warmstart-train"); ok || err != nil {
		t.Errorf("second TryLock while held: %v, %v", ok, err)
	}
	release()
	release() // a second call does nothing
	// The release resolves the holding promise; the lock is free after
	// the next turn of the event loop.
	deadline := time.Now().Add(5 * time.Second)
	for {
		time.Sleep(5 * time.Millisecond)
		if s, _ := eval(t, `return navigator.heldNames()`).String(); s == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the lock was not released")
		}
	}
	release, ok, err = l.TryLock(ctx(t), "warmstart-train")
	if !ok || err != nil {
		t.Fatalf("TryLock after release: %v, %v", ok, err)
	}
	release()
}

func TestYield(t *testing.T) {
	y, err := NewYielder()
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	// A task queued by JavaScript runs while Go yields, though Go never
	// blocks otherwise.
	eval(t, `globalThis.ran = false; setTimeout(() => { globalThis.ran = true; }, 0);`)
	deadline := time.Now().Add(5 * time.Second)
	for n := 0; ; n++ {
		y.Yield()
		if ran, _ := eval(t, `return globalThis.ran`).Bool(); ran {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a JavaScript timer did not run during %d yields", n)
		}
		for i := 0; i < 1e5; i++ { // busy, as training is
		}
	}
	// Yield is cheap: no 4 ms setTimeout clamp.
	start := time.Now()
	for range 200 {
		y.Yield()
	}
	if d := time.Since(start) / 200; d > 2*time.Millisecond {
		t.Errorf("a yield takes %v", d)
	}
}

func TestCores(t *testing.T) {
	if n := Cores(); n != 0 {
		t.Errorf("Cores without navigator: %d", n)
	}
	eval(t, `globalThis.navigator = {hardwareConcurrency: 8}`)
	defer eval(t, `delete globalThis.navigator`)
	if n := Cores(); n != 8 {
		t.Errorf("Cores: %d, want 8", n)
	}
}
