package nn

import (
	"gorgonia.org/tensor"
)

// A net holds a graph per batch size and mode (the DAE, say, trains on
// batches of 256 and on the epoch's last, shorter batch, and evaluates on
// 256 and on a remainder), but runs one at a time and reads every result
// before the next run. Its graphs therefore lay their op outputs over the
// same memory, a slab, instead of holding about 150 MB for the DAE's
// five graphs at batch 256; that matters most in the browser, where a
// WebAssembly memory never shrinks.

// slab is the memory that the graphs of one net share, in chunks.
type slab struct {
	f32 [][]float32
	f64 [][]float64
}

// minChunk is the smallest chunk, in elements, so that small outputs
// share chunks.
const minChunk = 1 << 16

// arena hands one graph consecutive pieces of a slab: its outputs do not
// overlap each other, and overlap those of the net's other graphs.
// Graphs of one architecture ask for outputs in the same order (their
// ops run in the same topological order) and of proportional sizes, so
// the graph built first, the largest, sets the chunks and the others
// fit in them.
type arena struct {
	s                *slab
	c32, o32         int // chunk and offset of the next float32 piece
	c64, o64         int
	fresh32, fresh64 int // elements this arena added to the slab
}

func newArena(s *slab) *arena { return &arena{s: s} }

// tensor returns a tensor of dtype dt and shape over the next free piece
// of the slab. Its contents are whatever another graph left there.
func (a *arena) tensor(dt tensor.Dtype, shape tensor.Shape) *tensor.Dense {
	n := shape.TotalSize()
	var backing any
	switch dt {
	case tensor.Float32:
		backing = carve(&a.s.f32, &a.c32, &a.o32, &a.fresh32, n)
	case tensor.Float64:
		backing = carve(&a.s.f64, &a.c64, &a.o64, &a.fresh64, n)
	default:
		return tensor.New(tensor.Of(dt), tensor.WithShape(shape.Clone()...))
	}
	return tensor.New(tensor.WithBacking(backing), tensor.WithShape(shape.Clone()...))
}

// carve returns the next n elements at or after chunk *c, offset *o,
// skipping the rest of a chunk too small for them and adding a chunk when
// none is left.
func carve[T float32 | float64](chunks *[][]T, c, o, fresh *int, n int) []T {
	for *c < len(*chunks) && len((*chunks)[*c])-*o < n {
		*c++
		*o = 0
	}
	if *c == len(*chunks) {
		size := max(n, minChunk)
		*chunks = append(*chunks, make([]T, size))
		*fresh += size
		*o = 0
	}
	s := (*chunks)[*c][*o : *o+n : *o+n]
	*o += n
	return s
}

// arenaUser is an op whose output can come from an arena.
type arenaUser interface{ useArena(*arena) }

// useArena gives every op of gr's graph, gradient ops included, a new
// arena over s.
func (gr *graph) useArena(s *slab) {
	a := newArena(s)
	for _, nd := range gr.g.AllNodes() {
		if u, ok := nd.Op().(arenaUser); ok {
			u.useArena(a)
		}
	}
}
