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

// actGradOp takes a gradient back through an activation, using the
// activation's output (ReLU: y > 0; sigmoid: y(1-y)):
//
//	y: (…)  dy: (…)  →  dpre: (…)
type actGradOp struct {
	opBase
	act    kernel.Act
	dims   int
	buffer // the output
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
	d := op.get(dt, in[0].Shape())
	if dt == tensor.Float32 {
		kernel.ActBackward(op.act, vals[float32](d), vals[float32](in[0]), vals[float32](in[1]))
	} else {
		kernel.ActBackward(op.act, vals[float64](d), vals[float64](in[0]), vals[float64](in[1]))
	}
	return d, nil
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
