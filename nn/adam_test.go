package nn

import (
	"math"
	"testing"

	gorgonia "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

type fixedGrad struct{ p, g *tensor.Dense }

func (f fixedGrad) Value() gorgonia.Value         { return f.p }
func (f fixedGrad) Grad() (gorgonia.Value, error) { return f.g, nil }

// TestAdamKeras checks three steps against TensorFlow's formula, worked
// in float64: lrₜ = lr·√(1-β₂ᵗ)/(1-β₁ᵗ), w -= lrₜ·m/(√v + ε).
func TestAdamKeras(t *testing.T) {
	const tol = 1e-6 // float32 arithmetic on values of order 1
	w := []float32{0.5, -1, 2}
	grads := [][]float32{{0.1, -0.2, 3}, {0.05, 0.1, -1}, {0, 1e-4, 2}}
	p := tensor.New(tensor.WithBacking(w), tensor.WithShape(3))
	a := NewAdam(1e-3)

	want := []float64{0.5, -1, 2}
	m, v := make([]float64, 3), make([]float64, 3)
	for step, g := range grads {
		gt := tensor.New(tensor.WithBacking(append([]float32(nil), g...)), tensor.WithShape(3))
		if err := a.Step([]gorgonia.ValueGrad{fixedGrad{p, gt}}); err != nil {
			t.Fatal(err)
		}
		k := float64(step + 1)
		lrT := 1e-3 * math.Sqrt(1-math.Pow(0.999, k)) / (1 - math.Pow(0.9, k))
		for j := range want {
			gj := float64(g[j])
			m[j] = 0.9*m[j] + 0.1*gj
			v[j] = 0.999*v[j] + 0.001*gj*gj
			want[j] -= lrT * m[j] / (math.Sqrt(v[j]) + 1e-7)
		}
		for j := range want {
			if math.Abs(float64(w[j])-want[j]) > tol {
				t.Errorf("step %d, w[%d]: got %.9f, want %.9f (tol %g)", step+1, j, w[j], want[j], tol)
			}
		}
	}
	if a.Steps() != 3 {
		t.Errorf("got %d steps, want 3", a.Steps())
	}
}

func TestAdamRefusesMismatch(t *testing.T) {
	a := NewAdam(1e-3)
	p := tensor.New(tensor.WithBacking([]float32{1, 2}), tensor.WithShape(2))
	g := tensor.New(tensor.WithBacking([]float32{1, 2}), tensor.WithShape(2))
	if err := a.Step([]gorgonia.ValueGrad{fixedGrad{p, g}}); err != nil {
		t.Fatal(err)
	}
	if err := a.Step([]gorgonia.ValueGrad{fixedGrad{p, g}, fixedGrad{p, g}}); err == nil {
		t.Error("a step with another number of parameters was accepted")
	}
}
