//go:build !(js && wasm)

package app

import "errors"

// The browser's APIs do not exist on the server, which only prerenders
// pages: these stand-ins fail.

var errNoBrowser = errors.New("needs a browser")

var errNotImage = errors.New("not an image")

func readChosenFile(string, int) (string, []byte, error) { return "", nil, errNoBrowser }

func decodeChosenImage(string) (string, int, int, []byte, error) {
	return "", 0, 0, nil, errNoBrowser
}

func clearFileInput(string) {}

func download(string, string, []byte) error { return errNoBrowser }
