package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"warmstart/nn"
	"warmstart/nn/data"
	"warmstart/nn/spec"
	"warmstart/wasm/protocol"
)

// activeRun is the run in progress.
type activeRun struct {
	id     int64
	cancel context.CancelFunc
}

// dataError marks a failure to get or check the dataset.
type dataError struct{ err error }

func (e *dataError) Error() string { return e.err.Error() }
func (e *dataError) Unwrap() error { return e.err }

func (s *Session) start(ctx context.Context, m *protocol.Start) {
	if m.Workers > 1 && s.env.Spawn == nil {
		s.post(&protocol.Error{Run: m.Run, Code: protocol.CodeConfig,
			Message: fmt.Sprintf("training across %d workers needs helper workers, which this browser cannot start", m.Workers),
			Hint:    "set workers to 1"})
		return
	}
	s.mu.Lock()
	if r := s.run; r != nil {
		s.mu.Unlock()
		s.post(&protocol.Error{Run: m.Run, Code: protocol.CodeBusy,
			Message: fmt.Sprintf("run %d is still in progress in this tab", r.id),
			Hint:    "wait for it to finish, or cancel it first"})
		return
	}
	rctx, cancel := context.WithCancel(ctx)
	r := &activeRun{id: m.Run, cancel: cancel}
	s.run = r
	s.mu.Unlock()
	go s.runGoroutine(rctx, r, m)
}

func (s *Session) cancel(m *protocol.Cancel) {
	s.mu.Lock()
	r := s.run
	s.mu.Unlock()
	// A cancel for a run that already ended (its result is on the way)
	// or that this worker never saw has nothing to stop.
	if r != nil && r.id == m.Run {
		r.cancel()
	}
}

// Running reports whether a run is in progress.
func (s *Session) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.run != nil
}

// runGoroutine runs the experiment of m. Its last messages (errors, then
// the result) go out after the run is marked over and the lock released,
// so that the page may start the next run as soon as it has the result.
func (s *Session) runGoroutine(ctx context.Context, r *activeRun, m *protocol.Start) {
	out := s.execute(ctx, m)
	r.cancel()
	s.mu.Lock()
	s.run = nil
	s.mu.Unlock()
	for _, msg := range out {
		s.post(msg)
	}
}

// execute takes the lock, gets the dataset, trains, stores the results
// and returns the messages that end the run.
func (s *Session) execute(ctx context.Context, m *protocol.Start) (out []protocol.Message) {
	defer func() {
		if v := recover(); v != nil {
			out = append(out, &protocol.Error{Run: m.Run, Code: protocol.CodePanic,
				Message: fmt.Sprintf("the training worker crashed: %v (%s)", v, shortStack(3, 6)),
				Hint:    "reload the page"})
		}
	}()
	if s.env.Lock != nil {
		release, ok, err := s.env.Lock.TryLock(ctx, LockName)
		if err != nil {
			return []protocol.Message{&protocol.Error{Run: m.Run, Code: protocol.CodeInternal,
				Message: "could not take the training lock (navigator.locks): " + err.Error(),
				Hint:    "reload the page"}}
		}
		if !ok {
			return []protocol.Message{&protocol.Error{Run: m.Run, Code: protocol.CodeBusy,
				Message: "a run is in progress in another tab",
				Hint:    "wait for it to finish, or cancel it in that tab"}}
		}
		defer release()
	}

	var storageNotes []string
	ds, err := s.dataset(ctx, m, &storageNotes)
	if err != nil {
		if ctx.Err() != nil {
			rep := &spec.Report{Provenance: spec.CurrentProvenance(m.Config.Seed), Config: m.Config,
				Interrupted: true, Error: "cancelled before training started"}
			return []protocol.Message{&protocol.Result{Run: m.Run, Report: rep, Cancelled: true}}
		}
		return []protocol.Message{errorFor(m.Run, err, false)}
	}

	var rep *spec.Report
	var models map[spec.Phase]*nn.Model
	if m.Workers > 1 {
		// The dataset is checked and stored now, so the helpers read it
		// from storage rather than downloading it again.
		p, perr := s.startHelpers(ctx, m)
		if perr != nil {
			return []protocol.Message{errorFor(m.Run, perr, false)}
		}
		defer p.close()
		rep, models, err = nn.RunWith(ctx, ds, m.Config, s.observer(m.Run), nn.RunOptions{Replicas: p.coord})
	} else {
		rep, models, err = s.env.Train(ctx, ds, m.Config, s.observer(m.Run))
	}
	if rep == nil {
		if err == nil {
			err = errors.New("training returned no report")
		}
		return []protocol.Message{errorFor(m.Run, err, false)}
	}
	cancelled := err != nil && errors.Is(err, context.Canceled) && ctx.Err() != nil
	if err != nil && !cancelled {
		out = append(out, errorFor(m.Run, err, true))
	}
	res := &protocol.Result{Run: m.Run, Report: rep, Cancelled: cancelled}
	if len(models) > 0 {
		var ferr error
		if res.Models, ferr = modelFiles(models, m.Config.Seed); ferr != nil {
			out = append(out, errorFor(m.Run, ferr, true))
			res.Models = nil
		}
	}
	if len(res.Models) > 0 {
		s.setModels(models)
		// Storing must finish even when the run was cancelled.
		if err := s.persist(context.WithoutCancel(ctx), res); err != nil {
			storageNotes = append(storageNotes, "the results could not be saved for the next visit: "+err.Error())
		}
	}
	if len(storageNotes) > 0 {
		out = append(out, &protocol.Error{Run: m.Run, Code: protocol.CodeStorage,
			Message: strings.Join(storageNotes, "; "),
			Hint:    "the results are shown but will not survive a reload; free some browser storage or leave private browsing"})
	}
	return append(out, res)
}

// errorFor classifies a run's error. trained says the run got as far as
// training, so an unclassified error is a training failure rather than
// an internal one.
func errorFor(run int64, err error, trained bool) *protocol.Error {
	e := &protocol.Error{Run: run, Message: err.Error()}
	var nonFinite *nn.NonFiniteLossError
	var de *dataError
	var fe *data.FormatError
	switch {
	case errors.As(err, &nonFinite):
		e.Code, e.Hint = protocol.CodeTraining, "lower the learning rate and train again"
	case errors.Is(err, spec.ErrConfig):
		e.Code, e.Hint = protocol.CodeConfig, "change the settings"
	case errors.As(err, &de), errors.As(err, &fe), errors.Is(err, nn.ErrData):
		e.Code, e.Hint = protocol.CodeData, "check that the server has the dataset files (make data), then reload the page"
	case trained:
		e.Code, e.Hint = protocol.CodeTraining, "train again; if it fails again, reload the page"
	default:
		e.Code, e.Hint = protocol.CodeInternal, "reload the page"
	}
	return e
}

// observer turns nn's events into progress messages, batch events at
// most every ProgressEvery, and yields to JavaScript now and then.
func (s *Session) observer(run int64) spec.Observer {
	var lastSent, lastYield time.Time
	return func(ev spec.Event) {
		now := s.env.Now()
		throttled := ev.Kind == spec.EventBatch || ev.Kind == spec.EventEvalBatch
		if !throttled || now.Sub(lastSent) >= ProgressEvery {
			p := protocol.ProgressFrom(run, ev)
			if s.env.MemoryBytes != nil {
				p.MemoryBytes = s.env.MemoryBytes()
			}
			s.post(&p)
			lastSent = now
		}
		if s.env.Yield != nil && now.Sub(lastYield) >= s.env.YieldEvery {
			s.env.Yield()
			lastYield = s.env.Now()
		}
	}
}

// modelFiles encodes the trained models as model files.
func modelFiles(models map[spec.Phase]*nn.Model, seed uint64) (map[spec.Phase][]byte, error) {
	files := map[spec.Phase][]byte{}
	for p, m := range models {
		var b bytes.Buffer
		meta := map[string]string{"phase": string(p), "seed": strconv.FormatUint(seed, 10),
			"build": protocol.Build, "go": protocol.GoVersion()}
		if err := nn.WriteModel(&b, m, meta); err != nil {
			return nil, fmt.Errorf("encode the %s model: %w", p, err)
		}
		files[p] = b.Bytes()
	}
	return files, nil
}

// setModels makes the models of a finished run the ones classify uses,
// replacing all earlier ones.
func (s *Session) setModels(models map[spec.Phase]*nn.Model) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.models = map[spec.Phase]*nn.Model{}
	for _, p := range spec.AllPhases {
		s.models[p] = nil // stored models of other runs are stale
	}
	for p, m := range models {
		s.models[p] = m
	}
}
