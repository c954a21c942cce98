// Package e2e holds the end-to-end tests of the browser app: the page
// (go-app, web/app.wasm) and its training worker (web/worker.wasm) built
// as `make web` builds them, served by the real handler of `warmstart
// serve`, and driven in headless Chromium as a user would drive them.
// It has no code of its own, only tests; it lives under server/ because
// it uses the server's internal handler.
//
// The browser tests need Chromium (`make chromium` installs it) and the
// real dataset (`make data`); they are skipped with -short. Their
// screenshots go to out/test/e2e/ in the repository.
package e2e
