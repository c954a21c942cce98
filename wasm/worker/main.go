//go:build js && wasm

// Command worker is warmstart's training worker: a Go WebAssembly
// program that web/worker.js starts inside a dedicated Web Worker. It
// speaks the protocol of package wasm/protocol with the page; the logic
// is package wasm/worker/session, and this file only wires it to the
// browser (package wasm/worker/jsenv, postMessage through wasm/jsmsg).
//
// Boot: worker.js buffers the page's messages until Go is ready, then
// Go calls self.warmstartBooted(deliver) and worker.js passes every
// buffered and later message's data to deliver. Without worker.js (no
// warmstartBooted), Go listens to message events itself.
//
// Build it with
//
//	GOOS=js GOARCH=wasm go build -ldflags "-X warmstart/wasm/protocol.Build=$BUILD" -o web/worker.wasm ./wasm/worker
package main

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/hack-pad/safejs"

	"warmstart/wasm/jsmsg"
	"warmstart/wasm/protocol"
	"warmstart/wasm/worker/jsenv"
	"warmstart/wasm/worker/session"
)

// gcPercent is the worker's GOGC. A WebAssembly memory only grows, so
// the Go heap's peak is what a worker costs for its whole life, and
// that peak comes while a dataset file is decoded (compressed and
// decoded copies live together). Go's default lets the heap reach twice
// what is live; a quarter more is plenty here, since a training step
// allocates only a few kilobytes and so collections stay rare.
const gcPercent = 25

func main() {
	debug.SetGCPercent(gcPercent)
	self := safejs.Global()
	post := func(m protocol.Message) error { return jsmsg.Post(self, m) }
	if err := boot(self, post); err != nil {
		// Say why, and stay: returning would make worker.js report a
		// second, less telling error about Go exiting.
		_ = post(&protocol.Error{Code: protocol.CodePanic,
			Message: "the training worker could not start: " + err.Error(), Hint: "reload the page"})
	}
	select {} // the handlers run on JavaScript's events from now on
}

func boot(self safejs.Value, post func(protocol.Message) error) error {
	env := session.Env{
		Post:        post,
		Store:       jsenv.CacheStore{Name: jsenv.StoreCache},
		Data:        jsenv.CacheStore{Name: jsenv.DataCache},
		Fetch:       jsenv.Fetcher{},
		Cores:       jsenv.Cores(),
		MemoryBytes: memoryBytes(self),
	}
	if c, err := self.Get("caches"); err != nil || c.IsUndefined() || c.IsNull() {
		// No Cache Storage (an insecure origin): keep things for this
		// worker's life only.
		env.Store, env.Data = &session.MemStore{}, &session.MemStore{}
	}
	if l, err := jsenv.NewLocks(); err == nil {
		env.Lock = l
	} else if !errors.Is(err, jsenv.ErrUnavailable) {
		return err
	}
	y, err := jsenv.NewYielder()
	if err != nil {
		return err
	}
	env.Yield = y.Yield
	env.Spawn = func(rank int, onMessage func(protocol.Envelope, error)) (session.Peer, error) {
		return jsenv.StartWorker(onMessage)
	}

	s := session.New(env)
	go s.Serve(context.Background())

	deliver, err := safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		defer recoverTo(post)
		var data safejs.Value
		if len(args) > 0 {
			data = args[0]
		}
		s.Deliver(jsmsg.FromJS(data))
		return nil
	})
	if err != nil {
		return err
	}
	booted, err := self.Get("warmstartBooted")
	if err != nil {
		return err
	}
	if booted.Type() == safejs.TypeFunction {
		_, err = booted.Invoke(deliver)
		return err
	}
	onMessage, err := safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		defer recoverTo(post)
		if len(args) > 0 {
			if data, err := args[0].Get("data"); err == nil {
				s.Deliver(jsmsg.FromJS(data))
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	_, err = self.Call("addEventListener", "message", onMessage)
	return err
}

// memoryBytes returns the function worker.js installs to read the wasm
// memory's size, or nil when there is none.
func memoryBytes(self safejs.Value) func() int64 {
	f, err := self.Get("warmstartMemoryBytes")
	if err != nil || f.Type() != safejs.TypeFunction {
		return nil
	}
	return func() int64 {
		v, err := f.Invoke()
		if err != nil {
			return 0
		}
		n, err := v.Float()
		if err != nil {
			return 0
		}
		return int64(n)
	}
}

// recoverTo, deferred in a JavaScript callback, reports a panic to the
// page instead of letting it kill the program.
func recoverTo(post func(protocol.Message) error) {
	if v := recover(); v != nil {
		stack := debug.Stack()
		if len(stack) > 600 {
			stack = stack[:600]
		}
		_ = post(&protocol.Error{Code: protocol.CodePanic,
			Message: fmt.Sprintf("the training worker crashed while receiving a message: %v\n%s", v, stack),
			Hint:    "reload the page"})
	}
}
