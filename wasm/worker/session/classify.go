package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"warmstart/nn"
	"warmstart/nn/prep"
	"warmstart/nn/spec"
	"warmstart/wasm/protocol"
)

// classifierPhases are the phases whose models classify, in the order
// of Classified.Predictions.
var classifierPhases = []spec.Phase{spec.PhaseBaseline, spec.PhasePretrained, spec.PhaseFineTune}

// prepare is the default Env.Prepare: the user-picture preprocessing of
// package nn/prep.
func prepare(w, h int, rgba []byte) ([]float32, []byte, error) {
	img, err := prep.FromRGBA(w, h, rgba)
	if err != nil {
		return nil, nil, err
	}
	in, err := prep.Prepare(img)
	if err != nil {
		return nil, nil, err
	}
	return in.Pixels, in.Gray, nil
}

// archFor is the architecture of a phase's model.
func archFor(p spec.Phase) nn.Arch {
	if p == spec.PhaseDAE {
		return nn.ArchDAE
	}
	return nn.ArchCNN
}

// model returns the model of phase p: the one in memory, else the one in
// the store, read once and then kept. A run's models replace all others,
// so after a run only its own are looked for.
func (s *Session) model(ctx context.Context, p spec.Phase) (*nn.Model, error) {
	s.mu.Lock()
	m, known := s.models[p]
	s.mu.Unlock()
	if known {
		return m, nil
	}
	f, ok, err := s.env.Store.Get(ctx, ModelKey(p))
	if err != nil {
		return nil, fmt.Errorf("read the stored %s model: %w", p, err)
	}
	if ok {
		if m, _, err = nn.ReadModel(bytes.NewReader(f), archFor(p)); err != nil {
			return nil, fmt.Errorf("the stored %s model is damaged: %w", p, err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, set := s.models[p]; set {
		return cur, nil // a run or a load finished meanwhile
	}
	s.models[p] = m // nil when none is stored: not looked up again
	return m, nil
}

func (s *Session) classify(ctx context.Context, m *protocol.Classify) {
	type named struct {
		phase spec.Phase
		model *nn.Model
	}
	var models []named
	var errs []error
	for _, p := range classifierPhases {
		mod, err := s.model(ctx, p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if mod != nil {
			models = append(models, named{p, mod})
		}
	}
	if len(models) == 0 {
		msg := errNoModel.Error()
		if len(errs) > 0 {
			msg += " (" + errors.Join(errs...).Error() + ")"
		}
		s.post(&protocol.Error{Req: m.Req, Code: protocol.CodeModel, Message: msg,
			Hint: "train first or load a model file"})
		return
	}
	x, preview, err := s.env.Prepare(m.Width, m.Height, m.Pixels)
	if err != nil {
		s.post(&protocol.Error{Req: m.Req, Code: protocol.CodeImage, Message: err.Error(),
			Hint: "draw or upload one garment, light or dark on a plain background"})
		return
	}
	res := &protocol.Classified{Req: m.Req, Preview: preview}
	for _, nm := range models {
		probs, err := nm.model.Predict(x)
		if err != nil {
			s.post(&protocol.Error{Req: m.Req, Code: protocol.CodeModel,
				Message: fmt.Sprintf("the %s model could not classify: %v", nm.phase, err),
				Hint:    "train again or load another model file"})
			return
		}
		pred := protocol.Prediction{Phase: nm.phase}
		for k, v := range probs[0] {
			pred.Probs[k] = float64(v)
			if v > probs[0][pred.Class] {
				pred.Class = k
			}
		}
		res.Predictions = append(res.Predictions, pred)
	}
	s.post(res)
}

func (s *Session) loadModel(ctx context.Context, m *protocol.LoadModel) {
	want := archFor(m.Phase)
	mod, _, err := nn.ReadModel(bytes.NewReader(m.File), want)
	if err != nil {
		var hint string
		if m.Phase == spec.PhaseDAE {
			hint = "the dae phase takes an autoencoder's model file (dae.model); the others take a classifier's"
		} else {
			hint = "the " + string(m.Phase) + " phase takes a classifier's model file; an autoencoder's (dae.model) does not fit"
		}
		s.post(&protocol.Error{Code: protocol.CodeModel,
			Message: fmt.Sprintf("the model file for phase %s was refused: %v", m.Phase, err), Hint: hint})
		return
	}
	s.mu.Lock()
	s.models[m.Phase] = mod
	s.mu.Unlock()
	s.post(&protocol.ModelLoaded{Phase: m.Phase, Params: mod.NumParams()})
	if err := s.env.Store.Put(ctx, ModelKey(m.Phase), m.File); err != nil {
		s.post(&protocol.Error{Code: protocol.CodeStorage,
			Message: fmt.Sprintf("the %s model is loaded but could not be saved for the next visit: %v", m.Phase, err),
			Hint:    "free some browser storage or leave private browsing"})
	}
}
