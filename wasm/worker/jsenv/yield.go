//go:build js && wasm

package jsenv

import "github.com/hack-pad/safejs"

// Yielder lets the event loop run for a moment. A Go WebAssembly
// program is one thread: while a goroutine computes, JavaScript gets no
// turn and the worker's incoming messages (cancel among them) wait.
// Yield posts a message to itself through a MessageChannel and blocks
// until it arrives, so the event loop handles what was queued before it.
// Unlike time.Sleep, which goes through setTimeout, this is not clamped
// to 4 ms.
type Yielder struct {
	send    safejs.Value // port2
	recv    safejs.Value // port1
	arrived chan struct{}
	fn      safejs.Func
}

// NewYielder returns a Yielder on a new MessageChannel.
func NewYielder() (*Yielder, error) {
	ctor, err := global("MessageChannel")
	if err != nil {
		return nil, err
	}
	mc, err := ctor.New()
	if err != nil {
		return nil, err
	}
	port1, err := mc.Get("port1")
	if err != nil {
		return nil, err
	}
	y := &Yielder{arrived: make(chan struct{}, 1)}
	if y.send, err = mc.Get("port2"); err != nil {
		return nil, err
	}
	y.fn, err = safejs.FuncOf(func(safejs.Value, []safejs.Value) any {
		select {
		case y.arrived <- struct{}{}:
		default:
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := port1.Set("onmessage", y.fn); err != nil {
		y.fn.Release()
		return nil, err
	}
	y.recv = port1
	return y, nil
}

// Yield lets the event loop run until the message it posts comes back.
// Call it from a goroutine, never from a JavaScript callback.
func (y *Yielder) Yield() {
	if _, err := y.send.Call("postMessage", nil); err != nil {
		return
	}
	<-y.arrived
}

// Close closes the channel's ports; the Yielder must not be used after.
func (y *Yielder) Close() {
	_, _ = y.recv.Call("close")
	_, _ = y.send.Call("close")
	y.fn.Release()
}
