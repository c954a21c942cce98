package nn

import (
	"fmt"
	"math"

	gorgonia "gorgonia.org/gorgonia"
)

// Adam is the Adam optimiser exactly as TensorFlow/Keras computes it, for
// float32 parameters. At step t (from 1) with gradient g:
//
//	m ← β₁m + (1-β₁)g
//	v ← β₂v + (1-β₂)g²
//	lrₜ = lr·√(1-β₂ᵗ)/(1-β₁ᵗ)
//	w ← w - lrₜ·m/(√v + ε)
//
// so ε is added to √v without bias correction, unlike the paper's ε̂.
// State is kept by position in the slice passed to Step, so a model's
// graphs for different batch sizes share one Adam if they list their
// parameters in the same order.
type Adam struct {
	LR, Beta1, Beta2, Epsilon float64

	t    int
	m, v [][]float32 // per parameter, like the parameter
}

var _ gorgonia.Solver = (*Adam)(nil)

// NewAdam returns Keras's default Adam (β₁ 0.9, β₂ 0.999, ε 1e-7) with
// learning rate lr.
func NewAdam(lr float64) *Adam {
	return &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7}
}

// Steps returns how many updates the optimiser has made.
func (a *Adam) Steps() int { return a.t }

// Step updates every parameter of vgs in place from its gradient. It
// returns an error if a value or gradient is not a float32 tensor or the
// parameters differ from those of earlier steps.
func (a *Adam) Step(vgs []gorgonia.ValueGrad) error {
	ws, gs := make([][]float32, len(vgs)), make([][]float32, len(vgs))
	for i, vg := range vgs {
		w, ok := vg.Value().Data().([]float32)
		if !ok {
			return fmt.Errorf("nn: adam: parameter %d is %v, want float32", i, vg.Value().Dtype())
		}
		gv, err := vg.Grad()
		if err != nil {
			return fmt.Errorf("nn: adam: parameter %d: %w", i, err)
		}
		g, ok := gv.Data().([]float32)
		if !ok || len(g) != len(w) {
			return fmt.Errorf("nn: adam: gradient %d does not match its parameter", i)
		}
		ws[i], gs[i] = w, g
	}
	return a.update(ws, gs)
}

// update applies one step to the parameters ws from their gradients gs.
func (a *Adam) update(ws, gs [][]float32) error {
	if a.m == nil {
		a.m = make([][]float32, len(ws))
		a.v = make([][]float32, len(ws))
	}
	if len(ws) != len(a.m) || len(gs) != len(ws) {
		return fmt.Errorf("nn: adam: %d parameters and %d gradients, earlier steps had %d", len(ws), len(gs), len(a.m))
	}
	a.t++
	t := float64(a.t)
	lrT := float32(a.LR * math.Sqrt(1-math.Pow(a.Beta2, t)) / (1 - math.Pow(a.Beta1, t)))
	b1, b2, eps := float32(a.Beta1), float32(a.Beta2), float32(a.Epsilon)
	for i, w := range ws {
		g := gs[i]
		if len(g) != len(w) {
			return fmt.Errorf("nn: adam: gradient %d does not match its parameter", i)
		}
		if a.m[i] == nil {
			a.m[i] = make([]float32, len(w))
			a.v[i] = make([]float32, len(w))
		}
		if len(a.m[i]) != len(w) {
			return fmt.Errorf("nn: adam: parameter %d has %d values, earlier steps %d", i, len(w), len(a.m[i]))
		}
		adamUpdate(w, g, a.m[i], a.v[i], lrT, b1, b2, eps)
	}
	return nil
}

func adamUpdate(w, g, m, v []float32, lrT, b1, b2, eps float32) {
	g, m, v = g[:len(w)], m[:len(w)], v[:len(w)]
	for j := range w {
		gj := g[j]
		mj := b1*m[j] + (1-b1)*gj
		vj := b2*v[j] + (1-b2)*gj*gj
		m[j], v[j] = mj, vj
		w[j] -= lrT * mj / (float32(math.Sqrt(float64(vj))) + eps)
	}
}
