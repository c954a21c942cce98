package nn

import (
	"fmt"

	"github.com/chewxy/hm"
	gorgonia "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"warmstart/nn/internal/kernel"
)

// convOp is a 3x3 "same" convolution with fused bias and activation:
//
//	x: (N,H,W,Cin)  w: (3,3,Cin,Cout)  b: (Cout)  →  act(x⊛w + b): (N,OH,OW,Cout)
//
// with OH = ceil(H/stride). Without bias it takes (x, w) only; the
// transposed convolution's input gradient uses it that way.
type convOp struct {
	opBase
	stride    int
	act       kernel.Act
	bias      bool
	inputGrad bool // whether x needs a gradient (false when x is the image)

	buffer // the output
	plans  convPlans
}

func newConvOp(stride int, act kernel.Act, bias, inputGrad bool) *convOp {
	return &convOp{
		opBase:    newOpBase(fmt.Sprintf("conv3x3/s%d/%v", stride, act)),
		stride:    stride,
		act:       act,
		bias:      bias,
		inputGrad: inputGrad,
	}
}

func (op *convOp) Arity() int {
	if op.bias {
		return 3
	}
	return 2
}

func (op *convOp) Type() hm.Type {
	if op.bias {
		return hm.NewFnType(tensorType(4), tensorType(4), tensorType(1), tensorType(4))
	}
	return hm.NewFnType(tensorType(4), tensorType(4), tensorType(4))
}

// geom returns the kernel geometry for input shape xs and kernel shape ws.
func (op *convOp) geom(xs, ws tensor.Shape) (kernel.Geom, error) {
	if xs.Dims() != 4 || ws.Dims() != 4 || ws[0] != 3 || ws[1] != 3 || ws[2] != xs[3] {
		return kernel.Geom{}, fmt.Errorf("nn: %v: input %v and kernel %v do not fit (want (N,H,W,C) and (3,3,C,Cout))", op, xs, ws)
	}
	g := kernel.Geom{N: xs[0], H: xs[1], W: xs[2], Cin: xs[3], Cout: ws[3], Stride: op.stride}
	return g, g.Validate()
}

func (op *convOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	if err := checkArity(op, len(in)); err != nil {
		return nil, err
	}
	g, err := op.geom(in[0].(tensor.Shape), in[1].(tensor.Shape))
	if err != nil {
		return nil, err
	}
	return tensor.Shape{g.N, g.OutH(), g.OutW(), g.Cout}, nil
}

func (op *convOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	if err := checkArity(op, len(in)); err != nil {
		return nil, err
	}
	dt, err := sameDtype(op, in...)
	if err != nil {
		return nil, err
	}
	g, err := op.geom(in[0].Shape(), in[1].Shape())
	if err != nil {
		return nil, err
	}
	y := op.get(dt, tensor.Shape{g.N, g.OutH(), g.OutW(), g.Cout})
	return y, byDtype(dt, convForward[float32], convForward[float64])(op, g, y, in)
}

// convForward runs op's forward kernel in element type T.
func convForward[T floats](op *convOp, g kernel.Geom, y gorgonia.Value, in []gorgonia.Value) error {
	return withPlan(&op.plans, g, func(c *kernel.Conv[T]) {
		var b []T
		if op.bias {
			b = vals[T](in[2])
		}
		c.Forward(vals[T](y), vals[T](in[0]), vals[T](in[1]), b, op.act)
	})
}

func (op *convOp) DiffWRT(n int) []bool {
	d := []bool{op.inputGrad, true, true}
	return d[:n]
}

// SymDiff returns the gradients of x, w and b: the upstream gradient goes
// back through the activation, then through the convolution's adjoint
// (x), its filter gradient (w) and a sum (b).
func (op *convOp) SymDiff(in gorgonia.Nodes, out, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	g, err := op.geom(in[0].Shape(), in[1].Shape())
	if err != nil {
		return nil, err
	}
	var dpre, db *gorgonia.Node
	if op.bias {
		dpre, db, err = actBiasGrad(op.act, out, grad)
	} else {
		dpre, err = actGrad(op.act, out, grad)
	}
	if err != nil {
		return nil, err
	}
	grads := make(gorgonia.Nodes, len(in))
	if op.bias {
		grads[2] = db
	}
	if op.inputGrad {
		if grads[0], err = gorgonia.ApplyOp(newConvBackInputOp(g), dpre, in[1]); err != nil {
			return nil, err
		}
	}
	if grads[1], err = gorgonia.ApplyOp(newConvBackFilterOp(g), in[0], dpre); err != nil {
		return nil, err
	}
	return grads, nil
}

// convTOp is Keras's Conv2DTranspose with a 3x3 kernel, stride 2 and
// "same" padding, with fused bias and activation: the exact adjoint of
// the stride-2 convolution that maps (N,2H,2W,Cout) to (N,H,W,Cin).
//
//	x: (N,H,W,Cin)  w: (3,3,Cout,Cin)  b: (Cout)  →  act(w⊛ᵀx + b): (N,2H,2W,Cout)
type convTOp struct {
	opBase
	act       kernel.Act
	inputGrad bool

	buffer // the output
	plans  convPlans
}

func newConvTOp(act kernel.Act, inputGrad bool) *convTOp {
	return &convTOp{
		opBase:    newOpBase(fmt.Sprintf("convT3x3/s2/%v", act)),
		act:       act,
		inputGrad: inputGrad,
	}
}

func (op *convTOp) Arity() int { return 3 }

func (op *convTOp) Type() hm.Type {
	return hm.NewFnType(tensorType(4), tensorType(4), tensorType(1), tensorType(4))
}

// geom returns the geometry of the forward convolution whose adjoint op
// computes.
func (op *convTOp) geom(xs, ws tensor.Shape) (kernel.Geom, error) {
	if xs.Dims() != 4 || ws.Dims() != 4 || ws[0] != 3 || ws[1] != 3 || ws[3] != xs[3] {
		return kernel.Geom{}, fmt.Errorf("nn: %v: input %v and kernel %v do not fit (want (N,H,W,C) and (3,3,Cout,C))", op, xs, ws)
	}
	g := kernel.Geom{N: xs[0], H: 2 * xs[1], W: 2 * xs[2], Cin: ws[2], Cout: xs[3], Stride: 2}
	return g, g.Validate()
}

func (op *convTOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	if err := checkArity(op, len(in)); err != nil {
		return nil, err
	}
	g, err := op.geom(in[0].(tensor.Shape), in[1].(tensor.Shape))
	if err != nil {
		return nil, err
	}
	return tensor.Shape{g.N, g.H, g.W, g.Cin}, nil
}

func (op *convTOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	if err := checkArity(op, len(in)); err != nil {
		return nil, err
	}
	dt, err := sameDtype(op, in...)
	if err != nil {
		return nil, err
	}
	g, err := op.geom(in[0].Shape(), in[1].Shape())
	if err != nil {
		return nil, err
	}
	y := op.get(dt, tensor.Shape{g.N, g.H, g.W, g.Cin})
	return y, byDtype(dt, convTForward[float32], convTForward[float64])(op, g, y, in)
}

// convTForward runs op's forward pass, the adjoint kernel with the fused
// bias and activation, in element type T.
func convTForward[T floats](op *convTOp, g kernel.Geom, y gorgonia.Value, in []gorgonia.Value) error {
	return withPlan(&op.plans, g, func(c *kernel.Conv[T]) {
		c.BackInputBiasAct(vals[T](y), vals[T](in[0]), vals[T](in[1]), vals[T](in[2]), op.act)
	})
}

func (op *convTOp) DiffWRT(n int) []bool { return []bool{op.inputGrad, true, true}[:n] }

// SymDiff returns the gradients of x, w and b. The adjoint of an adjoint
// is the convolution itself, so x's gradient is a plain stride-2
// convolution of the upstream gradient, and w's is the forward
// convolution's filter gradient with the roles of its input and output
// swapped.
func (op *convTOp) SymDiff(in gorgonia.Nodes, out, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	g, err := op.geom(in[0].Shape(), in[1].Shape())
	if err != nil {
		return nil, err
	}
	dpre, db, err := actBiasGrad(op.act, out, grad)
	if err != nil {
		return nil, err
	}
	grads := gorgonia.Nodes{2: db}
	if op.inputGrad {
		if grads[0], err = gorgonia.ApplyOp(newConvOp(2, kernel.ActNone, false, true), dpre, in[1]); err != nil {
			return nil, err
		}
	}
	if grads[1], err = gorgonia.ApplyOp(newConvBackFilterOp(g), dpre, in[0]); err != nil {
		return nil, err
	}
	return grads, nil
}

// convBackInputOp is the adjoint of a convolution's linear part:
//
//	dy: (N,OH,OW,Cout)  w: (3,3,Cin,Cout)  →  dx: (N,H,W,Cin)
type convBackInputOp struct {
	opBase
	g      kernel.Geom
	buffer // the output
	plans  convPlans
}

func newConvBackInputOp(g kernel.Geom) *convBackInputOp {
	return &convBackInputOp{opBase: newOpBase(fmt.Sprintf("convBackInput%+v", g)), g: g}
}

func (op *convBackInputOp) Arity() int { return 2 }
func (op *convBackInputOp) Type() hm.Type {
	return hm.NewFnType(tensorType(4), tensorType(4), tensorType(4))
}
func (op *convBackInputOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.g.N, op.g.H, op.g.W, op.g.Cin}, nil
}

func (op *convBackInputOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	if err := checkArity(op, len(in)); err != nil {
		return nil, err
	}
	dt, err := sameDtype(op, in...)
	if err != nil {
		return nil, err
	}
	g := op.g
	dx := op.get(dt, tensor.Shape{g.N, g.H, g.W, g.Cin})
	return dx, byDtype(dt, backInput[float32], backInput[float64])(&op.plans, g, dx, in)
}

// backInput computes dx = adjoint(dy, w) for in = (dy, w) in element type T.
func backInput[T floats](p *convPlans, g kernel.Geom, dx gorgonia.Value, in []gorgonia.Value) error {
	return withPlan(p, g, func(c *kernel.Conv[T]) {
		c.BackInput(vals[T](dx), vals[T](in[0]), vals[T](in[1]))
	})
}

// convBackFilterOp is a convolution's kernel gradient:
//
//	x: (N,H,W,Cin)  dy: (N,OH,OW,Cout)  →  dw: (3,3,Cin,Cout)
type convBackFilterOp struct {
	opBase
	g      kernel.Geom
	buffer // the output
	plans  convPlans
}

func newConvBackFilterOp(g kernel.Geom) *convBackFilterOp {
	return &convBackFilterOp{opBase: newOpBase(fmt.Sprintf("convBackFilter%+v", g)), g: g}
}

func (op *convBackFilterOp) Arity() int { return 2 }
func (op *convBackFilterOp) Type() hm.Type {
	return hm.NewFnType(tensorType(4), tensorType(4), tensorType(4))
}
func (op *convBackFilterOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{3, 3, op.g.Cin, op.g.Cout}, nil
}

func (op *convBackFilterOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	if err := checkArity(op, len(in)); err != nil {
		return nil, err
	}
	dt, err := sameDtype(op, in...)
	if err != nil {
		return nil, err
	}
	g := op.g
	dw := op.get(dt, tensor.Shape{3, 3, g.Cin, g.Cout})
	return dw, byDtype(dt, backFilter[float32], backFilter[float64])(&op.plans, g, dw, in)
}

// backFilter computes the kernel gradient for in = (x, dy) in element
// type T.
func backFilter[T floats](p *convPlans, g kernel.Geom, dw gorgonia.Value, in []gorgonia.Value) error {
	return withPlan(p, g, func(c *kernel.Conv[T]) {
		c.BackFilter(vals[T](dw), nil, vals[T](in[0]), vals[T](in[1]))
	})
}
