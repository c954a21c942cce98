//go:build js && wasm

package app

import (
	"fmt"

	"github.com/hack-pad/safejs"
)

// attachPad paints the canvas with the given id black and lets pointers
// draw on it in white; onStroke is called, on the JavaScript event loop,
// when a stroke ends. The returned function removes the listeners.
func attachPad(id string, onStroke func()) (release func(), err error) {
	canvas, err := elementByID(id)
	if err != nil {
		return nil, err
	}
	ctx, err := context2D(canvas)
	if err != nil {
		return nil, err
	}
	if err := paintBlack(ctx); err != nil {
		return nil, err
	}
	for k, v := range map[string]any{
		"strokeStyle": "#fff", "lineWidth": brushWidth, "lineCap": "round", "lineJoin": "round",
	} {
		if err := ctx.Set(k, v); err != nil {
			return nil, err
		}
	}

	var (
		drawing bool
		pointer int
		lastX   float64
		lastY   float64
	)
	// at returns the event's position in canvas pixels: the canvas may be
	// shown larger or smaller than its 280 pixels.
	at := func(e safejs.Value) (float64, float64) {
		num := func(v safejs.Value, name string) float64 {
			p, err := v.Get(name)
			if err != nil {
				return 0
			}
			f, _ := p.Float()
			return f
		}
		x, y := num(e, "offsetX"), num(e, "offsetY")
		cw, ch := num(canvas, "clientWidth"), num(canvas, "clientHeight")
		if cw > 0 && ch > 0 {
			x, y = x*padSide/cw, y*padSide/ch
		}
		return x, y
	}
	segment := func(x, y float64) {
		_, _ = ctx.Call("beginPath")
		_, _ = ctx.Call("moveTo", lastX, lastY)
		_, _ = ctx.Call("lineTo", x, y)
		_, _ = ctx.Call("stroke")
		lastX, lastY = x, y
	}
	pointerID := func(e safejs.Value) int {
		v, err := e.Get("pointerId")
		if err != nil {
			return 0
		}
		n, _ := v.Int()
		return n
	}
	handlers := map[string]func(e safejs.Value){
		"pointerdown": func(e safejs.Value) {
			_, _ = e.Call("preventDefault")
			drawing, pointer = true, pointerID(e)
			_, _ = canvas.Call("setPointerCapture", pointer)
			lastX, lastY = at(e)
			segment(lastX, lastY) // a dot for a tap
		},
		"pointermove": func(e safejs.Value) {
			if drawing && pointerID(e) == pointer {
				segment(at(e))
			}
		},
		"pointerup": func(e safejs.Value) {
			if drawing && pointerID(e) == pointer {
				drawing = false
				onStroke()
			}
		},
		"pointercancel": func(e safejs.Value) {
			if drawing && pointerID(e) == pointer {
				drawing = false
				onStroke()
			}
		},
	}
	type listener struct {
		event string
		fn    safejs.Func
	}
	var ls []listener
	release = func() {
		for _, l := range ls {
			_, _ = canvas.Call("removeEventListener", l.event, l.fn.Value())
			l.fn.Release()
		}
		ls = nil
	}
	for event, h := range handlers {
		f, err := safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
			if len(args) > 0 {
				h(args[0])
			}
			return nil
		})
		if err != nil {
			release()
			return nil, err
		}
		if _, err := canvas.Call("addEventListener", event, f.Value()); err != nil {
			f.Release()
			release()
			return nil, fmt.Errorf("listen to %s: %w", event, err)
		}
		ls = append(ls, listener{event, f})
	}
	return release, nil
}

func paintBlack(ctx safejs.Value) error {
	if err := ctx.Set("fillStyle", "#000"); err != nil {
		return err
	}
	_, err := ctx.Call("fillRect", 0, 0, padSide, padSide)
	return err
}

// clearPad paints the canvas black again.
func clearPad(id string) error {
	canvas, err := elementByID(id)
	if err != nil {
		return err
	}
	ctx, err := context2D(canvas)
	if err != nil {
		return err
	}
	return paintBlack(ctx)
}

// padPixels returns the canvas's RGBA pixels.
func padPixels(id string) (w, h int, rgba []byte, err error) {
	canvas, err := elementByID(id)
	if err != nil {
		return 0, 0, nil, err
	}
	ctx, err := context2D(canvas)
	if err != nil {
		return 0, 0, nil, err
	}
	rgba, err = canvasPixels(ctx, padSide, padSide)
	return padSide, padSide, rgba, err
}
