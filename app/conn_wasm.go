//go:build js && wasm

package app

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hack-pad/safejs"

	"warmstart/wasm/jsmsg"
	"warmstart/wasm/protocol"
)

// worker is a conn to a dedicated Web Worker.
type worker struct {
	w     safejs.Value
	funcs []safejs.Func
}

// startWorker creates the Web Worker of script url and listens to it.
func startWorker(url string, ev connEvents) (conn, error) {
	ctor, err := safejs.Global().Get("Worker")
	if err != nil || ctor.IsUndefined() {
		return nil, fmt.Errorf("this browser has no Web Workers")
	}
	w, err := ctor.New(url)
	if err != nil {
		return nil, fmt.Errorf("new Worker(%q): %w", url, err)
	}
	c := &worker{w: w}
	listen := func(event string, fn func(e safejs.Value)) error {
		f, err := safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
			if len(args) > 0 {
				fn(args[0])
			}
			return nil
		})
		if err != nil {
			return err
		}
		c.funcs = append(c.funcs, f)
		_, err = w.Call("addEventListener", event, f.Value())
		return err
	}
	onMessage := func(e safejs.Value) {
		data, err := e.Get("data")
		if err != nil {
			ev.broken(err.Error())
			return
		}
		m, err := jsmsg.Receive(data)
		if err != nil {
			ev.broken(describeBadMessage(data, err))
			return
		}
		ev.message(m)
	}
	onError := func(e safejs.Value) {
		// An ErrorEvent: an uncaught exception in the worker, or its
		// script failed to load (then with no message at all). Stop the
		// browser from also logging it as uncaught; the page shows it.
		_, _ = e.Call("preventDefault")
		msg := stringProp(e, "message")
		if msg == "" {
			msg = "its script " + url + " did not load or run"
		}
		ev.broken(msg)
	}
	onMessageError := func(safejs.Value) {
		ev.broken("a message from the worker could not be deserialised")
	}
	for _, l := range []struct {
		event string
		fn    func(safejs.Value)
	}{{"message", onMessage}, {"error", onError}, {"messageerror", onMessageError}} {
		if err := listen(l.event, l.fn); err != nil {
			c.close()
			return nil, fmt.Errorf("listen to the worker: %w", err)
		}
	}
	return c, nil
}

func (c *worker) post(m protocol.Message) error { return jsmsg.Post(c.w, m) }

func (c *worker) close() {
	_, _ = c.w.Call("terminate")
	for _, f := range c.funcs {
		f.Release()
	}
	c.funcs = nil
}

// describeBadMessage says what the worker sent that did not decode. Its
// bootstrap, web/worker.js, reports failures of its own (a WebAssembly
// LinkError when wasm_exec.js does not match worker.wasm, a failed fetch)
// before any Go runs; whatever their shape, their text reaches the user.
func describeBadMessage(data safejs.Value, err error) string {
	if data.Type() == safejs.TypeString {
		s, _ := data.String()
		return s
	}
	if data.Type() == safejs.TypeObject {
		if body := stringProp(data, "body"); body != "" {
			var e struct{ Message, Hint string }
			if json.Unmarshal([]byte(body), &e) == nil && e.Message != "" {
				return strings.TrimSpace(e.Message + " " + e.Hint)
			}
		}
		if msg := stringProp(data, "message"); msg != "" {
			return msg
		}
		if e, gerr := data.Get("error"); gerr == nil && e.Type() == safejs.TypeObject {
			if msg := stringProp(e, "message"); msg != "" {
				return msg
			}
		}
	}
	return "it sent a message this page cannot read: " + err.Error()
}

// stringProp returns v[name] when it is a string, else "".
func stringProp(v safejs.Value, name string) string {
	p, err := v.Get(name)
	if err != nil || p.Type() != safejs.TypeString {
		return ""
	}
	s, _ := p.String()
	return s
}
