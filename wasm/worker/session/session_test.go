package session

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"io"
	"sync"
	"testing/iotest"
	"warmstart/nn"
	"warmstart/nn/data"
	"warmstart/nn/spec"
	"warmstart/wasm/protocol"
)

func TestHello(t *testing.T) {
	h := newHarness(t, nil)
	h.send(&protocol.Hello{Build: protocol.Build})
	r, _ := h.out.waitKind(0, protocol.KindReady)
	ready := r.(*protocol.Ready)
	if ready.Build != protocol.Build || ready.GoVersion == "" || ready.Cores != 2 || ready.Stored {
		t.Errorf("ready = %+v", ready)
	}

	h.send(&protocol.Hello{Build: "other"})
	m, _ := h.out.waitKind(1, protocol.KindError)
	e := m.(*protocol.Error)
	want := "page build other, worker build " + protocol.Build + ": reload the page"
	if e.Code != protocol.CodeVersion || e.Message != want {
		t.Errorf("hello from another build: %s %q, want version %q", e.Code, e.Message, want)
	}
}

// TestRunToResult runs a tiny experiment on the real t10k files, from
// download to result, then uses what the run left: stored results,
// the dataset in memory and in the store, the models for classify.
func TestRunToResult(t *testing.T) {
	h := newHarness(t, nil)
	h.serveReal()
	// The labels come as raw IDX, as after a browser undid
	// Content-Encoding: gzip (case C10): accepted, sniffed by magic.
	labelsURL := "/data/" + data.TestLabelsFile
	h.fetch.files[labelsURL].Body = gunzip(t, realFile(t, data.TestLabelsFile))

	cfg := tinyConfig()
	h.send(&protocol.Start{Run: 1, Config: cfg, DataURL: "/data"})
	msgs := h.out.runEnd(0, 1)
	res, ok := msgs[len(msgs)-1].(*protocol.Result)
	if !ok {
		t.Fatalf("run ended with %s", describe(msgs))
	}
	if res.Cancelled || res.Restored || res.Report.Baseline == nil || res.Report.Interrupted {
		t.Errorf("result: cancelled %v restored %v baseline %v interrupted %v error %q",
			res.Cancelled, res.Restored, res.Report.Baseline != nil, res.Report.Interrupted, res.Report.Error)
	}
	if res.Report.Baseline.Test.N != 50 || len(res.Report.Baseline.Predictions) != 50 {
		t.Errorf("baseline test: %+v", res.Report.Baseline.Test)
	}
	m, _, err := nn.ReadModel(bytes.NewReader(res.Models[spec.PhaseBaseline]), nn.ArchCNN)
	if err != nil || len(res.Models) != 1 {
		t.Fatalf("models %d, baseline: %v", len(res.Models), err)
	}
	if m.NumParams() != 41630 {
		t.Errorf("baseline model has %d parameters", m.NumParams())
	}
	if errs := errorsOf(msgs); len(errs) > 0 {
		t.Errorf("errors: %s", describe(msgs))
	}
	if !strings.Contains(res.Report.Provenance.GoVersion, "go") {
		t.Errorf("report without provenance: %+v", res.Report.Provenance)
	}

	// Data messages: each file downloaded, checked, ready, in order.
	var stages []string
	var progress []protocol.EventName
	for _, m := range msgs {
		switch m := m.(type) {
		case *protocol.Data:
			if m.Run != 1 {
				t.Errorf("data message of run %d", m.Run)
			}
			if n := len(stages); n == 0 || stages[n-1] != m.File+" "+string(m.Stage) {
				stages = append(stages, m.File+" "+string(m.Stage))
			}
		case *protocol.Progress:
			progress = append(progress, m.Event)
		}
	}
	want := []string{
		data.TestImagesFile + " download", data.TestImagesFile + " check", data.TestImagesFile + " ready",
		data.TestLabelsFile + " download", data.TestLabelsFile + " check", data.TestLabelsFile + " ready",
	}
	if strings.Join(stages, ", ") != strings.Join(want, ", ") {
		t.Errorf("data stages:\n%s\nwant\n%s", strings.Join(stages, ", "), strings.Join(want, ", "))
	}
	if len(progress) < 4 || progress[0] != protocol.EventPhaseStart || progress[len(progress)-1] != protocol.EventPhaseEnd {
		t.Errorf("progress events %v", progress)
	}

	// The checked files are kept for the next visit, as served.
	kept := h.data.Keys()
	if !bytes.Equal(kept[labelsURL], h.fetch.files[labelsURL].Body) || len(kept) != 2 {
		t.Errorf("data store holds %d files", len(kept))
	}
	// The results are stored: report and model.
	stored := h.store.Keys()
	if _, ok := stored[KeyReport]; !ok || !bytes.Equal(stored[ModelKey(spec.PhaseBaseline)], res.Models[spec.PhaseBaseline]) {
		t.Errorf("results store keys: %v", keysOf(stored))
	}
	if h.lock.isTaken() || h.lock.released != 1 {
		t.Errorf("lock taken %v, released %d times", h.lock.isTaken(), h.lock.released)
	}

	// A second run in the same worker reuses the checked dataset.
	n := len(h.out.all())
	h.send(&protocol.Start{Run: 2, Config: cfg, DataURL: "/data/"})
	msgs = h.out.runEnd(n, 2)
	if _, ok := msgs[len(msgs)-1].(*protocol.Result); !ok || h.fetch.count(labelsURL) != 1 {
		t.Errorf("second run: %d downloads of the labels; %s", h.fetch.count(labelsURL), describe(msgs))
	}

	// A new worker (a reload) finds the results, and the dataset in
	// the store: no download.
	h2 := newHarness(t, nil)
	h2.store, h2.data = h.store, h.data
	h2.s.env.Store, h2.s.env.Data = h.store, h.data
	h2.send(&protocol.Hello{Build: protocol.Build})
	r, _ := h2.out.waitKind(0, protocol.KindReady)
	if !r.(*protocol.Ready).Stored {
		t.Error("ready after a run: Stored is false")
	}
	h2.send(&protocol.Restore{})
	rm, _ := h2.out.waitKind(0, protocol.KindResult)
	restored := rm.(*protocol.Result)
	if !restored.Restored || restored.Report.Baseline == nil || len(restored.Models[spec.PhaseBaseline]) == 0 {
		t.Errorf("restore: %+v", restored)
	}
	if restored.Report.Baseline.Test != res.Report.Baseline.Test && h.fetch.count(labelsURL) == 1 {
		// The second run replaced the first; both have the same numbers
		// (same seed), so either way they agree.
		t.Errorf("restored test eval %+v, run gave %+v", restored.Report.Baseline.Test, res.Report.Baseline.Test)
	}
	k := len(h2.out.all())
	h2.send(&protocol.Start{Run: 3, Config: cfg, DataURL: "/data/"})
	msgs = h2.out.runEnd(k, 3)
	var cached int
	for _, m := range msgs {
		if d, ok := m.(*protocol.Data); ok && d.Stage == protocol.DataCached {
			cached++
		}
	}
	if _, ok := msgs[len(msgs)-1].(*protocol.Result); !ok || cached != 2 || h2.fetch.count(labelsURL) != 0 {
		t.Errorf("run after reload: %d files from the store, %d downloads; %s", cached, h2.fetch.count(labelsURL), describe(msgs))
	}

	// The stored model classifies after a reload, loaded on demand.
	h3 := newHarness(t, nil)
	h3.s.env.Store = h.store
	h3.send(&protocol.Classify{Req: 9, Width: 56, Height: 56, Pixels: trouser(56)})
	cm, _ := h3.out.wait(0, "classified", func(m protocol.Message) bool {
		return m.Kind() == protocol.KindClassified || m.Kind() == protocol.KindError
	})
	c, ok := cm.(*protocol.Classified)
	if !ok {
		t.Fatalf("classify after reload: %s", describe([]protocol.Message{cm}))
	}
	if c.Req != 9 || len(c.Predictions) != 1 || c.Predictions[0].Phase != spec.PhaseBaseline || len(c.Preview) != 28*28 {
		t.Errorf("classified: %+v", c)
	}
	var sum float64
	for _, p := range c.Predictions[0].Probs {
		sum += p
	}
	if sum < 0.999 || sum > 1.001 {
		t.Errorf("probabilities sum to %v", sum)
	}
}

func keysOf(m map[string][]byte) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	return k
}

// trouser draws two dark legs on a white canvas, as RGBA.
func trouser(side int) []byte {
	px := bytes.Repeat([]byte{255, 255, 255, 255}, side*side)
	for y := side / 8; y < side*7/8; y++ {
		for x := side * 3 / 10; x < side*7/10; x++ {
			if y > side/3 && x > side*45/100 && x < side*55/100 {
				continue // the gap between the legs
			}
			i := 4 * (y*side + x)
			px[i], px[i+1], px[i+2] = 20, 20, 20
		}
	}
	return px
}

func TestCancelMidRun(t *testing.T) {
	h := newHarness(t, nil)
	h.serveReal()
	cfg := tinyConfig()
	cfg.Baseline.Epochs = 10000
	cfg.Baseline.BatchSize = 1
	h.send(&protocol.Start{Run: 4, Config: cfg, DataURL: "/data/"})
	_, i := h.out.wait(0, "a batch", func(m protocol.Message) bool {
		p, ok := m.(*protocol.Progress)
		return ok && (p.Event == protocol.EventBatch || p.Event == protocol.EventEpoch)
	})
	h.send(&protocol.Cancel{Run: 3}) // another run: ignored
	h.send(&protocol.Cancel{Run: 4})
	msgs := h.out.runEnd(i, 4)
	res, ok := msgs[len(msgs)-1].(*protocol.Result)
	if !ok || !res.Cancelled || !res.Report.Interrupted || res.Report.Baseline != nil || len(res.Models) != 0 {
		t.Fatalf("cancel: %s", describe(msgs))
	}
	if errs := errorsOf(msgs); len(errs) > 0 {
		t.Errorf("cancel gave errors: %s", describe(msgs))
	}
	// Nothing finished, so nothing replaced the stored results.
	if len(h.store.Keys()) != 0 {
		t.Errorf("a run cancelled before any phase finished stored %v", keysOf(h.store.Keys()))
	}
	if h.s.Running() || h.lock.isTaken() {
		t.Error("the run or its lock outlived the cancel")
	}
}

// TestCancelKeepsFinishedPhases cancels in the second phase: the result
// has the first phase's report and model, and they are stored.
func TestCancelKeepsFinishedPhases(t *testing.T) {
	h := newHarness(t, func(e *Env) {
		e.Train = func(ctx context.Context, ds *data.Dataset, cfg spec.Config, obs spec.Observer) (*spec.Report, map[spec.Phase]*nn.Model, error) {
			m, _ := nn.NewModel(nn.ArchCNN, nn.Stream(1, "test1"))
			rep := &spec.Report{Config: cfg, Baseline: &spec.ClassifierResult{Phase: spec.PhaseBaseline}}
			obs(spec.Event{Kind: spec.EventPhaseStart, Phase: spec.PhaseDAE, Epochs: 5, Batches: 3})
			<-ctx.Done()
			rep.Interrupted, rep.Error = true, "dae: "+ctx.Err().Error()
			return rep, map[spec.Phase]*nn.Model{spec.PhaseBaseline: m}, ctx.Err()
		}
	})
	h.serveReal()
	h.send(&protocol.Start{Run: 5, Config: tinyConfig(), DataURL: "/data/"})
	h.out.wait(0, "phase start", func(m protocol.Message) bool { return m.Kind() == protocol.KindProgress })
	h.send(&protocol.Cancel{Run: 5})
	msgs := h.out.runEnd(0, 5)
	res := msgs[len(msgs)-1].(*protocol.Result)
	if !res.Cancelled || res.Report.Baseline == nil || len(res.Models[spec.PhaseBaseline]) == 0 {
		t.Errorf("cancelled result: %+v", res)
	}
	if _, ok := h.store.Keys()[KeyReport]; !ok {
		t.Error("a cancelled run with a finished phase was not stored")
	}
}

func TestCancelDuringDownload(t *testing.T) {
	h := newHarness(t, nil)
	h.fetch.block = true
	h.send(&protocol.Start{Run: 6, Config: tinyConfig(), DataURL: "/data/"})
	h.out.wait(0, "download", func(m protocol.Message) bool { return m.Kind() == protocol.KindData })
	h.send(&protocol.Cancel{Run: 6})
	msgs := h.out.runEnd(0, 6)
	res, ok := msgs[len(msgs)-1].(*protocol.Result)
	if !ok || !res.Cancelled || res.Report == nil {
		t.Fatalf("cancel during download: %s", describe(msgs))
	}
	if len(h.data.Keys()) != 0 {
		t.Error("an aborted download was stored")
	}
}

// blockingTrain trains until the run is cancelled.
func blockingTrain(ctx context.Context, ds *data.Dataset, cfg spec.Config, obs spec.Observer) (*spec.Report, map[spec.Phase]*nn.Model, error) {
	obs(spec.Event{Kind: spec.EventPhaseStart, Phase: spec.PhaseBaseline, Epochs: 1, Batches: 1})
	<-ctx.Done()
	return &spec.Report{Config: cfg, Interrupted: true}, nil, ctx.Err()
}

func TestBusy(t *testing.T) {
	h := newHarness(t, func(e *Env) { e.Train = blockingTrain })
	h.serveReal()
	h.send(&protocol.Start{Run: 1, Config: tinyConfig(), DataURL: "/data/"})
	h.out.waitKind(0, protocol.KindProgress)
	h.send(&protocol.Start{Run: 2, Config: tinyConfig(), DataURL: "/data/"})
	msgs := h.out.runEnd(0, 2)
	e, ok := msgs[len(msgs)-1].(*protocol.Error)
	if !ok || e.Code != protocol.CodeBusy || !strings.Contains(e.Message, "run 1 is still in progress in this tab") {
		t.Errorf("second start in the same worker: %s", describe(msgs))
	}
	h.send(&protocol.Cancel{Run: 1})
	h.out.runEnd(0, 1)

	// Another tab holds the Web Lock.
	h.lock.taken = true
	n := len(h.out.all())
	h.send(&protocol.Start{Run: 3, Config: tinyConfig(), DataURL: "/data/"})
	msgs = h.out.runEnd(n, 3)
	e, ok = msgs[len(msgs)-1].(*protocol.Error)
	if !ok || e.Code != protocol.CodeBusy || e.Message != "a run is in progress in another tab" || len(msgs) != 1 {
		t.Errorf("start while another tab trains: %s", describe(msgs))
	}
	if h.s.Running() {
		t.Error("the refused run is still marked as running")
	}
	// Once the other tab is done, this one can train.
	h.lock.taken = false
	n = len(h.out.all())
	h.send(&protocol.Start{Run: 4, Config: tinyConfig(), DataURL: "/data/"})
	h.out.waitKind(n, protocol.KindProgress)
	if !h.lock.isTaken() {
		t.Error("a running run does not hold the lock")
	}
	h.send(&protocol.Cancel{Run: 4})
	h.out.runEnd(n, 4)
}

// TestBadData serves broken dataset files (case C10): each gives error
// "data" naming the file, no training, and nothing in the data store.
func TestBadData(t *testing.T) {
	html := []byte("<!DOCTYPE html>\n<html><head><title>Not Found</title></head><body>gone</body></html>\n")
	good := realFile(t, data.TestImagesFile)
	doubled := data.GzipBytes(good)
	for _, c := range []struct {
		name string
		resp *Response
		err  error
		want []string
	}{
		{"html 404", &Response{Status: 404, StatusText: "Not Found", Body: html}, nil,
			[]string{"HTTP 404 Not Found", "HTML page", "<!DOCTYPE html>"}},
		{"html 200 (SPA fallback)", &Response{Status: 200, Body: html}, nil,
			[]string{"HTML page", "<!DOCTYPE", "HTTP 200"}},
		{"empty", &Response{Status: 200}, nil, []string{"0 bytes"}},
		{"truncated", &Response{Status: 200, Body: good[:len(good)/2]}, nil, []string{"truncated"}},
		{"double gzip", &Response{Status: 200, Body: doubled}, nil, []string{"gzip inside gzip"}},
		{"server error", &Response{Status: 500, StatusText: "Internal Server Error", Body: []byte("oops")}, nil,
			[]string{"HTTP 500 Internal Server Error"}},
		{"network", nil, errors.New("TypeError: Failed to fetch"), []string{"download failed", "Failed to fetch"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, func(e *Env) {
				e.Train = func(context.Context, *data.Dataset, spec.Config, spec.Observer) (*spec.Report, map[spec.Phase]*nn.Model, error) {
					t.Error("training started on bad data")
					return nil, nil, errors.New("no")
				}
			})
			url := "/data/" + data.TestImagesFile
			h.fetch.files = map[string]*Response{}
			h.fetch.errs = map[string]error{}
			if c.resp != nil {
				h.fetch.files[url] = c.resp
			} else {
				h.fetch.errs[url] = c.err
			}
			h.send(&protocol.Start{Run: 7, Config: tinyConfig(), DataURL: "/data/"})
			msgs := h.out.runEnd(0, 7)
			e, ok := msgs[len(msgs)-1].(*protocol.Error)
			if !ok || e.Code != protocol.CodeData {
				t.Fatalf("got %s, want a data error", describe(msgs))
			}
			for _, w := range append(c.want, url) {
				if !strings.Contains(e.Message, w) {
					t.Errorf("message %q lacks %q", e.Message, w)
				}
			}
			if len(h.data.Keys()) != 0 {
				t.Errorf("bad data was stored: %v", keysOf(h.data.Keys()))
			}
			if h.s.Running() || h.lock.isTaken() {
				t.Error("the failed run or its lock is still there")
			}
		})
	}
}

// TestDamagedStoredData finds a damaged copy in the data store: it is
// replaced by a fresh download.
func TestDamagedStoredData(t *testing.T) {
	h := newHarness(t, nil)
	h.serveReal()
	url := "/data/" + data.TestImagesFile
	good := realFile(t, data.TestImagesFile)
	h.data.Put(context.Background(), url, good[:1000])
	h.send(&protocol.Start{Run: 1, Config: tinyConfig(), DataURL: "/data/"})
	msgs := h.out.runEnd(0, 1)
	if _, ok := msgs[len(msgs)-1].(*protocol.Result); !ok || h.fetch.count(url) != 1 {
		t.Fatalf("%d downloads; %s", h.fetch.count(url), describe(msgs))
	}
	if !bytes.Equal(h.data.Keys()[url], good) {
		t.Error("the damaged copy was not replaced")
	}
}

func TestClassifyWithoutModels(t *testing.T) {
	h := newHarness(t, nil)
	h.send(&protocol.Classify{Req: 3, Width: 2, Height: 2, Pixels: make([]byte, 16)})
	m, _ := h.out.waitKind(0, protocol.KindError)
	e := m.(*protocol.Error)
	if e.Code != protocol.CodeModel || e.Req != 3 || !strings.Contains(e.Message, "train first or load a model file") {
		t.Errorf("classify without models: %+v", e)
	}
}

func TestLoadModel(t *testing.T) {
	h := newHarness(t, nil)
	cnn, _ := nn.NewModel(nn.ArchCNN, nn.Stream(3, "test1"))
	dae, _ := nn.NewModel(nn.ArchDAE, nn.Stream(3, "test2"))
	cnnFile, _ := nn.MarshalModel(cnn, nil)
	daeFile, _ := nn.MarshalModel(dae, nil)

	for _, c := range []struct {
		phase spec.Phase
		file  []byte
		want  string
	}{
		{spec.PhaseBaseline, daeFile, `architecture "dae", want "cnn"`},
		{spec.PhaseDAE, cnnFile, `architecture "cnn", want "dae"`},
		{spec.PhasePretrained, []byte("this is not a warmstart model file at all"), "not a warmstart model"},
		{spec.PhaseFineTune, cnnFile[:len(cnnFile)-1], "truncated"},
	} {
		n := len(h.out.all())
		h.send(&protocol.LoadModel{Phase: c.phase, File: c.file})
		m, _ := h.out.wait(n, "reply", func(protocol.Message) bool { return true })
		e, ok := m.(*protocol.Error)
		if !ok || e.Code != protocol.CodeModel || !strings.Contains(e.Message, c.want) || !strings.Contains(e.Message, string(c.phase)) {
			t.Errorf("load %s: got %s, want a model error mentioning %s", c.phase, describe([]protocol.Message{m}), c.want)
		}
	}
	if len(h.store.Keys()) != 0 {
		t.Errorf("refused files were stored: %v", keysOf(h.store.Keys()))
	}

	n := len(h.out.all())
	h.send(&protocol.LoadModel{Phase: spec.PhasePretrained, File: cnnFile})
	m, _ := h.out.wait(n, "reply", func(protocol.Message) bool { return true })
	if ml, ok := m.(*protocol.ModelLoaded); !ok || ml.Phase != spec.PhasePretrained || ml.Params != 41630 {
		t.Fatalf("load: %s", describe([]protocol.Message{m}))
	}
	if !bytes.Equal(h.store.Keys()[ModelKey(spec.PhasePretrained)], cnnFile) {
		t.Error("the loaded model was not stored")
	}
	h.send(&protocol.LoadModel{Phase: spec.PhaseDAE, File: daeFile})
	h.send(&protocol.Classify{Req: 1, Width: 40, Height: 40, Pixels: trouser(40)})
	cm, _ := h.out.waitKind(n, protocol.KindClassified)
	if c := cm.(*protocol.Classified); len(c.Predictions) != 1 || c.Predictions[0].Phase != spec.PhasePretrained {
		t.Errorf("classified with a loaded model: %+v", c.Predictions)
	}

	// No stored results, but the loaded models are kept: restore says
	// nothing is stored.
	h.send(&protocol.Restore{})
	h.out.waitKind(n, protocol.KindNothingStored)
}

func TestLoadModelStorageFull(t *testing.T) {
	h := newHarness(t, nil)
	h.store.PutErr = errQuota
	cnn, _ := nn.NewModel(nn.ArchCNN, nn.Stream(3, "test1"))
	f, _ := nn.MarshalModel(cnn, nil)
	h.send(&protocol.LoadModel{Phase: spec.PhaseBaseline, File: f})
	h.out.waitKind(0, protocol.KindModelLoaded)
	m, _ := h.out.waitKind(0, protocol.KindError)
	if e := m.(*protocol.Error); e.Code != protocol.CodeStorage || !strings.Contains(e.Message, "quota") {
		t.Errorf("storage error: %+v", e)
	}
}

func TestPanics(t *testing.T) {
	h := newHarness(t, func(e *Env) {
		e.Prepare = func(int, int, []byte) ([]float32, []byte, error) {
			var m map[string]int
			m["boom"]++ // a bug in a handler
			return nil, nil, nil
		}
		e.Train = func(context.Context, *data.Dataset, spec.Config, spec.Observer) (*spec.Report, map[spec.Phase]*nn.Model, error) {
			panic("training exploded")
		}
	})
	cnn, _ := nn.NewModel(nn.ArchCNN, nn.Stream(3, "test1"))
	f, _ := nn.MarshalModel(cnn, nil)
	h.send(&protocol.LoadModel{Phase: spec.PhaseBaseline, File: f})
	h.send(&protocol.Classify{Req: 5, Width: 4, Height: 4, Pixels: make([]byte, 64)})
	m, _ := h.out.waitKind(0, protocol.KindError)
	e := m.(*protocol.Error)
	if e.Code != protocol.CodePanic || e.Req != 5 || e.Hint != "reload the page" ||
		!strings.Contains(e.Message, "assignment to entry in nil map") || !strings.Contains(e.Message, "session_test.go") {
		t.Errorf("panic in a handler: %+v", e)
	}

	h.serveReal()
	n := len(h.out.all())
	h.send(&protocol.Start{Run: 8, Config: tinyConfig(), DataURL: "/data/"})
	msgs := h.out.runEnd(n, 8)
	e, ok := msgs[len(msgs)-1].(*protocol.Error)
	if !ok || e.Code != protocol.CodePanic || !strings.Contains(e.Message, "training exploded") || e.Hint != "reload the page" {
		t.Fatalf("panic in the run: %s", describe(msgs))
	}
	if h.s.Running() || h.lock.isTaken() {
		t.Error("the crashed run or its lock is still there")
	}
}

// TestProgressThrottle feeds a thousand batch events 10 ms apart (10 s
// of training): about 4 progress messages a second for batches, every
// other event, and a yield to JavaScript every 50 ms.
func TestProgressThrottle(t *testing.T) {
	clk := &clock{now: time.Unix(1000, 0)}
	var yields int
	const batches = 1000
	h := newHarness(t, func(e *Env) {
		e.Now = clk.Now
		e.Yield = func() { yields++ }
		e.MemoryBytes = func() int64 { return 42 << 20 }
		e.Train = func(ctx context.Context, ds *data.Dataset, cfg spec.Config, obs spec.Observer) (*spec.Report, map[spec.Phase]*nn.Model, error) {
			ev := spec.Event{Phase: spec.PhaseBaseline, Epochs: 2, Batches: batches / 2}
			ev.Kind = spec.EventPhaseStart
			obs(ev)
			for e := 1; e <= 2; e++ {
				for b := 1; b <= batches/2; b++ {
					clk.advance(10 * time.Millisecond)
					ev.Kind, ev.Epoch, ev.Batch = spec.EventBatch, e, b
					obs(ev)
				}
				ev.Kind, ev.Stats = spec.EventEpoch, &spec.EpochStats{Epoch: e}
				obs(ev)
				ev.Stats = nil
			}
			ev.Kind = spec.EventEvaluate
			obs(ev)
			ev.Kind = spec.EventPhaseEnd
			obs(ev)
			return &spec.Report{Config: cfg}, nil, nil
		}
	})
	h.serveReal()
	h.send(&protocol.Start{Run: 9, Config: tinyConfig(), DataURL: "/data/"})
	msgs := h.out.runEnd(0, 9)
	count := map[protocol.EventName]int{}
	for _, m := range msgs {
		if p, ok := m.(*protocol.Progress); ok {
			count[p.Event]++
			if p.MemoryBytes != 42<<20 {
				t.Errorf("progress reports %d bytes of memory", p.MemoryBytes)
			}
		}
	}
	// 10 s at one batch message per 250 ms.
	if n := count[protocol.EventBatch]; n < 38 || n > 41 {
		t.Errorf("%d batch progress messages for 10 s of training, want about 40", n)
	}
	if count[protocol.EventPhaseStart] != 1 || count[protocol.EventEpoch] != 2 || count[protocol.EventEvaluate] != 1 || count[protocol.EventPhaseEnd] != 1 {
		t.Errorf("progress messages by event: %v", count)
	}
	if yields < 190 || yields > 201 {
		t.Errorf("%d yields in 10 s, want about 200 (every 50 ms)", yields)
	}
}

// TestDownloadProgressThrottle: a 10 MB download in 64 KiB chunks, 50 ms
// apart, reports about 5 times a second.
func TestDownloadProgressThrottle(t *testing.T) {
	clk := &clock{now: time.Unix(1000, 0)}
	h := newHarness(t, func(e *Env) { e.Now = clk.Now; e.Train = blockingTrain })
	h.serveReal()
	h.s.env.Fetch = fetchFunc(func(ctx context.Context, url string, progress func(n, total int64)) (*Response, error) {
		const total = 10 << 20
		for n := int64(0); n < total; n += 64 << 10 {
			clk.advance(50 * time.Millisecond) // 160 chunks: 8 s
			progress(n, total)
		}
		return h.fetch.Fetch(ctx, url, nil)
	})
	h.send(&protocol.Start{Run: 10, Config: tinyConfig(), DataURL: "/data/"})
	h.out.waitKind(0, protocol.KindProgress)
	h.send(&protocol.Cancel{Run: 10})
	msgs := h.out.runEnd(0, 10)
	per := map[string]int{}
	for _, m := range msgs {
		if d, ok := m.(*protocol.Data); ok && d.Stage == protocol.DataDownload {
			per[d.File]++
		}
	}
	for f, n := range per {
		// 8 s at 5 a second, plus the first (0 bytes) and the last.
		if n < 38 || n > 44 {
			t.Errorf("%s: %d download messages for 8 s, want about 40", f, n)
		}
	}
}

type fetchFunc func(ctx context.Context, url string, progress func(n, total int64)) (*Response, error)

func (f fetchFunc) Fetch(ctx context.Context, url string, progress func(n, total int64)) (*Response, error) {
	return f(ctx, url, progress)
}

// TestRunErrors: a loss that became NaN is error "training" followed by
// the result; a full storage is error "storage" followed by the result;
// splits that do not fit are error "config" alone.
func TestRunErrors(t *testing.T) {
	nan := func(ctx context.Context, ds *data.Dataset, cfg spec.Config, obs spec.Observer) (*spec.Report, map[spec.Phase]*nn.Model, error) {
		err := &nn.NonFiniteLossError{Phase: spec.PhaseBaseline, Epoch: 1, Batch: 3, Loss: 0}
		return &spec.Report{Config: cfg, Interrupted: true, Error: err.Error()}, nil, err
	}
	h := newHarness(t, func(e *Env) { e.Train = nan })
	h.serveReal()
	h.send(&protocol.Start{Run: 1, Config: tinyConfig(), DataURL: "/data/"})
	msgs := h.out.runEnd(0, 1)
	errs := errorsOf(msgs)
	if _, ok := msgs[len(msgs)-1].(*protocol.Result); !ok || len(errs) != 1 || errs[0].Code != protocol.CodeTraining ||
		!strings.Contains(errs[0].Message, "loss became") {
		t.Errorf("NaN loss: %s", describe(msgs))
	}

	h = newHarness(t, nil)
	h.serveReal()
	h.store.PutErr = errQuota
	h.send(&protocol.Start{Run: 2, Config: tinyConfig(), DataURL: "/data/"})
	msgs = h.out.runEnd(0, 2)
	errs = errorsOf(msgs)
	res, ok := msgs[len(msgs)-1].(*protocol.Result)
	if !ok || len(res.Models) != 1 || len(errs) != 1 || errs[0].Code != protocol.CodeStorage || errs[0].Run != 2 ||
		!strings.Contains(errs[0].Message, "quota") {
		t.Errorf("full storage: %s", describe(msgs))
	}

	h = newHarness(t, nil)
	h.serveReal()
	cfg := tinyConfig()
	cfg.Splits.SupTrain = 20000 // more than the t10k file holds
	h.send(&protocol.Start{Run: 3, Config: cfg, DataURL: "/data/"})
	msgs = h.out.runEnd(0, 3)
	if e, ok := msgs[len(msgs)-1].(*protocol.Error); !ok || e.Code != protocol.CodeConfig {
		t.Errorf("splits too large: %s", describe(msgs))
	}

	// Without helper workers, a data-parallel run is refused at once,
	// not trained alone.
	n := len(h.out.all())
	h.send(&protocol.Start{Run: 4, Config: tinyConfig(), DataURL: "/data/", Workers: 2})
	msgs = h.out.runEnd(n, 4)
	if e, ok := msgs[len(msgs)-1].(*protocol.Error); !ok || e.Code != protocol.CodeConfig || len(msgs) != 1 || h.s.Running() {
		t.Errorf("two workers: %s", describe(msgs))
	}
}

// TestDecodeErrors: messages the protocol refuses are answered with the
// code of what is wrong and the request's id where it has one.
func TestDecodeErrors(t *testing.T) {
	h := newHarness(t, nil)
	cfg := tinyConfig()
	cfg.Baseline.Epochs = -1
	bad := protocol.Start{Run: 4, Config: cfg, DataURL: "/data/"}
	body := []byte(`{"run":4,"config":{"seed":1,"phases":["baseline"],"baseline":{"epochs":-1,"batch_size":1,"learning_rate":0.1}},"data_url":"/data/"}`)
	_ = bad
	for _, c := range []struct {
		env  protocol.Envelope
		code protocol.Code
		run  int64
		req  int64
	}{
		{protocol.Envelope{V: 1, Kind: "start", Body: body}, protocol.CodeConfig, 4, 0},
		{protocol.Envelope{V: 1, Kind: "classify", Body: []byte(`{"req":6,"width":2,"height":2}`),
			Blobs: map[string][]byte{"rgba": make([]byte, 3)}}, protocol.CodeImage, 0, 6},
		{protocol.Envelope{V: 1, Kind: "load-model", Body: []byte(`{"phase":"nope"}`),
			Blobs: map[string][]byte{"model": {1}}}, protocol.CodeModel, 0, 0},
		{protocol.Envelope{V: 1, Kind: "shout", Body: []byte(`{}`)}, protocol.CodeVersion, 0, 0},
		{protocol.Envelope{V: 2, Kind: "hello", Body: []byte(`{"build":"x"}`)}, protocol.CodeVersion, 0, 0},
		{protocol.Envelope{V: 1, Kind: "ready", Body: []byte(`{"build":"x"}`)}, protocol.CodeInternal, 0, 0},
		{protocol.Envelope{V: 1, Kind: "reduced", Body: []byte(`{"run":3,"step":1}`), Blobs: map[string][]byte{"buf": {}}}, protocol.CodeInternal, 3, 0},
	} {
		n := len(h.out.all())
		h.s.Handle(context.Background(), c.env)
		m, _ := h.out.wait(n, "reply", func(protocol.Message) bool { return true })
		e, ok := m.(*protocol.Error)
		if !ok || e.Code != c.code || e.Run != c.run || e.Req != c.req {
			t.Errorf("%s: got %s (run %d req %d), want %s", c.env.Kind, describe([]protocol.Message{m}), e.Run, e.Req, c.code)
		}
	}
}

// TestServe: the dispatcher handles delivered messages in order, and a
// message the page could not even send as an envelope gets an error.
func TestServe(t *testing.T) {
	h := newHarness(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.s.Serve(ctx); close(done) }()
	hello, _ := protocol.Encode(&protocol.Hello{Build: protocol.Build})
	restore, _ := protocol.Encode(&protocol.Restore{})
	h.s.Deliver(hello, nil)
	h.s.Deliver(restore, nil)
	h.s.Deliver(protocol.Envelope{}, errors.New(`jsmsg: field "v" is a string, want a number`))
	h.out.wait(0, "three replies", func(protocol.Message) bool { return len(h.out.all()) >= 3 })
	msgs := h.out.all()
	if msgs[0].Kind() != protocol.KindReady || msgs[1].Kind() != protocol.KindNothingStored {
		t.Errorf("replies out of order: %s", describe(msgs))
	}
	if e, ok := msgs[2].(*protocol.Error); !ok || e.Code != protocol.CodeVersion || !strings.Contains(e.Message, `field "v"`) {
		t.Errorf("bad envelope: %s", describe(msgs[2:]))
	}
	cancel()
	<-done
}

// streamStore is a MemStore that also hands out entries as streams, as
// Cache Storage does in the browser, and counts what it was asked for.
type streamStore struct {
	*MemStore
	mu          sync.Mutex
	opens, gets int
}

func (s *streamStore) Open(ctx context.Context, key string) (io.Reader, int64, bool, error) {
	s.mu.Lock()
	s.opens++
	s.mu.Unlock()
	b, ok, err := s.MemStore.Get(ctx, key)
	// One byte at a time: the decoder must not assume whole reads.
	return iotest.OneByteReader(bytes.NewReader(b)), int64(len(b)), ok, err
}

func (s *streamStore) Get(ctx context.Context, key string) ([]byte, bool, error) {
	s.mu.Lock()
	s.gets++
	s.mu.Unlock()
	return s.MemStore.Get(ctx, key)
}

// TestStreamedStoredData: a store that can stream has its dataset files
// read as streams, never whole; a good copy is used without a download
// and a damaged one is downloaded again and replaced.
func TestStreamedStoredData(t *testing.T) {
	ss := &streamStore{MemStore: &MemStore{}}
	h := newHarness(t, func(e *Env) { e.Data = ss })
	h.serveReal()
	imagesURL, labelsURL := "/data/"+data.TestImagesFile, "/data/"+data.TestLabelsFile
	good := realFile(t, data.TestImagesFile)
	ss.Put(context.Background(), imagesURL, good)
	ss.Put(context.Background(), labelsURL, []byte("not an IDX file"))
	h.send(&protocol.Start{Run: 1, Config: tinyConfig(), DataURL: "/data/"})
	msgs := h.out.runEnd(0, 1)
	if _, ok := msgs[len(msgs)-1].(*protocol.Result); !ok {
		t.Fatalf("run: %s", describe(msgs))
	}
	if h.fetch.count(imagesURL) != 0 || h.fetch.count(labelsURL) != 1 {
		t.Errorf("downloads: images %d, labels %d; want 0 and 1", h.fetch.count(imagesURL), h.fetch.count(labelsURL))
	}
	if ss.opens != 2 || ss.gets != 0 {
		t.Errorf("the store was opened %d times and read whole %d times, want 2 and 0", ss.opens, ss.gets)
	}
	if !bytes.Equal(ss.Keys()[labelsURL], realFile(t, data.TestLabelsFile)) {
		t.Error("the damaged labels were not replaced")
	}
}
