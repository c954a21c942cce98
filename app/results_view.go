package app

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"warmstart/nn/spec"
	"warmstart/wasm/protocol"
)

// The Results view: the accuracy table beside the published reference,
// the paired comparison, the charts, both confusion heat maps, the
// autoencoder's images, downloads and loading a model file.

// reference is one classifier's numbers in the published Keras run of
// SPEC.md ("The published reference"): accuracies in percent and the
// Shirt test images it got right of all Shirt test images.
type reference struct {
	Train, Val, Test float64
	ShirtK, ShirtN   int
}

var (
	refBaseline   = reference{Train: 72.09, Val: 70.33, Test: 75.33, ShirtK: 6, ShirtN: 68}
	refPretrained = reference{Train: 75.77, Val: 72.17, Test: 74.50, ShirtK: 22, ShirtN: 68}
)

// classifierPhases are the phases that train a classifier, in run order.
var classifierPhases = []spec.Phase{spec.PhaseBaseline, spec.PhasePretrained, spec.PhaseFineTune}

func classifierOf(r *spec.Report, p spec.Phase) *spec.ClassifierResult {
	switch p {
	case spec.PhaseBaseline:
		return r.Baseline
	case spec.PhasePretrained:
		return r.Pretrained
	case spec.PhaseFineTune:
		return r.FineTuned
	}
	return nil
}

func (sh *shell) renderResults() app.UI {
	res := sh.s.result
	if res == nil || res.Report == nil {
		msg := "No results yet: train on the Train page. Results are kept in the browser, so they come back after a reload."
		if !sh.s.restored && sh.s.worker == workerStarting {
			msg = "Looking for the results of your last run…"
		}
		return app.Div().Class("view results").Body(
			app.H1().Text("Results"),
			app.P().Class("lead").Text(msg),
			sh.renderModelLoad(),
		)
	}
	r := res.Report
	return app.Div().Class("view results").Body(
		app.H1().Text("Results"),
		renderRunSummary(res),
		renderAccuracyTable(r),
		renderComparisons(r),
		renderResultCharts(r),
		renderConfusions(r),
		renderDAE(r),
		sh.renderDownloads(res),
		sh.renderModelLoad(),
	)
}

// renderRunSummary says which run these are and how it ended.
func renderRunSummary(res *protocol.Result) app.UI {
	r := res.Report
	var notes []app.UI
	if res.Restored {
		notes = append(notes, app.Li().Text("These are the stored results of your last run."))
	}
	if res.Cancelled {
		notes = append(notes, app.Li().Text("The run was cancelled: only the phases that finished are shown."))
	} else if r.Interrupted {
		notes = append(notes, app.Li().Text("The run stopped early: only the phases that finished are shown."))
	}
	if r.Error != "" {
		notes = append(notes, app.Li().Class("error").Text("Error: "+r.Error))
	}
	if !r.EncoderPretrained && r.Pretrained != nil {
		notes = append(notes, app.Li().Class("warn").Text(
			"The autoencoder trained for 0 epochs, so the \"pretrained\" CNN got an untrained encoder: "+
				"its comparison with the baseline says nothing about pretraining."))
	}
	for _, d := range departures(r.Config) {
		notes = append(notes, app.Li().Text(d))
	}
	started := ""
	if !r.Provenance.Started.IsZero() {
		started = r.Provenance.Started.Local().Format("2 Jan 2006 15:04") + ", "
	}
	return app.Section().Class("card summary").Aria("label", "Run").Body(
		app.P().Text(fmt.Sprintf("Seed %d · %s%s in total · %s, %s/%s",
			r.Config.Seed, started, fmtDuration(r.Seconds), r.Provenance.GoVersion, r.Provenance.GOOS, r.Provenance.GOARCH)),
		app.If(len(notes) > 0, func() app.UI { return app.Ul().Class("notes").Body(notes...) }),
	)
}

// departures lists how c differs from the published design, in words.
func departures(c spec.Config) []string {
	def := spec.DefaultConfig()
	var out []string
	for _, p := range spec.AllPhases {
		t, d := c.TrainFor(p), def.TrainFor(p)
		if !c.Runs(p) {
			continue
		}
		if t.Epochs != d.Epochs {
			out = append(out, fmt.Sprintf("%s: %s instead of %d.", capitalize(phaseTitle(p)), plural(t.Epochs, "epoch"), d.Epochs))
		}
		if t.BatchSize != d.BatchSize {
			out = append(out, fmt.Sprintf("%s: batch size %d instead of %d.", capitalize(phaseTitle(p)), t.BatchSize, d.BatchSize))
		}
		if t.LearningRate != d.LearningRate {
			out = append(out, fmt.Sprintf("%s: learning rate %g instead of %g.", capitalize(phaseTitle(p)), t.LearningRate, d.LearningRate))
		}
	}
	if c.Noise != def.Noise {
		out = append(out, fmt.Sprintf("Noise factor %g instead of %g.", c.Noise, def.Noise))
	}
	if c.Splits != def.Splits {
		out = append(out, fmt.Sprintf("Splits %+v instead of the published ones.", c.Splits))
	}
	return out
}

// shirtOf returns the Shirt test images a classifier got right, and how
// many there were.
func shirtOf(c *spec.ClassifierResult) (k, n int) {
	for p := range spec.NumClasses {
		n += c.Confusion[shirtClass][p]
	}
	return c.Confusion[shirtClass][shirtClass], n
}

// renderAccuracyTable is ours beside the published reference.
func renderAccuracyTable(r *spec.Report) app.UI {
	var phases []spec.Phase
	for _, p := range classifierPhases {
		if classifierOf(r, p) != nil {
			phases = append(phases, p)
		}
	}
	if len(phases) == 0 {
		return app.Div()
	}
	cell := func(p spec.Phase, f func(c *spec.ClassifierResult) string) app.UI {
		return app.Td().Class("num").Text(f(classifierOf(r, p)))
	}
	row := func(metric string, shirt bool, f func(c *spec.ClassifierResult) string, ref func(reference) string) app.UI {
		tr := app.Tr()
		if shirt {
			tr = tr.Class("shirt")
		}
		cells := []app.UI{app.Th().Scope("row").Text(metric)}
		for _, p := range phases {
			cells = append(cells, cell(p, f))
		}
		cells = append(cells,
			app.Td().Class("num ref").Text(ref(refBaseline)),
			app.Td().Class("num ref").Text(ref(refPretrained)))
		return tr.Body(cells...)
	}
	pct := func(v float64) string { return fmt.Sprintf("%.2f%%", v) }
	head := []app.UI{app.Th().Scope("col").Text("metric")}
	for _, p := range phases {
		head = append(head, app.Th().Scope("col").Text(modelName(p)))
	}
	head = append(head,
		app.Th().Scope("col").Class("ref").Text("reference baseline"),
		app.Th().Scope("col").Class("ref").Text("reference pretrained"))
	return app.Section().Class("card").Aria("labelledby", "acc-h").Body(
		app.H2().ID("acc-h").Text("Accuracy"),
		app.Div().Class("table-wrap").Body(
			app.Table().Class("acc").Body(
				app.Caption().Text("Accuracy of each classifier on its splits (1,800 train, 600 validation, 600 test images), "+
					"beside the published Keras run of the same design (one seed, a random split with 68 shirts in its test set)."),
				app.THead().Body(app.Tr().Body(head...)),
				app.TBody().Body(
					row("train accuracy", false,
						func(c *spec.ClassifierResult) string { return fmtPct(c.Train.Accuracy) },
						func(x reference) string { return pct(x.Train) }),
					row("validation accuracy", false,
						func(c *spec.ClassifierResult) string { return fmtPct(c.Val.Accuracy) },
						func(x reference) string { return pct(x.Val) }),
					row("test accuracy", false,
						func(c *spec.ClassifierResult) string { return fmtPct(c.Test.Accuracy) },
						func(x reference) string { return pct(x.Test) }),
					row("Shirt (class 6) test accuracy", true,
						func(c *spec.ClassifierResult) string {
							k, n := shirtOf(c)
							return fmt.Sprintf("%s (%d of %d)", fmtPct(c.PerClass[shirtClass]), k, n)
						},
						func(x reference) string {
							return fmt.Sprintf("%.2f%% (%d of %d)", 100*float64(x.ShirtK)/float64(x.ShirtN), x.ShirtK, x.ShirtN)
						}),
				),
			),
		),
		app.P().Class("hint").Text("With 600 test images one image is 0.17 points, and a 95% interval on one accuracy "+
			"is about ±3.6 points: differences of a point or two are noise. The paired test below says more."),
	)
}

// renderComparisons shows McNemar's test of each classifier against the
// baseline on the same test images.
func renderComparisons(r *spec.Report) app.UI {
	if len(r.Comparisons) == 0 {
		return app.Div()
	}
	return app.Section().Class("card").Aria("labelledby", "cmp-h").Body(
		app.H2().ID("cmp-h").Text("Paired comparison with the baseline"),
		app.Div().Class("table-wrap").Body(
			app.Table().Body(
				app.Caption().Text("McNemar's exact test on the test images that exactly one of the two classifiers gets right."),
				app.THead().Body(app.Tr().Body(
					app.Th().Scope("col").Text("classifier"),
					app.Th().Scope("col").Text("right only by the baseline"),
					app.Th().Scope("col").Text("right only by it"),
					app.Th().Scope("col").Text("accuracy difference"),
					app.Th().Scope("col").Text("p-value"),
					app.Th().Scope("col").Text("reading"),
				)),
				app.TBody().Body(app.Range(r.Comparisons).Slice(func(i int) app.UI {
					c := r.Comparisons[i]
					return app.Tr().Body(
						app.Th().Scope("row").Text(modelName(c.BPhase)+" vs "+modelName(c.APhase)),
						app.Td().Class("num").Text(fmtInt(c.OnlyA)),
						app.Td().Class("num").Text(fmtInt(c.OnlyB)),
						app.Td().Class("num").Text(fmt.Sprintf("%+.2f points", 100*c.AccDiff)),
						app.Td().Class("num").Text(fmtP(c.PValue)),
						app.Td().Text(comparisonReading(c)),
					)
				})),
			),
		),
	)
}

// comparisonReading says what a comparison means, at the 5% level.
func comparisonReading(c spec.Comparison) string {
	a, b := modelName(c.APhase), modelName(c.BPhase)
	switch {
	case c.PValue >= 0.05:
		return "no significant difference (p ≥ 0.05)"
	case c.OnlyB > c.OnlyA:
		return b + " significantly better (p < 0.05)"
	default:
		return a + " significantly better (p < 0.05)"
	}
}

// renderResultCharts draws the validation accuracy of the classifiers per
// epoch (fine-tuning continues the pretrained curve, as in the report) and
// the per-class accuracy bars.
func renderResultCharts(r *spec.Report) app.UI {
	val := lineChart{
		ID: "res-val", Title: "Validation accuracy per epoch",
		XLabel: "Epoch", YLabel: "Validation accuracy (%)", XInt: true, Unit: "%",
	}
	offset := 0
	for _, p := range classifierPhases {
		c := classifierOf(r, p)
		if c == nil || len(c.History) == 0 {
			continue
		}
		s := series{Name: modelName(p), Class: "c-" + string(p)}
		off := 0
		if p == spec.PhaseFineTune {
			off = offset
		}
		for _, e := range c.History {
			s.X = append(s.X, float64(off+e.Epoch))
			s.Y = append(s.Y, 100*e.ValAcc)
		}
		if p == spec.PhasePretrained {
			offset = len(c.History)
		}
		val.Series = append(val.Series, s)
	}
	var groups []barGroup
	for _, p := range classifierPhases {
		if c := classifierOf(r, p); c != nil {
			groups = append(groups, barGroup{Name: modelName(p), Class: "c-" + string(p), Acc: c.PerClass})
		}
	}
	if len(val.Series) == 0 && len(groups) == 0 {
		return app.Div()
	}
	return app.Section().Class("card").Aria("labelledby", "charts-h").Body(
		app.H2().ID("charts-h").Text("Per epoch and per class"),
		app.Div().Class("chart-grid").Body(
			app.If(len(val.Series) > 0, func() app.UI {
				return app.Figure().Class("chart-box").Body(
					app.FigCaption().Class("chart-title").Text(val.Title),
					app.Raw(val.svg()),
					app.P().Class("hint").Text("Fine-tuning continues the pretrained CNN's curve: its epochs follow the pretrained ones."),
				)
			}),
			app.If(len(groups) > 0, func() app.UI {
				return app.Figure().Class("chart-box wide").Body(
					app.FigCaption().Class("chart-title").Text("Per-class test accuracy"),
					app.Raw(perClassSVG("res-perclass", groups)),
					app.FigCaption().Text("★ Shirt, the class most often confused with T-shirt/top, Pullover and Coat, "+
						"is where pretraining is said to help most."),
				)
			}),
		),
	)
}

// renderConfusions draws each classifier's confusion matrix.
func renderConfusions(r *spec.Report) app.UI {
	var figs []app.UI
	for _, p := range classifierPhases {
		c := classifierOf(r, p)
		if c == nil {
			continue
		}
		title := fmt.Sprintf("Confusion matrix of the %s CNN on the test images", modelName(p))
		figs = append(figs, app.Figure().Class("chart-box").Body(
			app.FigCaption().Class("chart-title").Text(capitalize(modelName(p))+" CNN"),
			app.Raw(confusionSVG("conf-"+string(p), title, &c.Confusion)),
			app.FigCaption().Text(fmt.Sprintf("%s: rows are true classes, columns predictions; "+
				"colour is the share of the row, the diagonal is outlined.", capitalize(modelName(p)))),
		))
	}
	if len(figs) == 0 {
		return app.Div()
	}
	return app.Section().Class("card").Aria("labelledby", "conf-h").Body(
		app.H2().ID("conf-h").Text("Confusion matrices"),
		app.Div().Class("chart-grid heatmaps").Body(figs...),
	)
}

// renderDAE shows the autoencoder's error and its clean, noisy and
// denoised validation images.
func renderDAE(r *spec.Report) app.UI {
	d := r.DAE
	if d == nil {
		return app.Div()
	}
	g := d.Grid
	row := func(label string, pix []float32) app.UI {
		src := stripPNG(pix, g.N, g.Rows, g.Cols)
		if src == "" {
			return app.Div()
		}
		return app.Div().Class("grid-row").Body(
			app.Span().Class("grid-label").Text(label),
			app.Img().
				Class("pixels").
				Src(src).
				Alt(fmt.Sprintf("%s: %d validation images of %dx%d pixels", label, g.N, g.Rows, g.Cols)).
				Width(g.N*(g.Cols+1)-1).
				Height(g.Rows),
		)
	}
	var charts []app.UI
	if len(d.History) > 0 {
		for _, c := range phaseCharts(spec.PhaseDAE, d.History, "res") {
			charts = append(charts, figure(c))
		}
	}
	return app.Section().Class("card").Aria("labelledby", "dae-h").Body(
		app.H2().ID("dae-h").Text("The denoising autoencoder"),
		app.P().Text(fmt.Sprintf("Mean squared error, noisy input against the clean image: %s on the training images, %s on the validation images.",
			fmtNum(d.TrainMSE), fmtNum(d.ValMSE))),
		app.If(g.N > 0, func() app.UI {
			return app.Figure().Class("image-grid").Body(
				row("clean", g.Clean),
				row("noisy", g.Noisy),
				row("denoised", g.Denoised),
				app.FigCaption().Text(fmt.Sprintf("%d validation images: the original, with noise σ = %g added "+
					"(clipped to [0, 1]), and what the autoencoder made of the noisy one.", g.N, r.Config.Noise)),
			)
		}),
		app.If(len(charts) > 0, func() app.UI { return app.Div().Class("chart-grid").Body(charts...) }),
	)
}

// renderDownloads offers the report and the trained models.
func (sh *shell) renderDownloads(res *protocol.Result) app.UI {
	var buttons []app.UI
	buttons = append(buttons, app.Button().
		Type("button").
		Text("Download the report (JSON)").
		OnClick(sh.onDownloadReport))
	for _, p := range spec.AllPhases {
		if len(res.Models[p]) == 0 {
			continue
		}
		buttons = append(buttons, app.Button().
			Type("button").
			Class("secondary").
			Text(fmt.Sprintf("%s model (%s)", capitalize(modelName(p)), fmtBytes(int64(len(res.Models[p]))))).
			OnClick(func(ctx app.Context, e app.Event) { sh.onDownloadModel(p) }))
	}
	return app.Section().Class("card").Aria("labelledby", "dl-h").Body(
		app.H2().ID("dl-h").Text("Download"),
		app.P().Class("hint").Body(
			app.Text("The report is the same results.json the command line writes, provenance included: "),
			app.Code().Text("warmstart report -in results.json"),
			app.Text(" turns it into Markdown and plots. Model files load back below, or in Go with nn.ReadModel."),
		),
		app.Div().Class("buttons").Body(buttons...),
	)
}

func (sh *shell) onDownloadReport(ctx app.Context, e app.Event) {
	res := sh.s.result
	if res == nil || res.Report == nil {
		return
	}
	b, err := json.MarshalIndent(res.Report, "", "  ")
	if err != nil {
		app.Log(err)
		return
	}
	name := fmt.Sprintf("warmstart-seed%d-%s.json", res.Report.Config.Seed, stamp(res.Report))
	if err := download(name, "application/json", append(b, '\n')); err != nil {
		app.Log(err)
	}
}

func (sh *shell) onDownloadModel(p spec.Phase) {
	res := sh.s.result
	if res == nil || len(res.Models[p]) == 0 {
		return
	}
	name := fmt.Sprintf("warmstart-%s-seed%d.model", p, res.Report.Config.Seed)
	if err := download(name, "application/octet-stream", res.Models[p]); err != nil {
		app.Log(err)
	}
}

// stamp names a report's run by its start time, for file names.
func stamp(r *spec.Report) string {
	t := r.Provenance.Started
	if t.IsZero() {
		t = time.Now()
	}
	return t.UTC().Format("20060102-150405")
}

const idModelFile = "model-file"

// renderModelLoad lets the user give the worker a model file.
func (sh *shell) renderModelLoad() app.UI {
	return app.Section().Class("card").Aria("labelledby", "load-h").Body(
		app.H2().ID("load-h").Text("Load a model file"),
		app.P().Class("hint").Text("A .model file saved here or by `warmstart experiment -save-models` replaces that phase's model "+
			"for Classify. The worker checks its architecture and checksum."),
		app.Div().Class("field-row").Body(
			app.Div().Class("field").Body(
				app.Label().For("model-phase").Text("Phase"),
				app.Select().ID("model-phase").OnChange(sh.onModelPhase).Body(
					app.Range(spec.AllPhases).Slice(func(i int) app.UI {
						p := spec.AllPhases[i]
						o := app.Option().Value(string(p)).Text(phaseTitle(p))
						if p == sh.modelPhase {
							// Only when true: server HTML writes selected="false" as selected.
							o = o.Selected(true)
						}
						return o
					}),
				),
			),
			app.Div().Class("field").Body(
				app.Label().For(idModelFile).Text("Model file"),
				app.Input().
					ID(idModelFile).
					Type("file").
					Accept(".model,application/octet-stream").
					Disabled(sh.s.worker != workerReady).
					OnChange(sh.onModelFile),
			),
		),
		app.P().
			Class(map[bool]string{true: "error", false: "done"}[sh.modelErr]).
			Aria("live", "polite").
			Text(sh.modelMsg),
	)
}

func (sh *shell) onModelPhase(ctx app.Context, e app.Event) {
	v := ctx.JSSrc().Get("value").String()
	for _, p := range spec.AllPhases {
		if string(p) == v {
			sh.modelPhase = p
		}
	}
}

func (sh *shell) onModelFile(ctx app.Context, e app.Event) {
	phase := sh.modelPhase
	sh.modelMsg, sh.modelErr = "Reading the file…", false
	ctx.Async(func() {
		name, b, err := readChosenFile(idModelFile, protocol.MaxModelFile)
		clearFileInput(idModelFile)
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				sh.modelMsg, sh.modelErr = "Could not read the model file: "+err.Error()+".", true
				return
			}
			if sh.post(&protocol.LoadModel{Phase: phase, File: b}) {
				sh.modelMsg = fmt.Sprintf("Sent %s to the worker for the %s model…", name, modelName(phase))
			}
		})
	})
}
