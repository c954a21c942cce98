//go:build js && wasm

package jsenv

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/hack-pad/safejs"

	"warmstart/wasm/worker/session"
)

// Fetcher is a session.Fetcher on the fetch API. It reads the body as a
// stream, reporting progress chunk by chunk, and aborts the request when
// the context ends.
type Fetcher struct{}

// Fetch implements session.Fetcher.
func (Fetcher) Fetch(ctx context.Context, url string, progress func(n, total int64)) (*session.Response, error) {
	fetch, err := global("fetch")
	if err != nil {
		return nil, err
	}
	ac, err := global("AbortController")
	if err != nil {
		return nil, err
	}
	ctrl, err := ac.New()
	if err != nil {
		return nil, err
	}
	signal, err := ctrl.Get("signal")
	if err != nil {
		return nil, err
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			_, _ = ctrl.Call("abort")
		case <-done:
		}
	}()

	p, err := fetch.Invoke(url, map[string]any{"signal": signal})
	if err != nil {
		return nil, err
	}
	resp, err := Await(ctx, p)
	if err != nil {
		return nil, err
	}
	status, err := intProp(resp, "status")
	if err != nil {
		return nil, err
	}
	r := &session.Response{Status: status}
	r.StatusText, _ = stringProp(resp, "statusText")
	var total int64
	if h, err := resp.Get("headers"); err == nil {
		if v, err := h.Call("get", "Content-Length"); err == nil && v.Type() == safejs.TypeString {
			s, _ := v.String()
			total, _ = strconv.ParseInt(s, 10, 64)
		}
	}
	limit := int64(session.MaxDownload)
	if status != 200 {
		limit, progress = session.ErrorBodyLimit, nil
	} else if total > limit {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d a dataset file may have", url, total, limit)
	}
	r.Body, err = readBody(ctx, resp, total, limit, status == 200, progress)
	if err != nil {
		return nil, fmt.Errorf("%s: read the body: %w", url, err)
	}
	return r, nil
}

// readBody reads resp's body chunk by chunk, up to limit bytes: beyond
// that it is an error when strict, else the rest is dropped.
func readBody(ctx context.Context, resp safejs.Value, total, limit int64, strict bool, progress func(n, total int64)) ([]byte, error) {
	body, err := resp.Get("body")
	if err != nil {
		return nil, err
	}
	if body.IsNull() || body.IsUndefined() {
		return nil, nil // no body (a 204, say)
	}
	reader, err := body.Call("getReader")
	if err != nil {
		return nil, err
	}
	defer reader.Call("releaseLock")
	buf := make([]byte, 0, min(max(total, 0), limit))
	if progress != nil {
		progress(0, total)
	}
	for {
		chunk, err := call(ctx, reader, "read")
		if err != nil {
			return nil, err
		}
		done, err := chunk.Get("done")
		if err != nil {
			return nil, err
		}
		if d, _ := done.Bool(); d {
			return buf, nil
		}
		v, err := chunk.Get("value")
		if err != nil {
			return nil, err
		}
		n, err := v.Length()
		if err != nil {
			return nil, err
		}
		take := min(int64(n), limit-int64(len(buf)))
		if take < int64(n) && strict {
			_, _ = reader.Call("cancel")
			return nil, fmt.Errorf("more than %d bytes", limit)
		}
		at := len(buf)
		buf = slices.Grow(buf, int(take))[:at+int(take)]
		if _, err := safejs.CopyBytesToGo(buf[at:], v); err != nil {
			return nil, err
		}
		if take < int64(n) {
			_, _ = reader.Call("cancel")
			return buf, nil
		}
		if progress != nil {
			progress(int64(len(buf)), total)
		}
	}
}

func intProp(v safejs.Value, name string) (int, error) {
	p, err := v.Get(name)
	if err != nil {
		return 0, err
	}
	return p.Int()
}
