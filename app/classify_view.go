package app

import (
	"errors"
	"fmt"
	"slices"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"warmstart/nn/spec"
	"warmstart/wasm/protocol"
)

// The Classify view: draw a garment or upload a picture, and see what each
// trained classifier makes of it.

const idUpload = "upload"

func (sh *shell) renderClassify() app.UI {
	ready := sh.s.worker == workerReady && sh.hasModel()
	return app.Div().Class("view classify").Body(
		app.H1().Text("Classify"),
		app.P().Class("lead").Text("Draw a garment or upload a photo: every trained classifier says what it sees. "+
			"The worker turns the picture into what the models know: light on black, cropped and fitted into 28 by 28 pixels."),
		app.If(!ready, func() app.UI {
			return app.P().Class("warn").Role("status").Text("No trained classifier yet: train on the Train page, " +
				"or load a model file on the Results page. Your last run's models come back by themselves after a reload.")
		}),
		app.Div().Class("classify-grid").Body(
			app.Section().Class("card").Aria("labelledby", "draw-h").Body(
				app.H2().ID("draw-h").Text("Draw"),
				&drawPad{OnDrawn: sh.classifyPixels, Disabled: !ready},
				app.H2().Text("Or upload a picture"),
				app.Div().Class("field").Body(
					app.Label().For(idUpload).Text("Picture (PNG, JPEG, WebP, GIF)"),
					app.Input().
						ID(idUpload).
						Type("file").
						Accept("image/*").
						Disabled(!ready).
						OnChange(sh.onUpload),
				),
				app.P().
					Class(map[bool]string{true: "error", false: "hint"}[sh.uploadErr]).
					Aria("live", "polite").
					Text(sh.upload),
			),
			sh.renderPredictions(),
		),
	)
}

// classifyPixels sends a picture to the worker.
func (sh *shell) classifyPixels(w, h int, rgba []byte) {
	if !sh.hasModel() {
		sh.upload, sh.uploadErr = sentence(errNoModel.Error()), true
		return
	}
	req := sh.nextReq()
	if sh.post(&protocol.Classify{Req: req, Width: w, Height: h, Pixels: rgba}) {
		sh.s.classReq, sh.s.classErr = req, nil
	}
}

// onUpload decodes the chosen picture in the browser, then classifies it.
func (sh *shell) onUpload(ctx app.Context, e app.Event) {
	sh.upload, sh.uploadErr = "Decoding the picture…", false
	ctx.Async(func() {
		name, w, h, rgba, err := decodeChosenImage(idUpload)
		clearFileInput(idUpload)
		ctx.Dispatch(func(ctx app.Context) {
			switch {
			case errors.Is(err, errNotImage):
				sh.s.classified = nil // the answer shown was for another picture
				sh.upload, sh.uploadErr = fmt.Sprintf("That is not a picture this browser can read (%v). "+
					"Choose a PNG, JPEG, WebP or GIF image.", err), true
			case err != nil:
				sh.s.classified = nil
				sh.upload, sh.uploadErr = "Could not read the picture: "+err.Error()+".", true
			default:
				sh.upload, sh.uploadErr = fmt.Sprintf("%s: %d × %d pixels.", name, w, h), false
				sh.classifyPixels(w, h, rgba)
			}
		})
	})
}

// renderPredictions shows the worker's answer: the 28x28 picture the
// models saw, and each classifier's probabilities.
func (sh *shell) renderPredictions() app.UI {
	s := &sh.s
	body := []app.UI{app.H2().ID("pred-h").Text("What the classifiers see")}
	switch {
	case s.classErr != nil:
		body = append(body, app.P().Class("error").Role("alert").Text(errorText(s.classErr)))
	case s.classified == nil:
		body = append(body, app.P().Class("hint").Text("Nothing classified yet."))
	default:
		c := s.classified
		body = append(body,
			app.Figure().Class("preview").Body(
				app.Img().
					Class("pixels").
					Src(grayPNG(c.Preview, protocol.PreviewSide)).
					Alt("The 28 × 28 picture the classifiers received").
					Width(protocol.PreviewSide).
					Height(protocol.PreviewSide),
				app.FigCaption().Text("What the models received (28 × 28)"),
			),
		)
		for _, p := range c.Predictions {
			body = append(body, renderPrediction(p))
		}
	}
	return app.Section().Class("card predictions").Aria("labelledby", "pred-h").Aria("live", "polite").Body(body...)
}

// renderPrediction is one classifier's top class and its probability for
// every class, as bars.
func renderPrediction(p protocol.Prediction) app.UI {
	order := make([]int, spec.NumClasses)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case p.Probs[a] > p.Probs[b]:
			return -1
		case p.Probs[a] < p.Probs[b]:
			return 1
		}
		return 0
	})
	return app.Div().Class("prediction").Body(
		app.H3().Body(
			app.Text(capitalize(modelName(p.Phase))+": "),
			app.Strong().Text(spec.ClassNames[p.Class]),
			app.Text(fmt.Sprintf(" (%.0f%%)", 100*p.Probs[p.Class])),
		),
		app.Table().Class("probs").Body(
			app.Caption().Class("visually-hidden").Text("Probability of each class, "+modelName(p.Phase)+" CNN"),
			app.TBody().Body(app.Range(order).Slice(func(i int) app.UI {
				k := order[i]
				cls := ""
				if k == p.Class {
					cls = "best"
				}
				return app.Tr().Class(cls).Body(
					app.Th().Scope("row").Text(spec.ClassNames[k]),
					app.Td().Class("bar-cell").Body(
						app.Span().
							Class("bar c-"+string(p.Phase)).
							Style("width", fmt.Sprintf("%.1f%%", 100*p.Probs[k])),
					),
					app.Td().Class("num").Text(fmt.Sprintf("%.1f%%", 100*p.Probs[k])),
				)
			})),
		),
	)
}
