package nn

import (
	"fmt"

	"github.com/chewxy/hm"
	gorgonia "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"warmstart/nn/internal/kernel"
)

// actGrad returns the node dy·act'(·) for a layer whose fused activation
// act produced y, or dy itself when there is no activation.
func actGrad(act kernel.Act, y, dy *gorgonia.Node) (*gorgonia.Node, error) {
	if act == kernel.ActNone {
		return dy, nil
	}
	op := &actGradOp{opBase: newOpBase(fmt.Sprintf("actGrad/%v", act)), act: act, dims: y.Dims()}
	return gorgonia.ApplyOp(op, y, dy)
}

// actBiasGrad returns the nodes dpre = dy·act'(·) and db, the sum of dpre
// over every axis but the last: the gradients of a layer's pre-activation
// and of its bias. With an activation, both come from one pass over the
// gradient (kernel.ActBackwardSum): the activation's gradient op keeps the
// sums, and the bias gradient's node only hands them on.
func actBiasGrad(act kernel.Act, y, dy *gorgonia.Node) (dpre, db *gorgonia.Node, err error) {
	dims := y.Dims()
	if act == kernel.ActNone {
		db, err = gorgonia.ApplyOp(newBiasGradOp(dims), dy)
		return dy, db, err
	}
	op := &actGradOp{opBase: newOpBase(fmt.Sprintf("actBiasGrad/%v", act)), act: act, dims: dims, sums: true}
	if dpre, err = gorgonia.ApplyOp(op, y, dy); err != nil {
		return nil, nil, err
	}
	bias := &actBiasOp{biasGradOp: biasGradOp{opBase: newOpBase("actBias"), dims: dims}, src: op}
	db, err = gorgonia.ApplyOp(bias, dpre)
	return dpre, db, err
}

// actGradOp takes a gradient back through an activation, using the
// activation's output (ReLU: y > 0; sigmoid: y(1-y)):
//
//	y: (…)  dy: (…)  →  dpre: (…)
//
// It works in place: dpre is dy's tensor, overwritten. dy is the gradient
// of a layer's output, which that layer's SymDiff hands to this op alone,
// so nothing reads it afterwards, and each layer with an activation needs
// one activation-sized gradient buffer fewer (the DAE's largest layer
// alone holds 12,544 values per image).
//
// With sums set it also sums dpre over every axis but the last into db32
// or db64, for the actBiasOp that follows it.
type actGradOp struct {
	opBase
	act  kernel.Act
	dims int

	sums bool
	db32 []float32
	db64 []float64
}

func (op *actGradOp) Arity() int { return 2 }
func (op *actGradOp) Type() hm.Type {
	return hm.NewFnType(tensorType(op.dims), tensorType(op.dims), tensorType(op.dims))
}
func (op *actGradOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	return in[0].(tensor.Shape).Clone(), nil
}

func (op *actGradOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	if err := checkArity(op, len(in)); err != nil {
		return nil, err
	}
	dt, err := sameDtype(op, in...)
	if err != nil {
		return nil, err
	}
	shape := in[0].Shape()
	if !shape.Eq(in[1].Shape()) {
		return nil, fmt.Errorf("nn: %v: output %v and its gradient %v differ in shape", op, shape, in[1].Shape())
	}
	d := in[1]
	switch {
	case !op.sums && dt == tensor.Float32:
		kernel.ActBackward(op.act, vals[float32](d), vals[float32](in[0]), vals[float32](in[1]))
	case !op.sums:
		kernel.ActBackward(op.act, vals[float64](d), vals[float64](in[0]), vals[float64](in[1]))
	case dt == tensor.Float32:
		op.db32 = resize(op.db32, shape[len(shape)-1])
		kernel.ActBackwardSum(op.act, vals[float32](d), vals[float32](in[0]), vals[float32](in[1]), op.db32)
	default:
		op.db64 = resize(op.db64, shape[len(shape)-1])
		kernel.ActBackwardSum(op.act, vals[float64](d), vals[float64](in[0]), vals[float64](in[1]), op.db64)
	}
	return d, nil
}

// resize returns s with length n, reusing its memory when it has room.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// actBiasOp is a bias gradient that its actGradOp already summed: it
// takes that op's output, to run after it, and returns the sums. Its
// types and shapes are biasGradOp's; only Do differs.
//
//	dpre: (…,C)  →  db: (C)
type actBiasOp struct {
	biasGradOp
	src *actGradOp
}

func (op *actBiasOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	if err := checkArity(op, len(in)); err != nil {
		return nil, err
	}
	dt := in[0].Dtype()
	s := in[0].Shape()
	db := op.get(dt, tensor.Shape{s[len(s)-1]})
	if dt == tensor.Float32 {
		copy(vals[float32](db), op.src.db32)
	} else {
		copy(vals[float64](db), op.src.db64)
	}
	return db, nil
}

// biasGradOp sums a gradient over every axis but the last, the channel
// or unit axis, giving a bias's gradient:
//
//	dy: (…,C)  →  db: (C)
type biasGradOp struct {
	opBase
	dims   int
	buffer // the output
}

func newBiasGradOp(dims int) *biasGradOp {
	return &biasGradOp{opBase: newOpBase("biasGrad"), dims: dims}
}

func (op *biasGradOp) Arity() int { return 1 }
func (op *biasGradOp) Type() hm.Type {
	return hm.NewFnType(tensorType(op.dims), tensorType(1))
}
func (op *biasGradOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	s := in[0].(tensor.Shape)
	return tensor.Shape{s[len(s)-1]}, nil
}

func (op *biasGradOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	if err := checkArity(op, len(in)); err != nil {
		return nil, err
	}
	dt, err := sameDtype(op, in...)
	if err != nil {
		return nil, err
	}
	s := in[0].Shape()
	db := op.get(dt, tensor.Shape{s[len(s)-1]})
	if dt == tensor.Float32 {
		kernel.SumRows(vals[float32](db), vals[float32](in[0]))
	} else {
		kernel.SumRows(vals[float64](db), vals[float64](in[0]))
	}
	return db, nil
}
