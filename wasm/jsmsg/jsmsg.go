//go:build js && wasm

// Package jsmsg moves protocol envelopes across postMessage: it turns an
// [protocol.Envelope] into the plain JavaScript object of the wire form,
// with its blobs as ArrayBuffers for the transfer list, and back. Every
// JavaScript call goes through safejs, so a bad value is an error, never
// a panic.
package jsmsg

import (
	"fmt"

	"github.com/hack-pad/safejs"

	"warmstart/wasm/protocol"
)

// MaxBlob bounds one blob read from JavaScript.
const MaxBlob = 256 << 20

// ToJS builds the wire object of env and the list of ArrayBuffers to
// transfer with it.
func ToJS(env protocol.Envelope) (obj safejs.Value, transfer []any, err error) {
	obj, err = newObject()
	if err != nil {
		return obj, nil, err
	}
	blobs, err := newObject()
	if err != nil {
		return obj, nil, err
	}
	for name, b := range env.Blobs {
		arr, err := uint8Array(len(b))
		if err != nil {
			return obj, nil, err
		}
		if _, err := safejs.CopyBytesToJS(arr, b); err != nil {
			return obj, nil, fmt.Errorf("jsmsg: blob %q: %w", name, err)
		}
		buf, err := arr.Get("buffer")
		if err != nil {
			return obj, nil, err
		}
		if err := blobs.Set(name, buf); err != nil {
			return obj, nil, err
		}
		transfer = append(transfer, buf)
	}
	for k, v := range map[string]any{"v": env.V, "kind": string(env.Kind), "body": string(env.Body), "blobs": blobs} {
		if err := obj.Set(k, v); err != nil {
			return obj, nil, fmt.Errorf("jsmsg: set %s: %w", k, err)
		}
	}
	return obj, transfer, nil
}

// FromJS reads a wire object (the data of a message event). It checks
// only the shape; protocol.Decode checks the content.
func FromJS(obj safejs.Value) (protocol.Envelope, error) {
	var env protocol.Envelope
	if obj.Type() != safejs.TypeObject {
		return env, fmt.Errorf("jsmsg: message is a %s, not an object", obj.Type())
	}
	v, err := field(obj, "v", safejs.TypeNumber)
	if err != nil {
		return env, err
	}
	if env.V, err = v.Int(); err != nil {
		return env, err
	}
	k, err := field(obj, "kind", safejs.TypeString)
	if err != nil {
		return env, err
	}
	kind, err := k.String()
	if err != nil {
		return env, err
	}
	env.Kind = protocol.Kind(kind)
	b, err := field(obj, "body", safejs.TypeString)
	if err != nil {
		return env, err
	}
	body, err := b.String()
	if err != nil {
		return env, err
	}
	if len(body) > protocol.MaxBody {
		return env, fmt.Errorf("jsmsg: body of %d bytes exceeds %d", len(body), protocol.MaxBody)
	}
	env.Body = []byte(body)
	blobs, err := obj.Get("blobs")
	if err != nil || blobs.IsUndefined() || blobs.IsNull() {
		return env, err
	}
	keys, err := objectKeys(blobs)
	if err != nil {
		return env, err
	}
	env.Blobs = make(map[string][]byte, len(keys))
	for _, name := range keys {
		buf, err := blobs.Get(name)
		if err != nil {
			return env, err
		}
		arr, err := bytesView(buf)
		if err != nil {
			return env, fmt.Errorf("jsmsg: blob %q: %w", name, err)
		}
		n, err := arr.Length()
		if err != nil {
			return env, err
		}
		if n > MaxBlob {
			return env, fmt.Errorf("jsmsg: blob %q of %d bytes exceeds %d", name, n, MaxBlob)
		}
		dst := make([]byte, n)
		if _, err := safejs.CopyBytesToGo(dst, arr); err != nil {
			return env, fmt.Errorf("jsmsg: blob %q: %w", name, err)
		}
		env.Blobs[name] = dst
	}
	return env, nil
}

func field(obj safejs.Value, name string, t safejs.Type) (safejs.Value, error) {
	v, err := obj.Get(name)
	if err != nil {
		return v, err
	}
	if v.Type() != t {
		return v, fmt.Errorf("jsmsg: field %q is a %s, want a %s", name, v.Type(), t)
	}
	return v, nil
}

func newObject() (safejs.Value, error) {
	ctor, err := safejs.Global().Get("Object")
	if err != nil {
		return ctor, err
	}
	return ctor.New()
}

func uint8Array(n int) (safejs.Value, error) {
	ctor, err := safejs.Global().Get("Uint8Array")
	if err != nil {
		return ctor, err
	}
	return ctor.New(n)
}

// bytesView returns a Uint8Array over an ArrayBuffer or any typed array.
func bytesView(v safejs.Value) (safejs.Value, error) {
	ctor, err := safejs.Global().Get("Uint8Array")
	if err != nil {
		return ctor, err
	}
	if ok, err := v.InstanceOf(ctor); err != nil || ok {
		return v, err
	}
	ab, err := safejs.Global().Get("ArrayBuffer")
	if err != nil {
		return ab, err
	}
	if ok, err := v.InstanceOf(ab); err != nil {
		return v, err
	} else if ok {
		return ctor.New(v)
	}
	isView, err := ab.Call("isView", v)
	if err != nil {
		return v, err
	}
	if ok, _ := isView.Bool(); ok {
		buf, err := v.Get("buffer")
		if err != nil {
			return v, err
		}
		off, err := v.Get("byteOffset")
		if err != nil {
			return v, err
		}
		n, err := v.Get("byteLength")
		if err != nil {
			return v, err
		}
		return ctor.New(buf, off, n)
	}
	return v, fmt.Errorf("is a %s, not an ArrayBuffer or typed array", v.Type())
}

func objectKeys(v safejs.Value) ([]string, error) {
	obj, err := safejs.Global().Get("Object")
	if err != nil {
		return nil, err
	}
	keys, err := obj.Call("keys", v)
	if err != nil {
		return nil, err
	}
	n, err := keys.Length()
	if err != nil {
		return nil, err
	}
	out := make([]string, n)
	for i := range n {
		k, err := keys.Index(i)
		if err != nil {
			return nil, err
		}
		if out[i], err = k.String(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Post encodes m and posts it to target (a Worker, or the worker's global
// scope), transferring its blobs.
func Post(target safejs.Value, m protocol.Message) error {
	env, err := protocol.Encode(m)
	if err != nil {
		return err
	}
	obj, transfer, err := ToJS(env)
	if err != nil {
		return err
	}
	if transfer == nil {
		transfer = []any{}
	}
	if _, err := target.Call("postMessage", obj, transfer); err != nil {
		return fmt.Errorf("jsmsg: postMessage %s: %w", m.Kind(), err)
	}
	return nil
}

// Receive decodes the data of a message event.
func Receive(data safejs.Value) (protocol.Message, error) {
	env, err := FromJS(data)
	if err != nil {
		return nil, err
	}
	return protocol.Decode(env)
}
