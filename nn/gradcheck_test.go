package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	gorgonia "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"warmstart/nn/internal/kernel"
)

// Finite-difference settings for float64 gradient checks. A central
// difference has error O(h²); with h = 1e-6 and losses of order 1 the
// round-off is about 1e-10/h = 1e-4 absolute per unit of curvature, so
// agreement to 1e-6 relative (or 1e-8 absolute near zero) is a strict test.
const (
	fdStep   = 1e-6
	fdRelTol = 1e-6
	fdAbsTol = 1e-8
)

// randTensor returns a float64 tensor of shape with entries U(-1, 1)·scale.
func randTensor(rng *rand.Rand, scale float64, shape ...int) *tensor.Dense {
	d := make([]float64, shapeLen(shape))
	for i := range d {
		d[i] = (2*rng.Float64() - 1) * scale
	}
	return tensor.New(tensor.WithBacking(d), tensor.WithShape(shape...))
}

// gradCheck builds loss = build(inputs) over float64 input tensors,
// differentiates it with respect to those marked in wrt, and compares
// every gradient entry (or at most maxPerInput sampled ones) with a
// central difference of the loss.
func gradCheck(t *testing.T, inputs []*tensor.Dense, wrt []bool, maxPerInput int,
	build func(g *gorgonia.ExprGraph, in gorgonia.Nodes) (*gorgonia.Node, error)) {
	t.Helper()
	g := gorgonia.NewGraph()
	var nodes, wrtNodes gorgonia.Nodes
	for i, in := range inputs {
		n := gorgonia.NewTensor(g, tensor.Float64, in.Dims(), gorgonia.WithShape(in.Shape()...),
			gorgonia.WithValue(in), gorgonia.WithName(fmt.Sprintf("in%d", i)))
		nodes = append(nodes, n)
		if wrt[i] {
			wrtNodes = append(wrtNodes, n)
		}
	}
	loss, err := build(g, nodes)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	one := g.AddNode(gorgonia.NewConstant(1.0))
	grads, err := gorgonia.Backpropagate(gorgonia.Nodes{loss}, gorgonia.Nodes{one}, wrtNodes)
	if err != nil {
		t.Fatalf("backpropagate: %v", err)
	}
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	eval := func() float64 {
		if err := vm.RunAll(); err != nil {
			t.Fatalf("run: %v", err)
		}
		defer vm.Reset()
		v, err := scalar(loss.Value())
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	before := make([][]float64, len(inputs))
	for i, in := range inputs {
		before[i] = append([]float64(nil), in.Data().([]float64)...)
	}
	eval()
	analytic := make([][]float64, len(grads))
	for k, gn := range grads {
		analytic[k] = append([]float64(nil), gn.Value().Data().([]float64)...)
	}
	for i, in := range inputs {
		if d := in.Data().([]float64); !equalBits(d, before[i]) {
			t.Fatalf("input %d changed by a forward/backward pass", i)
		}
	}

	rng := rand.New(rand.NewPCG(7, 7))
	k := 0
	for i, in := range inputs {
		if !wrt[i] {
			continue
		}
		d := in.Data().([]float64)
		idx := make([]int, len(d))
		for j := range idx {
			idx[j] = j
		}
		if maxPerInput > 0 && len(idx) > maxPerInput {
			rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
			idx = idx[:maxPerInput]
		}
		compareFD(t, fmt.Sprintf("input %d %v", i, in.Shape()), d, idx, analytic[k], eval)
		k++
	}
}

// compareFD compares analytic[j] with the central difference of loss
// when d[j] moves by ±fdStep, for every j in idx, and restores d.
func compareFD(t *testing.T, name string, d []float64, idx []int, analytic []float64, loss func() float64) {
	t.Helper()
	worst := 0.0
	for _, j := range idx {
		orig := d[j]
		d[j] = orig + fdStep
		lp := loss()
		d[j] = orig - fdStep
		lm := loss()
		d[j] = orig
		num := (lp - lm) / (2 * fdStep)
		got := analytic[j]
		diff := math.Abs(got - num)
		if diff > fdAbsTol && diff > fdRelTol*math.Max(math.Abs(got), math.Abs(num)) {
			t.Errorf("%s [%d]: analytic %.12g, numeric %.12g (rel tol %g)", name, j, got, num, fdRelTol)
		}
		worst = math.Max(worst, diff)
	}
	t.Logf("%s: %d entries, worst |analytic-numeric| %.3g", name, len(idx), worst)
}

func equalBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// mseTo returns mean((y - target)²) as a scalar node: a loss with a
// non-trivial gradient for checking the op that made y.
func mseTo(g *gorgonia.ExprGraph, y *gorgonia.Node, target *tensor.Dense) (*gorgonia.Node, error) {
	tn := gorgonia.NewTensor(g, tensor.Float64, target.Dims(), gorgonia.WithShape(target.Shape()...),
		gorgonia.WithValue(target), gorgonia.WithName("target"))
	return gorgonia.ApplyOp(newMSEOp(target.Dims()), y, tn)
}

var acts = []kernel.Act{kernel.ActNone, kernel.ActReLU, kernel.ActSigmoid}

func TestGradConv(t *testing.T) {
	cases := []struct {
		n, h, w, cin, cout, stride int
	}{
		{2, 5, 5, 1, 3, 1},
		{2, 6, 4, 2, 3, 1},
		{2, 6, 6, 3, 2, 2},
		{2, 7, 5, 2, 4, 2},
		{1, 28, 28, 1, 2, 2},
	}
	for _, c := range cases {
		for _, act := range acts {
			name := fmt.Sprintf("%dx%dx%d-to-%d/s%d/%v", c.h, c.w, c.cin, c.cout, c.stride, act)
			t.Run(name, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(1, uint64(c.h*100+c.w)))
				g := kernel.Geom{N: c.n, H: c.h, W: c.w, Cin: c.cin, Cout: c.cout, Stride: c.stride}
				x := randTensor(rng, 1, c.n, c.h, c.w, c.cin)
				w := randTensor(rng, 0.5, 3, 3, c.cin, c.cout)
				b := randTensor(rng, 0.1, c.cout)
				target := randTensor(rng, 1, c.n, g.OutH(), g.OutW(), c.cout)
				gradCheck(t, []*tensor.Dense{x, w, b}, []bool{true, true, true}, 200,
					func(gr *gorgonia.ExprGraph, in gorgonia.Nodes) (*gorgonia.Node, error) {
						y, err := gorgonia.ApplyOp(newConvOp(c.stride, act, true, true), in[0], in[1], in[2])
						if err != nil {
							return nil, err
						}
						return mseTo(gr, y, target)
					})
			})
		}
	}
}

func TestGradConvTranspose(t *testing.T) {
	cases := []struct{ n, h, w, cin, cout int }{
		{2, 3, 3, 2, 3}, // odd input: output 6x6
		{2, 4, 4, 3, 2}, // even input
		{2, 3, 4, 1, 2}, // rectangular
		{1, 7, 7, 8, 8}, // the DAE's first decoder layer
	}
	for _, c := range cases {
		for _, act := range acts {
			name := fmt.Sprintf("%dx%dx%d-to-%d/%v", c.h, c.w, c.cin, c.cout, act)
			t.Run(name, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(2, uint64(c.h*100+c.w)))
				x := randTensor(rng, 1, c.n, c.h, c.w, c.cin)
				w := randTensor(rng, 0.5, 3, 3, c.cout, c.cin)
				b := randTensor(rng, 0.1, c.cout)
				target := randTensor(rng, 1, c.n, 2*c.h, 2*c.w, c.cout)
				gradCheck(t, []*tensor.Dense{x, w, b}, []bool{true, true, true}, 200,
					func(gr *gorgonia.ExprGraph, in gorgonia.Nodes) (*gorgonia.Node, error) {
						y, err := gorgonia.ApplyOp(newConvTOp(act, true), in[0], in[1], in[2])
						if err != nil {
							return nil, err
						}
						return mseTo(gr, y, target)
					})
			})
		}
	}
}

func TestGradDense(t *testing.T) {
	for _, act := range []kernel.Act{kernel.ActNone, kernel.ActReLU} {
		for _, shape := range [][]int{{3, 5}, {3, 2, 2, 3}} {
			t.Run(fmt.Sprintf("%v/in%v", act, shape), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(3, uint64(len(shape))))
				in := shapeLen(shape[1:])
				x := randTensor(rng, 1, shape...)
				w := randTensor(rng, 0.5, in, 4)
				b := randTensor(rng, 0.1, 4)
				target := randTensor(rng, 1, shape[0], 4)
				gradCheck(t, []*tensor.Dense{x, w, b}, []bool{true, true, true}, 0,
					func(gr *gorgonia.ExprGraph, in gorgonia.Nodes) (*gorgonia.Node, error) {
						y, err := gorgonia.ApplyOp(newDenseOp(act, len(shape), true), in[0], in[1], in[2])
						if err != nil {
							return nil, err
						}
						return mseTo(gr, y, target)
					})
			})
		}
	}
}

func TestGradMSE(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	r := randTensor(rng, 1, 2, 3, 3, 1)
	target := randTensor(rng, 1, 2, 3, 3, 1)
	gradCheck(t, []*tensor.Dense{r}, []bool{true}, 0,
		func(gr *gorgonia.ExprGraph, in gorgonia.Nodes) (*gorgonia.Node, error) {
			return mseTo(gr, in[0], target)
		})
}

func TestGradSoftmaxCrossEntropy(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	logits := randTensor(rng, 3, 4, NumClasses)
	y := tensor.New(tensor.Of(tensor.Float64), tensor.WithShape(4, NumClasses))
	for i, l := range []int{0, 6, 9, 6} {
		y.Data().([]float64)[i*NumClasses+l] = 1
	}
	gradCheck(t, []*tensor.Dense{logits, y}, []bool{true, false}, 0,
		func(gr *gorgonia.ExprGraph, in gorgonia.Nodes) (*gorgonia.Node, error) {
			return gorgonia.ApplyOp(newXentOp(), in[0], in[1])
		})
}

// modelTensors returns arch's parameters as float64 tensors drawn like
// Glorot's, with small random biases so that their gradients are
// exercised away from zero.
func modelTensors(t *testing.T, arch Arch, rng *rand.Rand) []*tensor.Dense {
	m, err := NewModel(arch, rng)
	if err != nil {
		t.Fatal(err)
	}
	var ps []*tensor.Dense
	for _, p := range m.Params {
		d := make([]float64, len(p.Data))
		for i, v := range p.Data {
			d[i] = float64(v)
			if len(p.Shape) == 1 {
				d[i] = 0.05 * (2*rng.Float64() - 1)
			}
		}
		ps = append(ps, tensor.New(tensor.WithBacking(d), tensor.WithShape(p.Shape...)))
	}
	return ps
}

// TestGradModels checks the gradient of every parameter tensor of the
// whole DAE and classifier graphs, as the trainer builds them, at
// sampled entries (N=2, float64, noise frozen in the input).
func TestGradModels(t *testing.T) {
	for _, arch := range []Arch{ArchDAE, ArchCNN} {
		t.Run(string(arch), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(6, 6))
			ps := modelTensors(t, arch, rng)
			trainable := make([]bool, len(ps))
			for i := range trainable {
				trainable[i] = true
			}
			gr, err := buildGraph(arch, 2, ps, trainable)
			if err != nil {
				t.Fatal(err)
			}
			defer gr.vm.Close()
			fillRand(gr.xT.Data().([]float64), rng)
			if arch == ArchDAE {
				fillRand(gr.targetT.Data().([]float64), rng)
			} else {
				y := gr.targetT.Data().([]float64)
				y[3], y[NumClasses+6] = 1, 1
			}
			checkGraphGrads(t, gr, ps, 25)
		})
	}
}

func fillRand(d []float64, rng *rand.Rand) {
	for i := range d {
		d[i] = rng.Float64()
	}
}

// checkGraphGrads compares a training graph's parameter gradients with
// central differences of its loss at up to per entries of each tensor.
func checkGraphGrads(t *testing.T, gr *graph, ps []*tensor.Dense, per int) {
	t.Helper()
	loss := func() float64 {
		if err := gr.run(); err != nil {
			t.Fatal(err)
		}
		defer gr.reset()
		return gr.lossValue()
	}
	if err := gr.run(); err != nil {
		t.Fatal(err)
	}
	var analytic [][]float64
	for _, g := range gr.grads {
		analytic = append(analytic, append([]float64(nil), g.Value().Data().([]float64)...))
	}
	gr.reset()
	rng := rand.New(rand.NewPCG(8, 8))
	for k, i := range gr.train {
		d := ps[i].Data().([]float64)
		idx := make([]int, min(per, len(d)))
		for s := range idx {
			idx[s] = rng.IntN(len(d))
		}
		compareFD(t, fmt.Sprintf("param %d %v", i, ps[i].Shape()), d, idx, analytic[k], loss)
	}
}
