package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sync"

	"warmstart/nn/spec"
	"warmstart/wasm/protocol"
)

// Keys of the results store. In the browser they are same-origin URL
// paths of Cache Storage "warmstart-store-v1"; nothing serves them.
const (
	storePrefix = "/warmstart-store/"
	// KeyReport holds the last stored result: its report and whether it
	// was cancelled, as JSON ([storedResult]).
	KeyReport = storePrefix + "report.json"
	// KeyCheckpoint is where the run state for resuming would go: the
	// seam for resume after a reload. nn's resumable state
	// (nn.RunOptions.Checkpoint) would be stored here after every epoch
	// (encoded with State.MarshalBinary, written off the training
	// goroutine) and deleted when the run ends; a start or hello would
	// look here first. Nothing reads or writes it yet.
	KeyCheckpoint = storePrefix + "checkpoint"
)

// ModelKey is the key of a phase's model file in the results store.
func ModelKey(p spec.Phase) string { return storePrefix + "model/" + string(p) + ".model" }

// storedResult is what KeyReport holds.
type storedResult struct {
	Cancelled bool         `json:"cancelled,omitempty"`
	Report    *spec.Report `json:"report"`
}

// persist stores a run's result: first it drops the old report, then it
// writes the models (removing those of phases the run lacks), then the
// new report. A failure leaves no report rather than a report without
// its models.
func (s *Session) persist(ctx context.Context, res *protocol.Result) error {
	st := s.env.Store
	if err := st.Delete(ctx, KeyReport); err != nil {
		return err
	}
	for _, p := range spec.AllPhases {
		var err error
		if f, ok := res.Models[p]; ok {
			err = st.Put(ctx, ModelKey(p), f)
		} else {
			err = st.Delete(ctx, ModelKey(p))
		}
		if err != nil {
			return fmt.Errorf("model %s: %w", p, err)
		}
	}
	b, err := json.Marshal(storedResult{Cancelled: res.Cancelled, Report: res.Report})
	if err != nil {
		return fmt.Errorf("encode the report: %w", err)
	}
	return st.Put(ctx, KeyReport, b)
}

// storedReport reads the stored result; ok is false when there is none.
func (s *Session) storedReport(ctx context.Context) (storedResult, bool, error) {
	b, ok, err := s.env.Store.Get(ctx, KeyReport)
	if err != nil || !ok {
		return storedResult{}, false, err
	}
	var r storedResult
	if err := json.Unmarshal(b, &r); err != nil || r.Report == nil {
		return storedResult{}, false, fmt.Errorf("the stored report is damaged: %v", err)
	}
	return r, true, nil
}

func (s *Session) restore(ctx context.Context) {
	r, ok, err := s.storedReport(ctx)
	if err != nil {
		s.post(&protocol.Error{Code: protocol.CodeStorage, Message: "could not read the stored results: " + err.Error(),
			Hint: "train again; if this persists, clear the site's data"})
		return
	}
	if !ok {
		s.post(&protocol.NothingStored{})
		return
	}
	res := &protocol.Result{Report: r.Report, Cancelled: r.Cancelled, Restored: true, Models: map[spec.Phase][]byte{}}
	for _, p := range spec.AllPhases {
		f, ok, err := s.env.Store.Get(ctx, ModelKey(p))
		if err == nil && ok && len(f) > 0 {
			res.Models[p] = f
		}
	}
	s.post(res)
}

// MemStore is a [Store] in memory, for tests and for browsers whose
// Cache Storage is unavailable (then nothing survives a reload).
type MemStore struct {
	mu sync.Mutex
	m  map[string][]byte
	// PutErr, if set, is returned by every Put, like a full quota.
	PutErr error
}

// Get implements [Store].
func (s *MemStore) Get(_ context.Context, key string) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[key]
	return b, ok, nil
}

// Put implements [Store].
func (s *MemStore) Put(_ context.Context, key string, b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.PutErr != nil {
		return s.PutErr
	}
	if s.m == nil {
		s.m = map[string][]byte{}
	}
	s.m[key] = append([]byte(nil), b...)
	return nil
}

// Delete implements [Store].
func (s *MemStore) Delete(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
	return nil
}

// Keys returns a copy of the stored blobs by key.
func (s *MemStore) Keys() map[string][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.m)
}

var errNoModel = errors.New("no trained classifier: train first or load a model file")
