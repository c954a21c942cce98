//go:build js && wasm

package jsenv

import (
	"context"
	"fmt"
	"io"

	"github.com/hack-pad/safejs"
)

// Cache names of the worker. The go-app service worker deletes old
// caches whose names start with "app-" only, so these survive a
// redeploy; a change of format gets a new version suffix.
const (
	DataCache  = "warmstart-data-v1"  // checked dataset files, keyed by URL path
	StoreCache = "warmstart-store-v1" // last results and models, keyed by /warmstart-store/...
)

// CacheStore is a session.Store on one cache of Cache Storage. Keys are
// same-origin URL paths, such as "/data/t10k-labels-idx1-ubyte.gz" or
// "/warmstart-store/report.json"; the Cache API resolves them against
// the worker's location.
type CacheStore struct {
	Name string
}

func (c CacheStore) open(ctx context.Context) (safejs.Value, error) {
	caches, err := global("caches")
	if err != nil {
		return caches, fmt.Errorf("Cache Storage: %w", err)
	}
	cache, err := call(ctx, caches, "open", c.Name)
	if err != nil {
		return cache, fmt.Errorf("Cache Storage %q: open: %w", c.Name, err)
	}
	return cache, nil
}

// Get returns the body of the entry for key.
func (c CacheStore) Get(ctx context.Context, key string) ([]byte, bool, error) {
	cache, err := c.open(ctx)
	if err != nil {
		return nil, false, err
	}
	resp, err := call(ctx, cache, "match", key)
	if err != nil {
		return nil, false, fmt.Errorf("Cache Storage %q: match %s: %w", c.Name, key, err)
	}
	if resp.IsUndefined() || resp.IsNull() {
		return nil, false, nil
	}
	buf, err := call(ctx, resp, "arrayBuffer")
	if err != nil {
		return nil, false, fmt.Errorf("Cache Storage %q: read %s: %w", c.Name, key, err)
	}
	b, err := bytesFromJS(buf)
	if err != nil {
		return nil, false, fmt.Errorf("Cache Storage %q: read %s: %w", c.Name, key, err)
	}
	return b, true, nil
}

// Open returns a reader over the body of the entry for key, and its size.
// The body stays in JavaScript memory and the reader copies it into Go a
// piece at a time, so that a dataset file, decompressed as it is read,
// never has a whole second copy in the WebAssembly memory, which does not
// shrink once grown.
func (c CacheStore) Open(ctx context.Context, key string) (io.Reader, int64, bool, error) {
	cache, err := c.open(ctx)
	if err != nil {
		return nil, 0, false, err
	}
	resp, err := call(ctx, cache, "match", key)
	if err != nil {
		return nil, 0, false, fmt.Errorf("Cache Storage %q: match %s: %w", c.Name, key, err)
	}
	if resp.IsUndefined() || resp.IsNull() {
		return nil, 0, false, nil
	}
	buf, err := call(ctx, resp, "arrayBuffer")
	if err != nil {
		return nil, 0, false, fmt.Errorf("Cache Storage %q: read %s: %w", c.Name, key, err)
	}
	ctor, err := global("Uint8Array")
	if err != nil {
		return nil, 0, false, err
	}
	arr, err := ctor.New(buf)
	if err != nil {
		return nil, 0, false, fmt.Errorf("Cache Storage %q: read %s: %w", c.Name, key, err)
	}
	n, err := arr.Length()
	if err != nil {
		return nil, 0, false, err
	}
	return &jsReader{arr: arr, n: n}, int64(n), true, nil
}

// jsReader reads a JavaScript Uint8Array.
type jsReader struct {
	arr    safejs.Value
	off, n int
}

func (r *jsReader) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	k := min(len(p), r.n-r.off)
	sub, err := r.arr.Call("subarray", r.off, r.off+k)
	if err != nil {
		return 0, err
	}
	got, err := safejs.CopyBytesToGo(p[:k], sub)
	if err != nil {
		return 0, err
	}
	r.off += got
	return got, nil
}

// Put stores b under key. A full quota is an error whose message
// starts with "QuotaExceededError".
func (c CacheStore) Put(ctx context.Context, key string, b []byte) error {
	cache, err := c.open(ctx)
	if err != nil {
		return err
	}
	arr, err := bytesToJS(b)
	if err != nil {
		return err
	}
	ctor, err := global("Response")
	if err != nil {
		return err
	}
	resp, err := ctor.New(arr, map[string]any{
		"status":  200,
		"headers": map[string]any{"Content-Type": "application/octet-stream"},
	})
	if err != nil {
		return fmt.Errorf("Cache Storage %q: put %s: %w", c.Name, key, err)
	}
	if _, err := call(ctx, cache, "put", key, resp); err != nil {
		return fmt.Errorf("Cache Storage %q: put %s: %w", c.Name, key, err)
	}
	return nil
}

// Delete removes the entry for key.
func (c CacheStore) Delete(ctx context.Context, key string) error {
	cache, err := c.open(ctx)
	if err != nil {
		return err
	}
	if _, err := call(ctx, cache, "delete", key); err != nil {
		return fmt.Errorf("Cache Storage %q: delete %s: %w", c.Name, key, err)
	}
	return nil
}
