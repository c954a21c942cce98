// Command page is warmstart's page, the go-app user interface, built as
// web/app.wasm (make web). It shows the settings, progress and results and
// talks to the training worker (web/worker.js, web/worker.wasm), which
// does the training: this binary links neither nn nor gorgonia, so the
// page loads fast.
package main

import (
	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"

	"warmstart/app"
)

func main() {
	app.Routes()
	goapp.RunWhenOnBrowser()
}
