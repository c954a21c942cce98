package app

import (
	_ "embed"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// serviceWorkerJS is the template of /app-worker.js; see the file's header
// for how it differs from go-app's default.
//
//go:embed app-worker.js
var serviceWorkerJS string

// Static paths the page and its worker load, under the web folder.
const (
	iconSVG      = "/web/icon.svg"
	iconPNG      = "/web/icon-192.png"
	iconLarge    = "/web/icon-512.png"
	iconMaskable = "/web/icon-maskable-512.png"
	stylesheet   = "/web/app.css"
)

// Routes registers the page's routes with go-app. The wasm page and the
// server both call it: the server prerenders each route, the page routes
// on the client. Every route shows the same component, which keeps the
// worker and the results while the user moves between views.
func Routes() {
	for _, v := range views {
		app.Route(v.path, app.NewZeroComponentFactory(&shell{}))
	}
}

// NewHandler returns the go-app handler of the page for build, the build
// id that the Makefile also writes into both wasm files
// (protocol.Build). build is the handler's Version, so a redeploy changes
// /app-worker.js and browsers install the new version; the service
// worker's cache holds the page and, under URLs versioned with the same
// build, the training worker's script, wasm and glue, so a cached page
// never starts a worker of another build.
//
// The handler serves the pages, /app.js, /app-worker.js, /wasm_exec.js
// and the manifest; the server serves /web/ and /data/ itself.
func NewHandler(build string) *app.Handler {
	v := "?v=" + build
	return &app.Handler{
		Name:        "warmstart",
		ShortName:   "warmstart",
		Title:       "warmstart: what pretraining buys when labels are scarce",
		Description: "Train a denoising autoencoder and two small CNNs on Fashion-MNIST in your browser, and see what unsupervised pretraining buys when only 1,800 labels are known.",
		Lang:        "en",
		Icon: app.Icon{
			Default:  iconPNG,
			Large:    iconLarge,
			SVG:      iconSVG,
			Maskable: iconMaskable,
		},
		BackgroundColor: "#10151f",
		ThemeColor:      "#10151f",
		LoadingLabel:    "Loading warmstart…",
		Styles:          []string{stylesheet + v},
		Version:         build,
		CacheableResources: []string{
			iconSVG,
			workerURL(build),
			"/web/worker.wasm" + v,
			"/web/wasm_exec.js" + v,
			// The other routes are not listed: offline, the service
			// worker answers every navigation with "/", which routes on
			// the client, and a static host that does not map /results
			// to results.html cannot make the install fail.
		},
		ServiceWorkerTemplate: serviceWorkerJS,
	}
}
