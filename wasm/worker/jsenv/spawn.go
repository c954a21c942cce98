//go:build js && wasm

package jsenv

import (
	"fmt"

	"github.com/hack-pad/safejs"

	"warmstart/wasm/jsmsg"
	"warmstart/wasm/protocol"
)

// Worker is a helper worker started by this one for a data-parallel run:
// a dedicated worker nested in this worker, running the same script
// (worker.js with the same build id), so it is of the same build.
type Worker struct {
	w         safejs.Value
	listeners []safejs.Func
}

// StartWorker starts a helper worker. Its messages, or the errors of
// reading them, and its failures go to onMessage, from a JavaScript event
// handler: onMessage must not block.
func StartWorker(onMessage func(protocol.Envelope, error)) (*Worker, error) {
	self := safejs.Global()
	ctor, err := self.Get("Worker")
	if err != nil || ctor.Type() != safejs.TypeFunction {
		return nil, fmt.Errorf("nested Web Workers: %w", ErrUnavailable)
	}
	loc, err := self.Get("location")
	if err != nil {
		return nil, err
	}
	href, err := loc.Get("href")
	if err != nil {
		return nil, err
	}
	url, err := href.String()
	if err != nil {
		return nil, err
	}
	w, err := ctor.New(url)
	if err != nil {
		return nil, fmt.Errorf("new Worker(%q): %w", url, err)
	}
	wk := &Worker{w: w}
	listen := func(event string, fn func(ev safejs.Value)) error {
		f, err := safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
			if len(args) > 0 {
				fn(args[0])
			}
			return nil
		})
		if err != nil {
			return err
		}
		wk.listeners = append(wk.listeners, f)
		_, err = w.Call("addEventListener", event, f)
		return err
	}
	err = listen("message", func(ev safejs.Value) {
		data, err := ev.Get("data")
		if err != nil {
			onMessage(protocol.Envelope{}, err)
			return
		}
		onMessage(jsmsg.FromJS(data))
	})
	if err == nil {
		err = listen("error", func(ev safejs.Value) {
			msg, _ := stringProp(ev, "message")
			onMessage(protocol.Envelope{}, fmt.Errorf("the helper worker failed: %s", msg))
		})
	}
	if err == nil {
		err = listen("messageerror", func(safejs.Value) {
			onMessage(protocol.Envelope{}, fmt.Errorf("a message from the helper worker could not be read"))
		})
	}
	if err != nil {
		wk.Close()
		return nil, err
	}
	return wk, nil
}

// Post sends m to the helper, transferring its blobs.
func (w *Worker) Post(m protocol.Message) error { return jsmsg.Post(w.w, m) }

// Close terminates the helper.
func (w *Worker) Close() {
	_, _ = w.w.Call("terminate")
	for _, f := range w.listeners {
		f.Release()
	}
	w.listeners = nil
}
