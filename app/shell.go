package app

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"warmstart/nn/spec"
	"warmstart/wasm/protocol"
)

// shell is the page: the one component of every route. go-app keeps the
// same instance when the user moves between routes (the component type
// does not change), so the worker, the run and the results live here and
// survive navigation; OnNav only picks the view.
type shell struct {
	app.Compo

	view string // the route's path: "/", "/results", "/classify" or "/about"
	s    session
	form settings

	formErr *formError // the settings error shown next to the form

	conn       conn
	gen        int // counts workers started, so events of a replaced one are dropped
	restarts   int // workers replaced after a crash, in a row
	restoreReq bool

	updateReady bool   // a new version is installed and waits for a reload
	workersSet  bool   // the user edited the Workers field
	announce    string // the text of the polite live region: epoch and phase ends

	upload     string // what became of the last uploaded picture
	uploadErr  bool
	modelPhase spec.Phase
	modelMsg   string
	modelErr   bool
	loaded     map[spec.Phase]bool // models loaded from files
	reqSeq     int64
}

var (
	_ app.Initializer = (*shell)(nil)
	_ app.Mounter     = (*shell)(nil)
	_ app.Navigator   = (*shell)(nil)
	_ app.AppUpdater  = (*shell)(nil)
)

// The routes, and the title of each view.
var views = []struct {
	path, title string
}{
	{"/", "Train"},
	{"/results", "Results"},
	{"/classify", "Classify"},
	{"/about", "About"},
}

// updateInterval is how often the page asks the browser to look for a new
// version of the service worker (go-app v10 does not look on its own). The
// browser also looks at every navigation.
const updateInterval = time.Minute

// OnInit fills in what is still unset (tests preset some of it).
func (sh *shell) OnInit() {
	if sh.view == "" {
		sh.view = "/"
	}
	if sh.form == (settings{}) {
		sh.form = settingsFrom(spec.DefaultConfig())
	}
	if sh.modelPhase == "" {
		sh.modelPhase = spec.PhasePretrained
	}
	if sh.loaded == nil {
		sh.loaded = map[spec.Phase]bool{}
	}
}

func (sh *shell) OnMount(ctx app.Context) {
	if app.IsServer {
		return
	}
	sh.startWorker(ctx)
	ctx.Async(func() {
		t := time.NewTicker(updateInterval)
		defer t.Stop()
		app.TryUpdate()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				app.TryUpdate()
			}
		}
	})
}

func (sh *shell) OnNav(ctx app.Context) {
	sh.view = "/"
	p := ctx.Page().URL().Path
	for _, v := range views {
		if v.path == p {
			sh.view = p
		}
	}
	ctx.Page().SetTitle("%s · warmstart", viewTitle(sh.view))
}

// OnAppUpdate runs once a new version is installed. With no run in
// progress the page reloads into it at once; during a run it only says so,
// and never reloads on its own: reloading would end the run (failure case
// C14).
func (sh *shell) OnAppUpdate(ctx app.Context) {
	sh.updateReady = true
	if !sh.s.running {
		ctx.Reload()
	}
}

func viewTitle(path string) string {
	for _, v := range views {
		if v.path == path {
			return v.title
		}
	}
	return "Train"
}

func (sh *shell) Render() app.UI {
	return app.Div().Class("shell").Body(
		app.A().Class("skip").Href("#main").Text("Skip to content"),
		sh.renderHeader(),
		sh.renderBanners(),
		app.Main().ID("main").TabIndex(-1).Body(
			sh.renderView(),
		),
		sh.renderFooter(),
		app.Div().Class("visually-hidden").Aria("live", "polite").Text(sh.announce),
	)
}

func (sh *shell) renderView() app.UI {
	switch sh.view {
	case "/results":
		return sh.renderResults()
	case "/classify":
		return sh.renderClassify()
	case "/about":
		return renderAbout()
	}
	return sh.renderTrain()
}

func (sh *shell) renderHeader() app.UI {
	return app.Header().Class("top").Body(
		app.A().Class("brand").Href("/").Body(
			app.Img().Src("/web/icon.svg").Alt("").Width(28).Height(28),
			app.Span().Text("warmstart"),
		),
		app.Nav().Aria("label", "Views").Body(
			app.Ul().Body(
				app.Range(views).Slice(func(i int) app.UI {
					v := views[i]
					a := app.A().Href(v.path).Text(v.title)
					if v.path == sh.view {
						a = a.Aria("current", "page")
					}
					return app.Li().Body(a)
				}),
			),
		),
	)
}

// renderBanners shows what needs the user's attention whatever the view:
// a new version, a worker that could not start or crashed, another tab
// training.
func (sh *shell) renderBanners() app.UI {
	s := &sh.s
	var items []app.UI
	switch {
	case sh.updateReady && s.running:
		items = append(items, app.Div().Class("banner info").Role("status").Body(
			app.Strong().Text("A new version of warmstart is available. "),
			app.Text("It will not interrupt this run: reload the page when the run ends."),
		))
	case sh.updateReady:
		items = append(items, app.Div().Class("banner info").Role("status").Body(
			app.Strong().Text("A new version of warmstart is available. "),
			app.Button().Type("button").Text("Reload now").OnClick(sh.onReload),
		))
	}
	if s.worker == workerStale && s.workerErr != nil {
		items = append(items, app.Div().Class("banner warn").Role("alert").Body(
			app.Strong().Text(sentence(s.workerErr.Message)+" "),
			app.Text(sentence(s.workerErr.Hint)+" "),
			app.Button().Type("button").Text("Reload").OnClick(sh.onReload),
		))
	} else if s.worker == workerFailed && s.workerErr != nil {
		items = append(items, app.Div().Class("banner error").Role("alert").Body(
			app.Strong().Text(sentence(s.workerErr.Message)+" "),
			app.Text(sentence(s.workerErr.Hint)+" "),
			app.Button().Type("button").Text("Try again").OnClick(sh.onRetryWorker),
		))
	} else if s.workerErr != nil {
		items = append(items, app.Div().Class("banner error").Role("alert").Body(
			app.Strong().Text(sentence(s.workerErr.Message)+" "),
			app.Text(sentence(s.workerErr.Hint)),
		))
	}
	if s.busy {
		items = append(items, app.Div().Class("banner warn").Role("status").Body(
			app.Strong().Text("Another tab is training. "),
			app.Text("Only one run at a time fits in the browser: wait for it to finish there, "+
				"or cancel it in that tab, then press Train here again."),
		))
	}
	// Each banner is an alert or a status, which screen readers announce
	// when it appears.
	return app.Div().Class("banners").Body(items...)
}

func (sh *shell) renderFooter() app.UI {
	worker := "training worker starting"
	switch sh.s.worker {
	case workerReady, workerStale:
		worker = fmt.Sprintf("worker build %s, %s", sh.s.ready.Build, sh.s.ready.GoVersion)
		if sh.s.ready.Cores > 0 {
			worker += fmt.Sprintf(", %d cores", sh.s.ready.Cores)
		}
	case workerFailed:
		worker = "training worker not running"
	}
	return app.Footer().Class("bottom").Body(
		app.P().Body(
			app.Text(fmt.Sprintf("warmstart build %s · %s · ", protocol.Build, worker)),
			app.A().Href("/about").Text("Fashion-MNIST"),
			app.Text(" by Zalando Research, MIT licence"),
		),
	)
}

// startWorker starts a new training worker and says hello.
func (sh *shell) startWorker(ctx app.Context) {
	if sh.conn != nil {
		sh.conn.close()
		sh.conn = nil
	}
	sh.gen++
	gen := sh.gen
	sh.s.worker, sh.s.workerErr = workerStarting, nil
	on := func(f func(ctx app.Context)) {
		ctx.Dispatch(func(ctx app.Context) {
			if gen == sh.gen {
				f(ctx)
			}
		})
	}
	c, err := startWorker(workerURL(protocol.Build), connEvents{
		message: func(m protocol.Message) { on(func(ctx app.Context) { sh.onMessage(ctx, m) }) },
		broken:  func(what string) { on(func(ctx app.Context) { sh.onBroken(ctx, what) }) },
	})
	if err != nil {
		app.Log(err)
		sh.s.workerDied("The training worker could not start: "+err.Error()+".",
			"Use a current browser with JavaScript enabled.")
		return
	}
	sh.conn = c
	if err := c.post(&protocol.Hello{Build: protocol.Build}); err != nil {
		app.Log(err)
		sh.s.workerDied("The training worker could not start: "+err.Error()+".", reloadHint)
		return
	}
	ctx.After(helloTimeout, func(ctx app.Context) {
		if gen == sh.gen && sh.s.worker == workerStarting {
			sh.s.workerDied(fmt.Sprintf("The training worker did not start within %v.", helloTimeout),
				"Check the connection and reload the page. If it keeps happening, the server's worker files may be missing or broken: "+
					"rebuild them with `make web`.")
		}
	})
}

const reloadHint = "Reload the page."

// onMessage handles a message from the worker, on the UI goroutine.
func (sh *shell) onMessage(ctx app.Context, m protocol.Message) {
	s := &sh.s
	switch m := m.(type) {
	case *protocol.Ready:
		s.gotReady(m, protocol.Build)
		if !sh.workersSet {
			// Offer one worker per core until the user picks a number.
			sh.form.Workers = strconv.Itoa(defaultWorkers(m.Cores))
		}
		if s.worker == workerStale {
			// Keep no worker of another build around: a run in it would
			// write results that this page cannot read.
			sh.conn.close()
			sh.conn = nil
			return
		}
		sh.restarts = 0
		if !sh.restoreReq && s.result == nil {
			sh.restoreReq = true
			sh.post(&protocol.Restore{})
		}
	case *protocol.Data:
		s.dataProgress(m)
	case *protocol.Progress:
		s.progress(m)
		sh.announceProgress(m)
	case *protocol.Result:
		s.gotResult(m)
		if !m.Restored && s.ours(m.Run) {
			sh.announce = runEndText(m)
		}
	case *protocol.Classified:
		if m.Req == s.classReq {
			s.classified, s.classErr = m, nil
		}
	case *protocol.ModelLoaded:
		sh.loaded[m.Phase] = true
		sh.modelMsg, sh.modelErr = fmt.Sprintf("Loaded the %s model (%s weights): Classify uses it now.",
			modelName(m.Phase), fmtInt(m.Params)), false
	case *protocol.NothingStored:
		s.restored = true
	case *protocol.Error:
		if m.Code == protocol.CodeModel && m.Req == 0 && m.Run == 0 {
			sh.modelMsg, sh.modelErr = errorText(m), true
			return
		}
		if s.worker == workerStarting && m.Run == 0 && m.Req == 0 {
			// web/worker.js reports a worker that cannot start (a
			// missing file; a LinkError when wasm_exec.js does not match
			// worker.wasm) this way, before any Go runs: restarting it
			// would fail the same way (failure case C13).
			s.workerDied(m.Message, m.Hint)
			return
		}
		if s.gotError(m) {
			sh.restartAfterCrash(ctx)
		}
		if s.busy {
			sh.announce = "Another tab is training."
		}
	}
}

// onBroken handles a worker that failed to load or run, or sent something
// unreadable.
func (sh *shell) onBroken(ctx app.Context, what string) {
	s := &sh.s
	if s.worker == workerStarting || s.worker == workerFailed {
		hint := "Reload the page. If it keeps happening, rebuild the web files with `make web`."
		if strings.Contains(what, "LinkError") || strings.Contains(what, "wasm_exec") {
			hint = "wasm_exec.js does not match worker.wasm (they come from different Go releases): " +
				"rebuild both with `make web`, then reload the page."
		}
		s.workerDied("The training worker could not start: "+strings.TrimSuffix(what, ".")+".", hint)
		return
	}
	if s.worker != workerReady {
		return
	}
	// A ready worker that throws is dead or dying: replace it, as after a
	// panic.
	s.gotError(&protocol.Error{Code: protocol.CodePanic,
		Message: "The training worker stopped: " + strings.TrimSuffix(what, ".") + ".",
		Hint:    "A new worker was started; press Train to run again."})
	sh.restartAfterCrash(ctx)
}

// restartAfterCrash replaces a worker that crashed, unless it keeps
// crashing.
func (sh *shell) restartAfterCrash(ctx app.Context) {
	sh.restarts++
	if sh.restarts > maxRestarts {
		sh.s.workerDied("The training worker keeps crashing.",
			"Reload the page. If it happens again, please report it with the browser's console output.")
		if sh.conn != nil {
			sh.conn.close()
			sh.conn = nil
		}
		return
	}
	err := sh.s.workerErr
	sh.startWorker(ctx)
	// Keep the crash on screen while the new worker starts.
	sh.s.workerErr = err
}

// post sends m to the worker and shows a failure.
func (sh *shell) post(m protocol.Message) bool {
	if sh.conn == nil {
		sh.s.workerErr = &protocol.Error{Code: protocol.CodeInternal,
			Message: "The training worker is not running.", Hint: reloadHint}
		return false
	}
	if err := sh.conn.post(m); err != nil {
		app.Log(err)
		sh.s.workerErr = &protocol.Error{Code: protocol.CodeInternal,
			Message: "Could not send a message to the training worker: " + err.Error() + ".", Hint: reloadHint}
		return false
	}
	return true
}

func (sh *shell) nextReq() int64 {
	sh.reqSeq++
	return time.Now().UnixMilli()*1000 + sh.reqSeq%1000
}

// announceProgress sets the live region's text at the end of each epoch
// and phase (not on every batch, which would drown a screen reader).
func (sh *shell) announceProgress(m *protocol.Progress) {
	switch m.Event {
	case protocol.EventEpoch:
		sh.announce = fmt.Sprintf("Phase %s: epoch %d of %d done.", phaseTitle(m.Phase), m.Epoch, m.Epochs)
	case protocol.EventPhaseEnd:
		sh.announce = fmt.Sprintf("Phase %s finished.", phaseTitle(m.Phase))
	}
}

func runEndText(m *protocol.Result) string {
	switch {
	case m.Cancelled:
		return "The run was cancelled; the results of the finished phases are on the Results page."
	case m.Report != nil && m.Report.Error != "":
		return "The run failed: " + m.Report.Error
	}
	return "The run finished; the results are on the Results page."
}

// errorText is a worker error for people: what happened, then what to do.
func errorText(e *protocol.Error) string {
	if e == nil {
		return ""
	}
	msg := sentence(e.Message)
	if e.Hint != "" {
		msg += " " + sentence(e.Hint)
	}
	return msg
}

func (sh *shell) onReload(ctx app.Context, e app.Event) { ctx.Reload() }

func (sh *shell) onRetryWorker(ctx app.Context, e app.Event) {
	sh.restarts = 0
	sh.startWorker(ctx)
}

// hasModel reports whether a classifier is available to Classify: from the
// last results or loaded from a file.
func (sh *shell) hasModel() bool {
	for _, p := range []spec.Phase{spec.PhaseBaseline, spec.PhasePretrained, spec.PhaseFineTune} {
		if sh.loaded[p] {
			return true
		}
		if r := sh.s.result; r != nil && len(r.Models[p]) > 0 {
			return true
		}
	}
	return false
}

// errNoModel is shown when Classify is used before any classifier exists.
var errNoModel = errors.New("no trained classifier yet: train one, or load a model file on the Results page")
