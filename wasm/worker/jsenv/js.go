//go:build js && wasm

// Package jsenv implements the training session's interfaces
// (wasm/worker/session) on the browser's APIs: Cache Storage, fetch,
// navigator.locks, and a MessageChannel to yield to the event loop. All
// JavaScript access goes through safejs, so a JavaScript exception or a
// rejected promise is a Go error, never a panic.
//
// The functions here block on promises. They must be called from
// goroutines of their own, never from a JavaScript callback (the
// handler of a message event, say): the wasm runtime cannot run the
// promise's callbacks while such a callback is blocked.
package jsenv

import (
	"context"
	"errors"
	"fmt"

	"github.com/hack-pad/safejs"
)

// Error is a JavaScript exception or rejection value.
type Error struct {
	Name    string // e.g. "TypeError", "QuotaExceededError", "AbortError"
	Message string
}

func (e *Error) Error() string {
	if e.Name == "" {
		return e.Message
	}
	if e.Message == "" {
		return e.Name
	}
	return e.Name + ": " + e.Message
}

// ErrUnavailable is wrapped when an API is missing in this context, such
// as Cache Storage on an insecure origin or in Node.
var ErrUnavailable = errors.New("not available in this browser context")

// jsError turns a thrown or rejected value into an error.
func jsError(v safejs.Value) error {
	if v.Type() == safejs.TypeObject {
		name, _ := stringProp(v, "name")
		msg, _ := stringProp(v, "message")
		if name != "" || msg != "" {
			return &Error{Name: name, Message: msg}
		}
	}
	s, err := toString(v)
	if err != nil {
		return &Error{Message: "a JavaScript value that cannot be shown"}
	}
	return &Error{Message: s}
}

func stringProp(v safejs.Value, name string) (string, error) {
	p, err := v.Get(name)
	if err != nil || p.Type() != safejs.TypeString {
		return "", err
	}
	return p.String()
}

func toString(v safejs.Value) (string, error) {
	str, err := safejs.Global().Get("String")
	if err != nil {
		return "", err
	}
	s, err := str.Invoke(v)
	if err != nil {
		return "", err
	}
	return s.String()
}

// global returns globalThis[name], or an error wrapping ErrUnavailable
// when it is undefined or null.
func global(name string) (safejs.Value, error) {
	v, err := safejs.Global().Get(name)
	if err != nil {
		return v, err
	}
	if v.IsUndefined() || v.IsNull() {
		return v, errUnavailable(name)
	}
	return v, nil
}

func errUnavailable(what string) error { return fmt.Errorf("%s is %w", what, ErrUnavailable) }

// Await waits for p (a promise, or any value) to settle and returns its
// value, or its rejection as an error. When ctx ends first it returns
// ctx's error; the promise goes on, and its callbacks are released when
// it settles.
func Await(ctx context.Context, p safejs.Value) (safejs.Value, error) {
	type result struct {
		v   safejs.Value
		err error
	}
	ch := make(chan result, 1)
	var onOK, onErr safejs.Func
	settle := func(r result) {
		ch <- r
		onOK.Release()
		onErr.Release()
	}
	var err error
	onOK, err = safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		settle(result{v: arg(args, 0)})
		return nil
	})
	if err != nil {
		return safejs.Undefined(), err
	}
	onErr, err = safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		settle(result{err: jsError(arg(args, 0))})
		return nil
	})
	if err != nil {
		onOK.Release()
		return safejs.Undefined(), err
	}
	promise, err := global("Promise")
	if err == nil {
		p, err = promise.Call("resolve", p)
	}
	if err == nil {
		_, err = p.Call("then", onOK, onErr)
	}
	if err != nil {
		onOK.Release()
		onErr.Release()
		return safejs.Undefined(), err
	}
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return safejs.Undefined(), ctx.Err()
	}
}

func arg(args []safejs.Value, i int) safejs.Value {
	if i < len(args) {
		return args[i]
	}
	return safejs.Undefined()
}

// call calls obj.method(args...) and awaits the promise it returns.
func call(ctx context.Context, obj safejs.Value, method string, args ...any) (safejs.Value, error) {
	p, err := obj.Call(method, args...)
	if err != nil {
		return p, err
	}
	return Await(ctx, p)
}

// bytesToJS returns a new Uint8Array holding a copy of b.
func bytesToJS(b []byte) (safejs.Value, error) {
	ctor, err := global("Uint8Array")
	if err != nil {
		return ctor, err
	}
	arr, err := ctor.New(len(b))
	if err != nil {
		return arr, err
	}
	if _, err := safejs.CopyBytesToJS(arr, b); err != nil {
		return arr, err
	}
	return arr, nil
}

// bytesFromJS copies an ArrayBuffer or a Uint8Array into Go.
func bytesFromJS(v safejs.Value) ([]byte, error) {
	ctor, err := global("Uint8Array")
	if err != nil {
		return nil, err
	}
	arr := v
	if ok, err := v.InstanceOf(ctor); err != nil {
		return nil, err
	} else if !ok {
		if arr, err = ctor.New(v); err != nil {
			return nil, err
		}
	}
	n, err := arr.Length()
	if err != nil {
		return nil, err
	}
	b := make([]byte, n)
	if _, err := safejs.CopyBytesToGo(b, arr); err != nil {
		return nil, err
	}
	return b, nil
}

// Cores returns navigator.hardwareConcurrency, or 0 when it is unknown.
func Cores() int {
	nav, err := global("navigator")
	if err != nil {
		return 0
	}
	hc, err := nav.Get("hardwareConcurrency")
	if err != nil || hc.Type() != safejs.TypeNumber {
		return 0
	}
	n, err := hc.Int()
	if err != nil || n < 0 {
		return 0
	}
	return n
}
