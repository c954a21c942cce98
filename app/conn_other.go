//go:build !(js && wasm)

package app

import "errors"

// startWorker fails outside the browser: the server only prerenders pages.
func startWorker(string, connEvents) (conn, error) {
	return nil, errors.New("no Web Workers outside the browser")
}
