//go:build !(js && wasm)

package app

func attachPad(string, func()) (func(), error) { return nil, errNoBrowser }

func clearPad(string) error { return errNoBrowser }

func padPixels(string) (int, int, []byte, error) { return 0, 0, nil, errNoBrowser }
