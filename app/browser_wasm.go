//go:build js && wasm

package app

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hack-pad/safejs"
)

// This file holds the page's calls into the browser's APIs (files,
// images, canvases, downloads). All go through safejs: a JavaScript
// exception comes back as an error. Functions that wait for a promise
// block their goroutine, so callers run them with ctx.Async, never on the
// UI goroutine.

// maxDecodeSide bounds the longer side of an uploaded picture once it is
// decoded: larger pictures (a 50-megapixel photo) are scaled down in the
// browser before their pixels reach Go. The models see 28x28 pixels; 1024
// leaves nn/prep ample detail to find the garment's bounding box.
const maxDecodeSide = 1024

// await waits for promise p and returns its value, or its rejection as an
// error.
func await(p safejs.Value) (safejs.Value, error) {
	type outcome struct {
		v   safejs.Value
		err error
	}
	ch := make(chan outcome, 1)
	onOK, err := safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		ch <- outcome{v: first(args)}
		return nil
	})
	if err != nil {
		return safejs.Undefined(), err
	}
	defer onOK.Release()
	onErr, err := safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		ch <- outcome{err: jsError(first(args))}
		return nil
	})
	if err != nil {
		return safejs.Undefined(), err
	}
	defer onErr.Release()
	if _, err := p.Call("then", onOK.Value(), onErr.Value()); err != nil {
		return safejs.Undefined(), err
	}
	o := <-ch
	return o.v, o.err
}

func first(args []safejs.Value) safejs.Value {
	if len(args) == 0 {
		return safejs.Undefined()
	}
	return args[0]
}

// jsError turns a rejection value (usually a DOMException or Error) into
// a Go error "Name: message".
func jsError(v safejs.Value) error {
	if v.Type() != safejs.TypeObject {
		s, _ := v.String()
		return errors.New(s)
	}
	name, msg := stringProp(v, "name"), stringProp(v, "message")
	switch {
	case name != "" && msg != "":
		return fmt.Errorf("%s: %s", name, msg)
	case msg != "":
		return errors.New(msg)
	}
	return errors.New("unknown JavaScript error")
}

// object returns a new JavaScript object with the given properties.
func object(props map[string]any) (safejs.Value, error) {
	ctor, err := safejs.Global().Get("Object")
	if err != nil {
		return ctor, err
	}
	o, err := ctor.New()
	if err != nil {
		return o, err
	}
	for k, v := range props {
		if err := o.Set(k, v); err != nil {
			return o, err
		}
	}
	return o, nil
}

// elementByID returns the document's element with the given id.
func elementByID(id string) (safejs.Value, error) {
	doc, err := safejs.Global().Get("document")
	if err != nil {
		return doc, err
	}
	el, err := doc.Call("getElementById", id)
	if err != nil {
		return el, err
	}
	if el.IsNull() || el.IsUndefined() {
		return el, fmt.Errorf("no element #%s", id)
	}
	return el, nil
}

// chosenFile returns the first file chosen in the file input with the
// given id, and its name, MIME type and size; ok is false when none is.
func chosenFile(inputID string) (file safejs.Value, name, mime string, size int, ok bool, err error) {
	in, err := elementByID(inputID)
	if err != nil {
		return file, "", "", 0, false, err
	}
	files, err := in.Get("files")
	if err != nil || files.IsNull() || files.IsUndefined() {
		return file, "", "", 0, false, err
	}
	if n, err := files.Length(); err != nil || n == 0 {
		return file, "", "", 0, false, err
	}
	if file, err = files.Index(0); err != nil {
		return file, "", "", 0, false, err
	}
	name, mime = stringProp(file, "name"), stringProp(file, "type")
	if s, err := file.Get("size"); err == nil {
		size, _ = s.Int()
	}
	return file, name, mime, size, true, nil
}

// clearFileInput forgets the input's choice, so choosing the same file
// again fires change again.
func clearFileInput(inputID string) {
	if in, err := elementByID(inputID); err == nil {
		_ = in.Set("value", "")
	}
}

// readChosenFile returns the bytes of the file chosen in the input, at
// most limit of them.
func readChosenFile(inputID string, limit int) (name string, b []byte, err error) {
	file, name, _, size, ok, err := chosenFile(inputID)
	if err != nil {
		return "", nil, err
	}
	if !ok {
		return "", nil, errors.New("no file chosen")
	}
	if size > limit {
		return name, nil, fmt.Errorf("%s is %s; the limit is %s", name, fmtBytes(int64(size)), fmtBytes(int64(limit)))
	}
	p, err := file.Call("arrayBuffer")
	if err != nil {
		return name, nil, err
	}
	buf, err := await(p)
	if err != nil {
		return name, nil, fmt.Errorf("read %s: %w", name, err)
	}
	u8, err := safejs.Global().Get("Uint8Array")
	if err != nil {
		return name, nil, err
	}
	arr, err := u8.New(buf)
	if err != nil {
		return name, nil, err
	}
	n, err := arr.Length()
	if err != nil {
		return name, nil, err
	}
	b = make([]byte, n)
	if _, err := safejs.CopyBytesToGo(b, arr); err != nil {
		return name, nil, err
	}
	return name, b, nil
}

// errNotImage reports a chosen file that is not a picture the browser can
// decode.
var errNotImage = errors.New("not an image")

// decodeChosenImage decodes the picture chosen in the file input and
// returns its RGBA pixels, at most maxDecodeSide pixels on the longer
// side. The browser decodes it with createImageBitmap, which applies the
// EXIF orientation of a JPEG ("from-image"), as every image viewer does,
// so a phone photo arrives upright (failure case C08).
func decodeChosenImage(inputID string) (name string, w, h int, rgba []byte, err error) {
	file, name, mime, _, ok, err := chosenFile(inputID)
	if err != nil {
		return name, 0, 0, nil, err
	}
	if !ok {
		return "", 0, 0, nil, errors.New("no file chosen")
	}
	if mime != "" && !strings.HasPrefix(mime, "image/") {
		return name, 0, 0, nil, fmt.Errorf("%w: %s is a %s file", errNotImage, name, mime)
	}
	opts, err := object(map[string]any{"imageOrientation": "from-image"})
	if err != nil {
		return name, 0, 0, nil, err
	}
	p, err := safejs.Global().Call("createImageBitmap", file, opts)
	if err != nil {
		return name, 0, 0, nil, fmt.Errorf("%w: %s: %v", errNotImage, name, err)
	}
	bmp, err := await(p)
	if err != nil {
		return name, 0, 0, nil, fmt.Errorf("%w: the browser cannot decode %s (%v)", errNotImage, name, err)
	}
	defer func() { _, _ = bmp.Call("close") }()
	w, h, err = size(bmp)
	if err != nil {
		return name, 0, 0, nil, err
	}
	if sw, sh := fitWithin(w, h, maxDecodeSide); sw != w || sh != h {
		opts, err := object(map[string]any{"resizeWidth": sw, "resizeHeight": sh, "resizeQuality": "high"})
		if err != nil {
			return name, 0, 0, nil, err
		}
		p, err := safejs.Global().Call("createImageBitmap", bmp, opts)
		if err != nil {
			return name, 0, 0, nil, err
		}
		small, err := await(p)
		if err != nil {
			return name, 0, 0, nil, fmt.Errorf("scale %s down: %w", name, err)
		}
		defer func() { _, _ = small.Call("close") }()
		bmp, w, h = small, sw, sh
	}
	rgba, err = bitmapPixels(bmp, w, h)
	return name, w, h, rgba, err
}

func size(v safejs.Value) (w, h int, err error) {
	wv, err := v.Get("width")
	if err != nil {
		return 0, 0, err
	}
	hv, err := v.Get("height")
	if err != nil {
		return 0, 0, err
	}
	if w, err = wv.Int(); err != nil {
		return 0, 0, err
	}
	h, err = hv.Int()
	return w, h, err
}

// bitmapPixels draws an ImageBitmap on a canvas and reads its RGBA pixels.
func bitmapPixels(bmp safejs.Value, w, h int) ([]byte, error) {
	canvas, err := newCanvas(w, h)
	if err != nil {
		return nil, err
	}
	ctx, err := context2D(canvas)
	if err != nil {
		return nil, err
	}
	if _, err := ctx.Call("drawImage", bmp, 0, 0); err != nil {
		return nil, err
	}
	return canvasPixels(ctx, w, h)
}

// newCanvas returns an OffscreenCanvas, or a detached <canvas> where there
// is none.
func newCanvas(w, h int) (safejs.Value, error) {
	if ctor, err := safejs.Global().Get("OffscreenCanvas"); err == nil && !ctor.IsUndefined() {
		return ctor.New(w, h)
	}
	doc, err := safejs.Global().Get("document")
	if err != nil {
		return doc, err
	}
	c, err := doc.Call("createElement", "canvas")
	if err != nil {
		return c, err
	}
	if err := c.Set("width", w); err != nil {
		return c, err
	}
	return c, c.Set("height", h)
}

func context2D(canvas safejs.Value) (safejs.Value, error) {
	opts, err := object(map[string]any{"willReadFrequently": true})
	if err != nil {
		return opts, err
	}
	ctx, err := canvas.Call("getContext", "2d", opts)
	if err != nil {
		return ctx, err
	}
	if ctx.IsNull() {
		return ctx, errors.New("no 2D canvas context")
	}
	return ctx, nil
}

// canvasPixels reads the RGBA pixels of a w x h canvas context.
func canvasPixels(ctx safejs.Value, w, h int) ([]byte, error) {
	id, err := ctx.Call("getImageData", 0, 0, w, h)
	if err != nil {
		return nil, err
	}
	data, err := id.Get("data")
	if err != nil {
		return nil, err
	}
	b := make([]byte, 4*w*h)
	if _, err := safejs.CopyBytesToGo(b, data); err != nil {
		return nil, err
	}
	return b, nil
}

// download offers b to the user as a file called name.
func download(name, mime string, b []byte) error {
	u8, err := safejs.Global().Get("Uint8Array")
	if err != nil {
		return err
	}
	arr, err := u8.New(len(b))
	if err != nil {
		return err
	}
	if _, err := safejs.CopyBytesToJS(arr, b); err != nil {
		return err
	}
	blobCtor, err := safejs.Global().Get("Blob")
	if err != nil {
		return err
	}
	opts, err := object(map[string]any{"type": mime})
	if err != nil {
		return err
	}
	blob, err := blobCtor.New([]any{arr}, opts)
	if err != nil {
		return err
	}
	urlObj, err := safejs.Global().Get("URL")
	if err != nil {
		return err
	}
	href, err := urlObj.Call("createObjectURL", blob)
	if err != nil {
		return err
	}
	doc, err := safejs.Global().Get("document")
	if err != nil {
		return err
	}
	a, err := doc.Call("createElement", "a")
	if err != nil {
		return err
	}
	for k, v := range map[string]any{"href": href, "download": name, "rel": "noopener"} {
		if err := a.Set(k, v); err != nil {
			return err
		}
	}
	if _, err := a.Call("click"); err != nil {
		return err
	}
	// The download has started once click returns; the URL is released a
	// little later, as some browsers read it asynchronously.
	time.AfterFunc(time.Minute, func() { _, _ = urlObj.Call("revokeObjectURL", href) })
	return nil
}
