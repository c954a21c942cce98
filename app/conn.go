package app

import (
	"time"

	"warmstart/wasm/protocol"
)

// conn is the page's end of its training worker: a dedicated Web Worker
// running web/worker.js, which loads worker.wasm. It is implemented for
// the browser only (conn_wasm.go); on the server, which prerenders the
// pages, there is none.
type conn interface {
	// post encodes m and sends it, transferring its blobs.
	post(m protocol.Message) error
	// close terminates the worker and releases every callback.
	close()
}

// connEvents receives what the worker says. The functions are called on
// the JavaScript event loop, not on the UI goroutine: they must hand their
// work to it with ctx.Dispatch.
type connEvents struct {
	// message is called with every message that decodes.
	message func(protocol.Message)
	// broken is called when the worker sends something that does not
	// decode, or fails to load or run: what happened, for people.
	broken func(what string)
}

// workerURL is the script of the training worker, with the page's build
// as its version: the service worker caches exactly this URL for this
// build, so a page never starts the worker of another build from the cache.
func workerURL(build string) string { return "/web/worker.js?v=" + build }

// dataURL is where the worker fetches the dataset files.
const dataURL = "/data/"

// helloTimeout is how long the page waits for the worker's ready before it
// says that the worker could not start. A worker whose script or glue fails
// says so at once (worker.js posts the error); this bounds the silent
// failures. It must cover a first visit on a slow link and device, which
// downloads worker.wasm (4.5 MB compressed) and compiles 30 MB of wasm:
// ten seconds were not enough there. A ready that comes later is still
// accepted.
const helloTimeout = 90 * time.Second

// maxRestarts bounds how many times in a row the page replaces a worker
// that panicked before it gives up and asks the user to reload.
const maxRestarts = 3
