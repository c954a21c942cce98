//go:build js && wasm

package jsmsg

import (
	"reflect"
	"strings"
	"testing"

	"github.com/hack-pad/safejs"

	"warmstart/nn/spec"
	"warmstart/wasm/protocol"
)

func TestRoundTripThroughJS(t *testing.T) {
	px := make([]byte, 4*5*4)
	for i := range px {
		px[i] = byte(7 * i)
	}
	for _, m := range []protocol.Message{
		&protocol.Classify{Req: 2, Width: 4, Height: 5, Pixels: px},
		&protocol.Start{Run: 1, Config: spec.DefaultConfig(), DataURL: "/data/"},
	} {
		env, err := protocol.Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		obj, transfer, err := ToJS(env)
		if err != nil {
			t.Fatal(err)
		}
		if len(transfer) != len(env.Blobs) {
			t.Errorf("%s: %d buffers to transfer for %d blobs", m.Kind(), len(transfer), len(env.Blobs))
		}
		got, err := Receive(obj)
		if err != nil {
			t.Fatalf("%s: %v", m.Kind(), err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("%s: got %+v, want %+v", m.Kind(), got, m)
		}
	}
}

// TestFromJSRejects feeds shapes a buggy or hostile page could post: each
// must be an error, never a panic.
func TestFromJSRejects(t *testing.T) {
	eval := func(src string) safejs.Value {
		fn, err := safejs.Global().Get("Function")
		if err != nil {
			t.Fatal(err)
		}
		f, err := fn.New("return " + src)
		if err != nil {
			t.Fatal(err)
		}
		v, err := f.Invoke()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for src, want := range map[string]string{
		`42`:                            "not an object",
		`null`:                          "not an object",
		`({kind: "hello", body: "{}"})`: `"v"`,
		`({v: 1, kind: 3, body: "{}"})`: `"kind"`,
		`({v: 1, kind: "hello"})`:       `"body"`,
		`({v: 1, kind: "hello", body: "{}", blobs: {a: 5}})`:                                "not an ArrayBuffer",
		`({v: 1, kind: "hello", body: "{\"build\":\"x\"}", blobs: {a: new Uint8Array(2)}})`: "carries no blobs",
		`({v: 2, kind: "hello", body: "{}"})`:                                               "protocol version 2",
	} {
		_, err := Receive(eval(src))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error mentioning %s", src, err, want)
		}
	}
	// A typed-array view of part of a buffer reads only its own bytes.
	env, err := FromJS(eval(`({v: 1, kind: "x", body: "", blobs: {a: new Uint8Array([9, 1, 2, 3]).subarray(1, 3)}})`))
	if err != nil || !reflect.DeepEqual(env.Blobs["a"], []byte{1, 2}) {
		t.Errorf("subarray blob: got %v, %v, want [1 2]", env.Blobs["a"], err)
	}
}
