package app

import (
	"fmt"
	"slices"

	"warmstart/nn/spec"
	"warmstart/wasm/protocol"
)

// workerState is where the page stands with its training worker.
type workerState int

const (
	workerStarting workerState = iota // created, hello sent, no ready yet
	workerReady                       // ready answered with the page's build
	workerFailed                      // could not start, or died and is not restarted
	workerStale                       // answered with another build: the page must reload
)

// phaseStatus is how far a phase of the current run got.
type phaseStatus int

const (
	phaseWaiting phaseStatus = iota
	phaseRunning
	phaseEvaluating
	phaseDone
	phaseStopped // the run ended before the phase finished
)

// phaseRun is the live state of one phase of a run, from progress messages.
type phaseRun struct {
	Phase   spec.Phase
	Status  phaseStatus
	Epoch   int
	Epochs  int
	Batch   int
	Batches int

	Loss, Accuracy float64 // running means of the current epoch
	ImagesPerSec   float64
	ElapsedSec     float64
	ETASec         float64 // -1 when unknown

	History []spec.EpochStats // one row per finished epoch
}

// fraction returns how much of the phase's training is done, in [0, 1].
func (p *phaseRun) fraction() float64 {
	switch p.Status {
	case phaseEvaluating, phaseDone:
		return 1
	}
	total := p.Epochs * p.Batches
	if total <= 0 {
		return 0
	}
	done := max(p.Epoch-1, 0)*p.Batches + p.Batch
	return clamp(float64(done)/float64(total), 0, 1)
}

// dataFile is the download state of one dataset file.
type dataFile struct {
	File  string
	Stage protocol.DataStage
	Bytes int64
	Total int64
	// Stored says the file came from the browser's storage (or the
	// worker's memory): its stages go cached, check, ready, and the last
	// one alone does not tell it from a download.
	Stored bool
}

// session is everything the page knows about its worker, the current run
// and the last results. Its methods apply the worker's messages; they are
// plain Go, so the protocol handling is tested natively, and the shell
// calls them on the UI goroutine only.
type session struct {
	worker    workerState
	workerErr *protocol.Error // why the worker failed or is stale
	ready     protocol.Ready

	runID      int64 // the current or last run; 0 before the first
	running    bool
	cancelling bool
	phases     []*phaseRun // of the current or last run, in run order
	data       []dataFile
	runErr     *protocol.Error // the failure of the current or last run
	busy       bool            // the worker said another run is in progress

	result   *protocol.Result // the last result, finished, cancelled or restored
	restored bool             // a restore was answered (with results or nothing)

	classified *protocol.Classified
	classReq   int64
	classErr   *protocol.Error

	notice string // a passing success message, such as "model loaded"
}

// startRun resets the run state for a run of cfg with id run.
func (s *session) startRun(run int64, cfg spec.Config) {
	s.runID, s.running, s.cancelling, s.busy = run, true, false, false
	s.runErr, s.data, s.notice = nil, nil, ""
	s.phases = s.phases[:0]
	for _, p := range cfg.Phases {
		s.phases = append(s.phases, &phaseRun{Phase: p, Epochs: cfg.TrainFor(p).Epochs, ETASec: -1})
	}
}

// phase returns the live state of phase p of the current run, or nil.
func (s *session) phase(p spec.Phase) *phaseRun {
	for _, r := range s.phases {
		if r.Phase == p {
			return r
		}
	}
	return nil
}

// ours reports whether a message with run id run belongs to this page's
// current run. Messages of another tab's run never reach this page (each
// tab has its own worker), so this only drops late messages of an earlier
// run.
func (s *session) ours(run int64) bool { return run == s.runID && s.runID != 0 }

// progress applies a progress message.
func (s *session) progress(m *protocol.Progress) {
	if !s.ours(m.Run) {
		return
	}
	r := s.phase(m.Phase)
	if r == nil {
		r = &phaseRun{Phase: m.Phase, ETASec: -1}
		s.phases = append(s.phases, r)
		slices.SortStableFunc(s.phases, func(a, b *phaseRun) int {
			return slices.Index(spec.AllPhases, a.Phase) - slices.Index(spec.AllPhases, b.Phase)
		})
	}
	// Earlier phases are done once a later one starts, whatever message
	// was dropped on the way.
	for _, q := range s.phases {
		if q == r {
			break
		}
		if q.Status != phaseDone {
			q.Status = phaseDone
		}
	}
	r.Epoch, r.Epochs, r.Batch, r.Batches = m.Epoch, m.Epochs, m.Batch, m.Batches
	r.ImagesPerSec, r.ElapsedSec, r.ETASec = m.ImagesPerSec, m.ElapsedSec, m.ETASec
	if m.Event == protocol.EventBatch || m.Event == protocol.EventEpoch {
		r.Loss, r.Accuracy = m.Loss, m.Accuracy
	}
	switch m.Event {
	case protocol.EventPhaseStart, protocol.EventBatch, protocol.EventEpoch:
		r.Status = phaseRunning
	case protocol.EventEvaluate:
		r.Status = phaseEvaluating
	case protocol.EventPhaseEnd:
		r.Status = phaseDone
	}
	if m.Stats != nil {
		// An epoch's row replaces one with the same number, so a message
		// delivered twice draws no extra point.
		i := slices.IndexFunc(r.History, func(e spec.EpochStats) bool { return e.Epoch == m.Stats.Epoch })
		if i >= 0 {
			r.History[i] = *m.Stats
		} else {
			r.History = append(r.History, *m.Stats)
		}
	}
}

// dataProgress applies a dataset message.
func (s *session) dataProgress(m *protocol.Data) {
	if !s.ours(m.Run) {
		return
	}
	d := dataFile{File: m.File, Stage: m.Stage, Bytes: m.Bytes, Total: m.Total, Stored: m.Stage == protocol.DataCached}
	for i := range s.data {
		if s.data[i].File == m.File {
			// A download after a cached stage means the stored copy was
			// unusable.
			d.Stored = d.Stored || (s.data[i].Stored && m.Stage != protocol.DataDownload)
			s.data[i] = d
			return
		}
	}
	s.data = append(s.data, d)
}

// gotResult applies a result: a finished, failed or cancelled run, or the
// stored results a restore asked for.
func (s *session) gotResult(m *protocol.Result) {
	if m.Restored {
		s.restored = true
		if s.running || s.result != nil {
			// A run started, or ended, since the restore was sent: its
			// results are newer.
			return
		}
		s.result = m
		return
	}
	if !s.ours(m.Run) {
		return
	}
	s.result = m
	s.running, s.cancelling = false, false
	for _, r := range s.phases {
		if r.Status != phaseDone {
			r.Status = phaseStopped
		}
	}
	// A cancelled run's report says why it stopped ("context canceled");
	// that is what the user asked for, not an error.
	if m.Report != nil && m.Report.Error != "" && !m.Cancelled && s.runErr == nil {
		s.runErr = &protocol.Error{Run: m.Run, Code: protocol.CodeTraining, Message: m.Report.Error}
	}
}

// gotError applies an error message and reports whether the worker must
// be replaced (it panicked).
func (s *session) gotError(m *protocol.Error) (restart bool) {
	switch {
	case m.Code == protocol.CodePanic:
		if s.running {
			s.runErr = m
			s.endRun()
		}
		s.workerErr = m
		return true
	case m.Code == protocol.CodeVersion && s.worker != workerReady:
		s.worker, s.workerErr = workerStale, m
	case m.Req != 0 && m.Req == s.classReq:
		s.classErr = m
	case m.Code == protocol.CodeBusy:
		s.busy = true
		if s.ours(m.Run) {
			s.endRun()
		}
	case m.Run != 0 && s.ours(m.Run):
		s.runErr = m
		// A run that could not start gets only this error; one that
		// started ends with a result, which comes next. Either way the
		// page stops waiting: Train is offered again, and a late result
		// is still shown.
		s.endRun()
	case s.worker == workerStarting:
		s.worker, s.workerErr = workerFailed, m
	default:
		s.workerErr = m
	}
	return false
}

// endRun marks the current run as over.
func (s *session) endRun() {
	s.running, s.cancelling = false, false
	for _, r := range s.phases {
		if r.Status != phaseDone {
			r.Status = phaseStopped
		}
	}
}

// gotReady applies the worker's answer to hello, given the page's build.
func (s *session) gotReady(m *protocol.Ready, build string) {
	s.ready = *m
	if m.Build != build {
		s.worker = workerStale
		s.workerErr = &protocol.Error{
			Code: protocol.CodeVersion,
			Message: fmt.Sprintf("A newer version of warmstart is available: this page is build %s, its training worker build %s.",
				build, m.Build),
			Hint: "Reload the page to use the new version.",
		}
		return
	}
	s.worker, s.workerErr = workerReady, nil
}

// workerDied records that the worker stopped without a word: a failed
// script load or an uncaught exception (the Worker's error event), or no
// answer to hello in time.
func (s *session) workerDied(msg, hint string) {
	if s.worker == workerStale {
		return
	}
	s.worker = workerFailed
	s.workerErr = &protocol.Error{Code: protocol.CodeInternal, Message: msg, Hint: hint}
	if s.running {
		s.runErr = s.workerErr
		s.endRun()
	}
}
