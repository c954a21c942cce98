package app

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// padID is the id of the drawing canvas; the page has one.
const padID = "pad"

// padSide is the canvas's size in pixels: ten times the models' 28, so a
// stroke of brushWidth is about two of their pixels wide, like the
// garments' outlines in Fashion-MNIST.
const (
	padSide    = 280
	brushWidth = 18
)

// drawPad is a canvas to draw a garment on with a mouse, a finger or a pen
// (pointer events), white on black as in Fashion-MNIST. When a stroke ends
// it hands the picture to OnDrawn; the worker's nn/prep then crops and
// scales it as it does an uploaded picture.
type drawPad struct {
	app.Compo

	// OnDrawn receives the canvas's RGBA pixels after each stroke and on
	// the Classify button, on the UI goroutine.
	OnDrawn func(w, h int, rgba []byte)
	// Disabled turns the Classify button off (no trained model yet).
	Disabled bool

	release func() // removes the canvas's listeners
	err     string
}

var _ app.Mounter = (*drawPad)(nil)

func (p *drawPad) OnMount(ctx app.Context) {
	if app.IsServer {
		return
	}
	// The canvas is in the document once this update cycle ends.
	ctx.Defer(func(ctx app.Context) {
		release, err := attachPad(padID, func() { ctx.Dispatch(p.strokeEnded) })
		if err != nil {
			app.Log(err)
			p.err = "The drawing area does not work in this browser: " + err.Error()
			return
		}
		p.release = release
	})
}

func (p *drawPad) OnDismount() {
	if p.release != nil {
		p.release()
		p.release = nil
	}
}

func (p *drawPad) Render() app.UI {
	return app.Div().Class("pad").Body(
		app.Canvas().
			ID(padID).
			Width(padSide).
			Height(padSide).
			Role("img").
			Aria("label", "Drawing area: draw one garment with the mouse, a finger or a pen").
			Aria("describedby", "pad-help"),
		app.P().ID("pad-help").Class("hint").Text(
			"Draw one garment, light on dark, filling most of the square. "+
				"Each stroke is classified when it ends. Without a pointer, upload a picture instead."),
		app.Div().Class("buttons").Body(
			app.Button().
				Type("button").
				Text("Classify drawing").
				Disabled(p.Disabled).
				OnClick(p.onClassify),
			app.Button().
				Type("button").
				Class("secondary").
				Text("Clear").
				OnClick(p.onClear),
		),
		app.If(p.err != "", func() app.UI {
			return app.P().Class("error").Role("alert").Text(p.err)
		}),
	)
}

func (p *drawPad) onClassify(ctx app.Context, e app.Event) { p.strokeEnded(ctx) }

func (p *drawPad) onClear(ctx app.Context, e app.Event) {
	if err := clearPad(padID); err != nil {
		app.Log(err)
	}
}

// strokeEnded reads the canvas and hands it to OnDrawn.
func (p *drawPad) strokeEnded(ctx app.Context) {
	if p.OnDrawn == nil || p.Disabled {
		return
	}
	w, h, rgba, err := padPixels(padID)
	if err != nil {
		app.Log(err)
		p.err = "Could not read the drawing: " + err.Error()
		return
	}
	p.OnDrawn(w, h, rgba)
}
