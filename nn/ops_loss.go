package nn

import (
	"fmt"
	"math"

	"github.com/chewxy/hm"
	gorgonia "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// mseOp is the pixel-wise mean squared error, a scalar:
//
//	r: (…)  t: (…)  →  mean((r - t)²)
//
// Only r gets a gradient; the target t is data.
type mseOp struct {
	opBase
	dims int
}

func newMSEOp(dims int) *mseOp { return &mseOp{opBase: newOpBase("mse"), dims: dims} }

func (op *mseOp) Arity() int { return 2 }
func (op *mseOp) Type() hm.Type {
	return hm.NewFnType(tensorType(op.dims), tensorType(op.dims), hm.TypeVariable('a'))
}
func (op *mseOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	if !in[0].(tensor.Shape).Eq(in[1].(tensor.Shape)) {
		return nil, fmt.Errorf("nn: mse of shapes %v and %v", in[0], in[1])
	}
	return tensor.ScalarShape(), nil
}

func (op *mseOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	if err := checkArity(op, len(in)); err != nil {
		return nil, err
	}
	dt, err := sameDtype(op, in...)
	if err != nil {
		return nil, err
	}
	if dt == tensor.Float32 {
		return newScalar(dt, mse(vals[float32](in[0]), vals[float32](in[1]))), nil
	}
	return newScalar(dt, mse(vals[float64](in[0]), vals[float64](in[1]))), nil
}

// mse returns mean((r-t)²), summed in float64.
func mse[T floats](r, t []T) float64 {
	t = t[:len(r)]
	var s float64
	for i, v := range r {
		d := float64(v - t[i])
		s += d * d
	}
	return s / float64(len(r))
}

func (op *mseOp) DiffWRT(int) []bool { return []bool{true, false} }

func (op *mseOp) SymDiff(in gorgonia.Nodes, out, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	g := &mseGradOp{opBase: newOpBase("mseGrad"), dims: op.dims}
	dr, err := gorgonia.ApplyOp(g, in[0], in[1], grad)
	return gorgonia.Nodes{dr, nil}, err
}

// mseGradOp is the gradient of [mseOp] with respect to r:
//
//	r: (…)  t: (…)  g: scalar  →  2g(r - t)/n: (…), n = elements of r
type mseGradOp struct {
	opBase
	dims   int
	buffer // the output
}

func (op *mseGradOp) Arity() int { return 3 }
func (op *mseGradOp) Type() hm.Type {
	t := tensorType(op.dims)
	return hm.NewFnType(t, t, hm.TypeVariable('a'), t)
}
func (op *mseGradOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	return in[0].(tensor.Shape).Clone(), nil
}

func (op *mseGradOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	if err := checkArity(op, len(in)); err != nil {
		return nil, err
	}
	dt, err := sameDtype(op, in[0], in[1])
	if err != nil {
		return nil, err
	}
	g, err := scalar(in[2])
	if err != nil {
		return nil, err
	}
	d := op.get(dt, in[0].Shape())
	if dt == tensor.Float32 {
		mseGrad(vals[float32](d), vals[float32](in[0]), vals[float32](in[1]), g)
	} else {
		mseGrad(vals[float64](d), vals[float64](in[0]), vals[float64](in[1]), g)
	}
	return d, nil
}

func mseGrad[T floats](dst, r, t []T, g float64) {
	k := T(2 * g / float64(len(r)))
	t, dst = t[:len(r)], dst[:len(r)]
	for i, v := range r {
		dst[i] = k * (v - t[i])
	}
}

// xentOp is softmax cross-entropy averaged over the batch, a scalar:
//
//	logits: (N,K)  y: (N,K) one-hot  →  -(1/N) Σₙ Σₖ y log softmax(logits)
//
// Only the logits get a gradient.
type xentOp struct{ opBase }

func newXentOp() *xentOp { return &xentOp{opBase: newOpBase("softmaxXent")} }

func (op *xentOp) Arity() int { return 2 }
func (op *xentOp) Type() hm.Type {
	return hm.NewFnType(tensorType(2), tensorType(2), hm.TypeVariable('a'))
}
func (op *xentOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	if !in[0].(tensor.Shape).Eq(in[1].(tensor.Shape)) {
		return nil, fmt.Errorf("nn: cross-entropy of shapes %v and %v", in[0], in[1])
	}
	return tensor.ScalarShape(), nil
}

func (op *xentOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	if err := checkArity(op, len(in)); err != nil {
		return nil, err
	}
	dt, err := sameDtype(op, in...)
	if err != nil {
		return nil, err
	}
	s := in[0].Shape()
	if dt == tensor.Float32 {
		return newScalar(dt, xent(vals[float32](in[0]), vals[float32](in[1]), s[0], s[1])), nil
	}
	return newScalar(dt, xent(vals[float64](in[0]), vals[float64](in[1]), s[0], s[1])), nil
}

// xent returns the mean softmax cross-entropy of n rows of k logits,
// computed stably in float64 through the log-sum-exp.
func xent[T floats](logits, y []T, n, k int) float64 {
	var s float64
	for i := 0; i < n; i++ {
		row, yi := logits[i*k:(i+1)*k], y[i*k:(i+1)*k]
		lse := logSumExp(row)
		for j, v := range row {
			if yi[j] != 0 {
				s -= float64(yi[j]) * (float64(v) - lse)
			}
		}
	}
	return s / float64(n)
}

func logSumExp[T floats](row []T) float64 {
	m := math.Inf(-1)
	for _, v := range row {
		m = math.Max(m, float64(v))
	}
	var z float64
	for _, v := range row {
		z += math.Exp(float64(v) - m)
	}
	return m + math.Log(z)
}

// softmax writes the softmax of each row of k values of logits into dst.
func softmax[T floats](dst, logits []T, k int) {
	for i := 0; i+k <= len(logits); i += k {
		row, d := logits[i:i+k], dst[i:i+k]
		lse := logSumExp(row)
		for j, v := range row {
			d[j] = T(math.Exp(float64(v) - lse))
		}
	}
}

func (op *xentOp) DiffWRT(int) []bool { return []bool{true, false} }

func (op *xentOp) SymDiff(in gorgonia.Nodes, out, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	d, err := gorgonia.ApplyOp(&xentGradOp{opBase: newOpBase("softmaxXentGrad")}, in[0], in[1], grad)
	return gorgonia.Nodes{d, nil}, err
}

// xentGradOp is the gradient of [xentOp] with respect to the logits:
//
//	logits: (N,K)  y: (N,K)  g: scalar  →  g(softmax(logits) - y)/N: (N,K)
type xentGradOp struct {
	opBase
	buffer // the output
}

func (op *xentGradOp) Arity() int { return 3 }
func (op *xentGradOp) Type() hm.Type {
	return hm.NewFnType(tensorType(2), tensorType(2), hm.TypeVariable('a'), tensorType(2))
}
func (op *xentGradOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	return in[0].(tensor.Shape).Clone(), nil
}

func (op *xentGradOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	if err := checkArity(op, len(in)); err != nil {
		return nil, err
	}
	dt, err := sameDtype(op, in[0], in[1])
	if err != nil {
		return nil, err
	}
	g, err := scalar(in[2])
	if err != nil {
		return nil, err
	}
	s := in[0].Shape()
	d := op.get(dt, s)
	if dt == tensor.Float32 {
		xentGrad(vals[float32](d), vals[float32](in[0]), vals[float32](in[1]), s[1], g)
	} else {
		xentGrad(vals[float64](d), vals[float64](in[0]), vals[float64](in[1]), s[1], g)
	}
	return d, nil
}

func xentGrad[T floats](dst, logits, y []T, k int, g float64) {
	softmax(dst, logits, k)
	scale := T(g / float64(len(logits)/k))
	for i := range dst {
		dst[i] = scale * (dst[i] - y[i])
	}
}
