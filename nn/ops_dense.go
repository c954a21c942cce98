package nn

import (
	"fmt"

	"github.com/chewxy/hm"
	gorgonia "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"warmstart/nn/internal/kernel"
)

// denseOp is a fully connected layer with fused bias and activation. Its
// input may have any rank: everything after the batch axis is flattened,
// which for NHWC activations is Keras's Flatten.
//
//	x: (N,…) with in = ∏…  w: (in,out)  b: (out)  →  act(x·w + b): (N,out)
type denseOp struct {
	opBase
	act       kernel.Act
	inDims    int // rank of x
	inputGrad bool

	buffer // the output
}

func newDenseOp(act kernel.Act, inDims int, inputGrad bool) *denseOp {
	return &denseOp{
		opBase:    newOpBase(fmt.Sprintf("dense/%v", act)),
		act:       act,
		inDims:    inDims,
		inputGrad: inputGrad,
	}
}

func (op *denseOp) Arity() int { return 3 }
func (op *denseOp) Type() hm.Type {
	return hm.NewFnType(tensorType(op.inDims), tensorType(2), tensorType(1), tensorType(2))
}

func (op *denseOp) dims(xs, ws tensor.Shape) (n, in, out int, err error) {
	n, in = xs[0], xs.TotalSize()/xs[0]
	if ws.Dims() != 2 || ws[0] != in {
		return 0, 0, 0, fmt.Errorf("nn: %v: input %v does not fit kernel %v", op, xs, ws)
	}
	return n, in, ws[1], nil
}

func (op *denseOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	if err := checkArity(op, len(in)); err != nil {
		return nil, err
	}
	n, _, out, err := op.dims(in[0].(tensor.Shape), in[1].(tensor.Shape))
	return tensor.Shape{n, out}, err
}

func (op *denseOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	if err := checkArity(op, len(in)); err != nil {
		return nil, err
	}
	dt, err := sameDtype(op, in...)
	if err != nil {
		return nil, err
	}
	n, k, m, err := op.dims(in[0].Shape(), in[1].Shape())
	if err != nil {
		return nil, err
	}
	y := op.get(dt, tensor.Shape{n, m})
	if dt == tensor.Float32 {
		denseForward(vals[float32](y), vals[float32](in[0]), vals[float32](in[1]), vals[float32](in[2]), n, k, m, op.act)
	} else {
		denseForward(vals[float64](y), vals[float64](in[0]), vals[float64](in[1]), vals[float64](in[2]), n, k, m, op.act)
	}
	return y, nil
}

func denseForward[T floats](y, x, w, b []T, n, in, out int, act kernel.Act) {
	gemm(false, false, n, out, in, x, w, y)
	kernel.BiasAct(y, b, act)
}

func (op *denseOp) DiffWRT(n int) []bool { return []bool{op.inputGrad, true, true}[:n] }

// SymDiff returns the gradients of x (dpre·wᵀ, reshaped like x), w (xᵀ·dpre)
// and b (column sums of dpre), where dpre is the upstream gradient taken
// back through the activation.
func (op *denseOp) SymDiff(in gorgonia.Nodes, out, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	dpre, db, err := actBiasGrad(op.act, out, grad)
	if err != nil {
		return nil, err
	}
	grads := gorgonia.Nodes{2: db}
	if op.inputGrad {
		bi := &denseBackInputOp{opBase: newOpBase("denseBackInput"), xshape: in[0].Shape().Clone()}
		if grads[0], err = gorgonia.ApplyOp(bi, dpre, in[1]); err != nil {
			return nil, err
		}
	}
	bw := &denseBackWeightOp{opBase: newOpBase("denseBackWeight"), inDims: op.inDims}
	if grads[1], err = gorgonia.ApplyOp(bw, in[0], dpre); err != nil {
		return nil, err
	}
	return grads, nil
}

// denseBackInputOp is the dense layer's input gradient:
//
//	dpre: (N,out)  w: (in,out)  →  dx = dpre·wᵀ: shaped like x
type denseBackInputOp struct {
	opBase
	xshape tensor.Shape
	buffer // the output
}

func (op *denseBackInputOp) Arity() int { return 2 }
func (op *denseBackInputOp) Type() hm.Type {
	return hm.NewFnType(tensorType(2), tensorType(2), tensorType(op.xshape.Dims()))
}
func (op *denseBackInputOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.xshape.Clone(), nil
}

func (op *denseBackInputOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	if err := checkArity(op, len(in)); err != nil {
		return nil, err
	}
	dt, err := sameDtype(op, in...)
	if err != nil {
		return nil, err
	}
	ws := in[1].Shape()
	n, k, m := op.xshape[0], ws[0], ws[1]
	dx := op.get(dt, op.xshape)
	if dt == tensor.Float32 {
		gemm(false, true, n, k, m, vals[float32](in[0]), vals[float32](in[1]), vals[float32](dx))
	} else {
		gemm(false, true, n, k, m, vals[float64](in[0]), vals[float64](in[1]), vals[float64](dx))
	}
	return dx, nil
}

// denseBackWeightOp is the dense layer's kernel gradient:
//
//	x: (N,…)  dpre: (N,out)  →  dw = xᵀ·dpre: (in,out)
type denseBackWeightOp struct {
	opBase
	inDims int
	buffer // the output
}

func (op *denseBackWeightOp) Arity() int { return 2 }
func (op *denseBackWeightOp) Type() hm.Type {
	return hm.NewFnType(tensorType(op.inDims), tensorType(2), tensorType(2))
}
func (op *denseBackWeightOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	xs, ds := in[0].(tensor.Shape), in[1].(tensor.Shape)
	return tensor.Shape{xs.TotalSize() / xs[0], ds[1]}, nil
}

func (op *denseBackWeightOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	if err := checkArity(op, len(in)); err != nil {
		return nil, err
	}
	dt, err := sameDtype(op, in...)
	if err != nil {
		return nil, err
	}
	xs, ds := in[0].Shape(), in[1].Shape()
	n, k, m := xs[0], xs.TotalSize()/xs[0], ds[1]
	dw := op.get(dt, tensor.Shape{k, m})
	if dt == tensor.Float32 {
		gemm(true, false, k, m, n, vals[float32](in[0]), vals[float32](in[1]), vals[float32](dw))
	} else {
		gemm(true, false, k, m, n, vals[float64](in[0]), vals[float64](in[1]), vals[float64](dw))
	}
	return dw, nil
}
