// Package browsertest runs the training worker (command wasm/worker with
// web/worker.js) in real headless Chromium, driven by chromedp, without
// the app: a bare test page posts protocol messages to the worker and
// records its answers. It checks what only a browser has: Cache Storage,
// navigator.locks across tabs, fetch of the real dataset, the boot of
// worker.js and its report of a mismatched wasm_exec.js (case C13). The
// test builds its own worker.wasm into a temporary folder, so it neither
// needs nor touches the files `make web` writes into web/.
//
// The test needs Chromium (Debian's chromium package) and the real
// Fashion-MNIST t10k files; it is skipped in -short mode.
package browsertest
