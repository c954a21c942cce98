// Package app is warmstart's page: a go-app v10 progressive web app that
// trains in the browser. It builds natively, for the server, which
// prerenders the pages and serves the handler of [NewHandler], and as
// WebAssembly (command app/page, web/app.wasm), which runs the page. It
// imports nn/spec for the configuration and report types but never the
// training core (nn, gorgonia): training runs in a dedicated Web Worker
// (web/worker.js and web/worker.wasm, command wasm/worker), and the page
// only talks to it through the messages of package wasm/protocol.
//
// # Views
//
// Every route shows the one component, shell, which go-app keeps while the
// user moves between views, so the worker, a run in progress and the last
// results live as long as the tab:
//
//	/          Train: settings, Train / Cancel, dataset and phase progress, live charts
//	/results   Results: accuracy beside the published reference, McNemar's test,
//	           charts, confusion heat maps, the autoencoder's images, downloads,
//	           loading a model file
//	/classify  Classify: draw or upload a garment, see each classifier's answer
//	/about     the experiment, how to read the results, the dataset's licence
//
// Charts are SVG drawn by pure functions (chart.go, heatmap.go) with a
// <title> and a <desc> that says their numbers; colours come from
// web/app.css, which follows the system's light or dark theme.
//
// # The worker
//
// On mount the page starts new Worker("/web/worker.js?v=" + build), sends
// hello with its build and waits for ready. A ready of another build means
// the page is stale: it offers a reload and closes that worker. An error
// before ready (web/worker.js reports a missing file, or a WebAssembly
// LinkError when wasm_exec.js does not match worker.wasm) or no answer
// within [helloTimeout] is shown with what to do, and the rest of the page
// keeps working. A worker that panics is replaced, up to [maxRestarts]
// times in a row. Once ready, the page asks for the stored results
// (restore), so a reload shows the last run.
//
// # Updates
//
// The service worker (app-worker.js, a template for go-app) caches this
// build's page, app.wasm and, under URLs versioned with the build, the
// worker's script, wasm and glue; its cache is named "app-" + build and an
// update deletes only older "app-*" caches, never the worker's dataset
// ("warmstart-data-v1") and results ("warmstart-store-v1"). go-app v10
// does not look for updates by itself: the page calls app.TryUpdate every
// minute, and the browser also looks at each navigation. When a new
// version has activated, OnAppUpdate reloads the page at once if no run is
// in progress; during a run it shows a banner and never reloads on its own.
package app
