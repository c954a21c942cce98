package app

import (
	"testing"

	"warmstart/nn/spec"
	"warmstart/wasm/protocol"
)

// quickConfig is every phase for the given epochs.
func quickConfig(epochs int) spec.Config {
	c := spec.DefaultConfig()
	c.Baseline.Epochs, c.DAE.Epochs, c.Pretrained.Epochs, c.FineTune.Epochs = epochs, epochs, epochs, epochs
	return c
}

func TestSessionProgress(t *testing.T) {
	var s session
	s.startRun(5, quickConfig(2))
	if len(s.phases) != 4 || s.phases[1].Phase != spec.PhaseDAE || s.phases[1].Status != phaseWaiting {
		t.Fatalf("phases after start: %+v", s.phases)
	}

	// A message of another run is dropped.
	s.progress(&protocol.Progress{Run: 4, Phase: spec.PhaseBaseline, Event: protocol.EventBatch, Epoch: 1, Epochs: 2, Batch: 3, Batches: 8})
	if s.phases[0].Batch != 0 {
		t.Errorf("a message of run 4 changed run 5")
	}

	s.progress(&protocol.Progress{Run: 5, Phase: spec.PhaseBaseline, Event: protocol.EventBatch,
		Epoch: 2, Epochs: 2, Batch: 4, Batches: 8, Loss: 1.5, Accuracy: 0.4, ImagesPerSec: 900, ETASec: 3})
	b := s.phases[0]
	if b.Status != phaseRunning || b.Loss != 1.5 || b.ETASec != 3 {
		t.Errorf("baseline after a batch: %+v", b)
	}
	if got, want := b.fraction(), 12.0/16; got != want {
		t.Errorf("fraction %v, want %v (epoch 2, batch 4 of 8)", got, want)
	}

	// An epoch's stats go into the history once, however often they come.
	st := &spec.EpochStats{Epoch: 1, TrainLoss: 2, ValAcc: 0.5}
	for range 2 {
		s.progress(&protocol.Progress{Run: 5, Phase: spec.PhaseBaseline, Event: protocol.EventEpoch,
			Epoch: 1, Epochs: 2, Batch: 8, Batches: 8, Stats: st})
	}
	if len(b.History) != 1 {
		t.Errorf("history has %d rows after the same epoch twice, want 1", len(b.History))
	}

	// A later phase's start marks the earlier ones done, even if their
	// phase-end was lost.
	s.progress(&protocol.Progress{Run: 5, Phase: spec.PhaseDAE, Event: protocol.EventPhaseStart, Epochs: 2, Batches: 223})
	if b.Status != phaseDone || s.phases[1].Status != phaseRunning {
		t.Errorf("statuses %v, %v; want done, running", b.Status, s.phases[1].Status)
	}
	s.progress(&protocol.Progress{Run: 5, Phase: spec.PhaseDAE, Event: protocol.EventEvaluate, Epoch: 2, Epochs: 2, Batch: 223, Batches: 223})
	if s.phases[1].Status != phaseEvaluating || s.phases[1].fraction() != 1 {
		t.Errorf("DAE evaluating: %+v", s.phases[1])
	}
}

func TestSessionResultEndsRun(t *testing.T) {
	var s session
	s.startRun(9, quickConfig(1))
	s.progress(&protocol.Progress{Run: 9, Phase: spec.PhaseBaseline, Event: protocol.EventPhaseEnd, Epoch: 1, Epochs: 1, Batch: 8, Batches: 8})
	s.cancelling = true
	// nn records why the run stopped in the report, as it does for a
	// failure; a cancel is still not an error.
	s.gotResult(&protocol.Result{Run: 9, Cancelled: true, Report: &spec.Report{Interrupted: true, Error: "baseline: context canceled"}})
	if s.running || s.cancelling || s.result == nil {
		t.Fatalf("after a cancelled result: running %v, cancelling %v, result %v", s.running, s.cancelling, s.result)
	}
	if s.runErr != nil {
		t.Errorf("a cancelled run shows the error %+v", s.runErr)
	}
	if s.phases[0].Status != phaseDone || s.phases[1].Status != phaseStopped {
		t.Errorf("statuses %v, %v; want done, stopped", s.phases[0].Status, s.phases[1].Status)
	}

	// A result that reports a failure shows it.
	s.startRun(10, quickConfig(1))
	s.gotResult(&protocol.Result{Run: 10, Report: &spec.Report{Error: "dae epoch 1: loss is NaN"}})
	if s.runErr == nil || s.runErr.Message != "dae epoch 1: loss is NaN" {
		t.Errorf("run error %+v", s.runErr)
	}
}

func TestSessionRestore(t *testing.T) {
	var s session
	stored := &protocol.Result{Restored: true, Report: &spec.Report{}}
	s.gotResult(stored)
	if s.result != stored || !s.restored {
		t.Fatal("stored results not shown")
	}

	// Stored results that arrive after a run started do not replace it.
	var s2 session
	s2.startRun(3, quickConfig(1))
	s2.gotResult(&protocol.Result{Restored: true, Report: &spec.Report{}})
	if s2.result != nil || !s2.running {
		t.Error("a late restore replaced the run")
	}
}

func TestSessionErrors(t *testing.T) {
	t.Run("busy", func(t *testing.T) {
		var s session
		s.startRun(1, quickConfig(1))
		if restart := s.gotError(&protocol.Error{Run: 1, Code: protocol.CodeBusy, Message: "busy"}); restart {
			t.Error("busy asked for a restart")
		}
		if !s.busy || s.running {
			t.Errorf("busy %v, running %v; want true, false", s.busy, s.running)
		}
	})
	t.Run("data", func(t *testing.T) {
		var s session
		s.startRun(2, quickConfig(1))
		s.gotError(&protocol.Error{Run: 2, Code: protocol.CodeData, Message: "train-images-idx3-ubyte.gz is HTML", Hint: "check the server"})
		if s.running || s.runErr == nil || s.runErr.Code != protocol.CodeData {
			t.Errorf("running %v, error %+v", s.running, s.runErr)
		}
		if errorText(s.runErr) != "Train-images-idx3-ubyte.gz is HTML. Check the server." {
			t.Errorf("error text %q", errorText(s.runErr))
		}
	})
	t.Run("panic", func(t *testing.T) {
		var s session
		s.worker = workerReady
		s.startRun(3, quickConfig(1))
		if !s.gotError(&protocol.Error{Code: protocol.CodePanic, Message: "index out of range"}) {
			t.Error("a panic did not ask for a new worker")
		}
		if s.running || s.runErr == nil {
			t.Error("the run survived the worker's panic")
		}
	})
	t.Run("classify", func(t *testing.T) {
		var s session
		s.classReq = 77
		s.gotError(&protocol.Error{Req: 77, Code: protocol.CodeImage, Message: "blank picture"})
		if s.classErr == nil || s.workerErr != nil {
			t.Errorf("class error %v, worker error %v", s.classErr, s.workerErr)
		}
	})
}

func TestSessionReady(t *testing.T) {
	var s session
	s.gotReady(&protocol.Ready{Build: "abc", GoVersion: "go1.26.8"}, "abc")
	if s.worker != workerReady || s.workerErr != nil {
		t.Errorf("same build: worker %v, error %v", s.worker, s.workerErr)
	}
	// A worker of another build: the page must reload (failure case C14:
	// a page and a worker of different builds never work together).
	var s2 session
	s2.gotReady(&protocol.Ready{Build: "old"}, "new")
	if s2.worker != workerStale || s2.workerErr == nil || s2.workerErr.Code != protocol.CodeVersion {
		t.Errorf("other build: worker %v, error %+v", s2.worker, s2.workerErr)
	}
}

// TestDataSummary follows the worker's data messages: a stored file goes
// cached, check, ready, and must still read as stored once it is ready.
func TestDataSummary(t *testing.T) {
	files := []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"}
	stored := []protocol.DataStage{protocol.DataCached, protocol.DataCheck, protocol.DataReady}
	downloaded := []protocol.DataStage{protocol.DataDownload, protocol.DataCheck, protocol.DataReady}
	// A stored copy that failed its check is downloaded again.
	redownloaded := []protocol.DataStage{protocol.DataCached, protocol.DataCheck, protocol.DataDownload, protocol.DataCheck, protocol.DataReady}
	for _, c := range []struct {
		name   string
		stages [2][]protocol.DataStage
		want   string
	}{
		{"stored", [2][]protocol.DataStage{stored, stored}, "from the browser's storage, no download"},
		{"downloaded", [2][]protocol.DataStage{downloaded, downloaded}, "downloaded, checked and kept for next time"},
		{"mixed", [2][]protocol.DataStage{stored, downloaded}, "1 of 2 files from the browser's storage, the others downloaded, checked and kept for next time"},
		{"redownloaded", [2][]protocol.DataStage{stored, redownloaded}, "1 of 2 files from the browser's storage, the others downloaded, checked and kept for next time"},
		{"in progress", [2][]protocol.DataStage{stored, downloaded[:2]}, "1 of 2 files ready"},
	} {
		var s session
		s.startRun(4, quickConfig(1))
		for i, f := range files {
			for _, st := range c.stages[i] {
				s.dataProgress(&protocol.Data{Run: 4, File: f, Stage: st})
			}
		}
		if got := dataSummary(s.data); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
