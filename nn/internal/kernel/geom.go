package kernel

import "fmt"

// Float is the constraint satisfied by the element types the kernels support.
type Float interface {
	~float32 | ~float64
}

// Act selects the activation applied after a convolution or dense layer.
type Act uint8

// The supported activations.
const (
	ActNone    Act = iota // identity
	ActReLU               // max(v, 0)
	ActSigmoid            // 1/(1+exp(-v))
)

// String returns the activation's name.
func (a Act) String() string {
	switch a {
	case ActNone:
		return "none"
	case ActReLU:
		return "relu"
	case ActSigmoid:
		return "sigmoid"
	}
	return fmt.Sprintf("Act(%d)", uint8(a))
}

// Geom describes one 3x3 SAME convolution: input (N,H,W,Cin) -> output (N,OH,OW,Cout).
type Geom struct {
	N, H, W, Cin, Cout, Stride int
}

// OutH returns the output height ceil(H/Stride).
func (g Geom) OutH() int { return (g.H + g.Stride - 1) / g.Stride }

// OutW returns the output width ceil(W/Stride).
func (g Geom) OutW() int { return (g.W + g.Stride - 1) / g.Stride }

// PadTop returns the number of zero rows added above the input.
func (g Geom) PadTop() int { return max((g.OutH()-1)*g.Stride+3-g.H, 0) / 2 }

// PadLeft returns the number of zero columns added left of the input.
func (g Geom) PadLeft() int { return max((g.OutW()-1)*g.Stride+3-g.W, 0) / 2 }

// Validate reports an error unless all dimensions are positive and the stride is 1 or 2.
func (g Geom) Validate() error {
	if g.N <= 0 || g.H <= 0 || g.W <= 0 || g.Cin <= 0 || g.Cout <= 0 {
		return fmt.Errorf("kernel: non-positive dimension in %+v", g)
	}
	if g.Stride != 1 && g.Stride != 2 {
		return fmt.Errorf("kernel: stride %d not supported (want 1 or 2)", g.Stride)
	}
	return nil
}

// InLen returns the number of elements of the input, N*H*W*Cin.
func (g Geom) InLen() int { return g.N * g.H * g.W * g.Cin }

// OutLen returns the number of elements of the output, N*OH*OW*Cout.
func (g Geom) OutLen() int { return g.N * g.OutH() * g.OutW() * g.Cout }

// WLen returns the number of elements of the kernel, 9*Cin*Cout.
func (g Geom) WLen() int { return 9 * g.Cin * g.Cout }

// FLOPs returns the nominal floating-point operation count of one Forward,
// BackInput or BackFilter call: 2 (a multiply and an add) per multiply-accumulate,
// with 9*Cin multiply-accumulates per output element, padding taps included.
func (g Geom) FLOPs() int64 {
	return 2 * int64(g.N) * int64(g.OutH()) * int64(g.OutW()) * int64(g.Cout) * 9 * int64(g.Cin)
}
