package nn

import (
	"fmt"
	"hash"
	"hash/fnv"
	"sync/atomic"

	"github.com/chewxy/hm"
	gorgonia "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"warmstart/nn/internal/kernel"
)

// This file holds what every op of the package shares: the parts of
// gorgonia.Op that do not vary, the op-owned output buffers, and the
// dispatch from gorgonia values to the typed kernels. Ops accept float32
// (training) and float64 (gradient checks) tensors.

// opID numbers op instances, so that two layers of the same shape never
// hash alike and gorgonia never merges their nodes.
var opID atomic.Uint64

// opBase implements the methods of gorgonia.Op that are the same for
// every op here: results are fresh values owned by the op, no input is
// overwritten, nothing calls out of Go.
type opBase struct {
	id   uint64
	name string
}

func newOpBase(name string) opBase { return opBase{id: opID.Add(1), name: name} }

func (o opBase) ReturnsPtr() bool      { return false }
func (o opBase) CallsExtern() bool     { return false }
func (o opBase) OverwritesInput() int  { return -1 }
func (o opBase) String() string        { return o.name }
func (o opBase) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s#%d", o.name, o.id) }
func (o opBase) Hashcode() uint32 {
	h := fnv.New32a()
	o.WriteHash(h)
	return h.Sum32()
}

// tensorType is a gorgonia type of a tensor of dims dimensions of the
// type variable a.
func tensorType(dims int) hm.Type {
	return gorgonia.TensorType{Dims: dims, Of: hm.TypeVariable('a')}
}

// buffer is an op's output tensor, allocated on first use and reused by
// every later call with the same dtype and shape. The graph calls an op
// once per step and the trainer reads a result before the next step, so
// one buffer per op is enough. Every op overwrites its whole output, so a
// buffer's memory may hold anything before a call: when the op's graph
// has an arena, it comes from there, over memory that other graphs of
// the same net use too.
type buffer struct {
	t     *tensor.Dense
	arena *arena
}

func (b *buffer) get(dt tensor.Dtype, shape tensor.Shape) *tensor.Dense {
	if b.t == nil || b.t.Dtype() != dt || !b.t.Shape().Eq(shape) {
		if b.arena != nil {
			b.t = b.arena.tensor(dt, shape)
		} else {
			b.t = tensor.New(tensor.Of(dt), tensor.WithShape(shape.Clone()...))
		}
	}
	return b.t
}

// useArena makes the buffer take its memory from a.
func (b *buffer) useArena(a *arena) { b.arena = a }

// floats is the element type of the kernels.
type floats interface{ ~float32 | ~float64 }

// vals returns the backing slice of v as []T; it panics if v holds
// another element type, which the graph's type check rules out.
func vals[T floats](v gorgonia.Value) []T { return v.Data().([]T) }

// scalar returns the value of a scalar gorgonia value as float64.
func scalar(v gorgonia.Value) (float64, error) {
	switch s := v.(type) {
	case *gorgonia.F32:
		return float64(*s), nil
	case *gorgonia.F64:
		return float64(*s), nil
	}
	return 0, fmt.Errorf("nn: want a float scalar, got %T", v)
}

// newScalar returns v as a gorgonia scalar of dtype dt.
func newScalar(dt tensor.Dtype, v float64) gorgonia.Value {
	if dt == tensor.Float32 {
		return gorgonia.NewF32(float32(v))
	}
	return gorgonia.NewF64(v)
}

func checkArity(op gorgonia.Op, n int) error {
	if n != op.Arity() {
		return fmt.Errorf("nn: %v takes %d inputs, got %d", op, op.Arity(), n)
	}
	return nil
}

// sameDtype returns the common dtype of vs, or an error naming op.
func sameDtype(op fmt.Stringer, vs ...gorgonia.Value) (tensor.Dtype, error) {
	dt := vs[0].Dtype()
	for _, v := range vs[1:] {
		if v.Dtype() != dt {
			return dt, fmt.Errorf("nn: %v: mixed dtypes %v and %v", op, dt, v.Dtype())
		}
	}
	if dt != tensor.Float32 && dt != tensor.Float64 {
		return dt, fmt.Errorf("nn: %v: dtype %v, want float32 or float64", op, dt)
	}
	return dt, nil
}

// convPlans caches one kernel plan per element type for an op with a
// fixed geometry.
type convPlans struct {
	g   kernel.Geom
	f32 *kernel.Conv[float32]
	f64 *kernel.Conv[float64]
}

// withPlan calls f with p's kernel plan of element type T for geometry g,
// making the plan on first use or when g changes.
func withPlan[T floats](p *convPlans, g kernel.Geom, f func(c *kernel.Conv[T])) error {
	if p.g != g {
		p.f32, p.f64, p.g = nil, nil, g
	}
	var c any
	var err error
	switch any(T(0)).(type) {
	case float32:
		if p.f32 == nil {
			p.f32, err = kernel.NewConv[float32](g)
		}
		c = p.f32
	default:
		if p.f64 == nil {
			p.f64, err = kernel.NewConv[float64](g)
		}
		c = p.f64
	}
	if err != nil {
		return err
	}
	f(c.(*kernel.Conv[T]))
	return nil
}

// byDtype returns f32 for float32 values and f64 otherwise: the two
// instantiations of one generic function.
func byDtype[F any](dt tensor.Dtype, f32, f64 F) F {
	if dt == tensor.Float32 {
		return f32
	}
	return f64
}
