package nn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
)

// State is a run stopped at an epoch boundary: everything needed to go on
// as if it had never stopped, so that a browser tab that reloads or a
// process that dies loses at most one epoch. [RunOptions.Checkpoint]
// receives one after every epoch; [RunOptions.Resume] continues from one,
// and the resumed run's numbers equal those of a run never interrupted.
type State struct {
	Config Config

	// Report holds the results of the phases that finished, in the
	// report's own fields; its other fields are refilled on resume.
	Report Report

	// Models holds the trained model of every finished phase.
	Models map[Phase]*Model

	// Current is the phase in progress, nil before the first epoch.
	Current *PhaseState
}

// PhaseState is a phase after Epoch of its epochs.
type PhaseState struct {
	Phase   Phase
	Epoch   int // epochs done, 1..Epochs
	Model   *Model
	History []EpochStats

	// Adam's step count and moments, by position among the trainable
	// parameters.
	AdamSteps int
	AdamM     [][]float32
	AdamV     [][]float32

	Order []byte // the batch-order generator (a marshalled PCG)
	Noise []byte // the DAE's training-noise generator; nil for classifiers
	Perm  []int  // the last epoch's batch order, which the next shuffle permutes
}

// stateVersion is the version of State's encoding.
const stateVersion = 1

// ErrState is wrapped when a saved state cannot be decoded or does not
// fit the run it is given to.
var ErrState = errors.New("nn: bad run state")

// stateFile is State's encoding: JSON, with models as model files.
type stateFile struct {
	Version int              `json:"version"`
	Config  Config           `json:"config"`
	Report  Report           `json:"report"`
	Models  map[Phase][]byte `json:"models"`
	Current *phaseFile       `json:"current,omitempty"`
}

type phaseFile struct {
	Phase     Phase        `json:"phase"`
	Epoch     int          `json:"epoch"`
	Model     []byte       `json:"model"`
	History   []EpochStats `json:"history"`
	AdamSteps int          `json:"adam_steps"`
	AdamM     [][]float32  `json:"adam_m"`
	AdamV     [][]float32  `json:"adam_v"`
	Order     []byte       `json:"order"`
	Noise     []byte       `json:"noise,omitempty"`
	Perm      []int        `json:"perm"`
}

// MarshalBinary encodes s; [UnmarshalState] decodes it.
func (s *State) MarshalBinary() ([]byte, error) {
	f := stateFile{Version: stateVersion, Config: s.Config, Report: s.Report, Models: map[Phase][]byte{}}
	for p, m := range s.Models {
		b, err := MarshalModel(m, nil)
		if err != nil {
			return nil, err
		}
		f.Models[p] = b
	}
	if c := s.Current; c != nil {
		b, err := MarshalModel(c.Model, nil)
		if err != nil {
			return nil, err
		}
		f.Current = &phaseFile{
			Phase: c.Phase, Epoch: c.Epoch, Model: b, History: c.History,
			AdamSteps: c.AdamSteps, AdamM: c.AdamM, AdamV: c.AdamV,
			Order: c.Order, Noise: c.Noise, Perm: c.Perm,
		}
	}
	return json.Marshal(f)
}

// UnmarshalState decodes a state written by [State.MarshalBinary].
func UnmarshalState(b []byte) (*State, error) {
	var f stateFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrState, err)
	}
	if f.Version != stateVersion {
		return nil, fmt.Errorf("%w: version %d, this build reads version %d", ErrState, f.Version, stateVersion)
	}
	s := &State{Config: f.Config, Report: f.Report, Models: map[Phase]*Model{}}
	for p, b := range f.Models {
		m, err := readModelFor(p, b)
		if err != nil {
			return nil, err
		}
		s.Models[p] = m
	}
	if c := f.Current; c != nil {
		m, err := readModelFor(c.Phase, c.Model)
		if err != nil {
			return nil, err
		}
		s.Current = &PhaseState{
			Phase: c.Phase, Epoch: c.Epoch, Model: m, History: c.History,
			AdamSteps: c.AdamSteps, AdamM: c.AdamM, AdamV: c.AdamV,
			Order: c.Order, Noise: c.Noise, Perm: c.Perm,
		}
	}
	return s, nil
}

func readModelFor(p Phase, b []byte) (*Model, error) {
	arch := ArchCNN
	if p == PhaseDAE {
		arch = ArchDAE
	}
	m, _, err := ReadModel(bytes.NewReader(b), arch)
	if err != nil {
		return nil, fmt.Errorf("%w: model of phase %s: %w", ErrState, p, err)
	}
	return m, nil
}

// check reports whether s can continue a run of cfg on idx, the pool the
// phase in progress trains on.
func (s *State) check(cfg *Config) error {
	a, _ := json.Marshal(s.Config)
	b, _ := json.Marshal(cfg)
	if !bytes.Equal(a, b) {
		return fmt.Errorf("%w: it was saved by a run with other settings", ErrState)
	}
	return nil
}

// checkPhase reports whether c fits phase p trained on pool.
func (c *PhaseState) checkPhase(p Phase, tr Train, pool []int) error {
	switch {
	case c.Epoch < 1 || c.Epoch > tr.Epochs || len(c.History) != c.Epoch:
		return fmt.Errorf("%w: %s at epoch %d of %d with %d history rows", ErrState, p, c.Epoch, tr.Epochs, len(c.History))
	case len(c.AdamM) != len(c.AdamV) || c.AdamSteps < 0:
		return fmt.Errorf("%w: %s: optimiser state does not fit", ErrState, p)
	case (p == PhaseDAE) != (c.Noise != nil):
		return fmt.Errorf("%w: %s: noise generator state does not fit", ErrState, p)
	}
	a, b := slices.Clone(c.Perm), slices.Clone(pool)
	slices.Sort(a)
	slices.Sort(b)
	if !slices.Equal(a, b) {
		return fmt.Errorf("%w: %s: the saved batch order is not a permutation of the training split", ErrState, p)
	}
	return nil
}

// pcgFrom restores a generator saved with MarshalBinary.
func pcgFrom(b []byte) (*rand.PCG, error) {
	g := new(rand.PCG)
	if err := g.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("%w: generator: %v", ErrState, err)
	}
	return g, nil
}
