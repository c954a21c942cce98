package app

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"warmstart/nn/spec"
	"warmstart/wasm/protocol"
)

// The Train view: the settings, Train and Cancel, the dataset download,
// one progress bar per phase and live charts of each model's epochs.

const idSettingsError = "settings-error"

func (sh *shell) renderTrain() app.UI {
	return app.Div().Class("view train").Body(
		app.H1().Text("Train in your browser"),
		app.P().Class("lead").Text(
			"A denoising autoencoder learns from 57,000 unlabeled Fashion-MNIST images; its encoder "+
				"then helps a small CNN that sees only 1,800 labels, beside the same CNN trained from scratch. "+
				"Everything runs in this tab, in a background worker, so the page stays responsive."),
		sh.renderSettings(),
		sh.renderRun(),
		sh.renderLiveCharts(),
	)
}

func (sh *shell) renderSettings() app.UI {
	f := &sh.form
	running := sh.s.running
	canTrain := sh.s.worker == workerReady && !running
	return app.Form().
		ID("settings").
		Class("card settings").
		Aria("label", "Settings").
		OnSubmit(sh.onTrain).
		Body(
			app.H2().Text("Settings"),
			app.FieldSet().Disabled(running).Body(
				app.Legend().Text("Training"),
				sh.numberInput(idSeed, "Seed", f.Seed, "0", "1", "Seeds every random stream: splits, initial weights, batch order, noise.", &f.Seed),
				sh.numberInput(idBatch, "Batch size", f.Batch, "1", "1", "Images per step, every phase.", &f.Batch),
				sh.numberInput(idLR, "Learning rate", f.LR, "0", "any", "Adam, phases 1 to 3.", &f.LR),
				sh.numberInput(idFineTuneLR, "Fine-tuning learning rate", f.FineTuneLR, "0", "any", "Adam, phase 4.", &f.FineTuneLR),
				sh.numberInput(idNoise, "Noise factor", f.Noise, "0", "any", "σ of the Gaussian noise the autoencoder learns to remove.", &f.Noise),
				sh.numberInput(idWorkers, "Workers", f.Workers, "1", "1", "Web Workers training together, one per core by default; the same seed and worker count give the same numbers.", &f.Workers),
			),
			app.FieldSet().Disabled(running).Class("phases").Body(
				app.Legend().Text("Phases and epochs"),
				app.Range(spec.AllPhases).Slice(func(i int) app.UI {
					return sh.phaseInputs(i)
				}),
			),
			app.Div().Class("buttons").Body(
				app.If(!running, func() app.UI {
					return app.Button().
						Type("submit").
						Class("primary").
						Disabled(!canTrain).
						Text("Train")
				}).Else(func() app.UI {
					label := "Cancel"
					if sh.s.cancelling {
						label = "Cancelling…"
					}
					return app.Button().
						Type("button").
						Class("danger").
						Disabled(sh.s.cancelling).
						Text(label).
						OnClick(sh.onCancel)
				}),
				app.Button().
					Type("button").
					Class("secondary").
					Disabled(running).
					Text("Published settings").
					OnClick(sh.onDefaults),
				app.Button().
					Type("button").
					Class("secondary").
					Disabled(running).
					Text("Quick test: 1 epoch each").
					OnClick(sh.onQuick),
			),
			app.P().
				ID(idSettingsError).
				Class("error").
				Role("alert").
				Text(formErrText(sh.formErr)),
			app.If(sh.s.worker == workerStarting, func() app.UI {
				return app.P().Class("hint").Text("Starting the training worker…")
			}),
		)
}

func formErrText(e *formError) string {
	if e == nil {
		return ""
	}
	return e.Msg
}

// numberInput is one labelled text field of the form, with its hint; it is
// marked invalid when the form's error is about it.
func (sh *shell) numberInput(id, label, value, min, step, hint string, dst *string) app.UI {
	in := app.Input().
		ID(id).
		Type("number").
		Attr("inputmode", "decimal").
		Min(min).
		Attr("step", step).
		Value(value).
		Aria("describedby", id+"-hint "+idSettingsError)
	set := sh.ValueTo(dst)
	if id == idWorkers {
		in = in.OnInput(func(ctx app.Context, e app.Event) {
			sh.workersSet = true
			set(ctx, e)
		})
	} else {
		in = in.OnInput(set)
	}
	if sh.formErr != nil && sh.formErr.Field == id {
		in = in.Aria("invalid", "true")
	}
	return app.Div().Class("field").Body(
		app.Label().For(id).Text(label),
		in,
		app.Small().ID(id+"-hint").Class("hint").Text(hint),
	)
}

// phaseInputs is a phase's checkbox and its number of epochs.
func (sh *shell) phaseInputs(i int) app.UI {
	p := spec.AllPhases[i]
	epochs := app.Input().
		ID(idEpochs(i)).
		Type("number").
		Attr("inputmode", "numeric").
		Min("0").
		Attr("step", "1").
		Value(sh.form.Epochs[i]).
		Aria("describedby", idSettingsError).
		OnInput(sh.ValueTo(&sh.form.Epochs[i]))
	if sh.formErr != nil && sh.formErr.Field == idEpochs(i) {
		epochs = epochs.Aria("invalid", "true")
	}
	return app.Div().Class("phase-setting").Body(
		app.Input().
			ID(idPhase(i)).
			Type("checkbox").
			Checked(sh.form.Phases[i]).
			OnChange(func(ctx app.Context, e app.Event) {
				sh.form.Phases[i] = ctx.JSSrc().Get("checked").Bool()
			}),
		app.Label().For(idPhase(i)).Text(phaseTitle(p)),
		app.Label().For(idEpochs(i)).Class("visually-hidden").Text("Epochs of "+phaseTitle(p)),
		epochs,
		app.Span().Aria("hidden", "true").Text("epochs"),
	)
}

func (sh *shell) onDefaults(ctx app.Context, e app.Event) {
	sh.form, sh.formErr = settingsFrom(spec.DefaultConfig()), nil
	sh.form.Workers, sh.workersSet = strconv.Itoa(defaultWorkers(sh.s.ready.Cores)), false
}

func (sh *shell) onQuick(ctx app.Context, e app.Event) {
	sh.form, sh.formErr = quickSettings(sh.form), nil
}

// onTrain checks the settings and starts a run.
func (sh *shell) onTrain(ctx app.Context, e app.Event) {
	e.PreventDefault()
	sh.train()
}

// train checks the settings and, if they are good, sends start.
func (sh *shell) train() {
	if sh.s.running {
		return
	}
	cfg, err := sh.form.config()
	if err != nil {
		sh.formErr = err.(*formError)
		return
	}
	workers, err := sh.form.workers()
	if err != nil {
		sh.formErr = err.(*formError)
		return
	}
	sh.formErr = nil
	if sh.s.worker != workerReady {
		sh.formErr = &formError{Msg: "The training worker is not ready yet; wait a moment, or reload the page."}
		return
	}
	run := time.Now().UnixMilli()
	if run <= sh.s.runID {
		run = sh.s.runID + 1
	}
	sh.s.startRun(run, cfg)
	sh.announce = "Training started."
	if !sh.post(&protocol.Start{Run: run, Config: cfg, DataURL: dataURL, Workers: workers}) {
		sh.s.endRun()
	}
}

func (sh *shell) onCancel(ctx app.Context, e app.Event) {
	if !sh.s.running || sh.s.cancelling {
		return
	}
	if sh.post(&protocol.Cancel{Run: sh.s.runID}) {
		sh.s.cancelling = true
		sh.announce = "Cancelling at the next batch."
	}
}

// renderRun shows the current or last run: an error, the dataset and the
// phases.
func (sh *shell) renderRun() app.UI {
	s := &sh.s
	if s.runID == 0 {
		return app.Section().Class("card run").Aria("label", "Progress").Body(
			app.H2().Text("Progress"),
			app.P().Class("hint").Text("Press Train to start. The first run downloads the dataset (about 30 MB) "+
				"and keeps it in the browser, so later runs work offline."),
		)
	}
	return app.Section().Class("card run").Aria("label", "Progress").Body(
		app.H2().Text("Progress"),
		app.If(s.runErr != nil, func() app.UI {
			return app.P().Class("error").Role("alert").Text(errorText(s.runErr))
		}),
		app.If(!s.running && s.result != nil && !s.result.Restored && s.runErr == nil, func() app.UI {
			what := "The run finished."
			if s.result.Cancelled {
				what = "The run was cancelled."
			}
			return app.P().Class("done").Body(
				app.Text(what+" "),
				app.A().Href("/results").Text("See the results"),
			)
		}),
		app.If(len(s.data) > 0, func() app.UI { return sh.renderData() }),
		app.Div().Class("phases").Body(
			app.Range(s.phases).Slice(func(i int) app.UI {
				return renderPhase(s.phases[i])
			}),
		),
	)
}

func (sh *shell) renderData() app.UI {
	return app.Details().Class("data").Open(sh.dataBusy()).Body(
		app.Summary().Text("Dataset: "+dataSummary(sh.s.data)),
		app.Ul().Body(
			app.Range(sh.s.data).Slice(func(i int) app.UI {
				d := sh.s.data[i]
				li := app.Li().Body(
					app.Code().Text(d.File),
					app.Text(" "+dataStageText(d)),
				)
				if d.Stage == protocol.DataDownload && d.Total > 0 {
					li = app.Li().Body(
						app.Code().Text(d.File),
						app.Text(" "+dataStageText(d)),
						app.Progress().
							Max(d.Total).
							Value(d.Bytes).
							Aria("label", "Download of "+d.File),
					)
				}
				return li
			}),
		),
	)
}

// dataBusy reports whether a dataset file is still on its way.
func (sh *shell) dataBusy() bool {
	for _, d := range sh.s.data {
		if d.Stage == protocol.DataDownload || d.Stage == protocol.DataCheck {
			return true
		}
	}
	return false
}

func dataSummary(files []dataFile) string {
	ready, stored := 0, 0
	for _, d := range files {
		if d.Stage == protocol.DataReady || d.Stage == protocol.DataCached {
			ready++
		}
		if d.Stored {
			stored++
		}
	}
	switch {
	case ready < len(files):
		return fmt.Sprintf("%d of %d files ready", ready, len(files))
	case stored == len(files):
		return "from the browser's storage, no download"
	case stored == 0:
		return "downloaded, checked and kept for next time"
	}
	return fmt.Sprintf("%d of %d files from the browser's storage, the others downloaded, checked and kept for next time", stored, len(files))
}

func dataStageText(d dataFile) string {
	switch d.Stage {
	case protocol.DataCached:
		return "found in the browser's storage"
	case protocol.DataDownload:
		if d.Total > 0 {
			return fmt.Sprintf("downloading: %s of %s", fmtBytes(d.Bytes), fmtBytes(d.Total))
		}
		return "downloading: " + fmtBytes(d.Bytes)
	case protocol.DataCheck:
		return "checking"
	case protocol.DataReady:
		if d.Stored {
			return "found in the browser's storage and checked"
		}
		return "checked and stored"
	}
	return string(d.Stage)
}

// renderPhase is a phase's progress bar and numbers.
func renderPhase(p *phaseRun) app.UI {
	id := "phase-" + string(p.Phase)
	return app.Div().Class("phase "+phaseStatusClass(p.Status)).Body(
		app.Div().Class("phase-head").Body(
			app.Span().ID(id+"-name").Class("name").Text(phaseTitle(p.Phase)),
			app.Span().Class("status").Text(phaseStatusText(p)),
		),
		app.Progress().
			Max(1000).
			Value(int(1000*p.fraction())).
			Aria("labelledby", id+"-name").
			Aria("valuetext", fmt.Sprintf("%.0f%%", 100*p.fraction())),
		app.Div().Class("phase-stats").Text(phaseStatsText(p)),
	)
}

func phaseStatusClass(s phaseStatus) string {
	return [...]string{"waiting", "running", "evaluating", "done", "stopped"}[s]
}

func phaseStatusText(p *phaseRun) string {
	switch p.Status {
	case phaseWaiting:
		return "waiting"
	case phaseEvaluating:
		return "evaluating on every split"
	case phaseDone:
		return "done in " + fmtDuration(p.ElapsedSec)
	case phaseStopped:
		return "stopped"
	}
	if p.Batches == 0 {
		return "starting"
	}
	return fmt.Sprintf("epoch %d of %d · batch %d of %d", max(p.Epoch, 1), p.Epochs, p.Batch, p.Batches)
}

func phaseStatsText(p *phaseRun) string {
	if p.Status == phaseWaiting || (p.Status == phaseRunning && p.Batch == 0 && len(p.History) == 0) {
		return ""
	}
	var parts []string
	if p.ImagesPerSec > 0 {
		parts = append(parts, fmtInt(int(p.ImagesPerSec+0.5))+" images/s")
	}
	if p.Status == phaseRunning {
		parts = append(parts, "ETA "+fmtDuration(p.ETASec))
	}
	if p.Status == phaseRunning && p.Loss > 0 {
		if p.Phase == spec.PhaseDAE {
			parts = append(parts, "MSE "+fmtNum(p.Loss))
		} else {
			parts = append(parts, "loss "+fmtNum(p.Loss), "accuracy "+fmtPct(p.Accuracy))
		}
	}
	return strings.Join(parts, " · ")
}

// renderLiveCharts draws each phase's epochs so far.
func (sh *shell) renderLiveCharts() app.UI {
	var figs []app.UI
	for _, p := range sh.s.phases {
		if len(p.History) == 0 && p.Status != phaseRunning {
			continue
		}
		for _, c := range phaseCharts(p.Phase, p.History, "live") {
			figs = append(figs, figure(c))
		}
	}
	if len(figs) == 0 {
		return app.Div()
	}
	return app.Section().Class("card charts").Aria("label", "Live charts").Body(
		app.H2().Text("Epochs so far"),
		app.Div().Class("chart-grid").Body(figs...),
	)
}

// figure wraps a chart in a <figure> with its title as caption.
func figure(c lineChart) app.UI {
	return app.Figure().Class("chart-box").Body(
		app.FigCaption().Class("chart-title").Text(c.Title),
		app.Raw(c.svg()),
	)
}

// phaseCharts returns the charts of one phase's history: loss and
// accuracy per epoch for a classifier, the MSE for the autoencoder, each
// with the training and the validation line.
func phaseCharts(p spec.Phase, h []spec.EpochStats, idPrefix string) []lineChart {
	x := make([]float64, len(h))
	trainLoss, valLoss := make([]float64, len(h)), make([]float64, len(h))
	trainAcc, valAcc := make([]float64, len(h)), make([]float64, len(h))
	for i, e := range h {
		x[i] = float64(e.Epoch)
		trainLoss[i], valLoss[i] = e.TrainLoss, e.ValLoss
		trainAcc[i], valAcc[i] = 100*e.TrainAcc, 100*e.ValAcc
	}
	cls := "c-" + string(p)
	id := idPrefix + "-" + string(p)
	if p == spec.PhaseDAE {
		return []lineChart{{
			ID: id + "-mse", Title: "Autoencoder: mean squared error per epoch",
			XLabel: "Epoch", YLabel: "MSE", XInt: true,
			Series: []series{
				{Name: "train", Class: cls, X: x, Y: trainLoss},
				{Name: "validation", Class: cls, Dashed: true, X: x, Y: valLoss},
			},
		}}
	}
	name := modelName(p)
	return []lineChart{
		{
			ID: id + "-loss", Title: fmt.Sprintf("%s CNN: loss per epoch", capitalize(name)),
			XLabel: "Epoch", YLabel: "Cross-entropy", XInt: true,
			Series: []series{
				{Name: "train", Class: cls, X: x, Y: trainLoss},
				{Name: "validation", Class: cls, Dashed: true, X: x, Y: valLoss},
			},
		},
		{
			ID: id + "-acc", Title: fmt.Sprintf("%s CNN: accuracy per epoch", capitalize(name)),
			XLabel: "Epoch", YLabel: "Accuracy (%)", XInt: true, Unit: "%",
			Series: []series{
				{Name: "train", Class: cls, X: x, Y: trainAcc},
				{Name: "validation", Class: cls, Dashed: true, X: x, Y: valAcc},
			},
		},
	}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
